//! The synchronous scheduler: one thread, a deterministic order, for debugging and tests.

use super::state::{RunState, run_task};
use super::{Observer, Scheduler};
use crate::error::Result;
use crate::graph::{ExecGraph, Value};

/// Runs every task on the calling thread, always the lowest-numbered ready task first, so
/// the order is the same on every run. (Named `Synchronous`, not `Sync`, so that it does not
/// shadow the `std::marker::Sync` trait in code that imports it.)
///
/// ```
/// use chunkflow::graph::{Task, TaskGraph};
/// use chunkflow::scheduler::Synchronous;
/// let mut g = TaskGraph::new();
/// g.literal("x", 20_i64)?;
/// g.insert("y", Task::map1("add22", |x: &i64| x + 22, "x"))?;
/// assert_eq!(g.get::<i64>(&Synchronous, "y")?, 42);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Synchronous;

impl Scheduler for Synchronous {
    fn name(&self) -> &'static str {
        "synchronous"
    }

    fn workers(&self) -> usize {
        1
    }

    fn run(&self, graph: &ExecGraph, observer: Option<&dyn Observer>) -> Result<Vec<Value>> {
        if let Some(o) = observer {
            o.on_run_start(graph.len());
        }
        let mut state = RunState::new(graph);
        while let Some((id, inputs)) = state.next(graph) {
            match run_task(graph, id, inputs, observer, 0) {
                Ok(value) => state.finish(graph, id, value),
                Err(error) => state.fail(error),
            }
        }
        let outputs = state.into_outputs(graph);
        if let Some(o) = observer {
            o.on_run_end(outputs.is_ok());
        }
        outputs
    }
}
