//! Stencils: [`Array::overlap`] hands every block a halo of `depth` elements per axis from
//! its neighbours (and, at the array's edges, from a [`Boundary`] rule),
//! [`Array::trim_internal`] cuts the halos off again, and [`Array::map_overlap`] does both
//! around a closure in one task per block, the way Dask's `dask.array.overlap` does.
//!
//! A block's halo is read from as many neighbouring blocks as it spans: a depth larger
//! than the neighbouring chunks needs no rechunk (Dask rechunks to a minimum chunk size
//! instead) and gives the same result. Memory per task is the extended block plus the
//! neighbour blocks it reads, never the array.

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, IxDyn, Slice};

use super::blocks::unify;
use super::{Array, Chunks};
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::{BlockIter, Meta};
use crate::graph::{Key, Value};
use crate::kernel::gather::{BlockPos, GatherFn, PartInputs};
use crate::kernel::source::fresh_id;
use crate::plan::Op;

/// What lies beyond the array's edges when a block at an edge gets its halo.
///
/// For an axis `x0 x1 ... x(n-1)` and depth 2, the left halo of the first block is:
///
/// | boundary | left halo | NumPy's `np.pad` mode |
/// | --- | --- | --- |
/// | `Reflect` | `x1 x0` | `symmetric` (the edge element repeats; Dask's `reflect`) |
/// | `Periodic` | `x(n-2) x(n-1)` | `wrap` |
/// | `Nearest` | `x0 x0` | `edge` |
/// | `Constant(v)` | `v v` | `constant` |
/// | `None` | (no halo: edge blocks are extended only towards their neighbours) | — |
///
/// Note that Dask's `reflect` is NumPy's `symmetric`, not NumPy's `reflect` (which would
/// give `x2 x1`). A depth beyond the axis' length applies the rule again (as `np.pad`).
/// With `None`, a depth whose inner halos would reach past the array's edge (an axis of
/// two blocks of 2 and depth 3) is an error.
///
/// ```
/// use chunkflow::{Array, Boundary};
/// let x = Array::from_vec(vec![1, 2, 3, 4], 2)?;
/// let halo = |b| x.overlap(&[2], b).unwrap().compute().unwrap().into_raw_vec_and_offset().0;
/// assert_eq!(halo(Boundary::Reflect), [2, 1, 1, 2, 3, 4, 1, 2, 3, 4, 4, 3]);
/// assert_eq!(halo(Boundary::Periodic), [3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2]);
/// assert_eq!(halo(Boundary::Nearest), [1, 1, 1, 2, 3, 4, 1, 2, 3, 4, 4, 4]);
/// assert_eq!(halo(Boundary::Constant(0)), [0, 0, 1, 2, 3, 4, 1, 2, 3, 4, 0, 0]);
/// assert_eq!(halo(Boundary::None), [1, 2, 3, 4, 1, 2, 3, 4]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Boundary<T> {
    /// Mirrored at the edge, the edge element included (`np.pad(mode="symmetric")`).
    Reflect,
    /// Wrapped around from the other end (`np.pad(mode="wrap")`).
    Periodic,
    /// The edge element repeated (`np.pad(mode="edge")`).
    Nearest,
    /// A constant (`np.pad(mode="constant", constant_values=v)`).
    Constant(T),
    /// No halo beyond the edges: edge blocks are smaller than the others.
    None,
}

/// The boundary rule of every axis: one [`Boundary`] for all (`Boundary::Reflect.into()`),
/// or one per axis (Dask's `boundary={0: "periodic", 1: "none"}`), from a `Vec` or array.
/// Where halos of two axes with different `Constant`s meet (a corner), the later axis'
/// constant wins, as when Dask pads one axis after the other.
///
/// ```
/// use chunkflow::{Array, Boundary};
/// let x = Array::from_fn(&[2, 3], 1, |i| (10 * i[0] + i[1]) as i32)?;
/// let o = x.overlap(&[1, 1], [Boundary::Constant(-1), Boundary::Periodic])?;
/// let o = o.compute_ix::<ndarray::Ix2>()?;
/// assert_eq!(o.dim(), (6, 9));
/// assert_eq!(o.row(0).to_vec(), [-1; 9]); // above block row 0: the constant
/// assert_eq!(o.row(1).to_vec(), [2, 0, 1, 0, 1, 2, 1, 2, 0]); // row 0, wrapped per block
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Boundaries<T> {
    /// The same rule on every axis.
    All(Boundary<T>),
    /// One rule per axis.
    PerAxis(Vec<Boundary<T>>),
}

