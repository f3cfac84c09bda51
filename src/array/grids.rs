//! Index-computed creation functions (NumPy's `eye`, `identity`, `tri`, `tril`/`triu`,
//! `indices`, `meshgrid`) and the `*_like` constructors. Each is a lazy source computed
//! chunk by chunk from the global index; nothing is materialised whole.

use super::elementwise::{Operand, where_};
use super::{Array, ChunkSpec, Chunks};
use crate::dtype::{Element, Num};
use crate::error::{Error, Result};

impl<T: Num> Array<T> {
    /// An `n × m` array with ones on the `k`-th diagonal (`k > 0` above the main one) and
    /// zeros elsewhere (NumPy's `eye(N, M, k)`).
    ///
    /// ```
    /// let e = chunkflow::Array::<i32>::eye(2, 3, 1, 2)?;
    /// assert_eq!(e.compute()?, ndarray::arr2(&[[0, 1, 0], [0, 0, 1]]).into_dyn());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn eye(n: usize, m: usize, k: isize, chunks: impl Into<ChunkSpec>) -> Result<Self> {
        Array::from_fn(&[n, m], chunks, move |i| {
            if i[1] as isize - i[0] as isize == k {
                T::ONE
            } else {
                T::ZERO
            }
        })
    }

    /// The `n × n` identity matrix.
    ///
    /// ```
    /// let i = chunkflow::Array::<f64>::identity(3, 2)?;
    /// assert_eq!(i.sum().scalar()?, 3.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn identity(n: usize, chunks: impl Into<ChunkSpec>) -> Result<Self> {
        Self::eye(n, n, 0, chunks)
    }

    /// An `n × m` array with ones at and below the `k`-th diagonal (NumPy's `tri`).
    ///
    /// ```
    /// let t = chunkflow::Array::<u32>::tri(3, 3, 0, 2)?;
    /// assert_eq!(t.sum().scalar()?, 6);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn tri(n: usize, m: usize, k: isize, chunks: impl Into<ChunkSpec>) -> Result<Self> {
        Array::from_fn(&[n, m], chunks, move |i| {
            if i[1] as isize - i[0] as isize <= k {
                T::ONE
            } else {
                T::ZERO
            }
        })
    }
}

impl<T: Element> Array<T> {
    /// The lower triangle of the last two axes: elements above the `k`-th diagonal set to
    /// zero (NumPy's `tril`). Fewer than two axes is an error.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::ones(&[3, 3], 2)?;
    /// assert_eq!(x.tril(0)?.sum().scalar()?, 6);
    /// assert_eq!(x.tril(-1)?.sum().scalar()?, 3);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn tril(&self, k: isize) -> Result<Array<T>> {
        let mask = self.triangle_mask(move |row, col| col as isize - row as isize <= k)?;
        Ok(where_(&mask, self, Operand::Scalar(T::default())))
    }

    /// The upper triangle of the last two axes: elements below the `k`-th diagonal set to
    /// zero (NumPy's `triu`).
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::ones(&[3, 3], 2)?;
    /// assert_eq!(x.triu(0)?.sum().scalar()?, 6);
    /// assert_eq!(x.triu(1)?.sum().scalar()?, 3);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn triu(&self, k: isize) -> Result<Array<T>> {
        let mask = self.triangle_mask(move |row, col| col as isize - row as isize >= k)?;
        Ok(where_(&mask, self, Operand::Scalar(T::default())))
    }

    /// A boolean mask over the last two axes, chunked like them (so combining it with
    /// `self` rechunks nothing).
    fn triangle_mask(
        &self,
        keep: impl Fn(usize, usize) -> bool + Send + Sync + 'static,
    ) -> Result<Array<bool>> {
        self.check()?;
        let nd = self.ndim();
        if nd < 2 {
            return Err(Error::InvalidArgument(format!(
                "tril/triu need at least 2 axes, the array has {nd}"
            )));
        }
        let shape = &self.shape()[nd - 2..];
        let chunks = self.chunks().as_lists()[nd - 2..].to_vec();
        Array::from_fn(shape, chunks, move |i| keep(i[0], i[1]))
    }

    /// An array of the same shape and chunks filled with `value` (NumPy's `full_like`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[2, 3], 2)?;
    /// let y = chunkflow::Array::full_like(&x, 7_i32)?;
    /// assert_eq!((y.shape(), y.chunks()), (x.shape(), x.chunks()));
    /// assert_eq!(y.sum().scalar()?, 42);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn full_like<U: Element>(other: &Array<U>, value: T) -> Result<Array<T>> {
        other.check()?;
        Array::full(other.shape(), value, ChunkSpec::from(other.chunks()))
    }
}

