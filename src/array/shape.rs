//! Shape operations: transpose, new axes, broadcasting, rechunking, slicing, concatenation,
//! stacking, and `map_blocks`.

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, SliceInfoElem};

use super::elementwise::rechunk_node;
use super::index::{Idx, SliceRule};
use super::{Array, ChunkSpec, Chunks};
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::chunks::{broadcast_shapes, refine};
use crate::geometry::slice::slice_chunks;
use crate::geometry::{AxisSlice, Meta};
use crate::graph::{Key, Value};
use crate::kernel::source::{BlockFn, fresh_id};
use crate::plan::Op;

impl<T: Element> Array<T> {
    /// Reverses the axes.
    ///
    /// ```
    /// let x = chunkflow::Array::from_ndarray(ndarray::arr2(&[[1, 2, 3]]), 2)?;
    /// assert_eq!(x.transpose().compute()?, ndarray::arr2(&[[1], [2], [3]]).into_dyn());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn transpose(&self) -> Array<T> {
        let perm: Vec<usize> = (0..self.ndim()).rev().collect();
        self.permuted_axes(&perm).unwrap_or_else(Array::poisoned)
    }

    /// Permutes the axes: output axis `i` is input axis `perm[i]`.
    pub fn permuted_axes(&self, perm: &[usize]) -> Result<Array<T>> {
        self.check()?;
        let mut seen = vec![false; self.ndim()];
        if perm.len() != self.ndim()
            || perm
                .iter()
                .any(|&p| p >= self.ndim() || std::mem::replace(&mut seen[p], true))
        {
            return Err(Error::InvalidArgument(format!(
                "{perm:?} is not a permutation of {} axes",
                self.ndim()
            )));
        }
        let meta = Meta {
            shape: perm.iter().map(|&p| self.shape()[p]).collect(),
            chunks: Chunks::from_lists(
                perm.iter()
                    .map(|&p| self.chunks().axis(p).to_vec())
                    .collect(),
            ),
            dtype: T::DTYPE,
        };
        Ok(Array::build(
            Op::Transpose(perm.to_vec()),
            vec![self.node().clone()],
            meta,
        ))
    }

    /// Inserts an axis of length 1 at `axis` (NumPy's `newaxis`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[3, 2], 2)?;
    /// assert_eq!(x.insert_axis(1)?.shape(), &[3, 1, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn insert_axis(&self, axis: usize) -> Result<Array<T>> {
        self.check()?;
        if axis > self.ndim() {
            return Err(Error::AxisOutOfRange {
                axis,
                ndim: self.ndim() + 1,
            });
        }
        let mut shape = self.shape().to_vec();
        shape.insert(axis, 1);
        let mut chunks = self.chunks().as_lists().to_vec();
        chunks.insert(axis, vec![1]);
        let meta = Meta {
            shape,
            chunks: Chunks::from_lists(chunks),
            dtype: T::DTYPE,
        };
        Ok(Array::build(
            Op::InsertAxis(axis),
            vec![self.node().clone()],
            meta,
        ))
    }

    /// The same array with its zero-size chunks merged away (an empty axis keeps `[0]`):
    /// for operations whose block geometry needs every block to hold data (halos).
    pub(crate) fn without_zero_chunks(&self) -> Result<Array<T>> {
        let lists = self.chunks().as_lists();
        if !lists.iter().any(|l| l.len() > 1 && l.contains(&0)) {
            return Ok(self.clone());
        }
        let stripped: Vec<Vec<usize>> = lists
            .iter()
            .map(|l| {
                let kept: Vec<usize> = l.iter().copied().filter(|&c| c > 0).collect();
                if kept.is_empty() { vec![0] } else { kept }
            })
            .collect();
        self.rechunk(stripped)
    }

    pub(super) fn remove_axis(&self, axis: usize) -> Array<T> {
        if self.chunks().axis(axis).len() > 1 {
            // A length-1 axis split as [1, 0] (zero-size chunks): one chunk first.
            let mut one = self.chunks().as_lists().to_vec();
            one[axis] = vec![self.shape()[axis]];
            if let Err(error) = self.require_known_chunks("remove_axis") {
                return Array::poisoned(error);
            }
            let node = rechunk_node(self.node().clone(), Chunks::from_lists(one));
            return Array::wrap(node).remove_axis(axis);
        }
        let mut shape = self.shape().to_vec();
        shape.remove(axis);
        let mut chunks = self.chunks().as_lists().to_vec();
        chunks.remove(axis);
        let meta = Meta {
            shape,
            chunks: Chunks::from_lists(chunks),
            dtype: T::DTYPE,
        };
        Array::build(Op::RemoveAxis(axis), vec![self.node().clone()], meta)
    }

    /// Broadcasts to `shape` (NumPy rules), lazily. Axes the input spans keep its chunks;
    /// stretched axes (new leading ones, length 1 stretched) are chunked so that no output
    /// chunk exceeds [`AUTO_CHUNK_BYTES`](crate::array::AUTO_CHUNK_BYTES) (Dask gives each one
    /// chunk). An elementwise operation on the result reads the input with stride 0 and
    /// never materialises the broadcast chunks; other consumers get each chunk made on its
    /// own.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(0, 3, 1, 2)?;
    /// let b = x.broadcast_to(&[2, 3])?;
    /// assert_eq!(b.compute()?, ndarray::arr2(&[[0, 1, 2], [0, 1, 2]]).into_dyn());
    /// assert_eq!(b.chunks().as_lists(), &[vec![2], vec![2, 1]]);
    /// let big = x.broadcast_to(&[10_000_000, 3])?; // 240 MB, never held whole
    /// assert!(big.chunks().max_chunk_len() * 4 <= chunkflow::array::AUTO_CHUNK_BYTES);
    /// assert_eq!((&big * 2).sum().scalar()?, 60_000_000);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Array<T>> {
        self.require_known_chunks("broadcast_to")?;
        self.check()?;
        let target = broadcast_shapes(&[self.shape(), shape])?;
        if target != shape {
            return Err(Error::ShapeMismatch(format!(
                "cannot broadcast shape {:?} to {shape:?}",
                self.shape()
            )));
        }
        let chunks = broadcast_chunks(self.chunks(), self.shape(), shape, T::DTYPE)?;
        let meta = Meta {
            shape: shape.to_vec(),
            chunks,
            dtype: T::DTYPE,
        };
        Ok(Array::build(
            Op::BroadcastTo,
            vec![self.node().clone()],
            meta,
        ))
    }

    /// The same values with other chunks.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[10], 3)?.rechunk(5)?;
    /// assert_eq!(x.chunks().axis(0), &[5, 5]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn rechunk(&self, chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        self.require_known_chunks("rechunk")?;
        self.check()?;
        let chunks = Chunks::resolve(self.shape(), chunks, T::DTYPE)?;
        if &chunks == self.chunks() {
            return Ok(self.clone());
        }
        Ok(Array::wrap(rechunk_node(self.node().clone(), chunks)))
    }

    /// Selects with ndarray's `s![]` syntax: ranges with steps (a negative step walks the
    /// range backwards, as in ndarray), single indices (which drop the axis) and `NewAxis`.
    /// Negative indices count from the end; ranges are clamped to the axis like NumPy's;
    /// axes not mentioned are taken whole.
    ///
    /// ```
    /// use ndarray::s;
    /// let x = chunkflow::Array::from_fn(&[4, 6], 2, |i| (10 * i[0] + i[1]) as i64)?;
    /// let y = x.slice(s![1..;2, ..;-3])?;
    /// assert_eq!(y.compute()?, ndarray::arr2(&[[15, 12], [35, 32]]).into_dyn());
    /// assert_eq!(x.slice(s![-1, 2..4])?.compute()?.as_slice().unwrap(), &[32, 33]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn slice(&self, info: impl AsRef<[SliceInfoElem]>) -> Result<Array<T>> {
        self.require_known_chunks("slice")?;
        let entries: Vec<Idx> = info
            .as_ref()
            .iter()
            .map(|elem| match *elem {
                SliceInfoElem::Slice { start, end, step } => Idx::slice(Some(start), end, step),
                SliceInfoElem::Index(i) => Idx::At(i),
                SliceInfoElem::NewAxis => Idx::NewAxis,
            })
            .collect();
        self.select_entries(&entries, SliceRule::Ndarray)
    }

    /// Applies a resolved selection: `axes` slices the leading input axes (the rest are
    /// taken whole), the input axes in `removed` (indexed by one integer) are dropped, and
    /// length-1 axes are inserted at the output positions `new_axes`.
    pub(super) fn select_axes(
        &self,
        mut axes: Vec<AxisSlice>,
        removed: &[usize],
        new_axes: &[usize],
    ) -> Result<Array<T>> {
        for axis in axes.len()..self.ndim() {
            axes.push(AxisSlice::full(self.shape()[axis]));
        }
        let mut out = self.apply_slice(axes);
        for &axis in removed.iter().rev() {
            out = out.remove_axis(axis);
        }
        for &axis in new_axes {
            out = out.insert_axis(axis)?;
        }
        Ok(out)
    }

    fn apply_slice(&self, axes: Vec<AxisSlice>) -> Array<T> {
        if axes
            .iter()
            .zip(self.shape())
            .all(|(s, &len)| s.is_full(len))
        {
            return self.clone();
        }
        let chunks = axes
            .iter()
            .enumerate()
            .map(|(a, s)| slice_chunks(self.chunks().axis(a), s))
            .collect();
        let meta = Meta {
            shape: axes.iter().map(|s| s.len).collect(),
            chunks: Chunks::from_lists(chunks),
            dtype: T::DTYPE,
        };
        Array::build(Op::Slice(axes), vec![self.node().clone()], meta)
    }

    /// Applies `f` to every chunk; output chunks have the input chunks' shapes.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[4, 4], 2)?;
    /// let y = x.map_blocks(|block| &block * 3.0)?;
    /// assert_eq!(y.sum().scalar()?, 48.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn map_blocks<U: Element>(
        &self,
        f: impl Fn(ArrayViewD<'_, T>) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        let chunks = self.chunks().clone();
        self.map_blocks_with_chunks(chunks, f)
    }

    /// Applies `f` to every chunk, declaring the output chunks (same number of chunks per
    /// axis as the input). A block whose result has another shape is an error at compute.
    ///
    /// ```
    /// use chunkflow::{Array, Chunks, DType};
    /// let x = Array::<i32>::ones(&[6], 3)?;
    /// let firsts = Chunks::resolve(&[2], 1, DType::I32)?;
    /// let y = x.map_blocks_with_chunks(firsts, |b| b.slice(ndarray::s![..1]).to_owned().into_dyn())?;
    /// assert_eq!(y.compute()?.as_slice().unwrap(), &[1, 1]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn map_blocks_with_chunks<U: Element>(
        &self,
        chunks: Chunks,
        f: impl Fn(ArrayViewD<'_, T>) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        self.check()?;
        if chunks.grid() != self.chunks().grid() {
            return Err(Error::InvalidChunks(format!(
                "map_blocks output chunks {:?} do not match the input's grid {:?}",
                chunks.as_lists(),
                self.chunks().grid()
            )));
        }
        let shape = chunks.as_lists().iter().map(|c| c.iter().sum()).collect();
        let meta = Meta {
            shape,
            chunks,
            dtype: U::DTYPE,
        };
        let block = BlockClosure {
            f,
            id: fresh_id(),
            _t: PhantomData,
        };
        Ok(Array::build(
            Op::MapBlocks(Arc::new(block)),
            vec![self.node().clone()],
            meta,
        ))
    }
}

