//! An HTML performance report, like Dask's `performance_report()`: one self-contained file
//! (no scripts, no network) with the task stream per worker as an SVG timeline coloured by
//! operation (hover a task for its key and duration), a per-operation table (tasks, total
//! and mean time, bytes produced), the process's resident memory and the bytes held by
//! chunk values over time, the optimized plan as a picture, and the run's options.
//!
//! The simplest use is [`Options::report`](crate::Options::report), which attaches a
//! report to every run and writes the file after it. Used by hand like the profiler, a
//! `Report` is an observer; give it the run's graph with [`Report::set_graph`] for the
//! chunk-memory curve (values are held from the end of the task that makes them to the
//! end of their last reader, the scheduler's rule).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::profile::{Profiler, TaskRecord};
use super::resources::ResourceProfiler;
use crate::error::{Error, Result};
use crate::graph::{ExecGraph, dot_to_svg};
use crate::scheduler::{Observer, TaskFinish, TaskStart};

/// Records a run for an HTML report.
///
/// ```
/// use std::sync::Arc;
/// use chunkflow::{Array, Options, diagnostics::Report};
/// let report = Arc::new(Report::new());
/// let x = Array::<f64>::ones(&[10_000], 1000)?;
/// (&x * 2.0).sum().scalar_with(&Options::default().observer(report.clone()))?;
/// let html = report.html();
/// assert!(html.starts_with("<!DOCTYPE html>"));
/// assert!(html.contains("Task stream") && html.contains("fused: sum((a * 2))"));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub struct Report {
    profiler: Profiler,
    resources: ResourceProfiler,
    run: Mutex<RunInfo>,
}

#[derive(Default)]
struct RunInfo {
    start: Option<Instant>,
    end: Option<Instant>,
    ok: Option<bool>,
    options: Vec<(String, String)>,
    plan_dot: Option<String>,
    /// (time since start, change in held chunk bytes), from the graph.
    held: Option<Vec<(f64, i64)>>,
}

impl Default for Report {
    fn default() -> Self {
        Self::new()
    }
}

impl Report {
    /// An empty report, sampling memory every 5 ms during runs.
    pub fn new() -> Self {
        Report {
            profiler: Profiler::new(),
            resources: ResourceProfiler::new(Duration::from_millis(5)),
            run: Mutex::new(RunInfo::default()),
        }
    }

    fn info(&self) -> std::sync::MutexGuard<'_, RunInfo> {
        self.run.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a line to the report's options table (`threads`, `fusion`, ...).
    pub fn set_option(&self, name: &str, value: impl std::fmt::Display) {
        self.info().options.push((name.into(), value.to_string()));
    }

    /// Includes the plan (DOT, e.g. from [`Array::plan_dot`](crate::Array::plan_dot)) as a
    /// picture.
    pub fn set_plan_dot(&self, dot: String) {
        self.info().plan_dot = Some(dot);
    }

