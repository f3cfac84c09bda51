//! The compiled backend against the interpreter, bit for bit: random expressions over f64
//! and i32 arrays (broadcast rows, scalar operands on either side, casts, `where`, NaN,
//! infinities, -0.0 and integer extremes among the values), computed with
//! `Options::codegen(true)` and `codegen(false)` over random chunkings, elementwise and
//! reduced (sums over everything and over each axis, means, counts, any/all; rows long enough
//! for the compiled lane folds). Both are also checked
//! against the expression evaluated eagerly element by element with ndarray's values.

use chunkflow::{Array, Options, ReduceArgs, where_};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

const SPECIAL_F64: [f64; 14] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    0.0,
    5e-324,
    1.0,
    -1.0,
    0.5,
    2.5,
    1e300,
    -1e-300,
    3e9,
    -3e9,
];

const SPECIAL_I32: [i32; 8] = [0, 1, -1, 2, i32::MIN, i32::MAX, 31, 32];

fn f64_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        2 => prop::sample::select(SPECIAL_F64.to_vec()),
        3 => -10.0f64..10.0,
        1 => any::<f64>(),
    ]
}

fn i32_value() -> impl Strategy<Value = i32> {
    prop_oneof![
        2 => prop::sample::select(SPECIAL_I32.to_vec()),
        3 => -20i32..20,
        1 => any::<i32>(),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Un {
    Neg,
    Abs,
    Sqrt,
    Square,
    Cube,
    Fourth,
    Exp,
    Floor,
    Round,
    Sign,
    /// `x as i32 as f64`: a saturating cast there and back.
    ViaI32,
    /// `(x > 0) as f64`.
    Positive,
}

#[derive(Clone, Copy, Debug)]
enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
}

/// An f64 expression over `x` (the chunked array) and `y` (a row broadcast against it).
#[derive(Clone, Debug)]
enum E {
    X,
    Y,
    Un(Un, Box<E>),
    Bin(Bin, Box<E>, Box<E>),
    /// `op(e, c)`, or `op(c, e)` when the flag is set.
    Scalar(Bin, Box<E>, f64, bool),
    /// `where(a < b, c, d)`.
    Where(Box<E>, Box<E>, Box<E>, Box<E>),
}

fn un() -> impl Strategy<Value = Un> {
    prop::sample::select(vec![
        Un::Neg,
        Un::Abs,
        Un::Sqrt,
        Un::Square,
        Un::Cube,
        Un::Fourth,
        Un::Exp,
        Un::Floor,
        Un::Round,
        Un::Sign,
        Un::ViaI32,
        Un::Positive,
    ])
}

fn bin() -> impl Strategy<Value = Bin> {
    prop::sample::select(vec![
        Bin::Add,
        Bin::Sub,
        Bin::Mul,
        Bin::Div,
        Bin::Max,
        Bin::Min,
    ])
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![Just(E::X), Just(E::Y)];
    leaf.prop_recursive(5, 24, 4, |inner| {
        prop_oneof![
            (un(), inner.clone()).prop_map(|(u, a)| E::Un(u, Box::new(a))),
            (bin(), inner.clone(), inner.clone()).prop_map(|(b, x, y)| E::Bin(
                b,
                Box::new(x),
                Box::new(y)
            )),
            (bin(), inner.clone(), f64_value(), any::<bool>())
                .prop_map(|(b, x, c, left)| E::Scalar(b, Box::new(x), c, left)),
            (inner.clone(), inner.clone(), inner.clone(), inner).prop_map(|(a, b, c, d)| E::Where(
                Box::new(a),
                Box::new(b),
                Box::new(c),
                Box::new(d)
            )),
        ]
    })
}

fn lazy_bin(b: Bin, x: &Array<f64>, y: &Array<f64>) -> Array<f64> {
    match b {
        Bin::Add => x + y,
        Bin::Sub => x - y,
        Bin::Mul => x * y,
        Bin::Div => x / y,
        Bin::Max => x.maximum(y),
        Bin::Min => x.minimum(y),
    }
}

fn lazy_scalar(b: Bin, x: &Array<f64>, c: f64, left: bool) -> Array<f64> {
    match (b, left) {
        (Bin::Add, false) => x + c,
        (Bin::Add, true) => c + x,
        (Bin::Sub, false) => x - c,
        (Bin::Sub, true) => c - x,
        (Bin::Mul, false) => x * c,
        (Bin::Mul, true) => c * x,
        (Bin::Div, false) => x / c,
        (Bin::Div, true) => c / x,
        (Bin::Max, _) => x.maximum(c),
        (Bin::Min, _) => x.minimum(c),
    }
}

fn build(e: &E, x: &Array<f64>, y: &Array<f64>) -> Array<f64> {
    match e {
        E::X => x.clone(),
        E::Y => y.clone(),
        E::Un(u, a) => {
            let a = build(a, x, y);
            match u {
                Un::Neg => -&a,
                Un::Abs => a.abs(),
                Un::Sqrt => a.sqrt(),
                Un::Square => a.powi(2),
                Un::Cube => a.powi(3),
                Un::Fourth => a.powi(4),
                Un::Exp => a.exp(),
                Un::Floor => a.floor(),
                Un::Round => a.round(),
                Un::Sign => a.sign(),
                Un::ViaI32 => a.cast::<i32>().cast::<f64>(),
                Un::Positive => a.gt(0.0).cast::<f64>(),
            }
        }
        E::Bin(b, p, q) => lazy_bin(*b, &build(p, x, y), &build(q, x, y)),
        E::Scalar(b, p, c, left) => lazy_scalar(*b, &build(p, x, y), *c, *left),
        E::Where(a, b, c, d) => {
            let cond = build(a, x, y).lt(&build(b, x, y));
            where_(&cond, &build(c, x, y), &build(d, x, y))
        }
    }
}

/// NumPy's maximum/minimum: NaN in either operand gives NaN (the first NaN); of equal
/// operands the later one (`maximum(0.0, -0.0)` is -0.0).
fn maximum(a: f64, b: f64) -> f64 {
    if a > b || a.is_nan() { a } else { b }
}
fn minimum(a: f64, b: f64) -> f64 {
    if a < b || a.is_nan() { a } else { b }
}

fn eager_bin(b: Bin, p: f64, q: f64) -> f64 {
    match b {
        Bin::Add => p + q,
        Bin::Sub => p - q,
        Bin::Mul => p * q,
        Bin::Div => p / q,
        Bin::Max => maximum(p, q),
        Bin::Min => minimum(p, q),
    }
}

fn eager(e: &E, x: f64, y: f64) -> f64 {
    match e {
        E::X => x,
        E::Y => y,
        E::Un(u, a) => {
            let a = eager(a, x, y);
            match u {
                Un::Neg => -a,
                Un::Abs => a.abs(),
                Un::Sqrt => a.sqrt(),
                Un::Square => a * a,
                Un::Cube => a * a * a,
                Un::Fourth => {
                    let s = a * a;
                    s * s
                }
                Un::Exp => a.exp(),
                Un::Floor => a.floor(),
                Un::Round => a.round_ties_even(),
                Un::Sign => {
                    if a > 0.0 {
                        1.0
                    } else if a < 0.0 {
                        -1.0
                    } else if a == 0.0 {
                        0.0
                    } else {
                        a
                    }
                }
                Un::ViaI32 => a as i32 as f64,
                Un::Positive => (a > 0.0) as i32 as f64,
            }
        }
        E::Bin(b, p, q) => eager_bin(*b, eager(p, x, y), eager(q, x, y)),
        E::Scalar(b, p, c, left) => {
            let p = eager(p, x, y);
            match (b, left) {
                (Bin::Max | Bin::Min, _) => eager_bin(*b, p, *c),
                (_, false) => eager_bin(*b, p, *c),
                (_, true) => eager_bin(*b, *c, p),
            }
        }
        E::Where(a, b, c, d) => {
            if eager(a, x, y) < eager(b, x, y) {
                eager(c, x, y)
            } else {
                eager(d, x, y)
            }
        }
    }
}

/// Bit-equal, except that any NaN matches any NaN: with two NaN operands x86 returns the
/// first one's, and the interpreter's loops (compiled by LLVM, which may commute `*` and
/// `+`), Cranelift's and the eager reference may order them differently (`nan * -nan`).
/// IEEE 754 leaves the payload open and NumPy makes no promise; every other bit must match.
fn same_values(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

/// Mostly ordinary values, a special one now and then: long rows of [`f64_value`] would
/// nearly always hold a NaN or an infinity, and a NaN sum hides every rounding difference.
fn mostly_finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        60 => -10.0f64..10.0,
        1 => prop::sample::select(SPECIAL_F64.to_vec()),
    ]
}

