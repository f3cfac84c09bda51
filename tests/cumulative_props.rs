//! Property tests for cumulative sums and products against a sequential eager scan, over
//! random shapes, chunkings and axes. Integer scans are exact; float data are multiples of
//! 0.25 (sums exact in any order) and ±1/±2 for products. The `_flat` forms are checked
//! against the C-order ravel, scanned.

use chunkflow::Array;
use ndarray::{ArrayD, Axis, IxDyn};
use proptest::prelude::*;

mod chunking;

fn case<T: std::fmt::Debug + Clone + 'static>(
    value: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = (ArrayD<T>, Vec<Vec<usize>>, usize)> {
    prop::collection::vec(1usize..7, 1..=3).prop_flat_map(move |shape| {
        let n: usize = shape.iter().product();
        let ndim = shape.len();
        let chunks = chunking::chunks_for(&shape);
        let shape2 = shape.clone();
        (
            prop::collection::vec(value.clone(), n)
                .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&shape2), v).unwrap()),
            chunks,
            0..ndim,
        )
    })
}

fn eager_scan<T: Copy, S: Copy>(
    x: &ArrayD<T>,
    axis: usize,
    to: impl Fn(T) -> S,
    op: impl Fn(S, S) -> S,
) -> ArrayD<S> {
    let mut out = x.mapv(to);
    out.accumulate_axis_inplace(Axis(axis), |&p, c| *c = op(p, *c));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn integer_scans_are_exact((x, chunks, axis) in case(any::<i32>())) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        prop_assert_eq!(a.cumsum(axis).unwrap().compute().unwrap(), eager_scan(&x, axis, i64::from, i64::wrapping_add));
        prop_assert_eq!(a.cumprod(axis).unwrap().compute().unwrap(), eager_scan(&x, axis, i64::from, i64::wrapping_mul));
    }

    #[test]
    fn float_scans_match((x, chunks, axis) in case(prop_oneof![1 => Just(f64::NAN), 6 => (-8i32..=8).prop_map(|v| v as f64 * 0.25)])) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let same = |g: ArrayD<f64>, w: ArrayD<f64>| g.iter().zip(&w).all(|(a, b)| a == b || (a.is_nan() && b.is_nan()));
        prop_assert!(same(a.cumsum(axis).unwrap().compute().unwrap(), eager_scan(&x, axis, |v| v, |p, c| p + c)));
        let nz = |v: f64| if v.is_nan() { 0.0 } else { v };
        prop_assert!(same(a.nancumsum(axis).unwrap().compute().unwrap(), eager_scan(&x, axis, nz, |p, c| p + c)));
        let signs = x.mapv(|v| if v.is_nan() { v } else if v < 0.0 { -2.0 } else { 1.0 });
        let b = Array::from_ndarray(signs.clone(), a.chunks().as_lists().to_vec()).unwrap();
        prop_assert!(same(b.cumprod(axis).unwrap().compute().unwrap(), eager_scan(&signs, axis, |v| v, |p, c| p * c)));
        let n1 = |v: f64| if v.is_nan() { 1.0 } else { v };
        prop_assert!(same(b.nancumprod(axis).unwrap().compute().unwrap(), eager_scan(&signs, axis, n1, |p, c| p * c)));
    }

    #[test]
    fn flat_scans_ravel_in_c_order((x, chunks, _axis) in case(any::<i8>())) {
        // NumPy's cumsum(a) with no axis: the raveled array, scanned; i8 widens to i64.
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let flat = ArrayD::from_shape_vec(IxDyn(&[x.len()]), x.iter().copied().collect()).unwrap();
        prop_assert_eq!(a.cumsum_flat().unwrap().compute().unwrap(), eager_scan(&flat, 0, i64::from, i64::wrapping_add));
        prop_assert_eq!(a.cumprod_flat().unwrap().compute().unwrap(), eager_scan(&flat, 0, i64::from, i64::wrapping_mul));
        let f = x.mapv(|v| if v % 5 == 0 { f64::NAN } else { f64::from(v) * 0.25 });
        let b = Array::from_ndarray(f.clone(), a.chunks().as_lists().to_vec()).unwrap();
        let fflat = ArrayD::from_shape_vec(IxDyn(&[f.len()]), f.iter().copied().collect()).unwrap();
        let nz = |v: f64| if v.is_nan() { 0.0 } else { v };
        prop_assert_eq!(b.nancumsum_flat().unwrap().compute().unwrap(), eager_scan(&fflat, 0, nz, |p, c| p + c));
        let signs = fflat.mapv(|v| if v.is_nan() { v } else if v < 0.0 { -2.0 } else { 1.0 });
        let c = Array::from_ndarray(f.mapv(|v| if v.is_nan() { v } else if v < 0.0 { -2.0 } else { 1.0 }), a.chunks().as_lists().to_vec()).unwrap();
        let n1 = |v: f64| if v.is_nan() { 1.0 } else { v };
        prop_assert_eq!(c.nancumprod_flat().unwrap().compute().unwrap(), eager_scan(&signs, 0, n1, |p, c| p * c));
    }

    #[test]
    fn small_unsigned_scans_widen((x, chunks, axis) in case(any::<u16>())) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        prop_assert_eq!(a.cumsum(axis).unwrap().compute().unwrap(), eager_scan(&x, axis, u64::from, u64::wrapping_add));
    }

    #[test]
    fn bool_cumsum_counts((x, chunks, axis) in case(any::<bool>())) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        prop_assert_eq!(a.cumsum(axis).unwrap().compute().unwrap(), eager_scan(&x, axis, i64::from, |p, c| p + c));
    }
}

#[test]
fn scan_errors_and_fusion() {
    let x = Array::<f64>::ones(&[4, 3], 2).unwrap();
    assert!(matches!(
        x.cumsum(2),
        Err(chunkflow::Error::AxisOutOfRange { axis: 2, ndim: 2 })
    ));
    // A scan of an elementwise expression, then reduced.
    let s = (&x * 2.0).cumsum(0).unwrap().sum().scalar().unwrap();
    assert_eq!(s, 3.0 * (2.0 + 4.0 + 6.0 + 8.0));
    let empty = Array::<f64>::zeros(&[0, 3], 1).unwrap();
    assert_eq!(empty.cumsum(0).unwrap().compute().unwrap().shape(), &[0, 3]);
}
