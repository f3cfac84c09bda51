//! Property tests: lazy chunked arrays against eager ndarray.
//!
//! Tolerances, per operation:
//! - elementwise (integer, bool and float): exact. Fused or not, each element goes through
//!   the same operations in the same order as the eager ndarray evaluation.
//! - sum, prod, min, max, any, all, argmin, argmax: exact. The test data are multiples of
//!   0.25 in [-8, 8] (sums of these are exact in any order) and ±1 for products.
//! - mean, var, std: relative or absolute error ≤ 1e-9 (the partial merges round).

use chunkflow::{Array, Options, ReduceArgs, concatenate, stack, where_};
use ndarray::{ArrayD, Axis, IxDyn, SliceInfoElem, Zip};
use proptest::prelude::*;

mod chunking;

/// A shape of 0 to 4 axes, each 0 to 5 long (mostly nonzero).
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1 => Just(0usize), 6 => 1usize..6], 0..=4)
}

/// Random explicit chunks for `shape`, zero-size chunks among them.
fn chunks_for(shape: Vec<usize>) -> impl Strategy<Value = Vec<Vec<usize>>> {
    chunking::chunks_for(&shape)
}

fn data(shape: &[usize]) -> impl Strategy<Value = ArrayD<f64>> + use<> {
    let n: usize = shape.iter().product();
    let shape = shape.to_vec();
    prop::collection::vec(-32i32..=32, n).prop_map(move |v| {
        ArrayD::from_shape_vec(
            IxDyn(&shape),
            v.into_iter().map(|x| x as f64 * 0.25).collect(),
        )
        .unwrap()
    })
}

/// An eager array with random chunks.
fn chunked() -> impl Strategy<Value = (ArrayD<f64>, Vec<Vec<usize>>)> {
    shape().prop_flat_map(|s| (data(&s), chunks_for(s)))
}

/// A shape that broadcasts to `base`: some leading axes dropped, some axes set to 1.
fn broadcastable(base: Vec<usize>) -> impl Strategy<Value = Vec<usize>> {
    let n = base.len();
    (0..=n, prop::collection::vec(any::<bool>(), n)).prop_map(move |(drop, ones)| {
        base.iter()
            .zip(&ones)
            .skip(drop)
            .map(|(&len, &one)| if one { 1 } else { len })
            .collect()
    })
}

#[derive(Debug, Clone)]
enum Expr {
    Leaf(usize),
    Const(f64),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Max(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Sqrt(Box<Expr>),
    Sin(Box<Expr>),
    Square(Box<Expr>),
    Map(Box<Expr>),
    WhereLt(Box<Expr>, Box<Expr>),
    CastRound(Box<Expr>),
    ScalarMinus(f64, Box<Expr>),
    DivScalar(Box<Expr>, f64),
    MinScalar(Box<Expr>, f64),
    WhereAboveScalar(Box<Expr>, f64),
}

fn expr(leaves: usize) -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        4 => (0..leaves).prop_map(Expr::Leaf),
        1 => (-4i32..4).prop_map(|c| Expr::Const(c as f64 * 0.5)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Add(a.into(), b.into())),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Sub(a.into(), b.into())),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Mul(a.into(), b.into())),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Div(a.into(), b.into())),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Max(a.into(), b.into())),
            inner.clone().prop_map(|a| Expr::Neg(a.into())),
            inner.clone().prop_map(|a| Expr::Sqrt(a.into())),
            inner.clone().prop_map(|a| Expr::Sin(a.into())),
            inner.clone().prop_map(|a| Expr::Square(a.into())),
            inner.clone().prop_map(|a| Expr::Map(a.into())),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::WhereLt(a.into(), b.into())),
            inner.clone().prop_map(|a| Expr::CastRound(a.into())),
            (-4i32..4, inner.clone())
                .prop_map(|(c, a)| Expr::ScalarMinus(c as f64 * 0.5, a.into())),
            (inner.clone(), -4i32..4).prop_map(|(a, c)| Expr::DivScalar(a.into(), c as f64 * 0.5)),
            (inner.clone(), -4i32..4).prop_map(|(a, c)| Expr::MinScalar(a.into(), c as f64 * 0.5)),
            (inner, -4i32..4).prop_map(|(a, c)| Expr::WhereAboveScalar(a.into(), c as f64 * 0.5)),
        ]
    })
}

