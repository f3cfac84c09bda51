//! Linear algebra on chunked arrays: [`matmul`], [`dot`], [`tensordot`], [`inner`],
//! [`outer`], [`vdot`], [`trace`] (and, in `einsum.rs`, [`einsum`](fn@super::einsum)), built
//! the Dask way.
//!
//! Every product is one *contraction*: each output block is a sum over the blocks of the
//! contracted axes of block products, and each block product is ndarray's matrix product
//! (`general_mat_mul`: the `matrixmultiply` GEMM for `f32`/`f64`, or with the `blas`
//! feature OpenBLAS's `cblas_sgemm`/`cblas_dgemm` for blocks with a side longer than 7) of
//! the two blocks viewed as matrices, each copied to standard (row-major) layout first
//! unless it already is, so BLAS always gets contiguous operands. The products of one output block are summed in a tree of fan-in
//! `split_every` (default [`LINALG_SPLIT_EVERY`]), so a task holds a few blocks and block
//! products, never a whole operand. Operands' chunks along contracted (and shared batch)
//! axes are unified first, by rechunking, as Dask's `unify_chunks` does.
//!
//! Sums of floats are taken in block order at fixed tree levels: results are identical for
//! any thread count, and equal to a whole-array product up to rounding.

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayD, Axis, CowArray, Ix3, IxDyn, LinalgScalar, Zip};

use super::Array;
use super::blocks::map_blocks;
use crate::dtype::Num;
use crate::error::{Error, Result};
use crate::geometry::chunks::refine;
use crate::geometry::{BlockIter, Chunks, Meta};
use crate::graph::{Key, Value};
use crate::kernel::gather::{BlockPos, GatherFn, PartInputs};
use crate::kernel::source::fresh_id;
use crate::plan::Op;

/// The default fan-in of the tree that sums block products (at most this many products of
/// one output block wait in memory together).
pub const LINALG_SPLIT_EVERY: usize = 4;

/// What an operand's axis is in a contraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Output batch axis `i` (shared, or broadcast from length 1).
    Batch(usize),
    /// The operand's `j`-th free axis (kept in the output, read by this operand only).
    Free(usize),
    /// Summed index `k` (shared with the other operand, or this operand's alone).
    Sum(usize),
}

