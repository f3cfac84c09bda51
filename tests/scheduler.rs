//! The schedulers: failure handling, freeing values on last use, events, reuse after errors.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use chunkflow::Error;
use chunkflow::graph::{FnKernel, Key, Task, TaskGraph, Value};
use chunkflow::scheduler::{Observer, Scheduler, Synchronous, TaskFinish, TaskStart, Threaded};
use common::{Counted, LiveCounter};

fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![Box::new(Synchronous), Box::new(Threaded::new(2).unwrap())]
}

fn leaf(i: usize) -> Key {
    Key::chunk("leaf", &[i])
}

/// `n` leaves producing counted values, summed by a binary tree; leaf `fail_at` (if any)
/// fails with `how`. Returns the graph, its root key and the number of leaves that ran.
fn counted_tree(
    n: usize,
    counter: &Arc<LiveCounter>,
    fail_at: Option<(usize, &'static str)>,
) -> (TaskGraph, Key, Arc<AtomicUsize>) {
    let started = Arc::new(AtomicUsize::new(0));
    let mut g = TaskGraph::new();
    for i in 0..n {
        let (counter, started) = (counter.clone(), started.clone());
        let kernel = FnKernel::new("make", move |_| {
            started.fetch_add(1, Ordering::SeqCst);
            match fail_at {
                Some((at, "error")) if at == i => Err(Error::user("leaf exploded")),
                Some((at, _)) if at == i => panic!("leaf {i} panicked"),
                _ => Ok(Value::new(Counted::new(1, &counter))),
            }
        });
        g.insert(leaf(i), Task::call(kernel, vec![])).unwrap();
    }
    let mut level: Vec<Key> = (0..n).map(leaf).collect();
    let mut depth = 0;
    while level.len() > 1 {
        depth += 1;
        let mut next = Vec::new();
        for (j, pair) in level.chunks(2).enumerate() {
            let key = Key::chunk(format!("sum-{depth}"), &[j]);
            let counter = counter.clone();
            let add =
                move |xs: &[&Counted]| Counted::new(xs.iter().map(|x| x.value).sum(), &counter);
            g.insert(key.clone(), Task::map_many("add", add, pair.to_vec()))
                .unwrap();
            next.push(key);
        }
        level = next;
    }
    (g, level.pop().unwrap(), started)
}

#[test]
fn wide_tree_frees_values_on_last_use() {
    // 1024 leaves: a binary tree of depth 10. Depth-first order keeps at most one pending
    // partial per level plus the values of tasks in flight.
    for (s, bound) in [
        (Box::new(Synchronous) as Box<dyn Scheduler>, 12),
        (Box::new(Threaded::new(2).unwrap()), 24),
    ] {
        let counter = Arc::new(LiveCounter::default());
        let (g, root, _) = counted_tree(1024, &counter, None);
        let out = g.compute(s.as_ref(), &[root]).unwrap();
        assert_eq!(out[0].downcast_ref::<Counted>().unwrap().value, 1024);
        assert!(
            counter.peak() <= bound,
            "{}: peak {} live values > bound {bound}",
            s.name(),
            counter.peak()
        );
        drop(out);
        assert_eq!(counter.live(), 0);
    }
}

#[test]
fn long_chain_holds_two_values_at_most() {
    for s in schedulers() {
        let counter = Arc::new(LiveCounter::default());
        let mut g = TaskGraph::new();
        let c = counter.clone();
        let start = FnKernel::new("start", move |_| Ok(Value::new(Counted::new(0, &c))));
        g.insert(("chain", [0]), Task::call(start, vec![])).unwrap();
        for i in 1..10_000 {
            let c = counter.clone();
            let step = move |x: &Counted| Counted::new(x.value + 1, &c);
            g.insert(("chain", [i]), Task::map1("step", step, ("chain", [i - 1])))
                .unwrap();
        }
        let out = g.compute(s.as_ref(), &[("chain", [9_999]).into()]).unwrap();
        assert_eq!(out[0].downcast_ref::<Counted>().unwrap().value, 9_999);
        assert_eq!(counter.peak(), 2, "{}", s.name());
    }
}

#[test]
fn an_error_mid_graph_stops_the_run_frees_values_and_names_the_key() {
    for s in schedulers() {
        let counter = Arc::new(LiveCounter::default());
        // 5,000 leaves + 4,999 adds: about 10,000 tasks; leaf 2,500 fails.
        let (g, root, started) = counted_tree(5_000, &counter, Some((2_500, "error")));
        let err = g.compute(s.as_ref(), &[root]).unwrap_err();
        assert_eq!(
            err,
            Error::TaskFailed {
                key: "(\"leaf\", 2500)".into(),
                cause: Box::new(Error::User("leaf exploded".into()))
            }
        );
        let ran = started.load(Ordering::SeqCst);
        // One thread stops right at the failure. With several workers, the others finish
        // what they run and check the failure flag before each new task, but the failing
        // worker can be preempted between its task returning and the flag being set, and
        // meanwhile another worker starts more leaves of a few µs each (2,516 seen once on
        // a loaded 2-core machine). The bound allows that window and still proves the run
        // stopped: half the leaves never start.
        let slack = if s.workers() == 1 { 1 } else { 256 };
        assert!(
            ran < 2_500 + slack + s.workers(),
            "{}: {ran} leaves started",
            s.name()
        );
        assert_eq!(counter.live(), 0, "{}: values leaked", s.name());

        // The same scheduler works normally afterwards.
        let (ok_graph, ok_root, _) = counted_tree(100, &counter, None);
        let out = ok_graph.compute(s.as_ref(), &[ok_root]).unwrap();
        assert_eq!(out[0].downcast_ref::<Counted>().unwrap().value, 100);
    }
}

#[test]
fn a_panic_becomes_an_error_with_the_message() {
    for s in schedulers() {
        let counter = Arc::new(LiveCounter::default());
        let (g, root, _) = counted_tree(1_000, &counter, Some((700, "panic")));
        let err = g.compute(s.as_ref(), &[root]).unwrap_err();
        assert_eq!(
            err,
            Error::TaskFailed {
                key: "(\"leaf\", 700)".into(),
                cause: Box::new(Error::Panic("leaf 700 panicked".into()))
            }
        );
        assert_eq!(counter.live(), 0);
    }
}

#[test]
fn failing_runs_end_instead_of_hanging() {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let threaded = Threaded::new(2).unwrap();
        for round in 0..20 {
            let counter = Arc::new(LiveCounter::default());
            let how = if round % 2 == 0 { "panic" } else { "error" };
            let (g, root, _) = counted_tree(2_000, &counter, Some((round * 97, how)));
            assert!(g.compute(&threaded, &[root]).is_err());
        }
        tx.send(()).unwrap();
    });
    rx.recv_timeout(Duration::from_secs(120))
        .expect("20 failing runs did not finish within 2 minutes: a hang");
}