fn zip2(a: &ArrayD<f64>, b: &ArrayD<f64>, f: impl Fn(f64, f64) -> f64) -> ArrayD<f64> {
    let shape = broadcast(a.shape(), b.shape());
    Zip::from(&a.broadcast(shape.clone()).unwrap())
        .and(&b.broadcast(shape).unwrap())
        .map_collect(|&x, &y| f(x, y))
}

/// NumPy's broadcast shape of two shapes (known to be compatible).
fn broadcast(a: &[usize], b: &[usize]) -> IxDyn {
    let n = a.len().max(b.len());
    let get = |s: &[usize], i: usize| {
        if i + s.len() >= n {
            s[i + s.len() - n]
        } else {
            1
        }
    };
    let axis = |i: usize| if get(a, i) == 1 { get(b, i) } else { get(a, i) };
    IxDyn(&(0..n).map(axis).collect::<Vec<_>>())
}

fn eager(e: &Expr, leaves: &[ArrayD<f64>]) -> ArrayD<f64> {
    let un = |a: &Expr, f: fn(f64) -> f64| eager(a, leaves).mapv(f);
    let bin =
        |a: &Expr, b: &Expr, f: fn(f64, f64) -> f64| zip2(&eager(a, leaves), &eager(b, leaves), f);
    match e {
        Expr::Leaf(i) => leaves[*i].clone(),
        Expr::Const(c) => ndarray::arr0(*c).into_dyn(),
        Expr::Add(a, b) => bin(a, b, |x, y| x + y),
        Expr::Sub(a, b) => bin(a, b, |x, y| x - y),
        Expr::Mul(a, b) => bin(a, b, |x, y| x * y),
        Expr::Div(a, b) => bin(a, b, |x, y| x / y),
        Expr::Max(a, b) => bin(a, b, |x, y| if x > y || x.is_nan() { x } else { y }),
        Expr::Neg(a) => un(a, |x| -x),
        Expr::Sqrt(a) => un(a, f64::sqrt),
        Expr::Sin(a) => un(a, f64::sin),
        Expr::Square(a) => un(a, |x| x * x),
        Expr::Map(a) => un(a, |x| 3.0 * x + 1.0),
        Expr::WhereLt(a, b) => {
            let (x, y) = (eager(a, leaves), eager(b, leaves));
            zip2(&x, &y, |x, y| if x < y { x } else { y })
        }
        Expr::CastRound(a) => un(a, |x| (x as i64) as f64),
        Expr::ScalarMinus(c, a) => eager(a, leaves).mapv(|x| c - x),
        Expr::DivScalar(a, c) => eager(a, leaves).mapv(|x| x / c),
        Expr::MinScalar(a, c) => {
            eager(a, leaves).mapv(|x| if x < *c || x.is_nan() { x } else { *c })
        }
        Expr::WhereAboveScalar(a, c) => eager(a, leaves).mapv(|x| if *c < x { x } else { *c }),
    }
}

