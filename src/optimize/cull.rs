//! Cull: drop every node that no requested output depends on.
//!
//! Invariant: the outputs' values are unchanged; only unreachable nodes go. (Collecting a
//! plan from its outputs already culls; this pass cleans up after rewrites that leave nodes
//! unreferenced, such as fusion.)

use super::Pass;
use crate::error::Result;
use crate::plan::Plan;

/// The cull pass.
pub struct Cull;

impl Pass for Cull {
    fn name(&self) -> &'static str {
        "cull"
    }
    fn run(&self, plan: &mut Plan) -> Result<()> {
        plan.cull();
        Ok(())
    }
}
