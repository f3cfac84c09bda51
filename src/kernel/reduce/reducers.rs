//! The typed reducers: how each reduction folds elements into a state, merges two states
//! and finishes a state into a value. Float sums are pairwise (NumPy's blocks of 128 with 8
//! accumulators) and accumulate in f64, f32 included; mean is that sum over the count, as
//! NumPy's; var and std keep (count, mean, M2) merged with Chan et al.'s formula, never a
//! sum of squares, lanes summed pairwise;
//! min, max, argmin and argmax propagate NaN as NumPy does (argmin/argmax: the first NaN);
//! min and max return the later of tied elements (NumPy: `max([0.0, -0.0])` is -0.0).

use std::marker::PhantomData;

use super::kind::ReduceKind;
use crate::dtype::{DType, Element, Num, Scalar};
use crate::error::{Error, Result};
use crate::kernel::codegen::{Fold, Leaf, LeafFn};
use crate::kernel::ops::{maximum, minimum};
use crate::kernel::pairwise;

/// A typed reduction: how to fold elements into a state, merge states and finish.
pub(super) trait Reducer: Send + Sync + 'static {
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
    /// Folds consecutive lanes of `lane_len` elements (`data.len() / lane_len` of them)
    /// into `states`, one lane each; only for reductions that need no indices.
    #[inline]
    fn fold_rows(&self, states: &mut [Self::State], data: &[Self::In], lane_len: usize) {
        for (s, lane) in states.iter_mut().zip(data.chunks_exact(lane_len)) {
            self.fold_lane(s, lane, 0);
        }
    }
    /// The compiled folds whose values [`Reducer::fold_lane_compiled`] takes, if this
    /// reduction can fold lanes from compiled code (sums of bools, integers and f64, f64 means,
    /// any/all of bools, f64 min/max/nanmin/nanmax/argmin/argmax/nanargmin/nanargmax/
    /// prod/var/std); none (the default): it cannot.
    fn compiled_folds(&self) -> &'static [Fold] {
        &[]
    }
    /// Folds a lane of `len` elements at `offset` in the current strip, whose first element
    /// has index `first` (as [`Reducer::fold_lane`]'s), into `s` from the compiled folds'
    /// values: `leaf(Leaf { fold, offset, len, seed })` is `fold` (one of
    /// [`Reducer::compiled_folds`]) over those elements. The same state as
    /// [`Reducer::fold_lane`] over the lane's elements, bit for bit.
    fn fold_lane_compiled(
        &self,
        _s: &mut Self::State,
        _offset: usize,
        _len: usize,
        _first: u64,
        _leaf: &mut LeafFn<'_>,
    ) -> Result<()> {
        Err(crate::kernel::internal(
            "this reduction has no compiled fold",
        ))
    }
    /// An internal error unless this reduction (with its parameters) has a compiled fold:
    /// the guard of a [`Reducer::fold_lane_compiled`] that serves some cases only.
    fn has_compiled_fold(&self) -> Result<()> {
        if self.compiled_folds().is_empty() {
            return Err(crate::kernel::internal(
                "this reduction has no compiled fold",
            ));
        }
        Ok(())
    }
    fn merge(&self, a: &mut Self::State, b: &Self::State);
    fn finish(&self, s: &Self::State) -> Self::Out;
    /// Whether a finished state has a value (`nanargmin` of an all-NaN slice has none).
    fn check(&self, _s: &Self::State) -> Result<()> {
        Ok(())
    }
}

