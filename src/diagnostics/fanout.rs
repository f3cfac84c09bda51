//! Several observers as one, each call guarded: once an observer panics no observer is
//! called again, and the run reports the panic as an error instead of unwinding through
//! the scheduler.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::scheduler::{Observer, TaskFinish, TaskStart};

/// Forwards every event to each observer in turn, catching their panics.
pub(crate) struct Fanout<'a> {
    observers: &'a [Arc<dyn Observer>],
    /// Whether an observer panicked, and the first panic's message.
    failed: AtomicBool,
    panicked: Mutex<Option<String>>,
}

impl<'a> Fanout<'a> {
    pub(crate) fn new(observers: &'a [Arc<dyn Observer>]) -> Self {
        Fanout {
            observers,
            failed: AtomicBool::new(false),
            panicked: Mutex::new(None),
        }
    }

    /// An error if an observer panicked during the run.
    pub(crate) fn check(&self) -> Result<()> {
        match self
            .panicked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            Some(message) => Err(Error::Panic(format!("an observer panicked: {message}"))),
            None => Ok(()),
        }
    }

    fn each(&self, call: impl Fn(&dyn Observer)) {
        for observer in self.observers {
            if self.failed.load(Ordering::Relaxed) {
                return;
            }
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| call(observer.as_ref()))) {
                self.failed.store(true, Ordering::Relaxed);
                let message = crate::scheduler::panic_message(payload.as_ref());
                self.panicked
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(message);
            }
        }
    }
}

impl Observer for Fanout<'_> {
    fn on_run_start(&self, total: usize) {
        self.each(|o| o.on_run_start(total));
    }
    fn on_start(&self, e: &TaskStart<'_>) {
        self.each(|o| o.on_start(e));
    }
    fn on_finish(&self, e: &TaskFinish<'_>) {
        self.each(|o| o.on_finish(e));
    }
    fn on_run_end(&self, ok: bool) {
        self.each(|o| o.on_run_end(ok));
    }
}
