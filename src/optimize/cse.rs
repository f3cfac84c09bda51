//! Common-subexpression elimination by structural hashing.
//!
//! Invariant: two nodes with the same structural hash compute the same value (the hash
//! covers the operation, its parameters, the identity of any closure or data source, the
//! inputs' hashes, and the result's shape, chunks and type), so every use of the later one
//! can read the earlier one instead.

use std::collections::HashMap;

use super::Pass;
use crate::error::Result;
use crate::plan::Plan;

/// The CSE pass.
pub struct Cse;

impl Pass for Cse {
    fn name(&self) -> &'static str {
        "cse"
    }
    fn run(&self, plan: &mut Plan) -> Result<()> {
        let mut first: HashMap<u64, usize> = HashMap::new();
        let mut canonical = Vec::with_capacity(plan.nodes.len());
        for (i, node) in plan.nodes.iter_mut().enumerate() {
            for input in &mut node.inputs {
                *input = canonical[*input];
            }
            canonical.push(*first.entry(node.hash).or_insert(i));
        }
        for out in &mut plan.outputs {
            *out = canonical[*out];
        }
        plan.cull();
        Ok(())
    }
}
