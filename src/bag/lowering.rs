//! The bag plan: immutable nodes that know how to lower themselves into a [`TaskGraph`].
//!
//! Every [`Bag`](super::Bag) holds an `Arc<Node>`. A node has a label (for DOT and errors),
//! its number of partitions, and a lowering closure that, given a [`Lowering`] context,
//! inserts its tasks and returns one key per partition. Lowering is memoised by node
//! identity, so a bag used twice in one computation is lowered (and run) once.

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
    lower: Box<LowerFn>,
}

impl Node {
    pub(crate) fn new(
        label: impl Into<String>,
        npartitions: usize,
        lower: impl Fn(&mut Lowering) -> Result<Vec<Key>> + Send + Sync + 'static,
    ) -> Arc<Node> {
        Arc::new(Node {
            label: label.into(),
            npartitions,
            lower: Box::new(lower),
        })
    }
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
        let id = Arc::as_ptr(node) as usize;
        if let Some(keys) = self.memo.get(&id) {
            return Ok(keys.clone());
        }
        let keys = (node.lower)(self)?;
        debug_assert_eq!(keys.len(), node.npartitions, "{}", node.label);
        self.memo.insert(id, keys.clone());
        Ok(keys)
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
