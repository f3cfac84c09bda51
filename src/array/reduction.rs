//! User-defined tree reductions, like `dask.array.reduction`: typed `chunk`, `combine` and
//! `aggregate` closures run as one gather per output block (a `chunk` task per input block,
//! `combine` tasks of fan-in `split_every`, and `aggregate` on the tree's root).

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, SliceInfoElem};

use super::{Array, Chunks};
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::{BlockIter, Meta};
use crate::graph::{Key, Value};
use crate::kernel::gather::{BlockPos, GatherFn, PartInputs};
use crate::kernel::source::fresh_id;
use crate::plan::Op;

struct ReductionFn<T, S, U, C, M, A> {
    chunk: C,
    combine: M,
    aggregate: A,
    axes: Vec<usize>,
    reduced: Vec<bool>,
    in_grid: Vec<usize>,
    split_every: usize,
    id: u64,
    _t: PhantomData<fn(T, S) -> U>,
}

impl<T, S, U, C, M, A> ReductionFn<T, S, U, C, M, A> {
    /// An error unless `got` keeps the lengths of the kept axes of `want`.
    fn check_state(
        &self,
        step: &str,
        index: &[usize],
        got: &[usize],
        want: &[usize],
    ) -> Result<()> {
        let ok = got.len() == want.len()
            && got
                .iter()
                .zip(want)
                .zip(&self.reduced)
                .all(|((g, w), &r)| r || g == w);
        if ok {
            return Ok(());
        }
        Err(Error::ShapeMismatch(format!(
            "reduction: {step} returned a state of shape {got:?} for output block {index:?}; \
             it must have {} axes and keep the lengths of the unreduced axes of {want:?} \
             (reduced axes {:?})",
            want.len(),
            self.axes
        )))
    }
}

