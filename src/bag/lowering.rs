//! The bag plan: immutable nodes that know how to lower themselves into a [`TaskGraph`].
//!
//! Every [`Bag`](super::Bag) holds an `Arc<Node>`. A node has a label (for DOT and errors),
//! its number of partitions, and a lowering closure that, given a [`Lowering`] context,
//! inserts its tasks and returns one key per partition. Lowering is memoised by node
//! identity, so a bag used twice in one computation is lowered (and run) once.
//!
//! A node also names the nodes its closure lowers (its `inputs`), so that a plan of any
//! depth (10,000 chained `map_partitions`) is lowered, and dropped, by loops over an
//! explicit stack instead of one Rust stack frame (or several) per node.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Result;
use crate::graph::{FnKernel, Key, Task, TaskGraph, Value};

/// The lowering closure of a node: inserts tasks, returns one key per partition.
pub(crate) type LowerFn = dyn Fn(&mut Lowering) -> Result<Vec<Key>> + Send + Sync;

/// One operation of a bag plan.
pub(crate) struct Node {
    pub(crate) label: String,
    pub(crate) npartitions: usize,
    /// The nodes `lower` asks the context for (lowered first, without recursion). A node
    /// it asks for that is not listed here is still lowered, recursively.
    inputs: Vec<Arc<Node>>,
    lower: Box<LowerFn>,
}

impl Node {
    pub(crate) fn new(
        label: impl Into<String>,
        npartitions: usize,
        inputs: Vec<Arc<Node>>,
        lower: impl Fn(&mut Lowering) -> Result<Vec<Key>> + Send + Sync + 'static,
    ) -> Arc<Node> {
        Arc::new(Node {
            label: label.into(),
            npartitions,
            inputs,
            lower: Box::new(lower),
        })
    }
}

impl Drop for Node {
    /// Drops a chain of nodes in a loop: the closure goes first (its references to the
    /// inputs with it), then every input this node held the last reference to is taken
    /// apart here, its own inputs moved onto the same stack. Dropping 10,000 chained nodes
    /// recursively overflowed a 2 MiB stack.
    fn drop(&mut self) {
        drop(std::mem::replace(
            &mut self.lower,
            Box::new(|_: &mut Lowering| Ok(Vec::new())),
        ));
        let mut stack = std::mem::take(&mut self.inputs);
        while let Some(node) = stack.pop() {
            if let Some(mut node) = Arc::into_inner(node) {
                drop(std::mem::replace(
                    &mut node.lower,
                    Box::new(|_: &mut Lowering| Ok(Vec::new())),
                ));
                stack.append(&mut node.inputs);
            }
        }
    }
}

/// A node's identity in the memo table (nodes outlive the lowering: the outputs hold them).
fn node_id(node: &Arc<Node>) -> usize {
    Arc::as_ptr(node) as usize
}

/// The state of one lowering: the graph being built, whether chains fuse, and the memo table.
pub(crate) struct Lowering {
    pub(crate) graph: TaskGraph,
    /// Fuse linear chains of per-item operations into one task per partition (from
    /// [`Options::fuse`](crate::Options::fuse)).
    pub(crate) fuse: bool,
    /// How many processes the graph will run on (see
    /// [`Scheduler::ranks`](crate::scheduler::Scheduler::ranks)).
    pub(crate) ranks: usize,
    memo: HashMap<usize, Vec<Key>>,
}

impl Lowering {
    pub(crate) fn new(fuse: bool) -> Self {
        Lowering {
            graph: TaskGraph::new(),
            fuse,
            ranks: 1,
            memo: HashMap::new(),
        }
    }

    /// A lowering for running under `options`: their fusion switch and their scheduler's
    /// number of processes.
    pub(crate) fn for_options(options: &crate::options::Options) -> Self {
        Lowering {
            ranks: options.get_scheduler().ranks().max(1),
            ..Lowering::new(options.passes.fuse)
        }
    }

    /// The partition keys of `node`, lowering it on first use.
    pub(crate) fn partitions(&mut self, node: &Arc<Node>) -> Result<Vec<Key>> {
        if let Some(keys) = self.memo.get(&node_id(node)) {
            return Ok(keys.clone());
        }
        // Post-order over the declared inputs with an explicit stack: when a node's closure
        // runs, the inputs it asks for are memoised already, so the Rust stack stays flat
        // however deep the plan is.
        let mut stack: Vec<(&Arc<Node>, bool)> = vec![(node, false)];
        while let Some((n, inputs_done)) = stack.pop() {
            if self.memo.contains_key(&node_id(n)) {
                continue;
            }
            if !inputs_done {
                stack.push((n, true));
                for input in n.inputs.iter().rev() {
                    if !self.memo.contains_key(&node_id(input)) {
                        stack.push((input, false));
                    }
                }
                continue;
            }
            let keys = (n.lower)(self)?;
            debug_assert_eq!(keys.len(), n.npartitions, "{}", n.label);
            self.memo.insert(node_id(n), keys);
        }
        Ok(self.memo[&node_id(node)].clone())
    }

    /// Inserts a call task running `f` on the values of `inputs`.
    pub(crate) fn call(
        &mut self,
        key: Key,
        label: &str,
        inputs: Vec<Key>,
        f: impl Fn(Vec<Value>) -> Result<Value> + Send + Sync + 'static,
    ) -> Result<Key> {
        self.graph
            .insert(key.clone(), Task::call(FnKernel::new(label, f), inputs))?;
        Ok(key)
    }
}
