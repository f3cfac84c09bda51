//! Reductions: sum, prod, min, max, mean, var, std, any, all, argmin, argmax, over all axes
//! or chosen axes, with `keepdims`, as trees of chunk-wise partials (see `kernel::reduce`).
//!
//! Result types follow NumPy: `sum`/`prod` of bool and i32 give i64, of u32 give u64;
//! `mean`/`var`/`std` give f32 for f32 and f64 otherwise; `argmin`/`argmax` give u64 indices
//! (into the flattened array when reducing all axes). Reducing zero elements gives the
//! identity (`sum` 0, `prod` 1, `any` false, `all` true), NaN (`mean`, `var`, `std`), or,
//! for `min`, `max`, `argmin` and `argmax`, which have no identity, an error — as NumPy raises.

use super::Array;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::geometry::Meta;
use crate::kernel::reduce::ReduceKind;
use crate::plan::{Op, ReduceSpec};

/// The default fan-in of reduction trees: at most this many partials per combine task
/// (Dask's default `split_every`, 16, split evenly among the reduced axes).
pub const DEFAULT_SPLIT_EVERY: usize = 16;

/// Which axes to reduce, whether to keep them, and the tree's fan-in.
///
/// ```
/// use chunkflow::{Array, ReduceArgs};
/// let x = Array::<f64>::ones(&[4, 6, 2], 2)?;
/// let s = x.sum_with(&ReduceArgs::axes(&[0, 2]).keepdims(true).split_every(4))?;
/// assert_eq!(s.shape(), &[1, 6, 1]);
/// assert_eq!(s.compute()?.iter().sum::<f64>(), 48.0);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ReduceArgs {
    axes: Option<Vec<usize>>,
    keepdims: bool,
    split_every: usize,
}

impl Default for ReduceArgs {
    fn default() -> Self {
        ReduceArgs {
            axes: None,
            keepdims: false,
            split_every: DEFAULT_SPLIT_EVERY,
        }
    }
}

impl ReduceArgs {
    /// Reduce every axis.
    pub fn all() -> Self {
        Self::default()
    }
    /// Reduce these axes.
    pub fn axes(axes: &[usize]) -> Self {
        ReduceArgs {
            axes: Some(axes.to_vec()),
            ..Self::default()
        }
    }
    /// Reduce one axis.
    pub fn axis(axis: usize) -> Self {
        Self::axes(&[axis])
    }
    /// Keep reduced axes as length 1.
    pub fn keepdims(mut self, keep: bool) -> Self {
        self.keepdims = keep;
        self
    }
    /// The reduced axes of an array with `ndim` axes (unchecked).
    pub(super) fn axes_of(&self, ndim: usize) -> Vec<usize> {
        self.axes.clone().unwrap_or_else(|| (0..ndim).collect())
    }
    /// At most `n` (≥ 2) partials per combine task.
    pub fn split_every(mut self, n: usize) -> Self {
        self.split_every = n;
        self
    }
}

