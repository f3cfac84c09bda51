//! The design notes' array workloads, three variants each in one run: chunkflow fused,
//! chunkflow with fusion off, and a hand-written single-pass rayon loop (the practical
//! ceiling), all on 2 threads; plus distmat on 1 thread for the scaling ratio.
//!
//! Sizes default to the design notes' (1e8 elements; 5000 points; 20000 × 5000). Set
//! `CHUNKFLOW_BENCH_SCALE=0.1` (say) for a quicker run at a tenth of the size.

use criterion::{Criterion, criterion_group, criterion_main};

use chunkflow::Options;
#[path = "common/workloads.rs"]
mod workloads;
use workloads::Inputs;

fn scale() -> f64 {
    std::env::var("CHUNKFLOW_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn bench(c: &mut Criterion) {
    let s = scale();
    let sizes = [
        ("poly", 1e8 * s, 4_000_000),
        ("pi", 1e8 * s, 4_000_000),
        ("dist", 1e8 * s, 4_000_000),
        ("distmat", 5000.0 * s.sqrt(), 500),
        ("meanstd", 20000.0 * s, 400),
        ("anomaly", 20000.0 * s, 400),
    ];
    let two = Options::default().threads(2).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for (name, n, chunk) in sizes {
        let inputs = Inputs::new(name, n as usize, chunk).unwrap();
        let mut group = c.benchmark_group(format!("workload/{name}"));
        group.sample_size(10);
        group.bench_function("fused", |b| b.iter(|| inputs.run_chunkflow(&two).unwrap()));
        let interpreted = two.clone().codegen(false);
        group.bench_function("interpreted", |b| {
            b.iter(|| inputs.run_chunkflow(&interpreted).unwrap())
        });
        let unfused = two.clone().fuse(false);
        group.bench_function("unfused", |b| {
            b.iter(|| inputs.run_chunkflow(&unfused).unwrap())
        });
        group.bench_function("hand-written", |b| {
            b.iter(|| pool.install(|| inputs.run_hand_written()))
        });
        if name == "distmat" {
            let one = Options::default().threads(1).unwrap();
            group.bench_function("fused-1-thread", |b| {
                b.iter(|| inputs.run_chunkflow(&one).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
