//! Block-level escape hatches against eager ndarray: `map_blocks_info`, multi-input
//! `map_blocks`, `from_blocks`, `from_source`, and their errors (wrong block shapes, `Err`s
//! and panics inside closures).

mod chunking;

use chunkflow::{Array, BlockInfo, ChunkSource, Error, map_blocks, map_blocks_with_chunks};
use ndarray::{ArrayD, ArrayViewD, Dimension, IxDyn};
use proptest::prelude::*;

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1 => Just(1usize), 4 => 1usize..7], 1..=3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every block sees its own offset: rebuilding the global index from it is exact.
    #[test]
    fn map_blocks_info_sees_its_block((x, chunks) in chunking::chunked(shape())) {
        let shape = x.shape().to_vec();
        let a = Array::from_ndarray(x.clone(), chunks.clone()).unwrap();
        let y = a.map_blocks_info(move |b, info| {
            assert_eq!(b.shape(), info.shape.as_slice());
            Ok(ArrayD::from_shape_fn(b.raw_dim(), |i| {
                let mut flat = 0;
                for (d, &l) in i.slice().iter().enumerate() {
                    flat = flat * info.array_shape[d] + info.offset[d] + l;
                }
                flat as f64 + b[&i] * 0.0
            }))
        }).unwrap();
        let expected = ArrayD::from_shape_fn(IxDyn(&shape), |i| {
            let mut flat = 0;
            for (d, &l) in i.slice().iter().enumerate() {
                flat = flat * shape[d] + l;
            }
            flat as f64
        });
        prop_assert_eq!(y.compute().unwrap(), expected);
    }

    /// Two arrays with different chunkings (one broadcast) are unified and added blockwise.
    #[test]
    fn multi_input_map_blocks_matches_ndarray(
        ((x, cx), (r, cr)) in shape().prop_flat_map(|s| {
            let mut row = s.clone();
            row[0] = 1;
            (chunking::chunked(Just(s)), chunking::chunked(Just(row)))
        })
    ) {
        let a = Array::from_ndarray(x.clone(), cx).unwrap();
        let b = Array::from_ndarray(r.clone(), cr).unwrap();
        let c = map_blocks(&[&a, &b], |bl, info| {
            assert_eq!(bl[0].shape(), info.shape.as_slice());
            Ok(&bl[0] * 2.0 + &bl[1])
        }).unwrap();
        prop_assert_eq!(c.compute().unwrap(), &x * 2.0 + &r);
    }

    /// `from_blocks` with random chunks equals `from_fn` of the same index function.
    #[test]
    fn from_blocks_matches_from_fn((x, chunks) in chunking::chunked(shape())) {
        let shape = x.shape().to_vec();
        let f = |i: &[usize]| i.iter().enumerate().map(|(d, &v)| (d + 1) * v).sum::<usize>() as i64;
        let a = Array::<i64>::from_blocks(&shape, chunks, move |info| {
            Ok(ArrayD::from_shape_fn(IxDyn(&info.shape), |i| {
                let g: Vec<usize> = i.slice().iter().zip(&info.offset).map(|(l, o)| l + o).collect();
                f(&g)
            }))
        }).unwrap();
        let b = Array::<i64>::from_fn(&shape, 2, f).unwrap();
        prop_assert_eq!(a.compute().unwrap(), b.compute().unwrap());
    }
}

#[test]
fn block_info_indexes_the_grid() {
    let x = Array::<u32>::from_blocks(&[5, 3], [2, 2], |info| {
        Ok(ArrayD::from_elem(
            info.shape.clone(),
            (10 * info.index[0] + info.index[1]) as u32,
        ))
    })
    .unwrap();
    let got = x.compute().unwrap();
    assert_eq!(got[[0, 0]], 0);
    assert_eq!(got[[4, 2]], 21);
    assert_eq!(got[[3, 1]], 10);
}

struct Failing;

impl ChunkSource<f64> for Failing {
    fn block(&self, info: &BlockInfo) -> chunkflow::Result<ArrayD<f64>> {
        if info.index == [1] {
            Err(Error::InvalidArgument("cannot read block 1".into()))
        } else {
            Ok(ArrayD::zeros(info.shape.clone()))
        }
    }
    fn name(&self) -> &str {
        "failing_reader"
    }
}

#[test]
fn a_source_error_names_the_task() {
    let x = Array::from_source(&[6], 3, Failing).unwrap();
    let err = x.sum().scalar().unwrap_err().to_string();
    assert!(err.contains("cannot read block 1"), "{err}");
    assert!(err.contains("failing_reader"), "{err}");
}

#[test]
fn wrong_block_shapes_are_errors_naming_the_block() {
    let x = Array::<f64>::ones(&[4, 4], 2).unwrap();
    let y = x
        .map_blocks_info(|b, info| {
            if info.index == [1, 0] {
                Ok(ArrayD::zeros(vec![1, 2]))
            } else {
                Ok(b.to_owned())
            }
        })
        .unwrap();
    let err = y.compute().unwrap_err().to_string();
    assert!(err.contains("[1, 0]") && err.contains("[1, 2]"), "{err}");
    let z = Array::<f32>::from_blocks(&[3, 3], 2, |_| Ok(ArrayD::zeros(vec![2, 2]))).unwrap();
    let err = z.compute().unwrap_err().to_string();
    assert!(
        err.contains("block [0, 1]")
            || err.contains("block [1, 0]")
            || err.contains("block [1, 1]"),
        "{err}"
    );
}

