//! Several observers as one.

use std::sync::Arc;

use crate::scheduler::{Observer, TaskFinish, TaskStart};

/// Forwards every event to each observer in turn.
pub(crate) struct Fanout<'a>(pub(crate) &'a [Arc<dyn Observer>]);

impl Observer for Fanout<'_> {
    fn on_run_start(&self, total: usize) {
        self.0.iter().for_each(|o| o.on_run_start(total));
    }
    fn on_start(&self, e: &TaskStart<'_>) {
        self.0.iter().for_each(|o| o.on_start(e));
    }
    fn on_finish(&self, e: &TaskFinish<'_>) {
        self.0.iter().for_each(|o| o.on_finish(e));
    }
    fn on_run_end(&self, ok: bool) {
        self.0.iter().for_each(|o| o.on_run_end(ok));
    }
}
