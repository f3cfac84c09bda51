//! The small element types `i8 i16 u8 u16`: arithmetic (wrapping, as NumPy's), reductions
//! (sums widen to i64/u64 as NumPy's do on 64-bit platforms), casts, comparisons, bit
//! operations and `.npy` round trips, checked against plain Rust.

use chunkflow::{Array, DType};
use proptest::prelude::*;

fn flat<T: Copy>(a: ndarray::ArrayD<T>) -> Vec<T> {
    a.iter().copied().collect()
}

proptest! {
    #[test]
    fn u8_arithmetic_and_sums(xs in prop::collection::vec(any::<u8>(), 1..40), chunk in 1usize..7) {
        let a = Array::from_slice(&xs, chunk).unwrap();
        let got = (&(&a * 3) + 200).compute().unwrap();
        let want: Vec<u8> = xs.iter().map(|x| x.wrapping_mul(3).wrapping_add(200)).collect();
        prop_assert_eq!(flat(got), want);
        prop_assert_eq!(a.sum().scalar().unwrap(), xs.iter().map(|&x| x as u64).sum::<u64>());
        prop_assert_eq!(a.max().scalar().unwrap(), *xs.iter().max().unwrap());
        let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / xs.len() as f64;
        prop_assert!((a.mean().scalar().unwrap() - mean).abs() < 1e-9);
        prop_assert_eq!(a.gt(100).sum().scalar().unwrap(), xs.iter().filter(|&&x| x > 100).count() as i64);
        let shifted = (&a >> 4).compute().unwrap();
        prop_assert_eq!(flat(shifted), xs.iter().map(|x| x >> 4).collect::<Vec<_>>());
    }

    #[test]
    fn i16_and_i8_behave_like_rust(xs in prop::collection::vec(any::<i16>(), 1..40), chunk in 1usize..7) {
        let a = Array::from_slice(&xs, chunk).unwrap();
        prop_assert_eq!(a.sum().scalar().unwrap(), xs.iter().map(|&x| x as i64).sum::<i64>());
        prop_assert_eq!(flat((-&a).compute().unwrap()), xs.iter().map(|x| x.wrapping_neg()).collect::<Vec<_>>());
        prop_assert_eq!(flat(a.cast::<i8>().compute().unwrap()), xs.iter().map(|&x| x as i8).collect::<Vec<_>>());
        let sums: Vec<i64> = xs.iter().scan(0i64, |s, &x| { *s += x as i64; Some(*s) }).collect();
        prop_assert_eq!(flat(a.cumsum(0).unwrap().compute().unwrap()), sums);
        prop_assert_eq!(a.argmin().scalar().unwrap() as usize, xs.iter().enumerate().min_by_key(|(i, x)| (**x, *i)).unwrap().0);
    }

    /// Axis reductions, order statistics, shape operations and integer functions on 2-d
    /// arrays of each small type, against ndarray.
    #[test]
    fn small_types_along_axes(rows in 1usize..6, cols in 1usize..6, seed in any::<u64>(), cr in 1usize..4, cc in 1usize..4, axis in 0usize..2) {
        let n = rows * cols;
        let bytes: Vec<u8> = (0..n as u64).map(|i| (seed.wrapping_mul(6364136223846793005).wrapping_add(i * 1442695040888963407) >> 56) as u8).collect();
        let shape = [rows, cols];
        let chunks = [cr.min(rows), cc.min(cols)];
        macro_rules! check {
            ($t:ty, $sum:ty) => {{
                let data: Vec<$t> = bytes.iter().map(|&b| (b as $t).wrapping_mul(77 as $t)).collect();
                let eager = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data).unwrap();
                let a = Array::from_ndarray(eager.clone(), chunks.as_slice()).unwrap();
                let ax = ndarray::Axis(axis);
                let sum = a.sum_axis(axis).unwrap().compute().unwrap();
                prop_assert_eq!(sum, eager.map_axis(ax, |l| l.iter().map(|&v| v as $sum).sum::<$sum>()));
                let max = a.max_axis(axis).unwrap().compute().unwrap();
                prop_assert_eq!(max, eager.map_axis(ax, |l| *l.iter().max().unwrap()));
                let sorted = a.sort(axis).unwrap().compute().unwrap();
                let mut want = eager.clone();
                for mut lane in want.lanes_mut(ax) {
                    let mut v = lane.to_vec();
                    v.sort();
                    lane.assign(&ndarray::Array1::from(v));
                }
                prop_assert_eq!(sorted, want);
                let t = a.transpose().compute().unwrap();
                prop_assert_eq!(t, eager.t().to_owned());
                let flipped = a.flip(axis).unwrap().compute().unwrap();
                let mut want = eager.clone();
                want.invert_axis(ax);
                prop_assert_eq!(flipped, want);
                let r = a.reshape(&[n]).unwrap().compute().unwrap();
                prop_assert_eq!(r.iter().copied().collect::<Vec<$t>>(), eager.iter().copied().collect::<Vec<$t>>());
                let cmp = a.ge(100 as $t).count_nonzero().scalar().unwrap();
                prop_assert_eq!(cmp as usize, eager.iter().filter(|&&v| v >= 100 as $t).count());
                let anded = (&a & (0x5a as $t)).compute().unwrap();
                prop_assert_eq!(anded, eager.mapv(|v| v & 0x5a as $t));
                let med = a.median(axis).unwrap().compute().unwrap();
                let want = eager.map_axis(ax, |l| {
                    let mut v: Vec<f64> = l.iter().map(|&e| e as f64).collect();
                    v.sort_by(|p, q| p.partial_cmp(q).unwrap());
                    let m = v.len() / 2;
                    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
                });
                prop_assert_eq!(med, want);
                let to_f = a.cast::<f64>().compute().unwrap();
                prop_assert_eq!(to_f, eager.mapv(|v| v as f64));
                // NumPy's floor division and modulo by a positive divisor are Euclid's;
                // integer powers wrap as NumPy's do.
                prop_assert_eq!(a.div_floor(7 as $t).compute().unwrap(), eager.mapv(|v| v.div_euclid(7 as $t)));
                prop_assert_eq!(a.rem_floor(7 as $t).compute().unwrap(), eager.mapv(|v| v.rem_euclid(7 as $t)));
                prop_assert_eq!(a.pow(3).compute().unwrap(), eager.mapv(|v| v.wrapping_pow(3)));
                let extremes = Array::from_vec(vec![<$t>::MIN, <$t>::MAX, 0 as $t, 1 as $t], 3).unwrap();
                prop_assert_eq!(flat(extremes.cumsum(0).unwrap().compute().unwrap()), vec![<$t>::MIN as $sum, <$t>::MIN as $sum + <$t>::MAX as $sum, <$t>::MIN as $sum + <$t>::MAX as $sum, <$t>::MIN as $sum + <$t>::MAX as $sum + 1]);
                prop_assert_eq!(extremes.sum().scalar().unwrap(), <$t>::MIN as $sum + <$t>::MAX as $sum + 1);
            }};
        }
        check!(u8, u64);
        check!(i8, i64);
        check!(u16, u64);
        check!(i16, i64);
    }
}

#[test]
fn small_types_round_trip_through_npy() {
    let dir = std::env::temp_dir().join(format!("chunkflow-small-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let u8s = Array::<u8>::from_vec((0..=255).collect(), 100).unwrap();
    let p = dir.join("u8.npy");
    u8s.to_npy(&p).unwrap();
    let back = Array::<u8>::from_npy(&p, 64).unwrap();
    assert_eq!(back.dtype(), DType::U8);
    assert_eq!(back.compute().unwrap(), u8s.compute().unwrap());
    // NumPy writes one-byte types with '|'.
    let bytes = std::fs::read(&p).unwrap();
    assert!(String::from_utf8_lossy(&bytes[..128]).contains("'|u1'"));
    let i16s = Array::<i16>::arange(-300, 300, 7, 16).unwrap();
    let q = dir.join("i16.npy");
    i16s.to_npy(&q).unwrap();
    assert_eq!(
        Array::<i16>::from_npy(&q, 16).unwrap().compute().unwrap(),
        i16s.compute().unwrap()
    );
    assert!(Array::<u16>::from_npy(&q, 16).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
