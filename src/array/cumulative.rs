//! Cumulative sums and products along an axis: `cumsum`, `cumprod`, `nancumsum`,
//! `nancumprod` (NumPy's names), lowered Dask's way (per-block scans plus a carry from the
//! blocks before; see `kernel::scan`). Results have the sum type, as in NumPy (`i64` for
//! bool and i32, `u64` for u32), so integer scans are exact (wrapping on overflow).

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
}