struct BlockClosure<T, U, F> {
    f: F,
    id: u64,
    _t: PhantomData<fn(T) -> U>,
}

impl<T, U, F> BlockFn for BlockClosure<T, U, F>
where
    T: Element,
    U: Element,
    F: Fn(ArrayViewD<'_, T>) -> ArrayD<U> + Send + Sync,
{
    fn name(&self) -> &str {
        "map_blocks"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn apply(&self, input: Value, expected: &[usize]) -> Result<Value> {
        let block: &ArrayD<T> = input.get(&Key::new("map_blocks input"))?;
        let out = (self.f)(block.view());
        if out.shape() != expected {
            return Err(Error::ShapeMismatch(format!(
                "map_blocks returned a block of shape {:?}, expected {expected:?}",
                out.shape()
            )));
        }
        Ok(Value::new(out))
    }
}

/// Joins arrays along an existing `axis`; other axes must match (their chunks are unified).
///
/// ```
/// use chunkflow::{Array, concatenate};
/// let a = Array::<i32>::zeros(&[2, 3], 2)?;
/// let b = Array::<i32>::ones(&[1, 3], 1)?;
/// let c = concatenate(&[&a, &b], 0)?;
/// assert_eq!(c.shape(), &[3, 3]);
/// assert_eq!(c.sum().scalar()?, 3);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn concatenate<T: Element>(arrays: &[&Array<T>], axis: usize) -> Result<Array<T>> {
    let first = arrays
        .first()
        .ok_or_else(|| Error::InvalidArgument("concatenate needs at least one array".into()))?;
    for a in arrays {
        a.check()?;
    }
    let ndim = first.ndim();
    if axis >= ndim {
        return Err(Error::AxisOutOfRange { axis, ndim });
    }
    for a in arrays {
        let same =
            a.ndim() == ndim && (0..ndim).all(|d| d == axis || a.shape()[d] == first.shape()[d]);
        if !same {
            return Err(Error::ShapeMismatch(format!(
                "cannot concatenate shapes {:?} and {:?} along axis {axis}",
                first.shape(),
                a.shape()
            )));
        }
    }
    let parts: Vec<&Array<T>> = arrays
        .iter()
        .copied()
        .filter(|a| a.shape()[axis] > 0)
        .collect();
    if parts.is_empty() {
        return Ok((*first).clone());
    }
    let other_chunks: Vec<Vec<usize>> = (0..ndim)
        .map(|d| {
            let lists: Vec<&[usize]> = parts.iter().map(|a| a.chunks().axis(d)).collect();
            refine(&lists)
        })
        .collect();
    let inputs = parts
        .iter()
        .map(|a| {
            let mut wanted = other_chunks.clone();
            wanted[axis] = a.chunks().axis(axis).to_vec();
            if wanted == a.chunks().as_lists() {
                a.node().clone()
            } else {
                rechunk_node(a.node().clone(), Chunks::from_lists(wanted))
            }
        })
        .collect();
    let mut chunks = other_chunks;
    chunks[axis] = parts
        .iter()
        .flat_map(|a| a.chunks().axis(axis).to_vec())
        .collect();
    let mut shape = first.shape().to_vec();
    shape[axis] = parts.iter().map(|a| a.shape()[axis]).sum();
    let meta = Meta {
        shape,
        chunks: Chunks::from_lists(chunks),
        dtype: T::DTYPE,
    };
    Ok(Array::build(Op::Concatenate(axis), inputs, meta))
}

/// Joins arrays of one shape along a new `axis`.
///
/// ```
/// use chunkflow::{Array, stack};
/// let a = Array::<f64>::zeros(&[3], 2)?;
/// let s = stack(&[&a, &a, &a], 1)?;
/// assert_eq!(s.shape(), &[3, 3]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn stack<T: Element>(arrays: &[&Array<T>], axis: usize) -> Result<Array<T>> {
    let first = arrays
        .first()
        .ok_or_else(|| Error::InvalidArgument("stack needs at least one array".into()))?;
    if arrays.iter().any(|a| a.shape() != first.shape()) {
        return Err(Error::ShapeMismatch(
            "stack needs arrays of one shape".to_string(),
        ));
    }
    let expanded = arrays
        .iter()
        .map(|a| a.insert_axis(axis))
        .collect::<Result<Vec<_>>>()?;
    concatenate(&expanded.iter().collect::<Vec<_>>(), axis)
}

