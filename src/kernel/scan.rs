//! Cumulative sums and products along an axis (NumPy's `cumsum`, `cumprod`, `nancumsum`,
//! `nancumprod`), Dask's way: each block is scanned on its own, then the total of the
//! blocks before it (a *carry*, one slice thick) is folded into it.
//!
//! Three kernels: [`ScanStep::Local`] scans one block; [`ScanStep::Carry`] turns the
//! previous carry and the previous block's local scan into the carry for the next block
//! (its last slice, combined); [`ScanStep::Apply`] folds a carry into a local scan. Results
//! have the sum type (NumPy's: `i64` for bool and i32, `u64` for u32), so integer scans are
//! exact up to wrapping.

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayD, Axis};

use crate::dtype::with_dtype;
use crate::dtype::{DType, Element, Num};
use crate::error::Result;
use crate::graph::{Kernel, Key, Value};

/// Which scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ScanKind {
    Sum,
    Prod,
    NanSum,
    NanProd,
}

impl ScanKind {
    /// The lower-case NumPy name.
    pub fn name(self) -> &'static str {
        match self {
            ScanKind::Sum => "cumsum",
            ScanKind::Prod => "cumprod",
            ScanKind::NanSum => "nancumsum",
            ScanKind::NanProd => "nancumprod",
        }
    }

    fn is_product(self) -> bool {
        matches!(self, ScanKind::Prod | ScanKind::NanProd)
    }

    fn skips_nan(self) -> bool {
        matches!(self, ScanKind::NanSum | ScanKind::NanProd)
    }
}

/// Which step of the scan a task performs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ScanStep {
    /// The block's own cumulative result.
    Local,
    /// The carry into the next block: the previous carry (if any, first input) combined
    /// with the last slice of the previous block's local scan (last input).
    Carry,
    /// A local scan (first input) with the carry (second input) folded in.
    Apply,
}

/// One scan task.
pub(crate) struct ScanKernel {
    pub(crate) kind: ScanKind,
    pub(crate) step: ScanStep,
    pub(crate) axis: usize,
    pub(crate) dtype: DType,
    pub(crate) keys: Vec<Key>,
    pub(crate) name: Arc<str>,
}

impl Kernel for ScanKernel {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, inputs: Vec<Value>) -> Result<Value> {
        with_dtype!(self.dtype, T => Typed::<T>(PhantomData).run(self, inputs))
    }
}

struct Typed<T>(PhantomData<fn(T)>);

impl<T: Element> Typed<T> {
    fn op(kind: ScanKind, a: T::Sum, b: T::Sum) -> T::Sum {
        if kind.is_product() {
            a.mul(b)
        } else {
            a.add(b)
        }
    }

    /// The value a scan starts from: 1 for products, 0 for sums.
    fn identity(kind: ScanKind) -> T::Sum {
        if kind.is_product() {
            <T::Sum as Num>::ONE
        } else {
            <T::Sum as Num>::ZERO
        }
    }

    fn run(&self, k: &ScanKernel, inputs: Vec<Value>) -> Result<Value> {
        let axis = Axis(k.axis);
        let kind = k.kind;
        let mut inputs = inputs.into_iter().zip(&k.keys);
        let mut next = || {
            inputs
                .next()
                .ok_or_else(|| super::internal("scan task is missing an input"))
        };
        match k.step {
            ScanStep::Local => {
                let (value, key) = next()?;
                let block: &ArrayD<T> = value.get(key)?;
                let identity = Self::identity(kind);
                let mut out = block.mapv(|x| {
                    if kind.skips_nan() && x.is_nan() {
                        identity
                    } else {
                        x.to_sum()
                    }
                });
                out.accumulate_axis_inplace(axis, |&prev, cur| *cur = Self::op(kind, prev, *cur));
                Ok(Value::new(out))
            }
            ScanStep::Carry => {
                let first = next()?;
                let second = next().ok();
                let (prev, (local, local_key)) = match second {
                    Some(local) => (Some(first), local),
                    None => (None, first),
                };
                let local: &ArrayD<T::Sum> = local.get(local_key)?;
                let len = local.len_of(axis);
                if len == 0 {
                    // A zero-size chunk passes the carry before it on (or the identity).
                    return match prev {
                        Some((prev, prev_key)) => {
                            Ok(Value::new(prev.get::<ArrayD<T::Sum>>(prev_key)?.clone()))
                        }
                        None => {
                            let mut shape = local.shape().to_vec();
                            shape[k.axis] = 1;
                            Ok(Value::new(ArrayD::from_elem(shape, Self::identity(kind))))
                        }
                    };
                }
                let mut carry = local.index_axis(axis, len - 1).insert_axis(axis).to_owned();
                if let Some((prev, prev_key)) = prev {
                    let prev: &ArrayD<T::Sum> = prev.get(prev_key)?;
                    carry.zip_mut_with(prev, |c, &p| *c = Self::op(kind, p, *c));
                }
                Ok(Value::new(carry))
            }
            ScanStep::Apply => {
                let (local, local_key) = next()?;
                let (carry, carry_key) = next()?;
                let mut out: ArrayD<T::Sum> = local.take(local_key)?;
                let carry: &ArrayD<T::Sum> = carry.get(carry_key)?;
                out.zip_mut_with(carry, |o, &c| *o = Self::op(kind, c, *o));
                Ok(Value::new(out))
            }
        }
    }
}
