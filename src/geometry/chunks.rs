//! Chunk geometry: how an array is split into blocks along each axis, the ways a user may
//! specify that, and the rules that line chunkings up for broadcasting.

use crate::error::{Error, Result};

use crate::dtype::DType;

/// The default target size of one chunk for [`ChunkSpec::Auto`]: 8 MiB.
pub const AUTO_CHUNK_BYTES: usize = 8 << 20;

/// The most chunks one array may have: 2^24 (16.8 million). Every chunk becomes at least
/// one task (a few hundred bytes of graph each), so more cannot be planned on one machine;
/// asking for more is an [`Error::InvalidChunks`] before anything is allocated.
pub const MAX_CHUNKS: usize = 1 << 24;

/// Per-axis chunk sizes, like Dask's `chunks` tuple: `chunks.axis(1)` is `[3, 3, 1]` for an
/// axis of length 7 split into 3s. An axis of length 0 has one chunk of size 0 (unless
/// given more); explicit sizes may include zero-size chunks, as Dask's may; a 0-d array has
/// no axes and one chunk.
///
/// ```
/// use chunkflow::Chunks;
/// let c = Chunks::resolve(&[7, 4], 3, chunkflow::DType::F64)?;
/// assert_eq!(c.axis(0), &[3, 3, 1]);
/// assert_eq!(c.axis(1), &[3, 1]);
/// assert_eq!(c.num_chunks(), 6);
/// # Ok::<(), chunkflow::Error>(())
/// ```
///
/// An axis may have **unknown** chunk sizes (Dask's NaN chunks): the result of a boolean
/// mask, `nonzero` or `unique`, whose sizes depend on the data. The number of chunks is
/// known; each size is only an upper bound (what the chunk could hold at most), reported
/// by [`Chunks::axis`] and counted in the array's `shape`, until
/// [`compute_chunk_sizes`](crate::Array::compute_chunk_sizes) finds the real ones.
/// [`Chunks::is_known`] and [`Chunks::unknown_axes`] tell.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Chunks {
    sizes: Vec<Vec<usize>>,
    /// Per axis, each chunk's first index (a prefix sum of `sizes`), so a block's offset is
    /// O(1) and the block holding an index is a binary search.
    starts: Vec<Vec<usize>>,
    /// Per axis, whether its sizes are only upper bounds (data-dependent, not yet known).
    unknown: Vec<bool>,
}

/// How a user asks for chunks; converted from a number, a list or a list of lists.
///
/// ```
/// use chunkflow::ChunkSpec;
/// let _every_axis: ChunkSpec = 1000.into();
/// let _per_axis: ChunkSpec = [100, 50].into();
/// let _explicit: ChunkSpec = vec![vec![2, 3], vec![5]].into();
/// let _auto = ChunkSpec::Auto;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkSpec {
    /// The same chunk size along every axis (the last chunk may be short).
    Uniform(usize),
    /// One chunk size per axis.
    PerAxis(Vec<usize>),
    /// The exact chunk sizes along every axis.
    Explicit(Vec<Vec<usize>>),
    /// About [`AUTO_CHUNK_BYTES`] per chunk: trailing axes are kept whole as far as the
    /// budget allows, so chunks are contiguous row blocks (what the kernels stream fastest).
    Auto,
    /// Like `Auto` with another target size in bytes.
    AutoBytes(usize),
}

impl From<usize> for ChunkSpec {
    fn from(size: usize) -> Self {
        ChunkSpec::Uniform(size)
    }
}
impl<const N: usize> From<[usize; N]> for ChunkSpec {
    fn from(sizes: [usize; N]) -> Self {
        ChunkSpec::PerAxis(sizes.to_vec())
    }
}
impl From<&[usize]> for ChunkSpec {
    fn from(sizes: &[usize]) -> Self {
        ChunkSpec::PerAxis(sizes.to_vec())
    }
}
impl From<Vec<usize>> for ChunkSpec {
    fn from(sizes: Vec<usize>) -> Self {
        ChunkSpec::PerAxis(sizes)
    }
}
impl From<Vec<Vec<usize>>> for ChunkSpec {
    fn from(sizes: Vec<Vec<usize>>) -> Self {
        ChunkSpec::Explicit(sizes)
    }
}
impl From<&Chunks> for ChunkSpec {
    fn from(chunks: &Chunks) -> Self {
        ChunkSpec::Explicit(chunks.sizes.clone())
    }
}