/// A contraction of `a` (axes labelled `la`) with `b` (`lb`) keeping the labels `out`, in
/// that order; `what` names the operation in errors.
pub(super) fn contract<T: Num + LinalgScalar>(
    what: &'static str,
    a: &Array<T>,
    la: &[char],
    b: &Array<T>,
    lb: &[char],
    out: &[char],
    split_every: usize,
) -> Result<Array<T>> {
    a.check()?;
    b.check()?;
    if split_every < 2 {
        return Err(Error::InvalidArgument(format!(
            "{what}: split_every must be at least 2, not {split_every}"
        )));
    }
    let (sa, sb) = (a.shape(), b.shape());
    let pos = |l: &[char], c: char| l.iter().position(|&x| x == c);
    let batch: Vec<char> = out
        .iter()
        .copied()
        .filter(|&c| pos(la, c).is_some() && pos(lb, c).is_some())
        .collect();
    let a_free: Vec<char> = la
        .iter()
        .copied()
        .filter(|&c| pos(lb, c).is_none() && out.contains(&c))
        .collect();
    let b_free: Vec<char> = lb
        .iter()
        .copied()
        .filter(|&c| pos(la, c).is_none() && out.contains(&c))
        .collect();
    let sums: Vec<char> = la
        .iter()
        .chain(lb.iter().filter(|c| !la.contains(c)))
        .copied()
        .filter(|c| !out.contains(c))
        .collect();
    let role = |c: char, free: &[char]| -> Role {
        if let Some(i) = batch.iter().position(|&x| x == c) {
            Role::Batch(i)
        } else if let Some(j) = free.iter().position(|&x| x == c) {
            Role::Free(j)
        } else {
            Role::Sum(sums.iter().position(|&x| x == c).expect("a summed label"))
        }
    };
    let a_roles: Vec<Role> = la.iter().map(|&c| role(c, &a_free)).collect();
    let b_roles: Vec<Role> = lb.iter().map(|&c| role(c, &b_free)).collect();

    // Sizes and unified chunks of the shared axes.
    let mut a_chunks = a.chunks().as_lists().to_vec();
    let mut b_chunks = b.chunks().as_lists().to_vec();
    let mut batch_chunks: Vec<Vec<usize>> = Vec::with_capacity(batch.len());
    for &c in &batch {
        let (i, j) = (pos(la, c).expect("in a"), pos(lb, c).expect("in b"));
        let unified = if sa[i] == sb[j] {
            refine(&[&a_chunks[i], &b_chunks[j]])
        } else if sa[i] == 1 {
            a_chunks[i] = vec![1]; // stretched: one chunk (it may have been [1, 0])
            b_chunks[j].clone()
        } else if sb[j] == 1 {
            b_chunks[j] = vec![1];
            a_chunks[i].clone()
        } else {
            return Err(Error::ShapeMismatch(format!(
                "{what}: shapes {sa:?} and {sb:?} do not broadcast (axis {i} of the first has \
                 length {}, axis {j} of the second {})",
                sa[i], sb[j]
            )));
        };
        if sa[i] == sb[j] {
            a_chunks[i] = unified.clone();
            b_chunks[j] = unified.clone();
        }
        batch_chunks.push(unified);
    }
    let mut sum_grid = Vec::with_capacity(sums.len());
    for &c in &sums {
        match (pos(la, c), pos(lb, c)) {
            (Some(i), Some(j)) => {
                if sa[i] != sb[j] {
                    return Err(Error::ShapeMismatch(format!(
                        "{what}: shapes {sa:?} and {sb:?} cannot be contracted: axis {i} of the \
                         first has length {}, axis {j} of the second {}",
                        sa[i], sb[j]
                    )));
                }
                let unified = refine(&[&a_chunks[i], &b_chunks[j]]);
                a_chunks[i] = unified.clone();
                b_chunks[j] = unified.clone();
                sum_grid.push(unified.len());
            }
            (Some(i), None) => sum_grid.push(a_chunks[i].len()),
            (None, Some(j)) => sum_grid.push(b_chunks[j].len()),
            (None, None) => unreachable!("summed labels come from the operands"),
        }
    }
    let a = a.rechunk(a_chunks)?;
    let b = b.rechunk(b_chunks)?;

    // The output in canonical order: batch, a's free axes, b's free axes.
    let canonical: Vec<char> = batch
        .iter()
        .chain(&a_free)
        .chain(&b_free)
        .copied()
        .collect();
    let mut lists = batch_chunks;
    for &c in &a_free {
        lists.push(a.chunks().axis(pos(la, c).expect("in a")).to_vec());
    }
    for &c in &b_free {
        lists.push(b.chunks().axis(pos(lb, c).expect("in b")).to_vec());
    }
    let chunks = Chunks::from_lists(lists);
    let shape: Vec<usize> = chunks.as_lists().iter().map(|c| c.iter().sum()).collect();
    let g = ContractFn::<T> {
        what,
        a_roles,
        b_roles,
        a_grid: a.chunks().grid(),
        b_grid: b.chunks().grid(),
        n_batch: batch.len(),
        n_a_free: a_free.len(),
        sum_grid,
        split_every,
        id: fresh_id(),
        _t: PhantomData,
    };
    let meta = Meta {
        shape,
        chunks,
        dtype: T::DTYPE,
    };
    let result = Array::build(
        Op::Gather(Arc::new(g)),
        vec![a.node().clone(), b.node().clone()],
        meta,
    );
    if canonical == out {
        return Ok(result);
    }
    let perm: Vec<usize> = out
        .iter()
        .map(|c| {
            canonical
                .iter()
                .position(|x| x == c)
                .expect("an output label")
        })
        .collect();
    result.permuted_axes(&perm)
}

