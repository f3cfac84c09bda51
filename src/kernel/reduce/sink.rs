//! The reduce sink: folds the strips of one chunk (from the chunk itself or straight from a
//! fused program) into a row-major array of per-element states, walking each strip row by
//! row: a reduced innermost axis folds a contiguous lane into one state, a kept innermost
//! axis updates a row of states elementwise.

use ndarray::{ArrayD, IxDyn};

use super::reducers::Reducer;
use crate::dtype::{Col, Element};
use crate::error::{Error, Result};
use crate::graph::Value;
use crate::kernel::codegen::{Fold, LeafFn};
use crate::kernel::eval::{LaneSink, StripSink};

/// The shortest reduced innermost axis whose lanes fold from compiled code, one call per
/// piece of a lane in a strip; shorter rows (distmat's 2 coordinates) fold from strips,
/// many rows per call ([`Reducer::fold_rows`]).
const MIN_COMPILED_LANE: usize = 32;

/// Folds strips of a chunk into a row-major array of states.
pub(super) struct ReduceSink<'r, R: Reducer> {
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
    pub(super) fn new(r: &'r R, axes: &ReducedAxes, shape: &[usize], offset: &[usize]) -> Self {
        let ndim = shape.len();
        let state_shape: Vec<usize> = shape
            .iter()
            .zip(&axes.reduced)
            .map(|(&s, &red)| if red { 1 } else { s })
            .collect();
        let mut state_strides = vec![0; ndim];
        let mut stride = 1;
        for a in (0..ndim).rev() {
            if !axes.reduced[a] {
                state_strides[a] = stride;
            }
            stride *= state_shape[a];
        }
        ReduceSink {
            r,
            states: vec![r.init(); state_shape.iter().product::<usize>()],
            shape: shape.to_vec(),
            state_shape,
            reduced_inner: ndim == 0 || axes.reduced[ndim - 1],
            state_strides,
            offset: offset.to_vec(),
            index_strides: axes.index_strides.clone(),
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

    /// How many whole rows from `data` can fold lane by lane into consecutive states
    /// starting at the current row: the strip is at a row start, the reduced innermost axis
    /// is the only reduced axis of the row walk's last step (consecutive rows have
    /// consecutive states) and no row-axis wraps in between.
    fn whole_rows(&self, data_len: usize, inner: usize) -> usize {
        let ndim = self.shape.len();
        if !self.reduced_inner || self.col != 0 || R::NEEDS_INDEX || ndim < 2 || inner == 0 {
            return 0;
        }
        if self.state_strides[ndim - 2] != 1 {
            return 0;
        }
        let rows_left = self.shape[ndim - 2] - self.row[ndim - 2];
        (data_len / inner).min(rows_left)
    }

    pub(super) fn push_typed(&mut self, data: &[R::In]) {
        let inner = self.shape.last().copied().unwrap_or(1);
        let mut k = 0;
        // Short reduced rows (distmat's 2 coordinates) fold many rows per call, without
        // the per-row bookkeeping below; the same lanes reach the same fold, so results are
        // identical.
        let rows = self.whole_rows(data.len(), inner);
        if rows > 0 {
            let states = &mut self.states[self.row_base..self.row_base + rows];
            self.r.fold_rows(states, &data[..rows * inner], inner);
            k = rows * inner;
            let last_row = self.shape.len() - 2;
            // Advance to the last folded row, then step past it as a row end does.
            self.row[last_row] += rows - 1;
            self.row_base += rows - 1;
            self.next_row();
        }
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

    pub(super) fn into_value(self) -> Result<Value> {
        let array = ArrayD::from_shape_vec(IxDyn(&self.state_shape), self.states)
            .map_err(|e| Error::ShapeMismatch(e.to_string()))?;
        Ok(Value::new(array))
    }
}

impl<R: Reducer> StripSink for ReduceSink<'_, R> {
    fn push(&mut self, _start: usize, strip: &Col<'_>, len: usize) -> Result<()> {
        let data = R::In::col(strip)
            .ok_or_else(|| crate::kernel::internal("reduction input strip type"))?;
        self.push_typed(&data[..len]);
        Ok(())
    }

    fn lanes(&mut self) -> Option<&mut dyn LaneSink> {
        let inner = self.shape.last().copied().unwrap_or(1);
        if lane_folds(self.r, self.reduced_inner, inner) {
            Some(self)
        } else {
            None
        }
    }
}

/// Whether lanes fold from compiled code: a reduced innermost axis of at least
/// [`MIN_COMPILED_LANE`] elements, a reduction with a compiled fold.
fn lane_folds<R: Reducer>(r: &R, reduced_inner: bool, inner: usize) -> bool {
    reduced_inner && !r.compiled_folds().is_empty() && inner >= MIN_COMPILED_LANE
}

/// Whether [`ReduceSink::lanes`] offers lane folds for a chunk of `shape` reduced by `r`
/// along `axes`.
pub(super) fn folds_lanes<R: Reducer>(r: &R, axes: &ReducedAxes, shape: &[usize]) -> bool {
    let reduced_inner = axes.reduced.last().copied().unwrap_or(true);
    lane_folds(r, reduced_inner, shape.last().copied().unwrap_or(1))
}

impl<R: Reducer> LaneSink for ReduceSink<'_, R> {
    fn folds(&self) -> &'static [Fold] {
        // `lanes` offers this sink only when the reducer has compiled folds.
        self.r.compiled_folds()
    }

    /// The pieces of [`ReduceSink::push_typed`]'s row walk (a whole row is one piece
    /// there too, in `fold_rows`), each folded into its row's state.
    fn push_lanes(&mut self, len: usize, leaf: &mut LeafFn<'_>) -> Result<()> {
        let inner = self.shape.last().copied().unwrap_or(1);
        let mut k = 0;
        while k < len {
            let piece = (inner - self.col).min(len - k);
            let first = self.index(self.col);
            self.r
                .fold_lane_compiled(&mut self.states[self.row_base], k, piece, first, leaf)?;
            k += piece;
            self.col += piece;
            if self.col == inner {
                self.col = 0;
                self.next_row();
            }
        }
        Ok(())
    }
}

