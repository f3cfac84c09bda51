//! Reductions as partial → combine → aggregate steps over arrays of per-element states.
//!
//! A partial reduces one chunk along the reduced axes into an array of states (the chunk's
//! shape with the reduced axes set to 1); combines merge such arrays elementwise, in block
//! order, so results are bit-identical whatever the thread count; the aggregate merges the
//! last few and turns states into values. Partials consume strips (from a chunk, or straight
//! from a fused elementwise program), walking each strip row by row: a reduced innermost axis
//! folds a contiguous lane into one state (8 accumulators for sums, two passes for the
//! variance), a kept innermost axis updates a row of states elementwise.
//!
//! Variance merges (count, mean, M2) with Chan et al.'s formula, never a sum of squares.
//! Min, max, argmin and argmax propagate NaN as NumPy does (argmin/argmax: the first NaN).

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::ops::{maximum, minimum};
use super::program::{Program, StripSink};
use crate::dtype::with_dtype;
use crate::dtype::{Col, DType, Element, Num};
use crate::error::{Error, Result};
use crate::graph::{Key, Value};

/// Which reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ReduceKind {
    Sum,
    Prod,
    Min,
    Max,
    Mean,
    Var { ddof: usize },
    Std { ddof: usize },
    Any,
    All,
    ArgMin,
    ArgMax,
}

impl ReduceKind {
    /// The result type for inputs of type `input`.
    pub fn out_dtype(self, input: DType) -> DType {
        match self {
            ReduceKind::Sum | ReduceKind::Prod => match input {
                DType::Bool | DType::I32 | DType::I64 => DType::I64,
                DType::U32 | DType::U64 => DType::U64,
                other => other,
            },
            ReduceKind::Min | ReduceKind::Max => input,
            ReduceKind::Mean | ReduceKind::Var { .. } | ReduceKind::Std { .. } => {
                if input == DType::F32 {
                    DType::F32
                } else {
                    DType::F64
                }
            }
            ReduceKind::Any | ReduceKind::All => DType::Bool,
            ReduceKind::ArgMin | ReduceKind::ArgMax => DType::U64,
        }
    }

    /// Whether reducing zero elements is an error (no identity), as in NumPy.
    pub fn needs_elements(self) -> bool {
        matches!(
            self,
            ReduceKind::Min | ReduceKind::Max | ReduceKind::ArgMin | ReduceKind::ArgMax
        )
    }

    /// The lower-case name (`sum`, `var`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Prod => "prod",
            ReduceKind::Min => "min",
            ReduceKind::Max => "max",
            ReduceKind::Mean => "mean",
            ReduceKind::Var { .. } => "var",
            ReduceKind::Std { .. } => "std",
            ReduceKind::Any => "any",
            ReduceKind::All => "all",
            ReduceKind::ArgMin => "argmin",
            ReduceKind::ArgMax => "argmax",
        }
    }
}

/// A typed reduction: how to fold elements into a state, merge states and finish.
trait Reducer: Send + Sync + 'static {
    type In: Element;
    type State: Clone + Send + Sync + 'static;
    type Out: Element;
    /// Whether folds need the elements' indices (argmin/argmax).
    const NEEDS_INDEX: bool = false;
    fn init(&self) -> Self::State;
    fn fold_one(&self, s: &mut Self::State, x: Self::In, index: u64);
    /// Folds a contiguous lane whose elements have indices `first`, `first + 1`, ...
    fn fold_lane(&self, s: &mut Self::State, lane: &[Self::In], first: u64) {
        for (k, &x) in lane.iter().enumerate() {
            self.fold_one(s, x, first + k as u64);
        }
    }
    fn merge(&self, a: &mut Self::State, b: &Self::State);
    fn finish(&self, s: &Self::State) -> Self::Out;
}