#[test]
fn panicking_closures_are_errors() {
    let x = Array::<f64>::ones(&[4], 2).unwrap();
    let y = x
        .map_blocks_info(|b, info| {
            if info.index == [1] {
                panic!("boom in block 1");
            }
            Ok(b.to_owned())
        })
        .unwrap();
    let err = y.compute().unwrap_err().to_string();
    assert!(err.contains("boom in block 1"), "{err}");
    // The pool is still usable.
    assert_eq!(x.sum().scalar().unwrap(), 4.0);
}

#[test]
fn declared_chunks_must_match_the_grid() {
    let a = Array::<i32>::ones(&[4], 2).unwrap();
    let err = map_blocks_with_chunks(&[&a], vec![vec![4]], |b, _| Ok(b[0].to_owned())).unwrap_err();
    assert!(matches!(err, Error::InvalidChunks(_)), "{err}");
    let err = map_blocks::<i32, i32>(&[], |b, _| Ok(b[0].to_owned())).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)));
    let b = Array::<i32>::ones(&[3], 2).unwrap();
    let err = map_blocks(&[&a, &b], |b, _| Ok(b[0].to_owned())).unwrap_err();
    assert!(
        err.to_string().contains("[4]") && err.to_string().contains("[3]"),
        "{err}"
    );
}

#[test]
fn output_dtype_and_chunks_may_differ() {
    let a = Array::<f64>::linspace(0.0, 1.0, 9, 3).unwrap();
    let counts = a
        .map_blocks_info_with_chunks(vec![vec![2, 2, 2]], |b, info| {
            Ok(ndarray::arr1(&[info.index[0] as u32, b.len() as u32]).into_dyn())
        })
        .unwrap();
    assert_eq!(
        counts.compute().unwrap().as_slice().unwrap(),
        &[0, 3, 1, 3, 2, 3]
    );
}

/// Sums of squares over `axes` by a user-defined reduction, the eager way.
fn eager_sum_squares(x: &ArrayD<f64>, axes: &[usize], keepdims: bool) -> ArrayD<f64> {
    let mut out = x.mapv(|v| v * v);
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    for &a in sorted.iter().rev() {
        out = out.sum_axis(ndarray::Axis(a));
        if keepdims {
            out = out.insert_axis(ndarray::Axis(a));
        }
    }
    out
}

fn sum_over(b: ArrayViewD<'_, f64>, axes: &[usize]) -> ArrayD<f64> {
    let mut out = b.to_owned();
    for &a in axes {
        out = out.sum_axis(ndarray::Axis(a)).insert_axis(ndarray::Axis(a));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn user_reduction_matches_ndarray(
        ((x, chunks), axes_mask, keepdims, split_every) in (
            chunking::chunked(shape()),
            prop::collection::vec(any::<bool>(), 3),
            any::<bool>(),
            2usize..5,
        )
    ) {
        let axes: Vec<usize> = (0..x.ndim()).filter(|&a| axes_mask[a]).collect();
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let r = a.reduction(
            &axes,
            keepdims,
            split_every,
            |b, axes| sum_over(b.mapv(|v| v * v).view(), axes),
            |states, axes| {
                let mut acc = sum_over(states[0].clone(), axes);
                for s in &states[1..] {
                    acc += &sum_over(s.clone(), axes);
                }
                acc
            },
            |s, _| s.to_owned(),
        ).unwrap();
        prop_assert_eq!(r.compute().unwrap(), eager_sum_squares(&x, &axes, keepdims));
    }
}

#[test]
fn user_reduction_errors() {
    let a = Array::<f64>::ones(&[4, 4], 2).unwrap();
    let id = |b: ArrayViewD<'_, f64>, _: &[usize]| b.to_owned();
    let first = |s: &[ArrayViewD<'_, f64>], _: &[usize]| s[0].to_owned();
    assert!(matches!(
        a.reduction(&[2], false, 4, id, first, id).unwrap_err(),
        Error::AxisOutOfRange { axis: 2, ndim: 2 }
    ));
    assert!(a.reduction(&[0, 0], false, 4, id, first, id).is_err());
    assert!(a.reduction(&[0], false, 1, id, first, id).is_err());
    // A state that changes a kept axis' length.
    let bad = a
        .reduction(
            &[0],
            true,
            4,
            |b, _| ArrayD::zeros(vec![1, b.shape()[1] + 1]),
            first,
            id,
        )
        .unwrap();
    let e = bad.compute().unwrap_err().to_string();
    assert!(e.contains("chunk returned a state of shape [1, 3]"), "{e}");
    // An aggregate that keeps the reduced axis' length.
    let bad = a.reduction(&[0], true, 4, id, first, id).unwrap();
    let e = bad.compute().unwrap_err().to_string();
    assert!(
        e.contains("aggregate returned a block of shape [2, 2]"),
        "{e}"
    );
}
