//! Cull: drop every node that no requested output depends on.
//!
//! Invariant: the outputs' values are unchanged; only unreachable nodes go. (Collecting a
//! plan from its outputs already culls; this pass cleans up after rewrites that leave nodes
//! unreferenced, such as fusion.)

use super::Pass;
use crate::error::Result;
use crate::plan::Plan;

/// The cull pass.
pub(crate) struct Cull;

impl Pass for Cull {
    fn name(&self) -> &'static str {
        "cull"
    }
    fn run(&self, plan: &mut Plan) -> Result<()> {
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
    fn nodes_no_output_reads_are_dropped() {
        let x = Array::<f64>::ones(&[4], 2).unwrap();
        let y = &x + 1.0;
        let mut plan = Plan::from_outputs(&[y.node().clone(), (&x * 2.0).node().clone()]);
        assert_eq!(plan.nodes.len(), 5);
        // Only y stays requested: the product and its constant become unreachable.
        plan.outputs.pop();
        Cull.run(&mut plan).unwrap();
        assert_eq!(
            labels(&plan),
            ["full [4] f64", "const 1 [] f64", "add [4] f64"]
        );
        assert_eq!(plan.outputs, vec![plan.ids().last().unwrap()]);
    }
}