/// Sum of a lane with 8 independent accumulators (vectorisable, and more accurate than one).
#[inline]
fn lane_sum<T: Element>(lane: &[T]) -> T::Sum {
    if T::DTYPE == DType::Bool {
        // Counting trues vectorises far better than widening each bool to i64.
        let trues = lane.iter().filter(|&&x| x != T::default()).count();
        return <T::Sum as Element>::from_scalar(crate::dtype::Scalar::U64(trues as u64));
    }
    let mut acc = [<T::Sum as Num>::ZERO; 8];
    let mut blocks = lane.chunks_exact(8);
    for block in &mut blocks {
        for k in 0..8 {
            acc[k] = acc[k].add(block[k].to_sum());
        }
    }
    for (k, &x) in blocks.remainder().iter().enumerate() {
        acc[k] = acc[k].add(x.to_sum());
    }
    let a = acc[0].add(acc[1]).add(acc[2].add(acc[3]));
    let b = acc[4].add(acc[5]).add(acc[6].add(acc[7]));
    a.add(b)
}

struct SumR<T>(PhantomData<fn(T)>);
impl<T: Element> Reducer for SumR<T> {
    type In = T;
    type State = T::Sum;
    type Out = T::Sum;
    fn init(&self) -> T::Sum {
        <T::Sum as Num>::ZERO
    }
    fn fold_one(&self, s: &mut T::Sum, x: T, _: u64) {
        *s = s.add(x.to_sum());
    }
    fn fold_lane(&self, s: &mut T::Sum, lane: &[T], _: u64) {
        *s = s.add(lane_sum(lane));
    }
    fn merge(&self, a: &mut T::Sum, b: &T::Sum) {
        *a = a.add(*b);
    }
    fn finish(&self, s: &T::Sum) -> T::Sum {
        *s
    }
}

struct ProdR<T>(PhantomData<fn(T)>);
impl<T: Element> Reducer for ProdR<T> {
    type In = T;
    type State = T::Sum;
    type Out = T::Sum;
    fn init(&self) -> T::Sum {
        <T::Sum as Num>::ONE
    }
    fn fold_one(&self, s: &mut T::Sum, x: T, _: u64) {
        *s = s.mul(x.to_sum());
    }
    fn merge(&self, a: &mut T::Sum, b: &T::Sum) {
        *a = a.mul(*b);
    }
    fn finish(&self, s: &T::Sum) -> T::Sum {
        *s
    }
}

struct ExtremeR<T> {
    max: bool,
    _t: PhantomData<fn(T)>,
}
impl<T: Element> Reducer for ExtremeR<T> {
    type In = T;
    type State = Option<T>;
    type Out = T;
    fn init(&self) -> Option<T> {
        None
    }
    fn fold_one(&self, s: &mut Option<T>, x: T, _: u64) {
        *s = Some(match *s {
            None => x,
            Some(v) if self.max => maximum(v, x),
            Some(v) => minimum(v, x),
        });
    }
    fn fold_lane(&self, s: &mut Option<T>, lane: &[T], _: u64) {
        let Some((&first, rest)) = lane.split_first() else {
            return;
        };
        let best = if self.max {
            rest.iter().fold(first, |a, &x| maximum(a, x))
        } else {
            rest.iter().fold(first, |a, &x| minimum(a, x))
        };
        self.fold_one(s, best, 0);
    }
    fn merge(&self, a: &mut Option<T>, b: &Option<T>) {
        if let Some(v) = *b {
            self.fold_one(a, v, 0);
        }
    }
    fn finish(&self, s: &Option<T>) -> T {
        s.unwrap_or_default()
    }
}

/// (count, mean, M2) of a set of values.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Moments {
    pub(crate) n: f64,
    pub(crate) mean: f64,
    pub(crate) m2: f64,
}

impl Moments {
    /// Chan et al.'s parallel merge.
    fn merge(&mut self, b: &Moments) {
        if b.n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            *self = *b;
            return;
        }
        let n = self.n + b.n;
        let delta = b.mean - self.mean;
        self.mean += delta * (b.n / n);
        self.m2 += b.m2 + delta * delta * (self.n * b.n / n);
        self.n = n;
    }
}