/// The chunks of `input` (chunked as `chunks`) broadcast to `shape`: spanned axes keep the
/// input's chunks; stretched axes, last first, take as much of the
/// [`AUTO_CHUNK_BYTES`](crate::array::AUTO_CHUNK_BYTES) budget as the spanned axes' largest chunks
/// leave.
fn broadcast_chunks(
    chunks: &Chunks,
    input: &[usize],
    shape: &[usize],
    dtype: crate::dtype::DType,
) -> Result<Chunks> {
    let pad = shape.len() - input.len();
    let spans = |a: usize| a >= pad && input[a - pad] == shape[a];
    let spanned_elems: usize = (0..shape.len())
        .filter(|&a| spans(a))
        .map(|a| {
            chunks
                .axis(a - pad)
                .iter()
                .copied()
                .max()
                .unwrap_or(0)
                .max(1)
        })
        .product();
    let mut budget = (crate::geometry::AUTO_CHUNK_BYTES / dtype.size() / spanned_elems).max(1);
    let mut lists = vec![Vec::new(); shape.len()];
    for a in (0..shape.len()).rev() {
        lists[a] = if spans(a) {
            chunks.axis(a - pad).to_vec()
        } else {
            let size = shape[a].clamp(1, budget);
            budget = (budget / size).max(1);
            crate::geometry::chunks::regular(shape[a], size)
        };
    }
    Chunks::resolve(shape, lists, dtype)
}
