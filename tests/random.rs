//! Lazy random arrays: chunk- and thread-independent values, and their distributions.

use chunkflow::{Options, random};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn values_depend_only_on_seed_and_index(
        rows in 1usize..40,
        cols in 1usize..40,
        c1 in (1usize..40, 1usize..40),
        c2 in (1usize..40, 1usize..40),
        seed in any::<u64>(),
        threads in 1usize..=2,
    ) {
        let opts = Options::default().threads(threads).unwrap();
        let a = random::uniform(0.0, 1.0, &[rows, cols], [c1.0, c1.1], seed).unwrap();
        let b = random::uniform(0.0, 1.0, &[rows, cols], [c2.0, c2.1], seed).unwrap();
        prop_assert_eq!(a.compute_with(&opts).unwrap(), b.compute().unwrap());
        let n1 = random::normal(0.0, 1.0, &[rows * cols], c1.0, seed).unwrap();
        let n2 = random::normal(0.0, 1.0, &[rows * cols], c2.1, seed).unwrap();
        prop_assert_eq!(n1.compute_with(&opts).unwrap(), n2.compute().unwrap());
        let other = random::uniform(0.0, 1.0, &[rows, cols], [c1.0, c1.1], seed ^ 1).unwrap();
        prop_assert_ne!(a.compute().unwrap(), other.compute().unwrap());
    }
}

#[test]
fn distributions_have_the_right_moments_on_a_million_samples() {
    let n = 1_000_000;
    // Standard errors: uniform(-1, 1) mean 0, var 1/3: se(mean) = 0.00058; normal(3, 2):
    // se(mean) = 0.002, se(var) ≈ 4·sqrt(2/n) = 0.0057. Bounds are about 5 standard errors.
    let u = random::uniform(-1.0, 1.0, &[n], 100_000, 11).unwrap();
    assert!(u.mean().scalar().unwrap().abs() < 0.003);
    assert!((u.var(0).scalar().unwrap() - 1.0 / 3.0).abs() < 0.002);
    assert!(u.min().scalar().unwrap() >= -1.0 && u.max().scalar().unwrap() < 1.0);
    let g = random::normal(3.0, 2.0, &[n], 100_000, 12).unwrap();
    assert!((g.mean().scalar().unwrap() - 3.0).abs() < 0.01);
    assert!((g.var(0).scalar().unwrap() - 4.0).abs() < 0.03);
    let within_one_sd = ((&g - 3.0).abs().lt(2.0)).sum().scalar().unwrap() as f64 / n as f64;
    assert!((within_one_sd - 0.6827).abs() < 0.003);
    let d = random::integers(0, 10, &[n], 100_000, 13).unwrap();
    assert!((d.mean().scalar().unwrap() - 4.5).abs() < 0.02);
    let sevens = d.eq(7).sum().scalar().unwrap() as f64 / n as f64;
    assert!((sevens - 0.1).abs() < 0.0015);
}

#[test]
fn bad_parameters_are_errors() {
    assert!(random::uniform(1.0, 1.0, &[3], 1, 0).is_err());
    assert!(random::normal(0.0, -1.0, &[3], 1, 0).is_err());
    assert!(random::integers(5, 5, &[3], 1, 0).is_err());
}
