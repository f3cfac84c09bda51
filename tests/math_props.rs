//! Property tests for NumPy's math functions: each lazy, chunked function against the same
//! function applied eagerly with ndarray, over random shapes and chunkings, with NaN, ±inf,
//! -0.0, subnormals and integer extremes among the values. Results must be bit-identical
//! (NaN matches NaN): the kernels call the same Rust functions element by element.

use chunkflow::{Array, zip_map, zip_map3};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

const SPECIAL_F64: [f64; 12] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    0.0,
    5e-324,
    -2.2e-308,
    1.0,
    -1.0,
    0.5,
    1e300,
    -1e-300,
];

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        2 => prop::sample::select(SPECIAL_F64.to_vec()),
        3 => -10.0f64..10.0,
        1 => any::<f64>(),
    ]
}

/// A 1-3 axis array of random values with random chunk sizes per axis.
fn chunked() -> impl Strategy<Value = (ArrayD<f64>, Vec<usize>)> {
    prop::collection::vec(1usize..6, 1..=3).prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        let chunk = shape.iter().map(|&l| 1..=l).collect::<Vec<_>>();
        (
            prop::collection::vec(value(), n)
                .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap()),
            chunk,
        )
    })
}

/// The lazy array for `x` with the given uniform chunk sizes.
fn lazy(x: &ArrayD<f64>, c: &[usize]) -> Array<f64> {
    let chunks: Vec<usize> = c.to_vec();
    Array::from_ndarray(x.clone(), chunks.as_slice()).unwrap()
}