/// The gather of a contraction: output block = sum over the summed axes' blocks of
/// block products.
struct ContractFn<T> {
    what: &'static str,
    a_roles: Vec<Role>,
    b_roles: Vec<Role>,
    a_grid: Vec<usize>,
    b_grid: Vec<usize>,
    n_batch: usize,
    n_a_free: usize,
    sum_grid: Vec<usize>,
    split_every: usize,
    id: u64,
    _t: PhantomData<fn() -> T>,
}

impl<T> ContractFn<T> {
    /// The block of an operand read for output block `out` and summed-axes block `s`.
    fn operand_block(
        roles: &[Role],
        grid: &[usize],
        free_base: usize,
        out: &[usize],
        s: &[usize],
    ) -> Vec<usize> {
        roles
            .iter()
            .zip(grid)
            .map(|(r, &g)| match *r {
                Role::Batch(i) => {
                    if g == 1 {
                        0
                    } else {
                        out[i]
                    }
                }
                Role::Free(j) => out[free_base + j],
                Role::Sum(k) => s[k],
            })
            .collect()
    }
}

/// An operand's block arranged for a matrix product: its batch axes (length 1 where the
/// operand lacks or broadcasts them) flattened first, then its free axes flattened (rows
/// for `a`, columns for `b`) and its shared summed axes flattened, summed-alone axes
/// reduced away.
fn as_batched_matrix<'a, T: LinalgScalar>(
    block: &'a ArrayD<T>,
    roles: &[Role],
    n_batch: usize,
    shared: &[bool],
    sum_first: bool,
) -> (Vec<usize>, CowArray<'a, T, Ix3>) {
    let mut view = CowArray::from(block.view());
    let mut roles = roles.to_vec();
    // Sum away the axes only this operand has.
    for ax in (0..roles.len()).rev() {
        if let Role::Sum(k) = roles[ax]
            && !shared[k]
        {
            view = CowArray::from(view.sum_axis(Axis(ax)));
            roles.remove(ax);
        }
    }
    let mut batch: Vec<(usize, usize)> = vec![];
    let mut free: Vec<(usize, usize)> = vec![];
    let mut sum: Vec<(usize, usize)> = vec![];
    for (ax, r) in roles.iter().enumerate() {
        match *r {
            Role::Batch(i) => batch.push((i, ax)),
            Role::Free(j) => free.push((j, ax)),
            Role::Sum(k) => sum.push((k, ax)),
        }
    }
    batch.sort_unstable();
    free.sort_unstable();
    sum.sort_unstable();
    let mut batch_dims = vec![1; n_batch];
    for &(i, ax) in &batch {
        batch_dims[i] = view.shape()[ax];
    }
    let rows: usize = free.iter().map(|&(_, ax)| view.shape()[ax]).product();
    let inner: usize = sum.iter().map(|&(_, ax)| view.shape()[ax]).product();
    let mut perm: Vec<usize> = batch.iter().map(|&(_, ax)| ax).collect();
    let (first, second) = if sum_first {
        (&sum, &free)
    } else {
        (&free, &sum)
    };
    perm.extend(first.iter().map(|&(_, ax)| ax));
    perm.extend(second.iter().map(|&(_, ax)| ax));
    let permuted = view.permuted_axes(IxDyn(&perm));
    // A block already in the right order (a plain matrix product) is not copied.
    let standard = if permuted.is_standard_layout() {
        permuted
    } else {
        CowArray::from(permuted.as_standard_layout().into_owned())
    };
    let nb: usize = batch_dims.iter().product();
    let dims = if sum_first {
        (nb, inner, rows)
    } else {
        (nb, rows, inner)
    };
    let m = standard
        .into_shape_with_order(dims)
        .expect("a standard-layout block reshapes");
    (batch_dims, m)
}

