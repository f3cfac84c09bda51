//! `Array<T>`: the lazy chunked n-dimensional array.
//!
//! An `Array<T>` is a cheap handle (an `Arc` to a plan node): cloning it, and every method
//! that builds a new array, is O(1) and runs nothing. Work happens in [`Array::compute`]
//! (or [`compute`](crate::compute) for several arrays at once), which optimizes the plan,
//! lowers it to one task per chunk, and runs the tasks on a scheduler.
//!
//! Errors are found when an array is built: methods taking parameters (axes, chunks,
//! slices) return `Result`. Operators cannot return `Result`, so an operator given
//! incompatible shapes returns a *poisoned* array: it carries the error (naming both
//! shapes), every array built from it carries it too, and `compute` returns it.
//! [`Array::check`] reports it at once.
//!
//! ```
//! use chunkflow::Array;
//! let x = Array::<f64>::linspace(-1.0, 1.0, 1_000, 250)?;
//! let y = (&x * &x).sum();
//! assert!((y.scalar()? - 334.0).abs() < 1.0);
//! # Ok::<(), chunkflow::Error>(())
//! ```

mod assemble;
mod blocks;
mod compute;
mod create;
mod cumulative;
mod einsum;
mod elementwise;
mod grids;
mod index;
mod linalg;
mod math;
mod nan_reduce;
mod order;
mod overlap;
mod pointwise;
mod quantile;
mod rearrange;
mod reduce;
mod reduction;
mod reshape;
mod select;
mod shape;
mod unknown;

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::ArrayD;

pub use crate::dtype::{DType, Element, Float, Int, Num, Scalar, Signed};
pub use crate::geometry::{AUTO_CHUNK_BYTES, ChunkSpec, Chunks, MAX_CHUNKS};
pub use assemble::{Block, MAX_BLOCK_DEPTH, block};
pub use blocks::{BlockInfo, ChunkSource, map_blocks, map_blocks_with_chunks};
pub(crate) use compute::{
    Collect, ComputedChunks, computed_chunks, lower_for_store, lower_outputs,
};
pub use compute::{Computable, compute, compute_with};
pub use create::IntoChunkData;
pub(crate) use create::source_array;
pub use einsum::{einsum, einsum_with};
pub use elementwise::{Operand, where_};
pub use grids::meshgrid;
pub use index::Idx;
pub use linalg::{
    LINALG_SPLIT_EVERY, dot, inner, matmul, outer, tensordot, trace, trace_with, vdot,
};
pub use math::{zip_map, zip_map3};
pub use overlap::{Boundaries, Boundary, map_overlap};
pub use rearrange::{MAX_TAKE, PadMode, broadcast_arrays, dstack, hstack, vstack};
pub use reduce::ReduceArgs;
pub use shape::{concatenate, stack};

use crate::error::{Error, Result};
use crate::geometry::Meta;
use crate::options::Options;
use crate::plan::{Node, Op, Plan};

/// A lazy chunked n-dimensional array of `T`.
#[must_use = "arrays are lazy: nothing runs until compute() or scalar()"]
pub struct Array<T: Element> {
    node: Arc<Node>,
    _type: PhantomData<fn() -> T>,
}

impl<T: Element> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array::wrap(self.node.clone())
    }
}

impl<T: Element> std::fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Array<{}>(shape={:?}, chunks={:?})",
            T::DTYPE,
            self.shape(),
            self.chunks().as_lists()
        )
    }
}

impl<T: Element> Array<T> {
    pub(crate) fn wrap(node: Arc<Node>) -> Self {
        Array {
            node,
            _type: PhantomData,
        }
    }

    /// An array carrying `error` (see the module docs on poisoned arrays).
    pub(crate) fn poisoned(error: Error) -> Self {
        let meta = Meta {
            shape: vec![],
            chunks: Chunks::from_lists(vec![]),
            dtype: T::DTYPE,
        };
        Array::wrap(Node::new(Op::Invalid(error), vec![], meta))
    }

