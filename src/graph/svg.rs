//! SVG pictures of task graphs and plans, rendered in-process by the pure-Rust `layout-rs`
//! (no Graphviz needed), from the same DOT text that `to_dot` exports: values as boxes,
//! function calls as circles, fused tasks labelled with their expression.
//!
//! A graph of more than [`COLLAPSE_ABOVE`] tasks is drawn collapsed: one value box and one
//! call circle per task *name* (all chunks of one operation), labelled with the number of
//! tasks, so the picture stays readable (Dask's high-level graph view does the same).

use std::collections::HashMap;
use std::fmt::Write;

use super::dot::escape;
use super::{Task, TaskGraph};
use crate::error::{Error, Result};

/// Graphs with more tasks than this are drawn one node per operation, not per task.
pub const COLLAPSE_ABOVE: usize = 500;

/// Renders DOT text to a standalone SVG document, in-process.
///
/// ```
/// let svg = chunkflow::graph::dot_to_svg("digraph { a -> b; }")?;
/// assert!(svg.contains("<svg") && svg.contains(">a</tspan>"));
/// assert!(chunkflow::graph::dot_to_svg("digraph { a -> }").is_err());
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn dot_to_svg(dot: &str) -> Result<String> {
    let dot = dot.to_string();
    // layout-rs reports parse errors as values but may panic on inputs it does not
    // support; either becomes an error, never a panic in the caller.
    let rendered = std::panic::catch_unwind(move || -> std::result::Result<String, String> {
        let mut parser = layout::gv::DotParser::new(&dot);
        let graph = parser.process()?;
        let mut builder = layout::gv::GraphBuilder::new();
        builder.visit_graph(&graph);
        let mut visual = builder.get();
        let mut svg = layout::backends::svg::SVGWriter::new();
        visual.do_it(false, false, false, &mut svg);
        Ok(svg.finalize())
    });
    match rendered {
        Ok(Ok(svg)) => Ok(svg),
        Ok(Err(why)) => Err(Error::InvalidArgument(format!("not renderable DOT: {why}"))),
        Err(_) => Err(Error::InvalidArgument(
            "the SVG renderer could not lay this graph out".into(),
        )),
    }
}

impl TaskGraph {
    /// The graph as an SVG picture (collapsed per operation above [`COLLAPSE_ABOVE`]
    /// tasks).
    ///
    /// ```
    /// use chunkflow::graph::{Task, TaskGraph};
    /// let mut g = TaskGraph::new();
    /// g.literal("a", 2_i64)?;
    /// g.insert("b", Task::map1("neg", |a: &i64| -a, "a"))?;
    /// assert!(g.to_svg()?.contains(">neg</tspan>"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_svg(&self) -> Result<String> {
        if self.len() > COLLAPSE_ABOVE {
            dot_to_svg(&self.to_dot_collapsed())
        } else {
            dot_to_svg(&self.to_dot())
        }
    }

    /// The graph in DOT with one value box and one call circle per task name (the chunks
    /// of one operation), each labelled with its task count, and one edge per pair of
    /// connected names.
    ///
    /// ```
    /// use chunkflow::graph::{Key, Task, TaskGraph};
    /// let mut g = TaskGraph::new();
    /// for i in 0..3 {
    ///     g.literal(Key::chunk("x", &[i]), i as i64)?;
    ///     g.insert(Key::chunk("y", &[i]), Task::map1("neg", |a: &i64| -a, Key::chunk("x", &[i])))?;
    /// }
    /// let dot = g.to_dot_collapsed();
    /// assert!(dot.contains("neg ×3"), "{dot}");
    /// assert!(dot.contains("x ×3"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_dot_collapsed(&self) -> String {
        // Per task name, in first-seen order: its count and its call's label.
        let mut groups: Vec<(String, usize, Option<String>)> = Vec::new();
        let mut group_of: HashMap<&str, usize> = HashMap::new();
        for (key, task) in self.iter() {
            let g = *group_of.entry(key.name()).or_insert_with(|| {
                groups.push((key.name().to_string(), 0, None));
                groups.len() - 1
            });
            groups[g].1 += 1;
            if let Task::Call { kernel, .. } = task {
                groups[g].2.get_or_insert_with(|| kernel.name().to_string());
            }
        }
        let mut edges: Vec<(usize, usize)> = Vec::new();
        for (key, task) in self.iter() {
            if let Task::Call { inputs, .. } = task {
                let to = group_of[key.name()];
                for input in inputs {
                    if let Some(&from) = group_of.get(input.name())
                        && !edges.contains(&(from, to))
                    {
                        edges.push((from, to));
                    }
                }
            }
        }
        let mut out = String::from("digraph chunkflow {\n  rankdir=BT;\n");
        for (g, (name, count, call)) in groups.iter().enumerate() {
            let _ = writeln!(
                out,
                "  d{g} [label=\"{} ×{count}\", shape=box];",
                escape(name)
            );
            if let Some(call) = call {
                let _ = writeln!(
                    out,
                    "  f{g} [label=\"{} ×{count}\", shape=circle];\n  f{g} -> d{g};",
                    escape(call)
                );
            }
        }
        for (from, to) in edges {
            let _ = writeln!(out, "  d{from} -> f{to};");
        }
        out.push_str("}\n");
        out
    }
}
