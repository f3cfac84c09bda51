//! Scheduler overhead: the cost per task of tiny tasks.
//!
//! Two shapes of 100,000 tasks each — independent leaves summed by a binary tree, and one
//! long chain — for the synchronous scheduler and the threaded one with 2 workers. Criterion
//! reports time per graph; divide by the task count (printed in the group name) for the cost
//! per task. Graph building and compiling are outside the timed loop.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use chunkflow::graph::{ExecGraph, FnKernel, Key, Task, TaskGraph, Value};
use chunkflow::scheduler::{Scheduler, Synchronous, Threaded};

const N: usize = 100_000;

/// `n` leaves, each a tiny task, summed pairwise up a binary tree (2n - 1 tasks).
fn sum_tree(n: usize) -> ExecGraph {
    let mut g = TaskGraph::new();
    for i in 0..n {
        let kernel = FnKernel::new("leaf", move |_| Ok(Value::new(i as u64)));
        g.insert(Key::chunk("leaf", &[i]), Task::call(kernel, vec![]))
            .unwrap();
    }
    let mut level: Vec<Key> = (0..n).map(|i| Key::chunk("leaf", &[i])).collect();
    let mut depth = 0;
    while level.len() > 1 {
        depth += 1;
        let name = format!("sum-{depth}");
        level = level
            .chunks(2)
            .enumerate()
            .map(|(j, pair)| {
                let key = Key::chunk(name.as_str(), &[j]);
                let add = |xs: &[&u64]| xs.iter().copied().sum::<u64>();
                g.insert(key.clone(), Task::map_many("add", add, pair.to_vec()))
                    .unwrap();
                key
            })
            .collect();
    }
    g.compile(&level).unwrap()
}

/// A chain of `n` tasks, each adding one to its predecessor.
fn chain(n: usize) -> ExecGraph {
    let mut g = TaskGraph::new();
    g.literal(Key::chunk("chain", &[0]), 0_u64).unwrap();
    for i in 1..n {
        let task = Task::map1("inc", |x: &u64| x + 1, Key::chunk("chain", &[i - 1]));
        g.insert(Key::chunk("chain", &[i]), task).unwrap();
    }
    g.compile(&[Key::chunk("chain", &[n - 1])]).unwrap()
}

fn bench(c: &mut Criterion) {
    let schedulers: Vec<(&str, Box<dyn Scheduler>)> = vec![
        ("sync", Box::new(Synchronous)),
        ("threaded-2", Box::new(Threaded::new(2).unwrap())),
    ];
    for (shape, graph) in [("sum_tree", sum_tree(N)), ("chain", chain(N))] {
        let mut group = c.benchmark_group(format!("scheduler/{shape}/{}-tasks", graph.len()));
        group.sample_size(10);
        group.throughput(Throughput::Elements(graph.len() as u64));
        for (name, scheduler) in &schedulers {
            group.bench_with_input(BenchmarkId::from_parameter(name), &graph, |b, g| {
                b.iter(|| scheduler.run(g, None).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
