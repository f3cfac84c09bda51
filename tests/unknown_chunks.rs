//! Data-dependent results with unknown chunk sizes — `mask`, `compress`, `argwhere`,
//! `nonzero`, `unique`, `unique_counts` — against eager references over random shapes and
//! chunkings; what works on them (elementwise, reductions, compute, compute_chunk_sizes)
//! and what is an `UnknownChunkSizes` error.

mod chunking;

use std::collections::BTreeMap;

use chunkflow::{Array, Error};
use chunking::chunked;
use ndarray::{ArrayD, Axis, Dimension};
use proptest::prelude::*;

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..5, 0..=3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mask_matches_numpy_boolean_indexing((x, c) in chunked(shape()), threshold in -8.0f64..8.0) {
        let a = Array::from_ndarray(x.clone(), c.clone()).unwrap();
        let m = a.gt(threshold);
        let got = a.mask(&m).unwrap();
        prop_assert!(!got.chunks().is_known());
        let want: Vec<f64> = x.iter().copied().filter(|&v| v > threshold).collect();
        prop_assert_eq!(got.compute().unwrap().into_raw_vec_and_offset().0, want.clone());
        // Elementwise with scalars and 0-d arrays, fused reductions.
        let shifted = (&got * 2.0 + 1.0 - &a.sum()).compute().unwrap();
        let total: f64 = x.iter().sum();
        let want_shifted: Vec<f64> = want.iter().map(|v| v * 2.0 + 1.0 - total).collect();
        prop_assert_eq!(shifted.into_raw_vec_and_offset().0, want_shifted);
        prop_assert_eq!(got.sum().scalar().unwrap(), want.iter().sum::<f64>());
        prop_assert_eq!((&got * &got).sum().scalar().unwrap(), want.iter().map(|v| v * v).sum::<f64>());
        prop_assert_eq!(got.count_nonzero().scalar().unwrap() as usize, want.iter().filter(|&&v| v != 0.0).count());
        if !want.is_empty() {
            prop_assert_eq!(got.max().scalar().unwrap(), want.iter().copied().fold(f64::MIN, f64::max));
        }
        // Sizes found: the same values, and size-needing operations work.
        let known = got.compute_chunk_sizes().unwrap();
        prop_assert!(known.chunks().is_known());
        prop_assert_eq!(known.shape(), &[want.len()]);
        prop_assert_eq!(known.chunks().axis(0).iter().sum::<usize>(), want.len());
        prop_assert_eq!(known.reshape(&[want.len(), 1]).unwrap().compute().unwrap().into_raw_vec_and_offset().0, want.clone());
        prop_assert_eq!(known.persist().unwrap().compute().unwrap().into_raw_vec_and_offset().0, want.clone());
        let persisted = got.persist().unwrap();
        prop_assert_eq!(persisted.shape(), &[want.len()]);
    }

    #[test]
    fn compress_matches_numpy((x, c) in chunked(prop::collection::vec(1usize..5, 1..=3)), axis in 0usize..3, keep in prop::collection::vec(any::<bool>(), 1..6)) {
        let axis = axis % x.ndim();
        let len = keep.len().min(x.shape()[axis]);
        let keep = &keep[..len];
        let a = Array::from_ndarray(x.clone(), c).unwrap();
        let cond = Array::from_vec(keep.to_vec(), 2).unwrap();
        let got = a.compress(&cond, axis).unwrap();
        prop_assert_eq!(got.chunks().unknown_axes(), vec![axis]);
        let picked: Vec<usize> = (0..len).filter(|&i| keep[i]).collect();
        prop_assert_eq!(got.compute().unwrap(), x.select(Axis(axis), &picked));
        prop_assert_eq!(got.sum_axis(axis).unwrap().compute().unwrap(), x.select(Axis(axis), &picked).sum_axis(Axis(axis)));
    }

    #[test]
    fn argwhere_nonzero_and_unique((x, c) in chunked(shape())) {
        let x = x.mapv(|v| (v / 3.0).round());
        let a = Array::from_ndarray(x.clone(), c).unwrap();
        let mut rows: Vec<Vec<u64>> = Vec::new();
        for (index, &v) in x.indexed_iter() {
            if v != 0.0 {
                rows.push(index.slice().iter().map(|&i| i as u64).collect());
            }
        }
        let w = a.argwhere().unwrap().compute().unwrap();
        prop_assert_eq!(w.shape(), &[rows.len(), x.ndim()]);
        prop_assert_eq!(w.into_raw_vec_and_offset().0, rows.concat());
        if x.ndim() > 0 {
            let nz = a.nonzero().unwrap();
            for (axis, arr) in nz.iter().enumerate() {
                let col: Vec<u64> = rows.iter().map(|r| r[axis]).collect();
                prop_assert_eq!(arr.compute().unwrap().into_raw_vec_and_offset().0, col);
            }
        }
        let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
        for &v in x.iter() {
            *counts.entry(v as i64).or_default() += 1;
        }
        let (u, n) = a.unique_counts().unwrap();
        let (u, n) = chunkflow::compute((&u, &n)).unwrap();
        prop_assert_eq!(u.iter().map(|&v| v as i64).collect::<Vec<_>>(), counts.keys().copied().collect::<Vec<_>>());
        prop_assert_eq!(n.into_raw_vec_and_offset().0, counts.values().copied().collect::<Vec<_>>());
    }
}

