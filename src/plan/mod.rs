//! The plan: the high-level DAG of whole-array operations, collected from the outputs a
//! caller asked for, rewritten by the optimizer, then lowered to a task graph.
//!
//! The plan is a vector of nodes in topological order (inputs before consumers), each
//! naming its inputs by index. Passes are forward or backward sweeps over it, so a plain
//! vector serves better than a general graph library here (the design card's petgraph is
//! not needed: every pass would convert indices back and forth).

pub mod lower;
pub mod node;

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

pub use node::{ElemOp, Node, Op, ReduceSpec};

use crate::geometry::Meta;

use crate::graph::dot::escape;

/// One node of a [`Plan`].
#[derive(Clone)]
pub struct PlanNode {
    /// What it computes.
    pub op: Op,
    /// Its inputs, as indices of earlier nodes.
    pub inputs: Vec<usize>,
    /// Its result's shape, chunks and type.
    pub meta: Meta,
    /// Its structural hash.
    pub hash: u64,
}

/// A DAG of whole-array operations in topological order, with the requested outputs.
#[derive(Clone)]
pub struct Plan {
    /// The nodes; each node's inputs come before it.
    pub nodes: Vec<PlanNode>,
    /// The indices of the requested outputs, in request order.
    pub outputs: Vec<usize>,
}

impl Plan {
    /// Collects the nodes reachable from `outputs` (which culls everything else).
    pub fn from_outputs(outputs: &[Arc<Node>]) -> Plan {
        let mut index: HashMap<*const Node, usize> = HashMap::new();
        let mut nodes: Vec<PlanNode> = Vec::new();
        let mut out_ids = Vec::with_capacity(outputs.len());
        for root in outputs {
            let mut stack: Vec<(&Arc<Node>, usize)> = vec![(root, 0)];
            while let Some((node, next)) = stack.pop() {
                let ptr = Arc::as_ptr(node);
                if index.contains_key(&ptr) {
                    continue;
                }
                if let Some(input) = node.inputs.get(next) {
                    stack.push((node, next + 1));
                    if !index.contains_key(&Arc::as_ptr(input)) {
                        stack.push((input, 0));
                    }
                    continue;
                }
                let inputs = node.inputs.iter().map(|i| index[&Arc::as_ptr(i)]).collect();
                index.insert(ptr, nodes.len());
                nodes.push(PlanNode {
                    op: node.op.clone(),
                    inputs,
                    meta: node.meta.clone(),
                    hash: node.hash,
                });
            }
            out_ids.push(index[&Arc::as_ptr(root)]);
        }
        Plan {
            nodes,
            outputs: out_ids,
        }
    }

    /// How many times each node is read (by other nodes and by the outputs).
    pub fn use_counts(&self) -> Vec<usize> {
        let mut uses = vec![0; self.nodes.len()];
        for node in &self.nodes {
            for &i in &node.inputs {
                uses[i] += 1;
            }
        }
        for &o in &self.outputs {
            uses[o] += 1;
        }
        uses
    }

    /// Drops nodes the outputs do not need and renumbers the rest, keeping the order.
    pub fn cull(&mut self) {
        let mut live = vec![false; self.nodes.len()];
        for &o in &self.outputs {
            live[o] = true;
        }
        for i in (0..self.nodes.len()).rev() {
            if live[i] {
                for &j in &self.nodes[i].inputs {
                    live[j] = true;
                }
            }
        }
        let mut new_index = vec![usize::MAX; self.nodes.len()];
        let mut kept = Vec::new();
        for (i, node) in std::mem::take(&mut self.nodes).into_iter().enumerate() {
            if live[i] {
                new_index[i] = kept.len();
                kept.push(node);
            }
        }
        for node in &mut kept {
            for input in &mut node.inputs {
                *input = new_index[*input];
            }
        }
        for o in &mut self.outputs {
            *o = new_index[*o];
        }
        self.nodes = kept;
    }

    /// A one-line description of node `i`: its operation (a fused node shows its whole
    /// expression, e.g. `fused: sum((a - b)^2)`), shape and type.
    pub fn label(&self, i: usize) -> String {
        let node = &self.nodes[i];
        let names: Vec<String> = (0..node.inputs.len()).map(input_name).collect();
        let what = match &node.op {
            Op::Fused(p) => format!("fused: {}", p.expr(&names)),
            Op::Reduce(spec) => reduce_label(spec, &names),
            Op::Const(v) => format!("const {v}"),
            op => op.name(),
        };
        format!("{what} {:?} {}", node.meta.shape, node.meta.dtype)
    }

    /// The plan in Graphviz DOT: one box per node, edges from inputs to consumers.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph plan {\n  rankdir=BT;\n  node [shape=box];\n");
        for (i, node) in self.nodes.iter().enumerate() {
            let style = if self.outputs.contains(&i) {
                ", style=bold"
            } else {
                ""
            };
            let _ = writeln!(out, "  n{i} [label=\"{}\"{style}];", escape(&self.label(i)));
            for &j in &node.inputs {
                let _ = writeln!(out, "  n{j} -> n{i};");
            }
        }
        out.push_str("}\n");
        out
    }
}

/// The name of a fused node's `k`-th input in labels: `a`, `b`, ..., `z`, `in26`, ...
pub(crate) fn input_name(k: usize) -> String {
    if k < 26 {
        ((b'a' + k as u8) as char).to_string()
    } else {
        format!("in{k}")
    }
}

/// A reduction's label: `sum`, or with fused programs `fused: sqrt(sum((a - b)^2))`.
pub(crate) fn reduce_label(spec: &ReduceSpec, names: &[String]) -> String {
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
