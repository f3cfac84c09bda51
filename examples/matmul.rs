//! The matmul workload: `A @ B` for n×n f64 matrices in c×c chunks, against ndarray's own
//! (single-threaded) `dot` on the whole arrays in the same run; the results must be equal.
//!
//! Run: `cargo run --release --example matmul -- [--n N] [--chunk C] [--threads T]`
//! (defaults 2048, 512, 2; the design notes' workload is `--n 4096 --chunk 1024`).

use std::time::Instant;

use chunkflow::{Array, Options, matmul};
use ndarray::Array2;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.replace('_', "").parse::<f64>().expect("a number") as usize)
        .unwrap_or(default)
}

fn main() -> chunkflow::Result<()> {
    let n = arg("--n", 2048);
    let c = arg("--chunk", 512);
    let threads = arg("--threads", 2);
    // Small integers: every sum is exact, so chunked and whole-array results are equal.
    let a = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 17) as f64 - 8.0);
    let b = Array2::from_shape_fn((n, n), |(i, j)| ((i * 5 + j * 11) % 13) as f64 - 6.0);
    let x = Array::from_ndarray(a.clone(), [c, c])?;
    let y = Array::from_ndarray(b.clone(), [c, c])?;
    let options = Options::default().threads(threads)?;
    let product = matmul(&x, &y)?;
    let t = Instant::now();
    let lazy = product.compute_with(&options)?;
    let lazy_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let eager = a.dot(&b);
    let eager_s = t.elapsed().as_secs_f64();
    // With the `blas` feature both sides call OpenBLAS, which runs its own threads.
    let gemm = if cfg!(feature = "blas") {
        "OpenBLAS"
    } else {
        "matrixmultiply, 1 thread"
    };
    assert_eq!(
        lazy,
        eager.into_dyn(),
        "chunked and whole-array products differ"
    );
    println!(
        "matmul {n}x{n} in {c}x{c} chunks, {threads} threads: chunkflow {lazy_s:.3} s, \
         ndarray dot ({gemm}) {eager_s:.3} s, ratio {:.2}",
        lazy_s / eager_s
    );
    Ok(())
}
