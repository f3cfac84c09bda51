//! The nan-aware reductions (`nansum` … `nanargmax`, NumPy's names) and the derived ones:
//! `count_nonzero`, `ptp` and `moment`.
//!
//! `nansum`/`nanprod` replace NaN by the identity in front of the reduction (fused into
//! it); `nanmin`, `nanmax`, `nanmean`, `nanvar`, `nanstd`, `nanargmin` and `nanargmax` are
//! reductions that skip NaN. As in NumPy, an all-NaN slice gives NaN for `nanmin`,
//! `nanmax`, `nanmean`, `nanvar` and `nanstd` (without NumPy's warning), 0 for `nansum`, 1
//! for `nanprod`, and an error for `nanargmin`/`nanargmax`; `nanvar` is NaN where no
//! degrees of freedom are left (fewer non-NaN values than `ddof + 1`). On integer arrays,
//! which hold no NaN, each equals its plain counterpart.

use super::Array;
use super::elementwise::{Operand, where_};
use super::reduce::ReduceArgs;
use crate::dtype::{Element, Float, Num};
use crate::error::{Error, Result};
use crate::kernel::reduce::ReduceKind;

impl<T: Element> Array<T> {
    /// The number of nonzero elements (NumPy's `count_nonzero`; NaN counts as nonzero).
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_vec(vec![0, 3, 0, -1], 2)?;
    /// assert_eq!(x.count_nonzero().scalar()?, 2);
    /// assert_eq!(x.gt(0).count_nonzero().scalar()?, 1);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn count_nonzero(&self) -> Array<i64> {
        self.cast::<bool>().sum()
    }
    /// `count_nonzero` over the axes in `args`.
    pub fn count_nonzero_with(&self, args: &ReduceArgs) -> Result<Array<i64>> {
        self.cast::<bool>().sum_with(args)
    }
}

impl<T: Num> Array<T> {
    /// The sum of all elements, NaN counted as 0 (NumPy's `nansum`).
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![1.0, f64::NAN, 2.0], 2)?;
    /// assert_eq!(x.nansum().scalar()?, 3.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nansum(&self) -> Array<T::Sum> {
        self.nan_to(T::ZERO).sum()
    }
    /// `nansum` over the axes in `args`.
    ///
    /// ```
    /// use chunkflow::{Array, ReduceArgs};
    /// let x = Array::from_ndarray(ndarray::arr2(&[[1.0, f64::NAN], [2.0, 3.0]]), 1)?;
    /// let s = x.nansum_with(&ReduceArgs::axis(1))?;
    /// assert_eq!(s.compute()?.as_slice().unwrap(), &[1.0, 5.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nansum_with(&self, args: &ReduceArgs) -> Result<Array<T::Sum>> {
        self.nan_to(T::ZERO).sum_with(args)
    }
    /// The product of all elements, NaN counted as 1 (NumPy's `nanprod`).
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![2.0, f64::NAN, 3.0], 2)?;
    /// assert_eq!(x.nanprod().scalar()?, 6.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nanprod(&self) -> Array<T::Sum> {
        self.nan_to(T::ONE).prod()
    }
    /// `nanprod` over the axes in `args`.
    pub fn nanprod_with(&self, args: &ReduceArgs) -> Result<Array<T::Sum>> {
        self.nan_to(T::ONE).prod_with(args)
    }

    /// The array with NaN replaced by `value` (itself for integer arrays).
    fn nan_to(&self, value: T) -> Array<T> {
        if T::DTYPE.is_float() {
            where_(&self.isnan(), Operand::Scalar(value), self)
        } else {
            self.clone()
        }
    }

    /// The range of values, `max - min` (NumPy's `ptp`; NaN if any element is NaN).
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::from_vec(vec![4, -2, 9], 2)?;
    /// assert_eq!(x.ptp().scalar()?, 11);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn ptp(&self) -> Array<T> {
        self.ptp_with(&ReduceArgs::all())
            .unwrap_or_else(Array::poisoned)
    }
    /// `ptp` over the axes in `args`.
    pub fn ptp_with(&self, args: &ReduceArgs) -> Result<Array<T>> {
        Ok(&self.max_with(args)? - &self.min_with(args)?)
    }

    /// The `order`-th central moment, `sum((x - mean)^order) / (n - ddof)` (Dask's
    /// `moment`), in the array's real type.
    ///
    /// ```
    /// use chunkflow::{Array, ReduceArgs};
    /// let x = Array::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], 2)?;
    /// let m2 = x.moment(2, 0, &ReduceArgs::all())?;
    /// assert_eq!(m2.scalar()?, x.var(0).scalar()?);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn moment(&self, order: i32, ddof: usize, args: &ReduceArgs) -> Result<Array<T::Real>> {
        if order < 0 {
            return Err(Error::InvalidArgument(format!(
                "moment order must be non-negative, got {order}"
            )));
        }
        let x = self.cast::<T::Real>();
        let mean = self.mean_with(&args.clone().keepdims(true))?;
        let powered = (&x - &mean).powi(order).sum_with(args)?;
        let n: usize = args
            .axes_of(self.ndim())
            .iter()
            .filter_map(|&a| self.shape().get(a))
            .product();
        let divisor =
            <T::Real as Element>::from_scalar(crate::dtype::Scalar::F64(n as f64 - ddof as f64));
        Ok(&powered / divisor)
    }
}

