//! Unknown chunk sizes (Dask's NaN chunks): which operations accept arrays whose chunk
//! sizes depend on the data, how those sizes travel through them, and
//! [`Array::compute_chunk_sizes`], which finds the real ones.
//!
//! An array of unknown sizes knows how many chunks it has along each axis and an upper
//! bound for each (see [`Chunks`]). What needs only that is allowed, as in Dask:
//! elementwise operations (with scalars, with arrays of length 1 along the unknown axes, or
//! with arrays of the same chunk structure), reductions that reduce every unknown axis
//! (except the arg-reductions, whose indices need offsets), and computing. Everything else
//! — reshape, rechunk, slicing, indexing, stacking, storage, another mask — is an
//! [`Error::UnknownChunkSizes`] saying to call `compute_chunk_sizes()` first.
//!
//! The rule is applied in one place, when a node is built ([`propagate_unknown`]), so no
//! operation can read an upper bound as if it were a size. Tasks of such nodes find their
//! chunks' shapes from their inputs when they run.

use std::sync::Arc;

use ndarray::ArrayD;

use super::{Array, Chunks};
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::Meta;
use crate::graph::{Key, Value};
use crate::kernel::gather::{BlockPos, GatherFn, PartInputs};
use crate::kernel::reduce::ReduceKind;
use crate::kernel::source::fresh_id;
use crate::options::Options;
use crate::plan::{Node, Op};

/// The meta of a node built by `op` from `inputs`, with unknown axes carried over; or the
/// error if `op` cannot take inputs of unknown chunk sizes.
pub(crate) fn propagate_unknown(op: &Op, inputs: &[Arc<Node>], meta: Meta) -> Result<Meta> {
    if inputs.iter().all(|n| n.meta.chunks.is_known()) {
        return Ok(meta);
    }
    match op {
        Op::Elementwise(_) => elementwise(inputs, meta),
        Op::Reduce(spec) => {
            let input = &inputs[0].meta.chunks;
            let arg = matches!(
                spec.kind,
                ReduceKind::ArgMin
                    | ReduceKind::ArgMax
                    | ReduceKind::NanArgMin
                    | ReduceKind::NanArgMax
            );
            let kept: Vec<usize> = input
                .unknown_axes()
                .into_iter()
                .filter(|a| !spec.axes.contains(a))
                .collect();
            if arg || !kept.is_empty() {
                return Err(unknown_error(op.name(), input.unknown_axes()));
            }
            Ok(meta)
        }
        _ => {
            let axes = inputs
                .iter()
                .find(|n| !n.meta.chunks.is_known())
                .map(|n| n.meta.chunks.unknown_axes())
                .unwrap_or_default();
            Err(unknown_error(op.name(), axes))
        }
    }
}

/// The error for `op` applied to an array whose `axes` have unknown chunk sizes.
pub(crate) fn unknown_error(op: impl Into<String>, axes: Vec<usize>) -> Error {
    Error::UnknownChunkSizes {
        op: op.into(),
        axes,
    }
}

/// An elementwise result: unknown along every axis an input is unknown on (inputs aligned
/// at their last axes, NumPy's broadcasting). A known input must have length 1 there, and
/// unknown inputs must agree on the chunk count (their real sizes are checked when the
/// chunks meet).
fn elementwise(inputs: &[Arc<Node>], meta: Meta) -> Result<Meta> {
    let ndim = meta.shape.len();
    let mut unknown = vec![false; ndim];
    for input in inputs {
        let pad = ndim - input.meta.shape.len();
        for a in input.meta.chunks.unknown_axes() {
            unknown[pad + a] = true;
        }
    }
    for input in inputs {
        let pad = ndim - input.meta.shape.len();
        let chunks = &input.meta.chunks;
        for (o, _) in unknown.iter().enumerate().filter(|(_, u)| **u) {
            let Some(a) = o.checked_sub(pad) else {
                continue;
            };
            let fits = if chunks.unknown_flags()[a] {
                chunks.axis(a) == meta.chunks.axis(o)
            } else {
                input.meta.shape[a] == 1
            };
            if !fits {
                return Err(unknown_error(
                    "an elementwise operation with an array of other chunks",
                    (0..ndim).filter(|&o| unknown[o]).collect(),
                ));
            }
        }
    }
    Ok(Meta {
        chunks: meta.chunks.with_unknown(unknown),
        ..meta
    })
}