impl<T: Num> Array<T> {
    /// An array of zeros shaped and chunked like `other` (NumPy's `zeros_like`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[4], 3)?;
    /// assert_eq!(chunkflow::Array::<u64>::zeros_like(&x)?.sum().scalar()?, 0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn zeros_like<U: Element>(other: &Array<U>) -> Result<Array<T>> {
        Self::full_like(other, T::ZERO)
    }

    /// An array of ones shaped and chunked like `other` (NumPy's `ones_like`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[4], 3)?;
    /// assert_eq!(chunkflow::Array::<i32>::ones_like(&x)?.sum().scalar()?, 4);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn ones_like<U: Element>(other: &Array<U>) -> Result<Array<T>> {
        Self::full_like(other, T::ONE)
    }
}

impl Array<i64> {
    /// The index grid of `shape` (NumPy's `indices`): shape `[ndim, *shape]`, where element
    /// `[k, i0, i1, ...]` is `ik`. The first axis has chunks of 1, as in Dask.
    ///
    /// ```
    /// let g = chunkflow::Array::indices(&[2, 3], 2)?;
    /// let g = g.compute()?;
    /// assert_eq!(g.shape(), &[2, 2, 3]);
    /// assert_eq!(g[[0, 1, 2]], 1);
    /// assert_eq!(g[[1, 1, 2]], 2);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn indices(shape: &[usize], chunks: impl Into<ChunkSpec>) -> Result<Array<i64>> {
        let inner = Chunks::resolve(shape, chunks, crate::dtype::DType::I64)?;
        let mut lists = vec![vec![1; shape.len()]];
        lists.extend(inner.as_lists().iter().cloned());
        if shape.is_empty() {
            lists[0] = vec![0];
        }
        let mut full = vec![shape.len()];
        full.extend_from_slice(shape);
        Array::from_fn(&full, lists, |i| i[1 + i[0]] as i64)
    }
}

/// Coordinate arrays from 1-d coordinate vectors (NumPy's `meshgrid`): with `ij` indexing
/// output `k` has shape `[len0, len1, ...]` and varies along axis `k`; with `xy` indexing
/// (NumPy's default) the first two axes are swapped. Inputs that are not 1-d are an error.
///
/// ```
/// use chunkflow::{Array, meshgrid};
/// let x = Array::<f64>::linspace(0.0, 2.0, 3, 2)?;
/// let y = Array::<f64>::linspace(0.0, 1.0, 2, 1)?;
/// let g = meshgrid(&[&x, &y], false)?;
/// assert_eq!(g[0].shape(), &[2, 3]);
/// assert_eq!(g[0].compute()?, ndarray::arr2(&[[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]).into_dyn());
/// assert_eq!(g[1].compute()?, ndarray::arr2(&[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]).into_dyn());
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn meshgrid<T: Element>(coords: &[&Array<T>], ij: bool) -> Result<Vec<Array<T>>> {
    for (k, c) in coords.iter().enumerate() {
        c.check()?;
        if c.ndim() != 1 {
            return Err(Error::InvalidArgument(format!(
                "meshgrid takes 1-d coordinates; input {k} has shape {:?}",
                c.shape()
            )));
        }
    }
    let n = coords.len();
    // The output axis of each input.
    let axis_of = |k: usize| {
        if !ij && n >= 2 && k < 2 { 1 - k } else { k }
    };
    let mut shape = vec![0; n];
    for (k, c) in coords.iter().enumerate() {
        shape[axis_of(k)] = c.len();
    }
    coords
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let axis = axis_of(k);
            let mut x = (*c).clone();
            for _ in 0..axis {
                x = x.insert_axis(0)?;
            }
            for _ in axis + 1..n {
                x = x.insert_axis(x.ndim())?;
            }
            x.broadcast_to(&shape)
        })
        .collect()
}
