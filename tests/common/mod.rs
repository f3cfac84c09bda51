//! Helpers shared by the integration tests: values that count themselves, and rendering
//! DOT to SVG (in-process, and with Graphviz under the `graphviz` feature).
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live values and remembers the peak.
#[derive(Default)]
pub struct LiveCounter {
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl LiveCounter {
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// A value registered with a [`LiveCounter`] from creation to drop.
pub struct Counted {
    pub value: i64,
    counter: Arc<LiveCounter>,
}

impl Counted {
    pub fn new(value: i64, counter: &Arc<LiveCounter>) -> Self {
        let live = counter.live.fetch_add(1, Ordering::SeqCst) + 1;
        counter.peak.fetch_max(live, Ordering::SeqCst);
        Counted {
            value,
            counter: counter.clone(),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.counter.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Renders `dot` to SVG in-process (chunkflow's own renderer, no Graphviz needed).
pub fn render_in_process(dot: &str) -> String {
    let svg = chunkflow::graph::dot_to_svg(dot).expect("renderable DOT");
    assert!(svg.contains("<svg"), "not an SVG document: {svg}");
    svg
}

/// The text labels of an SVG document (Graphviz's `<text>` or layout-rs's `<tspan>`
/// elements), with XML escapes undone.
pub fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in ["<text", "<tspan"] {
        let close = if tag == "<text" {
            "</text>"
        } else {
            "</tspan>"
        };
        let mut rest = svg;
        while let Some(start) = rest.find(tag) {
            rest = &rest[start + tag.len()..];
            let Some(open_end) = rest.find('>') else {
                break;
            };
            let body = &rest[open_end + 1..];
            let Some(end) = body.find(close) else { break };
            let text = &body[..end];
            if !text.contains('<') {
                out.push(
                    text.replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&amp;", "&"),
                );
            }
            rest = &body[end..];
        }
    }
    out
}

/// Renders `dot` to SVG with Graphviz's `dot`, failing the test if it is missing or rejects
/// the input (the `graphviz` feature's tests; .ci/run installs Graphviz).
#[cfg(feature = "graphviz")]
pub fn render_with_graphviz(dot: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("graphviz `dot` must be installed for the `graphviz` feature's tests");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
