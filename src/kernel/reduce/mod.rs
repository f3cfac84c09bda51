//! Reductions as partial → combine → aggregate steps over arrays of per-element states.
//!
//! A partial reduces one chunk along the reduced axes into an array of states (the chunk's
//! shape with the reduced axes set to 1); combines merge such arrays elementwise, in block
//! order, so results are bit-identical whatever the thread count; the aggregate merges the
//! last few and turns states into values.
//!
//! - [`kind`]: which reduction ([`ReduceKind`]), its result type and name;
//! - [`reducers`]: the typed fold / merge / finish of each reduction;
//! - [`sink`]: the strip sink that folds a chunk into states;
//! - here: [`ReduceOps`], the three steps with the element type erased, and [`reduce_ops`].

pub mod kind;
mod reducers;
mod sink;

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

pub use kind::ReduceKind;
use reducers::{ArgR, ExtremeR, MeanR, MomentsR, ProdR, Reducer, SumR, TruthR};
#[cfg(feature = "mpi")]
pub(crate) use reducers::{Moments, SumCount};
use sink::{ReduceSink, ReducedAxes};

use super::codegen::Backend;
use super::program::Program;
use crate::dtype::DType;
use crate::dtype::with_dtype;
use crate::error::{Error, Result};
use crate::graph::{Key, Value};

/// A reduction's three steps, with the element type erased.
pub trait ReduceOps: Send + Sync {
    /// Reduces one chunk of `shape` at `offset`: the chunk itself, or the result of `pre`
    /// over `inputs` (a fused elementwise program, run on `backend`).
    fn partial(
        &self,
        backend: Backend,
        pre: Option<&Program>,
        inputs: Vec<Value>,
        keys: &[Key],
        shape: &[usize],
        offset: &[usize],
    ) -> Result<Value>;
    /// Whether a compiled `pre` program over a chunk of `shape` folds its lanes in
    /// registers (see [`LaneSink`](crate::kernel::eval::LaneSink)) rather than writing
    /// strips for this reduction to fold.
    fn folds_lanes(&self, shape: &[usize]) -> bool;
    /// Merges state arrays, in order.
    fn combine(&self, parts: Vec<Value>, key: &Key) -> Result<Value>;
    /// Merges state arrays and finishes them into an output block of `out_shape`.
    fn aggregate(&self, parts: Vec<Value>, key: &Key, out_shape: &[usize]) -> Result<Value>;
}

struct Typed<R> {
    r: R,
    axes_info: ReducedAxes,
}

impl<R: Reducer> Typed<R> {
    fn merged(&self, parts: Vec<Value>, key: &Key) -> Result<ArrayD<R::State>> {
        let mut parts = parts.into_iter();
        let first = parts
            .next()
            .ok_or_else(|| super::internal("nothing to combine"))?;
        let mut acc: ArrayD<R::State> = first.take(key)?;
        for part in parts {
            let part: &ArrayD<R::State> = part.get(key)?;
            if part.shape() != acc.shape() {
                return Err(Error::ShapeMismatch(format!(
                    "partial states {:?} and {:?} do not line up",
                    acc.shape(),
                    part.shape()
                )));
            }
            acc.zip_mut_with(part, |a, b| self.r.merge(a, b));
        }
        Ok(acc)
    }
}

impl<R: Reducer> ReduceOps for Typed<R> {
    fn partial(
        &self,
        backend: Backend,
        pre: Option<&Program>,
        inputs: Vec<Value>,
        keys: &[Key],
        shape: &[usize],
        offset: &[usize],
    ) -> Result<Value> {
        let mut sink = ReduceSink::new(&self.r, &self.axes_info, shape, offset);
        match pre {
            Some(program) => program.run_with(backend, &inputs, keys, shape, &mut sink)?,
            None => {
                let chunk: &ArrayD<R::In> = inputs[0].get(&keys[0])?;
                let chunk = chunk.as_standard_layout();
                let data = chunk.as_slice().expect("standard layout is contiguous");
                sink.push_typed(data);
            }
        }
        sink.into_value()
    }

    fn folds_lanes(&self, shape: &[usize]) -> bool {
        sink::folds_lanes(&self.r, &self.axes_info, shape)
    }

    fn combine(&self, parts: Vec<Value>, key: &Key) -> Result<Value> {
        Ok(Value::new(self.merged(parts, key)?))
    }

