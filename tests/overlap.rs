//! `overlap`, `trim_internal` and `map_overlap` against the same operations on the whole
//! ndarray, padded as `np.pad` does (Reflect = "symmetric", Periodic = "wrap", Nearest =
//! "edge", Constant = "constant"), over random shapes, chunkings (size-1 axes and chunks
//! smaller than the depth included), depths and boundaries. Results are exact: every
//! element is a copy or the same arithmetic in the same order.

mod chunking;

use chunkflow::{Array, Boundary};
use ndarray::{Array1, Array2, ArrayD, ArrayView2, Axis, Dimension, Ix2, IxDyn};
use proptest::prelude::*;

/// The source index of padded position `g` (in `-d..n+d`), by repeated folding (an
/// independent formulation of the crate's modular one); `None` for a constant.
fn pad_index(g: isize, n: usize, b: &Boundary<f64>) -> Option<usize> {
    let n = n as isize;
    match b {
        _ if (0..n).contains(&g) => Some(g as usize),
        Boundary::Reflect => {
            let mut i = g;
            while !(0..n).contains(&i) {
                i = if i < 0 { -i - 1 } else { 2 * n - 1 - i };
            }
            Some(i as usize)
        }
        Boundary::Periodic => Some((((g % n) + n) % n) as usize),
        Boundary::Nearest => Some(g.clamp(0, n - 1) as usize),
        Boundary::Constant(_) | Boundary::None => None,
    }
}

/// The whole array padded by `depth` with a boundary per axis, one axis after the other
/// as Dask does (so where two constants meet, the later axis' wins); `None` pads with NaN,
/// never read.
fn pad(x: &ArrayD<f64>, depth: &[usize], b: &[Boundary<f64>]) -> ArrayD<f64> {
    let shape: Vec<usize> = x
        .shape()
        .iter()
        .zip(depth)
        .map(|(n, d)| n + 2 * d)
        .collect();
    ArrayD::from_shape_fn(IxDyn(&shape), |i| {
        let mut src = Vec::with_capacity(shape.len());
        let mut fill = None;
        for (a, &p) in i.slice().iter().enumerate() {
            match pad_index(p as isize - depth[a] as isize, x.shape()[a], &b[a]) {
                Some(s) => src.push(s),
                None => {
                    fill = Some(match b[a] {
                        Boundary::Constant(v) => v,
                        _ => f64::NAN,
                    });
                    src.push(0);
                }
            }
        }
        fill.unwrap_or_else(|| x[IxDyn(&src)])
    })
}

fn boundary() -> impl Strategy<Value = Boundary<f64>> {
    prop_oneof![
        Just(Boundary::Reflect),
        Just(Boundary::Periodic),
        Just(Boundary::Nearest),
        Just(Boundary::Constant(-100.0)),
        Just(Boundary::Constant(-200.0)),
        Just(Boundary::None),
    ]
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1 => Just(1usize), 4 => 1usize..8], 1..=3)
}

/// Per axis, the padded positions the blocks of `chunks` extended by their halos cover.
fn extended_positions(
    chunks: &[Vec<usize>],
    depth: &[usize],
    b: &[Boundary<f64>],
) -> Vec<Vec<usize>> {
    chunks
        .iter()
        .zip(depth)
        .zip(b)
        .map(|((list, &d), b)| {
            let none = *b == Boundary::None;
            let mut out = Vec::new();
            let mut start = 0;
            for (i, &s) in list.iter().enumerate() {
                let l = if none && i == 0 { 0 } else { d };
                let r = if none && i + 1 == list.len() { 0 } else { d };
                out.extend(start + d - l..start + s + d + r);
                start += s;
            }
            out
        })
        .collect()
}

