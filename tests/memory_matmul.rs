//! Bounded memory in a contraction: `v @ M` for a generated 2,000,000 × 100 matrix
//! (1.6 GB of f64) in 80 MB blocks holds a few blocks and block products at a time (the
//! products of each output block are summed in a tree of fan-in 4), so the peak RSS stays
//! under 400 MB.

#[path = "common/memory.rs"]
mod memory;

use chunkflow::{matmul, random};

#[test]
fn vector_matrix_product_over_a_1_6_gigabyte_matrix_stays_under_400_mb() {
    let n = 2_000_000;
    let v = random::uniform(0.0, 1.0, &[n], 100_000, 7).unwrap();
    let m = random::uniform(0.0, 1.0, &[n, 100], [100_000, 100], 8).unwrap();
    let p = matmul(&v, &m).unwrap().compute().unwrap();
    let peak = memory::peak_rss_mb();
    eprintln!("v @ M: first entry {}, peak RSS {peak:.0} MB", p[0]);
    assert_eq!(p.shape(), &[100]);
    // Each entry is a sum of n products of independent U(0, 1): n / 4 ± 0.1%.
    for &x in p.iter() {
        assert!((x / (n as f64 / 4.0) - 1.0).abs() < 1e-2, "{x}");
    }
    assert!(peak < 400.0, "peak RSS {peak:.0} MB");
}