impl<T: Num + LinalgScalar> GatherFn for ContractFn<T> {
    fn name(&self) -> &str {
        self.what
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn split_every(&self) -> usize {
        self.split_every
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        BlockIter::new(self.sum_grid.clone())
            .map(|s| {
                let ab = Self::operand_block(&self.a_roles, &self.a_grid, self.n_batch, index, &s);
                let bb = Self::operand_block(
                    &self.b_roles,
                    &self.b_grid,
                    self.n_batch + self.n_a_free,
                    index,
                    &s,
                );
                vec![(0, ab), (1, bb)]
            })
            .collect()
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let key = Key::chunk(self.what, &pos.index);
        let (a, b) = match inputs.as_slice() {
            [a, b] => (a.get::<ArrayD<T>>(&key)?, b.get::<ArrayD<T>>(&key)?),
            _ => {
                return Err(Error::Internal {
                    pass: "linalg",
                    message: format!("{} inputs to a block product", inputs.len()),
                });
            }
        };
        let mut shared = vec![false; self.sum_grid.len()];
        for r in &self.a_roles {
            if let Role::Sum(k) = *r
                && self.b_roles.contains(&Role::Sum(k))
            {
                shared[k] = true;
            }
        }
        let (a_batch, am) = as_batched_matrix(a, &self.a_roles, self.n_batch, &shared, false);
        let (b_batch, bm) = as_batched_matrix(b, &self.b_roles, self.n_batch, &shared, true);
        let out_batch = &pos.shape[..self.n_batch];
        let nb: usize = out_batch.iter().product();
        let (rows, cols) = (am.shape()[1], bm.shape()[2]);
        let mut out = ndarray::Array3::<T>::zeros((nb, rows, cols));
        for (o, idx) in BlockIter::new(out_batch.to_vec()).enumerate() {
            let flat = |dims: &[usize]| {
                idx.iter()
                    .zip(dims)
                    .fold(0, |acc, (&i, &d)| acc * d + if d == 1 { 0 } else { i })
            };
            let (ia, ib) = (flat(&a_batch), flat(&b_batch));
            let mut c = out.index_axis_mut(Axis(0), o);
            general_mat_mul(
                T::one(),
                &am.index_axis(Axis(0), ia),
                &bm.index_axis(Axis(0), ib),
                T::zero(),
                &mut c,
            );
        }
        let out = out
            .into_shape_with_order(IxDyn(&pos.shape))
            .map_err(|e| Error::Internal {
                pass: "linalg",
                message: format!("block product of shape {:?}: {e}", pos.shape),
            })?;
        Ok(Value::new(out))
    }
    fn combine(&self, pos: &BlockPos, values: Vec<Value>) -> Result<Value> {
        let key = Key::chunk(self.what, &pos.index);
        let mut values = values.into_iter();
        let mut acc: ArrayD<T> = values
            .next()
            .ok_or_else(|| Error::Internal {
                pass: "linalg",
                message: "a combine of nothing".into(),
            })?
            .take(&key)?;
        for v in values {
            let part: &ArrayD<T> = v.get(&key)?;
            Zip::from(&mut acc).and(part).for_each(|x, &y| *x = *x + y);
        }
        Ok(Value::new(acc))
    }
}

/// Synthetic labels for positional APIs.
fn label(i: usize) -> char {
    char::from_u32(0x100 + i as u32).expect("a valid char")
}

fn check_axes(what: &str, axes: &[usize], ndim: usize) -> Result<()> {
    for (n, &ax) in axes.iter().enumerate() {
        if ax >= ndim {
            return Err(Error::AxisOutOfRange { axis: ax, ndim });
        }
        if axes[..n].contains(&ax) {
            return Err(Error::InvalidArgument(format!(
                "{what}: axis {ax} is listed twice in {axes:?}"
            )));
        }
    }
    Ok(())
}

/// Sums products over `axes_a` of `a` paired with `axes_b` of `b` (NumPy's
/// `tensordot(a, b, axes=(axes_a, axes_b))`): the result has `a`'s other axes, then `b`'s.
/// Paired axes of different lengths, an axis out of range or listed twice are errors.
///
/// ```
/// use chunkflow::{Array, tensordot};
/// use ndarray::{ArrayD, IxDyn};
/// let a = ArrayD::from_shape_fn(IxDyn(&[3, 4, 5]), |i| (i[0] * 20 + i[1] * 5 + i[2]) as f64);
/// let b = ArrayD::from_shape_fn(IxDyn(&[4, 3, 2]), |i| (i[0] + i[1] * 2 + i[2]) as f64);
/// let x = Array::from_ndarray(a.clone(), 2)?;
/// let y = Array::from_ndarray(b.clone(), 2)?;
/// let t = tensordot(&x, &y, &[0, 1], &[1, 0])?; // shape [5, 2]
/// let expected = ArrayD::from_shape_fn(IxDyn(&[5, 2]), |o| {
///     let mut s = 0.0;
///     for i in 0..3 { for j in 0..4 { s += a[[i, j, o[0]]] * b[[j, i, o[1]]]; } }
///     s
/// });
/// assert_eq!(t.compute()?, expected);
/// assert!(tensordot(&x, &y, &[0], &[0]).is_err()); // lengths 3 and 4
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn tensordot<T: Num + LinalgScalar>(
    a: &Array<T>,
    b: &Array<T>,
    axes_a: &[usize],
    axes_b: &[usize],
) -> Result<Array<T>> {
    if axes_a.len() != axes_b.len() {
        return Err(Error::InvalidArgument(format!(
            "tensordot: {} axes of the first operand paired with {} of the second",
            axes_a.len(),
            axes_b.len()
        )));
    }
    check_axes("tensordot", axes_a, a.ndim())?;
    check_axes("tensordot", axes_b, b.ndim())?;
    let la: Vec<char> = (0..a.ndim()).map(label).collect();
    let lb: Vec<char> = (0..b.ndim())
        .map(|j| match axes_b.iter().position(|&x| x == j) {
            Some(p) => la[axes_a[p]],
            None => label(a.ndim() + j),
        })
        .collect();
    let out: Vec<char> = la
        .iter()
        .enumerate()
        .filter(|(i, _)| !axes_a.contains(i))
        .map(|(_, &c)| c)
        .chain(
            lb.iter()
                .enumerate()
                .filter(|(j, _)| !axes_b.contains(j))
                .map(|(_, &c)| c),
        )
        .collect();
    contract("tensordot", a, &la, b, &lb, &out, LINALG_SPLIT_EVERY)
}

/// The matrix product, as NumPy's `matmul` (`a @ b`): 2-D operands multiply as matrices;
/// n-D operands are stacks of matrices in their last two axes, with NumPy's broadcasting of
/// the leading (batch) axes; a 1-D first operand is a row vector and a 1-D second one a
/// column vector, the added axis removed from the result. 0-d operands, inner lengths that
/// differ and batch shapes that do not broadcast are errors naming the shapes.
///
/// ```
/// use chunkflow::{Array, matmul};
/// use ndarray::Array2;
/// let a = Array2::from_shape_fn((5, 7), |(i, j)| (i + 2 * j) as f64);
/// let b = Array2::from_shape_fn((7, 3), |(i, j)| (i * j) as f64 - 1.0);
/// let c = matmul(&Array::from_ndarray(a.clone(), [2, 3])?, &Array::from_ndarray(b.clone(), [4, 2])?)?;
/// assert_eq!(c.compute()?, a.dot(&b).into_dyn());
/// // Batched: [2, 5, 7] @ [7, 3] -> [2, 5, 3].
/// let s = Array::<f64>::ones(&[2, 5, 7], 3)?;
/// assert_eq!(matmul(&s, &Array::from_ndarray(b.clone(), 3)?)?.shape(), &[2, 5, 3]);
/// let err = matmul(&s, &s).unwrap_err();
/// assert!(err.to_string().contains("[2, 5, 7]"));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn matmul<T: Num + LinalgScalar>(a: &Array<T>, b: &Array<T>) -> Result<Array<T>> {
    a.check()?;
    b.check()?;
    let (na, nb) = (a.ndim(), b.ndim());
    if na == 0 || nb == 0 {
        return Err(Error::ShapeMismatch(format!(
            "matmul: operands of shapes {:?} and {:?}; 0-d operands are not matrices (use `*`)",
            a.shape(),
            b.shape()
        )));
    }
    let n_batch = na.max(nb).saturating_sub(2);
    let batch = |k: usize| label(k);
    let (m, k, n) = (label(1000), label(1001), label(1002));
    let mut la: Vec<char> = (0..na.saturating_sub(2))
        .map(|t| batch(n_batch - (na - 2) + t))
        .collect();
    if na >= 2 {
        la.push(m);
    }
    la.push(k);
    let mut lb: Vec<char> = (0..nb.saturating_sub(2))
        .map(|t| batch(n_batch - (nb - 2) + t))
        .collect();
    lb.push(k);
    if nb >= 2 {
        lb.push(n);
    }
    let mut out: Vec<char> = (0..n_batch).map(batch).collect();
    if na >= 2 {
        out.push(m);
    }
    if nb >= 2 {
        out.push(n);
    }
    contract("matmul", a, &la, b, &lb, &out, LINALG_SPLIT_EVERY)
}

