//! Property tests for the nan-aware and derived reductions against eager references:
//! random shapes, chunkings and axes, with NaN among the values (all-NaN lanes included).
//! Data are multiples of 0.25 so sums are exact in any order; means and variances are
//! compared to 1e-9.

use chunkflow::{Array, ReduceArgs};
use ndarray::{ArrayD, Axis, IxDyn};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(f64::NAN), 3 => (-16i32..=16).prop_map(|v| v as f64 * 0.25)]
}

/// (data, uniform chunk sizes, axis to reduce)
fn case() -> impl Strategy<Value = (ArrayD<f64>, Vec<usize>, usize)> {
    prop::collection::vec(1usize..6, 1..=3).prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        let ndim = shape.len();
        let chunk = shape.iter().map(|&l| 1..=l).collect::<Vec<_>>();
        (
            prop::collection::vec(value(), n)
                .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap()),
            chunk,
            0..ndim,
        )
    })
}

fn lazy(x: &ArrayD<f64>, c: &[usize]) -> Array<f64> {
    Array::from_ndarray(x.clone(), c).unwrap()
}

fn non_nan(lane: impl IntoIterator<Item = f64>) -> Vec<f64> {
    lane.into_iter().filter(|v| !v.is_nan()).collect()
}

fn eager_var(v: &[f64], ddof: usize) -> f64 {
    let n = v.len() as f64;
    if n - ddof as f64 <= 0.0 {
        return f64::NAN;
    }
    let m = v.iter().sum::<f64>() / n;
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - ddof as f64)
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * (1.0 + b.abs())
}

/// A per-lane reference reduction along `axis`.
fn along(x: &ArrayD<f64>, axis: usize, f: impl Fn(Vec<f64>) -> f64) -> ArrayD<f64> {
    x.map_axis(Axis(axis), |lane| f(lane.to_vec()))
}

fn all_close(got: &ArrayD<f64>, want: &ArrayD<f64>) -> bool {
    got.shape() == want.shape() && got.iter().zip(want).all(|(&a, &b)| close(a, b))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn nan_reductions_along_an_axis((x, c, axis) in case()) {
        let a = lazy(&x, &c);
        let args = ReduceArgs::axis(axis).split_every(2);
        let got = a.nansum_with(&args).unwrap().compute().unwrap();
        prop_assert!(all_close(&got, &along(&x, axis, |l| non_nan(l).iter().sum())));
        let got = a.nanprod_with(&args).unwrap().compute().unwrap();
        prop_assert!(all_close(&got, &along(&x, axis, |l| non_nan(l).iter().product())));
        let fold = |l: Vec<f64>, max: bool| {
            let v = non_nan(l);
            if v.is_empty() { f64::NAN } else if max {
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            } else {
                v.iter().copied().fold(f64::INFINITY, f64::min)
            }
        };
        let got = a.nanmin_with(&args).unwrap().compute().unwrap();
        prop_assert!(all_close(&got, &along(&x, axis, |l| fold(l, false))));
        let got = a.nanmax_with(&args).unwrap().compute().unwrap();
        prop_assert!(all_close(&got, &along(&x, axis, |l| fold(l, true))));
        let got = a.nanmean_with(&args).unwrap().compute().unwrap();
        let mean = |l: Vec<f64>| {
            let v = non_nan(l);
            if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
        };
        prop_assert!(all_close(&got, &along(&x, axis, mean)));
        for ddof in [0, 1] {
            let got = a.nanvar_with(&args, ddof).unwrap().compute().unwrap();
            prop_assert!(all_close(&got, &along(&x, axis, |l| eager_var(&non_nan(l), ddof))));
            let got = a.nanstd_with(&args, ddof).unwrap().compute().unwrap();
            prop_assert!(all_close(&got, &along(&x, axis, |l| eager_var(&non_nan(l), ddof).sqrt())));
        }
        let got = a.count_nonzero_with(&args).unwrap().compute().unwrap();
        let want = x.map_axis(Axis(axis), |l| l.iter().filter(|&&v| v != 0.0).count() as i64);
        prop_assert_eq!(got, want);
        // nanargmin: the first index of the smallest non-NaN value; all-NaN lanes fail.
        let any_all_nan = x.lanes(Axis(axis)).into_iter().any(|l| l.iter().all(|v| v.is_nan()));
        let got = a.nanargmin_with(&args).unwrap().compute();
        if any_all_nan {
            prop_assert!(got.is_err());
        } else {
            let want = x.map_axis(Axis(axis), |l| {
                let mut best = 0;
                for (i, &v) in l.iter().enumerate() {
                    if !v.is_nan() && (l[best].is_nan() || v < l[best]) {
                        best = i;
                    }
                }
                best as u64
            });
            prop_assert_eq!(got.unwrap(), want);
        }
    }

    #[test]
    fn nan_reductions_of_everything((x, c, _axis) in case()) {
        let a = lazy(&x, &c);
        let v = non_nan(x.iter().copied());
        prop_assert!(close(a.nansum().scalar().unwrap(), v.iter().sum()));
        prop_assert!(close(a.nanvar(1).scalar().unwrap(), eager_var(&v, 1)));
        let got = a.nanargmax().scalar();
        if v.is_empty() {
            prop_assert!(got.is_err());
            prop_assert!(a.nanmax().scalar().unwrap().is_nan());
        } else {
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let first = x.iter().position(|&e| e == max).unwrap() as u64;
            prop_assert_eq!(got.unwrap(), first);
        }
    }

    #[test]
    fn ptp_and_moment_match_eager((x, c, axis) in case()) {
        let clean = x.mapv(|v| if v.is_nan() { 0.5 } else { v });
        let a = lazy(&clean, &c);
        let args = ReduceArgs::axis(axis);
        let got = a.ptp_with(&args).unwrap().compute().unwrap();
        let want = along(&clean, axis, |l| {
            l.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                - l.iter().copied().fold(f64::INFINITY, f64::min)
        });
        prop_assert!(all_close(&got, &want));
        for order in [0, 1, 2, 3] {
            let got = a.moment(order, 0, &args).unwrap().compute().unwrap();
            let want = along(&clean, axis, |l| {
                let m = l.iter().sum::<f64>() / l.len() as f64;
                l.iter().map(|v| (v - m).powi(order)).sum::<f64>() / l.len() as f64
            });
            prop_assert!(all_close(&got, &want), "order {}", order);
        }
    }
}

#[test]
fn integer_nan_reductions_equal_plain_ones() {
    let x = Array::<i64>::from_vec(vec![5, -3, 7, 0], 3).unwrap();
    assert_eq!(x.nansum().scalar().unwrap(), 9);
    assert_eq!(x.nanmin().scalar().unwrap(), -3);
    assert_eq!(x.nanargmax().scalar().unwrap(), 2);
    assert_eq!(x.nanmean().scalar().unwrap(), 2.25);
    assert_eq!(x.count_nonzero().scalar().unwrap(), 3);
}

#[test]
fn empty_nan_extremes_are_errors() {
    let x = Array::<f64>::zeros(&[0], 1).unwrap();
    assert!(x.nanmin().scalar().is_err());
    assert!(x.nanargmin().scalar().is_err());
    assert_eq!(x.nansum().scalar().unwrap(), 0.0);
    assert!(x.nanmean().scalar().unwrap().is_nan());
    assert!(x.moment(-1, 0, &ReduceArgs::all()).is_err());
}
