//! Property tests for reshaping and rearranging against ndarray (row-major reshape, flip,
//! roll, take, repeat, tile, pad, diff, squeeze, moveaxis, swapaxes), over random shapes
//! (size-1 and size-0 axes included) and random chunkings.

use chunkflow::{Array, PadMode, dstack, hstack, vstack};
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use proptest::prelude::*;

mod chunking;

/// Random explicit chunks for `shape`.
fn chunks_for(shape: Vec<usize>) -> Vec<BoxedStrategy<Vec<usize>>> {
    chunking::chunks_for(&shape)
}

/// Groups `factors` into consecutive products, with 1s sprinkled in.
fn grouping(factors: Vec<usize>) -> impl Strategy<Value = Vec<usize>> {
    let k = factors.len();
    (
        prop::collection::vec(any::<bool>(), k),
        prop::collection::vec(0usize..3, k + 1),
    )
        .prop_map(move |(cut, ones)| {
            let mut shape = Vec::new();
            let mut acc = 1;
            for (i, &f) in factors.iter().enumerate() {
                if ones[i] % 2 == 1 {
                    shape.push(1);
                }
                acc *= f;
                if cut[i] || i == k - 1 {
                    shape.push(acc);
                    acc = 1;
                }
            }
            if ones[k] == 2 {
                shape.push(1);
            }
            shape
        })
}

fn reshape_case() -> impl Strategy<Value = (ArrayD<i64>, Vec<Vec<usize>>, Vec<usize>)> {
    prop::collection::vec(1usize..5, 1..5).prop_flat_map(|factors| {
        (grouping(factors.clone()), grouping(factors)).prop_flat_map(|(a, b)| {
            let n: usize = a.iter().product();
            let data = ArrayD::from_shape_vec(IxDyn(&a), (0..n as i64).collect()).unwrap();
            (Just(data), chunks_for(a), Just(b))
        })
    })
}

fn array_case() -> impl Strategy<Value = (ArrayD<i64>, Vec<Vec<usize>>)> {
    prop::collection::vec(prop_oneof![1 => Just(0usize), 8 => 1usize..6], 1..=3).prop_flat_map(
        |shape| {
            let n: usize = shape.iter().product();
            let data =
                ArrayD::from_shape_vec(IxDyn(&shape), (0..n as i64).map(|v| v * 7 % 11).collect())
                    .unwrap();
            (Just(data), chunks_for(shape))
        },
    )
}

/// Where a padded position reads from, for axis length `n` (None: the constant).
type IndexMap = fn(isize, isize) -> Option<isize>;

