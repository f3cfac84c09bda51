//! Bounded memory: writing a 2 GB generated array to `.npy` stays under 300 MB peak RSS.

#[path = "common/memory.rs"]
mod memory;

use chunkflow::{Array, random};

#[test]
fn writing_two_gigabytes_to_npy_stays_under_300_mb() {
    let path = std::env::temp_dir().join(format!("chunkflow-mem-{}.npy", std::process::id()));
    let x = random::uniform(0.0, 1.0, &[16_000, 16_000], [1000, 16_000], 9).unwrap();
    x.to_npy(&path).unwrap();
    let peak = memory::peak_rss_mb();
    eprintln!(
        "wrote {} bytes, peak RSS {peak:.0} MB",
        std::fs::metadata(&path).unwrap().len()
    );
    // Spot-check the file against the generator: a row's sum.
    let back = Array::<f64>::from_npy(&path, [1000, 16_000]).unwrap();
    let row = back
        .slice(ndarray::s![12_345, ..])
        .unwrap()
        .sum()
        .scalar()
        .unwrap();
    let want = x
        .slice(ndarray::s![12_345, ..])
        .unwrap()
        .sum()
        .scalar()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(row, want);
    assert!(peak < 300.0, "peak RSS {peak:.0} MB");
}