/// The elementwise product of operands one of which is 0-d.
fn scalar_product<T: Num + LinalgScalar>(a: &Array<T>, b: &Array<T>) -> Result<Array<T>> {
    map_blocks(&[a, b], |blocks, _| Ok(&blocks[0] * &blocks[1]))
}

/// NumPy's `dot`: for 1-D operands the inner product (0-d), for 2-D ones the matrix
/// product, for a 0-d operand the elementwise product; otherwise a sum product over the
/// last axis of `a` and the second-to-last of `b` (the last, if `b` is 1-D), i.e.
/// `tensordot(a, b, [a.ndim()-1], [b.ndim()-2])`.
///
/// ```
/// use chunkflow::{Array, dot};
/// let v = Array::<i64>::arange(0, 5, 1, 2)?;
/// assert_eq!(dot(&v, &v)?.scalar()?, 30);
/// let m = Array::<i64>::ones(&[3, 5], 2)?;
/// assert_eq!(dot(&m, &v)?.compute()?.as_slice().unwrap(), &[10, 10, 10]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn dot<T: Num + LinalgScalar>(a: &Array<T>, b: &Array<T>) -> Result<Array<T>> {
    a.check()?;
    b.check()?;
    let (na, nb) = (a.ndim(), b.ndim());
    match (na, nb) {
        (0, _) | (_, 0) => scalar_product(a, b),
        (_, 1) => tensordot(a, b, &[na - 1], &[0]),
        _ => tensordot(a, b, &[na - 1], &[nb - 2]),
    }
}

