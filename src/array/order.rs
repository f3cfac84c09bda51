//! Order statistics: `sort`/`argsort` along an axis, `topk`/`argtopk`, `histogram` and
//! `bincount` (the quantiles are in [`quantile`](super::quantile)).
//!
//! How each is built (Dask's methods): `sort`, `argsort` and `argtopk`
//! gather the axis into one chunk per block (rechunking it whole, so memory is one lane of
//! blocks, not the array) and work lane by lane; `topk` first keeps the top `k` of each
//! block, then merges those; `histogram` and `bincount` count per block and sum the
//! counts. NaN sorts last (NumPy's order).

use std::cmp::Ordering;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use super::{Array, Chunks};
use crate::dtype::{DType, Element, Int};
use crate::error::{Error, Result};

/// NumPy's sort order: NaN after everything else.
pub(super) fn total<T: Element>(a: &T, b: &T) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

/// `f` applied to every lane of `block` along `axis`, writing lanes of `out_len`.
pub(super) fn per_lane<T: Element, U: Element>(
    block: ArrayViewD<'_, T>,
    axis: usize,
    out_len: usize,
    f: impl Fn(Vec<T>) -> Vec<U>,
) -> ArrayD<U> {
    let mut shape = block.shape().to_vec();
    shape[axis] = out_len;
    let mut out = ArrayD::from_elem(IxDyn(&shape), U::default());
    for (lane, mut dest) in block
        .lanes(Axis(axis))
        .into_iter()
        .zip(out.lanes_mut(Axis(axis)))
    {
        for (d, v) in dest.iter_mut().zip(f(lane.to_vec())) {
            *d = v;
        }
    }
    out
}

impl<T: Element> Array<T> {
    /// The array with `axis` in one chunk per block (the other axes keep theirs).
    pub(super) fn whole_axis(&self, axis: usize) -> Result<Array<T>> {
        self.check()?;
        self.check_axis(axis)?;
        let mut chunks = self.chunks().as_lists().to_vec();
        chunks[axis] = vec![self.shape()[axis]];
        if chunks == self.chunks().as_lists() {
            Ok(self.clone())
        } else {
            self.rechunk(chunks)
        }
    }

    /// Output chunks: `self`'s with `axis` set to the single length `len`.
    pub(super) fn chunks_with_axis(&self, axis: usize, len: usize) -> Chunks {
        let mut chunks = self.chunks().as_lists().to_vec();
        chunks[axis] = vec![len];
        Chunks::from_lists(chunks)
    }