/// Real per-axis chunk sizes from computed chunks (in row-major block order) of an array
/// of `meta`: along each axis, the length of the first chunk in each slab, checked against
/// every other chunk of the slab.
pub(crate) fn known_meta(meta: &Meta, chunks: &[Value], keys: &[Key]) -> Result<Meta> {
    let grid = meta.chunks.grid();
    let mut sizes: Vec<Vec<Option<usize>>> = grid.iter().map(|&g| vec![None; g]).collect();
    for ((b, value), key) in meta.chunks.blocks().zip(chunks).zip(keys) {
        let shape = value.array_shape().ok_or_else(|| Error::Internal {
            pass: "compute",
            message: format!("chunk {key} is not an array"),
        })?;
        if shape.len() != grid.len() {
            return Err(Error::ShapeMismatch(format!(
                "chunk {key} has {} axes, the array {}",
                shape.len(),
                grid.len()
            )));
        }
        for (a, (&i, &len)) in b.iter().zip(&shape).enumerate() {
            match sizes[a][i] {
                None => sizes[a][i] = Some(len),
                Some(seen) if seen == len => {}
                Some(seen) => {
                    return Err(Error::ShapeMismatch(format!(
                        "chunk {key} has length {len} along axis {a}, its neighbours {seen}: the chunks do not line up"
                    )));
                }
            }
        }
    }
    let lists: Vec<Vec<usize>> = sizes
        .into_iter()
        .map(|axis| axis.into_iter().map(|s| s.unwrap_or(0)).collect())
        .collect();
    let shape = lists.iter().map(|l| l.iter().sum()).collect();
    Ok(Meta {
        shape,
        chunks: Chunks::from_lists(lists),
        dtype: meta.dtype,
    })
}

impl<T: Element> Array<T> {
    /// The same array with its chunk sizes known (Dask's `compute_chunk_sizes`): the array
    /// is computed once, chunk by chunk, and only each chunk's shape is kept (memory stays
    /// per chunk); the result is still lazy and recomputes its chunks when used. An array
    /// whose sizes are already known is returned as it is.
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![3, -1, 4, -1, 5], 2)?;
    /// let positive = x.mask(&x.gt(0))?;
    /// assert!(positive.reshape(&[3]).is_err()); // sizes unknown
    /// let positive = positive.compute_chunk_sizes()?;
    /// assert_eq!(positive.chunks().axis(0), &[1, 1, 1]);
    /// assert_eq!(positive.reshape(&[3, 1])?.compute()?.shape(), &[3, 1]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn compute_chunk_sizes(&self) -> Result<Array<T>> {
        self.compute_chunk_sizes_with(&Options::default())
    }

    /// Like [`Array::compute_chunk_sizes`] with `options`.
    pub fn compute_chunk_sizes_with(&self, options: &Options) -> Result<Array<T>> {
        self.check()?;
        if self.chunks().is_known() {
            return Ok(self.clone());
        }
        let shapes = map_blocks_shapes(self)?;
        let computed = super::compute::compute_nodes(
            std::slice::from_ref(shapes.node()),
            options,
            super::compute::Collect::Arrays,
        )?
        .pop()
        .ok_or_else(|| Error::Internal {
            pass: "compute",
            message: "compute_chunk_sizes: no output".into(),
        })?
        .into_array::<u64>()?;
        let ndim = self.ndim();
        let grid = self.chunks().grid();
        let mut lists: Vec<Vec<usize>> = grid.iter().map(|&g| vec![0; g]).collect();
        for (k, b) in self.chunks().blocks().enumerate() {
            for a in 0..ndim {
                lists[a][b[a]] = computed[[k * ndim + a]] as usize;
            }
        }
        let chunks = Chunks::from_lists(lists);
        let meta = Meta {
            shape: chunks.as_lists().iter().map(|l| l.iter().sum()).collect(),
            chunks,
            dtype: T::DTYPE,
        };
        let g = KnownSizes {
            id: fresh_id(),
            grid,
        };
        Ok(Array::wrap(Node::new(
            Op::Gather(Arc::new(g)),
            vec![self.node().clone()],
            meta,
        )))
    }
}

