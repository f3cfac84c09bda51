//! Bounded memory: `((X - X.mean(axis=0))²).sum()` on a generated 20000 × 20000 array
//! (3.2 GB) stays under 400 MB peak RSS, although it reads X twice.

#[path = "common/memory.rs"]
mod memory;

use chunkflow::random;

#[test]
fn anomaly_on_a_3_gigabyte_array_stays_under_400_mb() {
    let x = random::uniform(0.0, 1.0, &[20_000, 20_000], [1000, 2000], 4).unwrap();
    let total = (&x - &x.mean_axis(0).unwrap())
        .powi(2)
        .sum()
        .scalar()
        .unwrap();
    let peak = memory::peak_rss_mb();
    let per_element = total / 4e8;
    eprintln!("sum of squared deviations / n = {per_element}, peak RSS {peak:.0} MB");
    assert!((per_element - 1.0 / 12.0).abs() < 1e-3);
    assert!(peak < 400.0, "peak RSS {peak:.0} MB");
}