impl<T> From<Boundary<T>> for Boundaries<T> {
    fn from(b: Boundary<T>) -> Self {
        Boundaries::All(b)
    }
}

impl<T> From<Vec<Boundary<T>>> for Boundaries<T> {
    fn from(b: Vec<Boundary<T>>) -> Self {
        Boundaries::PerAxis(b)
    }
}

impl<T, const N: usize> From<[Boundary<T>; N]> for Boundaries<T> {
    fn from(b: [Boundary<T>; N]) -> Self {
        Boundaries::PerAxis(b.into())
    }
}

impl<T: Copy + std::fmt::Debug> Boundaries<T> {
    /// One rule per axis of an array of `ndim` axes (a wrong count is an error).
    fn resolve(self, what: &str, ndim: usize) -> Result<Vec<Boundary<T>>> {
        match self {
            Boundaries::All(b) => Ok(vec![b; ndim]),
            Boundaries::PerAxis(v) if v.len() == ndim => Ok(v),
            Boundaries::PerAxis(v) => Err(Error::InvalidArgument(format!(
                "{what}: {} boundaries {v:?} for an array of {ndim} axes",
                v.len()
            ))),
        }
    }
}

/// The halo geometry of one array: its shape and chunks, the depth per axis and, per axis,
/// whether edges get no halo.
#[derive(Clone)]
struct Halos {
    shape: Vec<usize>,
    chunks: Chunks,
    depth: Vec<usize>,
    none: Vec<bool>,
}

impl Halos {
    fn new<T: Element>(
        what: &str,
        shape: &[usize],
        chunks: &Chunks,
        depth: &[usize],
        boundary: &[Boundary<T>],
    ) -> Result<Self> {
        if depth.len() != shape.len() {
            return Err(Error::InvalidArgument(format!(
                "{what}: depth {depth:?} has {} entries for an array of shape {shape:?} ({} axes)",
                depth.len(),
                shape.len()
            )));
        }
        let halos = Halos {
            shape: shape.to_vec(),
            chunks: chunks.clone(),
            depth: depth.to_vec(),
            none: boundary
                .iter()
                .map(|b| matches!(b, Boundary::None))
                .collect(),
        };
        // Without a boundary rule, an inner halo must not reach past the array's edge.
        for (a, (&n, &d)) in shape.iter().zip(depth).enumerate() {
            if halos.none[a] {
                let starts = chunks.axis_starts(a);
                for (i, (&start, &size)) in starts.iter().zip(chunks.axis(a)).enumerate() {
                    let (l, r) = halos.halos(a, i);
                    if l > start || start + size + r > n {
                        return Err(Error::InvalidArgument(format!(
                            "{what}: with Boundary::None, depth {d} along axis {a} reaches past \
                             the array's edge (length {n}) from block {i}; use fewer, larger \
                             chunks or a smaller depth"
                        )));
                    }
                }
            }
        }
        Ok(halos)
    }

    /// The halo widths (left, right) of block `block` along `axis`.
    fn halos(&self, axis: usize, block: usize) -> (usize, usize) {
        let d = self.depth[axis];
        if d == 0 || self.shape[axis] == 0 {
            return (0, 0);
        }
        let last = self.chunks.axis(axis).len() - 1;
        let none = self.none[axis];
        let l = if none && block == 0 { 0 } else { d };
        let r = if none && block == last { 0 } else { d };
        (l, r)
    }