/// Whether building (or, for an array built poisoned, checking it) gave the unknown-size
/// error.
fn is_unknown_error<T: std::fmt::Debug + 'static>(r: Result<T, Error>) -> bool {
    let r = r.and_then(
        |v| match (&v as &dyn std::any::Any).downcast_ref::<Array<f64>>() {
            Some(a) => a.check().map(|_| v),
            None => Ok(v),
        },
    );
    match r {
        Err(Error::UnknownChunkSizes { .. }) => true,
        other => {
            eprintln!("not an unknown-size error: {other:?}");
            false
        }
    }
}

#[test]
fn operations_that_need_sizes_are_clear_errors() {
    let x = Array::<f64>::from_vec(vec![1.0, -2.0, 3.0, -4.0, 5.0, 6.0], 2).unwrap();
    let m = x.mask(&x.gt(0.0)).unwrap();
    assert!(is_unknown_error(m.reshape(&[4])));
    assert!(is_unknown_error(m.rechunk(2)));
    assert!(is_unknown_error(m.slice(ndarray::s![1..])));
    assert!(is_unknown_error(m.argmin().scalar()));
    assert!(is_unknown_error(m.mask(&m.gt(0.0))));
    assert!(is_unknown_error(m.cumsum(0)));
    // Elementwise with a known array of another length along the unknown axis.
    let known = Array::<f64>::ones(&[6], 2).unwrap();
    assert!(is_unknown_error((&m + &known).compute()));
    let err = m.reshape(&[4]).unwrap_err().to_string();
    assert!(err.contains("compute_chunk_sizes"), "{err}");
    let dir = std::env::temp_dir().join(format!("chunkflow-unknown-{}.npy", std::process::id()));
    assert!(is_unknown_error(m.to_npy(&dir)));
    assert!(!dir.exists());
    // Two masks of the same array with different selections meet: an error when run.
    let other = x.mask(&x.lt(0.0)).unwrap();
    let err = (&m + &other).compute().unwrap_err();
    assert!(err.to_string().contains("broadcast"), "{err:?}");
    // Shape mismatch of the mask itself.
    assert!(x.mask(&Array::from_vec(vec![true; 5], 2).unwrap()).is_err());
    assert!(
        x.compress(&Array::from_vec(vec![true; 7], 2).unwrap(), 0)
            .is_err()
    );
    assert!(
        x.compress(&Array::from_vec(vec![true; 2], 2).unwrap(), 1)
            .is_err()
    );
    assert!(Array::<f64>::full(&[], 1.0, 1).unwrap().nonzero().is_err());
}

#[test]
fn masks_of_nan_and_unique_nan() {
    let x = Array::from_vec(vec![f64::NAN, 1.0, f64::NAN, -0.0, 0.0, 1.0], 4).unwrap();
    let u = x.unique().unwrap().compute().unwrap();
    assert_eq!(u.len(), 3);
    assert_eq!(u[[0]], 0.0);
    assert_eq!(u[[1]], 1.0);
    assert!(u[[2]].is_nan());
    // NaN counts as nonzero.
    assert_eq!(x.argwhere().unwrap().compute().unwrap().shape(), &[4, 1]);
    let kept = x.mask(&x.isnan()).unwrap().compute().unwrap();
    assert_eq!(kept.len(), 2);
    let empty: ArrayD<f64> = x.mask(&x.gt(10.0)).unwrap().compute().unwrap();
    assert_eq!(empty.shape(), &[0]);
}

#[test]
fn a_bag_becomes_an_array_of_unknown_chunk_sizes() {
    let b = chunkflow::Bag::from_partitions(vec![vec![1i64, 2, 3], vec![], vec![4, 5]]).unwrap();
    let x = b.map(|v| v * 10).to_array();
    assert_eq!(x.chunks().unknown_axes(), vec![0]);
    assert_eq!(
        x.compute().unwrap().as_slice().unwrap(),
        &[10, 20, 30, 40, 50]
    );
    assert_eq!(x.sum().scalar().unwrap(), 150);
    // Two arrays from one bag in one computation: the bag's tasks run once.
    let y = b.to_array();
    assert_eq!(
        (&x + &y).compute().unwrap().as_slice().unwrap(),
        &[11, 22, 33, 44, 55]
    );
    let err = x.slice(ndarray::s![1..]).unwrap_err();
    assert!(matches!(err, Error::UnknownChunkSizes { .. }), "{err}");
    let known = x.compute_chunk_sizes().unwrap();
    assert_eq!(known.chunks().axis(0), &[3, 0, 2]);
    assert_eq!(
        known
            .slice(ndarray::s![2..4])
            .unwrap()
            .compute()
            .unwrap()
            .as_slice()
            .unwrap(),
        &[30, 40]
    );
    // A panicking closure in the bag is an error of the array's computation.
    let bad = b
        .map(|v| if v == 4 { panic!("four") } else { v as f64 })
        .to_array();
    let err = bad.mean().scalar().unwrap_err();
    assert!(err.to_string().contains("four"), "{err}");
}