fn lazy(e: &Expr, leaves: &[Array<f64>]) -> Array<f64> {
    match e {
        Expr::Leaf(i) => leaves[*i].clone(),
        Expr::Const(c) => Array::full(&[], *c, 1).unwrap(),
        Expr::Add(a, b) => &lazy(a, leaves) + &lazy(b, leaves),
        Expr::Sub(a, b) => &lazy(a, leaves) - &lazy(b, leaves),
        Expr::Mul(a, b) => &lazy(a, leaves) * &lazy(b, leaves),
        Expr::Div(a, b) => &lazy(a, leaves) / &lazy(b, leaves),
        Expr::Max(a, b) => lazy(a, leaves).maximum(&lazy(b, leaves)),
        Expr::Neg(a) => -&lazy(a, leaves),
        Expr::Sqrt(a) => lazy(a, leaves).sqrt(),
        Expr::Sin(a) => lazy(a, leaves).sin(),
        Expr::Square(a) => lazy(a, leaves).powi(2),
        Expr::Map(a) => lazy(a, leaves).map(|x| 3.0 * x + 1.0),
        Expr::WhereLt(a, b) => {
            let (x, y) = (lazy(a, leaves), lazy(b, leaves));
            where_(&x.lt(&y), &x, &y)
        }
        Expr::CastRound(a) => lazy(a, leaves).cast::<i64>().cast::<f64>(),
        Expr::ScalarMinus(c, a) => *c - &lazy(a, leaves),
        Expr::DivScalar(a, c) => &lazy(a, leaves) / *c,
        Expr::MinScalar(a, c) => lazy(a, leaves).minimum(*c),
        Expr::WhereAboveScalar(a, c) => {
            let x = lazy(a, leaves);
            let above = Array::full(&[], *c, 1).unwrap().lt(&x);
            where_(&above, &x, *c)
        }
    }
}

/// Equal shapes and elements, NaN equal to NaN, +0 equal to -0.
fn same(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

fn close(a: &ArrayD<f64>, b: &ArrayD<f64>, tol: f64) -> bool {
    a.shape() == b.shape()
        && a.iter().zip(b.iter()).all(|(x, y)| {
            (x.is_nan() && y.is_nan()) || (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs()))
        })
}

