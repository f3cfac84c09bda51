//! The plan: the high-level DAG of whole-array operations, collected from the outputs a
//! caller asked for, rewritten by the optimizer, then lowered to a task graph.
//!
//! The plan is a vector of nodes in topological order (inputs before consumers), each
//! naming its inputs by index. Passes are forward or backward sweeps over it, so a plain
//! vector serves better than a general graph library here (the design card's petgraph is
//! not needed: every pass would convert indices back and forth).

pub(crate) mod display;
pub(crate) mod node;

use std::collections::HashMap;
use std::ops::{Index, IndexMut};
use std::sync::Arc;

pub(crate) use node::{ElemOp, Node, Op, ReduceSpec, structural_hash};

use crate::geometry::Meta;

/// The position of a node in a [`Plan`]: inputs always have smaller ids than their
/// consumers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NodeId(usize);

impl NodeId {
    /// The node's position, for side tables indexed like `plan.nodes`.
    pub(crate) fn index(self) -> usize {
        self.0
    }
}

/// One node of a [`Plan`].
#[derive(Clone)]
pub(crate) struct PlanNode {
    /// What it computes.
    pub(crate) op: Op,
    /// Its inputs, all earlier nodes.
    pub(crate) inputs: Vec<NodeId>,
    /// Its result's shape, chunks and type.
    pub(crate) meta: Meta,
    /// Its structural hash: of the op and its parameters, the inputs' hashes and the meta.
    pub(crate) hash: u64,
}

/// A DAG of whole-array operations in topological order, with the requested outputs.
#[derive(Clone)]
pub(crate) struct Plan {
    /// The nodes; each node's inputs come before it.
    pub(crate) nodes: Vec<PlanNode>,
    /// The requested outputs, in request order.
    pub(crate) outputs: Vec<NodeId>,
}

impl Index<NodeId> for Plan {
    type Output = PlanNode;
    fn index(&self, id: NodeId) -> &PlanNode {
        &self.nodes[id.0]
    }
}

impl IndexMut<NodeId> for Plan {
    fn index_mut(&mut self, id: NodeId) -> &mut PlanNode {
        &mut self.nodes[id.0]
    }
}

impl Plan {
    /// Collects the nodes reachable from `outputs` (which culls everything else).
    pub(crate) fn from_outputs(outputs: &[Arc<Node>]) -> Plan {
        let mut index: HashMap<*const Node, NodeId> = HashMap::new();
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
                index.insert(ptr, NodeId(nodes.len()));
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

    /// The ids of all nodes, in topological order.
    pub(crate) fn ids(&self) -> impl DoubleEndedIterator<Item = NodeId> + use<> {
        (0..self.nodes.len()).map(NodeId)
    }

    /// The id the next pushed node gets.
    pub(crate) fn next_id(&self) -> NodeId {
        NodeId(self.nodes.len())
    }

    /// How many times each node is read (by other nodes and by the outputs), indexed by
    /// [`NodeId::index`].
    pub(crate) fn use_counts(&self) -> Vec<usize> {
        let mut uses = vec![0; self.nodes.len()];
        for node in &self.nodes {
            for &i in &node.inputs {
                uses[i.0] += 1;
            }
        }
        for &o in &self.outputs {
            uses[o.0] += 1;
        }
        uses
    }

    /// For each node, the nodes that read it, indexed by [`NodeId::index`].
    pub(crate) fn consumers(&self) -> Vec<Vec<NodeId>> {
        let mut consumers = vec![Vec::new(); self.nodes.len()];
        for (id, node) in self.ids().zip(&self.nodes) {
            for &j in &node.inputs {
                consumers[j.0].push(id);
            }
        }
        consumers
    }

    /// Whether `id` is a requested output.
    pub(crate) fn is_output(&self, id: NodeId) -> bool {
        self.outputs.contains(&id)
    }

    /// Drops nodes the outputs do not need and renumbers the rest, keeping the order.
    pub(crate) fn cull(&mut self) {
        let mut live = vec![false; self.nodes.len()];
        for &o in &self.outputs {
            live[o.0] = true;
        }
        for i in (0..self.nodes.len()).rev() {
            if live[i] {
                for &j in &self.nodes[i].inputs {
                    live[j.0] = true;
                }
            }
        }
        let mut new_index = vec![NodeId(usize::MAX); self.nodes.len()];
        let mut kept = Vec::new();
        for (i, node) in std::mem::take(&mut self.nodes).into_iter().enumerate() {
            if live[i] {
                new_index[i] = NodeId(kept.len());
                kept.push(node);
            }
        }
        for node in &mut kept {
            for input in &mut node.inputs {
                *input = new_index[input.0];
            }
        }
        for o in &mut self.outputs {
            *o = new_index[o.0];
        }
        self.nodes = kept;
    }

    /// Recomputes every node's structural hash from its op, its inputs' (new) hashes and
    /// its meta, in topological order: rewrites call this, so a hash always describes what
    /// the node computes now.
    pub(crate) fn rehash(&mut self) {
        for i in 0..self.nodes.len() {
            let inputs: Vec<u64> = self.nodes[i]
                .inputs
                .iter()
                .map(|j| self.nodes[j.0].hash)
                .collect();
            let node = &self.nodes[i];
            self.nodes[i].hash = structural_hash(&node.op, inputs.into_iter(), &node.meta);
        }
    }

    /// Checks what every pass must keep: inputs come before their consumers, outputs are
    /// in range and keep `metas` (their shapes, chunks and types before the pass).
    pub(crate) fn check(&self, metas: &[Meta]) -> std::result::Result<(), String> {
        for (i, node) in self.nodes.iter().enumerate() {
            if let Some(j) = node.inputs.iter().find(|j| j.0 >= i) {
                return Err(format!(
                    "node {i} ({}) reads node {} which does not come before it",
                    node.op.name(),
                    j.0
                ));
            }
        }
        if self.outputs.len() != metas.len() {
            return Err(format!(
                "{} outputs, expected {}",
                self.outputs.len(),
                metas.len()
            ));
        }
        for (k, (o, meta)) in self.outputs.iter().zip(metas).enumerate() {
            let Some(node) = self.nodes.get(o.0) else {
                return Err(format!("output {k} is node {}, past the end", o.0));
            };
            if &node.meta != meta {
                return Err(format!(
                    "output {k} changed from {meta:?} to {:?}",
                    node.meta
                ));
            }
        }
        Ok(())
    }

    /// The outputs' metas, in request order.
    pub(crate) fn output_metas(&self) -> Vec<Meta> {
        self.outputs.iter().map(|&o| self[o].meta.clone()).collect()
    }
}
