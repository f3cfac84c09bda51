//! Bounded memory with Zarr (`--features zarr`): writing a 512 MB generated array with
//! `to_zarr` and reading it back with `from_zarr` keep peak RSS far below the array's size.
#![cfg(feature = "zarr")]

#[path = "common/memory.rs"]
mod memory;

use chunkflow::{Array, random};

#[test]
fn zarr_round_trip_of_512_mb_stays_bounded() {
    let path = std::env::temp_dir().join(format!("chunkflow-mem-{}.zarr", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    let x = random::uniform(0.0, 1.0, &[8_000, 8_000], [250, 8_000], 11).unwrap();
    let want = x.sum().scalar().unwrap();
    x.to_zarr(&path).unwrap();
    let written = memory::peak_rss_mb();
    // Read back in the stored chunks and reduce: every chunk is decoded once, none is kept.
    let native = Array::<f64>::from_zarr_native(&path).unwrap();
    let native_sum = native.sum().scalar().unwrap();
    let read_native = memory::peak_rss_mb();
    // Read chunks that cut across the stored ones: each task decodes the 2–3 stored chunks
    // it overlaps, so the peak is higher, but still bounded by chunks in flight.
    let back = Array::<f64>::from_zarr(&path, [400, 8_000]).unwrap();
    let sum = back.sum().scalar().unwrap();
    let row = back
        .slice(ndarray::s![4_321, ..])
        .unwrap()
        .compute()
        .unwrap();
    let want_row = x.slice(ndarray::s![4_321, ..]).unwrap().compute().unwrap();
    let peak = memory::peak_rss_mb();
    eprintln!(
        "peak RSS: writing {written:.0} MB, reading stored chunks {read_native:.0} MB, \
         reading other chunks {peak:.0} MB (array: 512 MB)"
    );
    std::fs::remove_dir_all(&path).unwrap();
    assert_eq!(row, want_row);
    assert_eq!(native_sum, want);
    assert!((sum - want).abs() < 1e-6 * want, "{sum} vs {want}");
    assert!(written < 150.0, "peak RSS writing {written:.0} MB");
    assert!(read_native < 150.0, "peak RSS reading {read_native:.0} MB");
    assert!(peak < 250.0, "peak RSS {peak:.0} MB");
}