struct MomentsR<T> {
    kind: ReduceKind,
    _t: PhantomData<fn(T)>,
}
impl<T: Element> Reducer for MomentsR<T> {
    type In = T;
    type State = Moments;
    type Out = <T as Element>::Real;
    fn init(&self) -> Moments {
        Moments::default()
    }
    fn fold_one(&self, s: &mut Moments, x: T, _: u64) {
        // Welford's update.
        let x = x.to_f64();
        s.n += 1.0;
        let delta = x - s.mean;
        s.mean += delta / s.n;
        s.m2 += delta * (x - s.mean);
    }
    fn fold_lane(&self, s: &mut Moments, lane: &[T], _: u64) {
        if lane.is_empty() {
            return;
        }
        let n = lane.len() as f64;
        let mean = lane_sum_f64(lane) / n;
        let m2 = if matches!(self.kind, ReduceKind::Mean) {
            0.0
        } else {
            let mut acc = [0.0; 4];
            let mut blocks = lane.chunks_exact(4);
            for b in &mut blocks {
                for k in 0..4 {
                    let d = b[k].to_f64() - mean;
                    acc[k] += d * d;
                }
            }
            let rest: f64 = blocks
                .remainder()
                .iter()
                .map(|x| (x.to_f64() - mean).powi(2))
                .sum();
            (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
        };
        s.merge(&Moments { n, mean, m2 });
    }
    fn merge(&self, a: &mut Moments, b: &Moments) {
        a.merge(b);
    }
    fn finish(&self, s: &Moments) -> Self::Out {
        let v = match self.kind {
            ReduceKind::Mean => {
                if s.n == 0.0 {
                    f64::NAN
                } else {
                    s.mean
                }
            }
            ReduceKind::Var { ddof } | ReduceKind::Std { ddof } => {
                let var = if s.n == 0.0 {
                    f64::NAN
                } else {
                    s.m2 / (s.n - ddof as f64).max(0.0)
                };
                if matches!(self.kind, ReduceKind::Std { .. }) {
                    var.sqrt()
                } else {
                    var
                }
            }
            _ => unreachable!("MomentsR serves mean, var and std"),
        };
        <Self::Out as crate::dtype::Float>::from_f64(v)
    }
}

fn lane_sum_f64<T: Element>(lane: &[T]) -> f64 {
    let mut acc = [0.0; 8];
    let mut blocks = lane.chunks_exact(8);
    for b in &mut blocks {
        for k in 0..8 {
            acc[k] += b[k].to_f64();
        }
    }
    let rest: f64 = blocks.remainder().iter().map(|x| x.to_f64()).sum();
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + rest
}

struct TruthR<T> {
    all: bool,
    _t: PhantomData<fn(T)>,
}
impl<T: Element> Reducer for TruthR<T> {
    type In = T;
    type State = bool;
    type Out = bool;
    fn init(&self) -> bool {
        self.all
    }
    fn fold_one(&self, s: &mut bool, x: T, _: u64) {
        let truthy = x != T::default();
        *s = if self.all { *s && truthy } else { *s || truthy };
    }
    fn fold_lane(&self, s: &mut bool, lane: &[T], _: u64) {
        let zero = T::default();
        *s = if self.all {
            *s && lane.iter().all(|&x| x != zero)
        } else {
            *s || lane.iter().any(|&x| x != zero)
        };
    }
    fn merge(&self, a: &mut bool, b: &bool) {
        *a = if self.all { *a && *b } else { *a || *b };
    }
    fn finish(&self, s: &bool) -> bool {
        *s
    }
}

struct ArgR<T> {
    max: bool,
    _t: PhantomData<fn(T)>,
}
impl<T: Element> ArgR<T> {
    /// Whether (x, i) beats the current best: strictly better, or NaN over non-NaN, or equal
    /// (both NaN included) with a smaller index.
    fn beats(&self, x: T, i: u64, best: T, bi: u64) -> bool {
        match (x.is_nan(), best.is_nan()) {
            (true, false) => true,
            (false, true) => false,
            (true, true) => i < bi,
            (false, false) => {
                let better = if self.max { x > best } else { x < best };
                better || (x == best && i < bi)
            }
        }
    }
}
impl<T: Element> Reducer for ArgR<T> {
    type In = T;
    type State = Option<(T, u64)>;
    type Out = u64;
    const NEEDS_INDEX: bool = true;
    fn init(&self) -> Self::State {
        None
    }
    fn fold_one(&self, s: &mut Self::State, x: T, i: u64) {
        match *s {
            Some((best, bi)) if !self.beats(x, i, best, bi) => {}
            _ => *s = Some((x, i)),
        }
    }
    fn merge(&self, a: &mut Self::State, b: &Self::State) {
        if let Some((x, i)) = *b {
            self.fold_one(a, x, i);
        }
    }
    fn finish(&self, s: &Self::State) -> u64 {
        s.map_or(0, |(_, i)| i)
    }
}

/// Folds strips of a chunk into a row-major array of states.
struct ReduceSink<'r, R: Reducer> {
    r: &'r R,
    states: Vec<R::State>,
    shape: Vec<usize>,
    state_shape: Vec<usize>,
    reduced_inner: bool,
    state_strides: Vec<usize>,
    offset: Vec<usize>,
    index_strides: Vec<u64>,
    row: Vec<usize>,
    row_base: usize,
    col: usize,
}