    /// The elements sorted along `axis` (NumPy's `sort`; NaN last). The axis is gathered
    /// into one chunk per block.
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![3.0, f64::NAN, -1.0, 2.0], 2)?;
    /// let s = x.sort(0)?.compute()?;
    /// assert_eq!(&s.as_slice().unwrap()[..3], &[-1.0, 2.0, 3.0]);
    /// assert!(s[[3]].is_nan());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn sort(&self, axis: usize) -> Result<Array<T>> {
        let x = self.whole_axis(axis)?;
        let n = self.shape()[axis];
        let chunks = x.chunks_with_axis(axis, n);
        x.map_blocks_with_chunks(chunks, move |b| {
            per_lane(b, axis, n, |mut lane| {
                lane.sort_by(total);
                lane
            })
        })
    }

    /// The indices that sort `axis` (NumPy's `argsort`, stable; NaN last).
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_vec(vec![30, 10, 20, 10], 3)?;
    /// assert_eq!(x.argsort(0)?.compute()?.as_slice().unwrap(), &[1, 3, 2, 0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn argsort(&self, axis: usize) -> Result<Array<u64>> {
        let x = self.whole_axis(axis)?;
        let n = self.shape()[axis];
        let chunks = x.chunks_with_axis(axis, n);
        x.map_blocks_with_chunks(chunks, move |b| {
            per_lane(b, axis, n, |lane| {
                let mut idx: Vec<u64> = (0..lane.len() as u64).collect();
                idx.sort_by(|&i, &j| total(&lane[i as usize], &lane[j as usize]));
                idx
            })
        })
    }

    /// The `k` largest elements along `axis`, largest first (Dask's `topk`); a negative
    /// `k` gives the `|k|` smallest, smallest first. Each block keeps its own top `k`
    /// first, so only `k` per block travel. `|k|` larger than the axis is an error.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_vec(vec![5, 1, 9, 3, 7], 2)?;
    /// assert_eq!(x.topk(2, 0)?.compute()?.as_slice().unwrap(), &[9, 7]);
    /// assert_eq!(x.topk(-2, 0)?.compute()?.as_slice().unwrap(), &[1, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn topk(&self, k: isize, axis: usize) -> Result<Array<T>> {
        self.check()?;
        self.check_axis(axis)?;
        let kk = self.check_k(k, axis)?;
        let largest = k > 0;
        let pick = move |mut lane: Vec<T>, keep: usize| {
            if largest {
                lane.sort_by(|a, b| total(b, a));
            } else {
                lane.sort_by(total);
            }
            lane.truncate(keep);
            lane
        };
        // Stage 1: each block's own top k.
        let mut partial_chunks = self.chunks().as_lists().to_vec();
        partial_chunks[axis] = partial_chunks[axis].iter().map(|&c| c.min(kk)).collect();
        let partial =
            self.map_blocks_with_chunks(Chunks::from_lists(partial_chunks), move |b| {
                let keep = b.shape()[axis].min(kk);
                per_lane(b, axis, keep, |lane| pick(lane, keep))
            })?;
        // Stage 2: the top k of the survivors.
        let merged = partial.whole_axis(axis)?;
        let chunks = merged.chunks_with_axis(axis, kk);
        merged.map_blocks_with_chunks(chunks, move |b| {
            per_lane(b, axis, kk, |lane| pick(lane, kk))
        })
    }

    /// The indices along `axis` of [`Array::topk`]'s elements (Dask's `argtopk`). The axis
    /// is gathered into one chunk per block.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_vec(vec![5, 1, 9, 3, 7], 2)?;
    /// assert_eq!(x.argtopk(2, 0)?.compute()?.as_slice().unwrap(), &[2, 4]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn argtopk(&self, k: isize, axis: usize) -> Result<Array<u64>> {
        self.check()?;
        self.check_axis(axis)?;
        let kk = self.check_k(k, axis)?;
        let largest = k > 0;
        let x = self.whole_axis(axis)?;
        let chunks = x.chunks_with_axis(axis, kk);
        x.map_blocks_with_chunks(chunks, move |b| {
            per_lane(b, axis, kk, |lane| {
                let mut idx: Vec<u64> = (0..lane.len() as u64).collect();
                idx.sort_by(|&i, &j| {
                    let (a, b) = (&lane[i as usize], &lane[j as usize]);
                    if largest { total(b, a) } else { total(a, b) }
                });
                idx.truncate(kk);
                idx
            })
        })
    }

    fn check_k(&self, k: isize, axis: usize) -> Result<usize> {
        let n = self.shape()[axis];
        let kk = k.unsigned_abs();
        if k == 0 || kk > n {
            return Err(Error::InvalidArgument(format!(
                "topk k = {k} must be nonzero and at most the axis length {n}"
            )));
        }
        Ok(kk)
    }

    /// Counts of the elements in `bins` equal-width bins over `[low, high]` (NumPy's
    /// `histogram` with a range; the last bin includes `high`; values outside the range and
    /// NaN are not counted), and the `bins + 1` bin edges. Counted per block, then summed.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![0.0, 0.5, 1.0, 1.5, 2.0, 9.0], 4)?;
    /// let (counts, edges) = x.histogram(2, 0.0, 2.0)?;
    /// assert_eq!(counts.compute()?.as_slice().unwrap(), &[2, 3]);
    /// assert_eq!(edges, vec![0.0, 1.0, 2.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn histogram(&self, bins: usize, low: f64, high: f64) -> Result<(Array<i64>, Vec<f64>)> {
        if bins == 0 {
            return Err(Error::InvalidArgument(
                "histogram needs at least one bin".into(),
            ));
        }
        if !(low.is_finite() && high.is_finite() && low <= high) {
            return Err(Error::InvalidArgument(format!(
                "histogram range [{low}, {high}] must be finite with low <= high"
            )));
        }
        let (lo, hi) = if low == high {
            (low - 0.5, high + 0.5)
        } else {
            (low, high)
        };
        let edges: Vec<f64> = (0..=bins)
            .map(|i| {
                if i == bins {
                    hi
                } else {
                    lo + (hi - lo) * i as f64 / bins as f64
                }
            })
            .collect();
        let bin_edges = edges.clone();
        let norm = bins as f64 / (hi - lo);
        let counts = self.count_per_block(bins, move |v: T| {
            let v = v.to_f64();
            if !(lo..=hi).contains(&v) {
                return None;
            }
            // NumPy's computation: scale, then correct by the edges themselves.
            let mut b = (((v - lo) * norm) as usize).min(bins - 1);
            if b > 0 && v < bin_edges[b] {
                b -= 1;
            } else if b + 1 < bins && v >= bin_edges[b + 1] {
                b += 1;
            }
            Some(b)
        })?;
        Ok((counts, edges))
    }

    /// Per block, counts of `bin_of(element)` over `bins` bins, summed over blocks.
    fn count_per_block(
        &self,
        bins: usize,
        bin_of: impl Fn(T) -> Option<usize> + Send + Sync + 'static,
    ) -> Result<Array<i64>> {
        let flat = self.ravel()?;
        let blocks = flat.chunks().axis(0).len();
        let counts_chunks = Chunks::from_lists(vec![vec![bins; blocks]]);
        let counts = flat.map_blocks_with_chunks(counts_chunks, move |b| {
            let mut counts = vec![0i64; bins];
            for &v in b.iter() {
                if let Some(k) = bin_of(v) {
                    counts[k] += 1;
                }
            }
            ArrayD::from_shape_vec(IxDyn(&[bins]), counts).expect("1-d")
        })?;
        counts.reshape(&[blocks, bins])?.sum_axis(0)
    }
}