fn reversed(x: &ArrayD<i64>, axis: usize) -> ArrayD<i64> {
    let mut v = x.view();
    v.invert_axis(Axis(axis));
    v.to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn reshape_matches_row_major((x, chunks, target) in reshape_case()) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let got = a.reshape(&target).unwrap();
        prop_assert_eq!(got.shape(), target.as_slice());
        let want = x.as_standard_layout().into_owned().into_shape_with_order(IxDyn(&target)).unwrap();
        prop_assert_eq!(got.compute().unwrap(), want);
        let flat = a.ravel().unwrap().compute().unwrap();
        prop_assert_eq!(flat.iter().copied().collect::<Vec<_>>(), x.iter().copied().collect::<Vec<_>>());
    }

    #[test]
    fn rearrangements_match_ndarray((x, chunks) in array_case(), axis_pick in 0usize..3, shift in -7isize..7, picks in prop::collection::vec(0usize..64, 0..8), k in 0usize..3) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let axis = axis_pick % x.ndim();
        let n = x.shape()[axis];
        prop_assert_eq!(a.flip(axis).unwrap().compute().unwrap(), reversed(&x, axis));
        // roll
        let rolled = a.roll(shift, axis).unwrap().compute().unwrap();
        let want = if n == 0 { x.clone() } else {
            let idx: Vec<usize> = (0..n).map(|i| (i as isize - shift).rem_euclid(n as isize) as usize).collect();
            x.select(Axis(axis), &idx)
        };
        prop_assert_eq!(rolled, want);
        // take and repeat
        if n > 0 {
            let idx: Vec<usize> = picks.iter().map(|p| p % n).collect();
            prop_assert_eq!(a.take(&idx, axis).unwrap().compute().unwrap(), x.select(Axis(axis), &idx));
        }
        let rep: Vec<usize> = (0..n * k).map(|i| i / k.max(1)).collect();
        prop_assert_eq!(a.repeat(k, axis).unwrap().compute().unwrap(), x.select(Axis(axis), &rep));
        // diff
        let mut want = x.clone();
        for _ in 0..k {
            let len = want.shape()[axis];
            if len == 0 { break; }
            want = &want.slice_axis(Axis(axis), Slice::from(1..len)) - &want.slice_axis(Axis(axis), Slice::from(0..len - 1));
        }
        prop_assert_eq!(a.diff(k, axis).unwrap().compute().unwrap(), want);
        // tile along the axis
        let mut reps = vec![1; x.ndim()];
        reps[axis] = k;
        let views: Vec<_> = (0..k).map(|_| x.view()).collect();
        let want = if k == 0 { x.slice_axis(Axis(axis), Slice::from(0..0)).to_owned() } else { ndarray::concatenate(Axis(axis), &views).unwrap() };
        prop_assert_eq!(a.tile(&reps).unwrap().compute().unwrap(), want);
        // moveaxis / swapaxes
        let last = x.ndim() - 1;
        let mut perm: Vec<usize> = (0..x.ndim()).filter(|&d| d != axis).collect();
        perm.insert(last, axis);
        prop_assert_eq!(a.moveaxis(axis, last).unwrap().compute().unwrap(), x.clone().permuted_axes(IxDyn(&perm)).as_standard_layout().into_owned());
        let mut sw = x.clone();
        sw.swap_axes(0, axis);
        prop_assert_eq!(a.swapaxes(0, axis).unwrap().compute().unwrap(), sw.as_standard_layout().into_owned());
    }

    #[test]
    fn pad_modes_match_numpy_definitions((x, chunks) in array_case(), before in 0usize..4, after in 0usize..4) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let axis = 0;
        let n = x.shape()[axis] as isize;
        let mut widths = vec![(0, 0); x.ndim()];
        widths[axis] = (before, after);
        // Index maps of each mode on the padded axis, NumPy's definitions.
        let modes: Vec<(PadMode<i64>, IndexMap)> = vec![
            (PadMode::Edge, |i, n| Some(i.clamp(0, n - 1))),
            (PadMode::Wrap, |i, n| Some(i.rem_euclid(n))),
            (PadMode::Reflect, |i, n| Some(if i < 0 { -i } else if i >= n { 2 * (n - 1) - i } else { i })),
            (PadMode::Symmetric, |i, n| Some(if i < 0 { -i - 1 } else if i >= n { 2 * n - 1 - i } else { i })),
            (PadMode::Constant(-5), |i, n| (0..n).contains(&i).then_some(i)),
        ];
        for (mode, map) in modes {
            let got = a.pad(&widths, mode);
            let fits = match mode {
                PadMode::Reflect => (before.max(after) as isize) < n || (before == 0 && after == 0),
                PadMode::Constant(_) => true,
                PadMode::Edge => n > 0 || (before == 0 && after == 0),
                _ => (before.max(after) as isize) <= n && (n > 0 || (before == 0 && after == 0)),
            };
            prop_assert_eq!(got.is_ok(), fits, "{:?}", mode);
            if let Ok(got) = got {
                let mut shape = x.shape().to_vec();
                shape[axis] += before + after;
                let want = ArrayD::from_shape_fn(IxDyn(&shape), |idx| {
                    let mut src = ndarray::Dimension::slice(&idx).to_vec();
                    match map(src[axis] as isize - before as isize, n) {
                        Some(j) => { src[axis] = j as usize; x[IxDyn(&src)] }
                        None => -5,
                    }
                });
                prop_assert_eq!(got.compute().unwrap(), want, "{:?}", mode);
            }
        }
    }
}