macro_rules! nan_reductions {
    ($($name:ident, $with:ident, $kind:expr, $out:ty, $doc:literal;)*) => {
        impl<T: Num> Array<T> {
            $(
                #[doc = $doc]
                pub fn $name(&self) -> Array<$out> {
                    self.reduce_all($kind)
                }
                #[doc = concat!("`", stringify!($name), "` over the axes in `args`.")]
                pub fn $with(&self, args: &ReduceArgs) -> Result<Array<$out>> {
                    self.reduce($kind, args)
                }
            )*
        }
    };
}

nan_reductions! {
    nanmin, nanmin_with, ReduceKind::NanMin, T,
        "The minimum ignoring NaN (NaN for an all-NaN array).\n\n```\nlet x = chunkflow::Array::from_vec(vec![f64::NAN, 2.0, 1.0], 2)?;\nassert_eq!(x.nanmin().scalar()?, 1.0);\n# Ok::<(), chunkflow::Error>(())\n```";
    nanmax, nanmax_with, ReduceKind::NanMax, T,
        "The maximum ignoring NaN (NaN for an all-NaN array).\n\n```\nlet x = chunkflow::Array::from_vec(vec![f64::NAN, 2.0, 1.0], 2)?;\nassert_eq!(x.nanmax().scalar()?, 2.0);\n# Ok::<(), chunkflow::Error>(())\n```";
    nanmean, nanmean_with, ReduceKind::NanMean, T::Real,
        "The mean of the non-NaN elements (NaN if there are none).\n\n```\nlet x = chunkflow::Array::from_vec(vec![f64::NAN, 2.0, 4.0], 2)?;\nassert_eq!(x.nanmean().scalar()?, 3.0);\n# Ok::<(), chunkflow::Error>(())\n```";
    nanargmin, nanargmin_with, ReduceKind::NanArgMin, u64,
        "The flat index of the minimum ignoring NaN; an all-NaN slice is an error.\n\n```\nlet x = chunkflow::Array::from_vec(vec![f64::NAN, 2.0, 1.0], 2)?;\nassert_eq!(x.nanargmin().scalar()?, 2);\nlet all_nan = chunkflow::Array::from_vec(vec![f64::NAN; 3], 2)?;\nassert!(all_nan.nanargmin().scalar().is_err());\n# Ok::<(), chunkflow::Error>(())\n```";
    nanargmax, nanargmax_with, ReduceKind::NanArgMax, u64,
        "The flat index of the maximum ignoring NaN; an all-NaN slice is an error.\n\n```\nlet x = chunkflow::Array::from_vec(vec![f64::NAN, 2.0, 1.0], 2)?;\nassert_eq!(x.nanargmax().scalar()?, 1);\n# Ok::<(), chunkflow::Error>(())\n```";
}

impl<T: Num> Array<T> {
    /// The variance of the non-NaN elements with `ddof` delta degrees of freedom.
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![1.0, f64::NAN, 3.0], 2)?;
    /// assert_eq!(x.nanvar(0).scalar()?, 1.0);
    /// assert!(x.nanvar(2).scalar()?.is_nan());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nanvar(&self, ddof: usize) -> Array<T::Real> {
        self.reduce_all(ReduceKind::NanVar { ddof })
    }
    /// `nanvar` over the axes in `args`.
    pub fn nanvar_with(&self, args: &ReduceArgs, ddof: usize) -> Result<Array<T::Real>> {
        self.reduce(ReduceKind::NanVar { ddof }, args)
    }
    /// The standard deviation of the non-NaN elements.
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![1.0, f64::NAN, 3.0], 2)?;
    /// assert_eq!(x.nanstd(0).scalar()?, 1.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nanstd(&self, ddof: usize) -> Array<T::Real> {
        self.reduce_all(ReduceKind::NanStd { ddof })
    }
    /// `nanstd` over the axes in `args`.
    pub fn nanstd_with(&self, args: &ReduceArgs, ddof: usize) -> Result<Array<T::Real>> {
        self.reduce(ReduceKind::NanStd { ddof }, args)
    }
}

impl<T: Float> Array<T> {
    /// NaN replaced by `nan`, +inf by `posinf` and -inf by `neginf` (NumPy's `nan_to_num`
    /// with explicit values).
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![f64::NAN, f64::INFINITY, 1.0], 2)?;
    /// let y = x.nan_to_num(0.0, 9.0, -9.0).compute()?;
    /// assert_eq!(y.as_slice().unwrap(), &[0.0, 9.0, 1.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nan_to_num(&self, nan: T, posinf: T, neginf: T) -> Array<T> {
        let inf = <T as Element>::from_scalar(crate::dtype::Scalar::F64(f64::INFINITY));
        let no_nan = where_(&self.isnan(), Operand::Scalar(nan), self);
        let no_pos = where_(
            &self.eq(Operand::Scalar(inf)),
            Operand::Scalar(posinf),
            &no_nan,
        );
        where_(
            &self.eq(Operand::Scalar(inf.neg())),
            Operand::Scalar(neginf),
            &no_pos,
        )
    }
}