/// Splits `len` into chunks of `size` (the last one short); a zero-length axis is `[0]`.
pub(crate) fn regular(len: usize, size: usize) -> Vec<usize> {
    if len == 0 {
        return vec![0];
    }
    let size = size.min(len);
    let mut out = vec![size; len / size];
    if !len.is_multiple_of(size) {
        out.push(len % size);
    }
    out
}

impl Chunks {
    /// Resolves a spec for an array of `shape` and `dtype`, checking it.
    ///
    /// Errors ([`Error::InvalidChunks`]): a zero chunk size (uniform or per axis), explicit
    /// sizes that do not sum to the axis length or an axis with none, or a number of axes
    /// that does not match `shape`. Explicit zero-size chunks are allowed (`[4, 0, 6]`).
    ///
    /// Also errors: a shape whose size in bytes does not fit the address space
    /// ([`Error::InvalidArgument`]), and more than [`MAX_CHUNKS`] chunks — both found
    /// before anything is allocated.
    pub fn resolve(shape: &[usize], spec: impl Into<ChunkSpec>, dtype: DType) -> Result<Self> {
        check_shape(shape, dtype)?;
        let spec = spec.into();
        let axes = match spec {
            ChunkSpec::Uniform(size) => {
                check_size(size)?;
                check_count(shape, |_| size)?;
                shape.iter().map(|&len| regular(len, size)).collect()
            }
            ChunkSpec::PerAxis(sizes) => {
                check_ndim(sizes.len(), shape)?;
                for &size in &sizes {
                    check_size(size)?;
                }
                check_count(shape, |axis| sizes[axis])?;
                sizes
                    .iter()
                    .zip(shape)
                    .map(|(&size, &len)| regular(len, size))
                    .collect()
            }
            ChunkSpec::Explicit(lists) => {
                check_ndim(lists.len(), shape)?;
                for (axis, (list, &len)) in lists.iter().zip(shape).enumerate() {
                    check_explicit(axis, list, len)?;
                }
                let total = lists
                    .iter()
                    .try_fold(1usize, |acc, l| acc.checked_mul(l.len()));
                check_total(total)?;
                lists
            }
            ChunkSpec::Auto => auto(shape, dtype, AUTO_CHUNK_BYTES)?,
            ChunkSpec::AutoBytes(bytes) => {
                check_size(bytes)?;
                auto(shape, dtype, bytes)?
            }
        };
        Ok(Chunks::from_lists(axes))
    }

    /// Chunks from per-axis lists known to be valid (internal constructors).
    pub(crate) fn from_lists(lists: Vec<Vec<usize>>) -> Self {
        let starts = lists
            .iter()
            .map(|sizes| {
                sizes
                    .iter()
                    .scan(0, |start, &size| {
                        let first = *start;
                        *start += size;
                        Some(first)
                    })
                    .collect()
            })
            .collect();
        Chunks {
            unknown: vec![false; lists.len()],
            sizes: lists,
            starts,
        }
    }

    /// These chunks with the axes flagged in `unknown` marked as of unknown sizes (their
    /// sizes kept as upper bounds).
    pub(crate) fn with_unknown(mut self, unknown: Vec<bool>) -> Self {
        debug_assert_eq!(unknown.len(), self.sizes.len());
        self.unknown = unknown;
        self
    }