/// NumPy's `inner`: a sum product over the last axes of both (the elementwise product if
/// one is 0-d); the result has `a`'s other axes, then `b`'s.
///
/// ```
/// use chunkflow::{Array, inner};
/// let a = Array::from_ndarray(ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]), 1)?;
/// let i = inner(&a, &a)?; // a · aᵀ
/// assert_eq!(i.compute()?, ndarray::arr2(&[[5.0, 11.0], [11.0, 25.0]]).into_dyn());
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn inner<T: Num + LinalgScalar>(a: &Array<T>, b: &Array<T>) -> Result<Array<T>> {
    a.check()?;
    b.check()?;
    if a.ndim() == 0 || b.ndim() == 0 {
        return scalar_product(a, b);
    }
    tensordot(a, b, &[a.ndim() - 1], &[b.ndim() - 1])
}

/// The outer product, as NumPy's `outer`: both operands are flattened (row-major, as
/// [`Array::ravel`]; a 0-d operand is one element) and `out[i, j] = a[i] * b[j]`, a 2-D
/// result of `a.len()` × `b.len()`.
///
/// ```
/// use chunkflow::{Array, outer};
/// let a = Array::from_vec(vec![1, 2, 3], 2)?;
/// let b = Array::from_vec(vec![10, 20], 1)?;
/// assert_eq!(outer(&a, &b)?.compute()?, ndarray::arr2(&[[10, 20], [20, 40], [30, 60]]).into_dyn());
/// // n-D operands are flattened first: [2, 2] and [2] give [4, 2].
/// let m = Array::from_ndarray(ndarray::arr2(&[[1, 2], [3, 4]]), 1)?;
/// assert_eq!(outer(&m, &b)?.compute()?, ndarray::arr2(&[[10, 20], [20, 40], [30, 60], [40, 80]]).into_dyn());
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn outer<T: Num + LinalgScalar>(a: &Array<T>, b: &Array<T>) -> Result<Array<T>> {
    a.check()?;
    b.check()?;
    let flat = |x: &Array<T>| {
        if x.ndim() == 1 {
            Ok(x.clone())
        } else {
            x.ravel()
        }
    };
    let (a, b) = (flat(a)?, flat(b)?);
    let (i, j) = (label(0), label(1));
    contract("outer", &a, &[i], &b, &[j], &[i, j], LINALG_SPLIT_EVERY)
}

