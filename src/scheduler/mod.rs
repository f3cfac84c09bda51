//! Schedulers: run an [`ExecGraph`] and return the requested outputs.
//!
//! Both schedulers share one state machine (`state.rs`): dependency counting, a ready queue
//! ordered by depth-first post-order (so a value's consumers run before new producers start),
//! values dropped right after their last consumer starts, and a failure that stops new
//! tasks from starting and frees every held value.
//!
//! - [`Synchronous`]: one thread, deterministic, for debugging.
//! - [`Threaded`]: a pool of workers (one per core by default).

mod events;
mod run_graph;
pub(crate) mod state;
mod sync;
mod threaded;

pub use events::{Observer, TaskFinish, TaskStart};
pub(crate) use state::panic_message;
pub use sync::Synchronous;
pub use threaded::Threaded;

use crate::error::Result;
use crate::graph::{ExecGraph, Value};

/// Something that runs a compiled task graph.
///
/// ```
/// use chunkflow::scheduler::{Scheduler, Synchronous, Threaded};
/// let schedulers: Vec<Box<dyn Scheduler>> = vec![Box::new(Synchronous), Box::new(Threaded::new(2)?)];
/// assert_eq!(schedulers[1].workers(), 2);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub trait Scheduler: Send + Sync {
    /// A short name, for logs and benchmarks.
    fn name(&self) -> &'static str;
    /// How many tasks may run at once.
    fn workers(&self) -> usize;
    /// Runs every task of `graph` and returns its outputs in order, or the first failure
    /// (an [`Error::TaskFailed`](crate::Error::TaskFailed) naming the task's key).
    fn run(&self, graph: &ExecGraph, observer: Option<&dyn Observer>) -> Result<Vec<Value>>;
    /// Whether tasks run in several processes. Lowering then avoids anything that needs
    /// one address space (array results written in place by their tasks). Default: false.
    ///
    /// ```
    /// use chunkflow::scheduler::{Scheduler, Threaded};
    /// assert!(!Threaded::new(1)?.is_distributed());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    fn is_distributed(&self) -> bool {
        false
    }
    /// How many processes share the run (1 unless distributed). Bag aggregations use it
    /// to lower to one partial table per process and a hash-partitioned exchange.
    ///
    /// ```
    /// use chunkflow::scheduler::{Scheduler, Synchronous};
    /// assert_eq!(Synchronous.ranks(), 1);
    /// ```
    fn ranks(&self) -> usize {
        1
    }
}
