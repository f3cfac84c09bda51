//! The smallest chunkflow program: a task graph written by hand, the way Dask users write
//! a dict — `a = 2`, `b = 2`, `result = add(a, b)` — run on the threaded scheduler.
//!
//! Run: `cargo run --example raw_graph`

use chunkflow::graph::{Task, TaskGraph};
use chunkflow::scheduler::Threaded;

fn main() -> chunkflow::Result<()> {
    let mut graph = TaskGraph::new();
    graph.literal("a", 2_i64)?;
    graph.literal("b", 2_i64)?;
    graph.insert(
        "result",
        Task::map2("add", |a: &i64, b: &i64| a + b, "a", "b"),
    )?;

    let result: i64 = graph.get(&Threaded::default(), "result")?;
    println!("result = {result}");
    Ok(())
}