/// The sum of the elementwise product of two arrays of one shape (NumPy's `vdot` on real
/// numbers; NumPy only asks for equal sizes, chunkflow for equal shapes). A 0-d result.
///
/// ```
/// use chunkflow::{Array, vdot};
/// let a = Array::<f32>::ones(&[3, 4], 2)?;
/// assert_eq!(vdot(&a, &a)?.scalar()?, 12.0);
/// assert!(vdot(&a, &a.transpose()).is_err());
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn vdot<T: Num + LinalgScalar>(a: &Array<T>, b: &Array<T>) -> Result<Array<T>> {
    a.check()?;
    b.check()?;
    if a.shape() != b.shape() {
        return Err(Error::ShapeMismatch(format!(
            "vdot: shapes {:?} and {:?} differ",
            a.shape(),
            b.shape()
        )));
    }
    let l: Vec<char> = (0..a.ndim()).map(label).collect();
    contract("vdot", a, &l, b, &l, &[], LINALG_SPLIT_EVERY)
}

/// The sum along the main diagonal of a 2-D array (see [`trace_with`] for other axes and
/// offsets). The result keeps the element type (NumPy widens integers).
///
/// ```
/// use chunkflow::{Array, trace};
/// let a = Array::from_fn(&[4, 5], 2, |i| (10 * i[0] + i[1]) as i64)?;
/// assert_eq!(trace(&a)?.scalar()?, 0 + 11 + 22 + 33);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn trace<T: Num + LinalgScalar>(a: &Array<T>) -> Result<Array<T>> {
    if a.ndim() != 2 {
        return Err(Error::ShapeMismatch(format!(
            "trace: needs a 2-D array, not shape {:?} (use trace_with to name the axes)",
            a.shape()
        )));
    }
    trace_with(a, 0, 0, 1)
}

/// NumPy's `trace(a, offset, axis1, axis2)`: sums `a[.., i, .., i + offset, ..]` over `i`
/// (the elements `(i, j)` of the two axes with `j - i = offset`); the result has the other
/// axes. Equal or out-of-range axes are errors.
///
/// ```
/// use chunkflow::{Array, trace_with};
/// let a = Array::from_fn(&[3, 4, 2], 2, |i| (i[0] * 100 + i[1] * 10 + i[2]) as i64)?;
/// // Over axes 0 and 1, one above the diagonal: (0,1) (1,2) (2,3).
/// let t = trace_with(&a, 1, 0, 1)?;
/// assert_eq!(t.compute()?.as_slice().unwrap(), &[10 + 120 + 230, 11 + 121 + 231]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn trace_with<T: Num + LinalgScalar>(
    a: &Array<T>,
    offset: isize,
    axis1: usize,
    axis2: usize,
) -> Result<Array<T>> {
    a.check()?;
    let ndim = a.ndim();
    for ax in [axis1, axis2] {
        if ax >= ndim {
            return Err(Error::AxisOutOfRange { axis: ax, ndim });
        }
    }
    if axis1 == axis2 {
        return Err(Error::InvalidArgument(format!(
            "trace: axis1 and axis2 are both {axis1}"
        )));
    }
    let lists: Vec<Vec<usize>> = (0..ndim)
        .filter(|&d| d != axis1 && d != axis2)
        .map(|d| a.chunks().axis(d).to_vec())
        .collect();
    let chunks = Chunks::from_lists(lists);
    let shape = chunks.as_lists().iter().map(|c| c.iter().sum()).collect();
    let g = TraceFn::<T> {
        chunks: a.chunks().clone(),
        axis1,
        axis2,
        offset,
        id: fresh_id(),
        _t: PhantomData,
    };
    let meta = Meta {
        shape,
        chunks,
        dtype: T::DTYPE,
    };
    Ok(Array::build(
        Op::Gather(Arc::new(g)),
        vec![a.node().clone()],
        meta,
    ))
}

