//! The matmul workload of the design notes: `A @ B` for two 4096 × 4096 f64 matrices in
//! 1024² chunks on 2 threads, against ndarray's own `dot` on the whole matrices (the
//! `matrixmultiply` GEMM, one thread) in the same run.
//!
//! `CHUNKFLOW_BENCH_SCALE=0.25` (say) scales the side (and the chunk) for a quicker run.

use criterion::{Criterion, criterion_group, criterion_main};

use chunkflow::{Array, Options, matmul};
use ndarray::Array2;

fn scale() -> f64 {
    std::env::var("CHUNKFLOW_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn bench(c: &mut Criterion) {
    let n = ((4096.0 * scale()) as usize).max(64);
    let chunk = (n / 4).max(16);
    let a = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 17) as f64);
    let b = Array2::from_shape_fn((n, n), |(i, j)| ((i * 5 + j) % 13) as f64);
    let x = Array::from_ndarray(a.clone(), [chunk, chunk])
        .unwrap()
        .persist()
        .unwrap();
    let y = Array::from_ndarray(b.clone(), [chunk, chunk])
        .unwrap()
        .persist()
        .unwrap();
    let product = matmul(&x, &y).unwrap();
    let two = Options::default().threads(2).unwrap();
    let mut group = c.benchmark_group(format!("matmul/{n}"));
    group.sample_size(10);
    group.bench_function("chunkflow-2-threads", |bch| {
        bch.iter(|| product.compute_with(&two).unwrap())
    });
    group.bench_function("ndarray-dot", |bch| bch.iter(|| a.dot(&b)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
