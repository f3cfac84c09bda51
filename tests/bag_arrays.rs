//! One `bag::compute` over bags, items and arrays together (issue 19, Dask's
//! `dask.compute(bag_result, array_result)`): the values equal those of computing each output
//! alone and of plain iterators, for any partitioning; a bag node that a bag output and an
//! array (through `Bag::to_array`) both read runs once; errors in any output are `Error`s.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chunkflow::{Array, Bag, Error, Options};
use proptest::prelude::*;

fn options() -> [Options; 3] {
    [
        Options::default(),
        Options::new().synchronous(),
        Options::new().synchronous().fuse(false),
    ]
}

fn counts(xs: &[i64]) -> HashMap<i64, u64> {
    let mut m = HashMap::new();
    for &x in xs {
        *m.entry(x).or_insert(0) += 1;
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn mixed_outputs_equal_each_alone_and_plain_iterators(
        xs in proptest::collection::vec(-20i64..20, 1..150),
        parts in 1usize..7,
        reparts in 1usize..5,
        materialise in any::<bool>(),
    ) {
        let base = Bag::from_vec(xs.clone(), parts).unwrap().map(|x| x * 3);
        let bag = if materialise { base.repartition(reparts).unwrap() } else { base };
        let odd = bag.filter(|x| x % 2 != 0);
        let x = bag.map(|v| v as f64).to_array();
        let y = odd.to_array();
        let tripled: Vec<i64> = xs.iter().map(|x| x * 3).collect();
        let odd_eager: Vec<i64> = tripled.iter().copied().filter(|x| x % 2 != 0).collect();
        let mean = tripled.iter().sum::<i64>() as f64 / tripled.len() as f64;
        for o in options() {
            let (items, n, freq, xsum, xmean, yall, x2) = chunkflow::bag::compute_with(
                (&bag, &bag.count(), &odd.frequencies(), &x.sum(), &x.mean(), &y, &(&x * 2.0)),
                &o,
            ).unwrap();
            prop_assert_eq!(&items, &tripled);
            prop_assert_eq!(n, tripled.len() as u64);
            prop_assert_eq!(freq.into_iter().collect::<HashMap<_, _>>(), counts(&odd_eager));
            prop_assert_eq!(xsum.first().copied(), Some(tripled.iter().sum::<i64>() as f64));
            prop_assert!((xmean.first().unwrap() - mean).abs() < 1e-9);
            prop_assert_eq!(yall.as_slice().unwrap(), &odd_eager[..]);
            let doubled: Vec<f64> = tripled.iter().map(|&v| v as f64 * 2.0).collect();
            prop_assert_eq!(x2.as_slice().unwrap(), &doubled[..]);
            // Each alone.
            prop_assert_eq!(bag.compute_with(&o).unwrap(), items);
            prop_assert_eq!(x.sum().scalar().unwrap(), xsum.first().copied().unwrap());
            prop_assert_eq!(y.compute_with(&o).unwrap(), yall);
        }
    }
}

#[test]
fn the_issue_example_words_frequencies_count_and_mean_length() {
    let text = [
        "the quick brown fox",
        "",
        "jumps over the lazy dog",
        "the end",
    ];
    let words = Bag::from_vec(text.to_vec(), 3)
        .unwrap()
        .flat_map(|line| line.split_whitespace().collect::<Vec<_>>());
    let lengths = words.map(|w| w.len() as f64).to_array();
    let (freq, n, mean) =
        chunkflow::bag::compute((&words.frequencies(), &words.count(), &lengths.mean())).unwrap();
    let all: Vec<&str> = text.iter().flat_map(|l| l.split_whitespace()).collect();
    let freq: HashMap<&str, u64> = freq.into_iter().collect();
    assert_eq!(freq["the"], 3);
    assert_eq!(freq.values().sum::<u64>(), all.len() as u64);
    assert_eq!(n, all.len() as u64);
    let eager = all.iter().map(|w| w.len()).sum::<usize>() as f64 / all.len() as f64;
    assert!((mean.first().unwrap() - eager).abs() < 1e-12);
    // The root name is the same function.
    let (n2, mean2) = chunkflow::compute_all((&words.count(), &lengths.mean())).unwrap();
    assert_eq!((n2, mean2), (n, mean));
}

#[test]
fn arrays_only_through_bag_compute_equal_chunkflow_compute() {
    let a = Array::<f64>::from_fn(&[6, 4], [3, 2], |i| (i[0] * 4 + i[1]) as f64).unwrap();
    let m = a.mean_axis(0).unwrap();
    let s = a.sum();
    let (m1, s1) = chunkflow::compute((&m, &s)).unwrap();
    let (m2, s2) = chunkflow::bag::compute((&m, &s)).unwrap();
    assert_eq!((m1, s1), (m2, s2));
    // The same array twice, and an array next to an unrelated bag.
    let (x, y, n) = chunkflow::bag::compute((&a, &a, &Bag::range(5, 2).unwrap().count())).unwrap();
    assert_eq!(x, y);
    assert_eq!((x.shape(), n), (&[6, 4][..], 5));
}

/// A bag of `n` items whose map counts its calls in `calls`.
fn counted(n: u64, parts: usize, calls: &'static AtomicUsize) -> Bag<u64> {
    Bag::range(n, parts).unwrap().map(move |x| {
        calls.fetch_add(1, Ordering::Relaxed);
        x
    })
}

#[test]
fn a_materialised_bag_read_by_a_bag_output_and_an_array_runs_once() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let shared = counted(100, 4, &CALLS).repartition(3).unwrap();
    let x = shared.map(|v| v as f64).to_array();
    for o in options() {
        CALLS.store(0, Ordering::Relaxed);
        let (n, total, sum, items) =
            chunkflow::bag::compute_with((&shared.count(), &shared.sum(), &x.sum(), &x), &o)
                .unwrap();
        assert_eq!((n, total, sum.first().copied()), (100, 4950, Some(4950.0)));
        assert_eq!(items.len(), 100);
        assert_eq!(CALLS.load(Ordering::Relaxed), 100, "once per item");
    }
    // Computed apart, each output runs the bag again.
    CALLS.store(0, Ordering::Relaxed);
    shared.count().compute().unwrap();
    x.sum().scalar().unwrap();
    assert_eq!(CALLS.load(Ordering::Relaxed), 200);
}