impl<'r, R: Reducer> ReduceSink<'r, R> {
    fn new(r: &'r R, geometry: &Geometry, shape: &[usize], offset: &[usize]) -> Self {
        let ndim = shape.len();
        let state_shape: Vec<usize> = shape
            .iter()
            .zip(&geometry.reduced)
            .map(|(&s, &red)| if red { 1 } else { s })
            .collect();
        let mut state_strides = vec![0; ndim];
        let mut stride = 1;
        for a in (0..ndim).rev() {
            if !geometry.reduced[a] {
                state_strides[a] = stride;
            }
            stride *= state_shape[a];
        }
        ReduceSink {
            r,
            states: vec![r.init(); state_shape.iter().product::<usize>()],
            shape: shape.to_vec(),
            state_shape,
            reduced_inner: ndim == 0 || geometry.reduced[ndim - 1],
            state_strides,
            offset: offset.to_vec(),
            index_strides: geometry.index_strides.clone(),
            row: vec![0; ndim.saturating_sub(1)],
            row_base: 0,
            col: 0,
        }
    }

    /// The index (over the reduced axes, global) of element `col` of the current row.
    fn index(&self, col: usize) -> u64 {
        if !R::NEEDS_INDEX || self.shape.is_empty() {
            return 0;
        }
        let last = self.shape.len() - 1;
        let mut idx = (self.offset[last] + col) as u64 * self.index_strides[last];
        for (a, &r) in self.row.iter().enumerate() {
            idx += (self.offset[a] + r) as u64 * self.index_strides[a];
        }
        idx
    }

    fn next_row(&mut self) {
        for a in (0..self.row.len()).rev() {
            self.row[a] += 1;
            self.row_base += self.state_strides[a];
            if self.row[a] < self.shape[a] {
                return;
            }
            self.row_base -= self.state_strides[a] * self.shape[a];
            self.row[a] = 0;
        }
    }

    fn push_typed(&mut self, data: &[R::In]) {
        let inner = self.shape.last().copied().unwrap_or(1);
        let mut k = 0;
        while k < data.len() {
            let seg = (inner - self.col).min(data.len() - k);
            let part = &data[k..k + seg];
            if self.reduced_inner {
                let first = self.index(self.col);
                self.r
                    .fold_lane(&mut self.states[self.row_base], part, first);
            } else {
                let idx = self.index(0);
                let base = self.row_base + self.col;
                for (s, &x) in self.states[base..base + seg].iter_mut().zip(part) {
                    self.r.fold_one(s, x, idx);
                }
            }
            k += seg;
            self.col += seg;
            if self.col == inner {
                self.col = 0;
                self.next_row();
            }
        }
    }

    fn into_value(self) -> Result<Value> {
        let array = ArrayD::from_shape_vec(IxDyn(&self.state_shape), self.states)
            .map_err(|e| Error::ShapeMismatch(e.to_string()))?;
        Ok(Value::new(array))
    }
}