    /// The chunks of the array with halos.
    fn extended_chunks(&self) -> Chunks {
        Chunks::from_lists(
            (0..self.shape.len())
                .map(|a| {
                    self.chunks
                        .axis(a)
                        .iter()
                        .enumerate()
                        .map(|(i, &s)| {
                            let (l, r) = self.halos(a, i);
                            s + l + r
                        })
                        .collect()
                })
                .collect(),
        )
    }
}

/// A stretch of an extended block along one axis: a constant, or a run of elements of one
/// input block (local positions `first, first + step, ...`).
#[derive(Clone, Copy, Debug)]
enum Run {
    Const {
        dest: usize,
        len: usize,
    },
    Copy {
        dest: usize,
        block: usize,
        first: usize,
        len: usize,
        step: isize,
    },
}

impl Run {
    fn dest(&self) -> Slice {
        match *self {
            Run::Const { dest, len } | Run::Copy { dest, len, .. } => Slice::from(dest..dest + len),
        }
    }
}

/// Where the global position `g` (possibly outside `0..n`) reads from, under `boundary`.
fn source_index<T>(g: isize, n: usize, boundary: &Boundary<T>) -> Option<usize> {
    let n = n as isize;
    if (0..n).contains(&g) {
        return Some(g as usize);
    }
    match boundary {
        Boundary::Periodic => Some(g.rem_euclid(n) as usize),
        Boundary::Nearest => Some(g.clamp(0, n - 1) as usize),
        Boundary::Reflect => {
            let m = g.rem_euclid(2 * n);
            Some(if m < n { m } else { 2 * n - 1 - m } as usize)
        }
        Boundary::Constant(_) | Boundary::None => None,
    }
}

/// The stencil gather: extends each block by its halos, then applies `then`.
struct OverlapFn<T, U, F> {
    name: &'static str,
    halos: Halos,
    boundary: Vec<Boundary<T>>,
    /// How many arrays (of one geometry) are extended; `then` gets one block of each.
    n_inputs: usize,
    then: F,
    id: u64,
    _t: PhantomData<fn(T) -> U>,
}

impl<T: Element, U, F> OverlapFn<T, U, F> {
    /// The runs making up block `block`'s extended range along `axis`.
    fn runs(&self, axis: usize, block: usize) -> Vec<Run> {
        let chunks = &self.halos.chunks;
        let n = self.halos.shape[axis];
        let start = chunks.axis_starts(axis)[block] as isize;
        let size = chunks.axis(axis)[block] as isize;
        let (l, r) = self.halos.halos(axis, block);
        let mut runs: Vec<Run> = Vec::new();
        for (dest, g) in (start - l as isize..start + size + r as isize).enumerate() {
            let next = match source_index(g, n, &self.boundary[axis]) {
                None => Run::Const { dest, len: 1 },
                Some(src) => {
                    let (b, b_start) = chunks.locate(axis, src);
                    Run::Copy {
                        dest,
                        block: b,
                        first: src - b_start,
                        len: 1,
                        step: 1,
                    }
                }
            };
            let merged = match (runs.last_mut(), next) {
                (Some(Run::Const { len, .. }), Run::Const { .. }) => {
                    *len += 1;
                    true
                }
                (
                    Some(Run::Copy {
                        block,
                        first,
                        len,
                        step,
                        ..
                    }),
                    Run::Copy {
                        block: b, first: f, ..
                    },
                ) if *block == b => {
                    let last = *first as isize + (*len as isize - 1) * *step;
                    let delta = f as isize - last;
                    if (*len == 1 && delta.abs() == 1) || (*len > 1 && delta == *step) {
                        *step = delta;
                        *len += 1;
                        true
                    } else {
                        false
                    }
                }
                _ => false,
            };
            if !merged {
                runs.push(next);
            }
        }
        runs
    }