#[test]
fn a_fused_chain_is_shared_with_fusion_off_and_streamed_per_consumer_with_it_on() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let b = counted(60, 3, &CALLS);
    let x = b.map(|v| v as f64).to_array();
    // Fusion off: the map stage is a task per partition, read by both outputs.
    let (s, m) =
        chunkflow::bag::compute_with((&b.sum(), &x.mean()), &Options::new().fuse(false)).unwrap();
    assert_eq!((s, m.first().copied()), (1770, Some(29.5)));
    assert_eq!(CALLS.load(Ordering::Relaxed), 60);
    // Fusion on (the default): each consumer streams the chain from the shared range
    // partitions, so the map runs once per item per consumer.
    CALLS.store(0, Ordering::Relaxed);
    let (s, m) = chunkflow::bag::compute((&b.sum(), &x.mean())).unwrap();
    assert_eq!((s, m.first().copied()), (1770, Some(29.5)));
    assert_eq!(CALLS.load(Ordering::Relaxed), 120);
    // A persisted bag ran when persisted, never again.
    CALLS.store(0, Ordering::Relaxed);
    let p = b.persist().unwrap();
    assert_eq!(CALLS.load(Ordering::Relaxed), 60);
    let px = p.map(|v| v as f64).to_array();
    let (all, n, sum) = chunkflow::bag::compute((&p, &p.count(), &px.sum())).unwrap();
    assert_eq!((all.len(), n, sum.first().copied()), (60, 60, Some(1770.0)));
    assert_eq!(CALLS.load(Ordering::Relaxed), 60);
}

#[test]
fn two_arrays_over_one_bag_and_the_bag_itself_run_it_once() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let shared = counted(40, 4, &CALLS).repartition(2).unwrap();
    let x = shared.map(|v| v as i64).to_array();
    let y = shared.map(|v| v as i64 * 10).to_array();
    let (sum, items) = chunkflow::bag::compute((&(&x + &y).sum(), &shared)).unwrap();
    assert_eq!(sum.first().copied(), Some(11 * 780));
    assert_eq!(items, (0..40).collect::<Vec<u64>>());
    assert_eq!(CALLS.load(Ordering::Relaxed), 40);
}

#[test]
fn a_panicking_closure_in_any_output_is_an_error() {
    let b = Bag::range(20, 3).unwrap();
    let bad = b.map(|v| {
        if v == 13 {
            panic!("thirteen")
        } else {
            v as f64
        }
    });
    // The panic in the array's bag.
    let err = chunkflow::bag::compute((&b.count(), &bad.to_array().sum())).unwrap_err();
    assert!(matches!(err, Error::TaskFailed { .. }), "{err}");
    assert!(format!("{err:?}").contains("thirteen"), "{err:?}");
    // The panic in the bag output, next to a healthy array.
    let err = chunkflow::bag::compute((&bad.sum(), &b.to_array().sum())).unwrap_err();
    assert!(matches!(err, Error::TaskFailed { .. }), "{err}");
    // The scheduler is usable afterwards.
    let (n, s) = chunkflow::bag::compute((&b.count(), &b.to_array().sum())).unwrap();
    assert_eq!((n, s.first().copied()), (20, Some(190)));
}