/// Three leaves broadcastable to one base shape, each with random chunks.
fn leaves() -> impl Strategy<Value = Vec<(ArrayD<f64>, Vec<Vec<usize>>)>> {
    shape().prop_flat_map(|base| {
        prop::collection::vec(
            broadcastable(base).prop_flat_map(|s| (data(&s), chunks_for(s))),
            3,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn elementwise_trees_match_ndarray_fused_and_unfused(
        leaves in leaves(),
        e in expr(3),
        threads in 1usize..=2,
    ) {
        let eager_leaves: Vec<ArrayD<f64>> = leaves.iter().map(|(d, _)| d.clone()).collect();
        let lazy_leaves: Vec<Array<f64>> = leaves
            .iter()
            .map(|(d, c)| Array::from_ndarray(d.clone(), c.clone()).unwrap())
            .collect();
        let expected = eager(&e, &eager_leaves);
        let result = lazy(&e, &lazy_leaves);
        for fuse in [true, false] {
            let options = Options::default().fuse(fuse).threads(threads).unwrap();
            let got = result.compute_with(&options).unwrap();
            prop_assert!(same(&got, &expected), "fuse={fuse}: {got:?} != {expected:?} for {e:?}");
        }
    }

    #[test]
    fn reductions_match_ndarray(
        (x, chunks) in chunked(),
        axes_mask in prop::collection::vec(any::<bool>(), 4),
        keepdims in any::<bool>(),
        split_every in 2usize..5,
    ) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let axes: Vec<usize> = (0..x.ndim()).filter(|&i| axes_mask[i]).collect();
        let args = ReduceArgs::axes(&axes).keepdims(keepdims).split_every(split_every);
        let reduce = |f: &dyn Fn(ndarray::ArrayViewD<f64>) -> f64| reference(&x, &axes, keepdims, f);

        prop_assert!(same(&a.sum_with(&args).unwrap().compute().unwrap(), &reduce(&|l| l.sum())));
        let signs = a.map(|v| if v < 0.0 { -1.0 } else { 1.0 });
        let sign_ref = reference(&x.mapv(|v| if v < 0.0 { -1.0 } else { 1.0 }), &axes, keepdims, &|l| l.product());
        prop_assert!(same(&signs.prod_with(&args).unwrap().compute().unwrap(), &sign_ref));
        let any = a.gt(1.0).any_with(&args).unwrap().compute().unwrap().mapv(|b| b as u8 as f64);
        prop_assert!(same(&any, &reduce(&|l| l.iter().any(|&v| v > 1.0) as u8 as f64)));
        let all = a.gt(-5.0).all_with(&args).unwrap().compute().unwrap().mapv(|b| b as u8 as f64);
        prop_assert!(same(&all, &reduce(&|l| l.iter().all(|&v| v > -5.0) as u8 as f64)));
        let count = a.gt(0.0).sum_with(&args).unwrap().compute().unwrap().mapv(|c| c as f64);
        prop_assert!(same(&count, &reduce(&|l| l.iter().filter(|&&v| v > 0.0).count() as f64)));

        let n: usize = axes.iter().map(|&i| x.shape()[i]).product();
        let mean = a.mean_with(&args).unwrap().compute().unwrap();
        prop_assert!(close(&mean, &reduce(&|l| l.sum() / l.len() as f64), 1e-9));
        for ddof in [0usize, 1] {
            let var_ref = reduce(&|l| {
                let m = l.sum() / l.len() as f64;
                l.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (l.len() as f64 - ddof as f64).max(0.0)
            });
            let var = a.var_with(&args, ddof).unwrap().compute().unwrap();
            prop_assert!(close(&var, &var_ref, 1e-9), "var ddof={ddof}: {var:?} vs {var_ref:?}");
            let std = a.std_with(&args, ddof).unwrap().compute().unwrap();
            prop_assert!(close(&std, &var_ref.mapv(f64::sqrt), 1e-9));
        }
        if n > 0 {
            let min = a.min_with(&args).unwrap().compute().unwrap();
            prop_assert!(same(&min, &reduce(&|l| l.iter().cloned().fold(f64::INFINITY, f64::min))));
            let max = a.max_with(&args).unwrap().compute().unwrap();
            prop_assert!(same(&max, &reduce(&|l| l.iter().cloned().fold(f64::NEG_INFINITY, f64::max))));
        } else {
            prop_assert!(a.min_with(&args).is_err());
        }
    }

    #[test]
    fn argmin_argmax_match_first_extreme(
        (x, chunks) in chunked(),
        axis in 0usize..4,
    ) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let first = |it: &mut dyn Iterator<Item = f64>, max: bool| -> f64 {
            let mut best: Option<(f64, usize)> = None;
            for (i, v) in it.enumerate() {
                if best.is_none_or(|(b, _)| if max { v > b } else { v < b }) {
                    best = Some((v, i));
                }
            }
            best.map_or(0.0, |(_, i)| i as f64)
        };
        if x.is_empty() {
            prop_assert!(a.argmin().check().is_err());
        } else {
            prop_assert_eq!(a.argmin().scalar().unwrap() as f64, first(&mut x.iter().cloned(), false));
            prop_assert_eq!(a.argmax().scalar().unwrap() as f64, first(&mut x.iter().cloned(), true));
        }
        if axis < x.ndim() && x.shape()[axis] > 0 {
            let got = a.argmax_axis(axis).unwrap().compute().unwrap().mapv(|i| i as f64);
            let want = x.map_axis(Axis(axis), |lane| first(&mut lane.iter().cloned(), true));
            prop_assert!(same(&got, &want));
        }
    }

    #[test]
    fn slices_with_steps_match_ndarray(
        (x, chunks) in chunked(),
        picks in prop::collection::vec((0usize..6, 0usize..7, prop_oneof![1isize..4, -3isize..0], any::<bool>()), 4),
    ) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let elems: Vec<SliceInfoElem> = x
            .shape()
            .iter()
            .zip(&picks)
            .map(|(&len, &(s, e, step, index))| {
                if index && len > 0 {
                    SliceInfoElem::Index((s % len) as isize)
                } else {
                    let s = s.min(len);
                    let e = e.clamp(s, len);
                    SliceInfoElem::Slice { start: s as isize, end: Some(e as isize), step }
                }
            })
            .collect();
        let info = ndarray::SliceInfo::<_, IxDyn, IxDyn>::try_from(elems.clone()).unwrap();
        let want = x.slice(info).to_owned();
        let got = a.slice(&elems).unwrap().compute().unwrap();
        prop_assert!(same(&got, &want));
    }

    #[test]
    fn concatenate_stack_transpose_match_ndarray(
        (x, chunks) in chunked(),
        other_chunks in 1usize..4,
        axis in 0usize..4,
    ) {
        prop_assume!(x.ndim() > 0);
        let axis = axis % x.ndim();
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let b = Array::from_ndarray(x.clone(), other_chunks).unwrap();
        let c = concatenate(&[&a, &(&b * 2.0)], axis).unwrap().compute().unwrap();
        let want = ndarray::concatenate(Axis(axis), &[x.view(), (&x * 2.0).view()]).unwrap();
        prop_assert!(same(&c, &want));
        let s = stack(&[&a, &b], axis).unwrap().compute().unwrap();
        prop_assert!(same(&s, &ndarray::stack(Axis(axis), &[x.view(), x.view()]).unwrap()));
        let t = a.transpose().compute().unwrap();
        prop_assert!(same(&t, &x.t().to_owned()));
    }

    #[test]
    fn integer_expressions_are_exact(
        v in prop::collection::vec(-1000i64..1000, 1..40),
        w in prop::collection::vec(-5i64..5, 1..40),
        chunk in 1usize..7,
    ) {
        let n = v.len().min(w.len());
        let (v, w) = (ndarray::Array1::from(v[..n].to_vec()), ndarray::Array1::from(w[..n].to_vec()));
        let a = Array::from_ndarray(v.clone(), chunk).unwrap();
        let b = Array::from_ndarray(w.clone(), chunk + 1).unwrap();
        let got = ((&a * &b + 7) % &b - &a / &b).compute().unwrap();
        let want = Zip::from(&v).and(&w).map_collect(|&x, &y| {
            let rem = |p: i64, q: i64| if q == 0 { 0 } else { p % q };
            let div = |p: i64, q: i64| if q == 0 { 0 } else { p / q };
            rem(x * y + 7, y) - div(x, y)
        });
        prop_assert_eq!(got, want.into_dyn());
        let bools = (a.gt(0) & b.lt(2)) | !a.ne(3);
        let want_b = Zip::from(&v).and(&w).map_collect(|&x, &y| (x > 0 && y < 2) || x == 3);
        prop_assert_eq!(bools.compute().unwrap(), want_b.into_dyn());
    }
}

