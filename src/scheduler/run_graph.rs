//! Running a hand-built [`TaskGraph`]: compile it for the requested outputs and hand it to
//! a scheduler. These methods live here, not in `graph`, so the graph layer (below the
//! schedulers in the layer table) never imports them.

use std::any::Any;

use super::{Observer, Scheduler};
use crate::error::Result;
use crate::graph::{Key, TaskGraph, Value};

impl TaskGraph {
    /// Computes `outputs` with `scheduler`, returning their values in order.
    pub fn compute(&self, scheduler: &dyn Scheduler, outputs: &[Key]) -> Result<Vec<Value>> {
        self.compute_observed(scheduler, outputs, None)
    }

    /// Like [`TaskGraph::compute`], reporting task starts and finishes to `observer`.
    pub fn compute_observed(
        &self,
        scheduler: &dyn Scheduler,
        outputs: &[Key],
        observer: Option<&dyn Observer>,
    ) -> Result<Vec<Value>> {
        let exec = self.compile(outputs)?;
        scheduler.run(&exec, observer)
    }

    /// Computes one key and returns its value as a `T` (a type mismatch is an error).
    pub fn get<T: Any + Send + Sync + Clone>(
        &self,
        scheduler: &dyn Scheduler,
        key: impl Into<Key>,
    ) -> Result<T> {
        let key = key.into();
        let value = self
            .compute(scheduler, std::slice::from_ref(&key))?
            .pop()
            .expect("one output per requested key");
        value.take(&key)
    }
}
