//! Bounded memory (run in release: `cargo test --release --test memory_pi`): π from 1e9
//! lazily generated uniform pairs (16 GB if materialised) stays under 40 MB peak RSS. The
//! fused partials generate their samples strip by strip (`kernel/generate.rs`), so no
//! sample chunk is ever materialized; what remains is the process itself, the thread
//! pool and the task graph (250 partials). One test per file, because the peak is per
//! process.

#[path = "common/memory.rs"]
mod memory;

use chunkflow::random;

#[test]
fn pi_from_a_billion_lazy_pairs_stays_under_40_mb() {
    let n = 1_000_000_000;
    let x = random::uniform(-1.0, 1.0, &[n], 4_000_000, 1).unwrap();
    let y = random::uniform(-1.0, 1.0, &[n], 4_000_000, 2).unwrap();
    let inside = (&x * &x + &y * &y).lt(1.0).sum().scalar().unwrap();
    let pi = 4.0 * inside as f64 / n as f64;
    let peak = memory::peak_rss_mb();
    eprintln!("pi = {pi}, peak RSS {peak:.0} MB");
    assert!((pi - std::f64::consts::PI).abs() < 1e-3);
    assert!(peak < 40.0, "peak RSS {peak:.0} MB");
}