/// The shape of every chunk of `x` (row-major block order), flattened into one `u64`
/// array of `ndim` entries per chunk — computed without keeping any chunk.
fn map_blocks_shapes<T: Element>(x: &Array<T>) -> Result<Array<u64>> {
    let ndim = x.ndim();
    let grid = x.chunks().grid();
    let blocks = grid.iter().product::<usize>();
    let g = ChunkShapes {
        id: fresh_id(),
        grid,
        ndim,
    };
    let chunks = Chunks::from_lists(vec![vec![ndim; blocks]]);
    let meta = Meta {
        shape: vec![ndim * blocks],
        chunks,
        dtype: crate::dtype::DType::U64,
    };
    Ok(Array::wrap(Node::new(
        Op::Gather(Arc::new(g)),
        vec![x.node().clone()],
        meta,
    )))
}

/// Output block `k` (a 1-d block of `ndim` numbers): the shape of input block `k`.
struct ChunkShapes {
    id: u64,
    grid: Vec<usize>,
    ndim: usize,
}

impl GatherFn for ChunkShapes {
    fn name(&self) -> &str {
        "chunk_shapes"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        vec![vec![(0, unflatten(index[0], &self.grid))]]
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let shape = inputs
            .first()
            .and_then(Value::array_shape)
            .ok_or_else(|| crate::kernel::internal("chunk_shapes: no array input"))?;
        let out: Vec<u64> = shape.iter().map(|&l| l as u64).collect();
        debug_assert_eq!(out.len(), self.ndim);
        let _ = pos;
        Ok(Value::new(
            ArrayD::from_shape_vec(vec![out.len()], out)
                .map_err(|e| Error::ShapeMismatch(e.to_string()))?,
        ))
    }
}

/// The identity, over chunks whose sizes [`Array::compute_chunk_sizes`] found; a chunk
/// that comes out another size (the data changed under a file source) is an error.
struct KnownSizes {
    id: u64,
    grid: Vec<usize>,
}

impl GatherFn for KnownSizes {
    fn name(&self) -> &str {
        "known_sizes"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        debug_assert_eq!(index.len(), self.grid.len());
        vec![vec![(0, index.to_vec())]]
    }
    fn part(&self, pos: &BlockPos, _part: usize, mut inputs: Vec<Value>) -> Result<Value> {
        let value = inputs
            .pop()
            .ok_or_else(|| crate::kernel::internal("known_sizes: no input"))?;
        if value.array_shape().as_deref() != Some(pos.shape.as_slice()) {
            return Err(Error::ShapeMismatch(format!(
                "block {:?} has shape {:?}, not the {:?} compute_chunk_sizes found",
                pos.index,
                value.array_shape(),
                pos.shape
            )));
        }
        Ok(value)
    }
}

/// The block index of row-major block number `k` in `grid`.
pub(crate) fn unflatten(mut k: usize, grid: &[usize]) -> Vec<usize> {
    let mut index = vec![0; grid.len()];
    for a in (0..grid.len()).rev() {
        index[a] = k % grid[a].max(1);
        k /= grid[a].max(1);
    }
    index
}

impl<T: Element> Array<T> {
    /// An [`Error::UnknownChunkSizes`] for `op` if this array's chunk sizes are unknown.
    pub(crate) fn require_known_chunks(&self, op: &str) -> Result<()> {
        if self.chunks().is_known() {
            Ok(())
        } else {
            Err(unknown_error(op, self.chunks().unknown_axes()))
        }
    }
}
