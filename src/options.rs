//! Run options: which scheduler, which optimizer passes, and who observes the run.

use std::sync::Arc;

use crate::diagnostics::{Fanout, Report};
use crate::error::{Error, Result};
use crate::graph::{ExecGraph, Value};
use crate::kernel::codegen::Backend;
use crate::optimize::Passes;
use crate::plan::Plan;
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
    pub(crate) report: Option<Arc<std::path::Path>>,
    /// Where fused programs run: compiled (the default where supported) or interpreted.
    pub(crate) backend: Backend,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scheduler: Arc::new(Threaded::default()),
            observers: Vec::new(),
            passes: Passes::default(),
            report: None,
            backend: Backend::default_for_target(),
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

    /// Writes an HTML performance report of every run to `path` (overwritten by each run):
    /// the task stream per worker, time and bytes per operation, memory over time, the
    /// optimized plan and these options. See [`Report`].
    ///
    /// ```
    /// use chunkflow::{Array, Options};
    /// let path = std::env::temp_dir().join(format!("report-doc-{}.html", std::process::id()));
    /// let x = Array::<f64>::linspace(0.0, 1.0, 10_000, 1000)?;
    /// (&x * &x).sum().scalar_with(&Options::default().report(&path))?;
    /// let html = std::fs::read_to_string(&path).unwrap();
    /// assert!(html.contains("Task stream") && html.contains("Optimized plan"));
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn report(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.report = Some(Arc::from(path.as_ref()));
        self
    }

    /// Runs fused elementwise programs as compiled native loops (`true`, the default on
    /// x86_64 and aarch64) or in the strip interpreter (`false`). Results are the same bit
    /// for bit; a program that does not compile (one with a user closure, say) runs in the
    /// interpreter either way. On other targets the interpreter always runs. Set
    /// `CHUNKFLOW_CODEGEN_DUMP=1` to see each compiled program's Cranelift IR and compile
    /// time on stderr.
    ///
    /// ```
    /// use chunkflow::{Array, Options};
    /// let x = Array::<f64>::linspace(0.0, 1.0, 1001, 100)?;
    /// let y = ((&x * &x) + 1.0).sqrt().sum();
    /// let compiled = y.scalar_with(&Options::default().codegen(true))?;
    /// let interpreted = y.scalar_with(&Options::default().codegen(false))?;
    /// assert_eq!(compiled.to_bits(), interpreted.to_bits());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn codegen(mut self, on: bool) -> Self {
        self.backend = Backend::from_switch(on);
        self
    }

    /// Runs `graph` on the scheduler, with the observers if there are any.
    pub(crate) fn run(&self, graph: &ExecGraph) -> Result<Vec<Value>> {
        self.run_with_plan(graph, None)
    }

    /// Like [`Options::run`]; a report (if asked for) shows `plan`.
    pub(crate) fn run_with_plan(
        &self,
        graph: &ExecGraph,
        plan: Option<&Plan>,
    ) -> Result<Vec<Value>> {
        let Some(path) = &self.report else {
            return self.run_observed(graph, &self.observers);
        };
        let report = Arc::new(Report::new());
        let mut observers = self.observers.clone();
        observers.push(report.clone());
        let result = self.run_observed(graph, &observers);
        report.set_option("scheduler", self.scheduler.name());
        report.set_option("workers", self.scheduler.workers());
        report.set_option("cse", self.passes.cse);
        report.set_option("fusion", self.passes.fuse);
        report.set_option("codegen", self.backend == Backend::Compiled);
        report.set_option("rematerialize", self.passes.rematerialize);
        report.set_option("kernel backend", "interpreter (strip loops, SSE2/AVX2)");
        if let Some(plan) = plan {
            report.set_plan_dot(plan.to_dot());
        }
        report.set_graph(graph);
        let written = report.write_html(path);
        // A failed run's error wins over a failed write.
        let values = result?;
        written.map(|()| values)
    }

    /// Runs `graph`, reporting to `observers` (a panicking observer becomes an error), and
    /// checks that the scheduler returned one value per requested output.
    fn run_observed(
        &self,
        graph: &ExecGraph,
        observers: &[Arc<dyn Observer>],
    ) -> Result<Vec<Value>> {
        let values = if observers.is_empty() {
            self.scheduler.run(graph, None)?
        } else {
            let fanout = Fanout::new(observers);
            let values = self.scheduler.run(graph, Some(&fanout))?;
            fanout.check()?;
            values
        };
        if values.len() != graph.outputs().len() {
            return Err(Error::InvalidArgument(format!(
                "scheduler {} returned {} values for {} requested outputs",
                self.scheduler.name(),
                values.len(),
                graph.outputs().len()
            )));
        }
        Ok(values)
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
