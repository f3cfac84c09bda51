//! Quantiles: `quantile`/`percentile`/`median` along an axis, for one `q` or several, their
//! NaN-ignoring forms (`nanquantile`, `nanpercentile`, `nanmedian`), and the approximate
//! global percentile of a whole array (`percentile_approx`, Dask's `da.percentile`).
//!
//! The exact forms gather the axis into one chunk per block (a rechunk of that axis only,
//! as Dask does for `nanmedian`/`quantile` along an axis), so memory is one lane of blocks,
//! not the array, and interpolate linearly between neighbouring order statistics (NumPy's
//! default `linear` method, with NumPy's `_lerp`). The approximate form never gathers
//! anything: each block summarises itself by its percentiles at the requested points and
//! a fixed grid, and the summaries are merged by weight (Dask's `merge_percentiles`).

use std::cmp::Ordering;

use ndarray::{ArrayD, IxDyn};

use super::order::per_lane;
use super::{Array, Chunks};
use crate::dtype::{Element, Float};
use crate::error::{Error, Result};

/// The grid of percentiles (0, 1, …, 100) every block reports to
/// [`Array::percentile_approx`], besides the requested ones.
const APPROX_GRID: usize = 101;

impl<T: Element> Array<T> {
    /// The `q`-th quantile (0 ≤ q ≤ 1) along `axis`, interpolating linearly between the
    /// neighbouring order statistics (NumPy's default method); NaN in a lane gives NaN.
    /// The axis is removed. An empty axis or `q` outside [0, 1] is an error. Exact: the
    /// axis is gathered into one chunk per block.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::from_vec(vec![4, 1, 3, 2], 2)?;
    /// assert_eq!(x.quantile(0.5, 0)?.scalar()?, 2.5);
    /// assert_eq!(x.quantile(1.0, 0)?.scalar()?, 4.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn quantile(&self, q: f64, axis: usize) -> Result<Array<T::Real>> {
        self.quantile_lanes(&[q], axis, false)?.squeeze_axis(axis)
    }

    /// Several quantiles along `axis` at once (NumPy's `quantile` with a list of `q`): the
    /// result has a new first axis of length `qs.len()`, one quantile each, then the other
    /// axes. The lane is sorted once for all of them.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![4.0, 1.0, 3.0, 2.0], 3)?;
    /// let q = x.quantiles(&[0.0, 0.5, 1.0], 0)?.compute()?;
    /// assert_eq!(q.as_slice().unwrap(), &[1.0, 2.5, 4.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn quantiles(&self, qs: &[f64], axis: usize) -> Result<Array<T::Real>> {
        self.quantile_lanes(qs, axis, false)?.moveaxis(axis, 0)
    }

    /// The `p`-th percentile (0 ≤ p ≤ 100) along `axis` (NumPy's `percentile`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::linspace(0.0, 10.0, 11, 4)?;
    /// assert_eq!(x.percentile(25.0, 0)?.scalar()?, 2.5);
    /// assert!(x.percentile(101.0, 0).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn percentile(&self, p: f64, axis: usize) -> Result<Array<T::Real>> {
        self.quantile(percent_to_fraction(p)?, axis)
    }

    /// Several percentiles along `axis`, as a new first axis (see [`Array::quantiles`]).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::linspace(0.0, 10.0, 11, 4)?;
    /// let p = x.percentiles(&[10.0, 90.0], 0)?.compute()?;
    /// assert_eq!(p.as_slice().unwrap(), &[1.0, 9.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn percentiles(&self, ps: &[f64], axis: usize) -> Result<Array<T::Real>> {
        self.quantiles(&percents_to_fractions(ps)?, axis)
    }

    /// The median along `axis` (NumPy's `median`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![5.0, 1.0, 3.0], 2)?;
    /// assert_eq!(x.median(0)?.scalar()?, 3.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn median(&self, axis: usize) -> Result<Array<T::Real>> {
        self.quantile(0.5, axis)
    }

    /// [`Array::quantile`] ignoring NaN (NumPy's `nanquantile`): the quantile of the lane's
    /// other elements; a lane of nothing but NaN gives NaN (NumPy also warns).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![4.0, f64::NAN, 1.0, 3.0], 2)?;
    /// assert_eq!(x.nanquantile(0.5, 0)?.scalar()?, 3.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nanquantile(&self, q: f64, axis: usize) -> Result<Array<T::Real>> {
        self.quantile_lanes(&[q], axis, true)?.squeeze_axis(axis)
    }

    /// [`Array::quantiles`] ignoring NaN (NumPy's `nanquantile` with a list of `q`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![f64::NAN, 2.0, 1.0], 2)?;
    /// let q = x.nanquantiles(&[0.0, 1.0], 0)?.compute()?;
    /// assert_eq!(q.as_slice().unwrap(), &[1.0, 2.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nanquantiles(&self, qs: &[f64], axis: usize) -> Result<Array<T::Real>> {
        self.quantile_lanes(qs, axis, true)?.moveaxis(axis, 0)
    }

    /// [`Array::percentile`] ignoring NaN (NumPy's `nanpercentile`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![f64::NAN, 0.0, 10.0], 2)?;
    /// assert_eq!(x.nanpercentile(30.0, 0)?.scalar()?, 3.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nanpercentile(&self, p: f64, axis: usize) -> Result<Array<T::Real>> {
        self.nanquantile(percent_to_fraction(p)?, axis)
    }

    /// [`Array::percentiles`] ignoring NaN.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![f64::NAN, 0.0, 10.0], 2)?;
    /// let p = x.nanpercentiles(&[0.0, 50.0], 0)?.compute()?;
    /// assert_eq!(p.as_slice().unwrap(), &[0.0, 5.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nanpercentiles(&self, ps: &[f64], axis: usize) -> Result<Array<T::Real>> {
        self.nanquantiles(&percents_to_fractions(ps)?, axis)
    }

    /// The median along `axis` ignoring NaN (NumPy's `nanmedian`, Dask's
    /// `da.nanmedian`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![5.0, f64::NAN, 1.0, 3.0], 2)?;
    /// assert_eq!(x.nanmedian(0)?.scalar()?, 3.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn nanmedian(&self, axis: usize) -> Result<Array<T::Real>> {
        self.nanquantile(0.5, axis)
    }

    /// The quantiles `qs` of every lane along `axis`, in place of the axis.
    fn quantile_lanes(&self, qs: &[f64], axis: usize, skip_nan: bool) -> Result<Array<T::Real>> {
        check_fractions(qs)?;
        let x = self.whole_axis(axis)?;
        if self.shape()[axis] == 0 {
            return Err(Error::InvalidArgument(format!(
                "quantile of an empty axis {axis} (shape {:?})",
                self.shape()
            )));
        }
        let qs = qs.to_vec();
        let chunks = x.chunks_with_axis(axis, qs.len());
        x.map_blocks_with_chunks(chunks, move |b| {
            per_lane(b, axis, qs.len(), |lane| {
                let v: Vec<f64> = lane.iter().map(|e| e.to_f64()).collect();
                lane_quantiles(v, &qs, skip_nan)
                    .into_iter()
                    .map(<T::Real as Float>::from_f64)
                    .collect()
            })
        })
    }

    /// Approximate percentiles `ps` (each in 0..=100) of all the elements, without
    /// gathering them (Dask's `da.percentile`, for arrays too big for an exact quantile
    /// along an axis). Each block reports its own exact percentiles at the requested
    /// points and at 0, 1, …, 100, with its element count; the reports are merged by
    /// weight — block size times percentile step — and interpolated linearly, as Dask's
    /// `merge_percentiles` does. The result has one element per requested percentile.
    ///
    /// With a single block the result is exact; with many it is close: each block's
    /// interpolated percentiles misplace about one of its elements, so the result lies
    /// within about `1 + 100 · blocks / len` percentile points of the exact one — fine for
    /// blocks of thousands of elements, coarse for blocks of a few. NaN anywhere gives NaN, as in NumPy's `percentile`.
    /// An empty array, no percentiles or one outside 0..=100 are errors. Dask accepts only
    /// 1-d arrays here; chunkflow flattens an n-d array first (row-major, as `ravel`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::linspace(0.0, 100.0, 100_001, 10_000)?;
    /// let p = x.percentile_approx(&[25.0, 50.0])?.compute()?;
    /// assert!((p[[0]] - 25.0).abs() < 0.1 && (p[[1]] - 50.0).abs() < 0.1);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn percentile_approx(&self, ps: &[f64]) -> Result<Array<f64>> {
        self.check()?;
        percents_to_fractions(ps)?;
        if self.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "percentile_approx of an empty array (shape {:?})",
                self.shape()
            )));
        }
        let grid = summary_grid(ps);
        let flat = if self.ndim() == 1 {
            self.clone()
        } else {
            self.ravel()?
        };
        let blocks = flat.chunks().axis(0).len();
        let report = grid.len() + 2;
        let summaries = {
            let grid = grid.clone();
            flat.map_blocks_with_chunks(Chunks::from_lists(vec![vec![report; blocks]]), move |b| {
                let v: Vec<f64> = b.iter().map(|e| e.to_f64()).collect();
                let n = v.len() as f64;
                let has_nan = v.iter().any(|x| x.is_nan());
                let fractions: Vec<f64> = grid.iter().map(|p| p / 100.0).collect();
                let mut out = vec![n, if has_nan { 1.0 } else { 0.0 }];
                out.extend(lane_quantiles(v, &fractions, false));
                ArrayD::from_shape_vec(IxDyn(&[report]), out).expect("a 1-d report")
            })?
        };
        let one = summaries.rechunk(vec![vec![blocks * report]])?;
        let wanted = ps.to_vec();
        one.map_blocks_with_chunks(Chunks::from_lists(vec![vec![wanted.len()]]), move |b| {
            let all: Vec<f64> = b.iter().copied().collect();
            let merged = merge_percentiles(&all, report, &grid, &wanted);
            ArrayD::from_shape_vec(IxDyn(&[wanted.len()]), merged).expect("a 1-d result")
        })
    }
}

