//! The rest of dask.bag (issue 19): var/std, any/all, zip, concat, join, product,
//! accumulate, random_sample, starmap, pluck_key, try_map, persist and bag::compute, each
//! checked against the same computation on a plain iterator, for any partitioning.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chunkflow::{Bag, Error, Options};
use proptest::prelude::*;

fn eager_var(xs: &[f64], ddof: usize) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - ddof as f64)
}

fn options() -> [Options; 2] {
    [Options::default(), Options::new().synchronous().fuse(false)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn aggregations_match_iterators(
        xs in proptest::collection::vec(-1e3f64..1e3, 0..200),
        parts in 1usize..12,
        ddof in 0usize..3,
    ) {
        let bag = Bag::from_vec(xs.clone(), parts).unwrap();
        for opts in options() {
            let var = bag.var(ddof).compute_with(&opts);
            if xs.len() > ddof {
                let (got, want) = (var.unwrap(), eager_var(&xs, ddof));
                prop_assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{} {}", got, want);
                let std = bag.std(ddof).compute_with(&opts).unwrap();
                prop_assert!((std - want.sqrt()).abs() <= 1e-9 * want.sqrt().max(1.0));
            } else {
                prop_assert!(matches!(var.unwrap_err().root_cause(), Error::InvalidArgument(_)));
            }
            prop_assert_eq!(bag.any(|x| *x > 900.0).compute_with(&opts).unwrap(), xs.iter().any(|x| *x > 900.0));
            prop_assert_eq!(bag.all(|x| *x > -900.0).compute_with(&opts).unwrap(), xs.iter().all(|x| *x > -900.0));
            prop_assert_eq!(bag.count().compute_with(&opts).unwrap(), xs.len() as u64);
        }
    }

    #[test]
    fn sequence_ops_match_iterators(
        xs in proptest::collection::vec(0i64..100, 0..120),
        parts in 1usize..10,
        other_parts in 1usize..4,
        ys in proptest::collection::vec(0i64..100, 0..8),
    ) {
        let bag = Bag::from_vec(xs.clone(), parts).unwrap();
        let other = Bag::from_vec(ys.clone(), other_parts).unwrap();
        for opts in options() {
            // accumulate, with and without an initial value
            let running: Vec<i64> = xs.iter().scan(0, |acc, x| { *acc += x; Some(*acc) }).collect();
            prop_assert_eq!(bag.accumulate(|a, b| a + b).compute_with(&opts).unwrap(), running.clone());
            let mut from = vec![5];
            from.extend(running.iter().map(|r| r + 5));
            prop_assert_eq!(bag.accumulate_from(5, |a, b| a + b).compute_with(&opts).unwrap(), from);
            // concat and zip
            let both = Bag::concat(&[bag.clone(), other.clone(), bag.map(|x| -x)]).unwrap();
            let mut want = xs.clone();
            want.extend(&ys);
            want.extend(xs.iter().map(|x| -x));
            prop_assert_eq!(both.npartitions(), 2 * parts + other_parts);
            prop_assert_eq!(both.compute_with(&opts).unwrap(), want);
            let zipped = bag.zip(&bag.map(|x| x * 2)).unwrap().starmap(|a, b| a + b);
            prop_assert_eq!(zipped.compute_with(&opts).unwrap(), xs.iter().map(|x| 3 * x).collect::<Vec<_>>());
            // product
            let prod = bag.product(&other);
            prop_assert_eq!(prod.npartitions(), parts * other_parts);
            let mut got = prod.compute_with(&opts).unwrap();
            let mut want: Vec<(i64, i64)> = xs.iter().flat_map(|x| ys.iter().map(move |y| (*x, *y))).collect();
            got.sort();
            want.sort();
            prop_assert_eq!(got, want);
            // join against a small table: (row, item), rows in table order
            let table: Vec<(i64, &str)> = vec![(1, "one"), (2, "two"), (1, "uno")];
            let joined = bag.map(|x| x % 4).join(table.clone(), |x| *x, |r| r.0);
            let want: Vec<((i64, &str), i64)> = xs
                .iter()
                .map(|x| x % 4)
                .flat_map(|x| table.iter().filter(move |r| r.0 == x).map(move |r| (*r, x)))
                .collect();
            prop_assert_eq!(joined.compute_with(&opts).unwrap(), want);
        }
    }

    /// The sample depends on the seed and the items' positions only, not on the partitioning,
    /// and it is a subsequence.
    #[test]
    fn random_sample_is_reproducible_for_any_partitioning(
        n in 0u64..2000,
        a in 1usize..20,
        b in 1usize..20,
        prob in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) {
        let one = Bag::range(n, a).unwrap().random_sample(prob, seed).unwrap().compute().unwrap();
        let two = Bag::range(n, b).unwrap().random_sample(prob, seed).unwrap();
        prop_assert_eq!(&one, &two.compute_with(&Options::new().synchronous().fuse(false)).unwrap());
        prop_assert!(one.windows(2).all(|w| w[0] < w[1]));
    }
}

#[test]
fn random_sample_rate_and_edges() {
    let n = 100_000;
    let kept = Bag::range(n, 7)
        .unwrap()
        .random_sample(0.3, 1)
        .unwrap()
        .count()
        .compute()
        .unwrap();
    assert!((kept as f64 / n as f64 - 0.3).abs() < 0.01, "{kept}");
    let b = Bag::range(100, 3).unwrap();
    assert_eq!(
        b.random_sample(0.0, 9).unwrap().count().compute().unwrap(),
        0
    );
    assert_eq!(
        b.random_sample(1.0, 9).unwrap().count().compute().unwrap(),
        100
    );
    assert_ne!(
        b.random_sample(0.5, 1).unwrap().compute().unwrap(),
        b.random_sample(0.5, 2).unwrap().compute().unwrap()
    );
    assert!(b.random_sample(f64::NAN, 0).is_err());
}

#[test]
fn zip_checks_partition_lengths() {
    let a = Bag::from_partitions(vec![vec![1, 2], vec![3]]).unwrap();
    let b = Bag::from_partitions(vec![vec![1], vec![2, 3]]).unwrap();
    let err = a.zip(&b).unwrap().compute().unwrap_err();
    // Both partitions mismatch and run in parallel: either may be the one reported.
    let msg = err.to_string();
    assert!(
        msg.contains("partition 0 has 2 items in one bag and 1 in the other")
            || msg.contains("partition 1 has 1 items in one bag and 2 in the other"),
        "{msg}"
    );
    assert!(Bag::<i32>::concat(&[]).is_err());
}

#[test]
fn accumulate_carries_across_empty_partitions() {
    let b = Bag::from_partitions(vec![vec![], vec![1, 2], vec![], vec![], vec![3]]).unwrap();
    assert_eq!(
        b.accumulate(|a, x| a * 10 + x).compute().unwrap(),
        [1, 12, 123]
    );
    assert_eq!(
        b.accumulate_from(9, |a, x| a + x).compute().unwrap(),
        [9, 10, 12, 15]
    );
    let empty = Bag::<i32>::from_vec(vec![], 3).unwrap();
    assert!(empty.accumulate(|a, x| a + x).compute().unwrap().is_empty());
    assert_eq!(
        empty.accumulate_from(0, |a, x| a + x).compute().unwrap(),
        [0]
    );
}

#[test]
fn pluck_key_and_try_map_fail_with_clear_errors() {
    let rows = vec![
        HashMap::from([("a".to_string(), 1), ("b".to_string(), 2)]),
        HashMap::from([("a".to_string(), 3)]),
    ];
    let b = Bag::from_vec(rows, 2).unwrap();
    assert_eq!(b.pluck_key("a".to_string()).compute().unwrap(), [1, 3]);
    assert_eq!(
        b.pluck_key_or("b".to_string(), 0).compute().unwrap(),
        [2, 0]
    );
    let err = b.pluck_key("b".to_string()).compute().unwrap_err();
    assert!(matches!(err, Error::TaskFailed { .. }));
    assert!(
        err.root_cause().to_string().contains("no field \"b\""),
        "{err}"
    );
    let arrays = Bag::from_vec(vec![[1, 2, 3], [4, 5, 6]], 1).unwrap();
    assert_eq!(arrays.pluck_key(2).sum().compute().unwrap(), 9);
    // try_map: the first error is the run's error, fused or not.
    let parsed = Bag::from_vec(vec!["1", "2", "x", "4"], 2)
        .unwrap()
        .try_map(|s| {
            s.parse::<i32>()
                .map_err(|_| Error::user(format!("not a number: {s}")))
        });
    for opts in options() {
        let err = parsed.sum().compute_with(&opts).unwrap_err();
        assert_eq!(err.root_cause(), &Error::user("not a number: x"));
    }
}

#[test]
fn persist_and_compute_share_work() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let b = Bag::range(100, 4).unwrap().map(|x| {
        CALLS.fetch_add(1, Ordering::Relaxed);
        x
    });
    let p = b.persist().unwrap();
    assert_eq!(CALLS.load(Ordering::Relaxed), 100);
    let (items, total, mean) = chunkflow::bag::compute((&p, &p.sum(), &p.mean())).unwrap();
    assert_eq!((items.len(), total, mean), (100, 4950, 49.5));
    assert_eq!(CALLS.load(Ordering::Relaxed), 100);
    // With fusion off the map stage is a task of its own, shared by both outputs.
    let unfused = Options::new().fuse(false);
    let (n, s) = chunkflow::bag::compute_with((&b.count(), &b.sum()), &unfused).unwrap();
    assert_eq!((n, s), (100, 4950));
    assert_eq!(CALLS.load(Ordering::Relaxed), 200);
    // The same bag twice.
    let (x, y) = chunkflow::bag::compute((&p, &p)).unwrap();
    assert_eq!(x, y);
}