#[test]
fn squeeze_expand_and_stacks() {
    let x = Array::<f64>::ones(&[1, 3, 1, 2], 1).unwrap();
    assert_eq!(x.squeeze().shape(), &[3, 2]);
    assert_eq!(x.squeeze_axis(0).unwrap().shape(), &[3, 1, 2]);
    assert!(x.squeeze_axis(1).is_err());
    assert!(x.squeeze_axis(4).is_err());
    let y = x.squeeze().expand_dims(&[0, 2]).unwrap();
    assert_eq!(y.shape(), &[1, 3, 1, 2]);
    assert!(x.expand_dims(&[9]).is_err());
    let v = Array::<i32>::arange(0, 3, 1, 2).unwrap();
    assert_eq!(
        hstack(&[&v, &v])
            .unwrap()
            .compute()
            .unwrap()
            .as_slice()
            .unwrap(),
        &[0, 1, 2, 0, 1, 2]
    );
    assert_eq!(vstack(&[&v, &v]).unwrap().shape(), &[2, 3]);
    assert_eq!(dstack(&[&v, &v]).unwrap().shape(), &[1, 3, 2]);
    assert!(v.reshape(&[2, 2]).is_err());
    assert!(
        Array::<f64>::zeros(&[0, 4], 2)
            .unwrap()
            .reshape(&[2, 0, 8])
            .unwrap()
            .compute()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn reshape_rechunks_only_merged_axes() {
    // Dask: (100, 100) chunks (10, 10) -> (100, 10, 10): the split axis keeps whole rows
    // of the inner axes, the first axis keeps its chunks.
    let x = Array::<f64>::zeros(&[100, 100], 10).unwrap();
    let y = x.reshape(&[100, 10, 10]).unwrap();
    assert_eq!(y.chunks().axis(0), &[10; 10]);
    assert_eq!(y.chunks().axis(2), &[10]);
    let z = x.reshape(&[10_000]).unwrap();
    assert_eq!(z.chunks().axis(0), &[1000; 10]);
}

#[test]
fn huge_repeats_and_tiles_are_errors_not_aborts() {
    let x = Array::<f64>::ones(&[4], 2).unwrap();
    assert!(x.repeat(1 << 40, 0).is_err());
    assert!(x.repeat(usize::MAX, 0).is_err());
    assert!(x.tile(&[1 << 40]).is_err());
}

/// A grid of blocks for `block`: row heights, column widths and, per leaf, its data and
/// chunks.
type Grid = (Vec<usize>, Vec<usize>, Vec<(ArrayD<f64>, Vec<Vec<usize>>)>);

fn block_grid() -> impl Strategy<Value = Grid> {
    (
        prop::collection::vec(0usize..4, 1..4),
        prop::collection::vec(0usize..4, 1..4),
    )
        .prop_flat_map(|(heights, widths)| {
            let leaves: Vec<_> = heights
                .iter()
                .flat_map(|&h| widths.iter().map(move |&w| vec![h, w]))
                .map(|s| (chunking::data(&s), chunking::chunks_for(&s)))
                .collect();
            (Just(heights), Just(widths), leaves)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `block` of a grid equals ndarray's concatenation of rows of concatenations.
    #[test]
    fn block_matches_nested_concatenation((heights, widths, leaves) in block_grid()) {
        let lazy: Vec<Array<f64>> = leaves
            .iter()
            .map(|(x, c)| Array::from_ndarray(x.clone(), c.clone()).unwrap())
            .collect();
        let cols = widths.len();
        let rows: Vec<Vec<&Array<f64>>> = lazy.chunks(cols).map(|r| r.iter().collect()).collect();
        let row_refs: Vec<&[&Array<f64>]> = rows.iter().map(|r| r.as_slice()).collect();
        let got = chunkflow::block(&chunkflow::Block::rows(&row_refs)).unwrap();
        let eager_rows: Vec<ArrayD<f64>> = leaves
            .chunks(cols)
            .map(|r| {
                let views: Vec<_> = r.iter().map(|(x, _)| x.view()).collect();
                ndarray::concatenate(Axis(1), &views).unwrap()
            })
            .collect();
        let views: Vec<_> = eager_rows.iter().map(|x| x.view()).collect();
        let want = ndarray::concatenate(Axis(0), &views).unwrap();
        prop_assert_eq!(got.shape(), want.shape());
        prop_assert_eq!(got.compute().unwrap(), want);
        prop_assert_eq!(heights.len() * widths.len(), leaves.len());
    }
}

#[test]
fn block_promotes_leaves_and_checks_its_input() {
    use chunkflow::{Block, block};
    let v = Array::<i32>::arange(0, 3, 1, 2).unwrap();
    // Two levels over 1-d leaves: the leaves become rows (NumPy: block([[v], [v]])).
    let m = block(&Block::rows(&[&[&v], &[&v]])).unwrap();
    assert_eq!(
        m.compute().unwrap(),
        ndarray::arr2(&[[0, 1, 2], [0, 1, 2]]).into_dyn()
    );
    // A 0-d leaf in a flat list becomes 1-d.
    let s = Array::<i32>::full(&[], 7, 1).unwrap();
    let joined = block(&Block::list(&[&s, &v])).unwrap();
    assert_eq!(joined.compute().unwrap().as_slice().unwrap(), &[7, 0, 1, 2]);
    // A lone array is itself.
    assert_eq!(block(&Block::Array(&v)).unwrap().shape(), &[3]);
    let err = block::<i32>(&Block::List(vec![])).unwrap_err();
    assert!(err.to_string().contains("cannot be empty"), "{err}");
    let mixed = Block::List(vec![Block::Array(&v), Block::list(&[&v])]);
    let err = block(&mixed).unwrap_err();
    assert!(err.to_string().contains("depths are mismatched"), "{err}");
    let w = Array::<i32>::ones(&[2, 2], 1).unwrap();
    assert!(block(&Block::rows(&[&[&w, &v]])).is_err()); // 2 rows beside 1
    let mut deep = Block::Array(&v);
    for _ in 0..100_000 {
        deep = Block::List(vec![deep]);
    }
    let err = block(&deep).unwrap_err();
    assert!(err.to_string().contains("levels of nesting"), "{err}");
    // Dropping the deep nesting must not overflow the stack either.
    let mut items = vec![deep];
    while let Some(b) = items.pop() {
        if let Block::List(inner) = b {
            items.extend(inner);
        }
    }
}

/// An array with nonempty axes, a number of indexed axes and the points' coordinates
/// (negative ones count from the end).
type Pointwise = ((ArrayD<f64>, Vec<Vec<usize>>), Vec<Vec<i64>>);

fn pointwise() -> impl Strategy<Value = Pointwise> {
    prop::collection::vec(1usize..6, 1..=3).prop_flat_map(|shape| {
        let n = shape.len();
        (1..=n, 0usize..12).prop_flat_map(move |(k, points)| {
            let lists: Vec<_> = shape[..k]
                .iter()
                .map(|&len| {
                    let len = len as i64;
                    prop::collection::vec(-len..len, points)
                })
                .collect();
            (chunking::chunked(Just(shape.clone())), lists)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `vindex` picks the same elements as NumPy's `x[i, j, ...]` with index arrays.
    #[test]
    fn vindex_matches_pointwise_picks(((x, chunks), lists) in pointwise()) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        let refs: Vec<&[i64]> = lists.iter().map(Vec::as_slice).collect();
        let got = a.vindex(&refs).unwrap().compute().unwrap();
        let k = lists.len();
        let points = lists[0].len();
        let mut shape = vec![points];
        shape.extend_from_slice(&x.shape()[k..]);
        let mut rows = Vec::new();
        for p in 0..points {
            let mut view = x.view();
            for (a, list) in lists.iter().enumerate() {
                let n = x.shape()[a] as i64;
                let i = if list[p] < 0 { list[p] + n } else { list[p] };
                view = view.index_axis_move(Axis(0), i as usize);
            }
            rows.extend(view.iter().copied());
        }
        prop_assert_eq!(got, ArrayD::from_shape_vec(IxDyn(&shape), rows).unwrap());
    }
}

/// A NumPy-style index entry for `Array::index`, drawn for an axis of length `len`.
fn idx_entry() -> impl Strategy<Value = chunkflow::Idx> {
    use chunkflow::Idx;
    let bound = prop::option::of(-8isize..8);
    prop_oneof![
        2 => (bound.clone(), bound, prop_oneof![-3isize..0, 1isize..4])
            .prop_map(|(start, stop, step)| Idx::slice(start, stop, step)),
        1 => (-6isize..6).prop_map(Idx::At),
        1 => Just(Idx::NewAxis),
        1 => Just(Idx::Ellipsis),
    ]
}

/// Python's `slice(start, stop, step).indices(len)`, listed: the reference for NumPy slices.
fn python_slice(len: usize, start: Option<isize>, stop: Option<isize>, step: isize) -> Vec<usize> {
    let n = len as isize;
    let fix = |i: isize| if i < 0 { i + n } else { i };
    let mut out = Vec::new();
    if step > 0 {
        let mut i = start.map_or(0, fix).clamp(0, n);
        let end = stop.map_or(n, fix).clamp(0, n);
        while i < end {
            out.push(i as usize);
            i += step;
        }
    } else {
        let mut i = start.map_or(n - 1, fix).clamp(-1, n - 1);
        let end = stop.map_or(-1, fix).clamp(-1, n - 1);
        while i > end {
            out.push(i as usize);
            i += step;
        }
    }
    out
}

/// NumPy's basic indexing applied eagerly, or `None` where NumPy raises.
fn eager_index(x: &ArrayD<f64>, index: &[chunkflow::Idx]) -> Option<ArrayD<f64>> {
    use chunkflow::Idx;
    let used = index
        .iter()
        .filter(|i| !matches!(i, Idx::NewAxis | Idx::Ellipsis))
        .count();
    let ellipses = index.iter().filter(|i| **i == Idx::Ellipsis).count();
    if used > x.ndim() || ellipses > 1 {
        return None;
    }
    let mut out = x.clone();
    let mut axis = 0; // the current axis of `out`
    for entry in index {
        match *entry {
            Idx::At(i) => {
                let n = out.shape()[axis] as isize;
                let j = if i < 0 { i + n } else { i };
                if j < 0 || j >= n {
                    return None;
                }
                out = out.index_axis(Axis(axis), j as usize).to_owned();
            }
            Idx::Slice { start, stop, step } => {
                let picks = python_slice(out.shape()[axis], start, stop, step);
                out = out.select(Axis(axis), &picks);
                axis += 1;
            }
            Idx::NewAxis => {
                out = out.insert_axis(Axis(axis));
                axis += 1;
            }
            Idx::Ellipsis => axis += x.ndim() - used,
        }
    }
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// `index` follows NumPy's basic indexing: negative steps, `Ellipsis`, new axes.
    #[test]
    fn index_matches_numpy_basic_indexing(
        (x, chunks) in chunking::chunked(prop::collection::vec(0usize..6, 0..=3)),
        index in prop::collection::vec(idx_entry(), 0..=4),
    ) {
        let a = Array::from_ndarray(x.clone(), chunks).unwrap();
        match eager_index(&x, &index) {
            Some(want) => {
                let got = a.index(&index).unwrap();
                prop_assert_eq!(got.shape(), want.shape());
                prop_assert_eq!(got.compute().unwrap(), want);
            }
            None => prop_assert!(a.index(&index).is_err()),
        }
    }
}

#[test]
fn reshape_infer_follows_numpy_minus_one() {
    let x = Array::<i64>::arange(0, 24, 1, 5).unwrap();
    let y = x.reshape_infer(&[2, -1, 4]).unwrap();
    assert_eq!(y.shape(), &[2, 3, 4]);
    assert_eq!(
        y.compute().unwrap(),
        x.reshape(&[2, 3, 4]).unwrap().compute().unwrap()
    );
    assert_eq!(x.reshape_infer(&[-1]).unwrap().shape(), &[24]);
    let empty = Array::<f64>::zeros(&[0, 4], 2).unwrap();
    assert_eq!(empty.reshape_infer(&[-1, 2]).unwrap().shape(), &[0, 2]);
    assert!(empty.reshape_infer(&[-1, 0]).is_err());
    assert!(x.reshape_infer(&[-1, 5]).is_err());
    assert!(x.reshape_infer(&[-2, 12]).is_err());
    assert!(x.reshape_infer(&[-1, -1]).is_err());
}
