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
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::graph::Value;
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

#[inline(always)]
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[derive(Clone, Copy)]
enum Dist {
    Uniform { low: f64, high: f64 },
    Normal { mean: f64, std: f64 },
    Integers { low: i64, span: u64 },
}

struct RandomSource {
    dist: Dist,
    seed: u64,
    shape: Vec<usize>,
    id: u64,
}

impl RandomSource {
    /// Calls `f(global_flat_index)` for every element of the chunk, in row-major order.
    fn fill<T: Element>(
        &self,
        offset: &[usize],
        shape: &[usize],
        f: impl Fn(u64) -> T,
    ) -> ArrayD<T> {
        let n: usize = shape.iter().product();
        let mut out = Vec::with_capacity(n);
        if n > 0 {
            let ndim = shape.len();
            let mut strides = vec![1u64; ndim];
            for a in (0..ndim.saturating_sub(1)).rev() {
                strides[a] = strides[a + 1] * self.shape[a + 1] as u64;
            }
            let inner = shape.last().copied().unwrap_or(1);
            let mut row = vec![0usize; ndim.saturating_sub(1)];
            loop {
                let mut base: u64 = row
                    .iter()
                    .enumerate()
                    .map(|(a, &r)| (offset[a] + r) as u64 * strides[a])
                    .sum();
                if ndim > 0 {
                    base += offset[ndim - 1] as u64;
                }
                out.extend((0..inner as u64).map(|j| f(base + j)));
                let mut axis = row.len();
                loop {
                    if axis == 0 {
                        return ArrayD::from_shape_vec(IxDyn(shape), out).expect("filled");
                    }
                    axis -= 1;
                    row[axis] += 1;
                    if row[axis] < shape[axis] {
                        break;
                    }
                    row[axis] = 0;
                }
            }
        }
        ArrayD::from_shape_vec(IxDyn(shape), out).expect("empty")
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
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value> {
        let seed = self.seed;
        Ok(match self.dist {
            Dist::Uniform { low, high } => {
                Value::new(self.fill(offset, shape, |i| low + (high - low) * unit(hash(seed, i))))
            }
            Dist::Normal { mean, std } => Value::new(self.fill(offset, shape, |i| {
                let u1 = 1.0 - unit(hash(seed, 2 * i));
                let u2 = unit(hash(seed, 2 * i + 1));
                mean + std * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
            })),
            Dist::Integers { low, span } => Value::new(self.fill(offset, shape, |i| {
                let r = ((hash(seed, i) as u128 * span as u128) >> 64) as u64;
                low.wrapping_add(r as i64)
            })),
        })
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
