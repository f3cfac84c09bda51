//! Scheduler events: what an observer (progress bar, profiler) is told about a run.
//!
//! Observing costs nothing when no observer is attached: the schedulers read the clock and
//! build events only when they have an observer.

use std::time::Instant;

use crate::graph::Key;

/// A task is about to run.
#[derive(Debug, Clone, Copy)]
pub struct TaskStart<'a> {
    /// The task's key.
    pub key: &'a Key,
    /// The task's function name (`literal` for literals).
    pub label: &'a str,
    /// The worker running it: 0 for the synchronous scheduler, the pool index otherwise.
    pub thread: usize,
    /// When it started.
    pub time: Instant,
}

/// A task has run.
#[derive(Debug, Clone, Copy)]
pub struct TaskFinish<'a> {
    /// The task's key.
    pub key: &'a Key,
    /// The task's function name (`literal` for literals).
    pub label: &'a str,
    /// The worker that ran it.
    pub thread: usize,
    /// When it started.
    pub start: Instant,
    /// When it ended.
    pub end: Instant,
    /// Whether it succeeded.
    pub ok: bool,
    /// The bytes of element data its value holds, for array chunks (see
    /// [`Value::nbytes`](crate::graph::Value::nbytes)).
    pub bytes: Option<usize>,
}

/// Receives a run's events. Every method has an empty default, so implement what you need.
/// Events arrive from worker threads, hence `Send + Sync`.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use chunkflow::graph::{Task, TaskGraph};
/// use chunkflow::scheduler::{Observer, TaskFinish, Threaded};
///
/// #[derive(Default)]
/// struct Count(AtomicUsize);
/// impl Observer for Count {
///     fn on_finish(&self, _: &TaskFinish<'_>) { self.0.fetch_add(1, Ordering::Relaxed); }
/// }
///
/// let mut g = TaskGraph::new();
/// g.literal("a", 1_i64)?;
/// g.insert("b", Task::map1("inc", |a: &i64| a + 1, "a"))?;
/// let count = Count::default();
/// g.compute_observed(&Threaded::default(), &["b".into()], Some(&count))?;
/// assert_eq!(count.0.load(Ordering::Relaxed), 2);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub trait Observer: Send + Sync {
    /// A run of `total_tasks` tasks begins.
    fn on_run_start(&self, _total_tasks: usize) {}
    /// A task starts.
    fn on_start(&self, _event: &TaskStart<'_>) {}
    /// A task ends.
    fn on_finish(&self, _event: &TaskFinish<'_>) {}
    /// The run is over (successfully or not).
    fn on_run_end(&self, _ok: bool) {}
}