    /// Derives the bytes held by chunk values over time from the run's `graph`: a task's
    /// value is held from the end of that task to the end of its last dependent (to the
    /// run's end for outputs). Call after the run.
    pub fn set_graph(&self, graph: &ExecGraph) {
        let records = self.profiler.records();
        let by_key: HashMap<&str, &TaskRecord> =
            records.iter().map(|r| (r.key.as_str(), r)).collect();
        let origin = self.origin(&records);
        let end = self.info().end.unwrap_or_else(Instant::now);
        let mut events = Vec::new();
        for id in 0..graph.len() as u32 {
            let key = graph.key(id).to_string();
            let Some(r) = by_key.get(key.as_str()) else {
                continue;
            };
            let bytes = r.bytes.unwrap_or(0) as i64;
            if bytes == 0 {
                continue;
            }
            let made = r.start + r.duration;
            let freed = graph
                .dependents(id)
                .iter()
                .filter_map(|&d| by_key.get(graph.key(d).to_string().as_str()))
                .map(|d| d.start + d.duration)
                .max()
                .filter(|_| !graph.outputs().contains(&id))
                .unwrap_or(end);
            let at = |t: Instant| t.saturating_duration_since(origin).as_secs_f64();
            events.push((at(made), bytes));
            events.push((at(freed.max(made)), -bytes));
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.info().held = Some(events);
    }

    fn origin(&self, records: &[TaskRecord]) -> Instant {
        self.info()
            .start
            .or_else(|| records.iter().map(|r| r.start).min())
            .unwrap_or_else(Instant::now)
    }

    /// The report as one self-contained HTML page.
    pub fn html(&self) -> String {
        let records = self.profiler.records();
        let origin = self.origin(&records);
        let info = self.info();
        let wall = info
            .end
            .map(|e| e.saturating_duration_since(origin))
            .or_else(|| {
                records
                    .iter()
                    .map(|r| (r.start + r.duration).saturating_duration_since(origin))
                    .max()
            })
            .unwrap_or_default();
        let samples = self.resources.samples();
        let offset = origin
            .saturating_duration_since(self.resources.origin())
            .as_secs_f64();
        let rss: Vec<(f64, f64)> = samples
            .iter()
            .map(|s| (s.time.as_secs_f64() - offset, s.rss_bytes as f64))
            .collect();
        let held = info.held.as_ref().map(|events| {
            let mut level = 0i64;
            let mut points = vec![(0.0, 0.0)];
            for &(t, change) in events {
                points.push((t, level as f64));
                level += change;
                points.push((t, level as f64));
            }
            points
        });
        let peak_held = held
            .as_ref()
            .map(|p| p.iter().map(|x| x.1).fold(0.0, f64::max));
        let colours = colours(&records);

        let mut out = String::new();
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n");
        out.push_str("<title>chunkflow performance report</title>\n<style>\n");
        out.push_str(STYLE);
        out.push_str("</style></head><body>\n<h1>chunkflow performance report</h1>\n");
        let status = match info.ok {
            Some(true) => "succeeded",
            Some(false) => "failed",
            None => "not finished",
        };
        let _ = writeln!(
            out,
            "<p class=\"summary\">{} tasks on {} workers in {:.3} s ({status}); peak RSS {}{}; {}.</p>",
            records.len(),
            records.iter().map(|r| r.thread).max().map_or(0, |t| t + 1),
            wall.as_secs_f64(),
            megabytes(self.resources.peak_rss() as f64),
            peak_held.map_or(String::new(), |p| format!(
                "; peak bytes held in chunks {}",
                megabytes(p)
            )),
            codegen_line(&self.profiler.codegen()),
        );

        out.push_str("<h2>Task stream</h2>\n");
        task_stream(&mut out, &records, origin, wall, &colours);

        out.push_str("<h2>Per operation</h2>\n");
        op_table(&mut out, &records, &colours);

        out.push_str("<h2>Memory</h2>\n");
        memory_chart(&mut out, &rss, held.as_deref(), wall.as_secs_f64());
        if held.is_none() {
            out.push_str(
                "<p class=\"note\">Bytes held in chunks need the run's graph: use \
                 <code>Options::report(path)</code> or <code>Report::set_graph</code>.</p>\n",
            );
        }

        if let Some(dot) = &info.plan_dot {
            out.push_str("<h2>Optimized plan</h2>\n");
            match dot_to_svg(dot) {
                Ok(svg) => {
                    let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
                    let _ = writeln!(out, "<div class=\"plan\">{body}</div>");
                }
                Err(e) => {
                    let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&e.to_string()));
                }
            }
        }

        if !info.options.is_empty() {
            out.push_str("<h2>Options</h2>\n<table>\n");
            for (name, value) in &info.options {
                let _ = writeln!(
                    out,
                    "<tr><th>{}</th><td>{}</td></tr>",
                    escape(name),
                    escape(value)
                );
            }
            out.push_str("</table>\n");
        }
        out.push_str("</body></html>\n");
        out
    }

    /// Writes [`Report::html`] to `path`.
    pub fn write_html(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.html()).map_err(|e| Error::file(path, "writing", &e))
    }
}

impl Observer for Report {
    fn on_run_start(&self, total: usize) {
        self.info().start.get_or_insert_with(Instant::now);
        self.resources.on_run_start(total);
        self.profiler.on_run_start(total);
    }
    fn on_start(&self, e: &TaskStart<'_>) {
        self.profiler.on_start(e);
    }
    fn on_finish(&self, e: &TaskFinish<'_>) {
        self.profiler.on_finish(e);
    }
    fn on_run_end(&self, ok: bool) {
        self.resources.on_run_end(ok);
        self.profiler.on_run_end(ok);
        let mut info = self.info();
        info.end = Some(Instant::now());
        info.ok = Some(info.ok.unwrap_or(true) && ok);
    }
}

/// What the compiled backend did during the run, for the summary line.
fn codegen_line(c: &crate::kernel::codegen::Stats) -> String {
    format!(
        "{} fused program(s) compiled in {:.2} ms, {} left to the interpreter",
        c.compiled,
        c.compile_time.as_secs_f64() * 1e3,
        c.fallbacks
    )
}

