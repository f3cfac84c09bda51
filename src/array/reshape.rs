//! Reshaping: `reshape` in row-major order with Dask's rule (only the merged or split axes
//! are rechunked, never the whole array into one chunk), `ravel`/`flatten`, `squeeze`,
//! `expand_dims`, `moveaxis` and `swapaxes`.

use super::{Array, Chunks};
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::Meta;
use crate::geometry::reshape::reshape_plan;
use crate::plan::Op;

impl<T: Element> Array<T> {
    /// The same elements in row-major order with shape `shape` (NumPy's `reshape`). Only
    /// the axes that are merged or split are rechunked (Dask's `reshape_rechunk`): merged
    /// inner axes become whole, split axes get chunks that are multiples of the inner
    /// lengths. Shapes whose axes do not group into merges and splits go through one
    /// dimension. A different number of elements is an error.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::arange(0, 12, 1, 4)?;
    /// let y = x.reshape(&[3, 4])?;
    /// assert_eq!(y.chunks().as_lists(), &[vec![1, 1, 1], vec![4]]);
    /// assert_eq!(y.compute()?, ndarray::Array::from_iter(0..12).into_shape_with_order((3, 4)).unwrap().into_dyn());
    /// assert!(x.reshape(&[5, 2]).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn reshape(&self, shape: &[usize]) -> Result<Array<T>> {
        self.require_known_chunks("reshape")?;
        self.check()?;
        let count = shape
            .iter()
            .try_fold(1usize, |n, &l| n.checked_mul(l))
            .ok_or_else(|| Error::InvalidArgument(format!("shape {shape:?} is too large")))?;
        if count != self.len() {
            return Err(Error::ShapeMismatch(format!(
                "cannot reshape an array of shape {:?} ({} elements) into shape {shape:?} ({count} elements)",
                self.shape(),
                self.len()
            )));
        }
        if shape == self.shape() {
            return Ok(self.clone());
        }
        if count == 0 {
            let whole = |s: &[usize]| s.iter().map(|&l| vec![l]).collect::<Vec<_>>();
            let input = self.rechunk(whole(self.shape()))?;
            return Ok(input.reshaped(shape, whole(shape)));
        }
        match reshape_plan(self.shape(), shape, self.chunks().as_lists()) {
            Some((inchunks, outchunks)) => {
                let input = if inchunks == self.chunks().as_lists() {
                    self.clone()
                } else {
                    self.rechunk(inchunks)?
                };
                Ok(input.reshaped(shape, outchunks))
            }
            None => self.reshape(&[count])?.reshape(shape),
        }
    }

    /// [`Array::reshape`] with NumPy's `-1`: at most one entry may be `-1`, standing for
    /// the length that keeps the number of elements (`x.reshape(-1, 4)`). Errors: two
    /// `-1`s, another negative entry, or no length that fits.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::arange(0, 12, 1, 4)?;
    /// assert_eq!(x.reshape_infer(&[-1, 4])?.shape(), &[3, 4]);
    /// assert_eq!(x.reshape_infer(&[2, -1, 3])?.shape(), &[2, 2, 3]);
    /// assert!(x.reshape_infer(&[-1, 5]).is_err());
    /// assert!(x.reshape_infer(&[-1, -1]).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn reshape_infer(&self, shape: &[isize]) -> Result<Array<T>> {
        let unknown: Vec<usize> = (0..shape.len()).filter(|&a| shape[a] == -1).collect();
        if unknown.len() > 1 {
            return Err(Error::InvalidArgument(format!(
                "reshape {shape:?}: can only specify one unknown dimension"
            )));
        }
        if let Some(&bad) = shape.iter().find(|&&l| l < -1) {
            return Err(Error::InvalidArgument(format!(
                "reshape {shape:?}: negative length {bad}"
            )));
        }
        let known: usize = shape
            .iter()
            .filter(|&&l| l >= 0)
            .map(|&l| l as usize)
            .product();
        let mut resolved: Vec<usize> = shape.iter().map(|&l| l.max(0) as usize).collect();
        if let Some(&a) = unknown.first() {
            let total = self.len();
            if known == 0 || !total.is_multiple_of(known) {
                return Err(Error::ShapeMismatch(format!(
                    "cannot reshape an array of {total} elements (shape {:?}) into {shape:?}",
                    self.shape()
                )));
            }
            resolved[a] = total / known;
        }
        self.reshape(&resolved)
    }

    /// The reshape node itself; the input's blocks map one to one onto `chunks`.
    fn reshaped(&self, shape: &[usize], chunks: Vec<Vec<usize>>) -> Array<T> {
        let meta = Meta {
            shape: shape.to_vec(),
            chunks: Chunks::from_lists(chunks),
            dtype: T::DTYPE,
        };
        Array::build(Op::Reshape, vec![self.node().clone()], meta)
    }

    /// The elements as a 1-d array in row-major order (NumPy's `ravel`).
    ///
    /// ```
    /// let x = chunkflow::Array::from_ndarray(ndarray::arr2(&[[1, 2], [3, 4]]), 1)?;
    /// assert_eq!(x.ravel()?.compute()?.as_slice().unwrap(), &[1, 2, 3, 4]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn ravel(&self) -> Result<Array<T>> {
        self.reshape(&[self.len()])
    }

    /// The same as [`Array::ravel`] (NumPy's `flatten`; nothing is copied until computed).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[2, 3], 2)?;
    /// assert_eq!(x.flatten()?.shape(), &[6]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn flatten(&self) -> Result<Array<T>> {
        self.ravel()
    }

    /// Every length-1 axis removed (NumPy's `squeeze`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[1, 3, 1], 2)?;
    /// assert_eq!(x.squeeze().shape(), &[3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn squeeze(&self) -> Array<T> {
        let mut x = self.clone();
        for axis in (0..self.ndim()).rev() {
            if self.shape()[axis] == 1 {
                x = x.remove_axis(axis);
            }
        }
        x
    }

    /// Axis `axis` removed; it must have length 1.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[1, 3, 1], 2)?;
    /// assert_eq!(x.squeeze_axis(2)?.shape(), &[1, 3]);
    /// assert!(x.squeeze_axis(1).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn squeeze_axis(&self, axis: usize) -> Result<Array<T>> {
        self.check()?;
        self.check_axis(axis)?;
        if self.shape()[axis] != 1 {
            return Err(Error::InvalidArgument(format!(
                "cannot squeeze axis {axis} of length {} (shape {:?})",
                self.shape()[axis],
                self.shape()
            )));
        }
        Ok(self.remove_axis(axis))
    }

    /// Length-1 axes inserted so that they sit at positions `axes` of the result (NumPy's
    /// `expand_dims`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[3, 4], 2)?;
    /// assert_eq!(x.expand_dims(&[0, 3])?.shape(), &[1, 3, 4, 1]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn expand_dims(&self, axes: &[usize]) -> Result<Array<T>> {
        let out_ndim = self.ndim() + axes.len();
        let mut sorted = axes.to_vec();
        sorted.sort_unstable();
        if let Some(&axis) = sorted.iter().find(|&&a| a >= out_ndim) {
            return Err(Error::AxisOutOfRange {
                axis,
                ndim: out_ndim,
            });
        }
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::InvalidArgument(format!("repeated axis in {axes:?}")));
        }
        sorted
            .iter()
            .try_fold(self.clone(), |x, &axis| x.insert_axis(axis))
    }

    /// Axis `from` moved to position `to`, the others keeping their order (NumPy's
    /// `moveaxis`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[2, 3, 4], 2)?;
    /// assert_eq!(x.moveaxis(0, 2)?.shape(), &[3, 4, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn moveaxis(&self, from: usize, to: usize) -> Result<Array<T>> {
        self.check_axis(from)?;
        self.check_axis(to)?;
        let mut perm: Vec<usize> = (0..self.ndim()).filter(|&a| a != from).collect();
        perm.insert(to, from);
        self.permuted_axes(&perm)
    }

    /// Axes `a` and `b` exchanged (NumPy's `swapaxes`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[2, 3, 4], 2)?;
    /// assert_eq!(x.swapaxes(0, 2)?.shape(), &[4, 3, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn swapaxes(&self, a: usize, b: usize) -> Result<Array<T>> {
        self.check_axis(a)?;
        self.check_axis(b)?;
        let mut perm: Vec<usize> = (0..self.ndim()).collect();
        perm.swap(a, b);
        self.permuted_axes(&perm)
    }

    /// An error unless `axis` is an axis of the array.
    pub(super) fn check_axis(&self, axis: usize) -> Result<()> {
        if axis >= self.ndim() {
            return Err(Error::AxisOutOfRange {
                axis,
                ndim: self.ndim(),
            });
        }
        Ok(())
    }
}
