//! Data-dependent selections, whose results have unknown chunk sizes (see
//! [`unknown`](super::unknown)): boolean masks (`mask`, `compress`), the positions of
//! nonzero elements (`argwhere`, `nonzero`) and the distinct values (`unique`,
//! `unique_counts`).
//!
//! Each is one task per input block, as Dask builds them: a mask keeps each block's
//! selected elements, so the result has one chunk per block of the (flattened) input, of
//! a size known only when it is computed; `unique` takes the distinct values of each block
//! and merges them in a tree into one chunk.

use std::cmp::Ordering;
use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn};

use super::Array;
use super::order::total;
use super::unknown::unflatten;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::{Chunks, Meta};
use crate::graph::{Key, Value};
use crate::kernel::gather::{BlockPos, GatherFn, PartInputs};
use crate::kernel::source::fresh_id;
use crate::plan::Op;

impl<T: Element> Array<T> {
    /// The elements where `m` is true, in row-major order (NumPy's `x[m]` with a boolean
    /// array of `x`'s shape; Dask's too). The result is 1-d with one chunk per block of the
    /// flattened array, of **unknown sizes** until computed (see
    /// [`Array::compute_chunk_sizes`]). Shapes that differ are an error.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![1.0, -2.0, 3.0, -4.0, 5.0], 2)?;
    /// let positive = x.mask(&x.gt(0.0))?;
    /// assert_eq!(positive.compute()?.as_slice().unwrap(), &[1.0, 3.0, 5.0]);
    /// assert_eq!(positive.sum().scalar()?, 9.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn mask(&self, m: &Array<bool>) -> Result<Array<T>> {
        self.check()?;
        m.check()?;
        if self.shape() != m.shape() {
            return Err(Error::ShapeMismatch(format!(
                "mask of shape {:?} for an array of shape {:?} (they must be equal)",
                m.shape(),
                self.shape()
            )));
        }
        let x = self.flat()?;
        let m = m.flat()?.rechunk(x.chunks().as_lists().to_vec())?;
        let g = MaskFn::<T> {
            id: fresh_id(),
            _t: PhantomData,
        };
        let meta = unknown_meta::<T>(x.chunks().as_lists().to_vec(), &[true]);
        Ok(Array::build(
            Op::Gather(Arc::new(g)),
            vec![x.node().clone(), m.node().clone()],
            meta,
        ))
    }

    /// The slices along `axis` where the 1-d `condition` is true (NumPy's `compress`; Dask's
    /// `x[:, c]` with a boolean array). A condition shorter than the axis selects from its
    /// first `condition.len()` slices only, as NumPy does; a longer one, or one that is not
    /// 1-d, is an error. The result has unknown chunk sizes along `axis`.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let x = Array::<i32>::from_fn(&[2, 4], [2, 3], |i| (i[0] * 4 + i[1]) as i32)?;
    /// let keep = Array::from_vec(vec![true, false, false, true], 2)?;
    /// let y = x.compress(&keep, 1)?.compute()?;
    /// assert_eq!(y, ndarray::array![[0, 3], [4, 7]].into_dyn());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn compress(&self, condition: &Array<bool>, axis: usize) -> Result<Array<T>> {
        self.check()?;
        condition.check()?;
        self.check_axis(axis)?;
        if condition.ndim() != 1 || condition.len() > self.shape()[axis] {
            return Err(Error::ShapeMismatch(format!(
                "compress: the condition (shape {:?}) must be 1-d and no longer than axis {axis} (length {})",
                condition.shape(),
                self.shape()[axis]
            )));
        }
        let x = if condition.len() < self.shape()[axis] {
            self.slice_axis_to(axis, condition.len())?
        } else {
            self.clone()
        };
        let c = condition.rechunk(vec![x.chunks().axis(axis).to_vec()])?;
        let mut unknown = vec![false; x.ndim()];
        unknown[axis] = true;
        let g = CompressFn::<T> {
            axis,
            id: fresh_id(),
            _t: PhantomData,
        };
        let meta = unknown_meta::<T>(x.chunks().as_lists().to_vec(), &unknown);
        Ok(Array::build(
            Op::Gather(Arc::new(g)),
            vec![x.node().clone(), c.node().clone()],
            meta,
        ))
    }

    /// The indices of the nonzero elements (NaN counts as nonzero), one row per element in
    /// row-major order, one column per axis (NumPy's `argwhere`): shape `[n, ndim]`, `n`
    /// unknown until computed.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_fn(&[2, 3], 2, |i| (i[0] + i[1]) as i32 % 2)?;
    /// let w = x.argwhere()?.compute()?;
    /// assert_eq!(w, ndarray::array![[0, 1], [1, 0], [1, 2]].into_dyn());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn argwhere(&self) -> Result<Array<u64>> {
        self.positions(None)
    }

    /// The indices of the nonzero elements, one array per axis (NumPy's `nonzero`): the
    /// columns of [`Array::argwhere`]. A 0-d array is an error (NumPy deprecates it).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![0.0, 2.0, 0.0, 7.0], 3)?;
    /// let idx = x.nonzero()?;
    /// assert_eq!(idx[0].compute()?.as_slice().unwrap(), &[1, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nonzero(&self) -> Result<Vec<Array<u64>>> {
        if self.ndim() == 0 {
            return Err(Error::InvalidArgument(
                "nonzero of a 0-d array (use atleast_1d first)".into(),
            ));
        }
        (0..self.ndim()).map(|a| self.positions(Some(a))).collect()
    }

    /// The sorted distinct values (NumPy's `unique`; NaN once, last): one chunk of unknown
    /// size. Each block's distinct values are found, then merged in a tree.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::from_vec(vec![3, 1, 3, 2, 1, 3], 2)?;
    /// assert_eq!(x.unique()?.compute()?.as_slice().unwrap(), &[1, 2, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn unique(&self) -> Result<Array<T>> {
        self.check()?;
        let grid = self.chunks().grid();
        let g = UniqueFn::<T> {
            blocks: grid.iter().product(),
            grid,
            id: fresh_id(),
            _t: PhantomData,
        };
        let meta = unknown_meta::<T>(vec![vec![self.len()]], &[true]);
        Ok(Array::build(
            Op::Gather(Arc::new(g)),
            vec![self.node().clone()],
            meta,
        ))
    }

    /// The sorted distinct values and how often each occurs (NumPy's `unique` with
    /// `return_counts`). The counts are a second pass over the blocks, summed in a tree.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::from_vec(vec![3, 1, 3, 2, 1, 3], 4)?;
    /// let (values, counts) = x.unique_counts()?;
    /// let (v, c) = chunkflow::compute((&values, &counts))?;
    /// assert_eq!(v.as_slice().unwrap(), &[1, 2, 3]);
    /// assert_eq!(c.as_slice().unwrap(), &[2, 1, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn unique_counts(&self) -> Result<(Array<T>, Array<i64>)> {
        let values = self.unique()?;
        let grid = self.chunks().grid();
        let g = CountFn::<T> {
            blocks: grid.iter().product(),
            grid,
            id: fresh_id(),
            _t: PhantomData,
        };
        let meta = unknown_meta::<i64>(vec![vec![self.len()]], &[true]);
        // Built directly: `values` has unknown sizes, which this node reads as a whole.
        let counts = Array::wrap(crate::plan::Node::new(
            Op::Gather(Arc::new(g)),
            vec![values.node().clone(), self.node().clone()],
            meta,
        ));
        Ok((values, counts))
    }

    /// The array flattened to 1-d (itself if it is 1-d).
    fn flat(&self) -> Result<Array<T>> {
        if self.ndim() == 1 {
            Ok(self.clone())
        } else {
            self.reshape(&[self.len()])
        }
    }

    /// The first `len` slices along `axis`.
    fn slice_axis_to(&self, axis: usize, len: usize) -> Result<Array<T>> {
        let info: Vec<ndarray::SliceInfoElem> = (0..self.ndim())
            .map(|a| ndarray::SliceInfoElem::Slice {
                start: 0,
                end: (a == axis).then_some(len as isize),
                step: 1,
            })
            .collect();
        self.slice(info)
    }

    /// `argwhere` (all columns) or `nonzero`'s column `column`.
    fn positions(&self, column: Option<usize>) -> Result<Array<u64>> {
        self.check()?;
        let flat = self.flat()?;
        let width = column.map_or(self.ndim(), |_| 1);
        let mut lists = vec![flat.chunks().axis(0).to_vec()];
        let mut unknown = vec![true];
        if column.is_none() {
            lists.push(vec![width]);
            unknown.push(false);
        }
        let g = PositionsFn::<T> {
            shape: self.shape().to_vec(),
            starts: flat.chunks().axis_starts(0).to_vec(),
            column,
            id: fresh_id(),
            _t: PhantomData,
        };
        let meta = unknown_meta::<u64>(lists, &unknown);
        Ok(Array::build(
            Op::Gather(Arc::new(g)),
            vec![flat.node().clone()],
            meta,
        ))
    }
}