    /// Whether every chunk size is known (no axis waits for
    /// [`compute_chunk_sizes`](crate::Array::compute_chunk_sizes)).
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![1, -2, 3], 2)?;
    /// assert!(x.chunks().is_known());
    /// let positive = x.mask(&x.gt(0))?;
    /// assert!(!positive.chunks().is_known());
    /// assert_eq!(positive.chunks().unknown_axes(), vec![0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn is_known(&self) -> bool {
        !self.unknown.iter().any(|&u| u)
    }

    /// The axes whose chunk sizes are unknown.
    pub fn unknown_axes(&self) -> Vec<usize> {
        (0..self.unknown.len())
            .filter(|&a| self.unknown[a])
            .collect()
    }

    /// Per axis, whether its chunk sizes are unknown.
    pub(crate) fn unknown_flags(&self) -> &[bool] {
        &self.unknown
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.sizes.len()
    }

    /// The chunk sizes along `axis`.
    pub fn axis(&self, axis: usize) -> &[usize] {
        &self.sizes[axis]
    }

    /// All axes' chunk sizes.
    pub fn as_lists(&self) -> &[Vec<usize>] {
        &self.sizes
    }

    /// The number of chunks along each axis.
    pub fn grid(&self) -> Vec<usize> {
        self.sizes.iter().map(Vec::len).collect()
    }

    /// The total number of chunks.
    pub fn num_chunks(&self) -> usize {
        self.sizes.iter().map(Vec::len).product()
    }

    /// The shape of the block at `index`.
    pub fn block_shape(&self, index: &[usize]) -> Vec<usize> {
        index.iter().zip(&self.sizes).map(|(&i, c)| c[i]).collect()
    }

    /// The global position of the block at `index`'s first element.
    pub fn block_offset(&self, index: &[usize]) -> Vec<usize> {
        index
            .iter()
            .zip(&self.starts)
            .map(|(&i, starts)| starts[i])
            .collect()
    }

    /// The first index of every chunk along `axis`.
    pub(crate) fn axis_starts(&self, axis: usize) -> &[usize] {
        &self.starts[axis]
    }

    /// The block along `axis` holding global index `i`, and that block's first index (a
    /// binary search; an index past the end falls in the last block).
    pub(crate) fn locate(&self, axis: usize, i: usize) -> (usize, usize) {
        let starts = &self.starts[axis];
        let block = starts.partition_point(|&s| s <= i).saturating_sub(1);
        (block, starts[block])
    }

    /// Every block index, in row-major order.
    pub fn blocks(&self) -> BlockIter {
        BlockIter::new(self.grid())
    }

    /// The largest chunk's number of elements.
    pub fn max_chunk_len(&self) -> usize {
        self.sizes
            .iter()
            .map(|c| c.iter().copied().max().unwrap_or(0))
            .product()
    }
}

/// Row-major iteration over the indices of a grid.
pub struct BlockIter {
    grid: Vec<usize>,
    next: Option<Vec<usize>>,
}

impl BlockIter {
    pub(crate) fn new(grid: Vec<usize>) -> Self {
        let next = if grid.contains(&0) {
            None
        } else {
            Some(vec![0; grid.len()])
        };
        BlockIter { grid, next }
    }
}

impl Iterator for BlockIter {
    type Item = Vec<usize>;
    fn next(&mut self) -> Option<Vec<usize>> {
        let current = self.next.take()?;
        let mut following = current.clone();
        for axis in (0..self.grid.len()).rev() {
            following[axis] += 1;
            if following[axis] < self.grid[axis] {
                self.next = Some(following);
                break;
            }
            following[axis] = 0;
        }
        Some(current)
    }
}

fn check_size(size: usize) -> Result<()> {
    if size == 0 {
        Err(Error::InvalidChunks(
            "a chunk size must be at least 1".into(),
        ))
    } else {
        Ok(())
    }
}

fn check_ndim(given: usize, shape: &[usize]) -> Result<()> {
    if given == shape.len() {
        Ok(())
    } else {
        Err(Error::InvalidChunks(format!(
            "{given} axes of chunks given for shape {shape:?} ({} axes)",
            shape.len()
        )))
    }
}

fn check_explicit(axis: usize, list: &[usize], len: usize) -> Result<()> {
    if list.is_empty() {
        return Err(Error::InvalidChunks(format!(
            "axis {axis} of length {len} has no chunks (an empty axis takes [0])"
        )));
    }
    let sum = list.iter().try_fold(0usize, |acc, &c| acc.checked_add(c));
    if sum != Some(len) {
        let sum = sum.map_or("more than fits in usize".to_string(), |s| s.to_string());
        return Err(Error::InvalidChunks(format!(
            "axis {axis}: chunk sizes {list:?} sum to {sum}, not the axis length {len}"
        )));
    }
    Ok(())
}

