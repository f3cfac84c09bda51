//! Graphviz (DOT) export of task graphs, drawn the way Dask draws them: every value is a box
//! labelled with its key, every function call is a circle labelled with the function's name,
//! and edges run from input values through the call to the value it produces.

use std::fmt::Write;

use super::{Task, TaskGraph};

/// Escapes `text` for use inside a double-quoted DOT string.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

impl TaskGraph {
    /// The graph in Graphviz DOT: values as boxes, function calls as circles.
    ///
    /// ```
    /// use chunkflow::graph::{Task, TaskGraph};
    /// let mut g = TaskGraph::new();
    /// g.literal("a", 2_i64)?;
    /// g.insert("b", Task::map1("neg", |a: &i64| -a, "a"))?;
    /// let dot = g.to_dot();
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains("label=\"neg\", shape=circle"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph chunkflow {\n  rankdir=BT;\n");
        let ids: std::collections::HashMap<_, _> =
            self.iter().enumerate().map(|(i, (k, _))| (k, i)).collect();
        for (i, (key, task)) in self.iter().enumerate() {
            let label = escape(&key.to_string());
            let _ = writeln!(out, "  d{i} [label=\"{label}\", shape=box];");
            if let Task::Call { kernel, inputs } = task {
                let name = escape(kernel.name());
                let _ = writeln!(out, "  f{i} [label=\"{name}\", shape=circle];");
                let _ = writeln!(out, "  f{i} -> d{i};");
                for input in inputs {
                    match ids.get(input) {
                        Some(j) => {
                            let _ = writeln!(out, "  d{j} -> f{i};");
                        }
                        None => {
                            let missing = escape(&input.to_string());
                            let _ = writeln!(
                                out,
                                "  \"missing:{missing}\" [label=\"{missing} (missing)\", shape=box, style=dashed];\n  \"missing:{missing}\" -> f{i};"
                            );
                        }
                    }
                }
            }
        }
        out.push_str("}\n");
        out
    }
}
