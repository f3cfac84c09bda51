//! Linear algebra against eager ndarray and a naive einsum (loops over every label
//! assignment), over random shapes (size-1 axes included) and chunkings. Data are small
//! integers stored as f64, so every sum is exact in any order and results compare exactly.

mod chunking;
mod einsum_model;

use einsum_model::naive as naive_einsum;

use chunkflow::{
    Array, Error, dot, einsum, einsum_with, inner, matmul, outer, tensordot, trace, trace_with,
    vdot,
};
use ndarray::{Array2, ArrayD, Ix2, IxDyn};
use proptest::prelude::*;

/// An operand's data and chunking.
type Chunked = (ArrayD<f64>, Vec<Vec<usize>>);

/// Data and a random chunking for every operand of `spec`, with label lengths `sizes`
/// (batch labels of the first operand sometimes length 1, to broadcast).
fn operands(spec: &'static str, max: usize) -> impl Strategy<Value = (&'static str, Vec<Chunked>)> {
    let labels: Vec<char> = {
        let mut l: Vec<char> = spec.chars().filter(|c| c.is_ascii_alphabetic()).collect();
        l.sort_unstable();
        l.dedup();
        l
    };
    let n = labels.len();
    prop::collection::vec(prop_oneof![1 => Just(1usize), 4 => 1..=max], n).prop_flat_map(
        move |lens| {
            let (lhs, _) = spec.split_once("->").unwrap();
            let ops: Vec<_> = lhs
                .split(',')
                .map(|t| {
                    let shape: Vec<usize> = t
                        .chars()
                        .map(|c| lens[labels.iter().position(|&x| x == c).unwrap()])
                        .collect();
                    chunking::chunked(Just(shape))
                })
                .collect();
            (Just(spec), ops)
        },
    )
}

const SPECS: [&str; 12] = [
    "ij,jk->ik",
    "ij,kj->ik",
    "ji,jk->ki",
    "bij,bjk->bik",
    "bij,bjk->kbi",
    "i,i->",
    "i,j->ij",
    "ij,ij->i",
    "ijk,kjl->il",
    "ij,k->ik",
    "ij->ji",
    "ijk->k",
];

fn lazy(x: &ArrayD<f64>, chunks: &[Vec<usize>]) -> Array<f64> {
    Array::from_ndarray(x.clone(), chunks.to_vec()).unwrap()
}

/// NumPy's matmul on whole arrays: broadcast batch axes, 1-D promotion.
fn eager_matmul(a: &ArrayD<f64>, b: &ArrayD<f64>) -> ArrayD<f64> {
    let (pa, pb) = (a.ndim() == 1, b.ndim() == 1);
    let a = if pa {
        a.clone().insert_axis(ndarray::Axis(0))
    } else {
        a.clone()
    };
    let b = if pb {
        b.clone().insert_axis(ndarray::Axis(1))
    } else {
        b.clone()
    };
    let nb = a.ndim().max(b.ndim()) - 2;
    let batch_of = |x: &ArrayD<f64>| -> Vec<usize> {
        let mut s = vec![1; nb - (x.ndim() - 2)];
        s.extend_from_slice(&x.shape()[..x.ndim() - 2]);
        s
    };
    let (ba, bb) = (batch_of(&a), batch_of(&b));
    let batch: Vec<usize> = ba.iter().zip(&bb).map(|(&x, &y)| x.max(y)).collect();
    let (m, n) = (a.shape()[a.ndim() - 2], b.shape()[b.ndim() - 1]);
    let mut shape = batch.clone();
    shape.extend([m, n]);
    let mut out = ArrayD::<f64>::zeros(IxDyn(&shape));
    for idx in ndarray::indices(IxDyn(&batch)) {
        let pick = |x: &ArrayD<f64>, bs: &[usize]| -> Array2<f64> {
            let skip = nb - (x.ndim() - 2);
            let mut v = x.view();
            for d in 0..x.ndim() - 2 {
                let i = if bs[skip + d] == 1 { 0 } else { idx[skip + d] };
                v = v.index_axis_move(ndarray::Axis(0), i);
            }
            v.into_dimensionality::<Ix2>().unwrap().to_owned()
        };
        let c = pick(&a, &ba).dot(&pick(&b, &bb));
        let mut o = out.view_mut();
        for d in 0..nb {
            o = o.index_axis_move(ndarray::Axis(0), idx[d]);
        }
        o.assign(&c.into_dyn());
    }
    let mut out = out;
    if pb {
        let last = out.ndim() - 1;
        out = out.index_axis_move(ndarray::Axis(last), 0);
    }
    if pa {
        let rows = out.ndim() - if pb { 1 } else { 2 };
        out = out.index_axis_move(ndarray::Axis(rows), 0);
    }
    out
}