/// The 5-point Laplacian of the interior of `p` (the border is copied).
fn laplacian(p: ArrayView2<'_, f64>) -> Array2<f64> {
    let mut out = p.to_owned();
    let (n, m) = p.dim();
    for i in 1..n.saturating_sub(1) {
        for j in 1..m.saturating_sub(1) {
            out[[i, j]] =
                p[[i - 1, j]] + p[[i + 1, j]] + p[[i, j - 1]] + p[[i, j + 1]] - 4.0 * p[[i, j]];
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `overlap` gives each block its neighbours' (and the boundary's) elements, whatever
    /// the depth relative to the chunks, with a boundary rule per axis, and
    /// `trim_internal` undoes it.
    #[test]
    fn overlap_matches_padding(
        ((x, chunks), depth, b) in shape().prop_flat_map(|s| {
            let n = s.len();
            (
                chunking::chunked(Just(s)),
                prop::collection::vec(0usize..=4, n),
                prop::collection::vec(boundary(), n),
            )
        })
    ) {
        let a = Array::from_ndarray(x.clone(), chunks.clone()).unwrap();
        // Overlapping merges zero-size chunks away first (halos come from neighbours).
        let chunks: Vec<Vec<usize>> = chunks
            .iter()
            .map(|l| {
                let kept: Vec<usize> = l.iter().copied().filter(|&c| c > 0).collect();
                if kept.is_empty() { vec![0] } else { kept }
            })
            .collect();
        let reaches_past = chunks.iter().zip(&depth).zip(&b).any(|((list, &d), b)| {
            if *b != Boundary::None {
                return false;
            }
            let n: usize = list.iter().sum();
            let mut start = 0;
            list.iter().enumerate().any(|(i, &s)| {
                let past = (i > 0 && d > start) || (i + 1 < list.len() && start + s + d > n);
                start += s;
                past
            })
        });
        if reaches_past {
            let err = a.overlap(&depth, b.clone()).unwrap_err().to_string();
            prop_assert!(err.contains("reaches past"), "{}", err);
            return Ok(());
        }
        let o = a.overlap(&depth, b.clone()).unwrap();
        let mut expected = pad(&x, &depth, &b);
        for (axis, idx) in extended_positions(&chunks, &depth, &b).iter().enumerate() {
            expected = expected.select(Axis(axis), idx);
        }
        let got = o.compute().unwrap();
        prop_assert_eq!(got.shape(), expected.shape());
        prop_assert!(got.iter().zip(expected.iter()).all(|(g, e)| g == e || (g.is_nan() && e.is_nan())),
            "got {:?}\nexpected {:?}", got, expected);
        let back = o.trim_internal(&depth, b.clone()).unwrap();
        prop_assert_eq!(back.chunks().as_lists(), chunks.as_slice());
        prop_assert_eq!(back.compute().unwrap(), x);
    }

    /// The 5-point Laplacian by `map_overlap` equals the Laplacian of the padded ndarray.
    #[test]
    fn laplacian_matches_whole_array(
        ((x, chunks), b) in (
            chunking::chunked(prop::collection::vec(1usize..9, 2)),
            boundary(),
        )
    ) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let lap = a.map_overlap(&[1, 1], b, |block| {
            laplacian(block.into_dimensionality::<Ix2>().unwrap()).into_dyn()
        }).unwrap();
        let expected = if b == Boundary::None {
            laplacian(x.view().into_dimensionality::<Ix2>().unwrap())
        } else {
            let p = pad(&x, &[1, 1], &[b, b]).into_dimensionality::<Ix2>().unwrap();
            let full = laplacian(p.view());
            let (n, m) = x.dim2();
            full.slice(ndarray::s![1..n + 1, 1..m + 1]).to_owned()
        };
        prop_assert_eq!(lap.compute().unwrap(), expected.into_dyn());
    }

    /// A moving average of width 2k + 1 with periodic boundaries, k up to 3 (more than
    /// some chunks).
    #[test]
    fn moving_average_matches_whole_array(
        ((x, chunks), k) in (chunking::chunked(prop::collection::vec(1usize..24, 1)), 1usize..=3)
    ) {
        let n = x.len();
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let avg = a.map_overlap(&[k], Boundary::Periodic, move |b| {
            let mut out = b.to_owned();
            for i in k..b.len() - k {
                out[i] = (i - k..=i + k).map(|j| b[j]).sum::<f64>() / (2 * k + 1) as f64;
            }
            out
        }).unwrap();
        let x1: Array1<f64> = x.into_dimensionality().unwrap();
        let expected = Array1::from_shape_fn(n, |i| {
            (0..=2 * k).map(|t| x1[(i + n * 4 + t - k) % n]).sum::<f64>() / (2 * k + 1) as f64
        });
        prop_assert_eq!(avg.compute().unwrap(), expected.into_dyn());
    }
}

trait Dim2 {
    fn dim2(&self) -> (usize, usize);
}
impl Dim2 for ArrayD<f64> {
    fn dim2(&self) -> (usize, usize) {
        (self.shape()[0], self.shape()[1])
    }
}

