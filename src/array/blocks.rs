//! The block-level escape hatches: closures that see which block they are given
//! ([`BlockInfo`]), `map_blocks` over several arrays, and user-defined lazy sources
//! ([`ChunkSource`], [`Array::from_source`], [`Array::from_blocks`]).
//!
//! Every closure runs inside a task; an `Err` it returns, a panic, or a block of the wrong
//! shape becomes a [`chunkflow::Error`](crate::Error) naming the task's key, and the run
//! stops. Output blocks are checked against the declared chunks when they are produced.

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD};

use super::{Array, ChunkSpec, Chunks};
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::Meta;
use crate::geometry::blocks::broadcast_block;
use crate::geometry::chunks::{Unified, unify as unify_chunks};
use crate::graph::{Key, Value};
use crate::kernel::gather::{BlockPos, GatherFn, PartInputs};
use crate::kernel::source::{ChunkSource as RawSource, fresh_id};
use crate::plan::Op;

/// Where a block lies in its array, handed to block closures and sources.
///
/// ```
/// use chunkflow::{Array, BlockInfo};
/// let x = Array::<u32>::from_blocks(&[5], 2, |info: &BlockInfo| {
///     Ok(ndarray::ArrayD::from_elem(info.shape.clone(), info.index[0] as u32))
/// })?;
/// assert_eq!(x.compute()?.as_slice().unwrap(), &[0, 0, 1, 1, 2]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// The block's index in the chunk grid (Dask's `block_info[None]["chunk-location"]`).
    pub index: Vec<usize>,
    /// The global index of the block's first element.
    pub offset: Vec<usize>,
    /// The block's shape (what the closure must return).
    pub shape: Vec<usize>,
    /// The shape of the whole array the block belongs to.
    pub array_shape: Vec<usize>,
}

impl BlockInfo {
    fn new(pos: &BlockPos, array_shape: &[usize]) -> Self {
        BlockInfo {
            index: pos.index.clone(),
            offset: pos.offset.clone(),
            shape: pos.shape.clone(),
            array_shape: array_shape.to_vec(),
        }
    }
}

/// A user-defined lazy source of blocks (a reader for a file format, a position-aware
/// generator), accepted by [`Array::from_source`]. `block` is called once per chunk, in
/// the chunk's task, possibly on several threads at once.
///
/// ```
/// use chunkflow::{Array, BlockInfo, ChunkSource};
/// use ndarray::ArrayD;
/// /// Row-major position, `offset + local`, as a reader of a flat file would compute it.
/// struct Positions { width: usize }
/// impl ChunkSource<u64> for Positions {
///     fn block(&self, info: &BlockInfo) -> chunkflow::Result<ArrayD<u64>> {
///         Ok(ArrayD::from_shape_fn(info.shape.clone(), |i| {
///             ((info.offset[0] + i[0]) * self.width + info.offset[1] + i[1]) as u64
///         }))
///     }
///     fn name(&self) -> &str { "positions" }
/// }
/// let x = Array::from_source(&[3, 4], [2, 3], Positions { width: 4 })?;
/// assert_eq!(x.sum().scalar()?, (0..12).sum::<u64>());
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub trait ChunkSource<T: Element>: Send + Sync + 'static {
    /// The block at `info` (of shape `info.shape`); a block of another shape is an error.
    fn block(&self, info: &BlockInfo) -> Result<ArrayD<T>>;
    /// A short name for task labels and keys.
    fn name(&self) -> &str {
        "from_source"
    }
    /// Whether making a block again is cheaper than keeping it in memory (a generator):
    /// each consumer then gets its own copy of the block's task.
    fn cheap(&self) -> bool {
        false
    }
}

/// Adapts a typed [`ChunkSource`] to the kernel's source callback.
struct SourceAdapter<T, S> {
    source: S,
    chunks: Chunks,
    shape: Vec<usize>,
    id: u64,
    _t: PhantomData<fn() -> T>,
}