struct TraceFn<T> {
    chunks: Chunks,
    axis1: usize,
    axis2: usize,
    offset: isize,
    id: u64,
    _t: PhantomData<fn() -> T>,
}

impl<T> TraceFn<T> {
    /// The diagonal's blocks (along axis1, axis2) and, for each, its range of `i`.
    fn diagonal_blocks(&self) -> Vec<(usize, usize, std::ops::Range<isize>)> {
        let (c1, c2) = (self.chunks.axis(self.axis1), self.chunks.axis(self.axis2));
        let (s1, s2) = (
            self.chunks.axis_starts(self.axis1),
            self.chunks.axis_starts(self.axis2),
        );
        let mut out = vec![];
        for (bi, (&oi, &si)) in s1.iter().zip(c1).enumerate() {
            for (bj, (&oj, &sj)) in s2.iter().zip(c2).enumerate() {
                let lo = (oi as isize).max(oj as isize - self.offset);
                let hi = ((oi + si) as isize).min((oj + sj) as isize - self.offset);
                if lo < hi {
                    out.push((bi, bj, lo..hi));
                }
            }
        }
        out
    }

    fn input_block(&self, out: &[usize], bi: usize, bj: usize) -> Vec<usize> {
        let mut rest = out.iter();
        (0..self.chunks.ndim())
            .map(|d| {
                if d == self.axis1 {
                    bi
                } else if d == self.axis2 {
                    bj
                } else {
                    *rest.next().expect("an output axis")
                }
            })
            .collect()
    }
}

impl<T: Num + LinalgScalar> GatherFn for TraceFn<T> {
    fn name(&self) -> &str {
        "trace"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn split_every(&self) -> usize {
        LINALG_SPLIT_EVERY
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        let diag = self.diagonal_blocks();
        if diag.is_empty() {
            return vec![vec![]];
        }
        diag.into_iter()
            .map(|(bi, bj, _)| vec![(0, self.input_block(index, bi, bj))])
            .collect()
    }
    fn part(&self, pos: &BlockPos, part: usize, inputs: Vec<Value>) -> Result<Value> {
        let mut acc = ArrayD::<T>::zeros(IxDyn(&pos.shape));
        let Some(input) = inputs.first() else {
            return Ok(Value::new(acc));
        };
        let key = Key::chunk("trace", &pos.index);
        let block: &ArrayD<T> = input.get(&key)?;
        let (bi, bj, range) = self.diagonal_blocks().swap_remove(part);
        let oi = self.chunks.axis_starts(self.axis1)[bi] as isize;
        let oj = self.chunks.axis_starts(self.axis2)[bj] as isize;
        let (hi_axis, lo_axis) = if self.axis1 > self.axis2 {
            (self.axis1, self.axis2)
        } else {
            (self.axis2, self.axis1)
        };
        for i in range {
            let (li, lj) = ((i - oi) as usize, (i + self.offset - oj) as usize);
            let (l_hi, l_lo) = if self.axis1 > self.axis2 {
                (li, lj)
            } else {
                (lj, li)
            };
            let v = block
                .index_axis(Axis(hi_axis), l_hi)
                .index_axis_move(Axis(lo_axis), l_lo);
            Zip::from(&mut acc).and(&v).for_each(|x, &y| *x = *x + y);
        }
        Ok(Value::new(acc))
    }
    fn combine(&self, pos: &BlockPos, values: Vec<Value>) -> Result<Value> {
        let key = Key::chunk("trace", &pos.index);
        let mut acc = ArrayD::<T>::zeros(IxDyn(&pos.shape));
        for v in values {
            let part: &ArrayD<T> = v.get(&key)?;
            Zip::from(&mut acc).and(part).for_each(|x, &y| *x = *x + y);
        }
        Ok(Value::new(acc))
    }
}