    /// A new array from an op, its inputs and its meta, or the first input's poison.
    pub(crate) fn build(op: Op, inputs: Vec<Arc<Node>>, meta: Meta) -> Self {
        if let Some(error) = inputs.iter().find_map(|n| n.error()) {
            return Array::poisoned(error.clone());
        }
        match unknown::propagate_unknown(&op, &inputs, meta) {
            Ok(meta) => Array::wrap(Node::new(op, inputs, meta)),
            Err(error) => Array::poisoned(error),
        }
    }

    /// The plan node behind this handle.
    pub(crate) fn node(&self) -> &Arc<Node> {
        &self.node
    }

    pub(crate) fn meta(&self) -> &Meta {
        &self.node.meta
    }

    /// The shape.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::zeros(&[4, 6], 3)?;
    /// assert_eq!(x.shape(), &[4, 6]);
    /// assert_eq!(x.ndim(), 2);
    /// assert_eq!(x.len(), 24);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.meta().shape
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The chunk sizes along each axis (Dask's `chunks`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[5, 4], [2, 4])?;
    /// assert_eq!(x.chunks().as_lists(), &[vec![2, 2, 1], vec![4]]);
    /// assert_eq!(x.num_chunks(), 3);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn chunks(&self) -> &Chunks {
        &self.meta().chunks
    }

    /// The number of chunks.
    pub fn num_chunks(&self) -> usize {
        self.chunks().num_chunks()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        T::DTYPE
    }

