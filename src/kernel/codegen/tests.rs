//! Every operation on every type, compiled against interpreted, bit for bit, over edge
//! values (zeros, ±1, extremes, NaN, infinities, values that saturate casts, shift widths).

use ndarray::{ArrayD, IxDyn};

use super::{Backend, Best, Fold, FoldValue, Leaf, compiled, compiled_fold};
use crate::dtype::with_dtype;
use crate::dtype::{Col, DType, Element, FloatFn, FloatFn2, FloatPred, Scalar};
use crate::graph::{Key, Value};
use crate::kernel::ops::{BinaryOp, UnaryOp};
use crate::kernel::program::{Instr, InstrOp, Program, Src};

/// Edge values of `d`, as f64 converted with the interpreter's `as` (wrapping for ints).
fn edges(d: DType) -> Vec<Scalar> {
    let floats = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -2.5,
        2.5,
        3.7,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
        -1e-300,
        f64::MIN_POSITIVE,
        255.5,
        -129.0,
        65535.9,
        4294967296.5,
        -2147483649.0,
        9.3e18,
        1.9e19,
        -9.3e18,
    ];
    let ints: [i64; 16] = [
        0,
        1,
        -1,
        2,
        3,
        -7,
        7,
        8,
        16,
        31,
        64,
        i64::MIN,
        i64::MAX,
        i32::MIN as i64,
        u32::MAX as i64,
        -128,
    ];
    match d {
        DType::Bool => vec![Scalar::Bool(false), Scalar::Bool(true)],
        DType::F32 | DType::F64 => floats
            .iter()
            .map(|&v| with_dtype!(d, T => T::from_scalar(Scalar::F64(v)).to_scalar()))
            .collect(),
        _ => ints
            .iter()
            .map(|&v| with_dtype!(d, T => T::from_scalar(Scalar::I64(v)).to_scalar()))
            .collect(),
    }
}

fn column(d: DType, values: &[Scalar]) -> Value {
    with_dtype!(d, T => {
        let v: Vec<T> = values.iter().map(|&s| T::from_scalar(s)).collect();
        Value::new(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).unwrap())
    })
}

fn bits(v: &Value, d: DType) -> Vec<u64> {
    with_dtype!(d, T => {
        let a: &ArrayD<T> = v.get(&Key::new("out")).unwrap();
        a.iter().map(|x| x.to_scalar().bits()).collect()
    })
}

/// Runs `program` both ways over `inputs` (flat, equal lengths); `true` if it is defined.
fn check(program: &Program, inputs: &[Value], n: usize) -> bool {
    let keys: Vec<Key> = (0..inputs.len())
        .map(|k| Key::new(format!("in{k}")))
        .collect();
    let shape = [n];
    let interpreted = program.run_to_array_with(Backend::Interpreter, inputs, &keys, &shape);
    let native = program.run_to_array_with(Backend::Compiled, inputs, &keys, &shape);
    let names: Vec<String> = (0..inputs.len()).map(|k| format!("in{k}")).collect();
    match (interpreted, native) {
        (Ok(a), Ok(b)) => {
            let closure = program
                .instrs
                .iter()
                .any(|i| matches!(i.op, InstrOp::Map(..)));
            assert!(
                closure || compiled(program).is_some(),
                "{} did not compile",
                program.expr(&names)
            );
            let d = program.out_dtype();
            assert_eq!(bits(&a, d), bits(&b, d), "{}", program.expr(&names));
            if !closure {
                // The scalar loop alone too (the vector loop takes every element of an
                // even-length strip).
                check_folds(program, &strips_of(inputs, program, &keys), &a, n);
                if super::translate::vector_shape(program).is_some() {
                    super::jit::compile_loops(program, Fold::Strip, true)
                        .expect("the vector loop compiles");
                }
                let scalar = super::jit::compile_loops(program, Fold::Strip, false).unwrap();
                let strips: Vec<Col<'_>> = inputs
                    .iter()
                    .zip(&program.inputs)
                    .zip(&keys)
                    .map(|((v, &dt), k)| {
                        with_dtype!(dt, T => {
                            let a: &ArrayD<T> = v.get(k).unwrap();
                            T::borrowed(a.as_slice().unwrap())
                        })
                    })
                    .collect();
                let mut out = Col::empty(d);
                scalar
                    .run_strip(&strips, &mut Vec::new(), &mut out, n)
                    .unwrap();
                let c = with_dtype!(d, T => {
                    let s = T::col(&out).unwrap();
                    s.iter().map(|x| x.to_scalar().bits()).collect::<Vec<u64>>()
                });
                assert_eq!(bits(&a, d), c, "scalar loop: {}", program.expr(&names));
            }
            true
        }
        (Err(_), Err(_)) => false,
        (a, b) => panic!(
            "{}: interpreter {:?}, compiled {:?}",
            program.expr(&names),
            a.is_ok(),
            b.is_ok()
        ),
    }
}