/// The reduction of `x` over `axes` by `f` on each lane (as a flattened view).
fn reference(
    x: &ArrayD<f64>,
    axes: &[usize],
    keepdims: bool,
    f: &dyn Fn(ndarray::ArrayViewD<f64>) -> f64,
) -> ArrayD<f64> {
    let kept: Vec<usize> = (0..x.ndim()).filter(|a| !axes.contains(a)).collect();
    let mut perm = kept.clone();
    perm.extend(axes);
    let moved = x.view().permuted_axes(IxDyn(&perm));
    let kept_shape: Vec<usize> = kept.iter().map(|&a| x.shape()[a]).collect();
    let n: usize = axes.iter().map(|&a| x.shape()[a]).product();
    let owned = moved.as_standard_layout().into_owned();
    let lanes = owned
        .into_shape_with_order(IxDyn(&[kept_shape.iter().product(), n]))
        .unwrap();
    let values: Vec<f64> = lanes.outer_iter().map(|l| f(l.into_dyn())).collect();
    let out = ArrayD::from_shape_vec(IxDyn(&kept_shape), values).unwrap();
    if keepdims {
        let full: Vec<usize> = (0..x.ndim())
            .map(|a| if axes.contains(&a) { 1 } else { x.shape()[a] })
            .collect();
        out.into_shape_with_order(IxDyn(&full)).unwrap()
    } else {
        out
    }
}
