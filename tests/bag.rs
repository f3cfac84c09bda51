//! Bag behaviour that is not a pure equivalence: laziness, fusion (task counts and DOT),
//! failure reporting, argument errors, empty bags, `take`'s partial computation.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chunkflow::Error;
use chunkflow::bag::corpus::Corpus;
use chunkflow::{Bag, Options};
use common::{render_in_process, svg_texts};

/// Options for the synchronous scheduler and a 2-worker threaded one, fusion on.
fn schedulers() -> Vec<Options> {
    vec![
        Options::new().synchronous(),
        Options::new().threads(2).unwrap(),
    ]
}

/// A bag of `0..n` in `parts` partitions whose generator counts its calls.
fn counted(n: usize, parts: usize) -> (Bag<usize>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let per = n.div_ceil(parts);
    let bag = Bag::from_fn(parts, move |i| {
        c.fetch_add(1, Ordering::SeqCst);
        (i * per..((i + 1) * per).min(n)).collect()
    })
    .unwrap();
    (bag, calls)
}

#[test]
fn building_runs_no_user_code_and_compute_runs_each_partition_once() {
    let (bag, calls) = counted(100, 7);
    let mapped = Arc::new(AtomicUsize::new(0));
    let m = mapped.clone();
    let b = bag
        .map(move |x| {
            m.fetch_add(1, Ordering::SeqCst);
            x * 2
        })
        .filter(|x| x % 3 == 0);
    let total = b.sum();
    let _ = b.frequencies();
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(mapped.load(Ordering::SeqCst), 0);
    let expected: usize = (0..100).map(|x| x * 2).filter(|x| x % 3 == 0).sum();
    assert_eq!(total.compute().unwrap(), expected);
    assert_eq!(calls.load(Ordering::SeqCst), 7);
    assert_eq!(mapped.load(Ordering::SeqCst), 100);
}

#[test]
fn bag_handles_are_send_sync_and_cheap_clones() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Bag<String>>();
    check::<chunkflow::bag::Item<u64>>();
    let b = Bag::range(10, 2).unwrap().map(|x| x + 1);
    let c = b.clone();
    let handle = std::thread::spawn(move || c.count().compute().unwrap());
    assert_eq!(handle.join().unwrap(), 10);
}

#[test]
fn a_fused_chain_of_k_ops_over_n_partitions_is_n_tasks() {
    let n = 6;
    let b = Bag::range(60, n)
        .unwrap()
        .map(|x| x + 1)
        .filter(|x| x % 2 == 0)
        .flat_map(|x| [x, x])
        .map(|x| x * 3);
    let (fused, keys) = b.lower(&Options::default()).unwrap();
    // n source tasks (from_fn) plus n fused tasks, instead of n + 4n.
    assert_eq!(fused.compile(&keys).unwrap().len(), 2 * n);
    let (unfused, keys) = b.lower(&Options::default().fuse(false)).unwrap();
    assert_eq!(unfused.compile(&keys).unwrap().len(), n + 4 * n);
    // A chain feeding an aggregation fuses into the aggregation's per-partition tasks.
    let (g, key) = b.count().lower(&Options::default()).unwrap();
    assert_eq!(g.compile(&[key]).unwrap().len(), 2 * n + 1);
}

#[test]
fn dot_shows_the_chain_before_fusion_and_one_node_per_partition_after() {
    let b = Bag::range(20, 3)
        .unwrap()
        .map(|x| x + 1)
        .filter(|x| x % 2 == 0)
        .flat_map(|x| [x, x + 1]);
    let before = b.to_dot_unoptimized().unwrap();
    for stage in ["map", "filter", "flat_map"] {
        let node = format!("[label=\"{stage}\", shape=circle]");
        assert_eq!(before.matches(&node).count(), 3, "{stage} in {before}");
    }
    assert!(!before.contains("map|filter"));
    let after = b.to_dot().unwrap();
    let fused = "[label=\"map|filter|flat_map\", shape=circle]";
    assert_eq!(after.matches(fused).count(), 3, "{after}");
    assert!(!after.contains("[label=\"filter\""));
    let texts = svg_texts(&render_in_process(&after));
    assert_eq!(
        texts.iter().filter(|t| *t == "map|filter|flat_map").count(),
        3,
        "{texts:?}"
    );
    let texts = svg_texts(&render_in_process(&before));
    assert_eq!(
        texts.iter().filter(|t| *t == "filter").count(),
        3,
        "{texts:?}"
    );
    assert_eq!(
        svg_texts(&b.to_svg().unwrap()),
        svg_texts(&render_in_process(&after))
    );
    #[cfg(feature = "graphviz")]
    for dot in [&before, &after] {
        let svg = common::render_with_graphviz(dot);
        assert!(svg.contains("<svg"));
    }
    #[cfg(feature = "graphviz")]
    assert!(
        svg_texts(&common::render_with_graphviz(&after))
            .iter()
            .any(|t| t == "map|filter|flat_map")
    );
}

