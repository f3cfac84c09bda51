//! Property tests for the order statistics against eager references: sort, argsort,
//! quantile/percentile/median (NumPy's linear method), topk/argtopk, histogram, bincount,
//! over random shapes, chunkings and axes.

use chunkflow::Array;
use ndarray::{ArrayD, Axis, IxDyn};
use proptest::prelude::*;

fn case() -> impl Strategy<Value = (ArrayD<f64>, Vec<usize>, usize)> {
    prop::collection::vec(1usize..6, 1..=3).prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        let ndim = shape.len();
        let chunk = shape.iter().map(|&l| 1..=l).collect::<Vec<_>>();
        (
            prop::collection::vec((-20i32..20).prop_map(|v| v as f64 * 0.5), n)
                .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap()),
            chunk,
            0..ndim,
        )
    })
}

fn numpy_quantile(lane: &[f64], q: f64) -> f64 {
    let mut v = lane.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sorting_and_quantiles((x, c, axis) in case(), q in 0.0f64..=1.0, k in 1usize..6) {
        let a = Array::from_ndarray(x.clone(), c.as_slice()).unwrap();
        let mut want = x.clone();
        for mut lane in want.lanes_mut(Axis(axis)) {
            let mut v = lane.to_vec();
            v.sort_by(|p, q| p.partial_cmp(q).unwrap());
            lane.assign(&ndarray::Array1::from(v));
        }
        prop_assert_eq!(a.sort(axis).unwrap().compute().unwrap(), want.clone());
        // argsort: stable order, so picking by it reproduces the sort.
        let idx = a.argsort(axis).unwrap().compute().unwrap();
        for (lane, il) in x.lanes(Axis(axis)).into_iter().zip(idx.lanes(Axis(axis))) {
            let picked: Vec<f64> = il.iter().map(|&i| lane[i as usize]).collect();
            let mut sorted = lane.to_vec();
            sorted.sort_by(|p, q| p.partial_cmp(q).unwrap());
            prop_assert_eq!(picked, sorted);
            prop_assert!(il.windows(2).into_iter().all(|w| lane[w[0] as usize] < lane[w[1] as usize] || w[0] < w[1]));
        }
        let got = a.quantile(q, axis).unwrap().compute().unwrap();
        let want_q = x.map_axis(Axis(axis), |l| numpy_quantile(&l.to_vec(), q));
        prop_assert!(got.iter().zip(&want_q).all(|(g, w)| (g - w).abs() < 1e-12), "{got:?} {want_q:?}");
        let med = a.median(axis).unwrap().compute().unwrap();
        let want_m = x.map_axis(Axis(axis), |l| numpy_quantile(&l.to_vec(), 0.5));
        prop_assert_eq!(med, want_m);
        // topk / argtopk
        let n = x.shape()[axis];
        if k <= n {
            let top = a.topk(k as isize, axis).unwrap().compute().unwrap();
            let bottom = a.topk(-(k as isize), axis).unwrap().compute().unwrap();
            let arg = a.argtopk(k as isize, axis).unwrap().compute().unwrap();
            for (((lane, t), b), ar) in x.lanes(Axis(axis)).into_iter().zip(top.lanes(Axis(axis))).zip(bottom.lanes(Axis(axis))).zip(arg.lanes(Axis(axis))) {
                let mut v = lane.to_vec();
                v.sort_by(|p, q| q.partial_cmp(p).unwrap());
                prop_assert_eq!(t.to_vec(), v[..k].to_vec());
                let picked: Vec<f64> = ar.iter().map(|&i| lane[i as usize]).collect();
                prop_assert_eq!(picked, v[..k].to_vec());
                v.reverse();
                prop_assert_eq!(b.to_vec(), v[..k].to_vec());
            }
        } else {
            prop_assert!(a.topk(k as isize, axis).is_err());
        }
    }

    #[test]
    fn histogram_and_bincount((x, c, _axis) in case(), bins in 1usize..7) {
        let a = Array::from_ndarray(x.clone(), c.as_slice()).unwrap();
        let (counts, edges) = a.histogram(bins, -5.0, 5.0).unwrap();
        let counts = counts.compute().unwrap();
        prop_assert_eq!(edges.len(), bins + 1);
        let mut want = vec![0i64; bins];
        for &v in x.iter() {
            if (-5.0..=5.0).contains(&v) {
                let mut b = edges.iter().rposition(|&e| e <= v).unwrap();
                if b == bins { b -= 1; }
                want[b] += 1;
            }
        }
        prop_assert_eq!(counts.as_slice().unwrap(), want.as_slice());
        let ints = Array::from_ndarray(x.mapv(|v| (v.abs() * 2.0) as i64), c.as_slice()).unwrap();
        let got = ints.bincount(41).unwrap().compute().unwrap();
        let mut want = vec![0i64; 41];
        for &v in x.iter() { want[(v.abs() * 2.0) as usize] += 1; }
        prop_assert_eq!(got.as_slice().unwrap(), want.as_slice());
    }
}

#[test]
fn order_statistic_errors() {
    let x = Array::<f64>::from_vec(vec![1.0, f64::NAN, 3.0], 2).unwrap();
    assert!(x.quantile(0.5, 0).unwrap().scalar().unwrap().is_nan());
    assert!(x.quantile(1.5, 0).is_err());
    assert!(x.percentile(-1.0, 0).is_err());
    assert!(x.topk(0, 0).is_err());
    assert!(x.topk(4, 0).is_err());
    assert!(x.histogram(0, 0.0, 1.0).is_err());
    assert!(x.histogram(3, 1.0, 0.0).is_err());
    assert!(x.median(1).is_err());
    assert!(Array::<f64>::zeros(&[0], 1).unwrap().median(0).is_err());
    let neg = Array::<i32>::from_vec(vec![1, -1], 1).unwrap();
    let err = neg.bincount(4).unwrap().compute().unwrap_err().to_string();
    assert!(err.contains("-1"), "{err}");
}