/// The meta of a `U` result chunked by `lists` (upper bounds on the axes in `unknown`).
fn unknown_meta<U: Element>(lists: Vec<Vec<usize>>, unknown: &[bool]) -> Meta {
    let chunks = Chunks::from_lists(lists).with_unknown(unknown.to_vec());
    Meta {
        shape: chunks.as_lists().iter().map(|l| l.iter().sum()).collect(),
        chunks,
        dtype: U::DTYPE,
    }
}

/// The block `key`'s array of `T` from a value.
fn array_of<'v, T: Element>(value: &'v Value, pos: &BlockPos, what: &str) -> Result<&'v ArrayD<T>> {
    value.get::<ArrayD<T>>(&Key::chunk(what, &pos.index))
}

fn one_d<T: Element>(values: Vec<T>) -> Value {
    let n = values.len();
    Value::new(ArrayD::from_shape_vec(IxDyn(&[n]), values).expect("a 1-d vector"))
}

/// Whether `v` counts as true (nonzero; NaN is nonzero).
fn truthy<T: Element>(v: T) -> bool {
    v != T::default() || v.is_nan()
}

/// Sorted, distinct (NaN once) values of `v`.
fn distinct<T: Element>(mut v: Vec<T>) -> Vec<T> {
    v.sort_by(total);
    v.dedup_by(|a, b| total(a, b) == Ordering::Equal);
    v
}