fn matmul_shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    let batch = prop::collection::vec(prop_oneof![1 => Just(1usize), 2 => 1usize..4], 0..=2);
    (
        batch.clone(),
        batch,
        1usize..7,
        1usize..7,
        1usize..7,
        0usize..4,
    )
        .prop_map(|(ba, bb, m, k, n, kind)| {
            // Align the batch shapes NumPy-style (broadcastable from the right).
            let len = ba.len().min(bb.len());
            let mut bb = bb;
            for i in 0..len {
                let (x, y) = (ba[ba.len() - 1 - i], bb.len() - 1 - i);
                if x != 1 && bb[y] != 1 {
                    bb[y] = x;
                }
            }
            let mut a = ba;
            a.extend([m, k]);
            let mut b = bb;
            b.extend([k, n]);
            match kind {
                0 => (vec![k], b),
                1 => (a, vec![k]),
                2 => (vec![k], vec![k]),
                _ => (a, b),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn matmul_matches_ndarray(
        ((a, ca), (b, cb)) in matmul_shapes().prop_flat_map(|(sa, sb)| {
            (chunking::chunked(Just(sa)), chunking::chunked(Just(sb)))
        })
    ) {
        let c = matmul(&lazy(&a, &ca), &lazy(&b, &cb)).unwrap();
        prop_assert_eq!(c.compute().unwrap(), eager_matmul(&a, &b));
    }

    #[test]
    fn einsum_matches_naive(
        (spec, ops) in prop::sample::select(SPECS.to_vec()).prop_flat_map(|s| operands(s, 5)),
        split_every in 2usize..5,
    ) {
        let lazy_ops: Vec<Array<f64>> = ops.iter().map(|(x, c)| lazy(x, c)).collect();
        let refs: Vec<&Array<f64>> = lazy_ops.iter().collect();
        let eager: Vec<&ArrayD<f64>> = ops.iter().map(|(x, _)| x).collect();
        let got = einsum_with(spec, &refs, split_every).unwrap().compute().unwrap();
        prop_assert_eq!(got, naive_einsum(spec, &eager));
    }

    #[test]
    fn tensordot_matches_naive(
        (_, ops) in operands("pqr,qsp->rs", 4)
    ) {
        let (a, ca) = &ops[0];
        let (b, cb) = &ops[1];
        prop_assume!(a.shape()[0] == b.shape()[2] && a.shape()[1] == b.shape()[0]);
        let t = tensordot(&lazy(a, ca), &lazy(b, cb), &[0, 1], &[2, 0]).unwrap();
        prop_assert_eq!(t.compute().unwrap(), naive_einsum("pqr,qsp->rs", &[a, b]));
    }

    #[test]
    fn dot_inner_outer_vdot_trace_match_ndarray(
        ((m, cm), (v, cv)) in (1usize..7, 1usize..7).prop_flat_map(|(r, c)| {
            (chunking::chunked(Just(vec![r, c])), chunking::chunked(Just(vec![c])))
        }),
        offset in -3isize..4,
    ) {
        let (x, y) = (lazy(&m, &cm), lazy(&v, &cv));
        let m2 = m.clone().into_dimensionality::<Ix2>().unwrap();
        let v1 = v.clone().into_dimensionality::<ndarray::Ix1>().unwrap();
        prop_assert_eq!(dot(&x, &y).unwrap().compute().unwrap(), m2.dot(&v1).into_dyn());
        prop_assert_eq!(dot(&y, &y).unwrap().scalar().unwrap(), v1.dot(&v1));
        prop_assert_eq!(inner(&x, &y).unwrap().compute().unwrap(), m2.dot(&v1).into_dyn());
        prop_assert_eq!(inner(&x, &x).unwrap().compute().unwrap(), m2.dot(&m2.t()).into_dyn());
        let o = outer(&y, &y).unwrap().compute().unwrap();
        let expected = Array2::from_shape_fn((v1.len(), v1.len()), |(i, j)| v1[i] * v1[j]);
        prop_assert_eq!(o, expected.into_dyn());
        prop_assert_eq!(vdot(&x, &x).unwrap().scalar().unwrap(), m2.iter().map(|e| e * e).sum::<f64>());
        let (r, c) = m2.dim();
        let t: f64 = (0..r as isize)
            .filter(|&i| (0..c as isize).contains(&(i + offset)))
            .map(|i| m2[[i as usize, (i + offset) as usize]])
            .sum();
        prop_assert_eq!(trace_with(&x, offset, 0, 1).unwrap().scalar().unwrap(), t);
        let tt: f64 = (0..c as isize)
            .filter(|&j| (0..r as isize).contains(&(j + offset)))
            .map(|j| m2[[(j + offset) as usize, j as usize]])
            .sum();
        prop_assert_eq!(trace_with(&x, offset, 1, 0).unwrap().scalar().unwrap(), tt);
        if offset == 0 {
            prop_assert_eq!(trace(&x).unwrap().scalar().unwrap(), m2.diag().sum());
        }
    }
}

#[test]
fn integer_matmul_is_exact() {
    let a = ndarray::Array2::from_shape_fn((9, 13), |(i, j)| (i * 31 + j * 7) as i64 % 17 - 8);
    let b = ndarray::Array2::from_shape_fn((13, 6), |(i, j)| (i * 5 + j * 11) as i64 % 13 - 6);
    let c = matmul(
        &Array::from_ndarray(a.clone(), [4, 5]).unwrap(),
        &Array::from_ndarray(b.clone(), [3, 4]).unwrap(),
    )
    .unwrap();
    assert_eq!(c.compute().unwrap(), a.dot(&b).into_dyn());
}

#[test]
fn trace_of_a_stack() {
    let a = Array::from_fn(&[2, 5, 5], [1, 2, 3], |i| {
        (i[0] * 100 + i[1] * 10 + i[2]) as f64
    })
    .unwrap();
    let t = trace_with(&a, 0, 1, 2).unwrap().compute().unwrap();
    assert_eq!(t.as_slice().unwrap(), &[110.0, 610.0]);
    let empty = trace_with(&a, 7, 1, 2).unwrap().compute().unwrap();
    assert_eq!(empty.as_slice().unwrap(), &[0.0, 0.0]);
}

#[test]
fn empty_contractions_are_zeros() {
    let a = Array::<f64>::ones(&[3, 0], 2).unwrap();
    let b = Array::<f64>::ones(&[0, 2], 2).unwrap();
    assert_eq!(
        matmul(&a, &b).unwrap().compute().unwrap(),
        ArrayD::<f64>::zeros(IxDyn(&[3, 2]))
    );
}

#[test]
fn a_large_contraction_is_summed_in_a_tree() {
    // 32 blocks along k, fan-in 4: 32 products per output block, merged 4 at a time.
    let a = Array::<f64>::ones(&[2, 64], [2, 2]).unwrap();
    let b = Array::<f64>::ones(&[64, 3], [2, 3]).unwrap();
    let c = matmul(&a, &b).unwrap();
    assert_eq!(
        c.compute().unwrap(),
        ArrayD::from_elem(IxDyn(&[2, 3]), 64.0)
    );
    let dot = c.to_dot().unwrap();
    assert!(dot.contains("combine"), "no combine tasks in the graph");
}

#[test]
fn shape_mismatches_are_errors_naming_the_shapes() {
    let a = Array::<f64>::ones(&[3, 4], 2).unwrap();
    let b = Array::<f64>::ones(&[5, 2], 2).unwrap();
    let msg = |e: Error| e.to_string();
    let e = msg(matmul(&a, &b).unwrap_err());
    assert!(e.contains("[3, 4]") && e.contains("[5, 2]"), "{e}");
    let e = msg(dot(&a, &b).unwrap_err());
    assert!(e.contains("[3, 4]") && e.contains("[5, 2]"), "{e}");
    let s = Array::<f64>::full(&[], 2.0, 1).unwrap();
    assert!(matmul(&a, &s).is_err());
    assert_eq!(dot(&a, &s).unwrap().sum().scalar().unwrap(), 24.0);
    let batch_a = Array::<f64>::ones(&[2, 3, 4], 2).unwrap();
    let batch_b = Array::<f64>::ones(&[3, 4, 5], 2).unwrap();
    let e = msg(matmul(&batch_a, &batch_b).unwrap_err());
    assert!(e.contains("broadcast"), "{e}");
    assert!(matches!(
        tensordot(&a, &b, &[2], &[0]).unwrap_err(),
        Error::AxisOutOfRange { axis: 2, ndim: 2 }
    ));
    assert!(tensordot(&a, &b, &[0, 0], &[0, 1]).is_err());
    assert!(tensordot(&a, &b, &[0], &[0, 1]).is_err());
    assert_eq!(outer(&a, &b).unwrap().shape(), &[12, 10]); // flattened, as NumPy
    assert!(vdot(&a, &b).is_err());
    assert!(trace(&batch_a).is_err());
    assert!(trace_with(&a, 0, 1, 1).is_err());
    assert!(trace_with(&a, 0, 0, 2).is_err());
}

#[test]
fn bad_einsum_specs_are_errors() {
    let a = Array::<f64>::ones(&[3, 4], 2).unwrap();
    let b = Array::<f64>::ones(&[4, 5], 2).unwrap();
    for spec in [
        "ij,jk", // implicit output: fine, checked below
        "ij,jk->iz",
        "ij,jk->ii",
        "ijk,jk->ik",
        "ii,jk->ik",
        "i1,jk->ik",
        "...ij,...k->ik",
        "ij->ij",
    ] {
        let r = einsum(spec, &[&a, &b]);
        if spec == "ij,jk" {
            let got = r.unwrap().compute().unwrap();
            assert_eq!(got, ArrayD::from_elem(IxDyn(&[3, 5]), 4.0));
        } else {
            let e = r.unwrap_err().to_string();
            assert!(e.contains(spec) || e.contains("einsum"), "{spec}: {e}");
        }
    }
    let e = einsum("ij,ik->jk", &[&a, &b]).unwrap_err().to_string();
    assert!(e.contains("[3, 4]") && e.contains("[4, 5]"), "{e}");
    assert!(einsum_with("ij,jk->ik", &[&a, &b], 1).is_err());
    let three = [&a, &a, &a];
    assert!(einsum("ij,ij->i", &three).is_err());
}

#[test]
fn einsum_one_operand() {
    let x = ndarray::Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64).into_dyn();
    let a = Array::from_ndarray(x.clone(), [2, 3]).unwrap();
    assert_eq!(
        einsum("ij->ji", &[&a]).unwrap().compute().unwrap(),
        x.t().to_owned()
    );
    assert_eq!(einsum("ij->", &[&a]).unwrap().scalar().unwrap(), x.sum());
    assert_eq!(
        einsum("ij->j", &[&a]).unwrap().compute().unwrap(),
        x.sum_axis(ndarray::Axis(0))
    );
}