impl<T, S, U, C, M, A> GatherFn for ReductionFn<T, S, U, C, M, A>
where
    T: Element,
    S: Element,
    U: Element,
    C: Fn(ArrayViewD<'_, T>, &[usize]) -> ArrayD<S> + Send + Sync,
    M: Fn(&[ArrayViewD<'_, S>], &[usize]) -> ArrayD<S> + Send + Sync,
    A: Fn(ArrayViewD<'_, S>, &[usize]) -> ArrayD<U> + Send + Sync,
{
    fn name(&self) -> &str {
        "reduction"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn split_every(&self) -> usize {
        self.split_every
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        let span: Vec<usize> = self
            .in_grid
            .iter()
            .zip(&self.reduced)
            .map(|(&g, &r)| if r { g } else { 1 })
            .collect();
        BlockIter::new(span)
            .map(|d| vec![(0, index.iter().zip(&d).map(|(i, d)| i + d).collect())])
            .collect()
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let key = Key::chunk("reduction", &pos.index);
        let block: &ArrayD<T> = inputs
            .first()
            .ok_or_else(|| Error::Internal {
                pass: "reduction",
                message: "a chunk step without input".into(),
            })?
            .get(&key)?;
        let state = (self.chunk)(block.view(), &self.axes);
        self.check_state("chunk", &pos.index, state.shape(), block.shape())?;
        Ok(Value::new(state))
    }
    fn combine(&self, pos: &BlockPos, values: Vec<Value>) -> Result<Value> {
        let key = Key::chunk("reduction", &pos.index);
        let states = values
            .iter()
            .map(|v| v.get::<ArrayD<S>>(&key))
            .collect::<Result<Vec<_>>>()?;
        let views: Vec<ArrayViewD<'_, S>> = states.iter().map(|s| s.view()).collect();
        let state = (self.combine)(&views, &self.axes);
        self.check_state("combine", &pos.index, state.shape(), &pos.shape)?;
        Ok(Value::new(state))
    }
    fn finish(&self, pos: &BlockPos, value: Value) -> Result<Value> {
        let key = Key::chunk("reduction", &pos.index);
        let state: &ArrayD<S> = value.get(&key)?;
        let out = (self.aggregate)(state.view(), &self.axes);
        if out.shape() != pos.shape.as_slice() {
            return Err(Error::ShapeMismatch(format!(
                "reduction: aggregate returned a block of shape {:?} for output block {:?}, \
                 expected {:?} (reduced axes {:?} of length 1)",
                out.shape(),
                pos.index,
                pos.shape,
                self.axes
            )));
        }
        Ok(Value::new(out))
    }
}

impl<T: Element> Array<T> {
    /// A user-defined tree reduction over `axes` (Dask's `dask.array.reduction`):
    ///
    /// - `chunk(block, axes)` turns each input block into a *state*: an array with the
    ///   block's lengths on the other axes and any length on the reduced ones (a sum: length
    ///   1; a mean: `[sum, count]` along the first reduced axis);
    /// - `combine(states, axes)` merges up to `split_every` states (in block order) into
    ///   one, in a tree, for output blocks that span more than one input block;
    /// - `aggregate(state, axes)` finishes the last state into the output block, whose
    ///   reduced axes have length 1 (removed afterwards unless `keepdims`).
    ///
    /// Axes out of range or repeated and `split_every < 2` are errors; a state or result
    /// of the wrong shape is an error naming the output block when it is produced.
    ///
    /// ```
    /// use chunkflow::Array;
    /// use ndarray::{Axis, ArrayD, concatenate};
    /// let x = Array::<f64>::from_fn(&[4, 6], [3, 2], |i| (i[0] * 6 + i[1]) as f64)?;
    /// // The mean over axis 1, with (sum, count) states stacked along the reduced axis.
    /// let mean = x.reduction(
    ///     &[1],
    ///     false,
    ///     2,
    ///     |b, _| concatenate(Axis(1), &[
    ///         b.sum_axis(Axis(1)).insert_axis(Axis(1)).view(),
    ///         ArrayD::from_elem(vec![b.shape()[0], 1], b.shape()[1] as f64).view(),
    ///     ]).unwrap(),
    ///     |states, _| {
    ///         let mut acc = states[0].to_owned();
    ///         for s in &states[1..] { acc += s; }
    ///         acc
    ///     },
    ///     |s, _| (&s.slice(ndarray::s![.., 0..1]) / &s.slice(ndarray::s![.., 1..2])).into_dyn(),
    /// )?;
    /// assert_eq!(mean.compute()?.as_slice().unwrap(), &[2.5, 8.5, 14.5, 20.5]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn reduction<S: Element, U: Element>(
        &self,
        axes: &[usize],
        keepdims: bool,
        split_every: usize,
        chunk: impl Fn(ArrayViewD<'_, T>, &[usize]) -> ArrayD<S> + Send + Sync + 'static,
        combine: impl Fn(&[ArrayViewD<'_, S>], &[usize]) -> ArrayD<S> + Send + Sync + 'static,
        aggregate: impl Fn(ArrayViewD<'_, S>, &[usize]) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        self.check()?;
        let ndim = self.ndim();
        let mut reduced = vec![false; ndim];
        for &a in axes {
            if a >= ndim {
                return Err(Error::AxisOutOfRange { axis: a, ndim });
            }
            if std::mem::replace(&mut reduced[a], true) {
                return Err(Error::InvalidArgument(format!(
                    "reduction: axis {a} is listed twice in {axes:?}"
                )));
            }
        }
        if split_every < 2 {
            return Err(Error::InvalidArgument(format!(
                "reduction: split_every must be at least 2, not {split_every}"
            )));
        }
        let mut sorted = axes.to_vec();
        sorted.sort_unstable();
        let lists: Vec<Vec<usize>> = (0..ndim)
            .map(|a| {
                if reduced[a] {
                    vec![1]
                } else {
                    self.chunks().axis(a).to_vec()
                }
            })
            .collect();
        let chunks = Chunks::from_lists(lists);
        let shape = chunks.as_lists().iter().map(|c| c.iter().sum()).collect();
        let g = ReductionFn {
            chunk,
            combine,
            aggregate,
            axes: sorted,
            reduced: reduced.clone(),
            in_grid: self.chunks().grid(),
            split_every,
            id: fresh_id(),
            _t: PhantomData,
        };
        let meta = Meta {
            shape,
            chunks,
            dtype: U::DTYPE,
        };
        let out = Array::<U>::build(Op::Gather(Arc::new(g)), vec![self.node().clone()], meta);
        if keepdims || axes.is_empty() {
            return Ok(out);
        }
        let index: Vec<SliceInfoElem> = reduced
            .iter()
            .map(|&r| {
                if r {
                    SliceInfoElem::Index(0)
                } else {
                    SliceInfoElem::Slice {
                        start: 0,
                        end: None,
                        step: 1,
                    }
                }
            })
            .collect();
        out.slice(index)
    }
}