fn auto(shape: &[usize], dtype: DType, bytes: usize) -> Result<Vec<Vec<usize>>> {
    let mut budget = (bytes / dtype.size()).max(1);
    let mut sizes = vec![0; shape.len()];
    for axis in (0..shape.len()).rev() {
        let size = shape[axis].clamp(1, budget.max(1));
        sizes[axis] = size;
        budget /= size;
    }
    check_count(shape, |axis| sizes[axis])?;
    Ok(shape
        .iter()
        .zip(&sizes)
        .map(|(&len, &size)| regular(len, size))
        .collect())
}

/// A shape's size in bytes must fit the address space (so every offset computed from it
/// fits `usize`, and a chunk of it could exist).
fn check_shape(shape: &[usize], dtype: DType) -> Result<()> {
    let bytes = shape
        .iter()
        .try_fold(dtype.size(), |acc, &len| acc.checked_mul(len));
    match bytes {
        Some(b) if b <= isize::MAX as usize => Ok(()),
        _ => Err(Error::InvalidArgument(format!(
            "an array of shape {shape:?} and type {dtype} holds more bytes than a 64-bit \
             address space"
        ))),
    }
}

/// The chunk count of `shape` split into chunks of `size(axis)` must be at most
/// [`MAX_CHUNKS`]; checked before any chunk list is allocated.
fn check_count(shape: &[usize], size: impl Fn(usize) -> usize) -> Result<()> {
    let total = (0..shape.len()).try_fold(1usize, |acc, axis| {
        let blocks = shape[axis].div_ceil(size(axis)).max(1);
        acc.checked_mul(blocks)
    });
    check_total(total)
}

fn check_total(total: Option<usize>) -> Result<()> {
    match total {
        Some(n) if n <= MAX_CHUNKS => Ok(()),
        n => Err(Error::InvalidChunks(format!(
            "{} chunks; chunkflow plans at most {MAX_CHUNKS} (2^24) chunks per array: ask \
             for larger chunks",
            n.map_or("more than 2^64".to_string(), |n| n.to_string())
        ))),
    }
}

/// The common refinement of several chunkings of one axis: every boundary of any of them.
pub(crate) fn refine(axes: &[&[usize]]) -> Vec<usize> {
    let mut bounds: Vec<usize> = axes
        .iter()
        .flat_map(|c| {
            c.iter().scan(0, |acc, &s| {
                *acc += s;
                Some(*acc)
            })
        })
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut out = Vec::with_capacity(bounds.len());
    let mut last = 0;
    for b in bounds {
        if b > last {
            out.push(b - last);
            last = b;
        }
    }
    if out.is_empty() {
        out.push(0);
    }
    out
}

/// The broadcast shape of several shapes (NumPy's rules: aligned from the right, size-1 axes
/// stretch), or an error naming the shapes.
pub(crate) fn broadcast_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1; ndim];
    for shape in shapes {
        let pad = ndim - shape.len();
        for (axis, &len) in shape.iter().enumerate() {
            let o = &mut out[pad + axis];
            if *o == 1 {
                *o = len;
            } else if len != 1 && len != *o {
                let names: Vec<String> = shapes.iter().map(|s| format!("{s:?}")).collect();
                return Err(Error::ShapeMismatch(format!(
                    "shapes {} cannot be broadcast together",
                    names.join(" and ")
                )));
            }
        }
    }
    Ok(out)
}

/// How several arrays line up for a blockwise operation (Dask's `unify_chunks`): the
/// broadcast shape, its chunks (per axis, the common refinement of the inputs spanning it)
/// and, per input, the chunks it must be rechunked to. A stretched length-1 axis takes a
/// single chunk (it may have been split into `[1, 0]`); where inputs are chunked alike their
/// chunks are kept, else zero-size chunks vanish in the refinement.
pub(crate) struct Unified {
    pub(crate) shape: Vec<usize>,
    pub(crate) chunks: Vec<Vec<usize>>,
    pub(crate) inputs: Vec<Vec<Vec<usize>>>,
}

