//! The optimizer: a list of passes that rewrite a [`Plan`] without changing any output's
//! value.
//!
//! - [`cse::Cse`]: merges structurally equal nodes (`&x * &x` built twice is computed once).
//! - [`fuse_elementwise::FuseElementwise`]: turns each connected group of elementwise nodes
//!   into one node running a fused program, and folds such a program into the reduction
//!   that consumes it.
//! - [`rematerialize::Rematerialize`]: gives each reader of a cheap generated array its own
//!   copy of the chunk tasks, so chunks are never held for a second reader.
//! - [`cull::Cull`]: drops nodes no output needs (run after the rewrites).
//!
//! [`Passes`] switches passes off, so benchmarks can compare. After every pass the driver
//! checks that the plan is still in topological order, the outputs keep their shapes,
//! chunks and types, and every structural hash describes its node as it is now; a failed
//! check is an [`Error::Internal`] naming the pass. The check is linear in the plan's size
//! (a plan has one node per whole-array operation, not per chunk), so it runs in release
//! builds too: the test suite runs in release mode, and a check that only debug builds
//! made would go unexercised there.

pub(crate) mod cse;
pub(crate) mod cull;
pub(crate) mod fuse_elementwise;
pub(crate) mod rematerialize;

use crate::error::{Error, Result};
use crate::plan::Plan;

/// A rewrite of the plan that preserves every output's value.
pub(crate) trait Pass {
    /// The pass's name.
    fn name(&self) -> &'static str;
    /// Rewrites `plan` in place.
    fn run(&self, plan: &mut Plan) -> Result<()>;
}

/// Which optimizer passes run (all by default; `cull` always runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Passes {
    /// Common-subexpression elimination.
    pub(crate) cse: bool,
    /// Elementwise fusion (and fusion into reductions).
    pub(crate) fuse: bool,
    /// Per-reader copies of cheap generated sources.
    pub(crate) rematerialize: bool,
}

impl Default for Passes {
    fn default() -> Self {
        Passes {
            cse: true,
            fuse: true,
            rematerialize: true,
        }
    }
}

impl Passes {
    /// The passes switched on, in order.
    pub(crate) fn list(&self) -> Vec<Box<dyn Pass>> {
        let mut passes: Vec<Box<dyn Pass>> = Vec::new();
        if self.cse {
            passes.push(Box::new(cse::Cse));
        }
        if self.fuse {
            passes.push(Box::new(fuse_elementwise::FuseElementwise));
        }
        if self.rematerialize {
            passes.push(Box::new(rematerialize::Rematerialize));
        }
        passes.push(Box::new(cull::Cull));
        passes
    }

    /// Runs the passes switched on over `plan`, checking each one's invariants.
    pub(crate) fn run(&self, plan: &mut Plan) -> Result<()> {
        let metas = plan.output_metas();
        for pass in self.list() {
            pass.run(plan)?;
            check(plan, &metas, pass.name())?;
        }
        Ok(())
    }
}

/// What every pass keeps: topological order, the outputs' metas, current hashes.
fn check(plan: &Plan, metas: &[crate::geometry::Meta], pass: &'static str) -> Result<()> {
    let stale = |message: String| Error::Internal { pass, message };
    plan.check(metas).map_err(stale)?;
    let mut rehashed = plan.clone();
    rehashed.rehash();
    for (id, (now, fresh)) in plan.ids().zip(plan.nodes.iter().zip(&rehashed.nodes)) {
        if now.hash != fresh.hash {
            return Err(stale(format!(
                "node {} ({}) has a stale structural hash",
                id.index(),
                plan.label(id)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::geometry::Meta;

    /// The plan's node labels, in order.
    pub(crate) fn labels(plan: &Plan) -> Vec<String> {
        plan.ids().map(|id| plan.label(id)).collect()
    }

    #[test]
    fn a_pass_that_breaks_an_invariant_is_named_in_an_internal_error() {
        let x = crate::Array::<f64>::ones(&[4], 2).unwrap();
        let y = (&x * 2.0).sum();
        let mut plan = Plan::from_outputs(&[y.node().clone()]);
        let metas: Vec<Meta> = plan.output_metas();
        // A stale hash, as a rewrite that forgot to rehash would leave.
        plan.nodes[0].hash ^= 1;
        let err = check(&plan, &metas, "test-pass").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Internal {
                    pass: "test-pass",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("chunkflow bug"));
        // An output whose meta changed.
        let mut plan = Plan::from_outputs(&[y.node().clone()]);
        plan.nodes.last_mut().unwrap().meta.shape = vec![1];
        assert!(check(&plan, &metas, "p").is_err());
        // A node reading a later one.
        let mut plan = Plan::from_outputs(&[y.node().clone()]);
        let last = plan.ids().last().unwrap();
        plan.nodes[0].inputs.push(last);
        assert!(check(&plan, &metas, "p").is_err());
    }
}
