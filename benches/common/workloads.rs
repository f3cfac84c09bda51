//! The workloads of the design notes (poly, pi, dist, distmat, meanstd, anomaly), built as
//! chunkflow arrays and as hand-written single-pass rayon loops, shared by the benchmarks
//! and the `workloads` example so both measure the same thing.
//!
//! Inputs are generated (and persisted) by [`Inputs::new`], outside any timing.
//!
//! Not part of the library: the benches include it with `#[path = "common/workloads.rs"]`,
//! the `workloads` example with `#[path = "../benches/common/workloads.rs"]`; each uses a
//! part of it.

#![allow(dead_code)]

use ndarray::{ArrayD, s};
use rayon::prelude::*;

use chunkflow::{Array, Options, Result, random};

/// What one run of a workload produced. An array result is returned whole, so that a
/// timing covers producing it (as NumPy's and numexpr's peers are timed) and not the
/// checksum, a serial pass over the whole result taken afterwards.
pub enum Output {
    /// A scalar result (a reduction), its own checksum.
    Scalar(f64),
    /// An array result from chunkflow.
    Array(ArrayD<f64>),
    /// An array result from a hand-written loop.
    Vec(Vec<f64>),
}

impl Output {
    /// The scalar, or the sum of the array's elements.
    pub fn checksum(&self) -> f64 {
        match self {
            Output::Scalar(x) => *x,
            Output::Array(a) => a.sum(),
            Output::Vec(v) => v.iter().sum(),
        }
    }
}

/// The workloads by name.
pub const NAMES: [&str; 6] = ["poly", "pi", "dist", "distmat", "meanstd", "anomaly"];

/// Persisted inputs for one workload: chunked arrays plus the same data as plain vectors.
pub struct Inputs {
    /// The workload's name.
    pub name: String,
    /// The problem size (elements per input vector, or points/rows as the workload says).
    pub n: usize,
    /// Chunk length (elements along the first axis).
    pub chunk: usize,
    arrays: Vec<Array<f64>>,
    plain: Vec<ArrayD<f64>>,
}

impl Inputs {
    /// Generates and persists the inputs of `name` at size `n` with chunks of `chunk` rows.
    ///
    /// - poly, pi, dist: `n` elements per vector (design notes: 1e8).
    /// - distmat: `n` points in 2-D (5000).
    /// - meanstd, anomaly: an `n` × 5000 matrix (n = 20000 in the notes).
    pub fn new(name: &str, n: usize, chunk: usize) -> Result<Inputs> {
        let persist = |a: Array<f64>| -> Result<(Array<f64>, ArrayD<f64>)> {
            let p = a.persist()?;
            let plain = p.compute()?;
            Ok((p, plain))
        };
        let specs: Vec<Array<f64>> = match name {
            "poly" => vec![Array::linspace(-1.0, 1.0, n, chunk)?],
            "pi" => vec![
                random::uniform(-1.0, 1.0, &[n], chunk, 1)?,
                random::uniform(-1.0, 1.0, &[n], chunk, 2)?,
            ],
            "dist" => vec![
                random::normal(0.0, 1.0, &[n], chunk, 3)?,
                random::normal(0.0, 1.0, &[n], chunk, 4)?,
            ],
            "distmat" => vec![random::uniform(0.0, 1.0, &[n, 2], [chunk, 2], 5)?],
            "meanstd" | "anomaly" => vec![random::normal(0.0, 1.0, &[n, 5000], [chunk, 5000], 6)?],
            other => {
                return Err(chunkflow::Error::InvalidArgument(format!(
                    "unknown workload {other:?}; known: {NAMES:?}"
                )));
            }
        };
        let (arrays, plain) = specs
            .into_iter()
            .map(persist)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        Ok(Inputs {
            name: name.to_string(),
            n,
            chunk,
            arrays,
            plain,
        })
    }

