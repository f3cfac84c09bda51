//! Run options: which scheduler, which optimizer passes, and who observes the run.

use std::sync::Arc;

use crate::error::Result;
use crate::optimize::Passes;
use crate::scheduler::{Observer, Scheduler, Synchronous, Threaded};

/// How to run a computation. The default: the shared threaded scheduler (one worker per
/// core), every optimizer pass on, no observer.
///
/// ```
/// use chunkflow::{Array, Options};
/// let x = Array::<f64>::linspace(0.0, 1.0, 101, 25)?;
/// let unfused = Options::default().fuse(false).threads(1)?;
/// let total = (&x * 2.0).sum().scalar_with(&unfused)?;
/// assert!((total - 101.0).abs() < 1e-9);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone)]
pub struct Options {
    pub(crate) scheduler: Arc<dyn Scheduler>,
    pub(crate) observers: Vec<Arc<dyn Observer>>,
    pub(crate) passes: Passes,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scheduler: Arc::new(Threaded::default()),
            observers: Vec::new(),
            passes: Passes::default(),
        }
    }
}

impl Options {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs on `scheduler`.
    pub fn scheduler(mut self, scheduler: impl Scheduler + 'static) -> Self {
        self.scheduler = Arc::new(scheduler);
        self
    }

    /// Runs on a threaded scheduler with its own pool of `n` workers.
    pub fn threads(self, n: usize) -> Result<Self> {
        Ok(self.scheduler(Threaded::new(n)?))
    }

    /// Runs on the calling thread, in a deterministic order.
    pub fn synchronous(self) -> Self {
        self.scheduler(Synchronous)
    }

    /// Also reports task events to `observer` (a profiler, say).
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observers.push(observer);
        self
    }

    /// Shows a progress bar on stderr when it is a terminal (see
    /// [`Progress`](crate::diagnostics::Progress)).
    pub fn progress(self, on: bool) -> Self {
        if on {
            self.observer(Arc::new(crate::diagnostics::Progress::new()))
        } else {
            self
        }
    }

    /// Runs `graph` on the scheduler, with the observers if there are any.
    pub(crate) fn run(&self, graph: &crate::graph::ExecGraph) -> Result<Vec<crate::graph::Value>> {
        if self.observers.is_empty() {
            self.scheduler.run(graph, None)
        } else {
            let fanout = crate::diagnostics::Fanout(&self.observers);
            self.scheduler.run(graph, Some(&fanout))
        }
    }

    /// Switches common-subexpression elimination on or off.
    pub fn cse(mut self, on: bool) -> Self {
        self.passes.cse = on;
        self
    }

    /// Switches elementwise fusion on or off.
    pub fn fuse(mut self, on: bool) -> Self {
        self.passes.fuse = on;
        self
    }

    /// Switches rematerialization of cheap sources on or off.
    pub fn rematerialize(mut self, on: bool) -> Self {
        self.passes.rematerialize = on;
        self
    }

    /// The scheduler these options run on.
    pub fn get_scheduler(&self) -> &dyn Scheduler {
        self.scheduler.as_ref()
    }
}