#[test]
fn fused_and_unfused_give_identical_results() {
    let b = Bag::from_vec((0..500_i64).collect(), 9)
        .unwrap()
        .map(|x| x * 7 % 101)
        .filter(|x| x % 3 != 0)
        .flat_map(|x| 0..(x % 4));
    for s in schedulers() {
        let fused = b.compute_with(&s).unwrap();
        let unfused = b.compute_with(&s.clone().fuse(false)).unwrap();
        assert_eq!(fused, unfused);
        let f = b.frequencies();
        let mut x = f.compute_with(&s).unwrap();
        let mut y = f.compute_with(&s.clone().fuse(false)).unwrap();
        x.sort();
        y.sort();
        assert_eq!(x, y);
    }
}

#[test]
fn a_panicking_closure_names_the_partition_task() {
    let b = Bag::range(40, 4).unwrap().map(|x| {
        if x == 25 {
            panic!("bad item {x}");
        }
        x
    });
    for s in schedulers() {
        let err = b.compute_with(&s).unwrap_err();
        let Error::TaskFailed { key, cause } = &err else {
            panic!("expected TaskFailed, got {err:?}");
        };
        // Item 25 lives in partition 2; the fused task is named after its stage.
        assert!(key.contains("\"map-") && key.ends_with(", 2)"), "{key}");
        assert_eq!(**cause, Error::Panic("bad item 25".into()));
        // Unfused, the failing task is the map task of partition 2 as well.
        let err = b.compute_with(&s.clone().fuse(false)).unwrap_err();
        assert!(
            err.to_string()
                .contains(", 2) failed: panicked: bad item 25"),
            "{err}"
        );
        // A panic inside a fused chain feeding an aggregation names the partial task.
        let err = b.sum().compute_with(&s).unwrap_err();
        assert!(err.to_string().contains("sum-partial"), "{err}");
        assert_eq!(err.root_cause(), &Error::Panic("bad item 25".into()));
        let err = Bag::range(10, 2)
            .unwrap()
            .foldby(|x| x % 2, |_: u64, _| panic!("binop"), 0, |a, b| a + b, 0)
            .compute_with(&s)
            .unwrap_err();
        assert!(err.to_string().contains("foldby-partial"), "{err}");
    }
    // The shared pool still works after failures.
    assert_eq!(Bag::range(10, 3).unwrap().count().compute().unwrap(), 10);
}

#[test]
fn bad_arguments_are_errors_not_panics() {
    let b = Bag::range(10, 2).unwrap();
    assert!(matches!(
        Bag::<i32>::from_vec(vec![1], 0),
        Err(Error::InvalidArgument(_))
    ));
    assert!(Bag::<i32>::from_partitions(vec![]).is_err());
    assert!(Bag::<i32>::from_vec_sized(vec![1], 0).is_err());
    assert!(Bag::<i32>::from_fn(0, |_| vec![]).is_err());
    assert!(Bag::range(3, 0).is_err());
    assert!(b.repartition(0).is_err());
    assert!(b.groupby_npartitions(0, |x| *x).is_err());
    assert!(b.reduction(|p| p.len(), |xs| xs.iter().sum(), 1).is_err());
    let e = b
        .foldby_split_every(1, |x| *x, |a, _| a + 1, 0, |a, b| a + b, 0)
        .unwrap_err();
    assert!(e.to_string().contains("split_every"), "{e}");
    assert!(Corpus::new(10, 2, 1).bag(10, 0).is_err());
}

