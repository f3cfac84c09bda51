//! Generated inputs: a fused program reading a random, range or constant source computes
//! the source's elements strip by strip inside its kernel instead of reading materialized
//! chunks. The values must be exactly those of the materialized chunks, for any chunking,
//! and for a reduction's fused `pre` program as for an elementwise one.

use chunkflow::{Array, ChunkSpec, Options, random};
use ndarray::ArrayD;

/// Bit patterns, so that even NaNs and signed zeros compare exactly.
fn bits(a: &ArrayD<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

/// `x` materialized chunk by chunk (the source's own `chunk`), read through a fused
/// elementwise program (generated), and summed through a fused `pre` program, against the
/// same programs over an in-memory copy of the materialized values with the same chunks.
fn check(x: &Array<f64>, label: &str) {
    let materialized = x.compute().unwrap();
    let generated = x.map(|v| v).compute().unwrap();
    assert_eq!(bits(&materialized), bits(&generated), "{label}: map");
    let unfused = (x * 1.0)
        .compute_with(&Options::default().fuse(false))
        .unwrap();
    assert_eq!(bits(&materialized), bits(&unfused), "{label}: unfused mul");
    let copy = Array::from_ndarray(materialized.clone(), x.chunks()).unwrap();
    let sum_generated = (x * 2.0 + 1.0).sum().scalar().unwrap();
    let sum_copy = (&copy * 2.0 + 1.0).sum().scalar().unwrap();
    assert_eq!(sum_generated.to_bits(), sum_copy.to_bits(), "{label}: sum");
}

fn chunkings(n: usize) -> Vec<ChunkSpec> {
    vec![
        ChunkSpec::from(n),
        ChunkSpec::from(1000),
        ChunkSpec::from(777),
        ChunkSpec::from(vec![vec![1, n / 2, n - 1 - n / 2]]),
    ]
}

#[test]
fn generated_inputs_equal_materialized_chunks_for_any_chunking() {
    let n = 10_007;
    let mut reference: Vec<Option<ArrayD<f64>>> = vec![None; 6];
    for chunks in chunkings(n) {
        let sources = [
            (
                "uniform",
                random::uniform(-1.0, 3.0, &[n], chunks.clone(), 5).unwrap(),
            ),
            (
                "normal",
                random::normal(2.0, 0.5, &[n], chunks.clone(), 6).unwrap(),
            ),
            (
                "integers",
                random::integers(-50, 1 << 40, &[n], chunks.clone(), 7)
                    .unwrap()
                    .cast::<f64>(),
            ),
            (
                "linspace",
                Array::<f64>::linspace(-1.0, 1.0, n, chunks.clone()).unwrap(),
            ),
            (
                "arange",
                Array::<f64>::arange(0.5, 0.4 + n as f64 * 0.25, 0.25, chunks.clone()).unwrap(),
            ),
            (
                "full",
                Array::<f64>::full(&[n], -0.0, chunks.clone()).unwrap(),
            ),
        ];
        for (k, (label, x)) in sources.iter().enumerate() {
            check(x, label);
            // Chunking never changes the values.
            let values = x.compute().unwrap();
            match &reference[k] {
                Some(r) => assert_eq!(bits(r), bits(&values), "{label}: chunking"),
                None => reference[k] = Some(values),
            }
        }
    }
}

#[test]
fn generated_integers_and_integer_ranges_are_exact() {
    for chunks in [ChunkSpec::from(64), ChunkSpec::from(1000)] {
        let d = random::integers(i64::MIN, i64::MAX, &[3000], chunks.clone(), 11).unwrap();
        assert_eq!(d.compute().unwrap(), d.map(|v| v).compute().unwrap());
        let r = Array::<i64>::arange(-7, 9000, 3, chunks.clone()).unwrap();
        assert_eq!(r.compute().unwrap(), (&r + 0).compute().unwrap());
        assert_eq!(
            (&r * 2).sum().scalar().unwrap(),
            2 * r.compute().unwrap().sum()
        );
    }
}

#[test]
fn two_dimensional_generated_inputs_follow_the_global_index() {
    let shape = [37, 53];
    let mut reference = None;
    for chunks in [
        ChunkSpec::from(vec![37, 53]),
        ChunkSpec::from(vec![5, 8]),
        ChunkSpec::from(vec![37, 1]),
    ] {
        let x = random::uniform(0.0, 1.0, &shape, chunks.clone(), 3).unwrap();
        check(&x, "2-d uniform");
        let y = random::normal(0.0, 1.0, &shape, chunks, 4).unwrap();
        check(&y, "2-d normal");
        let z = (&x + &y).compute().unwrap();
        match &reference {
            Some(r) => assert_eq!(bits(r), bits(&z)),
            None => reference = Some(z),
        }
    }
}

#[test]
fn a_broadcast_or_rechunked_generated_array_still_reads_chunks() {
    let row = random::uniform(0.0, 1.0, &[1, 50], 10, 1).unwrap();
    let m = random::uniform(0.0, 1.0, &[40, 50], vec![8, 10], 2).unwrap();
    let r = row.compute().unwrap();
    let expected = &m.compute().unwrap() + &r;
    assert_eq!((&m + &row).compute().unwrap(), expected);
    let re = m.rechunk(vec![40, 5]).unwrap();
    assert_eq!((&re * 1.0).compute().unwrap(), m.compute().unwrap());
}