/// `folds` when `serves` (the element type and parameters a compiled fold covers), else
/// none: a [`Reducer::compiled_folds`] that serves some cases only.
fn folds_if(serves: bool, folds: &'static [Fold]) -> &'static [Fold] {
    if serves { folds } else { &[] }
}

/// NaN in `T` if it has one (floats), else its default (never used: integers have no NaN).
fn nan_of<T: Element>() -> T {
    T::from_scalar(Scalar::F64(f64::NAN))
}

/// Sum of `f` over a lane of at most [`pairwise::BLOCK`] elements, exactly as NumPy's
/// `pairwise_sum` sums one block: fewer than 8 elements one after another from zero;
/// otherwise 8 accumulators started with the first 8 elements, each taking every 8th
/// element of the whole groups of 8 (vectorisable), combined as
/// `((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))`, and the last `len % 8` elements
/// added to that one after another. (Checked against NumPy 2.4's `np.sum` bit for bit on
/// 1,510 random lanes of 1 to 12,345 elements.)
#[inline(always)]
fn block_sum<T: Copy, A: Num>(lane: &[T], f: impl Fn(T) -> A) -> A {
    let Some((first, rest)) = lane.split_first_chunk::<8>() else {
        return lane.iter().fold(A::ZERO, |res, &x| res.add(f(x)));
    };
    let mut r = first.map(&f);
    let mut blocks = rest.chunks_exact(8);
    for block in &mut blocks {
        for k in 0..8 {
            r[k] = r[k].add(f(block[k]));
        }
    }
    let a = r[0].add(r[1]).add(r[2].add(r[3]));
    let b = r[4].add(r[5]).add(r[6].add(r[7]));
    blocks
        .remainder()
        .iter()
        .fold(a.add(b), |res, &x| res.add(f(x)))
}

/// NumPy's pairwise summation of `f` over a lane, in f64: blocks of up to
/// [`pairwise::BLOCK`] elements summed as [`block_sum`] does, the halves of longer lanes
/// (split at [`pairwise::split`], a multiple of 8) summed recursively and added. The
/// rounding error grows with the logarithm of the length, not the length; the recursion
/// is log2(n / 128) deep.
///
/// Inlined for a short lane (one block, no recursion), so a reduction over a short axis
/// does not pay a call per lane.
#[inline(always)]
fn pairwise<T: Copy>(lane: &[T], f: impl Fn(T) -> f64 + Copy) -> f64 {
    if lane.len() <= pairwise::BLOCK {
        return block_sum(lane, f);
    }
    pairwise_long(lane, f)
}

/// [`pairwise`] of a lane longer than one block: its halves (split at a multiple of 8)
/// summed recursively and added.
#[inline(never)]
fn pairwise_long<T: Copy>(lane: &[T], f: impl Fn(T) -> f64 + Copy) -> f64 {
    let half = pairwise::split(lane.len());
    pairwise(&lane[..half], f) + pairwise(&lane[half..], f)
}

/// How a sum accumulates elements of one type: integers and bools in their sum type (exact,
/// wrapping), floats in f64 with pairwise lanes. f32 data is thus summed in f64 and rounded
/// to f32 once, at the end: more accurate than NumPy's f32 pairwise sum, at the same speed
/// (8 f64 lanes are two AVX2 registers, like 8 f32 lanes are one with twice the latency
/// chains; the loop is bound by loads and add latency either way).
pub(super) trait Summand: Element {
    /// The accumulator: a partial sum's state.
    type Acc: Num;
    /// One element as an accumulator.
    fn acc(self) -> Self::Acc;
    /// The sum of a contiguous lane.
    fn lane_acc(lane: &[Self]) -> Self::Acc;
    /// The finished sum.
    fn finish_sum(acc: Self::Acc) -> Self::Sum;
    /// The compiled fold that sums a lane of this type, if any (see
    /// [`Reducer::compiled_folds`]).
    const COMPILED_FOLDS: &'static [Fold] = &[];
    /// [`Summand::lane_acc`] of the lane at `offset..offset + len` from its compiled fold.
    fn lane_acc_compiled(_offset: usize, _len: usize, _leaf: &mut LeafFn<'_>) -> Result<Self::Acc> {
        Err(crate::kernel::internal("no compiled sum for this type"))
    }
}

macro_rules! exact_summand {
    ($($t:ty),*) => {$(
        impl Summand for $t {
            type Acc = <$t as Element>::Sum;
            #[inline(always)]
            fn acc(self) -> Self::Acc {
                self.to_sum()
            }
            #[inline]
            fn lane_acc(lane: &[$t]) -> Self::Acc {
                block_sum(lane, |x: $t| x.to_sum())
            }
            #[inline(always)]
            fn finish_sum(acc: Self::Acc) -> Self::Sum {
                acc
            }
            const COMPILED_FOLDS: &'static [Fold] = &[Fold::IntSum];
            fn lane_acc_compiled(
                offset: usize,
                len: usize,
                leaf: &mut LeafFn<'_>,
            ) -> Result<Self::Acc> {
                // The wrapping 64-bit sum's bits: an i64, or a u64 for unsigned types.
                Ok(leaf(Leaf::new(Fold::IntSum, offset, len))?.int_sum()? as Self::Acc)
            }
        }
    )*};
}
exact_summand!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Summand for bool {
    type Acc = i64;
    #[inline(always)]
    fn acc(self) -> i64 {
        i64::from(self)
    }
    #[inline]
    fn lane_acc(lane: &[bool]) -> i64 {
        // Counting trues vectorises far better than widening each bool to i64.
        lane.iter().filter(|&&x| x).count() as i64
    }
    #[inline(always)]
    fn finish_sum(acc: i64) -> i64 {
        acc
    }
    const COMPILED_FOLDS: &'static [Fold] = &[Fold::Count];
    fn lane_acc_compiled(offset: usize, len: usize, leaf: &mut LeafFn<'_>) -> Result<i64> {
        leaf(Leaf::new(Fold::Count, offset, len))?.count()
    }
}

impl Summand for f64 {
    type Acc = f64;
    #[inline(always)]
    fn acc(self) -> f64 {
        self
    }
    #[inline]
    fn lane_acc(lane: &[f64]) -> f64 {
        pairwise(lane, |x| x)
    }
    #[inline(always)]
    fn finish_sum(acc: f64) -> f64 {
        acc
    }
    const COMPILED_FOLDS: &'static [Fold] = &[Fold::PairwiseSum];
    fn lane_acc_compiled(offset: usize, len: usize, leaf: &mut LeafFn<'_>) -> Result<f64> {
        leaf(Leaf::new(Fold::PairwiseSum, offset, len))?.sum()
    }
}

impl Summand for f32 {
    type Acc = f64;
    #[inline(always)]
    fn acc(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn lane_acc(lane: &[f32]) -> f64 {
        pairwise(lane, f64::from)
    }
    #[inline(always)]
    fn finish_sum(acc: f64) -> f32 {
        acc as f32
    }
}

pub(super) struct SumR<T>(pub(super) PhantomData<fn(T)>);
impl<T: Summand> Reducer for SumR<T> {
    type In = T;
    type State = T::Acc;
    type Out = T::Sum;
    fn init(&self) -> T::Acc {
        <T::Acc as Num>::ZERO
    }
    fn fold_one(&self, s: &mut T::Acc, x: T, _: u64) {
        *s = s.add(x.acc());
    }
    fn fold_lane(&self, s: &mut T::Acc, lane: &[T], _: u64) {
        *s = s.add(T::lane_acc(lane));
    }
    fn compiled_folds(&self) -> &'static [Fold] {
        T::COMPILED_FOLDS
    }
    fn fold_lane_compiled(
        &self,
        s: &mut T::Acc,
        offset: usize,
        len: usize,
        _first: u64,
        leaf: &mut LeafFn<'_>,
    ) -> Result<()> {
        *s = s.add(T::lane_acc_compiled(offset, len, leaf)?);
        Ok(())
    }
    fn merge(&self, a: &mut T::Acc, b: &T::Acc) {
        *a = a.add(*b);
    }
    fn finish(&self, s: &T::Acc) -> T::Sum {
        T::finish_sum(*s)
    }
}

pub(super) struct ProdR<T>(pub(super) PhantomData<fn(T)>);
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
    fn compiled_folds(&self) -> &'static [Fold] {
        // An f64 program's values multiplied into the product so far, one after another.
        folds_if(T::DTYPE == DType::F64, &[Fold::Prod])
    }
    fn fold_lane_compiled(
        &self,
        s: &mut T::Sum,
        offset: usize,
        len: usize,
        _first: u64,
        leaf: &mut LeafFn<'_>,
    ) -> Result<()> {
        self.has_compiled_fold()?;
        // T (and so T::Sum) is f64 here (`compiled_folds`): the conversions are exact.
        let piece = Leaf {
            seed: s.to_f64(),
            ..Leaf::new(Fold::Prod, offset, len)
        };
        let product = leaf(piece)?.product()?;
        *s = <T::Sum as Element>::from_scalar(Scalar::F64(product));
        Ok(())
    }
    fn merge(&self, a: &mut T::Sum, b: &T::Sum) {
        *a = a.mul(*b);
    }
    fn finish(&self, s: &T::Sum) -> T::Sum {
        *s
    }
}