    /// Per axis, the distinct input blocks the runs read, in order.
    fn blocks_read(runs: &[Vec<Run>]) -> Vec<Vec<usize>> {
        runs.iter()
            .map(|axis_runs| {
                let mut blocks: Vec<usize> = axis_runs
                    .iter()
                    .filter_map(|r| match r {
                        Run::Copy { block, .. } => Some(*block),
                        Run::Const { .. } => None,
                    })
                    .collect();
                blocks.sort_unstable();
                blocks.dedup();
                blocks
            })
            .collect()
    }

    fn all_runs(&self, index: &[usize]) -> Vec<Vec<Run>> {
        index
            .iter()
            .enumerate()
            .map(|(a, &b)| self.runs(a, b))
            .collect()
    }

    /// The extended block `index` assembled from the input blocks it reads.
    fn extended(&self, index: &[usize], inputs: &[Value]) -> Result<ArrayD<T>> {
        let runs = self.all_runs(index);
        let read = Self::blocks_read(&runs);
        let shape: Vec<usize> = runs
            .iter()
            .map(|rs| {
                rs.last().map_or(0, |r| match *r {
                    Run::Const { dest, len } | Run::Copy { dest, len, .. } => dest + len,
                })
            })
            .collect();
        let mut out = ArrayD::from_elem(IxDyn(&shape), T::default());
        let key = Key::chunk(self.name, index);
        let counts: Vec<usize> = runs.iter().map(Vec::len).collect();
        for combo in BlockIter::new(counts) {
            // A constant on some axis: the last such axis' constant (Dask pads axis by axis).
            let constant = (0..combo.len())
                .rev()
                .find(|&a| matches!(runs[a][combo[a]], Run::Const { .. }));
            if let Some(a) = constant {
                let v = match self.boundary[a] {
                    Boundary::Constant(v) => v,
                    _ => T::default(),
                };
                out.slice_each_axis_mut(|ax| runs[ax.axis.index()][combo[ax.axis.index()]].dest())
                    .fill(v);
                continue;
            }
            // The input block this combination of runs reads, as a row-major position in
            // the product of `read`.
            let mut pos = 0;
            for (a, &ri) in combo.iter().enumerate() {
                if let Run::Copy { block, .. } = runs[a][ri] {
                    let k = read[a].binary_search(&block).expect("a read block");
                    pos = pos * read[a].len() + k;
                }
            }
            let src: &ArrayD<T> = inputs
                .get(pos)
                .ok_or_else(|| Error::Internal {
                    pass: "overlap",
                    message: format!("input {pos} of block {index:?} missing"),
                })?
                .get(&key)?;
            let view =
                src.slice_each_axis(|ax| match runs[ax.axis.index()][combo[ax.axis.index()]] {
                    Run::Copy {
                        first, len, step, ..
                    } => {
                        if step > 0 {
                            Slice::from(first..first + len)
                        } else {
                            Slice::new((first + 1 - len) as isize, Some(first as isize + 1), -1)
                        }
                    }
                    Run::Const { .. } => unreachable!("constant runs are skipped"),
                });
            out.slice_each_axis_mut(|ax| runs[ax.axis.index()][combo[ax.axis.index()]].dest())
                .assign(&view);
        }
        Ok(out)
    }
}

impl<T, U, F> GatherFn for OverlapFn<T, U, F>
where
    T: Element,
    U: Element,
    F: Fn(Vec<ArrayD<T>>, &[usize]) -> Result<ArrayD<U>> + Send + Sync,
{
    fn name(&self) -> &str {
        self.name
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        let read = Self::blocks_read(&self.all_runs(index));
        let counts: Vec<usize> = read.iter().map(Vec::len).collect();
        let blocks: Vec<Vec<usize>> = if counts.contains(&0) {
            vec![]
        } else {
            BlockIter::new(counts)
                .map(|c| c.iter().enumerate().map(|(a, &k)| read[a][k]).collect())
                .collect()
        };
        // The same blocks of every input, input by input.
        vec![
            (0..self.n_inputs)
                .flat_map(|k| blocks.iter().map(move |b| (k, b.clone())))
                .collect(),
        ]
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let per_input = inputs.len() / self.n_inputs.max(1);
        let exts = (0..self.n_inputs)
            .map(|k| self.extended(&pos.index, &inputs[k * per_input..(k + 1) * per_input]))
            .collect::<Result<Vec<_>>>()?;
        drop(inputs);
        (self.then)(exts, &pos.index).map(Value::new)
    }
}

