//! einsum's NumPy forms beyond two plain operands — diagonals (a label repeated within a
//! term), `...` broadcasting, three or more operands, implicit outputs — and `outer` of
//! n-D operands, against eager references over random shapes (zero-size and length-1 axes
//! included) and chunkings. Data are small integers stored as f64, so every sum is exact
//! in any order and results compare exactly.

mod chunking;
mod einsum_model;

use einsum_model::naive;

use chunkflow::{Array, Error, einsum, einsum_with, outer};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

/// (spec given to einsum, the same spelled out for [`naive`]). Upper-case letters in the
/// second stand for the axes of `...` (aligned from the right); each operand's may be 1.
const CASES: [(&str, &str); 24] = [
    ("ii->i", "ii->i"),
    ("ii", "ii->"),
    ("iij->ij", "iij->ij"),
    ("iij", "iij->j"),
    ("iji->ji", "iji->ji"),
    ("iiii->i", "iiii->i"),
    ("ij,jj->i", "ij,jj->i"),
    ("ii,ij->j", "ii,ij->j"),
    ("...ij,...jk->...ik", "Bij,ABjk->ABik"),
    ("...ij,...jk", "ABij,Bjk->ABik"),
    ("...i->...", "ABi->AB"),
    ("...ij->...ji", "Aij->Aji"),
    ("i...,i...->...", "iAB,iB->AB"),
    ("i...i->...i", "iAi->Ai"),
    ("...,...->...", "AB,B->AB"),
    ("ij...,jk->ik...", "ijA,jk->ikA"),
    ("ij,jk,kl->il", "ij,jk,kl->il"),
    ("ij,jk,kl", "ij,jk,kl->il"),
    ("i,i,i->", "i,i,i->"),
    ("ij,ik,il->jkl", "ij,ik,il->jkl"),
    ("abc,cd,db->a", "abc,cd,db->a"),
    ("ii,ij,jk->k", "ii,ij,jk->k"),
    (",ij,j->i", ",ij,j->i"),
    ("...i,...i,i->...", "Ai,i,i->A"),
];

/// An operand's data and chunking.
type Chunked = (ArrayD<f64>, Vec<Vec<usize>>);

/// Operands for `reference` (a spelled-out spec): each lower-case label one length in
/// 0..=4, each upper-case one in 0..=3 and, per operand, sometimes 1 (broadcast).
fn operands(reference: &'static str) -> impl Strategy<Value = Vec<Chunked>> {
    let (lhs, _) = reference.split_once("->").unwrap();
    let mut labels: Vec<char> = lhs.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    labels.sort_unstable();
    labels.dedup();
    let n_axes: usize = lhs.chars().filter(|c| c.is_ascii_alphabetic()).count();
    let lens = labels
        .iter()
        .map(|c| {
            let max: usize = if c.is_ascii_uppercase() { 3 } else { 4 };
            prop_oneof![1 => Just(0usize), 5 => 1..=max].boxed()
        })
        .collect::<Vec<_>>();
    (
        lens,
        prop::collection::vec(prop::bool::weighted(0.25), n_axes),
    )
        .prop_flat_map(move |(lens, ones)| {
            let mut axis = 0;
            lhs.split(',')
                .map(|t| {
                    let shape: Vec<usize> = t
                        .chars()
                        .map(|c| {
                            let len = lens[labels.iter().position(|&x| x == c).unwrap()];
                            let one = ones[axis];
                            axis += 1;
                            if c.is_ascii_uppercase() && one {
                                1
                            } else {
                                len
                            }
                        })
                        .collect();
                    chunking::chunked(Just(shape))
                })
                .collect::<Vec<_>>()
        })
}