pub(super) struct ExtremeR<T> {
    pub(super) max: bool,
    /// `nanmin`/`nanmax`: NaN elements are skipped; an all-NaN slice gives NaN.
    pub(super) skip_nan: bool,
    pub(super) _t: PhantomData<fn(T)>,
}
impl<T: Element> ExtremeR<T> {
    /// The compiled fold of a lane (for f64), as a one-fold list.
    fn lane_fold(&self) -> &'static [Fold] {
        match (self.max, self.skip_nan) {
            (true, false) => &[Fold::Max],
            (false, false) => &[Fold::Min],
            (true, true) => &[Fold::NanMax],
            (false, true) => &[Fold::NanMin],
        }
    }
}
impl<T: Element> Reducer for ExtremeR<T> {
    type In = T;
    type State = Option<T>;
    type Out = T;
    fn init(&self) -> Option<T> {
        None
    }
    fn fold_one(&self, s: &mut Option<T>, x: T, _: u64) {
        if self.skip_nan && x.is_nan() {
            return;
        }
        *s = Some(match *s {
            None => x,
            Some(v) if self.max => maximum(v, x),
            Some(v) => minimum(v, x),
        });
    }
    fn fold_lane(&self, s: &mut Option<T>, lane: &[T], _: u64) {
        if self.skip_nan {
            for &x in lane {
                self.fold_one(s, x, 0);
            }
            return;
        }
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
    fn compiled_folds(&self) -> &'static [Fold] {
        // An f64 program's lane extreme, folded as `fold_lane` folds it (nanmax: over the
        // values that are not NaN).
        folds_if(T::DTYPE == DType::F64, self.lane_fold())
    }
    fn fold_lane_compiled(
        &self,
        s: &mut Option<T>,
        offset: usize,
        len: usize,
        _first: u64,
        leaf: &mut LeafFn<'_>,
    ) -> Result<()> {
        self.has_compiled_fold()?;
        if len == 0 {
            return Ok(());
        }
        // T is f64 here (`compiled_folds`), so the conversion is exact. A NaN-skipping
        // lane of NaN only gives NaN, which `fold_one` skips too.
        let best = leaf(Leaf::new(self.lane_fold()[0], offset, len))?.extreme()?;
        self.fold_one(s, T::from_scalar(Scalar::F64(best)), 0);
        Ok(())
    }
    fn merge(&self, a: &mut Option<T>, b: &Option<T>) {
        if let Some(v) = *b {
            self.fold_one(a, v, 0);
        }
    }
    fn finish(&self, s: &Option<T>) -> T {
        match s {
            Some(v) => *v,
            // An all-NaN slice of `nanmin`/`nanmax`: NaN, as NumPy.
            None if self.skip_nan => nan_of(),
            None => T::default(), // refused by `check`
        }
    }
    /// A slice of no elements has no extreme: an error, as NumPy raises. Building refuses
    /// a known zero-size reduction; this catches one over chunks of unknown size (a
    /// `Bag::to_array` array whose partitions all came out empty).
    fn check(&self, s: &Option<T>) -> Result<()> {
        if s.is_none() && !self.skip_nan {
            return Err(Error::InvalidArgument(format!(
                "zero-size array to reduction operation {} which has no identity",
                if self.max { "max" } else { "min" }
            )));
        }
        Ok(())
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
        if !delta.is_finite() && (self.mean.is_infinite() || b.mean.is_infinite()) {
            // An infinite mean: inf - inf would make every later mean NaN. Weigh the means
            // as a sum would (inf + inf = inf, inf - inf = NaN, as NumPy's mean); the
            // variance of data holding an infinity is NaN, as NumPy's.
            self.mean = self.mean * (self.n / n) + b.mean * (b.n / n);
            self.m2 = f64::NAN;
        } else {
            self.mean += delta * (b.n / n);
            self.m2 += b.m2 + delta * delta * (self.n * b.n / n);
        }
        self.n = n;
    }
}