impl<T: Int> Array<T> {
    /// Counts of each value `0..minlength` (NumPy's `bincount` with `minlength`, which a
    /// lazy array needs to know its length). A negative value or one ≥ `minlength` makes
    /// the computation fail with an error naming it.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::from_vec(vec![0, 1, 1, 3], 2)?;
    /// assert_eq!(x.bincount(5)?.compute()?.as_slice().unwrap(), &[1, 2, 0, 1, 0]);
    /// assert!(x.bincount(3)?.compute().is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn bincount(&self, minlength: usize) -> Result<Array<i64>> {
        if minlength == 0 {
            return Err(Error::InvalidArgument(
                "bincount needs minlength > 0 to know its length".into(),
            ));
        }
        let signed = matches!(T::DTYPE, DType::I8 | DType::I16 | DType::I32 | DType::I64);
        self.count_per_block(minlength, move |v: T| {
            let value = v.to_scalar();
            let (negative, as_u) = match value {
                crate::dtype::Scalar::I8(x) => (x < 0, x as u64),
                crate::dtype::Scalar::I16(x) => (x < 0, x as u64),
                crate::dtype::Scalar::U8(x) => (false, u64::from(x)),
                crate::dtype::Scalar::U16(x) => (false, u64::from(x)),
                crate::dtype::Scalar::I32(x) => (x < 0, x as u64),
                crate::dtype::Scalar::I64(x) => (x < 0, x as u64),
                crate::dtype::Scalar::U32(x) => (false, u64::from(x)),
                crate::dtype::Scalar::U64(x) => (false, x),
                _ => (false, 0),
            };
            if (signed && negative) || as_u >= minlength as u64 {
                // Caught by the scheduler and returned as an error naming the task.
                panic!("bincount: value {value} is outside 0..{minlength}");
            }
            Some(as_u as usize)
        })
    }
}
