//! Slice arithmetic: one axis of an ndarray-style `s![]` selection resolved against an
//! axis length, the chunks of the result, and which input block (and where in it) each
//! output block reads.

use super::Chunks;
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

/// A NumPy index on an axis of length `len`: negative counts from the end; out of range is
/// an error naming the index, the axis and its size.
pub(crate) fn resolve_index(i: i64, axis: usize, len: usize) -> Result<usize> {
    let n = len as i128;
    let j = if i < 0 { i as i128 + n } else { i as i128 };
    if (0..n).contains(&j) {
        Ok(j as usize)
    } else {
        Err(Error::InvalidArgument(format!(
            "index {i} is out of bounds for axis {axis} with size {len}"
        )))
    }
}

/// One axis of a NumPy slice `start:stop:step` on an axis of length `len` (Python's
/// `slice.indices`): negative bounds count from the end, bounds are clamped, and a
/// negative step walks from `start` (default: the last element) down to just above `stop`
/// (default: past the first element) — `[5:1:-1]` is 5, 4, 3, 2; `[::-1]` reverses.
pub(crate) fn numpy_axis_slice(
    len: usize,
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
) -> Result<AxisSlice> {
    if step == 0 {
        return Err(Error::InvalidArgument("slice step cannot be zero".into()));
    }
    let n = len as i128;
    let (step, resolve) = (step as i128, |i: isize| {
        let i = i as i128;
        if i < 0 { i + n } else { i }
    });
    let (first, end) = if step > 0 {
        (
            start.map_or(0, resolve).clamp(0, n),
            stop.map_or(n, resolve).clamp(0, n),
        )
    } else {
        (
            start.map_or(n - 1, resolve).clamp(-1, n - 1),
            stop.map_or(-1, resolve).clamp(-1, n - 1),
        )
    };
    let span = if step > 0 { end - first } else { first - end };
    let count = if span <= 0 {
        0
    } else {
        (span + step.abs() - 1) / step.abs()
    };
    Ok(AxisSlice {
        start: if count == 0 { 0 } else { first as usize },
        len: count as usize,
        step: step as isize,
    })
}

/// The output chunks of slicing an axis chunked as `input`: consecutive output elements
/// drawn from one input chunk form one output chunk. Counted per input chunk
/// arithmetically, so the cost is O(input chunks), whatever the slice's length.
pub(crate) fn slice_chunks(input: &[usize], s: &AxisSlice) -> Vec<usize> {
    if s.len == 0 {
        return vec![0];
    }
    let (start, step, len) = (s.start as i128, s.step as i128, s.len as i128);
    // How many k in 0..len have start + k * step in [lo, hi).
    let count = |lo: usize, hi: usize| -> usize {
        let (lo, hi) = (lo as i128, hi as i128);
        let (first, end) = if step > 0 {
            (ceil_div(lo - start, step), ceil_div(hi - start, step))
        } else {
            // start - k * |step| in [lo, hi)  <=>  (start - hi) / |step| < k <= (start - lo) / |step|
            let by = -step;
            (
                (start - hi).div_euclid(by) + 1,
                (start - lo).div_euclid(by) + 1,
            )
        };
        (end.min(len) - first.max(0)).max(0) as usize
    };
    let mut bounds: Vec<(usize, usize)> = input
        .iter()
        .scan(0, |acc, &c| {
            let lo = *acc;
            *acc += c;
            Some((lo, *acc))
        })
        .collect();
    if step < 0 {
        bounds.reverse();
    }
    bounds
        .into_iter()
        .map(|(lo, hi)| count(lo, hi))
        .filter(|&c| c > 0)
        .collect()
}

/// `ceil(a / b)` for `b > 0`.
fn ceil_div(a: i128, b: i128) -> i128 {
    -((-a).div_euclid(b))
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
        let (b, block_start) = from.locate(a, first);
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

    /// The first implementation, one output element at a time: the reference.
    fn element_by_element(input: &[usize], s: &AxisSlice) -> Vec<usize> {
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

    #[test]
    fn numpy_slices_follow_python() {
        let picks = |len, start, stop, step| {
            let s = numpy_axis_slice(len, start, stop, step).unwrap();
            (0..s.len).map(|k| s.source(k)).collect::<Vec<_>>()
        };
        assert_eq!(picks(6, Some(5), Some(1), -1), [5, 4, 3, 2]);
        assert_eq!(picks(6, None, None, -1), [5, 4, 3, 2, 1, 0]);
        assert_eq!(picks(6, None, None, -4), [5, 1]);
        assert_eq!(picks(6, Some(-2), None, -2), [4, 2, 0]);
        assert_eq!(picks(6, Some(1), Some(5), -1), Vec::<usize>::new());
        assert_eq!(picks(6, Some(10), Some(-10), -3), [5, 2]);
        assert_eq!(picks(6, Some(-10), Some(10), 2), [0, 2, 4]);
        assert_eq!(picks(0, None, None, -1), Vec::<usize>::new());
        assert!(numpy_axis_slice(3, None, None, 0).is_err());
    }

    #[test]
    fn zero_step_is_an_error() {
        assert!(axis_slice(4, 0, None, 0).is_err());
    }

    #[test]
    fn slicing_a_huge_axis_costs_its_chunks_not_its_length() {
        // 1e12 elements in 1e6 chunks; every other element, then backwards by 3.
        let input = vec![1_000_000; 1_000_000];
        let s = axis_slice(1_000_000_000_000, 0, None, 2).unwrap();
        let out = slice_chunks(&input, &s);
        assert_eq!((out.len(), out[0]), (1_000_000, 500_000));
        let s = axis_slice(1_000_000_000_000, 0, None, -3).unwrap();
        assert_eq!(slice_chunks(&input, &s).iter().sum::<usize>(), s.len);
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
            prop_assert_eq!(&out, &element_by_element(&chunks, &s));
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