/// (sum, count) of a set of values: a mean's state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct SumCount {
    pub(crate) sum: f64,
    pub(crate) n: f64,
}

/// `mean` and `nanmean` as NumPy computes them: the sum of the values in f64 (pairwise
/// along a contiguous lane, in order across rows), divided by their count; `nanmean` sums
/// NaN as 0 and does not count it (NumPy's `_replace_nan(a, 0)` then `sum / count`).
/// Cheaper than the moments of var/std: one add per element, no division.
pub(super) struct MeanR<T> {
    pub(super) skip_nan: bool,
    pub(super) _t: PhantomData<fn(T)>,
}
impl<T: Element> MeanR<T> {
    /// The value `x` adds to the sum, and to the count.
    #[inline(always)]
    fn term(&self, x: T) -> (f64, f64) {
        if self.skip_nan && x.is_nan() {
            (0.0, 0.0)
        } else {
            (x.to_f64(), 1.0)
        }
    }
}
impl<T: Element> Reducer for MeanR<T> {
    type In = T;
    type State = SumCount;
    type Out = <T as Element>::Real;
    fn init(&self) -> SumCount {
        SumCount::default()
    }
    #[inline(always)]
    fn fold_one(&self, s: &mut SumCount, x: T, _: u64) {
        let (v, n) = self.term(x);
        s.sum += v;
        s.n += n;
    }
    fn fold_lane(&self, s: &mut SumCount, lane: &[T], _: u64) {
        if self.skip_nan {
            s.sum += pairwise(lane, |x: T| self.term(x).0);
            s.n += lane.iter().filter(|x| !x.is_nan()).count() as f64;
        } else {
            s.sum += pairwise(lane, T::to_f64);
            s.n += lane.len() as f64;
        }
    }
    fn compiled_folds(&self) -> &'static [Fold] {
        // A mean of f64 values sums them as a f64 sum does; nanmean's NaN test is not
        // compiled.
        folds_if(
            T::DTYPE == DType::F64 && !self.skip_nan,
            &[Fold::PairwiseSum],
        )
    }
    fn fold_lane_compiled(
        &self,
        s: &mut SumCount,
        offset: usize,
        len: usize,
        _first: u64,
        leaf: &mut LeafFn<'_>,
    ) -> Result<()> {
        self.has_compiled_fold()?;
        s.sum += leaf(Leaf::new(Fold::PairwiseSum, offset, len))?.sum()?;
        s.n += len as f64;
        Ok(())
    }
    fn merge(&self, a: &mut SumCount, b: &SumCount) {
        a.sum += b.sum;
        a.n += b.n;
    }
    fn finish(&self, s: &SumCount) -> Self::Out {
        // No values: NaN, as NumPy's mean of an empty slice (with a warning there).
        let mean = if s.n == 0.0 { f64::NAN } else { s.sum / s.n };
        <Self::Out as crate::dtype::Float>::from_f64(mean)
    }
}

