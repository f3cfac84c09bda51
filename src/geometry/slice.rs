//! Slice arithmetic: one axis of an ndarray-style `s![]` selection resolved against an
//! axis length, the chunks of the result, and which input block (and where in it) each
//! output block reads.

use super::Chunks;
use super::blocks::locate;
use crate::error::{Error, Result};

/// One axis of a slice: output element `k` is input element `start + k * step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AxisSlice {
    /// First input index.
    pub start: usize,
    /// Number of output elements.
    pub len: usize,
    /// Step between input indices (negative walks backwards).
    pub step: isize,
}

impl AxisSlice {
    /// The whole axis of length `len`, in order.
    pub(crate) fn full(len: usize) -> AxisSlice {
        AxisSlice {
            start: 0,
            len,
            step: 1,
        }
    }

    /// Whether this selects a whole axis of length `len` unchanged.
    pub(crate) fn is_full(&self, len: usize) -> bool {
        self.start == 0 && self.step == 1 && self.len == len
    }

    /// The input index of output element `k`.
    pub(crate) fn source(&self, k: usize) -> usize {
        (self.start as isize + k as isize * self.step) as usize
    }
}

/// One axis of an ndarray-style slice (`start..end;step`, negative indices counting from
/// the end) on an axis of length `len`, clamped like NumPy. A negative step walks the
/// clamped range backwards (ndarray's rule, not NumPy's).
pub(crate) fn axis_slice(
    len: usize,
    start: isize,
    end: Option<isize>,
    step: isize,
) -> Result<AxisSlice> {
    if step == 0 {
        return Err(Error::InvalidArgument("slice step cannot be zero".into()));
    }
    let n = len as isize;
    let clamp = |i: isize| (if i < 0 { i + n } else { i }).clamp(0, n) as usize;
    let (lo, hi) = (clamp(start), clamp(end.unwrap_or(n)));
    let span = hi.saturating_sub(lo);
    let count = span.div_ceil(step.unsigned_abs());
    Ok(if step > 0 {
        AxisSlice {
            start: lo,
            len: count,
            step,
        }
    } else {
        AxisSlice {
            start: if count == 0 { lo } else { hi - 1 },
            len: count,
            step,
        }
    })
}

/// The output chunks of slicing an axis chunked as `input`: consecutive output elements
/// drawn from one input chunk form one output chunk.
pub(crate) fn slice_chunks(input: &[usize], s: &AxisSlice) -> Vec<usize> {
    if s.len == 0 {
        return vec![0];
    }
    let bounds: Vec<usize> = input
        .iter()
        .scan(0, |acc, &c| {
            *acc += c;
            Some(*acc)
        })
        .collect();
    let block_of = |i: usize| bounds.partition_point(|&b| b <= i);
    let mut out = Vec::new();
    let mut current = usize::MAX;
    for k in 0..s.len {
        let b = block_of(s.source(k));
        if b == current {
            *out.last_mut().expect("started") += 1;
        } else {
            out.push(1);
            current = b;
        }
    }
    out
}

/// For the output block at `offset` with `shape` of a slice of an array chunked as `from`:
/// the one input block it reads, and per axis the local (start, length, step) inside it.
pub(crate) fn slice_source(
    axes: &[AxisSlice],
    from: &Chunks,
    offset: &[usize],
    shape: &[usize],
) -> (Vec<usize>, Vec<(usize, usize, isize)>) {
    let mut block = Vec::with_capacity(axes.len());
    let mut local = Vec::with_capacity(axes.len());
    for (a, s) in axes.iter().enumerate() {
        let first = s.source(offset[a]);
        let (b, block_start) = locate(from.axis(a), first);
        block.push(b);
        local.push((first - block_start, shape[a], s.step));
    }
    (block, local)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The input indices `start..end;step` selects, by the rule ndarray documents: clamp
    /// the range, then walk it forwards (positive step) or backwards (negative step).
    fn reference(len: usize, start: isize, end: Option<isize>, step: isize) -> Vec<usize> {
        let n = len as isize;
        let clamp = |i: isize| (if i < 0 { i + n } else { i }).clamp(0, n) as usize;
        let range = clamp(start)..clamp(end.unwrap_or(n));
        let by = step.unsigned_abs();
        if step > 0 {
            range.step_by(by).collect()
        } else {
            range.rev().step_by(by).collect()
        }
    }

    #[test]
    fn zero_step_is_an_error() {
        assert!(axis_slice(4, 0, None, 0).is_err());
    }

    proptest! {
        #[test]
        fn axis_slice_selects_what_ndarray_selects(
            len in 0usize..20,
            start in -25isize..25,
            end in prop::option::of(-25isize..25),
            step in prop_oneof![-5isize..0, 1isize..6],
        ) {
            let s = axis_slice(len, start, end, step).unwrap();
            let got: Vec<usize> = (0..s.len).map(|k| s.source(k)).collect();
            prop_assert_eq!(got, reference(len, start, end, step));
        }

        #[test]
        fn each_output_chunk_reads_one_input_block(
            chunks in prop::collection::vec(1usize..6, 1..6),
            start in -30isize..30,
            end in prop::option::of(-30isize..30),
            step in prop_oneof![-4isize..0, 1isize..5],
        ) {
            let len: usize = chunks.iter().sum();
            let s = axis_slice(len, start, end, step).unwrap();
            let out = slice_chunks(&chunks, &s);
            prop_assert_eq!(out.iter().sum::<usize>(), s.len);
            let from = Chunks::from_lists(vec![chunks.clone()]);
            let to = Chunks::from_lists(vec![out]);
            for b in to.blocks() {
                let (offset, shape) = (to.block_offset(&b), to.block_shape(&b));
                let (ib, local) = slice_source(&[s], &from, &offset, &shape);
                let (lstart, llen, lstep) = local[0];
                let in_offset = from.block_offset(&ib)[0];
                let in_len = from.block_shape(&ib)[0];
                for k in 0..llen {
                    // Output element offset + k is input element s.source(offset + k),
                    // found at local position lstart + k * lstep of the one input block.
                    let pos = lstart as isize + k as isize * lstep;
                    prop_assert!(pos >= 0 && (pos as usize) < in_len);
                    prop_assert_eq!(in_offset + pos as usize, s.source(offset[0] + k));
                }
            }
        }
    }
}