    /// The error this array carries, if an operator built it from incompatible inputs.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let a = Array::<f64>::zeros(&[2, 3], 2)?;
    /// let b = Array::<f64>::zeros(&[4], 2)?;
    /// let err = (&a + &b).check().unwrap_err();
    /// assert!(err.to_string().contains("[2, 3] and [4]"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn check(&self) -> Result<()> {
        match self.node.error() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Computes the array with the default [`Options`].
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::arange(0, 6, 1, 4)?;
    /// assert_eq!((&x * 2).compute()?.as_slice().unwrap(), &[0, 2, 4, 6, 8, 10]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn compute(&self) -> Result<ArrayD<T>> {
        self.compute_with(&Options::default())
    }

    /// Computes the array with `options`.
    pub fn compute_with(&self, options: &Options) -> Result<ArrayD<T>> {
        compute::compute_nodes(
            std::slice::from_ref(&self.node),
            options,
            compute::Collect::Arrays,
        )?
        .pop()
        .expect("one output")
        .into_array()
    }

    /// Computes the array with a static dimensionality (`Ix1`, `Ix2`, ...): an
    /// [`Error::ShapeMismatch`] if the array has another number of axes.
    ///
    /// ```
    /// use ndarray::Ix2;
    /// let x = chunkflow::Array::<i32>::ones(&[2, 3], 2)?;
    /// let m: ndarray::Array2<i32> = x.compute_ix::<Ix2>()?;
    /// assert_eq!(m.dim(), (2, 3));
    /// assert!(x.compute_ix::<ndarray::Ix1>().is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn compute_ix<D: ndarray::Dimension>(&self) -> Result<ndarray::Array<T, D>> {
        self.compute_ix_with(&Options::default())
    }

    /// Like [`Array::compute_ix`] with `options`.
    pub fn compute_ix_with<D: ndarray::Dimension>(
        &self,
        options: &Options,
    ) -> Result<ndarray::Array<T, D>> {
        if let Some(n) = D::NDIM.filter(|&n| n != self.ndim()) {
            return Err(Error::ShapeMismatch(format!(
                "an array of shape {:?} has {} axes, not the {n} asked for",
                self.shape(),
                self.ndim()
            )));
        }
        self.compute_with(options)?
            .into_dimensionality::<D>()
            .map_err(|e| Error::ShapeMismatch(format!("shape {:?}: {e}", self.shape())))
    }

    /// Computes a 0-d array and returns its value (an error for other shapes).
    ///
    /// ```
    /// let x = chunkflow::Array::<u32>::arange(1, 5, 1, 2)?;
    /// assert_eq!(x.sum().scalar()?, 10);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn scalar(&self) -> Result<T> {
        self.scalar_with(&Options::default())
    }

    /// Like [`Array::scalar`] with `options`.
    pub fn scalar_with(&self, options: &Options) -> Result<T> {
        self.check()?;
        if self.ndim() != 0 {
            return Err(Error::InvalidArgument(format!(
                "scalar() needs a 0-d array, not shape {:?}",
                self.shape()
            )));
        }
        let array = self.compute_with(options)?;
        Ok(*array.first().expect("a 0-d array has one element"))
    }

    /// Computes the array and returns a new array backed by the computed chunks, for
    /// iterative algorithms that reuse a result many times.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let x = Array::<f64>::linspace(0.0, 1.0, 11, 4)?;
    /// let y = (&x + 1.0).persist()?;
    /// assert_eq!(y.chunks(), x.chunks());
    /// assert_eq!(y.sum().scalar()?, 16.5);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn persist(&self) -> Result<Array<T>> {
        self.persist_with(&Options::default())
    }

    /// Like [`Array::persist`] with `options`.
    pub fn persist_with(&self, options: &Options) -> Result<Array<T>> {
        let out = compute::compute_nodes(
            std::slice::from_ref(&self.node),
            options,
            compute::Collect::Chunks,
        )?
        .pop()
        .expect("one output");
        let meta = if self.chunks().is_known() {
            self.meta().clone()
        } else {
            unknown::known_meta(self.meta(), &out.chunks, &out.keys)?
        };
        Ok(create::persisted(meta, out.chunks))
    }

    /// The task graph (after optimization) in Graphviz DOT: chunks as boxes, tasks as
    /// circles labelled with their function (a fused task shows its whole expression).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[4], 2)?;
    /// let dot = (&x * 2.0 + 1.0).to_dot()?;
    /// assert!(dot.contains("fused: ((a * 2) + 1)"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_dot(&self) -> Result<String> {
        self.to_dot_with(&Options::default())
    }

    /// The task graph under `options` (e.g. with fusion off) in Graphviz DOT.
    pub fn to_dot_with(&self, options: &Options) -> Result<String> {
        Ok(
            compute::lower_nodes(std::slice::from_ref(&self.node), options)?
                .graph
                .to_dot(),
        )
    }

    /// The task graph (after optimization) as an SVG picture, rendered in-process (no
    /// Graphviz needed); graphs of more than [`COLLAPSE_ABOVE`](crate::graph::COLLAPSE_ABOVE)
    /// tasks are drawn one node per operation with task counts.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[4], 2)?;
    /// let svg = (&x * 2.0 + 1.0).to_svg()?;
    /// assert!(svg.starts_with("<svg") || svg.contains("<svg"));
    /// assert!(svg.contains("fused: ((a * 2) + 1)"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_svg(&self) -> Result<String> {
        compute::lower_nodes(std::slice::from_ref(&self.node), &Options::default())?
            .graph
            .to_svg()
    }

    /// The plan as an SVG picture (see [`Array::plan_dot`]), rendered in-process.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[4], 2)?;
    /// let d = (&x - 0.5).powi(2).sum().sqrt();
    /// assert!(d.plan_svg(true)?.contains("fused: sqrt(sum((a - 0.5)^2))"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn plan_svg(&self, optimized: bool) -> Result<String> {
        crate::graph::dot_to_svg(&self.plan_dot(optimized)?)
    }

    /// The plan (one box per whole-array operation) in Graphviz DOT, before or after
    /// optimization; fused nodes show their composite expression.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[4], 2)?;
    /// let d = (&x - 0.5).powi(2).sum().sqrt();
    /// assert!(d.plan_dot(false)?.contains("powi2"));
    /// assert!(d.plan_dot(true)?.contains("fused: sqrt(sum((a - 0.5)^2))"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn plan_dot(&self, optimized: bool) -> Result<String> {
        self.check()?;
        let mut plan = Plan::from_outputs(std::slice::from_ref(&self.node));
        if optimized {
            Options::default().passes.run(&mut plan)?;
        }
        Ok(plan.to_dot())
    }
}