pub(super) struct MomentsR<T> {
    pub(super) kind: ReduceKind,
    pub(super) _t: PhantomData<fn(T)>,
}
impl<T: Element> Reducer for MomentsR<T> {
    type In = T;
    type State = Moments;
    type Out = <T as Element>::Real;
    fn init(&self) -> Moments {
        Moments::default()
    }
    fn fold_one(&self, s: &mut Moments, x: T, _: u64) {
        if x.is_nan() && self.kind.skips_nan() {
            return;
        }
        // Welford's update; an infinity goes through the merge's rule (see `merge`).
        let x = x.to_f64();
        let delta = x - s.mean;
        if !delta.is_finite() && (x.is_infinite() || s.mean.is_infinite()) {
            s.merge(&Moments {
                n: 1.0,
                mean: x,
                m2: 0.0,
            });
            return;
        }
        s.n += 1.0;
        s.mean += delta / s.n;
        s.m2 += delta * (x - s.mean);
    }
    fn fold_lane(&self, s: &mut Moments, lane: &[T], _: u64) {
        if lane.is_empty() {
            return;
        }
        if self.kind.skips_nan() && lane.iter().any(|x| x.is_nan()) {
            for &x in lane {
                self.fold_one(s, x, 0);
            }
            return;
        }
        let n = lane.len() as f64;
        let mean = pairwise(lane, T::to_f64) / n;
        let m2 = pairwise(lane, |x: T| {
            let d = x.to_f64() - mean;
            d * d
        });
        s.merge(&Moments { n, mean, m2 });
    }
    fn compiled_folds(&self) -> &'static [Fold] {
        // An f64 program's lane: its pairwise sum, then the pairwise sum of its squared
        // deviations from the lane's mean, as `fold_lane` computes them; nanvar's NaN
        // test is not compiled.
        folds_if(
            T::DTYPE == DType::F64 && !self.kind.skips_nan(),
            &[Fold::PairwiseSum, Fold::SquaredDeviations],
        )
    }
    fn fold_lane_compiled(
        &self,
        s: &mut Moments,
        offset: usize,
        len: usize,
        _first: u64,
        leaf: &mut LeafFn<'_>,
    ) -> Result<()> {
        self.has_compiled_fold()?;
        if len == 0 {
            return Ok(());
        }
        let n = len as f64;
        let mean = leaf(Leaf::new(Fold::PairwiseSum, offset, len))?.sum()? / n;
        let deviations = Leaf {
            seed: mean,
            ..Leaf::new(Fold::SquaredDeviations, offset, len)
        };
        let m2 = leaf(deviations)?.sum()?;
        s.merge(&Moments { n, mean, m2 });
        Ok(())
    }
    fn merge(&self, a: &mut Moments, b: &Moments) {
        a.merge(b);
    }
    fn finish(&self, s: &Moments) -> Self::Out {
        let v = match self.kind {
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
            // NumPy's nanvar: NaN when no degrees of freedom are left (n <= ddof).
            ReduceKind::NanVar { ddof } | ReduceKind::NanStd { ddof } => {
                let dof = s.n - ddof as f64;
                let var = if dof <= 0.0 { f64::NAN } else { s.m2 / dof };
                if matches!(self.kind, ReduceKind::NanStd { .. }) {
                    var.sqrt()
                } else {
                    var
                }
            }
            _ => unreachable!("MomentsR serves var and std"),
        };
        <Self::Out as crate::dtype::Float>::from_f64(v)
    }
}