#[test]
fn var_keeps_precision_with_a_large_offset() {
    // Sum-of-squares formulas (Dask's bag) lose all digits here; Chan's merge keeps them.
    let xs: Vec<f64> = (0..10_000).map(|i| 1e9 + (i % 10) as f64).collect();
    let got = Bag::from_vec(xs.clone(), 16)
        .unwrap()
        .var(0)
        .compute()
        .unwrap();
    assert!((got - 8.25).abs() < 1e-6, "{got}");
}

#[test]
fn new_operations_lower_to_one_key_per_partition() {
    let a = Bag::range(20, 3).unwrap();
    let b = Bag::range(20, 3).unwrap().map(|x| x + 1);
    let bags: Vec<(&str, usize, Bag<u64>)> = vec![
        ("concat", 6, Bag::concat(&[a.clone(), b.clone()]).unwrap()),
        ("zip", 3, a.zip(&b).unwrap().starmap(|x, y| x + y)),
        ("product", 9, a.product(&b).map(|(x, y)| x * y)),
        ("accumulate", 3, b.accumulate(|x, y| x + y)),
        ("accumulate_from", 3, b.accumulate_from(0, |x, y| x + y)),
        ("random_sample", 3, b.random_sample(0.5, 1).unwrap()),
        ("persist", 3, b.persist().unwrap()),
        ("try_map", 3, b.try_map(Ok)),
    ];
    for (name, n, bag) in bags {
        assert_eq!(bag.npartitions(), n, "{name}");
        for opts in options() {
            let (graph, keys) = bag.lower(&opts).unwrap();
            assert_eq!(keys.len(), n, "{name}");
            assert!(!graph.compile(&keys).unwrap().is_empty(), "{name}");
        }
    }
}