#[test]
fn an_array_needing_unknown_chunk_sizes_is_an_error_before_anything_runs() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let b = counted(10, 2, &CALLS);
    let x = b.map(|v| v as f64).to_array();
    // argmin needs the chunk sizes (global positions): a poisoned array, an error at compute.
    let err = chunkflow::bag::compute((&b.count(), &x.argmin())).unwrap_err();
    assert!(matches!(err, Error::UnknownChunkSizes { .. }), "{err}");
    let known = Array::<f64>::zeros(&[4], 2).unwrap();
    // Adding a known array: the bag array's length bound (0) does not broadcast with 4.
    let err = chunkflow::bag::compute((&(&x + &known), &b)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnknownChunkSizes { .. } | Error::ShapeMismatch(_)
        ),
        "{err}"
    );
    assert_eq!(CALLS.load(Ordering::Relaxed), 0, "nothing ran");
    // With the sizes computed, the same works.
    let known_x = x.compute_chunk_sizes().unwrap();
    let (n, i) = chunkflow::bag::compute((&b.count(), &known_x.argmin())).unwrap();
    assert_eq!((n, i.first().copied()), (10, Some(0)));
}

#[test]
fn empty_bags_give_empty_results() {
    let empty = Bag::<i64>::from_vec(vec![], 3).unwrap();
    let filtered = Bag::range(10, 2)
        .unwrap()
        .filter(|_| false)
        .map(|v| v as f64);
    for o in options() {
        let (items, n, freq, x, s, fx) = chunkflow::bag::compute_with(
            (
                &empty,
                &empty.count(),
                &empty.frequencies(),
                &empty.to_array(),
                &empty.to_array().sum(),
                &filtered.to_array(),
            ),
            &o,
        )
        .unwrap();
        assert!(items.is_empty() && freq.is_empty() && x.is_empty() && fx.is_empty());
        assert_eq!((n, s.first().copied()), (0, Some(0)));
        assert_eq!(x.shape(), &[0]);
    }
    // An empty bag's mean is an error in the bag output, not a panic.
    let r = chunkflow::bag::compute((&empty.mean(), &empty.to_array().sum()));
    assert!(r.is_err() || r.unwrap().0.is_nan());
    // The max of an array whose partitions all came out empty has no value: an error when
    // it runs (its size was unknown when it was built).
    let err = chunkflow::bag::compute((&empty.count(), &filtered.to_array().max())).unwrap_err();
    assert!(matches!(err, Error::TaskFailed { .. }), "{err}");
    assert!(err.to_string().contains("zero-size array"), "{err}");
}

#[test]
fn min_and_max_of_a_bag_array_need_no_chunk_sizes() {
    let b = Bag::from_partitions(vec![vec![3i64, -2], vec![], vec![7]]).unwrap();
    let x = b.to_array();
    let (lo, hi, n) = chunkflow::bag::compute((&x.min(), &x.max(), &b.count())).unwrap();
    assert_eq!((lo.first(), hi.first(), n), (Some(&-2), Some(&7), 3));
    assert_eq!(x.max().scalar().unwrap(), 7);
}

#[test]
fn options_are_respected_threads_progress_and_report() {
    let b = Bag::range(30, 3).unwrap().repartition(2).unwrap();
    let x = b.map(|v| v as f64).to_array();
    let dir = std::env::temp_dir().join(format!("chunkflow-bagarr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.html");
    let o = Options::new()
        .threads(2)
        .unwrap()
        .progress(false)
        .report(&report);
    let (n, s) = chunkflow::bag::compute_with((&b.count(), &x.sum()), &o).unwrap();
    assert_eq!((n, s.first().copied()), (30, Some(435.0)));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(!html.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn text_files_word_frequencies_count_and_mean_length_in_one_run() {
    use chunkflow::bag::corpus::Corpus;
    let dir = std::env::temp_dir().join(format!("chunkflow-bagarr-text-{}", std::process::id()));
    let corpus = Corpus::new(200, 6, 3);
    let paths = corpus.write_files(&dir, 500, 4).unwrap();
    let words = chunkflow::io::text::ReadText::new(paths)
        .blocksize(2000)
        .lines()
        .unwrap()
        .flat_map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>());
    let lengths = words.map(|w| w.len() as f64).to_array();
    for o in options() {
        let (freq, n, mean) = chunkflow::bag::compute_with(
            (&words.frequencies(), &words.count(), &lengths.mean()),
            &o,
        )
        .unwrap();
        let all: Vec<String> = (0..500)
            .flat_map(|i| {
                corpus
                    .line(i)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut eager: HashMap<String, u64> = HashMap::new();
        for w in &all {
            *eager.entry(w.clone()).or_insert(0) += 1;
        }
        assert_eq!(freq.into_iter().collect::<HashMap<_, _>>(), eager);
        assert_eq!(n, 3000);
        let m = all.iter().map(|w| w.len()).sum::<usize>() as f64 / all.len() as f64;
        assert!((mean.first().unwrap() - m).abs() < 1e-9);
    }
    std::fs::remove_dir_all(&dir).ok();
}
