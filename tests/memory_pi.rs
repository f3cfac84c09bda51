//! Bounded memory (run in release: `cargo test --release --test memory_pi`): π from 2e8
//! lazily generated uniform pairs (3.2 GB if materialised) stays under 200 MB peak RSS.
//! One test per file, because the peak is per process.

#[path = "common/memory.rs"]
mod memory;

use chunkflow::random;

#[test]
fn pi_from_two_hundred_million_pairs_stays_under_200_mb() {
    let n = 200_000_000;
    let x = random::uniform(-1.0, 1.0, &[n], 2_000_000, 1).unwrap();
    let y = random::uniform(-1.0, 1.0, &[n], 2_000_000, 2).unwrap();
    let inside = (&x * &x + &y * &y).lt(1.0).sum().scalar().unwrap();
    let pi = 4.0 * inside as f64 / n as f64;
    let peak = memory::peak_rss_mb();
    eprintln!("pi = {pi}, peak RSS {peak:.0} MB");
    assert!((pi - std::f64::consts::PI).abs() < 1e-3);
    assert!(peak < 200.0, "peak RSS {peak:.0} MB");
}