/// `x`: rows × cols in chunks of (rc, cc); `y`: one row of cols, broadcast. Short rows of
/// any values, or rows long enough for the compiled lane folds and pairwise splits.
fn inputs() -> impl Strategy<Value = (ArrayD<f64>, Vec<f64>, usize, usize)> {
    (1usize..7, prop_oneof![3 => 1usize..40, 1 => 120usize..300]).prop_flat_map(|(rows, cols)| {
        let value = if cols < 40 {
            f64_value().boxed()
        } else {
            mostly_finite_f64().boxed()
        };
        (
            prop::collection::vec(value.clone(), rows * cols)
                .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&[rows, cols]), v).unwrap()),
            prop::collection::vec(value, cols),
            1..=rows,
            1..=cols,
        )
    })
}

fn options(codegen: bool) -> Options {
    Options::default().synchronous().codegen(codegen)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn f64_expressions_match_bit_for_bit((x, y, rc, cc) in inputs(), e in expr()) {
        let cols = x.shape()[1];
        let lx = Array::from_ndarray(x.clone(), &[rc, cc][..]).unwrap();
        let ly = Array::from_ndarray(
            ArrayD::from_shape_vec(IxDyn(&[cols]), y.clone()).unwrap(),
            &[cc][..],
        )
        .unwrap();
        let z = build(&e, &lx, &ly);
        let compiled = z.compute_with(&options(true)).unwrap();
        let interpreted = z.compute_with(&options(false)).unwrap();
        prop_assert!(same_values(&compiled, &interpreted), "{e:?}\n{compiled:?}\n{interpreted:?}");
        // An expression without `x` has `y`'s shape.
        let expected = ArrayD::from_shape_fn(IxDyn(compiled.shape()), |ix| {
            let (i, j) = if compiled.ndim() == 2 { (ix[0], ix[1]) } else { (0, ix[0]) };
            eager(&e, x[[i, j]], y[j])
        });
        prop_assert!(same_values(&compiled, &expected), "{e:?}\n{compiled:?}\n{expected:?}");

        // Fused into reductions: the same strips reach the same accumulators.
        let mut sums = vec![(None, z.sum())];
        for axis in 0..compiled.ndim() {
            sums.push((Some(axis), z.sum_axis(axis).unwrap()));
        }
        for (axis, s) in sums {
            let a = s.compute_with(&options(true)).unwrap();
            let b = s.compute_with(&options(false)).unwrap();
            prop_assert!(same_values(&a, &b), "sum over {axis:?} of {e:?}: {a:?} vs {b:?}");
        }
        for (axis, m) in [(None, z.mean()), (Some(compiled.ndim() - 1), z.mean_axis(compiled.ndim() - 1).unwrap())] {
            let a = m.compute_with(&options(true)).unwrap();
            let b = m.compute_with(&options(false)).unwrap();
            prop_assert!(same_values(&a, &b), "mean over {axis:?} of {e:?}: {a:?} vs {b:?}");
        }
        // Extremes: compiled lane folds (rows of 32 or more) against the interpreter and
        // against NumPy's fold (the first NaN wins, of tied values the later).
        let last = compiled.ndim() - 1;
        let extremes = [
            (true, None, z.max()),
            (false, None, z.min()),
            (true, Some(last), z.max_axis(last).unwrap()),
            (false, Some(last), z.min_axis(last).unwrap()),
        ];
        for (max, axis, m) in extremes {
            let a = m.compute_with(&options(true)).unwrap();
            let b = m.compute_with(&options(false)).unwrap();
            prop_assert!(same_values(&a, &b), "max {max} over {axis:?} of {e:?}: {a:?} vs {b:?}");
            let pick = if max { maximum } else { minimum };
            let fold = |lane: ndarray::ArrayViewD<'_, f64>| {
                let mut it = lane.iter().copied();
                let first = it.next().unwrap();
                it.fold(first, pick)
            };
            let want = match axis {
                None => ArrayD::from_elem(IxDyn(&[]), fold(expected.view())),
                Some(k) => expected.map_axis(ndarray::Axis(k), |l| fold(l.into_dyn())),
            };
            prop_assert!(same_values(&a, &want), "max {max} over {axis:?} of {e:?}: {a:?} vs {want:?}");
        }
        // NaN-skipping extremes: against the interpreter and NumPy's nanmax/nanmin (the
        // extreme of the values that are not NaN; NaN for a lane of NaN only).
        let nan_extremes = [
            (true, z.nanmax()),
            (false, z.nanmin()),
            (true, z.nanmax_with(&ReduceArgs::axis(last)).unwrap()),
            (false, z.nanmin_with(&ReduceArgs::axis(last)).unwrap()),
        ];
        for (max, m) in nan_extremes {
            let a = m.compute_with(&options(true)).unwrap();
            let b = m.compute_with(&options(false)).unwrap();
            prop_assert!(same_values(&a, &b), "nanmax {max} of {e:?}: {a:?} vs {b:?}");
        }
        // Arg extremes: compiled lane folds against the interpreter and against NumPy's
        // argmax/argmin (the first NaN, else the first of the best values), flat and along
        // the last axis.
        let args = [
            (true, None, z.argmax()),
            (false, None, z.argmin()),
            (true, Some(last), z.argmax_axis(last).unwrap()),
            (false, Some(last), z.argmin_axis(last).unwrap()),
        ];
        for (max, axis, arg) in args {
            let a = arg.compute_with(&options(true)).unwrap();
            let b = arg.compute_with(&options(false)).unwrap();
            prop_assert_eq!(&a, &b, "argmax {} over {:?} of {:?}", max, axis, e);
            let first_best = |lane: ndarray::ArrayViewD<'_, f64>| -> u64 {
                let v: Vec<f64> = lane.iter().copied().collect();
                let index = v.iter().position(|x| x.is_nan()).unwrap_or_else(|| {
                    let better = |x: f64, y: f64| if max { x > y } else { x < y };
                    (1..v.len()).fold(0, |b, i| if better(v[i], v[b]) { i } else { b })
                });
                index as u64
            };
            let want = match axis {
                None => ArrayD::from_elem(IxDyn(&[]), first_best(expected.view())),
                Some(k) => expected.map_axis(ndarray::Axis(k), |l| first_best(l.into_dyn())),
            };
            prop_assert_eq!(&a, &want, "argmax {} over {:?} of {:?}", max, axis, e);
        }
        // NaN-skipping arg extremes: against the interpreter and NumPy's nanargmax/nanargmin
        // (the first of the best values that are not NaN; an error for a lane of NaN only).
        let nan_args = [
            (true, None, z.nanargmax()),
            (false, None, z.nanargmin()),
            (true, Some(last), z.nanargmax_with(&ReduceArgs::axis(last)).unwrap()),
            (false, Some(last), z.nanargmin_with(&ReduceArgs::axis(last)).unwrap()),
        ];
        for (max, axis, arg) in nan_args {
            let a = arg.compute_with(&options(true));
            let b = arg.compute_with(&options(false));
            let first_best = |lane: ndarray::ArrayViewD<'_, f64>| -> Option<u64> {
                let better = |x: f64, y: f64| if max { x > y } else { x < y };
                let v: Vec<f64> = lane.iter().copied().collect();
                (0..v.len())
                    .filter(|&i| !v[i].is_nan())
                    .reduce(|b, i| if better(v[i], v[b]) { i } else { b })
                    .map(|i| i as u64)
            };
            let want = match axis {
                None => first_best(expected.view()).map(|i| ArrayD::from_elem(IxDyn(&[]), i)),
                Some(k) => {
                    let lanes = expected.map_axis(ndarray::Axis(k), |l| first_best(l.into_dyn()));
                    lanes.iter().all(Option::is_some).then(|| lanes.mapv(Option::unwrap))
                }
            };
            match (a, b, want) {
                (Ok(a), Ok(b), Some(want)) => {
                    prop_assert_eq!(&a, &b, "nanargmax {} over {:?} of {:?}", max, axis, e);
                    prop_assert_eq!(&a, &want, "nanargmax {} over {:?} of {:?}", max, axis, e);
                }
                (Err(_), Err(_), None) => {}
                (a, b, want) => prop_assert!(
                    false,
                    "nanargmax {} over {:?} of {:?}: {:?} / {:?} / {:?}",
                    max, axis, e, a.is_ok(), b.is_ok(), want.is_some()
                ),
            }
        }
        // Products (in order, into the product so far) and var/std (a lane's pairwise mean,
        // then its pairwise squared deviations, merged by Chan's formula) across backends.
        let folded = [
            ("prod", z.prod()),
            ("prod over the last axis", z.prod_axis(last).unwrap()),
            ("var", z.var(0)),
            ("var over the last axis", z.var_axis(last, 1).unwrap()),
            ("std over the last axis", z.std_axis(last, 0).unwrap()),
        ];
        for (what, r) in folded {
            let a = r.compute_with(&options(true)).unwrap();
            let b = r.compute_with(&options(false)).unwrap();
            prop_assert!(same_values(&a, &b), "{what} of {e:?}: {a:?} vs {b:?}");
        }
        for truth in [z.lt(0.5).any(), z.lt(0.5).all(), z.ge(-1e300).all()] {
            let a = truth.compute_with(&options(true)).unwrap();
            let b = truth.compute_with(&options(false)).unwrap();
            prop_assert_eq!(a, b, "any/all of {:?}", e);
        }
        let count = z.lt(0.5).sum();
        let a = count.compute_with(&options(true)).unwrap();
        let b = count.compute_with(&options(false)).unwrap();
        let expected_count = expected.iter().filter(|&&v| v < 0.5).count() as i64;
        prop_assert_eq!(a.iter().copied().sum::<i64>(), expected_count);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn i32_arithmetic_matches_bit_for_bit(
        v in prop::collection::vec((i32_value(), i32_value()), 1..80),
        chunk in 1usize..20,
        c in i32_value(),
    ) {
        let (a, b): (Vec<i32>, Vec<i32>) = v.into_iter().unzip();
        let n = a.len();
        let la = Array::from_ndarray(ArrayD::from_shape_vec(IxDyn(&[n]), a.clone()).unwrap(), &[chunk][..]).unwrap();
        let lb = Array::from_ndarray(ArrayD::from_shape_vec(IxDyn(&[n]), b.clone()).unwrap(), &[chunk][..]).unwrap();
        // Wrapping +, -, *, division and remainder by zero and of MIN by -1, shifts past the
        // width, min/max, a scalar operand, and casts to f64 and u8 and back.
        let z = ((&la * &lb + &la - c) / &lb).maximum(&(&la % &lb))
            .minimum(&(&la << &lb))
            ^ (&lb >> 3);
        let w = (&z.cast::<f64>() * 0.5).cast::<u8>().cast::<i32>() + z.clone();
        let compiled = w.compute_with(&options(true)).unwrap();
        let interpreted = w.compute_with(&options(false)).unwrap();
        prop_assert_eq!(&compiled, &interpreted);
        let div = |x: i32, y: i32| if y == 0 { 0 } else { x.wrapping_div(y) };
        let rem = |x: i32, y: i32| if y == 0 { 0 } else { x.wrapping_rem(y) };
        let shl = |x: i32, y: i32| if !(0..32).contains(&y) { 0 } else { x << y };
        let expected: Vec<i32> = a.iter().zip(&b).map(|(&x, &y)| {
            let q = div(x.wrapping_mul(y).wrapping_add(x).wrapping_sub(c), y);
            let m = q.max(rem(x, y)).min(shl(x, y));
            let z = m ^ (y >> 3);
            ((z as f64 * 0.5) as u8 as i32).wrapping_add(z)
        }).collect();
        prop_assert_eq!(compiled.as_slice().unwrap(), &expected[..]);
        let s = w.sum();
        prop_assert_eq!(s.compute_with(&options(true)).unwrap(), s.compute_with(&options(false)).unwrap());
    }
}

