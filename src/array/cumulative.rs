//! Cumulative sums and products along an axis: `cumsum`, `cumprod`, `nancumsum`,
//! `nancumprod` (NumPy's names), lowered Dask's way (per-block scans plus a carry from the
//! blocks before; see `kernel::scan`). Results have the sum type, as in NumPy (`i64` for
//! bool and i32, `u64` for u32), so integer scans are exact (wrapping on overflow).
//! The `_flat` forms are NumPy's `cumsum(a)` without an axis: the array is raveled (C
//! order) first, so the result is 1-D.

use super::Array;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::Meta;
use crate::kernel::scan::ScanKind;
use crate::plan::Op;

impl<T: Element> Array<T> {
    fn scan(&self, kind: ScanKind, axis: usize) -> Result<Array<T::Sum>> {
        self.check()?;
        if axis >= self.ndim() {
            return Err(Error::AxisOutOfRange {
                axis,
                ndim: self.ndim(),
            });
        }
        let meta = Meta {
            shape: self.shape().to_vec(),
            chunks: self.chunks().clone(),
            dtype: <T::Sum as Element>::DTYPE,
        };
        Ok(Array::build(
            Op::Scan { kind, axis },
            vec![self.node().clone()],
            meta,
        ))
    }

    /// The cumulative sum along `axis`.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(1, 6, 1, 2)?;
    /// assert_eq!(x.cumsum(0)?.compute()?.as_slice().unwrap(), &[1, 3, 6, 10, 15]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn cumsum(&self, axis: usize) -> Result<Array<T::Sum>> {
        self.scan(ScanKind::Sum, axis)
    }

    /// The cumulative product along `axis`.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::arange(1, 6, 1, 2)?;
    /// assert_eq!(x.cumprod(0)?.compute()?.as_slice().unwrap(), &[1, 2, 6, 24, 120]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn cumprod(&self, axis: usize) -> Result<Array<T::Sum>> {
        self.scan(ScanKind::Prod, axis)
    }

    /// The cumulative sum along `axis`, NaN counted as 0.
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![1.0, f64::NAN, 2.0], 2)?;
    /// assert_eq!(x.nancumsum(0)?.compute()?.as_slice().unwrap(), &[1.0, 1.0, 3.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nancumsum(&self, axis: usize) -> Result<Array<T::Sum>> {
        self.scan(ScanKind::NanSum, axis)
    }

    /// The cumulative product along `axis`, NaN counted as 1.
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![2.0, f64::NAN, 3.0], 2)?;
    /// assert_eq!(x.nancumprod(0)?.compute()?.as_slice().unwrap(), &[2.0, 2.0, 6.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nancumprod(&self, axis: usize) -> Result<Array<T::Sum>> {
        self.scan(ScanKind::NanProd, axis)
    }

    /// The cumulative sum of the raveled array (NumPy's `cumsum(a)` with no axis): 1-D, in
    /// C order.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(1, 7, 1, 2)?.reshape(&[2, 3])?;
    /// assert_eq!(x.cumsum_flat()?.compute()?.as_slice().unwrap(), &[1, 3, 6, 10, 15, 21]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn cumsum_flat(&self) -> Result<Array<T::Sum>> {
        self.ravel()?.cumsum(0)
    }

    /// The cumulative product of the raveled array (NumPy's `cumprod(a)` with no axis).
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::arange(1, 5, 1, 3)?.reshape(&[2, 2])?;
    /// assert_eq!(x.cumprod_flat()?.compute()?.as_slice().unwrap(), &[1, 2, 6, 24]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn cumprod_flat(&self) -> Result<Array<T::Sum>> {
        self.ravel()?.cumprod(0)
    }

    /// The NaN-ignoring cumulative sum of the raveled array (NumPy's `nancumsum(a)`).
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![1.0, f64::NAN, 2.0, 4.0], 3)?.reshape(&[2, 2])?;
    /// assert_eq!(x.nancumsum_flat()?.compute()?.as_slice().unwrap(), &[1.0, 1.0, 3.0, 7.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nancumsum_flat(&self) -> Result<Array<T::Sum>> {
        self.ravel()?.nancumsum(0)
    }

    /// The NaN-ignoring cumulative product of the raveled array (NumPy's `nancumprod(a)`).
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![2.0, f64::NAN, 3.0, 0.5], 3)?.reshape(&[2, 2])?;
    /// assert_eq!(x.nancumprod_flat()?.compute()?.as_slice().unwrap(), &[2.0, 2.0, 6.0, 3.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nancumprod_flat(&self) -> Result<Array<T::Sum>> {
        self.ravel()?.nancumprod(0)
    }
}