fn same_bits(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

type Unary = (&'static str, fn(&Array<f64>) -> Array<f64>, fn(f64) -> f64);

fn unary_table() -> Vec<Unary> {
    vec![
        ("sqrt", |a| a.sqrt(), f64::sqrt),
        ("exp", |a| a.exp(), f64::exp),
        ("ln", |a| a.ln(), f64::ln),
        ("log10", |a| a.log10(), f64::log10),
        ("log2", |a| a.log2(), f64::log2),
        ("log1p", |a| a.log1p(), f64::ln_1p),
        ("expm1", |a| a.expm1(), f64::exp_m1),
        ("exp2", |a| a.exp2(), f64::exp2),
        ("cbrt", |a| a.cbrt(), f64::cbrt),
        ("recip", |a| a.recip(), |x| 1.0 / x),
        ("square", |a| a.square(), |x| x * x),
        ("sin", |a| a.sin(), f64::sin),
        ("cos", |a| a.cos(), f64::cos),
        ("tan", |a| a.tan(), f64::tan),
        ("arcsin", |a| a.arcsin(), f64::asin),
        ("arccos", |a| a.arccos(), f64::acos),
        ("arctan", |a| a.arctan(), f64::atan),
        ("sinh", |a| a.sinh(), f64::sinh),
        ("cosh", |a| a.cosh(), f64::cosh),
        ("tanh", |a| a.tanh(), f64::tanh),
        ("arcsinh", |a| a.arcsinh(), f64::asinh),
        ("arccosh", |a| a.arccosh(), f64::acosh),
        ("arctanh", |a| a.arctanh(), f64::atanh),
        ("deg2rad", |a| a.deg2rad(), f64::to_radians),
        ("rad2deg", |a| a.rad2deg(), f64::to_degrees),
        ("floor", |a| a.floor(), f64::floor),
        ("ceil", |a| a.ceil(), f64::ceil),
        ("trunc", |a| a.trunc(), f64::trunc),
        ("round", |a| a.round(), f64::round_ties_even),
        ("rint", |a| a.rint(), f64::round_ties_even),
        ("abs", |a| a.abs(), f64::abs),
        (
            "sign",
            |a| a.sign(),
            |x| {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else if x == 0.0 {
                    0.0
                } else {
                    x
                }
            },
        ),
    ]
}

type Binary = (
    &'static str,
    fn(&Array<f64>, &Array<f64>) -> Array<f64>,
    fn(f64, f64) -> f64,
);

fn binary_table() -> Vec<Binary> {
    vec![
        ("arctan2", |a, b| a.arctan2(b), f64::atan2),
        ("hypot", |a, b| a.hypot(b), f64::hypot),
        ("copysign", |a, b| a.copysign(b), f64::copysign),
        // NaN ignored unless both are; of equal operands the later (fmax(0, -0) is -0).
        (
            "fmax",
            |a, b| a.fmax(b),
            |x, y| if x > y || y.is_nan() { x } else { y },
        ),
        (
            "fmin",
            |a, b| a.fmin(b),
            |x, y| if x < y || y.is_nan() { x } else { y },
        ),
        ("fmod", |a, b| a.fmod(b), |x, y| x % y),
        ("powf", |a, b| a.powf(b), f64::powf),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn unary_functions_match_std((x, c) in chunked()) {
        let a = lazy(&x, &c);
        for (name, lazy_f, eager_f) in unary_table() {
            let got = lazy_f(&a).compute().unwrap();
            prop_assert!(same_bits(&got, &x.mapv(eager_f)), "{name}: {got:?}");
            // Fused behind another op as well.
            let got = lazy_f(&(&a * 1.0)).compute().unwrap();
            prop_assert!(same_bits(&got, &x.mapv(|v| eager_f(v * 1.0))), "{name} fused");
        }
    }

    #[test]
    fn binary_functions_match_std((x, c) in chunked(), ys in prop::collection::vec(value(), 125)) {
        let y = ArrayD::from_shape_vec(x.raw_dim(), ys[..x.len()].to_vec()).unwrap();
        let (a, b) = (lazy(&x, &c), lazy(&y, &c));
        for (name, lazy_f, eager_f) in binary_table() {
            let got = lazy_f(&a, &b).compute().unwrap();
            let want = ndarray::Zip::from(&x).and(&y).map_collect(|&p, &q| eager_f(p, q));
            prop_assert!(same_bits(&got, &want), "{name}");
        }
    }

    #[test]
    fn predicates_match_std((x, c) in chunked()) {
        let a = lazy(&x, &c);
        prop_assert_eq!(a.isnan().compute().unwrap(), x.mapv(f64::is_nan));
        prop_assert_eq!(a.isinf().compute().unwrap(), x.mapv(f64::is_infinite));
        prop_assert_eq!(a.isfinite().compute().unwrap(), x.mapv(f64::is_finite));
        prop_assert_eq!(a.signbit().compute().unwrap(), x.mapv(f64::is_sign_negative));
    }

    #[test]
    fn floor_division_satisfies_the_identity(
        xs in prop::collection::vec(any::<i64>(), 1..40),
        ys in prop::collection::vec(prop_oneof![1 => Just(0i64), 1 => Just(-1i64), 8 => any::<i64>()], 40),
        chunk in 1usize..8,
    ) {
        let ys = &ys[..xs.len()];
        let a = Array::from_slice(&xs, chunk).unwrap();
        let b = Array::from_slice(ys, chunk).unwrap();
        let q = a.div_floor(&b).compute().unwrap();
        let r = a.rem_floor(&b).compute().unwrap();
        for (k, (&x, &y)) in xs.iter().zip(ys).enumerate() {
            if y == 0 {
                prop_assert_eq!((q[[k]], r[[k]]), (0, 0));
            } else {
                prop_assert_eq!(q[[k]], x.wrapping_div(y) - i64::from(x.wrapping_rem(y) != 0 && ((x < 0) != (y < 0))));
                prop_assert_eq!(q[[k]].wrapping_mul(y).wrapping_add(r[[k]]), x);
                prop_assert!(r[[k]] == 0 || (r[[k]] < 0) == (y < 0));
            }
        }
    }

    #[test]
    fn bitwise_ops_match_rust(
        xs in prop::collection::vec(any::<u32>(), 1..30),
        ys in prop::collection::vec(any::<u32>(), 30),
        chunk in 1usize..8,
    ) {
        let ys = &ys[..xs.len()];
        let a = Array::from_slice(&xs, chunk).unwrap();
        let b = Array::from_slice(ys, chunk).unwrap();
        let check = |got: ArrayD<u32>, f: fn(u32, u32) -> u32| {
            got.iter().zip(xs.iter().zip(ys)).all(|(&g, (&x, &y))| g == f(x, y))
        };
        prop_assert!(check((&a & &b).compute().unwrap(), |x, y| x & y));
        prop_assert!(check((&a | &b).compute().unwrap(), |x, y| x | y));
        prop_assert!(check((&a ^ &b).compute().unwrap(), |x, y| x ^ y));
        prop_assert!(check((!&a).compute().unwrap(), |x, _| !x));
        let shift = |x: u32, y: u32| if y >= 32 { 0 } else { x << y };
        prop_assert!(check((&a << &b).compute().unwrap(), shift));
        let shift = |x: u32, y: u32| if y >= 32 { 0 } else { x >> y };
        prop_assert!(check((&a >> &b).compute().unwrap(), shift));
        prop_assert!(check(a.pow(3).compute().unwrap(), |x, _| x.wrapping_pow(3)));
    }

    #[test]
    fn zip_maps_broadcast_like_operators((x, c) in chunked()) {
        let a = lazy(&x, &c);
        let row = Array::<i64>::arange(0, x.shape()[x.ndim() - 1] as i64, 1, 2).unwrap();
        let got = zip_map(&a, &row, |v, k| v * k as f64).compute().unwrap();
        let want = &x * &ndarray::Array1::from_iter((0..x.shape()[x.ndim() - 1]).map(|k| k as f64));
        prop_assert!(same_bits(&got, &want));
        let got = zip_map3(&a, &a.isnan(), &row, |v, nan, k| if nan { k as f64 } else { v })
            .compute()
            .unwrap();
        let last = x.ndim() - 1;
        let mut want = x.clone();
        for (i, v) in want.indexed_iter_mut() {
            if v.is_nan() {
                *v = i[last] as f64;
            }
        }
        prop_assert!(same_bits(&got, &want));
    }
}

#[test]
fn numpy_reference_values() {
    // np.floor_divide / np.remainder on floats, including the signs of zero.
    let x = Array::from_vec(vec![7.0, -7.0, 7.0, -7.0, 1.0, -1.0, 0.0, -0.0], 2).unwrap();
    let y = Array::from_vec(
        vec![
            2.0,
            2.0,
            -2.0,
            -2.0,
            f64::INFINITY,
            f64::INFINITY,
            -3.0,
            3.0,
        ],
        2,
    )
    .unwrap();
    let q = x.div_floor(&y).compute().unwrap();
    let r = x.rem_floor(&y).compute().unwrap();
    let q: Vec<f64> = q.iter().copied().collect();
    let r: Vec<f64> = r.iter().copied().collect();
    assert_eq!(q[..6], [3.0, -4.0, -4.0, 3.0, 0.0, -1.0]);
    assert_eq!(r[..6], [1.0, 1.0, -1.0, -1.0, 1.0, f64::INFINITY]);
    // 0 // -3 = -0.0, 0 % -3 = -0.0; -0 // 3 = -0.0, -0 % 3 = 0.0 (NumPy).
    assert!(q[6] == 0.0 && q[6].is_sign_negative());
    assert!(r[6] == 0.0 && r[6].is_sign_negative());
    assert!(q[7] == 0.0 && q[7].is_sign_negative());
    assert!(r[7] == 0.0 && r[7].is_sign_positive());
    // Division by zero: ±inf / NaN quotient, NaN remainder.
    let z = Array::from_vec(vec![1.0, -1.0], 2).unwrap();
    let q = z.div_floor(0.0).compute().unwrap();
    assert_eq!(q.as_slice().unwrap(), &[f64::INFINITY, f64::NEG_INFINITY]);
    assert!(
        z.rem_floor(0.0)
            .compute()
            .unwrap()
            .iter()
            .all(|v| v.is_nan())
    );
    // sign(-0.0) is +0.0; sign(NaN) is NaN.
    let s = Array::from_vec(vec![-0.0, f64::NAN, -3.0], 2)
        .unwrap()
        .sign()
        .compute()
        .unwrap();
    assert!(s[[0]] == 0.0 && s[[0]].is_sign_positive() && s[[1]].is_nan() && s[[2]] == -1.0);
    // logaddexp with infinities.
    let l = Array::from_vec(vec![f64::NEG_INFINITY, f64::INFINITY, 0.0], 2)
        .unwrap()
        .logaddexp(
            &Array::from_vec(vec![f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY], 2).unwrap(),
        )
        .compute()
        .unwrap();
    assert_eq!(
        l.as_slice().unwrap(),
        &[f64::NEG_INFINITY, f64::INFINITY, 0.0]
    );
    // Integer shifts past the width (NumPy: 0, or -1 for negative numbers).
    let i = Array::from_vec(vec![-8i64, 8], 2).unwrap();
    assert_eq!(
        i.right_shift(64).compute().unwrap().as_slice().unwrap(),
        &[-1, 0]
    );
    assert_eq!(
        i.left_shift(64).compute().unwrap().as_slice().unwrap(),
        &[0, 0]
    );
    // Predicates on integers.
    assert!(i.isfinite().all().scalar().unwrap());
    assert!(!i.isnan().any().scalar().unwrap());
    assert_eq!(
        i.signbit().compute().unwrap().as_slice().unwrap(),
        &[true, false]
    );
    // isclose: NaN is close to nothing, equal infinities are close.
    let c = Array::from_vec(vec![f64::NAN, f64::INFINITY, 1.0], 2)
        .unwrap()
        .isclose(
            &Array::from_vec(vec![f64::NAN, f64::INFINITY, 1.00001], 2).unwrap(),
            1e-5,
            1e-8,
        )
        .compute()
        .unwrap();
    assert_eq!(c.as_slice().unwrap(), &[false, true, true]);
    // A finite value is never close to an infinity, nor an infinity to the other one
    // (NumPy 2.4: np.isclose([1.0, inf, -inf, nan, 5.0], inf) is [F, T, F, F, F]).
    let x = Array::from_vec(vec![1.0, f64::INFINITY, -f64::INFINITY, f64::NAN, 5.0], 2).unwrap();
    let inf = Array::<f64>::full(&[5], f64::INFINITY, 3).unwrap();
    let want = [false, true, false, false, false];
    assert_eq!(
        x.isclose(&inf, 1e-5, 1e-8)
            .compute()
            .unwrap()
            .as_slice()
            .unwrap(),
        &want
    );
    assert_eq!(
        x.isclose(f64::INFINITY, 1e-5, 1e-8)
            .compute()
            .unwrap()
            .as_slice()
            .unwrap(),
        &want
    );
    assert!(!x.isclose(f64::NAN, 1e-5, 1e-8).any().scalar().unwrap());
    // ... and the other way round: an infinity is not close to a finite value.
    assert!(!inf.isclose(1e308, 1e-5, 1e-8).any().scalar().unwrap());
}

#[test]
fn a_panicking_zip_closure_is_an_error() {
    let a = Array::<f64>::ones(&[4], 2).unwrap();
    let b = Array::<f64>::ones(&[4], 2).unwrap();
    let c = zip_map(&a, &b, |x, _| -> f64 {
        if x > 0.0 { panic!("boom") } else { x }
    });
    let err = c.compute().unwrap_err().to_string();
    assert!(err.contains("boom"), "{err}");
}

#[test]
fn zip_map_shape_mismatch_is_an_error() {
    let a = Array::<f64>::ones(&[4], 2).unwrap();
    let b = Array::<f64>::ones(&[3], 2).unwrap();
    assert!(zip_map(&a, &b, |x, y| x + y).compute().is_err());
}
