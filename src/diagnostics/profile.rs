//! A profiler: records every task (key, op, worker, start, end), writes a Chrome trace
//! (one row per worker thread, Dask's "task stream"; opens in Perfetto or
//! chrome://tracing) and summarises time per op kind, like Theano's profile summary, with
//! the time the compiled backend spent compiling fused programs during the runs.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::kernel::codegen::{Stats as CodegenStats, stats as codegen_stats};
use crate::scheduler::{Observer, TaskFinish};

/// One task as the profiler saw it.
#[derive(Clone, Debug)]
pub struct TaskRecord {
    /// The task's key.
    pub key: String,
    /// Its function's name (the op kind).
    pub op: String,
    /// The worker that ran it.
    pub thread: usize,
    /// When it started.
    pub start: Instant,
    /// How long it ran.
    pub duration: Duration,
    /// Whether it succeeded.
    pub ok: bool,
    /// The bytes of element data its value holds (array chunks; `None` for other values).
    pub bytes: Option<usize>,
}

/// Calls and time of one op kind.
#[derive(Clone, Debug, PartialEq)]
pub struct OpSummary {
    /// The op kind (a task's function name).
    pub op: String,
    /// How many tasks ran it.
    pub calls: usize,
    /// Their total time.
    pub total: Duration,
    /// Share of all tasks' time.
    pub share: f64,
}

/// Records task events.
///
/// ```
/// use std::sync::Arc;
/// use chunkflow::{Array, Options, diagnostics::Profiler};
/// let profiler = Arc::new(Profiler::new());
/// let options = Options::default().observer(profiler.clone());
/// let x = Array::<f64>::ones(&[1000], 100)?;
/// (&x * 2.0).sum().scalar_with(&options)?;
/// // 10 partials (each generating its chunk of ones in place) and the aggregate.
/// assert_eq!(profiler.records().len(), 10 + 1);
/// assert!(profiler.summary_text().contains("sum-aggregate"));
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Default)]
pub struct Profiler {
    records: Mutex<Vec<TaskRecord>>,
    /// The compile counters at the start of the run in progress.
    run_start: Mutex<Option<CodegenStats>>,
    /// Programs compiled (or left to the interpreter) during the profiled runs.
    codegen: Mutex<CodegenStats>,
}

impl Profiler {
    /// An empty profiler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything recorded so far, in finishing order.
    pub fn records(&self) -> Vec<TaskRecord> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Forgets what was recorded.
    pub fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        *self.codegen.lock().unwrap_or_else(|e| e.into_inner()) = CodegenStats::default();
    }

    /// The fused programs compiled during the profiled runs, those left to the interpreter,
    /// and the time compiling took (it happens inside the first task that runs each new
    /// program, so it is also part of that task's time). The counters are the process's:
    /// runs in other threads at the same time add theirs.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use chunkflow::{Array, Options, diagnostics::Profiler};
    /// let profiler = Arc::new(Profiler::new());
    /// let options = Options::default().observer(profiler.clone()).codegen(true);
    /// let x = Array::<f64>::linspace(0.0, 1.0, 1000, 100)?;
    /// ((&x * 7.0 - 2.5).abs().sqrt() + 0.125).sum().scalar_with(&options)?;
    /// let c = profiler.codegen();
    /// assert!(c.compiled + c.fallbacks <= 1); // one program (or it was cached before)
    /// assert!(profiler.summary_text().contains("codegen:"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn codegen(&self) -> CodegenStats {
        *self.codegen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Time per op kind, most expensive first.
    pub fn summary(&self) -> Vec<OpSummary> {
        let records = self.records();
        let mut by_op: HashMap<&str, (usize, Duration)> = HashMap::new();
        for r in &records {
            let entry = by_op.entry(&r.op).or_default();
            entry.0 += 1;
            entry.1 += r.duration;
        }
        let all: Duration = by_op.values().map(|v| v.1).sum();
        let mut out: Vec<OpSummary> = by_op
            .into_iter()
            .map(|(op, (calls, total))| OpSummary {
                op: op.to_string(),
                calls,
                total,
                share: if all.is_zero() {
                    0.0
                } else {
                    total.as_secs_f64() / all.as_secs_f64()
                },
            })
            .collect();
        out.sort_by(|a, b| b.total.cmp(&a.total).then(a.op.cmp(&b.op)));
        out
    }

    /// The summary as a table: share, total seconds, calls, seconds per call, op.
    pub fn summary_text(&self) -> String {
        let mut out = String::from("  share   total(s)   calls   per call(s)  op\n");
        for s in self.summary() {
            let _ = writeln!(
                out,
                "{:6.1}%  {:9.4}  {:6}  {:12.6}  {}",
                100.0 * s.share,
                s.total.as_secs_f64(),
                s.calls,
                s.total.as_secs_f64() / s.calls as f64,
                s.op
            );
        }
        let c = self.codegen();
        let _ = writeln!(
            out,
            "codegen: {} program(s) compiled in {:.3} ms, {} left to the interpreter",
            c.compiled,
            c.compile_time.as_secs_f64() * 1e3,
            c.fallbacks
        );
        out
    }

    /// The records as Chrome trace JSON ("X" events, one row per worker).
    pub fn chrome_trace(&self) -> String {
        let records = self.records();
        let origin = records.iter().map(|r| r.start).min();
        let mut out = String::from("{\"traceEvents\": [\n");
        for (i, r) in records.iter().enumerate() {
            let ts = origin.map_or(0.0, |o| (r.start - o).as_secs_f64() * 1e6);
            let _ = write!(
                out,
                "{}  {{\"name\": {}, \"cat\": \"task\", \"ph\": \"X\", \"ts\": {ts:.3}, \"dur\": {:.3}, \"pid\": 1, \"tid\": {}, \"args\": {{\"key\": {}, \"ok\": {}}}}}",
                if i == 0 { "" } else { ",\n" },
                json_string(&r.op),
                r.duration.as_secs_f64() * 1e6,
                r.thread,
                json_string(&r.key),
                r.ok
            );
        }
        out.push_str("\n], \"displayTimeUnit\": \"ms\"}\n");
        out
    }

    /// Writes [`Profiler::chrome_trace`] to `path`.
    pub fn write_chrome_trace(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.chrome_trace()).map_err(|e| Error::file(path, "writing", &e))
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Observer for Profiler {
    fn on_run_start(&self, _total_tasks: usize) {
        *self.run_start.lock().unwrap_or_else(|e| e.into_inner()) = Some(codegen_stats());
    }

    fn on_run_end(&self, _ok: bool) {
        let start = self
            .run_start
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(start) = start {
            let delta = codegen_stats().since(&start);
            self.codegen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add(&delta);
        }
    }

    fn on_finish(&self, e: &TaskFinish<'_>) {
        let record = TaskRecord {
            key: e.key.to_string(),
            op: e.label.to_string(),
            thread: e.thread,
            start: e.start,
            duration: e.end - e.start,
            ok: e.ok,
            bytes: e.bytes,
        };
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }
}