/// Cuts the halos (left, right per axis) off a block.
fn trim<U: Element>(block: ArrayViewD<'_, U>, halos: &[(usize, usize)]) -> ArrayD<U> {
    block
        .slice_each_axis(|ax| {
            let (l, r) = halos[ax.axis.index()];
            let n = ax.len;
            Slice::from(l..n - r)
        })
        .as_standard_layout()
        .into_owned()
}

impl<T: Element> Array<T> {
    /// Every block extended by `depth[a]` elements on both sides of each axis `a`, taken
    /// from the neighbouring blocks, and beyond the array's edges made by `boundary` (Dask's
    /// `overlap`). The result's chunks are the input's plus the halos (with
    /// [`Boundary::None`], edge blocks grow only inwards), so it is bigger than the input:
    /// use [`Array::trim_internal`] (or [`Array::map_overlap`], which does both) to get the
    /// original geometry back.
    ///
    /// A wrong number of depths is an error.
    ///
    /// ```
    /// use chunkflow::{Array, Boundary};
    /// let x = Array::from_vec((0..6).collect::<Vec<i64>>(), 3)?;
    /// let o = x.overlap(&[1], Boundary::Constant(-1))?;
    /// assert_eq!(o.chunks().axis(0), &[5, 5]);
    /// assert_eq!(o.compute()?.into_raw_vec_and_offset().0, [-1, 0, 1, 2, 3, 2, 3, 4, 5, -1]);
    /// assert!(x.overlap(&[1, 1], Boundary::Reflect).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn overlap(&self, depth: &[usize], boundary: impl Into<Boundaries<T>>) -> Result<Array<T>> {
        self.check()?;
        // Halos come from neighbouring blocks: zero-size blocks would hold none.
        let this = self.without_zero_chunks()?;
        let boundary = boundary.into().resolve("overlap", self.ndim())?;
        let halos = Halos::new("overlap", this.shape(), this.chunks(), depth, &boundary)?;
        let chunks = halos.extended_chunks();
        let g = OverlapFn::<T, T, _> {
            name: "overlap",
            halos,
            boundary,
            n_inputs: 1,
            then: |mut exts: Vec<ArrayD<T>>, _: &[usize]| {
                exts.pop().ok_or_else(|| Error::Internal {
                    pass: "overlap",
                    message: "no extended block".into(),
                })
            },
            id: fresh_id(),
            _t: PhantomData,
        };
        Ok(this.gather_node(Arc::new(g), chunks))
    }

    /// Cuts the halos that [`Array::overlap`] with the same `depth` and `boundary` added
    /// (only whether `boundary` is [`Boundary::None`] matters): each block loses `depth[a]`
    /// elements on both sides of axis `a`, except on the outer side of edge blocks with
    /// `Boundary::None`. A block smaller than its halos is an error.
    ///
    /// ```
    /// use chunkflow::{Array, Boundary};
    /// let x = Array::<f64>::linspace(0.0, 1.0, 7, 3)?;
    /// let back = x.overlap(&[2], Boundary::Periodic)?.trim_internal(&[2], Boundary::Periodic)?;
    /// assert_eq!(back.chunks(), x.chunks());
    /// assert_eq!(back.compute()?, x.compute()?);
    /// assert!(x.trim_internal(&[2], Boundary::Periodic).is_err()); // a block of 1 element
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn trim_internal(
        &self,
        depth: &[usize],
        boundary: impl Into<Boundaries<T>>,
    ) -> Result<Array<T>> {
        self.check()?;
        let boundary = boundary.into().resolve("trim_internal", self.ndim())?;
        let halos = Halos::new(
            "trim_internal",
            self.shape(),
            self.chunks(),
            depth,
            &boundary,
        )?;
        let mut lists = Vec::with_capacity(self.ndim());
        for a in 0..self.ndim() {
            let mut list = Vec::new();
            for (i, &s) in self.chunks().axis(a).iter().enumerate() {
                let (l, r) = halos.halos(a, i);
                if s < l + r {
                    return Err(Error::InvalidArgument(format!(
                        "trim_internal: block {i} along axis {a} has {s} elements, fewer than its halos {l} + {r}"
                    )));
                }
                list.push(s - l - r);
            }
            lists.push(list);
        }
        let chunks = Chunks::from_lists(lists);
        let g = MapTrimmed {
            halos,
            id: fresh_id(),
            _t: PhantomData::<fn() -> T>,
        };
        Ok(self.gather_node(Arc::new(g), chunks))
    }

    /// Applies a stencil: each block extended by its halos (see [`Array::overlap`] and
    /// [`Boundary`]) is handed to `f`, which must return an array of the extended block's
    /// shape; its halos are then cut off ([`Array::trim_internal`]), so the result has this
    /// array's shape and chunks. One task per block does all three, reading the block and
    /// the neighbours its halo spans. A block `f` returns with another shape is an error
    /// naming the block.
    ///
    /// A 1-D moving average of width 3, checked against the same stencil on the whole array:
    ///
    /// ```
    /// use chunkflow::{Array, Boundary};
    /// use ndarray::{Array1, s};
    /// let data = Array1::from_iter((0..20).map(|i| ((i * 7) % 11) as f64));
    /// let x = Array::from_ndarray(data.clone(), [6])?;
    /// let avg = x.map_overlap(&[1], Boundary::Nearest, |b| {
    ///     let mut out = b.to_owned();
    ///     let n = b.len();
    ///     for i in 1..n - 1 {
    ///         out[i] = (b[i - 1] + b[i] + b[i + 1]) / 3.0;
    ///     }
    ///     out
    /// })?;
    /// // The same on the whole array, padded with its edge values.
    /// let mut padded = vec![data[0]];
    /// padded.extend(data.iter());
    /// padded.push(data[19]);
    /// let expected = Array1::from_iter((1..21).map(|i| (padded[i - 1] + padded[i] + padded[i + 1]) / 3.0));
    /// assert_eq!(avg.compute()?, expected.into_dyn());
    /// # let _ = s![..];
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn map_overlap<U: Element>(
        &self,
        depth: &[usize],
        boundary: impl Into<Boundaries<T>>,
        f: impl Fn(ArrayViewD<'_, T>) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        map_overlap(&[self], depth, boundary, move |blocks| f(blocks[0].clone()))
    }

    /// A gather node over this array with output chunks `chunks` and element type `U`.
    pub(super) fn gather_node<U: Element>(&self, g: Arc<dyn GatherFn>, chunks: Chunks) -> Array<U> {
        let shape = chunks.as_lists().iter().map(|c| c.iter().sum()).collect();
        let meta = Meta {
            shape,
            chunks,
            dtype: U::DTYPE,
        };
        Array::build(Op::Gather(g), vec![self.node().clone()], meta)
    }
}