impl<T: Element, S: ChunkSource<T>> SourceAdapter<T, S> {
    /// The block index of the chunk at `offset` with `shape`.
    fn index(&self, offset: &[usize], shape: &[usize]) -> Vec<usize> {
        (0..offset.len())
            .map(|a| {
                let starts = self.chunks.axis_starts(a);
                if shape[a] == 0 {
                    starts.partition_point(|&s| s < offset[a])
                } else {
                    starts
                        .partition_point(|&s| s <= offset[a])
                        .saturating_sub(1)
                }
            })
            .collect()
    }
}

impl<T: Element, S: ChunkSource<T>> RawSource for SourceAdapter<T, S> {
    fn name(&self) -> &str {
        self.source.name()
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn cheap(&self) -> bool {
        self.source.cheap()
    }
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value> {
        let info = BlockInfo {
            index: self.index(offset, shape),
            offset: offset.to_vec(),
            shape: shape.to_vec(),
            array_shape: self.shape.clone(),
        };
        let block = self.source.block(&info)?;
        check_shape(self.source.name(), &info, block.shape())?;
        Ok(Value::new(block))
    }
}

/// An error unless a produced block has the declared shape.
pub(crate) fn check_shape(what: &str, info: &BlockInfo, got: &[usize]) -> Result<()> {
    if got == info.shape.as_slice() {
        return Ok(());
    }
    Err(Error::ShapeMismatch(format!(
        "{what} returned a block of shape {got:?} for block {:?} (offset {:?}), expected {:?}",
        info.index, info.offset, info.shape
    )))
}

/// A closure as a [`ChunkSource`].
struct BlocksFn<F>(F);

impl<T: Element, F> ChunkSource<T> for BlocksFn<F>
where
    F: Fn(&BlockInfo) -> Result<ArrayD<T>> + Send + Sync + 'static,
{
    fn block(&self, info: &BlockInfo) -> Result<ArrayD<T>> {
        (self.0)(info)
    }
    fn name(&self) -> &str {
        "from_blocks"
    }
}

impl<T: Element> Array<T> {
    /// A lazy array whose blocks `source` makes, split as `chunks`: one task per chunk
    /// calls [`ChunkSource::block`]. A block of the wrong shape is an error naming it.
    ///
    /// ```
    /// use chunkflow::{Array, BlockInfo, ChunkSource};
    /// struct Ones;
    /// impl ChunkSource<f32> for Ones {
    ///     fn block(&self, info: &BlockInfo) -> chunkflow::Result<ndarray::ArrayD<f32>> {
    ///         Ok(ndarray::ArrayD::ones(info.shape.clone()))
    ///     }
    /// }
    /// assert_eq!(Array::from_source(&[10, 10], 3, Ones)?.sum().scalar()?, 100.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_source(
        shape: &[usize],
        chunks: impl Into<ChunkSpec>,
        source: impl ChunkSource<T>,
    ) -> Result<Self> {
        let chunks = Chunks::resolve(shape, chunks, T::DTYPE)?;
        let adapter = SourceAdapter {
            source,
            chunks: chunks.clone(),
            shape: shape.to_vec(),
            id: fresh_id(),
            _t: PhantomData,
        };
        Ok(super::source_array(shape, chunks, Arc::new(adapter)))
    }

    /// A lazy array whose block at `info` is `f(info)`: a position-aware generator or a
    /// reader (Dask's `from_delayed` per block, `map_blocks` without input). An `Err`, a
    /// panic or a block of another shape than `info.shape` fails the computation with an
    /// error naming the block.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let x = Array::<i64>::from_blocks(&[4, 4], 2, |info| {
    ///     Ok(ndarray::ArrayD::from_elem(info.shape.clone(), (info.index[0] * 2 + info.index[1]) as i64))
    /// })?;
    /// assert_eq!(x.compute()?[[3, 1]], 2);
    /// let bad = Array::<i64>::from_blocks(&[4], 2, |_| Ok(ndarray::ArrayD::zeros(vec![3])))?;
    /// let err = bad.compute().unwrap_err().to_string();
    /// assert!(err.contains("block [") && err.contains("[3]"), "{err}");
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_blocks(
        shape: &[usize],
        chunks: impl Into<ChunkSpec>,
        f: impl Fn(&BlockInfo) -> Result<ArrayD<T>> + Send + Sync + 'static,
    ) -> Result<Self> {
        Self::from_source(shape, chunks, BlocksFn(f))
    }

