//! Creation functions against NumPy's documented results: exact integer `arange`,
//! `linspace` without the endpoint, `eye`/`identity`/`tri`/`tril`/`triu`, `indices`,
//! `meshgrid` (both indexings) and the `*_like` constructors, over several chunkings.

use chunkflow::{Array, meshgrid};
use ndarray::{Array2, ArrayD, IxDyn};
use proptest::prelude::*;

#[test]
fn integer_arange_is_exact_beyond_f64() {
    let x = Array::<i64>::arange(1 << 60, (1 << 60) + 4, 1, 2).unwrap();
    let want: Vec<i64> = ((1i64 << 60)..(1 << 60) + 4).collect();
    assert_eq!(x.compute().unwrap().as_slice().unwrap(), want.as_slice());
    let y = Array::<u64>::arange(u64::MAX - 5, u64::MAX, 2, 2).unwrap();
    assert_eq!(
        y.compute().unwrap().as_slice().unwrap(),
        &[u64::MAX - 5, u64::MAX - 3, u64::MAX - 1]
    );
    let z = Array::<i32>::arange(i32::MAX, i32::MIN, -(1 << 30), 3).unwrap();
    let want: Vec<i32> = (0..4).map(|k| i32::MAX - k * (1 << 30)).collect();
    assert_eq!(z.compute().unwrap().as_slice().unwrap(), want.as_slice());
    assert_eq!(Array::<i64>::arange(5, 5, 1, 2).unwrap().len(), 0);
    assert_eq!(Array::<i64>::arange(5, 0, 1, 2).unwrap().len(), 0);
    assert!(Array::<i64>::arange(0, 5, 0, 2).is_err());
}

proptest! {
    #[test]
    fn integer_arange_matches_a_loop(start in -50i64..50, stop in -50i64..50, step in prop_oneof![-7i64..0, 1i64..7], chunk in 1usize..5) {
        let got = Array::<i64>::arange(start, stop, step, chunk).unwrap().compute().unwrap();
        let mut want = Vec::new();
        let mut v = start;
        while (step > 0 && v < stop) || (step < 0 && v > stop) {
            want.push(v);
            v += step;
        }
        prop_assert_eq!(got.as_slice().unwrap(), want.as_slice());
    }

    #[test]
    fn eye_tri_tril_triu_match_ndarray(n in 0usize..6, m in 0usize..6, k in -6isize..6, chunk in 1usize..4) {
        let eye = Array::<i64>::eye(n, m, k, chunk).unwrap().compute().unwrap();
        let tri = Array::<i64>::tri(n, m, k, chunk).unwrap().compute().unwrap();
        let want_eye = Array2::from_shape_fn((n, m), |(i, j)| i64::from(j as isize - i as isize == k));
        let want_tri = Array2::from_shape_fn((n, m), |(i, j)| i64::from(j as isize - i as isize <= k));
        prop_assert_eq!(eye, want_eye.into_dyn());
        prop_assert_eq!(tri, want_tri.clone().into_dyn());
        let data = Array2::from_shape_fn((n, m), |(i, j)| (i * 10 + j) as i64 + 1);
        let x = Array::from_ndarray(data.clone(), chunk).unwrap();
        let lower = x.tril(k).unwrap().compute().unwrap();
        prop_assert_eq!(lower, (&data * &want_tri).into_dyn());
        let upper = x.triu(k).unwrap().compute().unwrap();
        let want_upper = Array2::from_shape_fn((n, m), |(i, j)| if j as isize - i as isize >= k { data[[i, j]] } else { 0 });
        prop_assert_eq!(upper, want_upper.into_dyn());
    }
}

#[test]
fn tril_broadcasts_over_leading_axes_and_needs_two() {
    let x = Array::<f64>::ones(&[2, 3, 3], 2).unwrap();
    assert_eq!(x.tril(0).unwrap().sum().scalar().unwrap(), 12.0);
    assert!(Array::<f64>::ones(&[3], 2).unwrap().triu(0).is_err());
}

#[test]
fn linspace_without_endpoint() {
    let x = Array::<f64>::linspace_with(2.0, 3.0, 5, false, 2).unwrap();
    assert_eq!(
        x.compute().unwrap().as_slice().unwrap(),
        &[2.0, 2.2, 2.4, 2.6, 2.8]
    );
    let one = Array::<f64>::linspace_with(2.0, 3.0, 1, false, 1).unwrap();
    assert_eq!(one.compute().unwrap().as_slice().unwrap(), &[2.0]);
    assert_eq!(
        Array::<f64>::linspace_with(0.0, 1.0, 0, false, 1)
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn indices_and_meshgrid() {
    let g = Array::indices(&[2, 3], 2).unwrap().compute().unwrap();
    let want = ArrayD::from_shape_fn(IxDyn(&[2, 2, 3]), |i| i[1 + i[0]] as i64);
    assert_eq!(g, want);
    let x = Array::<i64>::arange(0, 3, 1, 2).unwrap();
    let y = Array::<i64>::arange(10, 12, 1, 1).unwrap();
    let z = Array::<i64>::arange(100, 104, 1, 3).unwrap();
    let xy = meshgrid(&[&x, &y, &z], false).unwrap();
    let ij = meshgrid(&[&x, &y, &z], true).unwrap();
    assert_eq!(xy[0].shape(), &[2, 3, 4]);
    assert_eq!(ij[0].shape(), &[3, 2, 4]);
    let (xy0, xy1, xy2) = (
        xy[0].compute().unwrap(),
        xy[1].compute().unwrap(),
        xy[2].compute().unwrap(),
    );
    for ((i, j, k), _) in ndarray::Array3::<u8>::zeros((2, 3, 4)).indexed_iter() {
        assert_eq!(xy0[[i, j, k]], j as i64);
        assert_eq!(xy1[[i, j, k]], 10 + i as i64);
        assert_eq!(xy2[[i, j, k]], 100 + k as i64);
    }
    let ij1 = ij[1].compute().unwrap();
    assert_eq!(ij1[[2, 1, 3]], 11);
    let m = Array::<i64>::zeros(&[2, 2], 1).unwrap();
    assert!(meshgrid(&[&m], true).is_err());
}

#[test]
fn like_constructors_copy_shape_and_chunks() {
    let x = Array::<f64>::ones(&[5, 3], [2, 3]).unwrap();
    let z = Array::<i32>::zeros_like(&x).unwrap();
    let o = Array::<u64>::ones_like(&x).unwrap();
    let f = Array::full_like(&x, true).unwrap();
    assert_eq!(z.chunks(), x.chunks());
    assert_eq!(o.sum().scalar().unwrap(), 15);
    assert!(f.all().scalar().unwrap());
}
