//! How plan nodes and their tasks are named for people: one-line labels (a fused node shows
//! its whole expression, e.g. `fused: sqrt(sum((a - b)^2))`), the plan in Graphviz DOT, and
//! the labels lowering gives the tasks of each node, so the plan picture and the task graph
//! picture say the same thing.

use std::fmt::Write;

use super::{NodeId, Op, Plan, ReduceSpec};
use crate::graph::dot::escape;

impl Plan {
    /// A one-line description of node `id`: its operation, shape and type.
    pub(crate) fn label(&self, id: NodeId) -> String {
        let node = &self[id];
        let what = match &node.op {
            Op::Const(v) => format!("const {v}"),
            op => op_label(op, node.inputs.len()),
        };
        format!("{what} {:?} {}", node.meta.shape, node.meta.dtype)
    }

    /// The plan in Graphviz DOT: one box per node (outputs bold), edges from inputs to
    /// consumers.
    pub(crate) fn to_dot(&self) -> String {
        let mut out = String::from("digraph plan {\n  rankdir=BT;\n  node [shape=box];\n");
        for (id, node) in self.ids().zip(&self.nodes) {
            let i = id.index();
            let style = if self.is_output(id) {
                ", style=bold"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  n{i} [label=\"{}\"{style}];",
                escape(&self.label(id))
            );
            for &j in &node.inputs {
                let _ = writeln!(out, "  n{} -> n{i};", j.index());
            }
        }
        out.push_str("}\n");
        out
    }
}

/// What a node with `n_inputs` inputs computes, in words: its op's name (`add`,
/// `rechunk`), or for fused nodes the whole expression over inputs `a`, `b`, ... This is
/// also the label of an elementwise node's chunk tasks.
pub(crate) fn op_label(op: &Op, n_inputs: usize) -> String {
    match op {
        Op::Fused(p) => format!("fused: {}", p.expr(&input_names(n_inputs))),
        Op::Reduce(spec) => reduce_label(spec, &input_names(n_inputs)),
        op => op.name(),
    }
}

/// The label of a reduction's partial tasks: `sum-partial`, or with a fused program in
/// front `fused: sum((a - b)^2)`.
pub(crate) fn partial_label(spec: &ReduceSpec, n_inputs: usize) -> String {
    let kind = spec.kind.name();
    match &spec.pre {
        Some((p, _)) => format!("fused: {kind}({})", p.expr(&input_names(n_inputs))),
        None => format!("{kind}-partial"),
    }
}

/// The label of a reduction's combine tasks: `sum-combine`.
pub(crate) fn combine_label(spec: &ReduceSpec) -> String {
    format!("{}-combine", spec.kind.name())
}

/// The label of a reduction's aggregate tasks: `sum-aggregate`, or with a fused program
/// after it the node's whole expression.
pub(crate) fn aggregate_label(spec: &ReduceSpec, n_inputs: usize) -> String {
    match &spec.post {
        Some(_) => reduce_label(spec, &input_names(n_inputs)),
        None => format!("{}-aggregate", spec.kind.name()),
    }
}

/// The names of a fused node's inputs in labels: `a`, `b`, ..., `z`, `in26`, ...
fn input_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|k| {
            if k < 26 {
                ((b'a' + k as u8) as char).to_string()
            } else {
                format!("in{k}")
            }
        })
        .collect()
}

/// A reduction's label: `sum`, or with fused programs `fused: sqrt(sum((a - b)^2))`.
fn reduce_label(spec: &ReduceSpec, names: &[String]) -> String {
    let core = match &spec.pre {
        Some((p, _)) => format!("{}({})", spec.kind.name(), p.expr(names)),
        None if spec.post.is_some() => format!("{}({})", spec.kind.name(), names[0]),
        None => return spec.kind.name().to_string(),
    };
    match &spec.post {
        Some(post) => format!("fused: {}", post.expr(&[core])),
        None => format!("fused: {core}"),
    }
}