/// The inputs as strips (flat, contiguous).
fn strips_of<'a>(inputs: &'a [Value], program: &Program, keys: &[Key]) -> Vec<Col<'a>> {
    inputs
        .iter()
        .zip(&program.inputs)
        .zip(keys)
        .map(|((v, &dt), k)| {
            with_dtype!(dt, T => {
                let a: &ArrayD<T> = v.get(k).unwrap();
                T::borrowed(a.as_slice().unwrap())
            })
        })
        .collect()
}

/// The reducers' block sum, written out again as the specification: NumPy's
/// `pairwise_sum` of one block (see `reducers::block_sum`).
fn block_sum_spec(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        return values.iter().fold(0.0, |res, &x| res + x);
    }
    let mut r = [0.0f64; 8];
    r.copy_from_slice(&values[..8]);
    let whole = n - n % 8;
    for (i, &x) in values.iter().enumerate().take(whole).skip(8) {
        r[i % 8] += x;
    }
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    values[whole..].iter().fold(res, |res, &x| res + x)
}

/// NumPy's `pairwise_sum`, written out again: lanes of up to 128 elements are one block
/// ([`block_sum_spec`]); a longer one is the sum of its halves, split at half its length
/// rounded down to a multiple of 8.
fn pairwise_spec(values: &[f64]) -> f64 {
    if values.len() <= 128 {
        return block_sum_spec(values);
    }
    let half = values.len() / 2 / 8 * 8;
    pairwise_spec(&values[..half]) + pairwise_spec(&values[half..])
}

