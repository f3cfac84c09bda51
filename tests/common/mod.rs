//! Helpers shared by the integration tests: values that count themselves, and rendering
//! DOT with Graphviz.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};
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

/// Renders `dot` to SVG with Graphviz's `dot`, failing the test if it is missing or rejects
/// the input (.ci/run installs Graphviz).
pub fn render_svg(dot: &str) -> String {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("graphviz `dot` must be installed (.ci/run installs it)");
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