    fn aggregate(&self, parts: Vec<Value>, key: &Key, out_shape: &[usize]) -> Result<Value> {
        let states = self.merged(parts, key)?;
        if let Some(bad) = states.iter().find_map(|s| self.r.check(s).err()) {
            return Err(bad);
        }
        // A slice iterates far faster than ndarray's n-d iterator (distmat finishes 25M
        // states); merged states are in standard layout, the fallback is for safety.
        let values: Vec<R::Out> = match states.as_slice() {
            Some(flat) => flat.iter().map(|s| self.r.finish(s)).collect(),
            None => states.iter().map(|s| self.r.finish(s)).collect(),
        };
        let out = ArrayD::from_shape_vec(IxDyn(out_shape), values)
            .map_err(|e| Error::ShapeMismatch(e.to_string()))?;
        Ok(Value::new(out))
    }
}

/// The reduction `kind` over elements of `dtype`, for an input of `shape` reduced along
/// `axes`.
pub fn reduce_ops(
    kind: ReduceKind,
    dtype: DType,
    shape: &[usize],
    axes: &[usize],
) -> Arc<dyn ReduceOps> {
    let axes_info = ReducedAxes::new(shape, axes);
    fn typed<R: Reducer>(r: R, axes_info: ReducedAxes) -> Arc<dyn ReduceOps> {
        Arc::new(Typed { r, axes_info })
    }
    with_dtype!(dtype, T => match kind {
        ReduceKind::Sum => typed(SumR::<T>(PhantomData), axes_info),
        ReduceKind::Prod => typed(ProdR::<T>(PhantomData), axes_info),
        ReduceKind::Min | ReduceKind::Max | ReduceKind::NanMin | ReduceKind::NanMax => typed(
            ExtremeR::<T> {
                max: matches!(kind, ReduceKind::Max | ReduceKind::NanMax),
                skip_nan: kind.skips_nan(),
                _t: PhantomData,
            },
            axes_info,
        ),
        ReduceKind::Mean | ReduceKind::NanMean => typed(
            MeanR::<T> { skip_nan: kind.skips_nan(), _t: PhantomData },
            axes_info,
        ),
        ReduceKind::Var { .. }
        | ReduceKind::Std { .. }
        | ReduceKind::NanVar { .. }
        | ReduceKind::NanStd { .. } => {
            typed(MomentsR::<T> { kind, _t: PhantomData }, axes_info)
        }
        ReduceKind::Any | ReduceKind::All => typed(
            TruthR::<T> { all: kind == ReduceKind::All, _t: PhantomData },
            axes_info,
        ),
        ReduceKind::ArgMin
        | ReduceKind::ArgMax
        | ReduceKind::NanArgMin
        | ReduceKind::NanArgMax => typed(
            ArgR::<T> {
                max: matches!(kind, ReduceKind::ArgMax | ReduceKind::NanArgMax),
                skip_nan: kind.skips_nan(),
                _t: PhantomData,
            },
            axes_info,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::Element;
    use ndarray::array;

    fn run(kind: ReduceKind, x: ArrayD<f64>, axes: &[usize], out_shape: &[usize]) -> Value {
        let ops = reduce_ops(kind, DType::F64, x.shape(), axes);
        let key = Key::new("x");
        let shape = x.shape().to_vec();
        let offset = vec![0; shape.len()];
        let p = ops
            .partial(
                Backend::Interpreter,
                None,
                vec![Value::new(x)],
                std::slice::from_ref(&key),
                &shape,
                &offset,
            )
            .unwrap();
        ops.aggregate(vec![p], &key, out_shape).unwrap()
    }

    #[test]
    fn reduces_inner_and_outer_axes() {
        let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]].into_dyn();
        let rows = run(ReduceKind::Sum, x.clone(), &[1], &[2]);
        assert_eq!(
            rows.downcast_ref::<ArrayD<f64>>().unwrap(),
            &array![6.0, 15.0].into_dyn()
        );
        let cols = run(ReduceKind::Max, x.clone(), &[0], &[3]);
        assert_eq!(
            cols.downcast_ref::<ArrayD<f64>>().unwrap(),
            &array![4.0, 5.0, 6.0].into_dyn()
        );
        let arg = run(ReduceKind::ArgMax, x, &[0, 1], &[]);
        assert_eq!(arg.downcast_ref::<ArrayD<u64>>().unwrap()[[]], 5);
    }

    /// `(a - b)^2`, and `(a - b)^2 < limit`.
    fn programs(limit: f64) -> (Program, Program) {
        use crate::kernel::ops::BinaryOp;
        use crate::kernel::program::{Instr, InstrOp, Src};
        let squares = crate::kernel::program::tests::diff_squared();
        let mut below = squares.clone();
        below.instrs.push(Instr {
            op: InstrOp::BinaryScalar(BinaryOp::Lt, crate::dtype::Scalar::F64(limit), false),
            args: vec![Src::Reg(1)],
            dtype: DType::Bool,
        });
        below.output = Src::Reg(2);
        (squares, below)
    }

    /// The finished values of `kind` over `pre` of `inputs`, reduced along `axes`, as bits
    /// (every NaN as one: which NaN operand of an add x86 passes on depends on the operand
    /// order, which Cranelift may commute).
    fn reduced_bits(
        backend: Backend,
        kind: ReduceKind,
        pre: &Program,
        inputs: &[Value],
        shape: &[usize],
        axes: &[usize],
    ) -> Vec<u64> {
        let keys = [Key::new("a"), Key::new("b")];
        let ops = reduce_ops(kind, pre.out_dtype(), shape, axes);
        let offset = vec![0; shape.len()];
        let p = ops
            .partial(backend, Some(pre), inputs.to_vec(), &keys, shape, &offset)
            .unwrap();
        let out_shape: Vec<usize> = (0..shape.len())
            .filter(|a| !axes.contains(a))
            .map(|a| shape[a])
            .collect();
        let v = ops.aggregate(vec![p], &keys[0], &out_shape).unwrap();
        with_dtype!(kind.out_dtype(pre.out_dtype()), T => {
            let a: &ArrayD<T> = v.get(&keys[0]).unwrap();
            a.iter()
                .map(|&x| if x.is_nan() { u64::MAX } else { x.to_scalar().bits() })
                .collect()
        })
    }

    #[test]
    fn compiled_lane_folds_give_the_interpreters_bits() {
        // Lanes long enough for pairwise splits (and their odd tails), rows that strips
        // cross, a broadcast row.
        let (squares, below) = programs(1.0);
        // Never and always true: |a - b| < 3.4 here.
        let (_, never) = programs(-1.0);
        let (_, always) = programs(12.0);
        let mut floored = squares.clone();
        floored.instrs.push(crate::kernel::program::Instr {
            op: crate::kernel::program::InstrOp::Unary(crate::kernel::ops::UnaryOp::Math(
                crate::dtype::FloatFn::Floor,
            )),
            args: vec![crate::kernel::program::Src::Reg(1)],
            dtype: DType::F64,
        });
        floored.output = crate::kernel::program::Src::Reg(2);
        // NaN where `below` holds.
        let nan_where = |below: &Program| {
            let mut p = below.clone();
            p.instrs.push(crate::kernel::program::Instr {
                op: crate::kernel::program::InstrOp::Const(crate::dtype::Scalar::F64(f64::NAN)),
                args: vec![],
                dtype: DType::F64,
            });
            p.instrs.push(crate::kernel::program::Instr {
                op: crate::kernel::program::InstrOp::Where,
                args: vec![
                    crate::kernel::program::Src::Reg(2),
                    crate::kernel::program::Src::Reg(3),
                    crate::kernel::program::Src::Reg(1),
                ],
                dtype: DType::F64,
            });
            p.output = crate::kernel::program::Src::Reg(4);
            p
        };
        // NaN where (a - b)^2 < 1 (about 40% of the values; all of some rows of
        // [7, 1000], where a's row is close to the broadcast b), and where 1 < (a - b)^2
        // (no lane of NaN only: the nan-arg reductions refuse one).
        let with_nans = nan_where(&below);
        let mut above = below.clone();
        above.instrs[2].op = crate::kernel::program::InstrOp::BinaryScalar(
            crate::kernel::ops::BinaryOp::Lt,
            crate::dtype::Scalar::F64(1.0),
            true,
        );
        let with_some_nans = nan_where(&above);
        // Integer programs: (a - b)^2 * -1000 cast to i32 (negative values, so a
        // zero-extension would show) and (a - b)^2 * 1000 cast to u16.
        let as_int = |factor: f64, dtype: DType| {
            let mut p = squares.clone();
            p.instrs.push(crate::kernel::program::Instr {
                op: crate::kernel::program::InstrOp::BinaryScalar(
                    crate::kernel::ops::BinaryOp::Mul,
                    crate::dtype::Scalar::F64(factor),
                    false,
                ),
                args: vec![crate::kernel::program::Src::Reg(1)],
                dtype: DType::F64,
            });
            p.instrs.push(crate::kernel::program::Instr {
                op: crate::kernel::program::InstrOp::Cast(dtype),
                args: vec![crate::kernel::program::Src::Reg(2)],
                dtype,
            });
            p.output = crate::kernel::program::Src::Reg(3);
            p
        };
        let negative_i32 = as_int(-1000.0, DType::I32);
        let positive_u16 = as_int(1000.0, DType::U16);
        for shape in [
            vec![5000usize],
            vec![7, 1000],
            vec![3, 129],
            vec![2, 3, 257],
            vec![40],
        ] {
            let n: usize = shape.iter().product();
            let values = |seed: f64| -> Vec<f64> {
                // Finite values (a NaN sum would hide any rounding difference; NaN and
                // infinities are the codegen tests' edge values).
                (0..n)
                    .map(|i| ((i as f64 + seed) * 0.618).sin() * 1.7)
                    .collect()
            };
            let a = Value::new(ArrayD::from_shape_vec(IxDyn(&shape), values(0.0)).unwrap());
            let mut row_shape = shape.clone();
            row_shape[0] = 1;
            let m: usize = row_shape.iter().product();
            let b = ArrayD::from_shape_vec(IxDyn(&row_shape), values(1.0)[..m].to_vec()).unwrap();
            let inputs = [a, Value::new(b)];
            let all: Vec<usize> = (0..shape.len()).collect();
            let inner = vec![shape.len() - 1];
            for axes in [&all, &inner] {
                for (kind, pre) in [
                    (ReduceKind::Sum, &squares),
                    (ReduceKind::Mean, &squares),
                    (ReduceKind::Max, &squares),
                    (ReduceKind::Min, &squares),
                    (ReduceKind::Prod, &squares),
                    (ReduceKind::Var { ddof: 0 }, &squares),
                    (ReduceKind::Std { ddof: 1 }, &squares),
                    (ReduceKind::NanMax, &squares),
                    (ReduceKind::NanMin, &with_nans),
                    (ReduceKind::NanMax, &with_nans),
                    (ReduceKind::Max, &with_nans),
                    (ReduceKind::ArgMin, &with_nans),
                    (ReduceKind::ArgMax, &squares),
                    (ReduceKind::ArgMin, &squares),
                    // Many ties: the first of equal values.
                    (ReduceKind::ArgMax, &floored),
                    (ReduceKind::ArgMin, &floored),
                    // NaN-skipping: the first best of the numbers.
                    (ReduceKind::NanArgMax, &with_some_nans),
                    (ReduceKind::NanArgMin, &with_some_nans),
                    (ReduceKind::NanArgMax, &floored),
                    (ReduceKind::Sum, &below),
                    (ReduceKind::Sum, &negative_i32),
                    (ReduceKind::Sum, &positive_u16),
                    (ReduceKind::Any, &below),
                    (ReduceKind::All, &below),
                    (ReduceKind::Any, &never),
                    (ReduceKind::All, &always),
                    (ReduceKind::All, &never),
                ] {
                    let want = reduced_bits(Backend::Interpreter, kind, pre, &inputs, &shape, axes);
                    let got = reduced_bits(Backend::Compiled, kind, pre, &inputs, &shape, axes);
                    assert_eq!(got, want, "{kind:?} over {axes:?} of {shape:?}");
                }
            }
        }
        // The compiled folds really ran (not the strip path twice).
        assert!(
            !cfg!(any(target_arch = "x86_64", target_arch = "aarch64"))
                || (crate::kernel::codegen::compiled_fold(
                    &squares,
                    crate::kernel::codegen::Fold::PairwiseSum
                )
                .is_some()
                    && crate::kernel::codegen::compiled_fold(
                        &below,
                        crate::kernel::codegen::Fold::Count
                    )
                    .is_some()
                    && crate::kernel::codegen::compiled_fold(
                        &squares,
                        crate::kernel::codegen::Fold::Max
                    )
                    .is_some()
                    && crate::kernel::codegen::compiled_fold(
                        &squares,
                        crate::kernel::codegen::Fold::SquaredDeviations
                    )
                    .is_some()
                    && crate::kernel::codegen::compiled_fold(
                        &floored,
                        crate::kernel::codegen::Fold::ArgMin
                    )
                    .is_some()
                    && crate::kernel::codegen::compiled_fold(
                        &negative_i32,
                        crate::kernel::codegen::Fold::IntSum
                    )
                    .is_some()
                    && crate::kernel::codegen::compiled_fold(
                        &with_some_nans,
                        crate::kernel::codegen::Fold::NanArgMax
                    )
                    .is_some())
        );
    }
}
