//! The matmul workload: `A @ B` for n×n f64 matrices in c×c chunks, against ndarray's own
//! `dot` on the whole arrays in the same run.
//!
//! `cargo run --release --example matmul -- [n] [chunk] [threads]` (default 2048 512 2).

use std::time::Instant;

use chunkflow::{Array, Options, matmul, scheduler::Threaded};
use ndarray::Array2;

fn main() -> chunkflow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let n = args.first().copied().unwrap_or(2048);
    let c = args.get(1).copied().unwrap_or(512);
    let threads = args.get(2).copied().unwrap_or(2);
    let a = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 17) as f64 - 8.0);
    let b = Array2::from_shape_fn((n, n), |(i, j)| ((i * 5 + j * 11) % 13) as f64 - 6.0);
    let x = Array::from_ndarray(a.clone(), [c, c])?;
    let y = Array::from_ndarray(b.clone(), [c, c])?;
    let options = Options::default().scheduler(Threaded::new(threads)?);
    let product = matmul(&x, &y)?;
    let t = Instant::now();
    let lazy = product.compute_with(&options)?;
    let lazy_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let eager = a.dot(&b);
    let eager_s = t.elapsed().as_secs_f64();
    assert_eq!(
        lazy,
        eager.into_dyn(),
        "chunked and whole-array products differ"
    );
    println!(
        "matmul {n}x{n} in {c}x{c} chunks, {threads} threads: chunkflow {lazy_s:.3} s, \
         ndarray dot {eager_s:.3} s, ratio {:.2}",
        lazy_s / eager_s
    );
    Ok(())
}
