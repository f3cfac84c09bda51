//! Culling while lowering: which blocks of each node some output needs, so a node lowers
//! only those (Dask culls before it materializes tasks). Slicing ten elements out of an
//! array of millions of chunks then costs the chunks it touches, not the array's.
//!
//! Nodes are lowered consumers first. Outputs need every block; after a node is lowered,
//! the inputs of the tasks it inserted name the blocks of other nodes it reads, and those
//! become needed. A lowering that does not filter (reductions, scans: their blocks depend
//! on each other) lowers every block and so marks every input block it reads: correct,
//! just not culled. A node nothing needs is not lowered at all.

use std::collections::{BTreeSet, HashMap};

use crate::geometry::{BlockIter, Chunks};
use crate::graph::TaskGraph;
use crate::plan::{NodeId, Plan};

/// Which blocks of one node are needed.
pub(super) enum Needed {
    /// Every block (a requested output).
    All,
    /// These blocks (possibly none).
    Blocks(BTreeSet<Vec<usize>>),
}

/// The needed blocks of every node, filled in as lowering walks consumers first.
pub(super) struct Wanted {
    needed: Vec<Needed>,
    node_of_name: HashMap<String, NodeId>,
}

impl Wanted {
    /// Outputs need everything; other nodes nothing yet.
    pub(super) fn new(plan: &Plan, names: &[String]) -> Self {
        let mut needed: Vec<Needed> = (0..plan.nodes.len())
            .map(|_| Needed::Blocks(BTreeSet::new()))
            .collect();
        for &o in &plan.outputs {
            needed[o.index()] = Needed::All;
        }
        let node_of_name = plan
            .ids()
            .map(|id| (names[id.index()].clone(), id))
            .collect();
        Wanted {
            needed,
            node_of_name,
        }
    }

    /// Whether anything needs a block of `id`.
    pub(super) fn any(&self, id: NodeId) -> bool {
        match &self.needed[id.index()] {
            Needed::All => true,
            Needed::Blocks(set) => !set.is_empty(),
        }
    }

    /// The blocks of `id` (chunked as `chunks`) to lower, in row-major order.
    pub(super) fn blocks(&self, id: NodeId, chunks: &Chunks) -> WantedBlocks {
        match &self.needed[id.index()] {
            Needed::All => WantedBlocks::All(chunks.blocks()),
            Needed::Blocks(set) => {
                WantedBlocks::Some(set.iter().cloned().collect::<Vec<_>>().into_iter())
            }
        }
    }

    /// Marks the blocks read by the tasks `graph` gained since it had `before` tasks
    /// (node `id`'s tasks, and any helper tasks it inserted).
    pub(super) fn mark_reads(&mut self, id: NodeId, graph: &TaskGraph, before: usize) {
        for (_, task) in graph.iter().skip(before) {
            for key in task.inputs() {
                let Some(&input) = self.node_of_name.get(key.name()) else {
                    continue; // a helper task's key (partials, carries, a bag's tasks)
                };
                if input == id {
                    continue;
                }
                if let Needed::Blocks(set) = &mut self.needed[input.index()] {
                    set.insert(key.index().to_vec());
                }
            }
        }
    }
}

/// The blocks one node lowers: all of them, or the needed ones.
pub(super) enum WantedBlocks {
    All(BlockIter),
    Some(std::vec::IntoIter<Vec<usize>>),
}

impl Iterator for WantedBlocks {
    type Item = Vec<usize>;
    fn next(&mut self) -> Option<Vec<usize>> {
        match self {
            WantedBlocks::All(blocks) => blocks.next(),
            WantedBlocks::Some(blocks) => blocks.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::array::Array;
    use crate::kernel::codegen::Backend;
    use crate::lower::{InPlace, lower};
    use crate::options::Options;
    use crate::plan::Plan;

    fn lowered_tasks(array: &Array<f64>) -> usize {
        let mut plan = Plan::from_outputs(std::slice::from_ref(array.node()));
        Options::default().passes.run(&mut plan).unwrap();
        lower(&plan, InPlace::Never, Backend::Interpreter)
            .unwrap()
            .graph
            .len()
    }

    #[test]
    fn a_small_slice_lowers_only_the_chunks_it_reads() {
        let x = Array::<f64>::arange(0.0, 1e6, 1.0, 1).unwrap();
        let y = (&x * 2.0 + 1.0).slice(ndarray::s![1000..1010]).unwrap();
        // Ten fused chunks and ten slice tasks, not a million of each.
        assert!(lowered_tasks(&y) <= 30, "{}", lowered_tasks(&y));
        let z = (&x * 2.0).slice(ndarray::s![1000..1010]).unwrap().sum();
        assert!(lowered_tasks(&z) <= 40, "{}", lowered_tasks(&z));
        // Everything is lowered when everything is needed.
        assert!(lowered_tasks(&(&x * 2.0)) >= 1_000_000);
    }
}
