//! The hand-built task graph: typed helpers, validation errors, culling, DOT export.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chunkflow::Error;
use chunkflow::graph::{FnKernel, Key, Task, TaskGraph, Value};
use chunkflow::scheduler::{Scheduler, Synchronous, Threaded};
use common::{render_in_process, svg_texts};

fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![Box::new(Synchronous), Box::new(Threaded::new(2).unwrap())]
}

#[test]
fn dask_style_dict_graph_adds_two_and_two() {
    let mut g = TaskGraph::new();
    g.literal("a", 2_i64).unwrap();
    g.literal("b", 2_i64).unwrap();
    g.insert(
        "result",
        Task::map2("add", |a: &i64, b: &i64| a + b, "a", "b"),
    )
    .unwrap();
    for s in schedulers() {
        assert_eq!(g.get::<i64>(s.as_ref(), "result").unwrap(), 4);
    }
}

#[test]
fn wrong_value_type_is_a_type_mismatch_naming_the_key() {
    let mut g = TaskGraph::new();
    g.literal("a", "two").unwrap();
    g.insert("b", Task::map1("neg", |a: &i64| -a, "a")).unwrap();
    let err = g.get::<i64>(&Synchronous, "b").unwrap_err();
    assert_eq!(
        err,
        Error::TaskFailed {
            key: "b".into(),
            cause: Box::new(Error::TypeMismatch {
                key: "a".into(),
                expected: "i64",
                found: "&str"
            })
        }
    );
    // Reading an output as the wrong type is an error too.
    g.literal("c", 1_u8).unwrap();
    assert!(matches!(
        g.get::<String>(&Synchronous, "c"),
        Err(Error::TypeMismatch { .. })
    ));
}

#[test]
fn duplicate_missing_and_cyclic_keys_are_distinct_errors() {
    let mut g = TaskGraph::new();
    g.literal("a", 1_i64).unwrap();
    assert_eq!(
        g.literal("a", 2_i64).unwrap_err(),
        Error::DuplicateKey("a".into())
    );

    g.insert(
        "b",
        Task::map2("add", |a: &i64, b: &i64| a + b, "a", "ghost"),
    )
    .unwrap();
    assert_eq!(
        g.get::<i64>(&Synchronous, "b").unwrap_err(),
        Error::MissingKey {
            missing: "ghost".into(),
            needed_by: "b".into()
        }
    );

    g.insert(("x", [0]), Task::map1("inc", |v: &i64| v + 1, ("x", [1])))
        .unwrap();
    g.insert(("x", [1]), Task::map1("inc", |v: &i64| v + 1, ("x", [0])))
        .unwrap();
    let err = g
        .get::<i64>(&Threaded::new(2).unwrap(), ("x", [0]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cycle in the task graph: (\"x\", 0) -> (\"x\", 1) -> (\"x\", 0)"
    );
}

#[test]
fn tasks_the_outputs_do_not_need_never_run() {
    let runs = Arc::new(AtomicUsize::new(0));
    let mut g = TaskGraph::new();
    for i in 0..10 {
        let runs = runs.clone();
        let kernel = FnKernel::new("make", move |_| {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok(Value::new(i as i64))
        });
        g.insert(("leaf", [i]), Task::call(kernel, vec![])).unwrap();
    }
    let sum = |xs: &[&i64]| xs.iter().copied().sum::<i64>();
    g.insert(
        "first_three",
        Task::map_many("sum", sum, (0..3).map(|i| Key::chunk("leaf", &[i]))),
    )
    .unwrap();
    g.insert(
        "all",
        Task::map_many("sum", sum, (0..10).map(|i| Key::chunk("leaf", &[i]))),
    )
    .unwrap();
    for s in schedulers() {
        runs.store(0, Ordering::SeqCst);
        assert_eq!(g.get::<i64>(s.as_ref(), "first_three").unwrap(), 3);
        assert_eq!(runs.load(Ordering::SeqCst), 3, "{}", s.name());
    }
}

#[test]
fn outputs_computed_together_share_their_common_tasks() {
    let runs = Arc::new(AtomicUsize::new(0));
    let mut g = TaskGraph::new();
    let counted = runs.clone();
    let kernel = FnKernel::new("load", move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        Ok(Value::new(10_i64))
    });
    g.insert("data", Task::call(kernel, vec![])).unwrap();
    g.insert("double", Task::map1("double", |x: &i64| 2 * x, "data"))
        .unwrap();
    g.insert("square", Task::map1("square", |x: &i64| x * x, "data"))
        .unwrap();
    for s in schedulers() {
        runs.store(0, Ordering::SeqCst);
        let out = g
            .compute(
                s.as_ref(),
                &["double".into(), "square".into(), "data".into()],
            )
            .unwrap();
        let ints: Vec<i64> = out
            .iter()
            .map(|v| *v.downcast_ref::<i64>().unwrap())
            .collect();
        assert_eq!(ints, [20, 100, 10]);
        assert_eq!(runs.load(Ordering::SeqCst), 1, "{}", s.name());
    }
}

#[test]
fn dot_export_renders_to_svg() {
    let mut g = TaskGraph::new();
    g.literal("a", 2_i64).unwrap();
    g.literal("b", 2_i64).unwrap();
    g.insert(
        "result",
        Task::map2("add", |a: &i64, b: &i64| a + b, "a", "b"),
    )
    .unwrap();
    g.insert(
        ("sq \"quoted\"", [0, 1]),
        Task::map1("square", |x: &i64| x * x, "result"),
    )
    .unwrap();
    let dot = g.to_dot();
    assert!(dot.contains("[label=\"add\", shape=circle]"));
    assert!(dot.contains("[label=\"result\", shape=box]"));
    assert!(dot.contains(r#"[label="(\"sq \\\"quoted\\\"\", 0, 1)", shape=box]"#));

    let texts = svg_texts(&render_in_process(&dot));
    assert!(texts.iter().any(|t| t == "add"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t == "(\"sq \\\"quoted\\\"\", 0, 1)"),
        "{texts:?}"
    );
    #[cfg(feature = "graphviz")]
    {
        let svg = common::render_with_graphviz(&dot);
        assert!(svg_texts(&svg).iter().any(|t| t == "add"), "{svg}");
    }
}

#[test]
fn large_graphs_are_drawn_one_node_per_operation() {
    let x = chunkflow::Array::<f64>::ones(&[600], 1).unwrap();
    let y = (&x * 2.0).sum();
    let texts = svg_texts(&y.to_svg().unwrap());
    // 600 partials, combine levels and one aggregate: a handful of nodes, with counts.
    assert!(
        texts.iter().any(|t| t == "fused: sum((a * 2)) ×600"),
        "{texts:?}"
    );
    // The constant source is generated inside the fused tasks: no task of its own.
    assert!(!texts.iter().any(|t| t.starts_with("full")), "{texts:?}");
    assert!(texts.len() < 20, "{texts:?}");
    // Small graphs stay one node per task.
    let small = (&chunkflow::Array::<f64>::ones(&[4], 1).unwrap() * 2.0).sum();
    let texts = svg_texts(&small.to_svg().unwrap());
    assert_eq!(
        texts.iter().filter(|t| *t == "fused: sum((a * 2))").count(),
        4,
        "{texts:?}"
    );
}