impl<R: Reducer> StripSink for ReduceSink<'_, R> {
    fn push(&mut self, _start: usize, strip: &Col<'_>, len: usize) -> Result<()> {
        let data = R::In::col(strip)
            .ok_or_else(|| Error::InvalidArgument("reduction input type".into()))?;
        self.push_typed(&data[..len]);
        Ok(())
    }
}

/// Which axes are reduced, and the global strides of the reduced axes (for arg indices).
#[derive(Clone, Debug)]
pub struct Geometry {
    reduced: Vec<bool>,
    index_strides: Vec<u64>,
}

impl Geometry {
    /// For an input of `shape` reduced along `axes`.
    pub fn new(shape: &[usize], axes: &[usize]) -> Self {
        let reduced: Vec<bool> = (0..shape.len()).map(|a| axes.contains(&a)).collect();
        let mut index_strides = vec![0; shape.len()];
        let mut stride = 1u64;
        for a in (0..shape.len()).rev() {
            if reduced[a] {
                index_strides[a] = stride;
                stride *= shape[a] as u64;
            }
        }
        Geometry {
            reduced,
            index_strides,
        }
    }
}

/// A reduction's three steps, with the element type erased.
pub trait ReduceOps: Send + Sync {
    /// Reduces one chunk of `shape` at `offset`: the chunk itself, or the result of `pre`
    /// over `inputs` (a fused elementwise program).
    fn partial(
        &self,
        pre: Option<&Program>,
        inputs: Vec<Value>,
        keys: &[Key],
        shape: &[usize],
        offset: &[usize],
    ) -> Result<Value>;
    /// Merges state arrays, in order.
    fn combine(&self, parts: Vec<Value>, key: &Key) -> Result<Value>;
    /// Merges state arrays and finishes them into an output block of `out_shape`.
    fn aggregate(&self, parts: Vec<Value>, key: &Key, out_shape: &[usize]) -> Result<Value>;
}

struct Typed<R> {
    r: R,
    geometry: Geometry,
}

impl<R: Reducer> Typed<R> {
    fn merged(&self, parts: Vec<Value>, key: &Key) -> Result<ArrayD<R::State>> {
        let mut parts = parts.into_iter();
        let first = parts
            .next()
            .ok_or_else(|| Error::InvalidArgument("nothing to combine".into()))?;
        let mut acc: ArrayD<R::State> = first.take(key)?;
        for part in parts {
            let part: &ArrayD<R::State> = part.get(key)?;
            if part.shape() != acc.shape() {
                return Err(Error::ShapeMismatch(format!(
                    "partial states {:?} and {:?} do not line up",
                    acc.shape(),
                    part.shape()
                )));
            }
            acc.zip_mut_with(part, |a, b| self.r.merge(a, b));
        }
        Ok(acc)
    }
}

impl<R: Reducer> ReduceOps for Typed<R> {
    fn partial(
        &self,
        pre: Option<&Program>,
        inputs: Vec<Value>,
        keys: &[Key],
        shape: &[usize],
        offset: &[usize],
    ) -> Result<Value> {
        let mut sink = ReduceSink::new(&self.r, &self.geometry, shape, offset);
        match pre {
            Some(program) => program.run(&inputs, keys, shape, &mut sink)?,
            None => {
                let chunk: &ArrayD<R::In> = inputs[0].get(&keys[0])?;
                let chunk = chunk.as_standard_layout();
                let data = chunk.as_slice().expect("standard layout is contiguous");
                sink.push_typed(data);
            }
        }
        sink.into_value()
    }

    fn combine(&self, parts: Vec<Value>, key: &Key) -> Result<Value> {
        Ok(Value::new(self.merged(parts, key)?))
    }