#[test]
fn boundary_modes_match_np_pad() {
    // np.pad([1, 2, 3], 4, mode) for each mode, written out by hand.
    let x = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0, 2.0, 3.0]).unwrap();
    let cases: [(Boundary<f64>, [f64; 11]); 4] = [
        (
            Boundary::Reflect,
            [3., 3., 2., 1., 1., 2., 3., 3., 2., 1., 1.],
        ),
        (
            Boundary::Periodic,
            [3., 1., 2., 3., 1., 2., 3., 1., 2., 3., 1.],
        ),
        (
            Boundary::Nearest,
            [1., 1., 1., 1., 1., 2., 3., 3., 3., 3., 3.],
        ),
        (
            Boundary::Constant(9.0),
            [9., 9., 9., 9., 1., 2., 3., 9., 9., 9., 9.],
        ),
    ];
    for (b, want) in cases {
        let o = Array::from_ndarray(x.clone(), 3)
            .unwrap()
            .overlap(&[4], b)
            .unwrap();
        assert_eq!(o.compute().unwrap().as_slice().unwrap(), &want, "{b:?}");
        assert_eq!(
            pad(&x, &[4], &[b]).as_slice().unwrap(),
            &want,
            "reference {b:?}"
        );
    }
}

#[test]
fn bad_input_is_an_error() {
    let a = Array::<f64>::ones(&[4, 4], 2).unwrap();
    let err = a.overlap(&[1], Boundary::Reflect).unwrap_err().to_string();
    assert!(err.contains("[1]") && err.contains("[4, 4]"), "{err}");
    assert!(
        a.map_overlap(&[1, 1, 1], Boundary::None, |b| b.to_owned())
            .is_err()
    );
    let err = a
        .trim_internal(&[2, 0], Boundary::Nearest)
        .unwrap_err()
        .to_string();
    assert!(err.contains("axis 0"), "{err}");
    // A closure returning the un-extended shape.
    let y = a
        .map_overlap(&[1, 1], Boundary::Nearest, |b| {
            ArrayD::<f64>::zeros(IxDyn(&[b.shape()[0] - 2, b.shape()[1] - 2]))
        })
        .unwrap();
    let err = y.compute().unwrap_err().to_string();
    assert!(
        err.contains("map_overlap") && err.contains("[2, 2]") && err.contains("[4, 4]"),
        "{err}"
    );
}

#[test]
fn empty_and_zero_depth_axes() {
    let a = Array::<f64>::zeros(&[0, 3], 2).unwrap();
    let o = a.overlap(&[2, 1], Boundary::Reflect).unwrap();
    assert_eq!(o.compute().unwrap().shape(), &[0, 7]);
    let b = Array::<i32>::arange(0, 5, 1, 2).unwrap();
    let same = b
        .map_overlap(&[0], Boundary::Reflect, |x| x.to_owned())
        .unwrap();
    assert_eq!(
        same.compute().unwrap().as_slice().unwrap(),
        &[0, 1, 2, 3, 4]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `map_overlap` over two arrays with different chunkings (unified first): each block
    /// of both gets the same halos.
    #[test]
    fn map_overlap_of_two_arrays_matches_whole_arrays(
        ((x, cx), (y, cy), k) in prop::collection::vec(1usize..20, 1)
            .prop_flat_map(|s| (chunking::chunked(Just(s.clone())), chunking::chunked(Just(s)), 1usize..=3))
    ) {
        let n = x.len();
        let a = Array::from_ndarray(x.clone(), cx).unwrap();
        let b = Array::from_ndarray(y.clone(), cy).unwrap();
        let out = chunkflow::map_overlap(&[&a, &b], &[k], Boundary::Periodic, move |bl| {
            let (u, v) = (&bl[0], &bl[1]);
            let mut out = u.to_owned();
            for i in k..u.len() - k {
                out[i] = u[i - k] * v[i + k] + v[i];
            }
            out
        }).unwrap();
        let expected = ArrayD::from_shape_fn(IxDyn(&[n]), |i| {
            let i = i[0];
            x[[(i + 4 * n - k) % n]] * y[[(i + k) % n]] + y[[i]]
        });
        prop_assert_eq!(out.compute().unwrap(), expected);
    }
}

#[test]
fn map_overlap_of_arrays_of_different_shapes_is_an_error() {
    let a = Array::<f64>::ones(&[4], 2).unwrap();
    let b = Array::<f64>::ones(&[5], 2).unwrap();
    let e = chunkflow::map_overlap(&[&a, &b], &[1], Boundary::Reflect, |bl| bl[0].to_owned())
        .unwrap_err()
        .to_string();
    assert!(e.contains("[4]") && e.contains("[5]"), "{e}");
    assert!(
        chunkflow::map_overlap::<f64, f64>(&[], &[1], Boundary::Reflect, |bl| bl[0].to_owned())
            .is_err()
    );
}
