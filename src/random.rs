//! Lazy random arrays from a counter-based generator: the value at global index `i` depends
//! only on `(seed, i)`, so the same seed gives the identical array whatever the chunking and
//! the thread count (Dask's random arrays change when the chunks change).
//!
//! The generator hashes `(seed, i)` with SplitMix64's finaliser (a bijective 64-bit mixer
//! that passes BigCrush when fed a counter); uniform floats take the top 53 bits, normals use
//! the Box–Muller transform on two hashed uniforms, integers use Lemire's multiply-shift.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use crate::array::{Array, ChunkSpec, Chunks, source_array};
use crate::dtype::{Col, DType, Element};
use crate::error::{Error, Result};
use crate::graph::Value;
use crate::kernel::generate::{StripFill, runs, strip_slice};
use crate::kernel::isa::widest_for_u64_multiplies;
use crate::kernel::source::{ChunkSource, fresh_id};

/// SplitMix64's output function applied to `seed`'s stream at position `i`.
#[inline(always)]
pub fn hash(seed: u64, i: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(i.wrapping_add(1).wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The top 53 bits of `bits` as a float in `[0, 1)`: `(bits >> 11) as f64 * 2^-53`.
///
/// Computed in two 32-bit halves, each converted exactly through the 2^52 exponent trick,
/// whose sum (< 2^53) is exact too, so the result is bit-identical to the plain conversion
/// while vectorising (x86-64 has no packed u64 → f64 conversion before AVX-512).
#[inline(always)]
fn unit(bits: u64) -> f64 {
    const TWO52: f64 = (1u64 << 52) as f64;
    const EXP52: u64 = 0x4330_0000_0000_0000;
    let v = bits >> 11;
    let hi = f64::from_bits(EXP52 | (v >> 32)) - TWO52;
    let lo = f64::from_bits(EXP52 | (v & 0xFFFF_FFFF)) - TWO52;
    (hi * 4_294_967_296.0 + lo) * (1.0 / (1u64 << 53) as f64)
}

#[derive(Clone, Copy)]
enum Dist {
    Uniform { low: f64, high: f64 },
    Normal { mean: f64, std: f64 },
    Integers { low: i64, span: u64 },
}

/// Element `i` of a uniform array.
#[inline(always)]
fn uniform_at(seed: u64, low: f64, high: f64) -> impl Fn(u64) -> f64 {
    #[inline(always)]
    move |i| low + (high - low) * unit(hash(seed, i))
}

/// Element `i` of a normal array (Box–Muller on two hashed uniforms).
#[inline(always)]
fn normal_at(seed: u64, mean: f64, std: f64) -> impl Fn(u64) -> f64 {
    #[inline(always)]
    move |i| {
        let u1 = 1.0 - unit(hash(seed, 2 * i));
        let u2 = unit(hash(seed, 2 * i + 1));
        mean + std * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Element `i` of an integer array (Lemire's multiply-shift).
#[inline(always)]
fn integers_at(seed: u64, low: i64, span: u64) -> impl Fn(u64) -> i64 {
    #[inline(always)]
    move |i| {
        let r = ((hash(seed, i) as u128 * span as u128) >> 64) as u64;
        low.wrapping_add(r as i64)
    }
}

#[derive(Clone)]
struct RandomSource {
    dist: Dist,
    seed: u64,
    shape: Vec<usize>,
    id: u64,
}

/// A chunk's position: its global offset and shape.
type Place<'a> = (&'a [usize], &'a [usize]);

impl RandomSource {
    /// Writes elements `start..start + dst.len()` of the chunk at `place` into `dst`,
    /// element `i` (global flat index) being `f(i)`.
    #[inline(always)]
    fn write<T: Element>(
        &self,
        (offset, shape): Place<'_>,
        start: usize,
        f: impl Fn(u64) -> T,
        dst: &mut [T],
    ) {
        let mut at = 0;
        runs(offset, shape, &self.shape, start, dst.len(), |g, run| {
            for (j, d) in dst[at..at + run].iter_mut().enumerate() {
                *d = f(g + j as u64);
            }
            at += run;
        });
    }

    /// The chunk at `place`, element `i` (global flat index) being `f(i)`: the same
    /// elements [`write`](Self::write) computes, appended to a fresh buffer.
    fn chunk_of<T: Element>(
        &self,
        (offset, shape): Place<'_>,
        f: impl Fn(u64) -> T,
    ) -> Result<Value> {
        let n: usize = shape.iter().product();
        let mut out = Vec::with_capacity(n);
        runs(offset, shape, &self.shape, 0, n, |g, run| {
            out.extend((g..g + run as u64).map(&f));
        });
        let array = ArrayD::from_shape_vec(IxDyn(shape), out)
            .map_err(|e| Error::ShapeMismatch(e.to_string()))?;
        Ok(Value::new(array))
    }
}

impl StripFill for RandomSource {
    fn dtype(&self) -> DType {
        match self.dist {
            Dist::Uniform { .. } | Dist::Normal { .. } => DType::F64,
            Dist::Integers { .. } => DType::I64,
        }
    }
    fn fill(
        &self,
        offset: &[usize],
        shape: &[usize],
        start: usize,
        len: usize,
        out: &mut Col<'static>,
    ) {
        let (place, seed) = ((offset, shape), self.seed);
        match self.dist {
            Dist::Uniform { low, high } => {
                let dst = strip_slice::<f64>(out, len);
                widest_for_u64_multiplies(
                    #[inline(always)]
                    || self.write(place, start, uniform_at(seed, low, high), dst),
                )
            }
            Dist::Normal { mean, std } => {
                let dst = strip_slice::<f64>(out, len);
                widest_for_u64_multiplies(
                    #[inline(always)]
                    || self.write(place, start, normal_at(seed, mean, std), dst),
                )
            }
            Dist::Integers { low, span } => {
                let dst = strip_slice::<i64>(out, len);
                widest_for_u64_multiplies(
                    #[inline(always)]
                    || self.write(place, start, integers_at(seed, low, span), dst),
                )
            }
        }
    }
}

impl ChunkSource for RandomSource {
    fn name(&self) -> &str {
        match self.dist {
            Dist::Uniform { .. } => "uniform",
            Dist::Normal { .. } => "normal",
            Dist::Integers { .. } => "integers",
        }
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn cheap(&self) -> bool {
        true
    }
    fn strip_fill(&self) -> Option<Arc<dyn StripFill>> {
        Some(Arc::new(self.clone()))
    }
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value> {
        let (place, seed) = ((offset, shape), self.seed);
        match self.dist {
            Dist::Uniform { low, high } => self.chunk_of(place, uniform_at(seed, low, high)),
            Dist::Normal { mean, std } => self.chunk_of(place, normal_at(seed, mean, std)),
            Dist::Integers { low, span } => self.chunk_of(place, integers_at(seed, low, span)),
        }
    }
}

fn random<T: Element>(
    dist: Dist,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
) -> Result<Array<T>> {
    let chunks = Chunks::resolve(shape, chunks, T::DTYPE)?;
    let source = RandomSource {
        dist,
        seed,
        shape: shape.to_vec(),
        id: fresh_id(),
    };
    Ok(source_array(shape, chunks, Arc::new(source)))
}

/// Uniform floats in `[low, high)`.
///
/// ```
/// let x = chunkflow::random::uniform(-1.0, 1.0, &[1000], 100, 42)?;
/// let y = chunkflow::random::uniform(-1.0, 1.0, &[1000], 333, 42)?;
/// assert_eq!(x.compute()?, y.compute()?); // chunking does not change the values
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn uniform(
    low: f64,
    high: f64,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
) -> Result<Array<f64>> {
    if !low.is_finite() || !high.is_finite() || low >= high {
        return Err(Error::InvalidArgument(format!(
            "uniform needs finite low < high, got [{low}, {high})"
        )));
    }
    if !(high - low).is_finite() {
        // NumPy: OverflowError, "high - low range exceeds valid bounds".
        return Err(Error::InvalidArgument(format!(
            "uniform: the range high - low of [{low}, {high}) exceeds the largest f64"
        )));
    }
    random(Dist::Uniform { low, high }, shape, chunks, seed)
}

/// Normally distributed floats.
///
/// ```
/// let x = chunkflow::random::normal(5.0, 2.0, &[100_000], 10_000, 7)?;
/// assert!((x.mean().scalar()? - 5.0).abs() < 0.05);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn normal(
    mean: f64,
    std: f64,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
) -> Result<Array<f64>> {
    if !std.is_finite() || !mean.is_finite() || std < 0.0 {
        return Err(Error::InvalidArgument(format!(
            "normal needs a finite mean and std >= 0, got {mean}, {std}"
        )));
    }
    random(Dist::Normal { mean, std }, shape, chunks, seed)
}

/// Uniform integers in `[low, high)`.
///
/// ```
/// let d = chunkflow::random::integers(1, 7, &[600], 100, 3)?;
/// assert!(d.min().scalar()? >= 1 && d.max().scalar()? <= 6);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn integers(
    low: i64,
    high: i64,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
) -> Result<Array<i64>> {
    if low >= high {
        return Err(Error::InvalidArgument(format!(
            "integers needs low < high, got [{low}, {high})"
        )));
    }
    let span = high.wrapping_sub(low) as u64;
    random(Dist::Integers { low, span }, shape, chunks, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_is_the_plain_conversion_bit_for_bit() {
        let plain = |bits: u64| (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        let edges = [
            0,
            1,
            1 << 11,
            u64::MAX,
            u64::MAX >> 1,
            1 << 63,
            0xFFFF_FFFF << 11,
        ];
        for bits in edges.into_iter().chain((0..100_000).map(|i| hash(9, i))) {
            assert_eq!(unit(bits).to_bits(), plain(bits).to_bits(), "{bits:#x}");
        }
    }
}