    fn aggregate(&self, parts: Vec<Value>, key: &Key, out_shape: &[usize]) -> Result<Value> {
        let states = self.merged(parts, key)?;
        // A slice iterates far faster than ndarray's n-d iterator (distmat finishes 25M
        // states); merged states are in standard layout, the fallback is for safety.
        let values: Vec<R::Out> = match states.as_slice() {
            Some(flat) => flat.iter().map(|s| self.r.finish(s)).collect(),
            None => states.iter().map(|s| self.r.finish(s)).collect(),
        };
        let out = ArrayD::from_shape_vec(IxDyn(out_shape), values)
            .map_err(|e| Error::ShapeMismatch(e.to_string()))?;
        Ok(Value::new(out))
    }
}

/// The reduction `kind` over elements of `dtype`, for an input of `shape` reduced along
/// `axes`.
pub fn reduce_ops(
    kind: ReduceKind,
    dtype: DType,
    shape: &[usize],
    axes: &[usize],
) -> Arc<dyn ReduceOps> {
    let geometry = Geometry::new(shape, axes);
    fn typed<R: Reducer>(r: R, geometry: Geometry) -> Arc<dyn ReduceOps> {
        Arc::new(Typed { r, geometry })
    }
    with_dtype!(dtype, T => match kind {
        ReduceKind::Sum => typed(SumR::<T>(PhantomData), geometry),
        ReduceKind::Prod => typed(ProdR::<T>(PhantomData), geometry),
        ReduceKind::Min | ReduceKind::Max => typed(
            ExtremeR::<T> { max: kind == ReduceKind::Max, _t: PhantomData },
            geometry,
        ),
        ReduceKind::Mean | ReduceKind::Var { .. } | ReduceKind::Std { .. } => {
            typed(MomentsR::<T> { kind, _t: PhantomData }, geometry)
        }
        ReduceKind::Any | ReduceKind::All => typed(
            TruthR::<T> { all: kind == ReduceKind::All, _t: PhantomData },
            geometry,
        ),
        ReduceKind::ArgMin | ReduceKind::ArgMax => typed(
            ArgR::<T> { max: kind == ReduceKind::ArgMax, _t: PhantomData },
            geometry,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn run(kind: ReduceKind, x: ArrayD<f64>, axes: &[usize], out_shape: &[usize]) -> Value {
        let ops = reduce_ops(kind, DType::F64, x.shape(), axes);
        let key = Key::new("x");
        let shape = x.shape().to_vec();
        let offset = vec![0; shape.len()];
        let p = ops
            .partial(
                None,
                vec![Value::new(x)],
                std::slice::from_ref(&key),
                &shape,
                &offset,
            )
            .unwrap();
        ops.aggregate(vec![p], &key, out_shape).unwrap()
    }

    #[test]
    fn reduces_inner_and_outer_axes() {
        let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]].into_dyn();
        let rows = run(ReduceKind::Sum, x.clone(), &[1], &[2]);
        assert_eq!(
            rows.downcast_ref::<ArrayD<f64>>().unwrap(),
            &array![6.0, 15.0].into_dyn()
        );
        let cols = run(ReduceKind::Max, x.clone(), &[0], &[3]);
        assert_eq!(
            cols.downcast_ref::<ArrayD<f64>>().unwrap(),
            &array![4.0, 5.0, 6.0].into_dyn()
        );
        let arg = run(ReduceKind::ArgMax, x, &[0, 1], &[]);
        assert_eq!(arg.downcast_ref::<ArrayD<u64>>().unwrap()[[]], 5);
    }

    #[test]
    fn chan_merge_matches_two_pass_variance() {
        let mut a = Moments::default();
        let r = MomentsR::<f64> {
            kind: ReduceKind::Var { ddof: 0 },
            _t: PhantomData,
        };
        r.fold_lane(&mut a, &[1.0, 2.0, 3.0], 0);
        let mut b = Moments::default();
        r.fold_lane(&mut b, &[10.0, 20.0], 0);
        a.merge(&b);
        let all = [1.0, 2.0, 3.0, 10.0, 20.0];
        let mean = all.iter().sum::<f64>() / 5.0;
        let var = all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 5.0;
        assert!((r.finish(&a) - var).abs() < 1e-12);
    }
}