fn lazy(x: &ArrayD<f64>, chunks: &[Vec<usize>]) -> Array<f64> {
    Array::from_ndarray(x.clone(), chunks.to_vec()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn einsum_forms_match_the_naive_sum(
        ((spec, reference), ops) in prop::sample::select(CASES.to_vec())
            .prop_flat_map(|(s, r)| (Just((s, r)), operands(r))),
        split_every in 2usize..5,
    ) {
        let lazy_ops: Vec<Array<f64>> = ops.iter().map(|(x, c)| lazy(x, c)).collect();
        let refs: Vec<&Array<f64>> = lazy_ops.iter().collect();
        let eager: Vec<&ArrayD<f64>> = ops.iter().map(|(x, _)| x).collect();
        let got = einsum_with(spec, &refs, split_every).unwrap().compute().unwrap();
        prop_assert_eq!(got, naive(reference, &eager), "{} chunks {:?}", spec,
            ops.iter().map(|(_, c)| c).collect::<Vec<_>>());
    }

    #[test]
    fn outer_flattens_nd_operands(
        ((a, ca), (b, cb)) in (
            prop::collection::vec(0usize..4, 0..=3),
            prop::collection::vec(0usize..4, 0..=3),
        ).prop_flat_map(|(sa, sb)| (chunking::chunked(Just(sa)), chunking::chunked(Just(sb))))
    ) {
        let got = outer(&lazy(&a, &ca), &lazy(&b, &cb)).unwrap().compute().unwrap();
        let (fa, fb): (Vec<f64>, Vec<f64>) = (a.iter().copied().collect(), b.iter().copied().collect());
        let want = ArrayD::from_shape_fn(IxDyn(&[fa.len(), fb.len()]), |i| fa[i[0]] * fb[i[1]]);
        prop_assert_eq!(got, want);
    }
}

#[test]
fn a_diagonal_reads_only_the_diagonal_blocks() {
    // 4 × 4 blocks; the diagonal's 4 output blocks read one block each, and only those 4
    // input blocks are computed.
    let a = Array::from_fn(&[8, 8], 2, |i| (i[0] * 8 + i[1]) as f64).unwrap();
    let d = einsum("ii->i", &[&a]).unwrap();
    assert_eq!(
        d.compute().unwrap().as_slice().unwrap(),
        &[0.0, 9.0, 18.0, 27.0, 36.0, 45.0, 54.0, 63.0]
    );
    let dot = d.to_dot().unwrap();
    assert_eq!(dot.matches("label=\"einsum-diagonal\"").count(), 4, "{dot}");
    assert_eq!(dot.matches("label=\"from_fn\"").count(), 4, "{dot}");
    // Axes of different chunks are unified first.
    let b = a.rechunk(vec![vec![3, 5], vec![2, 6]]).unwrap();
    assert_eq!(
        einsum("ii", &[&b]).unwrap().scalar().unwrap(),
        (0..8).map(|i| (i * 9) as f64).sum::<f64>()
    );
}

#[test]
fn bad_specs_are_errors_naming_the_value() {
    let a = Array::<f64>::ones(&[3, 4], 2).unwrap();
    let b = Array::<f64>::ones(&[4, 5], 2).unwrap();
    let sq = Array::<f64>::ones(&[3, 3], 2).unwrap();
    let err = |spec: &str, ops: &[&Array<f64>]| -> String {
        let e = einsum(spec, ops).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{spec}: {e:?}");
        let m = e.to_string();
        assert!(m.contains(&format!("{spec:?}")), "{spec}: {m}");
        m
    };
    assert!(err("ij,jk,kl->il", &[&a, &b]).contains("3 terms for 2 operands"));
    assert!(err("ij->i", &[&a, &b]).contains("1 terms for 2 operands"));
    assert!(err("ijk,jk->i", &[&a, &b]).contains("[3, 4]"));
    assert!(err("i,jk->i", &[&a, &b]).contains("[3, 4]"));
    let m = err("ij,ik->jk", &[&a, &b]);
    assert!(
        m.contains("'i'") && m.contains("[3, 4]") && m.contains("[4, 5]"),
        "{m}"
    );
    assert!(err("ii", &[&a]).contains("lengths 3 and 4"));
    assert!(err("ij,jk->ii", &[&a, &b]).contains("'i' repeats"));
    assert!(err("ij,jk->iz", &[&a, &b]).contains("'z' is in no operand"));
    assert!(err("i1,jk->ik", &[&a, &b]).contains("'1'"));
    assert!(err("i$", &[&a]).contains("'$'"));
    assert!(err("i.j", &[&a]).contains("'...'"));
    assert!(err("...i...", &[&a]).contains("twice"));
    assert!(err("...j->j", &[&a]).contains("no '...'"));
    assert!(err("...i,...i->...i", &[&a, &b]).contains("'...'"));
    assert!(err("ij->i->j", &[&a]).contains("twice"));
    assert!(einsum::<f64>("", &[]).is_err());
    // Broadcast shapes that do not broadcast name both shapes.
    let c = Array::<f64>::ones(&[2, 3, 3], 2).unwrap();
    let d = Array::<f64>::ones(&[4, 3, 3], 2).unwrap();
    let m = err("...ij,...jk->...ik", &[&c, &d]);
    assert!(m.contains("[2, 3, 3]") && m.contains("[4, 3, 3]"), "{m}");
    // Fine: '...' over no axes, length-1 broadcasting, the implicit trace.
    assert_eq!(einsum("...ii", &[&sq]).unwrap().scalar().unwrap(), 3.0);
    let one = Array::<f64>::ones(&[3, 1], 1).unwrap();
    assert_eq!(
        einsum("ij,jk->ik", &[&one, &b]).unwrap().compute().unwrap(),
        ArrayD::from_elem(IxDyn(&[3, 5]), 4.0)
    );
}