/// Unifies the chunks of inputs given as (shape, chunks), or errors on shapes that do not
/// broadcast.
pub(crate) fn unify(inputs: &[(&[usize], &Chunks)]) -> Result<Unified> {
    let shapes: Vec<&[usize]> = inputs.iter().map(|(s, _)| *s).collect();
    let shape = broadcast_shapes(&shapes)?;
    let ndim = shape.len();
    let spans = |(s, _): &(&[usize], &Chunks), axis: usize| {
        let pad = ndim - s.len();
        axis >= pad && s[axis - pad] == shape[axis]
    };
    let chunks: Vec<Vec<usize>> = (0..ndim)
        .map(|axis| {
            let spanning: Vec<&[usize]> = inputs
                .iter()
                .filter(|input| spans(input, axis))
                .map(|(s, c)| c.axis(axis - (ndim - s.len())))
                .collect();
            match spanning.split_first() {
                None => vec![shape[axis]],
                // Inputs chunked alike keep their chunks, zero-size ones included (an
                // unknown-size axis could not be rechunked).
                Some((first, rest)) if rest.iter().all(|c| c == first) => first.to_vec(),
                Some(_) => refine(&spanning),
            }
        })
        .collect();
    let wanted = inputs
        .iter()
        .map(|input| {
            let pad = ndim - input.0.len();
            (0..input.0.len())
                .map(|a| {
                    if spans(input, pad + a) {
                        chunks[pad + a].clone()
                    } else {
                        vec![1] // a stretched length-1 axis
                    }
                })
                .collect()
        })
        .collect();
    Ok(Unified {
        shape,
        chunks,
        inputs: wanted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn illegal_specs_are_errors() {
        let f = DType::F64;
        assert!(Chunks::resolve(&[4], 0, f).is_err());
        assert!(Chunks::resolve(&[4, 4], [2], f).is_err());
        assert!(Chunks::resolve(&[4], vec![vec![1, 2]], f).is_err());
        assert!(Chunks::resolve(&[4], vec![vec![]], f).is_err());
        assert!(Chunks::resolve(&[0], vec![vec![]], f).is_err());
        // Zero-size chunks are legal, as in Dask.
        assert!(Chunks::resolve(&[4], vec![vec![4, 0]], f).is_ok());
        assert!(Chunks::resolve(&[0], vec![vec![0]], f).is_ok());
        assert!(Chunks::resolve(&[0], vec![vec![0, 0]], f).is_ok());
    }

    #[test]
    fn auto_keeps_trailing_axes_whole() {
        let c = Chunks::resolve(&[20_000, 5_000], ChunkSpec::Auto, DType::F64).unwrap();
        assert_eq!(c.axis(1), &[5_000]);
        assert_eq!(c.axis(0)[0], (AUTO_CHUNK_BYTES / 8) / 5_000);
        let small = Chunks::resolve(&[3, 0, 2], ChunkSpec::Auto, DType::I32).unwrap();
        assert_eq!(small.as_lists(), &[vec![3], vec![0], vec![2]]);
    }

    #[test]
    fn refinement_and_broadcasting() {
        assert_eq!(refine(&[&[3, 3, 1], &[2, 5]]), vec![2, 1, 3, 1]);
        assert_eq!(
            broadcast_shapes(&[&[5, 1, 3], &[4, 1]]).unwrap(),
            vec![5, 4, 3]
        );
        let err = broadcast_shapes(&[&[2, 3], &[4]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "shape mismatch: shapes [2, 3] and [4] cannot be broadcast together"
        );
    }

    #[test]
    fn blocks_iterate_row_major() {
        let c = Chunks::from_lists(vec![vec![1, 1], vec![2, 2, 2]]);
        let all: Vec<_> = c.blocks().collect();
        assert_eq!(all.len(), 6);
        assert_eq!(all[1], vec![0, 1]);
        assert_eq!(Chunks::from_lists(vec![]).blocks().count(), 1);
    }
}