impl<T: Element> Array<T> {
    pub(super) fn reduce<U: Element>(
        &self,
        kind: ReduceKind,
        args: &ReduceArgs,
    ) -> Result<Array<U>> {
        self.check()?;
        let ndim = self.ndim();
        let mut axes = args.axes.clone().unwrap_or_else(|| (0..ndim).collect());
        axes.sort_unstable();
        if let Some(&axis) = axes.iter().find(|&&a| a >= ndim) {
            return Err(Error::AxisOutOfRange { axis, ndim });
        }
        if axes.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::InvalidArgument(format!("repeated axis in {axes:?}")));
        }
        if args.split_every < 2 {
            return Err(Error::InvalidArgument(format!(
                "split_every must be at least 2, got {}",
                args.split_every
            )));
        }
        let reduced_len: usize = axes.iter().map(|&a| self.shape()[a]).product();
        // An unknown axis reports 0 until its sizes are computed: its emptiness is known
        // when the reduction runs (min/max check there; arg reductions need the sizes).
        let unknown = self.chunks().unknown_axes();
        if kind.needs_elements() && reduced_len == 0 && !axes.iter().any(|a| unknown.contains(a)) {
            return Err(Error::InvalidArgument(format!(
                "zero-size array to reduction operation {} which has no identity",
                kind.name()
            )));
        }
        if kind == ReduceKind::Mean
            && T::DTYPE == DType::F64
            && !axes.iter().any(|a| unknown.contains(a))
        {
            return Ok(self.mean_as_sum(args, reduced_len));
        }
        let mut shape = Vec::new();
        let mut chunks = Vec::new();
        for a in 0..ndim {
            if !axes.contains(&a) {
                shape.push(self.shape()[a]);
                chunks.push(self.chunks().axis(a).to_vec());
            } else if args.keepdims {
                shape.push(1);
                chunks.push(vec![1]);
            }
        }
        let meta = Meta {
            shape,
            chunks: super::Chunks::from_lists(chunks),
            dtype: U::DTYPE,
        };
        debug_assert_eq!(kind.out_dtype(T::DTYPE), U::DTYPE);
        let spec = ReduceSpec {
            kind,
            axes,
            keepdims: args.keepdims,
            split_every: args.split_every,
            pre: None,
            post: None,
        };
        Ok(Array::build(
            Op::Reduce(spec),
            vec![self.node().clone()],
            meta,
        ))
    }

    /// The mean of an f64 array over `args`' axes of known extent (`count` elements per
    /// result) as NumPy computes it (`_methods._mean`): the sum, divided by the count.
    /// This is `MeanR`'s value bit for bit (the same sum, in the same order, over the same
    /// count; 0 / 0 is NaN for an empty mean), and it runs as a sum: one f64 state per
    /// result element instead of a (sum, count) pair, which halves the state a mean over
    /// a kept innermost axis (anomaly's `mean_axis(0)`) updates per element. The division
    /// fuses into the sum's aggregate. `U` is f64 (the caller's `T::Real`).
    fn mean_as_sum<U: Element>(&self, args: &ReduceArgs, count: usize) -> Array<U> {
        debug_assert!(T::DTYPE == DType::F64 && U::DTYPE == DType::F64);
        let sum: Array<f64> = match self.reduce(ReduceKind::Sum, args) {
            Ok(sum) => sum,
            Err(e) => return Array::poisoned(e),
        };
        let mean = &sum / count as f64;
        Array::wrap(mean.node().clone())
    }

    /// Reduces all axes; a failure (only possible for an empty input to min/max/arg*)
    /// poisons the result.
    pub(super) fn reduce_all<U: Element>(&self, kind: ReduceKind) -> Array<U> {
        self.reduce(kind, &ReduceArgs::all())
            .unwrap_or_else(Array::poisoned)
    }
}

macro_rules! reductions {
    ($($name:ident, $axis:ident, $with:ident, $kind:expr, $out:ty, $what:literal;)*) => {
        impl<T: Element> Array<T> {
            $(
                #[doc = concat!("The ", $what, " of all elements (a 0-d array).")]
                ///
                /// See the module docs for result types and empty inputs.
                pub fn $name(&self) -> Array<$out> {
                    self.reduce_all($kind)
                }

                #[doc = concat!("The ", $what, " along `axis`.")]
                pub fn $axis(&self, axis: usize) -> Result<Array<$out>> {
                    self.reduce($kind, &ReduceArgs::axis(axis))
                }

                #[doc = concat!("The ", $what, " over the axes in `args`.")]
                pub fn $with(&self, args: &ReduceArgs) -> Result<Array<$out>> {
                    self.reduce($kind, args)
                }
            )*
        }
    };
}