const STYLE: &str = "body { font-family: sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; } th, td { padding: 2px 10px; border-bottom: 1px solid #ddd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { text-align: left; } .swatch { display: inline-block; width: 0.9em; height: 0.9em; }
.note { color: #666; } .plan svg { max-width: 100%; height: auto; }
svg text { font-size: 11px; }
";

/// A colour per operation, in order of first appearance.
fn colours(records: &[TaskRecord]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for r in records {
        let n = out.len();
        out.entry(r.op.clone())
            .or_insert_with(|| format!("hsl({}, 65%, 55%)", (n * 137) % 360));
    }
    out
}

fn task_stream(
    out: &mut String,
    records: &[TaskRecord],
    origin: Instant,
    wall: Duration,
    colours: &HashMap<String, String>,
) {
    const WIDTH: f64 = 1000.0;
    const ROW: f64 = 22.0;
    const LEFT: f64 = 70.0;
    let workers = records.iter().map(|r| r.thread).max().map_or(1, |t| t + 1);
    let span = wall.as_secs_f64().max(1e-9);
    let height = workers as f64 * ROW + 24.0;
    let _ = writeln!(
        out,
        "<svg class=\"stream\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\">",
        WIDTH + LEFT + 10.0
    );
    for w in 0..workers {
        let y = w as f64 * ROW;
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{:.1}\">worker {w}</text>",
            y + ROW * 0.65
        );
    }
    for r in records {
        let x = LEFT + (r.start.saturating_duration_since(origin).as_secs_f64() / span) * WIDTH;
        let w = (r.duration.as_secs_f64() / span * WIDTH).max(0.5);
        let y = r.thread as f64 * ROW + 2.0;
        let _ = writeln!(
            out,
            "<rect x=\"{x:.2}\" y=\"{y:.1}\" width=\"{w:.2}\" height=\"{:.1}\" fill=\"{}\"{}><title>{} — {} — {:.3} ms</title></rect>",
            ROW - 4.0,
            colours[&r.op],
            if r.ok { "" } else { " stroke=\"red\"" },
            escape(&r.key),
            escape(&r.op),
            r.duration.as_secs_f64() * 1e3
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"{:.1}\">0 s</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.3} s</text>",
        height - 4.0,
        LEFT + WIDTH,
        height - 4.0,
        span
    );
    out.push_str("</svg>\n");
}

fn op_table(out: &mut String, records: &[TaskRecord], colours: &HashMap<String, String>) {
    let mut by_op: HashMap<&str, (usize, Duration, usize)> = HashMap::new();
    for r in records {
        let e = by_op.entry(&r.op).or_default();
        e.0 += 1;
        e.1 += r.duration;
        e.2 += r.bytes.unwrap_or(0);
    }
    let mut rows: Vec<_> = by_op.into_iter().collect();
    rows.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
    out.push_str(
        "<table class=\"ops\">\n<tr><th>operation</th><th>tasks</th><th>total (s)</th>\
         <th>mean (ms)</th><th>bytes produced</th></tr>\n",
    );
    for (op, (tasks, total, bytes)) in rows {
        let _ = writeln!(
            out,
            "<tr><td><span class=\"swatch\" style=\"background:{}\"></span> {}</td>\
             <td class=\"num\">{tasks}</td><td class=\"num\">{:.4}</td>\
             <td class=\"num\">{:.3}</td><td class=\"num\">{}</td></tr>",
            colours[op],
            escape(op),
            total.as_secs_f64(),
            total.as_secs_f64() * 1e3 / tasks as f64,
            megabytes(bytes as f64)
        );
    }
    out.push_str("</table>\n");
}

fn memory_chart(out: &mut String, rss: &[(f64, f64)], held: Option<&[(f64, f64)]>, wall: f64) {
    const WIDTH: f64 = 1000.0;
    const HEIGHT: f64 = 200.0;
    const LEFT: f64 = 70.0;
    let span = wall.max(1e-9);
    let top = rss
        .iter()
        .chain(held.unwrap_or(&[]))
        .map(|p| p.1)
        .fold(1.0, f64::max);
    let line = |points: &[(f64, f64)]| -> String {
        points
            .iter()
            .filter(|p| p.0 >= -1e-9)
            .map(|&(t, v)| {
                format!(
                    "{:.1},{:.1}",
                    LEFT + (t / span).min(1.0) * WIDTH,
                    HEIGHT - v / top * HEIGHT
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = writeln!(
        out,
        "<svg class=\"memory\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\">",
        WIDTH + LEFT + 10.0,
        HEIGHT + 40.0
    );
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{HEIGHT}\" x2=\"{}\" y2=\"{HEIGHT}\" stroke=\"#999\"/>\
         <text x=\"0\" y=\"12\">{}</text><text x=\"0\" y=\"{HEIGHT}\">0</text>",
        LEFT + WIDTH,
        megabytes(top)
    );
    let _ = writeln!(
        out,
        "<polyline class=\"rss\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{}\"><title>resident memory (RSS)</title></polyline>",
        line(rss)
    );
    if let Some(held) = held {
        let _ = writeln!(
            out,
            "<polyline class=\"held\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"{}\"><title>bytes held in chunk values</title></polyline>",
            line(held)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"{:.1}\" fill=\"#1f77b4\">— resident memory (RSS)</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#d62728\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{span:.3} s</text>",
        HEIGHT + 30.0,
        LEFT + 250.0,
        HEIGHT + 30.0,
        if held.is_some() {
            "— bytes held in chunk values"
        } else {
            ""
        },
        LEFT + WIDTH,
        HEIGHT + 16.0,
    );
    out.push_str("</svg>\n");
}

fn megabytes(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

/// Escapes text for HTML and SVG.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
