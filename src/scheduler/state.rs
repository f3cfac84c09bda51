//! The bookkeeping every scheduler shares: dependency counts, the priority-ordered ready
//! queue, values kept only until their last consumer has started, and the first failure.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use super::{Observer, TaskFinish, TaskStart};
use crate::error::{Error, Result};
use crate::graph::{ExecGraph, Task, Value};

/// The state of one run over an [`ExecGraph`].
pub(crate) struct RunState {
    /// Per task: input slots whose values are not computed yet.
    waiting_on: Vec<u32>,
    /// Per task: input slots and output requests that still need its value.
    uses_left: Vec<u32>,
    /// Per task: its value, held from completion until its last use.
    values: Vec<Option<Value>>,
    /// Ready tasks; the lowest id (earliest in depth-first post-order) runs first.
    ready: BinaryHeap<Reverse<u32>>,
    finished: usize,
    /// How many tasks this run finishes: all of them, or a rank's share plus the values
    /// it receives (distributed runs).
    expected: usize,
    failure: Option<Error>,
}

impl RunState {
    /// The state of a whole run in one process: every task runs here.
    pub(crate) fn new(graph: &ExecGraph) -> Self {
        Self::share(graph, |_| true, |_| false)
    }

    /// The state of one rank's share of a distributed run: only tasks for which `runs` is
    /// true are started here; values of tasks for which `arrives` is true are delivered by
    /// [`RunState::finish`] when they come from another rank; other tasks are ignored.
    #[cfg(feature = "mpi")]
    pub(crate) fn partial(
        graph: &ExecGraph,
        runs: impl Fn(u32) -> bool,
        arrives: impl Fn(u32) -> bool,
    ) -> Self {
        Self::share(graph, runs, arrives)
    }

    /// Dependency counts, last-use counts and the first ready tasks for the tasks that
    /// `runs` here, expecting those plus the ones that `arrives` to finish.
    fn share(graph: &ExecGraph, runs: impl Fn(u32) -> bool, arrives: impl Fn(u32) -> bool) -> Self {
        let n = graph.len();
        let mut uses_left: Vec<u32> = (0..n as u32)
            .map(|id| graph.dependents(id).iter().filter(|&&d| runs(d)).count() as u32)
            .collect();
        for &out in graph.outputs() {
            uses_left[out as usize] += 1;
        }
        // A task that does not run here never becomes ready: its count cannot reach zero.
        let waiting_on: Vec<u32> = (0..n as u32)
            .map(|id| {
                if runs(id) {
                    graph.inputs(id).len() as u32
                } else {
                    u32::MAX
                }
            })
            .collect();
        let ready = (0..n as u32)
            .filter(|&id| waiting_on[id as usize] == 0)
            .map(Reverse)
            .collect();
        let expected = (0..n as u32).filter(|&id| runs(id) || arrives(id)).count();
        RunState {
            waiting_on,
            uses_left,
            values: vec![None; n],
            ready,
            finished: 0,
            expected,
            failure: None,
        }
    }

    /// Whether every task of the run has finished (or arrived).
    #[cfg(feature = "mpi")]
    pub(crate) fn is_complete(&self) -> bool {
        self.finished == self.expected
    }

    /// Whether the run has failed.
    #[cfg(feature = "mpi")]
    pub(crate) fn has_failed(&self) -> bool {
        self.failure.is_some()
    }

    /// The next task to run with its input values, or `None` if nothing is ready or the run
    /// has failed. An input used for the last time is moved out, not cloned.
    pub(crate) fn next(&mut self, graph: &ExecGraph) -> Option<(u32, Vec<Value>)> {
        if self.failure.is_some() {
            return None;
        }
        let Reverse(id) = self.ready.pop()?;
        let inputs = graph
            .inputs(id)
            .iter()
            .map(|&input| self.use_value(input))
            .collect();
        Some((id, inputs))
    }

    fn use_value(&mut self, id: u32) -> Value {
        let i = id as usize;
        self.uses_left[i] -= 1;
        let slot = &mut self.values[i];
        if self.uses_left[i] == 0 {
            slot.take()
        } else {
            slot.clone()
        }
        .expect("an input is computed before its consumer is ready")
    }

    /// Records that task `id` produced `value`; its dependents may become ready.
    pub(crate) fn finish(&mut self, graph: &ExecGraph, id: u32, value: Value) {
        self.finished += 1;
        if self.failure.is_some() {
            return;
        }
        for &dependent in graph.dependents(id) {
            let waiting = &mut self.waiting_on[dependent as usize];
            *waiting -= 1;
            if *waiting == 0 {
                self.ready.push(Reverse(dependent));
            }
        }
        if self.uses_left[id as usize] > 0 {
            self.values[id as usize] = Some(value);
        }
    }

    /// Records a failure: the first one is kept, nothing new starts, and every held value is
    /// freed at once.
    pub(crate) fn fail(&mut self, error: Error) {
        if self.failure.is_none() {
            self.failure = Some(error);
        }
        self.ready.clear();
        self.values.iter_mut().for_each(|v| *v = None);
    }

    /// The number of ready tasks.
    pub(crate) fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// The outputs in the order requested, or the run's failure.
    pub(crate) fn into_outputs(mut self, graph: &ExecGraph) -> Result<Vec<Value>> {
        if let Some(error) = self.failure.take() {
            return Err(error);
        }
        assert_eq!(
            self.finished, self.expected,
            "a validated graph runs every task"
        );
        Ok(graph
            .outputs()
            .iter()
            .map(|&out| self.use_value(out))
            .collect())
    }
}

/// Runs one task, turning an error or a panic into [`Error::TaskFailed`] naming its key, and
/// reporting start and finish to the observer if there is one.
pub(crate) fn run_task(
    graph: &ExecGraph,
    id: u32,
    inputs: Vec<Value>,
    observer: Option<&dyn Observer>,
    thread: usize,
) -> Result<Value> {
    let task = graph.task(id);
    let start = observer.map(|o| {
        let time = Instant::now();
        o.on_start(&TaskStart {
            key: graph.key(id),
            label: task.label(),
            thread,
            time,
        });
        time
    });
    let result = match task {
        Task::Literal(value) => Ok(value.clone()),
        Task::Call { kernel, .. } => catch_unwind(AssertUnwindSafe(|| kernel.call(inputs)))
            .unwrap_or_else(|payload| Err(Error::Panic(panic_message(payload.as_ref())))),
    };
    if let (Some(o), Some(start)) = (observer, start) {
        o.on_finish(&TaskFinish {
            key: graph.key(id),
            label: task.label(),
            thread,
            start,
            end: Instant::now(),
            ok: result.is_ok(),
            bytes: result.as_ref().ok().and_then(Value::nbytes),
        });
    }
    result.map_err(|cause| Error::TaskFailed {
        key: graph.key(id).to_string(),
        cause: Box::new(cause),
    })
}

/// The message of a panic payload (a `&str` or `String`), or a placeholder.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}