/// A bool program's compiled count and an f64 program's compiled block sum (vector and
/// scalar loops, from several offsets, so every tail length) against the interpreted
/// values `interpreted` of all `n` elements.
fn check_folds(program: &Program, strips: &[Col<'_>], interpreted: &Value, n: usize) {
    let folds: &[Fold] = match program.out_dtype() {
        DType::Bool => &[Fold::Count],
        DType::F64 => &[
            Fold::PairwiseSum,
            Fold::Max,
            Fold::Min,
            Fold::Prod,
            Fold::SquaredDeviations,
            Fold::ArgMax,
            Fold::ArgMin,
            Fold::NanMax,
            Fold::NanMin,
            Fold::NanArgMax,
            Fold::NanArgMin,
        ],
        d if d.is_integer() => &[Fold::IntSum],
        _ => return,
    };
    for &fold in folds {
        check_fold(program, fold, strips, interpreted, n);
    }
}

/// The reducers' lane extreme (`ExtremeR::fold_lane`), written out again: the first
/// value, then NumPy's `maximum`/`minimum` of it and each later one.
fn extreme_spec(values: &[f64], max: bool) -> f64 {
    let op = if max {
        crate::kernel::ops::maximum::<f64>
    } else {
        crate::kernel::ops::minimum::<f64>
    };
    values[1..].iter().fold(values[0], |a, &x| op(a, x))
}

/// The reducers' NaN-skipping lane extreme (`ExtremeR::fold_one` with `skip_nan`),
/// written out again: [`extreme_spec`] of the values that are not NaN; NaN if none.
fn nan_extreme_spec(values: &[f64], max: bool) -> f64 {
    let numbers: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if numbers.is_empty() {
        return f64::NAN;
    }
    extreme_spec(&numbers, max)
}

/// The reducers' arg extreme of a lane (`ArgR::fold_one` element by element), written out
/// again: the first NaN, else the first of the greatest (`max`) or smallest values.
fn arg_extreme_spec(values: &[f64], max: bool) -> Best {
    let nan = values.iter().position(|x| x.is_nan());
    let index = nan.unwrap_or_else(|| {
        let better = |x: f64, y: f64| if max { x > y } else { x < y };
        (1..values.len()).fold(0, |b, i| if better(values[i], values[b]) { i } else { b })
    });
    Best {
        value: values[index],
        index: index as u64,
    }
}

/// The reducers' NaN-skipping arg extreme of a lane (`ArgR::fold_one` skipping NaN),
/// written out again: the first of the greatest (`max`) or smallest values that are not
/// NaN; when all are NaN, a NaN value at index 0 (the compiled fold's "none").
fn nan_arg_extreme_spec(values: &[f64], max: bool) -> Best {
    let better = |x: f64, y: f64| if max { x > y } else { x < y };
    let index = (0..values.len())
        .filter(|&i| !values[i].is_nan())
        .reduce(|b, i| if better(values[i], values[b]) { i } else { b });
    match index {
        Some(i) => Best {
            value: values[i],
            index: i as u64,
        },
        None => Best {
            value: f64::NAN,
            index: 0,
        },
    }
}

/// One compiled fold (vector and scalar loops) against the interpreted values; seeded
/// folds with a few seeds (a product so far, a mean).
fn check_fold(program: &Program, fold: Fold, strips: &[Col<'_>], interpreted: &Value, n: usize) {
    let seeds: &[f64] = match fold {
        Fold::Prod => &[1.0, -0.0, 2.5, f64::INFINITY],
        Fold::SquaredDeviations => &[0.0, -1.25, 3.7],
        _ => &[0.0],
    };
    for &seed in seeds {
        check_seeded_fold(program, fold, seed, strips, interpreted, n);
    }
}

fn check_seeded_fold(
    program: &Program,
    fold: Fold,
    seed: f64,
    strips: &[Col<'_>],
    interpreted: &Value,
    n: usize,
) {
    // The vector loop where the program has one (it must compile: the fallback to the
    // scalar loop would hide it), and the scalar loop alone.
    let first = if super::translate::vector_shape(program).is_some() {
        std::sync::Arc::new(
            super::jit::compile_loops(program, fold, true).expect("the vector loop compiles"),
        )
    } else {
        compiled_fold(program, fold).expect("compiles")
    };
    let functions = [
        first,
        std::sync::Arc::new(super::jit::compile_loops(program, fold, false).unwrap()),
    ];
    let key = Key::new("out");
    for f in &functions {
        for offset in (0..n.min(9)).chain([n]) {
            let len = n - offset;
            let leaf = Leaf {
                fold,
                offset,
                len,
                seed,
            };
            let got = f.fold_value(strips, &mut Vec::new(), leaf);
            let want = match fold {
                Fold::Count => {
                    let v: &ArrayD<bool> = interpreted.get(&key).unwrap();
                    FoldValue::Count(v.iter().skip(offset).filter(|&&x| x).count() as i64)
                }
                Fold::IntSum => {
                    // Each value as a 64-bit integer (sign- or zero-extended), added with
                    // wrapping, as NumPy sums integers into int64/uint64.
                    let d = program.out_dtype();
                    let sum = with_dtype!(d, T => {
                        let v: &ArrayD<T> = interpreted.get(&key).unwrap();
                        v.iter().skip(offset).fold(0i64, |s, &x| {
                            let wide = match x.to_scalar() {
                                Scalar::I8(i) => i64::from(i),
                                Scalar::I16(i) => i64::from(i),
                                Scalar::I32(i) => i64::from(i),
                                Scalar::I64(i) => i,
                                Scalar::U8(u) => i64::from(u),
                                Scalar::U16(u) => i64::from(u),
                                Scalar::U32(u) => i64::from(u),
                                Scalar::U64(u) => u as i64,
                                other => unreachable!("an integer program: {other:?}"),
                            };
                            s.wrapping_add(wide)
                        })
                    });
                    FoldValue::IntSum(sum)
                }
                Fold::PairwiseSum => {
                    let v: &ArrayD<f64> = interpreted.get(&key).unwrap();
                    FoldValue::Sum(pairwise_spec(&v.as_slice().unwrap()[offset..]))
                }
                Fold::SquaredDeviations => {
                    // As `MomentsR::fold_lane`: `d = x - mean; d * d`.
                    let v: &ArrayD<f64> = interpreted.get(&key).unwrap();
                    let deviations: Vec<f64> = v.as_slice().unwrap()[offset..]
                        .iter()
                        .map(|&x| {
                            let d = x - seed;
                            d * d
                        })
                        .collect();
                    FoldValue::Sum(pairwise_spec(&deviations))
                }
                Fold::Prod => {
                    let v: &ArrayD<f64> = interpreted.get(&key).unwrap();
                    let values = &v.as_slice().unwrap()[offset..];
                    FoldValue::Product(values.iter().fold(seed, |p, &x| p * x))
                }
                _ if len == 0 => {
                    // An extreme of nothing is refused, before any call.
                    assert!(got.is_err(), "{fold:?} of no elements: {got:?}");
                    continue;
                }
                Fold::NanMax | Fold::NanMin => {
                    let v: &ArrayD<f64> = interpreted.get(&key).unwrap();
                    let values = &v.as_slice().unwrap()[offset..];
                    FoldValue::Extreme(nan_extreme_spec(values, fold == Fold::NanMax))
                }
                Fold::ArgMax | Fold::ArgMin => {
                    let v: &ArrayD<f64> = interpreted.get(&key).unwrap();
                    let values = &v.as_slice().unwrap()[offset..];
                    FoldValue::Best(arg_extreme_spec(values, fold == Fold::ArgMax))
                }
                Fold::NanArgMax | Fold::NanArgMin => {
                    let v: &ArrayD<f64> = interpreted.get(&key).unwrap();
                    let values = &v.as_slice().unwrap()[offset..];
                    FoldValue::Best(nan_arg_extreme_spec(values, fold == Fold::NanArgMax))
                }
                _ => {
                    let v: &ArrayD<f64> = interpreted.get(&key).unwrap();
                    let values = &v.as_slice().unwrap()[offset..];
                    FoldValue::Extreme(extreme_spec(values, fold == Fold::Max))
                }
            };
            let got = got.unwrap();
            // Bit for bit, except a NaN's sign and payload: which NaN operand of an add
            // x86 passes on depends on the operand order, which Cranelift may commute.
            let same = match (got, want) {
                (FoldValue::Sum(x), FoldValue::Sum(y))
                | (FoldValue::Extreme(x), FoldValue::Extreme(y))
                | (FoldValue::Product(x), FoldValue::Product(y)) => {
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
                }
                (FoldValue::Best(x), FoldValue::Best(y)) => {
                    x.index == y.index
                        && (x.value.to_bits() == y.value.to_bits()
                            || (x.value.is_nan() && y.value.is_nan()))
                }
                (x, y) => x == y,
            };
            assert!(same, "{fold:?} ({seed}) from {offset}: {got:?} vs {want:?}");
        }
    }
}

fn one(inputs: Vec<DType>, op: InstrOp, args: Vec<Src>, dtype: DType) -> Program {
    Program {
        inputs,
        instrs: vec![Instr { op, args, dtype }],
        output: Src::Reg(0),
    }
}

fn unary_ops() -> Vec<UnaryOp> {
    let mut ops = vec![
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Not,
        UnaryOp::Sign,
        UnaryOp::PowU(0),
        UnaryOp::PowU(3),
        UnaryOp::PowU(13),
    ];
    ops.extend((-1..=6).map(UnaryOp::Powi));
    ops.extend(FloatFn::ALL.iter().map(|&f| UnaryOp::Math(f)));
    ops.extend(
        [
            FloatPred::IsNan,
            FloatPred::IsInf,
            FloatPred::IsFinite,
            FloatPred::Signbit,
        ]
        .map(UnaryOp::Pred),
    );
    ops
}

fn binary_ops() -> Vec<BinaryOp> {
    let mut ops = vec![
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
        BinaryOp::Pow,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
        BinaryOp::And,
        BinaryOp::Or,
        BinaryOp::Xor,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Shl,
        BinaryOp::Shr,
        BinaryOp::FloorDiv,
        BinaryOp::FloorRem,
    ];
    ops.extend(super::calls::FLOAT_FN2.iter().map(|&f| BinaryOp::Float2(f)));
    ops
}

fn result_type(op: BinaryOp, d: DType) -> DType {
    if op.is_comparison() { DType::Bool } else { d }
}

#[test]
fn every_unary_operation_matches_the_interpreter() {
    let mut defined = 0;
    for d in DType::ALL {
        let values = edges(d);
        let input = column(d, &values);
        for op in unary_ops() {
            let out = if matches!(op, UnaryOp::Pred(_)) {
                DType::Bool
            } else {
                d
            };
            let p = one(vec![d], InstrOp::Unary(op), vec![Src::Input(0)], out);
            defined += check(&p, std::slice::from_ref(&input), values.len()) as usize;
        }
    }
    assert!(defined > 150, "only {defined} unary cases ran");
}

#[test]
fn every_binary_operation_matches_the_interpreter() {
    let mut defined = 0;
    for d in DType::ALL {
        let values = edges(d);
        let a: Vec<Scalar> = values
            .iter()
            .flat_map(|&x| values.iter().map(move |_| x))
            .collect();
        let b: Vec<Scalar> = values.iter().flat_map(|_| values.iter().copied()).collect();
        let inputs = [column(d, &a), column(d, &b)];
        for op in binary_ops() {
            let p = one(
                vec![d, d],
                InstrOp::Binary(op),
                vec![Src::Input(0), Src::Input(1)],
                result_type(op, d),
            );
            defined += check(&p, &inputs, a.len()) as usize;
            // With a constant on either side.
            for &s in values.iter().step_by(3) {
                for left in [false, true] {
                    let p = one(
                        vec![d],
                        InstrOp::BinaryScalar(op, s, left),
                        vec![Src::Input(0)],
                        result_type(op, d),
                    );
                    defined += check(&p, &inputs[..1], a.len()) as usize;
                }
            }
        }
    }
    assert!(defined > 1000, "only {defined} binary cases ran");
}

#[test]
fn every_cast_and_where_matches_the_interpreter() {
    for from in DType::ALL {
        let values = edges(from);
        let input = column(from, &values);
        for to in DType::ALL {
            let p = one(vec![from], InstrOp::Cast(to), vec![Src::Input(0)], to);
            assert!(check(&p, std::slice::from_ref(&input), values.len()));
        }
        let cond: Vec<Scalar> = (0..values.len())
            .map(|i| Scalar::Bool(i % 3 == 0))
            .collect();
        let reversed: Vec<Scalar> = values.iter().rev().copied().collect();
        let inputs = [
            column(DType::Bool, &cond),
            input.clone(),
            column(from, &reversed),
        ];
        let p = one(
            vec![DType::Bool, from, from],
            InstrOp::Where,
            vec![Src::Input(0), Src::Input(1), Src::Input(2)],
            from,
        );
        assert!(check(&p, &inputs, values.len()));
    }
}

#[test]
fn a_chain_with_constants_and_broadcast_inputs_matches() {
    // where(sqrt(x*x + y*y) < 1.5, -(x ^ 3), x / y) over a (3, n) x and a (1, n) y.
    let n = 1000;
    let x: Vec<f64> = (0..3 * n).map(|i| (i as f64 * 0.37).sin() * 2.0).collect();
    let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
    let x = Value::new(ArrayD::from_shape_vec(IxDyn(&[3, n]), x).unwrap());
    let y = Value::new(ArrayD::from_shape_vec(IxDyn(&[1, n]), y).unwrap());
    let f = DType::F64;
    let i = |op, args, dtype| Instr { op, args, dtype };
    let p = Program {
        inputs: vec![f, f],
        instrs: vec![
            i(InstrOp::Unary(UnaryOp::Powi(2)), vec![Src::Input(0)], f),
            i(InstrOp::Unary(UnaryOp::Powi(2)), vec![Src::Input(1)], f),
            i(
                InstrOp::Binary(BinaryOp::Add),
                vec![Src::Reg(0), Src::Reg(1)],
                f,
            ),
            i(
                InstrOp::Unary(UnaryOp::Math(FloatFn::Sqrt)),
                vec![Src::Reg(2)],
                f,
            ),
            i(InstrOp::Const(Scalar::F64(1.5)), vec![], f),
            i(
                InstrOp::Binary(BinaryOp::Lt),
                vec![Src::Reg(3), Src::Reg(4)],
                DType::Bool,
            ),
            i(InstrOp::Unary(UnaryOp::Powi(3)), vec![Src::Input(0)], f),
            i(InstrOp::Unary(UnaryOp::Neg), vec![Src::Reg(6)], f),
            i(
                InstrOp::Binary(BinaryOp::Div),
                vec![Src::Input(0), Src::Input(1)],
                f,
            ),
            i(
                InstrOp::Where,
                vec![Src::Reg(5), Src::Reg(7), Src::Reg(8)],
                f,
            ),
            i(
                InstrOp::Binary(BinaryOp::Float2(FloatFn2::Hypot)),
                vec![Src::Reg(9), Src::Input(1)],
                f,
            ),
        ],
        output: Src::Reg(10),
    };
    let keys = [Key::new("x"), Key::new("y")];
    let inputs = [x, y];
    let a = p
        .run_to_array_with(Backend::Interpreter, &inputs, &keys, &[3, n])
        .unwrap();
    let b = p
        .run_to_array_with(Backend::Compiled, &inputs, &keys, &[3, n])
        .unwrap();
    assert!(compiled(&p).is_some());
    assert_eq!(bits(&a, f), bits(&b, f));
}

#[test]
fn user_closures_fall_back_and_wrong_inputs_are_errors() {
    use crate::kernel::program::MapFn;
    use std::sync::Arc;
    let f = Arc::new(MapFn::<f64, f64, _> {
        name: "double".into(),
        f: |x: f64| 2.0 * x,
        _types: std::marker::PhantomData,
    });
    let p = one(
        vec![DType::F64],
        InstrOp::Map(f, 7),
        vec![Src::Input(0)],
        DType::F64,
    );
    assert!(compiled(&p).is_none());
    let input = column(DType::F64, &edges(DType::F64));
    assert!(check(
        &p,
        std::slice::from_ref(&input),
        edges(DType::F64).len()
    ));
    // A program reading an input of the wrong type is the interpreter's error, not a crash.
    let p = one(
        vec![DType::I32],
        InstrOp::Unary(UnaryOp::Neg),
        vec![Src::Input(0)],
        DType::I32,
    );
    let keys = [Key::new("x")];
    let err = p.run_to_array_with(
        Backend::Compiled,
        std::slice::from_ref(&input),
        &keys,
        &[22],
    );
    assert!(err.is_err());
}

#[test]
fn a_compiled_block_sum_keeps_the_sign_of_negative_zeros() {
    // NumPy's block starts its accumulators at the first 8 values, so a lane of -0.0 sums
    // to -0.0 (a sum started at +0.0 would give +0.0), and a short lane, started at +0.0
    // as NumPy does, to +0.0. Mixed lanes put -0.0 into some accumulators only.
    let p = one(
        vec![DType::F64],
        InstrOp::Unary(UnaryOp::Neg),
        vec![Src::Input(0)],
        DType::F64,
    );
    for n in [3, 8, 9, 16, 23, 40] {
        for pattern in [vec![0.0], vec![0.0, 0.0, -1.5, 0.0], vec![0.0, 2.0]] {
            let values: Vec<Scalar> = (0..n)
                .map(|i| Scalar::F64(pattern[i % pattern.len()]))
                .collect();
            let input = column(DType::F64, &values);
            assert!(check(&p, std::slice::from_ref(&input), n));
        }
    }
}

#[test]
fn a_compiled_pairwise_sum_adds_its_leaves_as_the_tree_does() {
    // Lanes of one leaf, of leaves of 64 to 128 elements, and of more leaves than one
    // call sums (split first), values of mixed magnitude so that the order of the
    // additions shows in the bits; from several offsets (`check_folds`), so every tail.
    let p = one(
        vec![DType::F64],
        InstrOp::Unary(UnaryOp::Neg),
        vec![Src::Input(0)],
        DType::F64,
    );
    for n in [128, 129, 300, 1000, 4099, 20000] {
        let values: Vec<Scalar> = (0..n)
            .map(|i| Scalar::F64(((i as f64) * 0.37).sin() * 10f64.powi((i % 13) as i32 - 6)))
            .collect();
        let input = column(DType::F64, &values);
        assert!(check(&p, std::slice::from_ref(&input), n));
    }
}

#[test]
fn a_compiled_extreme_keeps_the_sign_of_the_last_tied_zero() {
    // max([0.0, -1, ..., -0.0, -1, ...]) is -0.0 and min([-0.0, 1, ..., 0.0, 1, ...]) is
    // 0.0 (NumPy: of equal values the later), so a screened group holding only a tied zero
    // must not be skipped; the zeros at several distances land in vector groups and tails.
    let p = one(
        vec![DType::F64],
        InstrOp::Unary(UnaryOp::Neg),
        vec![Src::Input(0)],
        DType::F64,
    );
    for n in [9, 16, 23, 40] {
        for later in [1, 5, 8, n - 1] {
            for (first, other) in [(-0.0, 1.0), (0.0, -1.0)] {
                let values: Vec<Scalar> = (0..n)
                    .map(|i| match i {
                        0 => Scalar::F64(first),
                        _ if i == later => Scalar::F64(-first),
                        _ => Scalar::F64(other),
                    })
                    .collect();
                let input = column(DType::F64, &values);
                assert!(check(&p, std::slice::from_ref(&input), n));
            }
        }
    }
}

#[test]
fn only_lane_wise_arithmetic_is_cheap_to_compute_twice() {
    let square = one(
        vec![DType::F64],
        InstrOp::Binary(BinaryOp::Mul),
        vec![Src::Input(0), Src::Input(0)],
        DType::F64,
    );
    assert!(super::cheap_to_repeat(&square));
    let exp = one(
        vec![DType::F64],
        InstrOp::Unary(UnaryOp::Math(FloatFn::Exp)),
        vec![Src::Input(0)],
        DType::F64,
    );
    assert!(!super::cheap_to_repeat(&exp));
}
