//! Common-subexpression elimination by structural hashing.
//!
//! Invariant: two nodes with the same structural hash compute the same value (the hash
//! covers the operation, its parameters, the identity of any closure or data source, the
//! inputs' hashes, and the result's shape, chunks and type), so every use of the later one
//! can read the earlier one instead.

use std::collections::HashMap;

use super::Pass;
use crate::error::Result;
use crate::plan::{NodeId, Plan};

/// The CSE pass.
pub(crate) struct Cse;

impl Pass for Cse {
    fn name(&self) -> &'static str {
        "cse"
    }
    fn run(&self, plan: &mut Plan) -> Result<()> {
        // For each node, the first node with its hash (itself if none came before).
        let mut first: HashMap<u64, NodeId> = HashMap::new();
        let mut canonical: Vec<NodeId> = Vec::with_capacity(plan.nodes.len());
        for id in plan.ids() {
            let node = &mut plan[id];
            for input in &mut node.inputs {
                *input = canonical[input.index()];
            }
            canonical.push(*first.entry(node.hash).or_insert(id));
        }
        for out in &mut plan.outputs {
            *out = canonical[out.index()];
        }
        plan.cull();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Array;
    use crate::optimize::tests::labels;

    #[test]
    fn equal_subexpressions_built_twice_become_one_node() {
        let x = Array::<f64>::linspace(0.0, 1.0, 8, 4).unwrap();
        let y = &(&x * &x) + &(&x * &x);
        let mut plan = Plan::from_outputs(&[y.node().clone()]);
        assert_eq!(
            labels(&plan),
            [
                "linspace [8] f64",
                "mul [8] f64",
                "mul [8] f64",
                "add [8] f64"
            ]
        );
        Cse.run(&mut plan).unwrap();
        assert_eq!(
            labels(&plan),
            ["linspace [8] f64", "mul [8] f64", "add [8] f64"]
        );
        assert_eq!(
            plan[plan.outputs[0]].inputs,
            vec![plan.ids().nth(1).unwrap(); 2]
        );
    }
}