    /// Runs the workload with chunkflow under `options`; returns its result.
    pub fn run_chunkflow(&self, options: &Options) -> Result<Output> {
        let a = &self.arrays;
        Ok(match self.name.as_str() {
            "poly" => {
                let x = &a[0];
                let y = 0.25 * x.powi(3) + 0.75 * x.powi(2) - 1.5 * x - 2.0;
                Output::Array(y.compute_with(options)?)
            }
            "pi" => {
                let inside = (&a[0] * &a[0] + &a[1] * &a[1]).lt(1.0).sum();
                Output::Scalar(4.0 * inside.scalar_with(options)? as f64 / self.n as f64)
            }
            "dist" => Output::Scalar((&a[0] - &a[1]).powi(2).sum().sqrt().scalar_with(options)?),
            "distmat" => {
                let r = &a[0];
                let d = &r.slice(s![.., ndarray::NewAxis, ..])?
                    - &r.slice(s![ndarray::NewAxis, .., ..])?;
                Output::Array(d.powi(2).sum_axis(2)?.sqrt().compute_with(options)?)
            }
            "meanstd" => {
                let (m, s) =
                    chunkflow::compute_with((&a[0].mean_axis(0)?, &a[0].std_axis(1, 0)?), options)?;
                Output::Scalar(m.sum() + s.sum())
            }
            "anomaly" => {
                let x = &a[0];
                Output::Scalar((x - &x.mean_axis(0)?).powi(2).sum().scalar_with(options)?)
            }
            _ => unreachable!("checked in new"),
        })
    }

    /// Runs the hand-written single-pass rayon loop for the workload (on the current rayon
    /// pool); returns the same result.
    pub fn run_hand_written(&self) -> Output {
        let p = &self.plain;
        let slice = |k: usize| p[k].as_slice().expect("standard layout");
        const BLOCK: usize = 1 << 16;
        match self.name.as_str() {
            "poly" => {
                let x = slice(0);
                let mut out = vec![0.0; x.len()];
                out.par_chunks_mut(BLOCK)
                    .zip(x.par_chunks(BLOCK))
                    .for_each(|(o, x)| {
                        for (o, &x) in o.iter_mut().zip(x) {
                            *o = 0.25 * x * x * x + 0.75 * x * x - 1.5 * x - 2.0;
                        }
                    });
                Output::Vec(out)
            }
            "pi" => {
                let (x, y) = (slice(0), slice(1));
                let inside: u64 = x
                    .par_chunks(BLOCK)
                    .zip(y.par_chunks(BLOCK))
                    .map(|(x, y)| {
                        x.iter()
                            .zip(y)
                            .filter(|&(x, y)| x * x + y * y < 1.0)
                            .count() as u64
                    })
                    .sum();
                Output::Scalar(4.0 * inside as f64 / self.n as f64)
            }
            "dist" => {
                let (a, b) = (slice(0), slice(1));
                let squares: f64 = a
                    .par_chunks(BLOCK)
                    .zip(b.par_chunks(BLOCK))
                    .map(|(a, b)| a.iter().zip(b).map(|(a, b)| (a - b) * (a - b)).sum::<f64>())
                    .sum();
                Output::Scalar(squares.sqrt())
            }
            "distmat" => {
                let r = slice(0);
                let n = self.n;
                let mut out = vec![0.0; n * n];
                out.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
                    let (xi, yi) = (r[2 * i], r[2 * i + 1]);
                    for (j, o) in row.iter_mut().enumerate() {
                        let (dx, dy) = (xi - r[2 * j], yi - r[2 * j + 1]);
                        *o = (dx * dx + dy * dy).sqrt();
                    }
                });
                Output::Vec(out)
            }
            "meanstd" | "anomaly" => {
                let x = slice(0);
                let cols = 5000;
                let rows = x.len() / cols;
                let col_sums = x
                    .par_chunks(cols * 64)
                    .map(|block| {
                        let mut acc = vec![0.0; cols];
                        for row in block.chunks(cols) {
                            acc.iter_mut().zip(row).for_each(|(a, v)| *a += v);
                        }
                        acc
                    })
                    .reduce(
                        || vec![0.0; cols],
                        |mut a, b| {
                            a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                            a
                        },
                    );
                let means: Vec<f64> = col_sums.iter().map(|s| s / rows as f64).collect();
                Output::Scalar(if self.name == "anomaly" {
                    x.par_chunks(cols)
                        .map(|row| {
                            row.iter()
                                .zip(&means)
                                .map(|(v, m)| (v - m) * (v - m))
                                .sum::<f64>()
                        })
                        .sum()
                } else {
                    let stds: f64 = x
                        .par_chunks(cols)
                        .map(|row| {
                            let m = row.iter().sum::<f64>() / cols as f64;
                            (row.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / cols as f64)
                                .sqrt()
                        })
                        .sum();
                    means.iter().sum::<f64>() + stds
                })
            }
            _ => unreachable!("checked in new"),
        }
    }
}