pub(super) struct TruthR<T> {
    pub(super) all: bool,
    pub(super) _t: PhantomData<fn(T)>,
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
    fn compiled_folds(&self) -> &'static [Fold] {
        // A bool program's trues counted: any is a count above 0, all a count of the lane.
        folds_if(T::DTYPE == DType::Bool, &[Fold::Count])
    }
    fn fold_lane_compiled(
        &self,
        s: &mut bool,
        offset: usize,
        len: usize,
        _first: u64,
        leaf: &mut LeafFn<'_>,
    ) -> Result<()> {
        self.has_compiled_fold()?;
        let trues = leaf(Leaf::new(Fold::Count, offset, len))?.count()?;
        *s = if self.all {
            *s && trues == len as i64
        } else {
            *s || trues > 0
        };
        Ok(())
    }
    fn merge(&self, a: &mut bool, b: &bool) {
        *a = if self.all { *a && *b } else { *a || *b };
    }
    fn finish(&self, s: &bool) -> bool {
        *s
    }
}

pub(super) struct ArgR<T> {
    pub(super) max: bool,
    /// `nanargmin`/`nanargmax`: NaN elements are skipped; an all-NaN slice is an error.
    pub(super) skip_nan: bool,
    pub(super) _t: PhantomData<fn(T)>,
}
impl<T: Element> ArgR<T> {
    /// The compiled fold of a lane (for f64), as a one-fold list.
    fn lane_fold(&self) -> &'static [Fold] {
        match (self.max, self.skip_nan) {
            (true, false) => &[Fold::ArgMax],
            (false, false) => &[Fold::ArgMin],
            (true, true) => &[Fold::NanArgMax],
            (false, true) => &[Fold::NanArgMin],
        }
    }

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
        if self.skip_nan && x.is_nan() {
            return;
        }
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
    fn compiled_folds(&self) -> &'static [Fold] {
        // An f64 program's lane: its first best value and where, as `fold_one` finds it
        // element by element (nanargmax: among the values that are not NaN).
        folds_if(T::DTYPE == DType::F64, self.lane_fold())
    }
    fn fold_lane_compiled(
        &self,
        s: &mut Self::State,
        offset: usize,
        len: usize,
        first: u64,
        leaf: &mut LeafFn<'_>,
    ) -> Result<()> {
        self.has_compiled_fold()?;
        if len == 0 {
            return Ok(());
        }
        let best = leaf(Leaf::new(self.lane_fold()[0], offset, len))?.best()?;
        // The lane's best beats every other element of the lane, and (its index being
        // the lane's smallest among equals) competes with the state as they would one by
        // one (nanargmax of a lane of NaN only: a NaN, which `fold_one` skips). T is f64
        // here (`compiled_folds`), so the conversion is exact.
        let value = T::from_scalar(Scalar::F64(best.value));
        self.fold_one(s, value, first + best.index);
        Ok(())
    }
    fn finish(&self, s: &Self::State) -> u64 {
        s.map_or(0, |(_, i)| i)
    }
    fn check(&self, s: &Self::State) -> Result<()> {
        if s.is_none() {
            return Err(Error::InvalidArgument(format!(
                "All-NaN slice encountered in {}",
                if self.max { "nanargmax" } else { "nanargmin" }
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