struct MaskFn<T> {
    id: u64,
    _t: PhantomData<fn(T)>,
}

impl<T: Element> GatherFn for MaskFn<T> {
    fn name(&self) -> &str {
        "mask"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        vec![vec![(0, index.to_vec()), (1, index.to_vec())]]
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let (x, m) = (
            array_of::<T>(&inputs[0], pos, "mask")?,
            array_of::<bool>(&inputs[1], pos, "mask")?,
        );
        let kept: Vec<T> = x
            .iter()
            .zip(m)
            .filter(|(_, m)| **m)
            .map(|(v, _)| *v)
            .collect();
        Ok(one_d(kept))
    }
}

struct CompressFn<T> {
    axis: usize,
    id: u64,
    _t: PhantomData<fn(T)>,
}

impl<T: Element> GatherFn for CompressFn<T> {
    fn name(&self) -> &str {
        "compress"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        vec![vec![(0, index.to_vec()), (1, vec![index[self.axis]])]]
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let (x, c) = (
            array_of::<T>(&inputs[0], pos, "compress")?,
            array_of::<bool>(&inputs[1], pos, "compress")?,
        );
        let picked: Vec<usize> = (0..c.len()).filter(|&i| c[[i]]).collect();
        Ok(Value::new(x.select(Axis(self.axis), &picked)))
    }
}