reductions! {
    sum, sum_axis, sum_with, ReduceKind::Sum, T::Sum, "sum";
    prod, prod_axis, prod_with, ReduceKind::Prod, T::Sum, "product";
    min, min_axis, min_with, ReduceKind::Min, T, "minimum (NaN if any element is NaN)";
    max, max_axis, max_with, ReduceKind::Max, T, "maximum (NaN if any element is NaN)";
    mean, mean_axis, mean_with, ReduceKind::Mean, T::Real, "mean";
    any, any_axis, any_with, ReduceKind::Any, bool, "logical or (nonzero is true)";
    all, all_axis, all_with, ReduceKind::All, bool, "logical and (nonzero is true)";
}

impl<T: Element> Array<T> {
    /// The variance of all elements with `ddof` delta degrees of freedom (divisor n - ddof).
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(1, 5, 1, 2)?;
    /// assert_eq!(x.var(0).scalar()?, 1.25);
    /// assert_eq!(x.var(1).scalar()?, 5.0 / 3.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn var(&self, ddof: usize) -> Array<T::Real> {
        self.reduce_all(ReduceKind::Var { ddof })
    }
    /// The variance along `axis`.
    pub fn var_axis(&self, axis: usize, ddof: usize) -> Result<Array<T::Real>> {
        self.reduce(ReduceKind::Var { ddof }, &ReduceArgs::axis(axis))
    }
    /// The variance over the axes in `args`.
    pub fn var_with(&self, args: &ReduceArgs, ddof: usize) -> Result<Array<T::Real>> {
        self.reduce(ReduceKind::Var { ddof }, args)
    }
    /// The standard deviation of all elements.
    pub fn std(&self, ddof: usize) -> Array<T::Real> {
        self.reduce_all(ReduceKind::Std { ddof })
    }
    /// The standard deviation along `axis`.
    pub fn std_axis(&self, axis: usize, ddof: usize) -> Result<Array<T::Real>> {
        self.reduce(ReduceKind::Std { ddof }, &ReduceArgs::axis(axis))
    }
    /// The standard deviation over the axes in `args`.
    pub fn std_with(&self, args: &ReduceArgs, ddof: usize) -> Result<Array<T::Real>> {
        self.reduce(ReduceKind::Std { ddof }, args)
    }

    /// The index of the minimum in the flattened array (the first one on ties; the first
    /// NaN if there is one).
    ///
    /// ```
    /// let x = ndarray::arr2(&[[3.0, 1.0], [0.5, 9.0]]);
    /// let x = chunkflow::Array::from_ndarray(x, 1)?;
    /// assert_eq!(x.argmin().scalar()?, 2);
    /// assert_eq!(x.argmax_axis(0)?.compute()?.as_slice().unwrap(), &[0, 1]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn argmin(&self) -> Array<u64> {
        self.reduce_all(ReduceKind::ArgMin)
    }
    /// The index of the maximum in the flattened array.
    pub fn argmax(&self) -> Array<u64> {
        self.reduce_all(ReduceKind::ArgMax)
    }
    /// The indices of the minima along `axis`.
    pub fn argmin_axis(&self, axis: usize) -> Result<Array<u64>> {
        self.reduce(ReduceKind::ArgMin, &ReduceArgs::axis(axis))
    }
    /// The indices of the maxima along `axis`.
    pub fn argmax_axis(&self, axis: usize) -> Result<Array<u64>> {
        self.reduce(ReduceKind::ArgMax, &ReduceArgs::axis(axis))
    }
    /// argmin/argmax along `axis` with `keepdims` and `split_every` from `args` (which
    /// must name one axis, or none for the flattened array).
    pub fn arg_reduce_with(&self, max: bool, args: &ReduceArgs) -> Result<Array<u64>> {
        if matches!(&args.axes, Some(a) if a.len() > 1)
            && args.axes.as_ref().map(Vec::len) != Some(self.ndim())
        {
            return Err(Error::InvalidArgument(
                "argmin/argmax take one axis or all of them".into(),
            ));
        }
        let kind = if max {
            ReduceKind::ArgMax
        } else {
            ReduceKind::ArgMin
        };
        self.reduce(kind, args)
    }
}