/// The compiled backend really runs (the comparisons above are not interpreter against
/// itself): programs get compiled and counted.
#[test]
fn programs_are_compiled_and_counted() {
    let x = Array::<f64>::linspace(-2.0, 2.0, 10_000, 1000).unwrap();
    let before = chunkflow::diagnostics::codegen_stats();
    let y = ((&x * &x + 0.25).sqrt() - &x * 1.000_123_7).sum();
    let a = y.scalar_with(&options(true)).unwrap();
    let b = y.scalar_with(&options(false)).unwrap();
    assert_eq!(a.to_bits(), b.to_bits());
    let after = chunkflow::diagnostics::codegen_stats();
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        assert!(after.compiled > before.compiled, "{before:?} -> {after:?}");
        assert!(after.compile_time > before.compile_time);
    }
}

#[test]
fn the_profiler_shows_the_compile_time_of_its_runs() {
    use std::sync::Arc;
    let profiler = Arc::new(chunkflow::diagnostics::Profiler::new());
    let x = Array::<f64>::linspace(-3.0, 3.0, 5_000, 500).unwrap();
    // Constants no other test uses: a program this process has not compiled yet.
    let y = ((&x * 3.141_592_1 - 0.577_215_6).abs().sqrt() * &x).sum();
    let with = options(true).observer(profiler.clone());
    y.scalar_with(&with).unwrap();
    let first = profiler.codegen();
    // The same program again: cached, nothing compiled, no compile time added.
    y.scalar_with(&with).unwrap();
    let again = profiler.codegen();
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        assert!(first.compiled >= 1, "{first:?}");
        assert!(!first.compile_time.is_zero());
    }
    let text = profiler.summary_text();
    assert!(text.contains("codegen: "), "{text}");
    assert!(text.contains("program(s) compiled in"), "{text}");
    // Other tests in this binary compile concurrently (the counters are the process's),
    // so the second run may see theirs; it cannot see fewer.
    assert!(again.compiled >= first.compiled);
    profiler.clear();
    assert_eq!(
        profiler.codegen(),
        chunkflow::diagnostics::CodegenStats::default()
    );
}