/// Which axes are reduced, and the global strides of the reduced axes (for arg indices).
#[derive(Clone, Debug)]
pub(crate) struct ReducedAxes {
    reduced: Vec<bool>,
    index_strides: Vec<u64>,
}

impl ReducedAxes {
    /// For an input of `shape` reduced along `axes`.
    pub(crate) fn new(shape: &[usize], axes: &[usize]) -> Self {
        let reduced: Vec<bool> = (0..shape.len()).map(|a| axes.contains(&a)).collect();
        let mut index_strides = vec![0; shape.len()];
        let mut stride = 1u64;
        for a in (0..shape.len()).rev() {
            if reduced[a] {
                index_strides[a] = stride;
                stride *= shape[a] as u64;
            }
        }
        ReducedAxes {
            reduced,
            index_strides,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::marker::PhantomData;

    use ndarray::Axis;

    use super::super::reducers::SumR;
    use super::*;

    /// Sums of `shape`'s elements `0, 1, 2, ...` (as i64, exact) over `axes`, the data
    /// pushed in strips of `strip` elements.
    fn sums(shape: &[usize], axes: &[usize], strip: usize) -> ArrayD<i64> {
        let n: usize = shape.iter().product();
        let data: Vec<i64> = (0..n as i64).map(|v| v * 7 % 11 - 5).collect();
        let r = SumR::<i64>(PhantomData);
        let mut sink = ReduceSink::new(
            &r,
            &ReducedAxes::new(shape, axes),
            shape,
            &vec![0; shape.len()],
        );
        for part in data.chunks(strip) {
            sink.push_typed(part);
        }
        let value = sink.into_value().unwrap();
        value.downcast_ref::<ArrayD<i64>>().unwrap().clone()
    }

    #[test]
    fn strips_of_every_length_fold_each_row_into_its_state() {
        // The whole-row fast path (a reduced innermost axis, kept rows) and the row-by-row
        // walk must agree with a plain sum for strips that start and end anywhere.
        for (shape, axes) in [
            (vec![3usize, 4, 2], vec![2usize]),
            (vec![2, 3, 5, 3], vec![3]),
            (vec![2, 3, 5, 3], vec![0, 3]),
            (vec![2, 3, 5, 3], vec![2, 3]),
            (vec![4, 1], vec![1]),
            (vec![5, 3], vec![0]),
        ] {
            let n: usize = shape.iter().product();
            let data: Vec<i64> = (0..n as i64).map(|v| v * 7 % 11 - 5).collect();
            let mut want = ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap();
            for &a in &axes {
                want = want.sum_axis(Axis(a)).insert_axis(Axis(a));
            }
            for strip in 1..=n {
                assert_eq!(
                    sums(&shape, &axes, strip),
                    want,
                    "{shape:?} over {axes:?}, strips of {strip}"
                );
            }
        }
    }
}
