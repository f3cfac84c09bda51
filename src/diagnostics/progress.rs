//! A progress bar on stderr: tasks done / total, rate and ETA (with `indicatif`).

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::scheduler::{Observer, TaskFinish};

/// Shows a progress bar for each run, on stderr, only when stderr is a terminal unless
/// [`Progress::forced`].
///
/// ```
/// use std::sync::Arc;
/// use chunkflow::{Array, Options, diagnostics::Progress};
/// let options = Options::default().observer(Arc::new(Progress::new()));
/// let x = Array::<f64>::ones(&[1000], 100)?;
/// assert_eq!(x.sum().scalar_with(&options)?, 1000.0);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub struct Progress {
    force: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// A progress bar drawn only when stderr is a terminal.
    pub fn new() -> Self {
        Progress {
            force: false,
            bar: Mutex::new(None),
        }
    }

    /// A progress bar drawn on stderr even when it is not a terminal.
    pub fn forced() -> Self {
        Progress {
            force: true,
            bar: Mutex::new(None),
        }
    }

    /// Tasks done so far in the current (or last) run.
    pub fn position(&self) -> u64 {
        self.bar
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |b| b.position())
    }
}

impl Observer for Progress {
    fn on_run_start(&self, total: usize) {
        let target = if self.force || std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        bar.set_style(
            ProgressStyle::with_template(
                "[{elapsed_precise}] {bar:40} {pos}/{len} tasks ({per_sec}, ETA {eta})",
            )
            .expect("a valid template"),
        );
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn on_finish(&self, _e: &TaskFinish<'_>) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.inc(1);
        }
    }

    fn on_run_end(&self, ok: bool) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if ok {
                bar.finish();
            } else {
                bar.abandon();
            }
        }
    }
}
