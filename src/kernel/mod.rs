//! What tasks run: the fused elementwise program and its strip loops, reductions, and the
//! kernels that move chunk data.

pub mod assemble;
pub mod codegen;
pub mod eval;
pub(crate) mod gather;
pub mod generate;
pub(crate) mod hugepage;
pub(crate) mod isa;
pub mod ops;
pub mod output;
pub(crate) mod pairwise;
pub mod program;
pub mod reduce;
pub mod scan;
pub mod source;
pub mod tasks;

use crate::error::Error;

/// A kernel invariant that lowering guarantees was broken (a strip of the wrong type, a
/// task without its input): a chunkflow bug, reported as [`Error::Internal`].
pub(crate) fn internal(message: impl Into<String>) -> Error {
    Error::Internal {
        pass: "kernel",
        message: message.into(),
    }
}
