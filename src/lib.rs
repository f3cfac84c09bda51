//! # chunkflow
//!
//! A lazy dataflow engine for chunked n-dimensional arrays and partitioned bags, in the
//! spirit of Dask's chunked execution model.
//!
//! Programs build a lazy task graph through a familiar API and only then run it:
//!
//! ```
//! use chunkflow::Array;
//!
//! // Monte Carlo-free π: the area under sqrt(1 - x²) on [0, 1], times 4.
//! let n = 1_000_001;
//! let x = Array::<f64>::linspace(0.0, 1.0, n, 100_000)?;
//! let quarter = (1.0 - &x * &x).sqrt().mean().scalar()?;
//! assert!((4.0 * quarter - std::f64::consts::PI).abs() < 1e-3);
//! # Ok::<(), chunkflow::Error>(())
//! ```
//!
//! - [`Array`]: lazy chunked arrays with NumPy broadcasting, math and tree reductions;
//!   [`random`] generators and [`io`] (`.npy`; Zarr v3 with the feature `zarr`) for arrays
//!   bigger than memory.
//! - [`Bag`]: partitioned collections with fused per-item chains, `foldby`, `groupby`;
//!   lines of text files in and out with [`Bag::read_text`] and [`Bag::to_textfiles`]
//!   ([`io::text`]); [`compute_all`] runs bags, their results and arrays (also arrays made
//!   from bags, [`Bag::to_array`]) in one task graph, as Dask's `dask.compute`.
//! - Linear algebra ([`matmul`], [`tensordot`], [`einsum`], ...: blocked GEMMs summed in a
//!   tree), stencils ([`Array::map_overlap`] with [`Boundary`] rules) and block-level escape
//!   hatches ([`map_blocks`] with [`BlockInfo`], [`Array::from_source`] with your own
//!   [`ChunkSource`], [`Array::reduction`]).
//! - An optimizer (CSE, elementwise fusion, rematerialization, cull) runs before every
//!   computation; [`Array::plan_dot`] shows the plan before and after it.
//! - [`diagnostics`]: a progress bar and a profiler (Chrome trace, per-op summary).
//! - [`graph`]: the Dask-style task graph everything lowers to, which users can also build
//!   by hand; [`scheduler`]: the synchronous and threaded schedulers that run it.

#![warn(missing_docs)]

// ndarray's `blas` feature declares the CBLAS functions (through cblas-sys) without
// linking a library that defines them: link the system's OpenBLAS, which does.
#[cfg(feature = "blas")]
#[link(name = "openblas")]
unsafe extern "C" {}

pub mod array;
pub mod bag;
pub mod diagnostics;
#[cfg(feature = "mpi")]
pub mod distributed;
mod dtype;
pub mod error;
mod geometry;
pub mod graph;
pub mod io;
mod kernel;
mod lower;
mod optimize;
mod options;
mod plan;
pub mod random;
pub mod scheduler;

pub use array::{
    Array, Block, ChunkSpec, Chunks, Computable, Idx, IntoChunkData, Operand, PadMode, ReduceArgs,
    block, broadcast_arrays, compute, compute_with, concatenate, dstack, hstack, meshgrid, stack,
    vstack, where_, zip_map, zip_map3,
};
pub use array::{
    BlockInfo, Boundaries, Boundary, ChunkSource, map_blocks, map_blocks_with_chunks, map_overlap,
};
pub use array::{
    dot, einsum, einsum_with, inner, matmul, outer, tensordot, trace, trace_with, vdot,
};
pub use bag::Bag;
/// Computes bags, items and arrays together in one run: [`bag::compute`] under the name
/// that reads at the root ([`compute`] stays the arrays-only one).
///
/// ```
/// let b = chunkflow::Bag::range(4, 2)?.repartition(3)?;
/// let (n, x) = chunkflow::compute_all((&b.count(), &b.map(|i| i as f64).to_array()))?;
/// assert_eq!((n, x.len()), (4, 4));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub use bag::compute as compute_all;
/// [`compute_all`] with options: [`bag::compute_with`].
pub use bag::compute_with as compute_all_with;
pub use dtype::{DType, Element, Float, FloatFn, FloatFn2, FloatPred, Int, Num, Scalar, Signed};
pub use error::{Error, Result};
pub use options::Options;

/// The user guide's code blocks, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
pub struct GuideDoctests;

/// The README's code blocks, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