/// `p / 100`, or an error if `p` is outside 0..=100.
fn percent_to_fraction(p: f64) -> Result<f64> {
    if !(0.0..=100.0).contains(&p) {
        return Err(Error::InvalidArgument(format!(
            "percentile {p} is outside [0, 100]"
        )));
    }
    Ok(p / 100.0)
}

fn percents_to_fractions(ps: &[f64]) -> Result<Vec<f64>> {
    if ps.is_empty() {
        return Err(Error::InvalidArgument("no percentiles asked for".into()));
    }
    ps.iter().map(|&p| percent_to_fraction(p)).collect()
}

/// An error unless every `q` is in [0, 1] and there is at least one.
fn check_fractions(qs: &[f64]) -> Result<()> {
    if qs.is_empty() {
        return Err(Error::InvalidArgument("no quantiles asked for".into()));
    }
    match qs.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        Some(q) => Err(Error::InvalidArgument(format!(
            "quantile {q} is outside [0, 1]"
        ))),
        None => Ok(()),
    }
}

/// NumPy's linear-interpolation quantiles `qs` of `v`. With `skip_nan`, NaN elements are
/// left out (all NaN: NaN); otherwise any NaN makes every quantile NaN.
fn lane_quantiles(mut v: Vec<f64>, qs: &[f64], skip_nan: bool) -> Vec<f64> {
    if skip_nan {
        v.retain(|x| !x.is_nan());
    }
    if v.is_empty() || v.iter().any(|x| x.is_nan()) {
        return vec![f64::NAN; qs.len()];
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    qs.iter().map(|&q| sorted_quantile(&v, q)).collect()
}

/// The `q`-th quantile of sorted, NaN-free, non-empty `v` (NumPy's linear method).
fn sorted_quantile(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    if lo == hi {
        v[lo]
    } else {
        // NumPy's `_lerp`: accurate at both ends.
        let (a, b) = (v[lo], v[hi]);
        let diff = b - a;
        if frac >= 0.5 {
            b - diff * (1.0 - frac)
        } else {
            a + diff * frac
        }
    }
}

/// The percentiles each block reports: the requested ones and 0, 1, …, 100, sorted, once
/// each.
fn summary_grid(ps: &[f64]) -> Vec<f64> {
    let mut grid: Vec<f64> = (0..APPROX_GRID).map(|i| i as f64).collect();
    grid.extend_from_slice(ps);
    grid.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    grid.dedup();
    grid
}

/// Merges block reports (`[count, has_nan, value at each grid percentile…]`, `report`
/// numbers each, back to back) into the percentiles `wanted`, Dask's way: a value at grid
/// point `j` of a block of `n` elements weighs `n · (grid[j] − grid[j−1])` (the first
/// `n · grid[0]`); all values sorted, their weights summed into a cumulative curve, and
/// `p · Σn` looked up on it by linear interpolation (NumPy's `interp`).
fn merge_percentiles(all: &[f64], report: usize, grid: &[f64], wanted: &[f64]) -> Vec<f64> {
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(all.len());
    let mut total = 0.0;
    for block in all.chunks(report) {
        let (n, has_nan, values) = (block[0], block[1], &block[2..]);
        if has_nan != 0.0 {
            return vec![f64::NAN; wanted.len()];
        }
        total += n;
        let mut previous = 0.0;
        for (&g, &v) in grid.iter().zip(values) {
            points.push((v, n * (g - previous)));
            previous = g;
        }
    }
    points.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal));
    let mut cumulative = Vec::with_capacity(points.len());
    let mut sum = 0.0;
    for &(_, w) in &points {
        sum += w;
        cumulative.push(sum);
    }
    let values: Vec<f64> = points.iter().map(|p| p.0).collect();
    wanted
        .iter()
        .map(|&p| interp(p * total, &cumulative, &values))
        .collect()
}

