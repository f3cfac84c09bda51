//! Geometry: the shapes and chunkings of arrays and the arithmetic on blocks that every
//! layer above needs — how an array is split into chunks ([`chunks`]), what a plan node's
//! result looks like ([`Meta`]), which input blocks feed an output block under
//! broadcasting, rechunking and slicing ([`blocks`], [`slice`]), and how a reshape maps
//! blocks to blocks ([`reshape`]).
//!
//! Layer 2 of the design's layer table: it depends on `error` and `dtype` only, so the
//! kernels, the plan, lowering and the array API all build on it without reaching up.

pub(crate) mod blocks;
pub(crate) mod chunks;
mod meta;
pub(crate) mod reshape;
pub(crate) mod slice;

pub use chunks::{AUTO_CHUNK_BYTES, BlockIter, ChunkSpec, Chunks, MAX_CHUNKS};
pub use meta::Meta;
pub use slice::AxisSlice;