#[test]
fn empty_bags() {
    let e = Bag::<i64>::from_vec(vec![], 3).unwrap();
    assert_eq!(e.compute().unwrap(), Vec::<i64>::new());
    assert_eq!(e.count().compute().unwrap(), 0);
    assert_eq!(e.sum().compute().unwrap(), 0);
    for err in [
        e.min().compute().unwrap_err(),
        e.max().compute().unwrap_err(),
    ] {
        assert!(err.to_string().contains("of an empty bag"), "{err}");
    }
    let err = e.mean().compute().unwrap_err();
    assert_eq!(
        err.root_cause(),
        &Error::InvalidArgument("mean of an empty bag".into())
    );
    assert!(e.frequencies().compute().unwrap().is_empty());
    assert!(e.groupby(|x| *x).compute().unwrap().is_empty());
    assert!(e.topk(3, |x| *x).compute().unwrap().is_empty());
    assert!(e.take(5).unwrap().is_empty());
}

#[test]
fn take_computes_only_the_partitions_it_needs() {
    let (bag, calls) = counted(100, 10);
    assert_eq!(bag.take(3).unwrap(), [0, 1, 2]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    calls.store(0, Ordering::SeqCst);
    // 25 items need partitions 0..3: batches [0], [1, 2], [3..7) → 7 partitions at most.
    assert_eq!(
        bag.map(|x| x + 1).take(25).unwrap(),
        (1..26).collect::<Vec<_>>()
    );
    assert!(
        calls.load(Ordering::SeqCst) <= 7,
        "{}",
        calls.load(Ordering::SeqCst)
    );
    assert_eq!(bag.take(1000).unwrap().len(), 100);
}

#[test]
fn topk_breaks_ties_by_position() {
    let b = Bag::from_vec(vec![(1, 'a'), (3, 'b'), (3, 'c'), (2, 'd'), (3, 'e')], 3).unwrap();
    let top = b.topk(3, |p| p.0).compute().unwrap();
    assert_eq!(top, [(3, 'b'), (3, 'c'), (3, 'e')]);
    assert_eq!(b.topk(0, |p| p.0).compute().unwrap(), []);
}

#[test]
fn foldby_applies_dask_semantics_per_partition_then_per_key() {
    // Per partition: binop counts items per key from `initial = 100`; combine sums from 0.
    let b = Bag::from_partitions(vec![vec!["a", "b"], vec!["a"], vec![], vec!["a"]]).unwrap();
    let mut got = b
        .foldby(|w| *w, |n, _| n + 1, 100_u64, |a, b| a + b, 0)
        .compute()
        .unwrap();
    got.sort();
    // "a" appears in 3 partitions: 3 * 100 + 3; "b" in one: 101.
    assert_eq!(got, [("a", 303), ("b", 101)]);
}

#[test]
fn word_count_matches_a_hashmap() {
    let corpus = Corpus::new(500, 10, 3);
    let lines = corpus.lines(0..3000);
    let mut expected: HashMap<String, u64> = HashMap::new();
    for l in &lines {
        for w in l.split_whitespace() {
            *expected.entry(w.to_string()).or_default() += 1;
        }
    }
    let bag = corpus.bag(3000, 170).unwrap();
    let via_ref: HashMap<String, u64> = bag
        .flat_map_ref(|line, emit| line.split_whitespace().for_each(emit))
        .foldby(|n, _| n + 1, 0_u64, |a, b| a + b, 0)
        .compute()
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(via_ref, expected);
    let owned = bag.flat_map(|line: String| {
        line.split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>()
    });
    let via_freq: HashMap<String, u64> =
        owned.frequencies().compute().unwrap().into_iter().collect();
    assert_eq!(via_freq, expected);
    let top = owned
        .frequencies()
        .topk(5, |(w, n)| (*n, std::cmp::Reverse(w.clone())))
        .compute()
        .unwrap();
    let mut sorted: Vec<(String, u64)> = expected.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(top, sorted[..5]);
}

#[test]
fn a_chain_feeding_a_shuffle_runs_each_source_partition_once() {
    let (bag, calls) = counted(50, 5);
    let doubled = bag.map(|x| x * 2);
    let n = doubled.groupby(|x| x % 3).map(|(_, v)| v.len()).sum();
    assert_eq!(n.compute().unwrap(), 50);
    assert_eq!(calls.load(Ordering::SeqCst), 5);
}