    /// Applies `f` to every block, telling it where the block lies ([`BlockInfo`] of the
    /// output block, which here has the input block's index, offset and shape). The result
    /// has this array's chunks; `f` may fail with an `Err`.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let x = Array::<f64>::zeros(&[6], 4)?;
    /// // Each element becomes its global index.
    /// let y = x.map_blocks_info(|block, info| {
    ///     Ok(ndarray::ArrayD::from_shape_fn(block.raw_dim(), |i| (info.offset[0] + i[0]) as f64))
    /// })?;
    /// assert_eq!(y.compute()?.as_slice().unwrap(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn map_blocks_info<U: Element>(
        &self,
        f: impl Fn(ArrayViewD<'_, T>, &BlockInfo) -> Result<ArrayD<U>> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        map_blocks(&[self], move |blocks, info| f(blocks[0].clone(), info))
    }

    /// Like [`Array::map_blocks_info`], declaring the output's chunks (the same number of
    /// blocks per axis as this array; sizes and element type may differ). A block `f`
    /// returns with another shape than declared is an error naming the block.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let x = Array::<i32>::arange(0, 6, 1, 2)?;
    /// // One value per block: its sum.
    /// let sums = x.map_blocks_info_with_chunks(vec![vec![1, 1, 1]], |b, _| {
    ///     Ok(ndarray::arr1(&[b.sum() as i64]).into_dyn())
    /// })?;
    /// assert_eq!(sums.compute()?.as_slice().unwrap(), &[1, 5, 9]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn map_blocks_info_with_chunks<U: Element>(
        &self,
        chunks: impl Into<ChunkSpec>,
        f: impl Fn(ArrayViewD<'_, T>, &BlockInfo) -> Result<ArrayD<U>> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        map_blocks_with_chunks(&[self], chunks, move |blocks, info| {
            f(blocks[0].clone(), info)
        })
    }
}

/// Inputs broadcast against each other with their chunks unified (as elementwise
/// operations do): the output shape, its chunks and the rechunked inputs.
pub(crate) fn unify<T: Element>(
    arrays: &[&Array<T>],
) -> Result<(Vec<usize>, Chunks, Vec<Array<T>>)> {
    for a in arrays {
        a.check()?;
    }
    let layout: Vec<(&[usize], &Chunks)> = arrays.iter().map(|a| (a.shape(), a.chunks())).collect();
    let Unified {
        shape,
        chunks: out_chunks,
        inputs: wanted,
    } = unify_chunks(&layout)?;
    let inputs = arrays
        .iter()
        .zip(wanted)
        .map(|(a, wanted)| a.rechunk(wanted))
        .collect::<Result<Vec<_>>>()?;
    Ok((shape, Chunks::from_lists(out_chunks), inputs))
}