#[test]
fn nested_compute_inside_a_task_does_not_deadlock() {
    let threaded = Threaded::new(1).unwrap();
    let inner = threaded.clone();
    let mut g = TaskGraph::new();
    let kernel = FnKernel::new("nested", move |_| {
        let mut sub = TaskGraph::new();
        sub.literal("x", 20_i64)?;
        sub.insert("y", Task::map1("add", |x: &i64| x + 22, "x"))?;
        Ok(Value::new(sub.get::<i64>(&inner, "y")?))
    });
    g.insert("outer", Task::call(kernel, vec![])).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(g.get::<i64>(&threaded, "outer")).unwrap());
    let got = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("nested compute on a one-worker pool hung");
    assert_eq!(got.unwrap(), 42);
}

#[derive(Default)]
struct Recorder {
    total: AtomicUsize,
    starts: Mutex<Vec<(String, usize)>>,
    finishes: Mutex<Vec<(String, String, bool)>>,
    ended: Mutex<Option<bool>>,
}

impl Observer for Recorder {
    fn on_run_start(&self, total: usize) {
        self.total.store(total, Ordering::SeqCst);
    }
    fn on_start(&self, e: &TaskStart<'_>) {
        self.starts
            .lock()
            .unwrap()
            .push((e.key.to_string(), e.thread));
    }
    fn on_finish(&self, e: &TaskFinish<'_>) {
        assert!(e.end >= e.start);
        self.finishes
            .lock()
            .unwrap()
            .push((e.key.to_string(), e.label.to_string(), e.ok));
    }
    fn on_run_end(&self, ok: bool) {
        *self.ended.lock().unwrap() = Some(ok);
    }
}

#[test]
fn observers_see_every_task_start_and_finish() {
    for s in schedulers() {
        let counter = Arc::new(LiveCounter::default());
        let (g, root, _) = counted_tree(64, &counter, None);
        let rec = Recorder::default();
        g.compute_observed(s.as_ref(), &[root], Some(&rec)).unwrap();
        assert_eq!(rec.total.load(Ordering::SeqCst), 127);
        assert_eq!(rec.starts.lock().unwrap().len(), 127);
        let finishes = rec.finishes.lock().unwrap();
        assert_eq!(finishes.len(), 127);
        assert_eq!(finishes.iter().filter(|f| f.1 == "add").count(), 63);
        assert!(finishes.iter().all(|f| f.2));
        assert!(
            rec.starts
                .lock()
                .unwrap()
                .iter()
                .all(|(_, t)| *t < s.workers())
        );
        assert_eq!(*rec.ended.lock().unwrap(), Some(true));
    }
}

#[test]
fn synchronous_order_is_depth_first_and_deterministic() {
    let counter = Arc::new(LiveCounter::default());
    let (g, root, _) = counted_tree(8, &counter, None);
    let orders: Vec<Vec<String>> = (0..2)
        .map(|_| {
            let rec = Recorder::default();
            g.compute_observed(&Synchronous, std::slice::from_ref(&root), Some(&rec))
                .unwrap();
            rec.starts
                .lock()
                .unwrap()
                .iter()
                .map(|s| s.0.clone())
                .collect()
        })
        .collect();
    assert_eq!(orders[0], orders[1]);
    assert_eq!(
        &orders[0][..4],
        [
            "(\"leaf\", 0)",
            "(\"leaf\", 1)",
            "(\"sum-1\", 0)",
            "(\"leaf\", 2)"
        ]
    );
}