struct PositionsFn<T> {
    shape: Vec<usize>,
    starts: Vec<usize>,
    column: Option<usize>,
    id: u64,
    _t: PhantomData<fn(T)>,
}

impl<T: Element> GatherFn for PositionsFn<T> {
    fn name(&self) -> &str {
        if self.column.is_some() {
            "nonzero"
        } else {
            "argwhere"
        }
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        vec![vec![(0, vec![index[0]])]]
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let x = array_of::<T>(&inputs[0], pos, self.name())?;
        let start = self.starts[pos.index[0]];
        let ndim = self.shape.len();
        let mut coords: Vec<u64> = Vec::new();
        let mut rows = 0;
        for (j, &v) in x.iter().enumerate() {
            if !truthy(v) {
                continue;
            }
            rows += 1;
            let index = unflatten(start + j, &self.shape);
            match self.column {
                Some(a) => coords.push(index[a] as u64),
                None => coords.extend(index.iter().map(|&i| i as u64)),
            }
        }
        let shape = match self.column {
            Some(_) => vec![rows],
            None => vec![rows, ndim],
        };
        let out = ArrayD::from_shape_vec(IxDyn(&shape), coords)
            .map_err(|e| Error::ShapeMismatch(e.to_string()))?;
        Ok(Value::new(out))
    }
}

struct UniqueFn<T> {
    blocks: usize,
    grid: Vec<usize>,
    id: u64,
    _t: PhantomData<fn(T)>,
}

impl<T: Element> GatherFn for UniqueFn<T> {
    fn name(&self) -> &str {
        "unique"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, _index: &[usize]) -> Vec<PartInputs> {
        (0..self.blocks)
            .map(|k| vec![(0, unflatten(k, &self.grid))])
            .collect()
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let x = array_of::<T>(&inputs[0], pos, "unique")?;
        Ok(one_d(distinct(x.iter().copied().collect())))
    }
    fn combine(&self, pos: &BlockPos, values: Vec<Value>) -> Result<Value> {
        let mut all = Vec::new();
        for v in &values {
            all.extend(array_of::<T>(v, pos, "unique")?.iter().copied());
        }
        Ok(one_d(distinct(all)))
    }
}

/// Counts, per value of `unique`'s result (input 0), its occurrences in each block of the
/// array (input 1), summed in a tree.
struct CountFn<T> {
    blocks: usize,
    grid: Vec<usize>,
    id: u64,
    _t: PhantomData<fn(T)>,
}

impl<T: Element> GatherFn for CountFn<T> {
    fn name(&self) -> &str {
        "unique_counts"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, _index: &[usize]) -> Vec<PartInputs> {
        (0..self.blocks)
            .map(|k| vec![(0, vec![0]), (1, unflatten(k, &self.grid))])
            .collect()
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let values = array_of::<T>(&inputs[0], pos, "unique_counts")?;
        let values = values
            .as_slice()
            .ok_or_else(|| crate::kernel::internal("unique values are not contiguous"))?;
        let x = array_of::<T>(&inputs[1], pos, "unique_counts")?;
        let mut counts = vec![0i64; values.len()];
        for v in x.iter() {
            let i = values.partition_point(|u| total(u, v) == Ordering::Less);
            if i < values.len() && total(&values[i], v) == Ordering::Equal {
                counts[i] += 1;
            }
        }
        Ok(one_d(counts))
    }
    fn combine(&self, pos: &BlockPos, values: Vec<Value>) -> Result<Value> {
        let mut sum: Vec<i64> = array_of::<i64>(&values[0], pos, "unique_counts")?
            .iter()
            .copied()
            .collect();
        for v in &values[1..] {
            for (s, c) in sum
                .iter_mut()
                .zip(array_of::<i64>(v, pos, "unique_counts")?)
            {
                *s += c;
            }
        }
        Ok(one_d(sum))
    }
}