/// NumPy's `interp(x, xp, fp)` for non-decreasing `xp`: `fp` interpolated linearly,
/// clamped to the end values outside `xp`'s range.
fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let j = xp.partition_point(|&v| v < x);
    if j == 0 {
        return fp[0];
    }
    if j == xp.len() {
        return fp[xp.len() - 1];
    }
    if xp[j] == x {
        return fp[j];
    }
    let (x0, x1, y0, y1) = (xp[j - 1], xp[j], fp[j - 1], fp[j]);
    y0 + (x - x0) * (y1 - y0) / (x1 - x0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_quantiles_follow_numpy() {
        let v = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(
            lane_quantiles(v.clone(), &[0.0, 0.5, 1.0], false),
            [1.0, 2.5, 4.0]
        );
        assert!(lane_quantiles(vec![1.0, f64::NAN], &[0.5], false)[0].is_nan());
        assert_eq!(
            lane_quantiles(vec![1.0, f64::NAN, 3.0], &[0.5], true),
            [2.0]
        );
        assert!(lane_quantiles(vec![f64::NAN], &[0.5], true)[0].is_nan());
    }

    #[test]
    fn interp_clamps_and_interpolates() {
        let (xp, fp) = ([0.0, 1.0, 1.0, 3.0], [10.0, 20.0, 25.0, 45.0]);
        assert_eq!(interp(-1.0, &xp, &fp), 10.0);
        assert_eq!(interp(0.5, &xp, &fp), 15.0);
        assert_eq!(interp(2.0, &xp, &fp), 35.0);
        assert_eq!(interp(9.0, &xp, &fp), 45.0);
    }

    #[test]
    fn one_block_report_merges_to_the_exact_percentile() {
        let v: Vec<f64> = (0..57).map(|i| ((i * 37) % 57) as f64).collect();
        let grid = summary_grid(&[12.5]);
        let fractions: Vec<f64> = grid.iter().map(|p| p / 100.0).collect();
        let mut report = vec![v.len() as f64, 0.0];
        report.extend(lane_quantiles(v.clone(), &fractions, false));
        let merged = merge_percentiles(&report, report.len(), &grid, &[12.5, 50.0]);
        let exact = lane_quantiles(v, &[0.125, 0.5], false);
        for (m, e) in merged.iter().zip(&exact) {
            assert!((m - e).abs() < 1e-9, "{m} vs {e}");
        }
    }
}
