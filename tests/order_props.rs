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
    fn several_and_nan_quantiles((x, c, axis) in case(), qs in prop::collection::vec(0.0f64..=1.0, 1..4), holes in prop::collection::vec(any::<bool>(), 1..40)) {
        // Some elements NaN (the pattern repeated over the array).
        let mut holed = x.clone();
        for (i, v) in holed.iter_mut().enumerate() {
            if holes[i % holes.len()] { *v = f64::NAN; }
        }
        let a = Array::from_ndarray(x.clone(), c.as_slice()).unwrap();
        let h = Array::from_ndarray(holed.clone(), c.as_slice()).unwrap();
        let got = a.quantiles(&qs, axis).unwrap().compute().unwrap();
        let got_nan = h.nanquantiles(&qs, axis).unwrap().compute().unwrap();
        let got_plain_on_holes = h.quantiles(&qs, axis).unwrap().compute().unwrap();
        prop_assert_eq!(got.shape()[0], qs.len());
        for (k, &q) in qs.iter().enumerate() {
            let want = x.map_axis(Axis(axis), |l| numpy_quantile(&l.to_vec(), q));
            let g = got.index_axis(Axis(0), k);
            prop_assert!(g.iter().zip(&want).all(|(g, w)| (g - w).abs() < 1e-12), "{g:?} {want:?}");
            let want_nan = holed.map_axis(Axis(axis), |l| {
                let kept: Vec<f64> = l.iter().copied().filter(|v| !v.is_nan()).collect();
                if kept.is_empty() { f64::NAN } else { numpy_quantile(&kept, q) }
            });
            let g = got_nan.index_axis(Axis(0), k);
            prop_assert!(g.iter().zip(&want_nan).all(|(g, w)| (g.is_nan() && w.is_nan()) || (g - w).abs() < 1e-12), "{g:?} {want_nan:?}");
            let any_nan = holed.map_axis(Axis(axis), |l| l.iter().any(|v| v.is_nan()));
            let g = got_plain_on_holes.index_axis(Axis(0), k);
            prop_assert!(g.iter().zip(&any_nan).all(|(g, &n)| g.is_nan() == n));
        }
        let med = h.nanmedian(axis).unwrap().compute().unwrap();
        let want = got_nan.index_axis(Axis(0), 0).to_owned();
        if qs[0] == 0.5 { prop_assert_eq!(med, want); }
    }

    #[test]
    fn approximate_percentiles_lie_between_nearby_exact_ones(
        v in prop::collection::vec(-1000i32..1000, 1..3000),
        chunk in 1usize..800,
        ps in prop::collection::vec(0.0f64..=100.0, 1..4),
    ) {
        let x: Vec<f64> = v.iter().map(|&e| e as f64).collect();
        let got = Array::from_vec(x.clone(), chunk).unwrap().percentile_approx(&ps).unwrap().compute().unwrap();
        let exact = |p: f64| numpy_quantile(&x, p.clamp(0.0, 100.0) / 100.0);
        for (g, &p) in got.iter().zip(&ps) {
            if chunk >= x.len() {
                prop_assert!((g - exact(p)).abs() <= 1e-9 * (1.0 + exact(p).abs()), "{g} vs {}", exact(p));
            }
            // Each block's interpolated percentiles misplace its own distribution by about
            // one element (1/n_i of it) plus a grid step (1%); weighted by n_i/n that is
            // blocks/n of the whole, in percentile units 100·blocks/n + 1.
            let blocks = x.len().div_ceil(chunk) as f64;
            let d = 2.0 + 100.0 * blocks / x.len() as f64;
            prop_assert!(exact(p - d) - 1e-9 <= *g && *g <= exact(p + d) + 1e-9, "p {p}: {g} not in [{}, {}]", exact(p - d), exact(p + d));
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
    assert!(x.quantiles(&[], 0).is_err());
    assert!(x.quantiles(&[0.5, 2.0], 0).is_err());
    assert!(x.nanpercentile(100.5, 0).is_err());
    assert!(x.percentile_approx(&[]).is_err());
    assert!(x.percentile_approx(&[-1.0]).is_err());
    assert!(x.percentile_approx(&[50.0]).unwrap().compute().unwrap()[[0]].is_nan());
    assert!(
        Array::<f64>::zeros(&[0], 1)
            .unwrap()
            .percentile_approx(&[50.0])
            .is_err()
    );
    let all_nan = Array::<f64>::from_vec(vec![f64::NAN; 3], 2).unwrap();
    assert!(all_nan.nanmedian(0).unwrap().scalar().unwrap().is_nan());
    let neg = Array::<i32>::from_vec(vec![1, -1], 1).unwrap();
    let err = neg.bincount(4).unwrap().compute().unwrap_err().to_string();
    assert!(err.contains("-1"), "{err}");
}
