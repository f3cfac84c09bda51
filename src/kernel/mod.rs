//! What tasks run: the fused elementwise program and its strip loops, reductions, and the
//! kernels that move chunk data.

pub mod assemble;
pub mod eval;
mod isa;
pub mod ops;
pub mod output;
pub mod program;
pub mod reduce;
pub mod source;
pub mod tasks;