/// `map_blocks` over several arrays of one element type: they are broadcast against each
/// other and their chunks unified (as elementwise operations do), then `f` gets block `b`
/// of every input (for a broadcast input, the block covering `b`, not expanded) and the
/// [`BlockInfo`] of output block `b`. The output has the unified chunks.
///
/// ```
/// use chunkflow::{Array, map_blocks};
/// let a = Array::<f64>::ones(&[4, 4], 2)?;
/// let b = Array::<f64>::full(&[4, 4], 2.0, [4, 1])?; // other chunks: unified first
/// let c = map_blocks(&[&a, &b], |blocks, _info| Ok(&blocks[0] + &blocks[1]))?;
/// assert_eq!(c.chunks().as_lists(), &[vec![2, 2], vec![1, 1, 1, 1]]);
/// assert_eq!(c.sum().scalar()?, 48.0);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn map_blocks<T: Element, U: Element>(
    arrays: &[&Array<T>],
    f: impl Fn(&[ArrayViewD<'_, T>], &BlockInfo) -> Result<ArrayD<U>> + Send + Sync + 'static,
) -> Result<Array<U>> {
    map_blocks_impl(arrays, None, f)
}

/// Like [`map_blocks`], declaring the output's chunks: as many blocks per axis as the
/// unified inputs have; sizes (and the element type `U`) may differ. Each block `f`
/// returns is checked against the declared shape when it is produced.
///
/// ```
/// use chunkflow::{Array, map_blocks_with_chunks};
/// let a = Array::<i64>::arange(0, 6, 1, 3)?;
/// let b = Array::<i64>::arange(0, 6, 1, 3)?;
/// // Per block: the dot product of the two blocks.
/// let d = map_blocks_with_chunks(&[&a, &b], vec![vec![1, 1]], |bl, _| {
///     Ok(ndarray::arr1(&[(&bl[0] * &bl[1]).sum()]).into_dyn())
/// })?;
/// assert_eq!(d.compute()?.as_slice().unwrap(), &[5, 50]);
/// let wrong = map_blocks_with_chunks(&[&a, &b], vec![vec![2, 2]], |bl, _| Ok(bl[0].to_owned()))?;
/// assert!(wrong.compute().is_err());
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn map_blocks_with_chunks<T: Element, U: Element>(
    arrays: &[&Array<T>],
    chunks: impl Into<ChunkSpec>,
    f: impl Fn(&[ArrayViewD<'_, T>], &BlockInfo) -> Result<ArrayD<U>> + Send + Sync + 'static,
) -> Result<Array<U>> {
    map_blocks_impl(arrays, Some(chunks.into()), f)
}

fn map_blocks_impl<T: Element, U: Element>(
    arrays: &[&Array<T>],
    chunks: Option<ChunkSpec>,
    f: impl Fn(&[ArrayViewD<'_, T>], &BlockInfo) -> Result<ArrayD<U>> + Send + Sync + 'static,
) -> Result<Array<U>> {
    if arrays.is_empty() {
        return Err(Error::InvalidArgument(
            "map_blocks needs at least one array (use Array::from_blocks for none)".into(),
        ));
    }
    let (_, unified, inputs) = unify(arrays)?;
    let chunks = match chunks {
        None => unified.clone(),
        Some(ChunkSpec::Explicit(lists)) => {
            if lists.len() != unified.ndim()
                || lists.iter().zip(unified.grid()).any(|(l, g)| l.len() != g)
            {
                return Err(Error::InvalidChunks(format!(
                    "map_blocks output chunks {lists:?} do not match the input's grid {:?}",
                    unified.grid()
                )));
            }
            Chunks::from_lists(lists)
        }
        Some(other) => {
            return Err(Error::InvalidChunks(format!(
                "map_blocks needs explicit output chunks (one list per axis), not {other:?}"
            )));
        }
    };
    let out_shape: Vec<usize> = chunks.as_lists().iter().map(|c| c.iter().sum()).collect();
    let g = MapBlocksFn {
        f,
        in_chunks: inputs.iter().map(|a| a.chunks().clone()).collect(),
        array_shape: out_shape.clone(),
        id: fresh_id(),
        _t: PhantomData,
    };
    let meta = Meta {
        shape: out_shape,
        chunks,
        dtype: U::DTYPE,
    };
    Ok(Array::build(
        Op::Gather(Arc::new(g)),
        inputs.iter().map(|a| a.node().clone()).collect(),
        meta,
    ))
}

struct MapBlocksFn<T, U, F> {
    f: F,
    in_chunks: Vec<Chunks>,
    array_shape: Vec<usize>,
    id: u64,
    _t: PhantomData<fn(T) -> U>,
}

impl<T, U, F> GatherFn for MapBlocksFn<T, U, F>
where
    T: Element,
    U: Element,
    F: Fn(&[ArrayViewD<'_, T>], &BlockInfo) -> Result<ArrayD<U>> + Send + Sync,
{
    fn name(&self) -> &str {
        "map_blocks"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        vec![
            self.in_chunks
                .iter()
                .enumerate()
                .map(|(k, c)| (k, broadcast_block(index, c)))
                .collect(),
        ]
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let key = Key::chunk("map_blocks", &pos.index);
        let arrays = inputs
            .iter()
            .map(|v| v.get::<ArrayD<T>>(&key))
            .collect::<Result<Vec<_>>>()?;
        let views: Vec<ArrayViewD<'_, T>> = arrays.iter().map(|a| a.view()).collect();
        let info = BlockInfo::new(pos, &self.array_shape);
        let out = (self.f)(&views, &info)?;
        check_shape("map_blocks", &info, out.shape())?;
        Ok(Value::new(out))
    }
}