/// [`Array::map_overlap`] over several arrays of one shape (Dask's `map_overlap(f, *arrays)`):
/// their chunks are unified first, every block of each is extended by the same halos
/// (`depth` and `boundary` as for one array), and `f` gets the extended blocks (in the
/// arrays' order) and returns one block of their shape, whose halos are then cut off.
/// Arrays of different shapes are an error naming them.
///
/// ```
/// use chunkflow::{Array, Boundary, map_overlap};
/// // Advection-like update: u + c * (u[i+1] - u[i-1]) with a per-cell coefficient c.
/// let u = Array::from_vec((0..10).map(|i| (i * i) as f64).collect(), 4)?;
/// let c = Array::from_vec((0..10).map(|i| i as f64 * 0.1).collect(), 3)?;
/// let step = map_overlap(&[&u, &c], &[1], Boundary::Nearest, |b| {
///     let (u, c) = (&b[0], &b[1]);
///     let mut out = u.to_owned();
///     for i in 1..u.len() - 1 {
///         out[i] = u[i] + c[i] * (u[i + 1] - u[i - 1]);
///     }
///     out
/// })?;
/// let got = step.compute()?;
/// assert_eq!(got[0], 0.0 + 0.0 * (1.0 - 0.0));
/// assert_eq!(got[5], 25.0 + 0.5 * (36.0 - 16.0));
/// assert_eq!(got[9], 81.0 + 0.9 * (81.0 - 64.0));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn map_overlap<T: Element, U: Element>(
    arrays: &[&Array<T>],
    depth: &[usize],
    boundary: impl Into<Boundaries<T>>,
    f: impl Fn(&[ArrayViewD<'_, T>]) -> ArrayD<U> + Send + Sync + 'static,
) -> Result<Array<U>> {
    let first = arrays
        .first()
        .ok_or_else(|| Error::InvalidArgument("map_overlap needs at least one array".into()))?;
    for a in arrays {
        a.check()?;
        if a.shape() != first.shape() {
            return Err(Error::ShapeMismatch(format!(
                "map_overlap needs arrays of one shape, not {:?} and {:?}",
                first.shape(),
                a.shape()
            )));
        }
    }
    let (shape, _, inputs) = unify(arrays)?;
    // Halos come from neighbouring blocks: zero-size blocks would hold none.
    let inputs = inputs
        .iter()
        .map(|a| a.without_zero_chunks())
        .collect::<Result<Vec<_>>>()?;
    let chunks = inputs[0].chunks().clone();
    let boundary = boundary.into().resolve("map_overlap", shape.len())?;
    let halos = Halos::new("map_overlap", &shape, &chunks, depth, &boundary)?;
    let trims = halos.clone();
    let then = move |exts: Vec<ArrayD<T>>, index: &[usize]| -> Result<ArrayD<U>> {
        let views: Vec<ArrayViewD<'_, T>> = exts.iter().map(|e| e.view()).collect();
        let out = f(&views);
        if out.shape() != exts[0].shape() {
            return Err(Error::ShapeMismatch(format!(
                "map_overlap returned a block of shape {:?} for block {index:?}, expected the extended block's shape {:?}",
                out.shape(),
                exts[0].shape()
            )));
        }
        let h: Vec<(usize, usize)> = index
            .iter()
            .enumerate()
            .map(|(a, &b)| trims.halos(a, b))
            .collect();
        Ok(trim(out.view(), &h))
    };
    let g = OverlapFn::<T, U, _> {
        name: "map_overlap",
        halos,
        boundary,
        n_inputs: inputs.len(),
        then,
        id: fresh_id(),
        _t: PhantomData,
    };
    let meta = Meta {
        shape,
        chunks,
        dtype: U::DTYPE,
    };
    Ok(Array::build(
        Op::Gather(Arc::new(g)),
        inputs.iter().map(|a| a.node().clone()).collect(),
        meta,
    ))
}

/// `trim_internal`: each block with its halos cut off.
struct MapTrimmed<T> {
    halos: Halos,
    id: u64,
    _t: PhantomData<fn() -> T>,
}

impl<T: Element> GatherFn for MapTrimmed<T> {
    fn name(&self) -> &str {
        "trim_internal"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        vec![vec![(0, index.to_vec())]]
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let key = Key::chunk("trim_internal", &pos.index);
        let block: &ArrayD<T> = inputs
            .first()
            .ok_or_else(|| Error::Internal {
                pass: "trim_internal",
                message: "no input".into(),
            })?
            .get(&key)?;
        let h: Vec<(usize, usize)> = pos
            .index
            .iter()
            .enumerate()
            .map(|(a, &b)| self.halos.halos(a, b))
            .collect();
        Ok(Value::new(trim(block.view(), &h)))
    }
}
