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
//! [`Options`] switches passes off, so benchmarks can compare.

pub mod cse;
pub mod cull;
pub mod fuse_elementwise;
pub mod rematerialize;

use crate::error::Result;
use crate::options::Options;
use crate::plan::Plan;

/// A rewrite of the plan that preserves every output's value.
pub trait Pass {
    /// The pass's name.
    fn name(&self) -> &'static str;
    /// Rewrites `plan` in place.
    fn run(&self, plan: &mut Plan) -> Result<()>;
}

/// The passes `options` switch on, in order.
pub fn passes(options: &Options) -> Vec<Box<dyn Pass>> {
    let mut passes: Vec<Box<dyn Pass>> = Vec::new();
    if options.cse {
        passes.push(Box::new(cse::Cse));
    }
    if options.fuse {
        passes.push(Box::new(fuse_elementwise::FuseElementwise));
    }
    if options.rematerialize {
        passes.push(Box::new(rematerialize::Rematerialize));
    }
    passes.push(Box::new(cull::Cull));
    passes
}

/// Runs the passes `options` switch on.
pub fn optimize(plan: &mut Plan, options: &Options) -> Result<()> {
    for pass in passes(options) {
        pass.run(plan)?;
    }
    Ok(())
}
