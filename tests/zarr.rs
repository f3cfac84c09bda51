//! Zarr v3 storage (`--features zarr`): round trips for every element type, chunking and
//! compression; fill values for missing chunks; lazy reads; bad stores are clear errors.
#![cfg(feature = "zarr")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chunkflow::io::zarr::ZarrCompression;
use chunkflow::{Array, ChunkSpec, Element, Error, Options};
use ndarray::ArrayD;
use proptest::prelude::*;

/// A fresh path under the temp dir, removed when dropped.
struct TempZarr(PathBuf);

impl TempZarr {
    fn new(name: &str) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("chunkflow-{}-{n}-{name}.zarr", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempZarr(path)
    }
    fn chunk(&self, key: &str) -> PathBuf {
        self.0.join(key)
    }
}

impl Drop for TempZarr {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(&self.0);
    }
}

impl AsRef<Path> for TempZarr {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

fn round_trip<T: Element>(x: Array<T>, name: &str) {
    let path = TempZarr::new(name);
    x.to_zarr(&path).unwrap();
    let want = x.compute().unwrap();
    for chunks in [
        ChunkSpec::Uniform(1),
        3.into(),
        1000.into(),
        ChunkSpec::Auto,
    ] {
        let back = Array::<T>::from_zarr(&path, chunks.clone()).unwrap();
        assert_eq!(back.shape(), x.shape(), "{name}");
        assert_eq!(back.compute().unwrap(), want, "{name} chunks {chunks:?}");
    }
    let native = Array::<T>::from_zarr_native(&path).unwrap();
    assert_eq!(native.compute().unwrap(), want, "{name} native");
}

#[test]
fn every_type_round_trips_through_zarr() {
    let f = |i: &[usize]| (i[0] * 7 + i[1] * 3) as f64 - 10.5;
    round_trip(Array::from_fn(&[5, 7], [2, 3], f).unwrap(), "f64");
    round_trip(
        Array::from_fn(&[5, 7], [5, 2], f).unwrap().cast::<f32>(),
        "f32",
    );
    round_trip(Array::from_fn(&[5, 7], 4, f).unwrap().cast::<i32>(), "i32");
    round_trip(Array::from_fn(&[5, 7], 4, f).unwrap().cast::<i64>(), "i64");
    round_trip(
        Array::from_fn(&[5, 7], 4, f).unwrap().abs().cast::<u32>(),
        "u32",
    );
    round_trip(
        Array::from_fn(&[5, 7], 4, f).unwrap().abs().cast::<u64>(),
        "u64",
    );
    round_trip(Array::from_fn(&[5, 7], 2, f).unwrap().gt(0.0), "bool");
    round_trip(Array::from_fn(&[5, 7], 4, f).unwrap().cast::<i8>(), "i8");
    round_trip(
        Array::from_fn(&[5, 7], [3, 3], f).unwrap().cast::<i16>(),
        "i16",
    );
    round_trip(
        Array::from_fn(&[5, 7], 4, f).unwrap().abs().cast::<u8>(),
        "u8",
    );
    round_trip(
        Array::from_fn(&[5, 7], 4, f).unwrap().abs().cast::<u16>(),
        "u16",
    );
    let small = ndarray::arr1(&[i8::MIN, -1, 0, 1, i8::MAX]).into_dyn();
    round_trip(Array::from_ndarray(small, 2).unwrap(), "i8-extremes");
    let small = ndarray::arr1(&[0, 1, u16::MAX]).into_dyn();
    round_trip(Array::from_ndarray(small, 2).unwrap(), "u16-extremes");
    // Extremes survive exactly.
    let extremes = ndarray::arr1(&[i64::MIN, -1, 0, 1, i64::MAX]).into_dyn();
    round_trip(Array::from_ndarray(extremes, 2).unwrap(), "i64-extremes");
    let specials = ndarray::arr1(&[f64::INFINITY, -0.0, f64::MIN_POSITIVE, f64::MAX]).into_dyn();
    round_trip(Array::from_ndarray(specials, 3).unwrap(), "f64-specials");
    round_trip(
        Array::<f64>::from_fn(&[2, 3, 4], [1, 2, 3], |i| i.iter().sum::<usize>() as f64).unwrap(),
        "3d",
    );
    round_trip(Array::<i64>::full(&[], 42, 1).unwrap(), "0d");
    round_trip(Array::<f64>::zeros(&[0, 4], 2).unwrap(), "empty");
}

#[test]
fn nan_round_trips() {
    let path = TempZarr::new("nan");
    let x = ndarray::arr1(&[1.0, f64::NAN, 3.0]).into_dyn();
    Array::from_ndarray(x, 2).unwrap().to_zarr(&path).unwrap();
    let back = Array::<f64>::from_zarr(&path, 3)
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(back[[0]], 1.0);
    assert!(back[[1]].is_nan());
    assert_eq!(back[[2]], 3.0);
}

#[test]
fn regular_chunkings_become_the_zarr_grid() {
    let path = TempZarr::new("grid");
    let x = Array::<i32>::from_fn(&[10, 7], [4, 3], |i| (i[0] * 7 + i[1]) as i32).unwrap();
    x.to_zarr(&path).unwrap();
    let meta = std::fs::read_to_string(path.chunk("zarr.json")).unwrap();
    assert!(meta.contains("\"zarr_format\": 3"), "{meta}");
    assert!(meta.contains("\"int32\""), "{meta}");
    assert!(
        meta.replace([' ', '\n'], "")
            .contains("\"chunk_shape\":[4,3]"),
        "{meta}"
    );
    // One file per chunk, keys c/i/j (chunk (0, 0) holds only zeros... except it does not:
    // it holds 0..3, so every chunk is stored).
    for i in 0..3 {
        for j in 0..3 {
            assert!(path.chunk(&format!("c/{i}/{j}")).exists(), "c/{i}/{j}");
        }
    }
    let native = Array::<i32>::from_zarr_native(&path).unwrap();
    assert_eq!(native.chunks(), x.chunks());
}

#[test]
fn irregular_chunkings_are_rechunked_to_their_largest_chunks() {
    let path = TempZarr::new("irregular");
    let x = Array::<f64>::from_fn(&[10, 8], [3, 8], |i| (i[0] * 8 + i[1]) as f64)
        .unwrap()
        .rechunk(ChunkSpec::Explicit(vec![vec![2, 5, 3], vec![1, 7]]))
        .unwrap();
    x.to_zarr(&path).unwrap();
    let native = Array::<f64>::from_zarr_native(&path).unwrap();
    assert_eq!(native.chunks().as_lists(), &[vec![5, 5], vec![7, 1]]);
    assert_eq!(native.compute().unwrap(), x.compute().unwrap());
    // A short first chunk is irregular too (only the last may be short).
    let path = TempZarr::new("short-first");
    let y = Array::<u64>::arange(0, 9, 1, ChunkSpec::Explicit(vec![vec![2, 4, 3]])).unwrap();
    y.to_zarr(&path).unwrap();
    let native = Array::<u64>::from_zarr_native(&path).unwrap();
    assert_eq!(native.chunks().as_lists(), &[vec![4, 4, 1]]);
    assert_eq!(native.compute().unwrap(), y.compute().unwrap());
}

#[test]
fn reads_with_chunks_that_cut_across_stored_chunks() {
    let path = TempZarr::new("mismatch");
    let x = Array::<i64>::from_fn(&[13, 11], [5, 4], |i| (i[0] * 100 + i[1]) as i64).unwrap();
    x.to_zarr(&path).unwrap();
    let want = x.compute().unwrap();
    for chunks in [
        ChunkSpec::PerAxis(vec![3, 7]),
        ChunkSpec::Explicit(vec![vec![1, 12], vec![6, 5]]),
        ChunkSpec::PerAxis(vec![13, 11]),
    ] {
        let y = Array::<i64>::from_zarr(&path, chunks).unwrap();
        assert_eq!(y.compute().unwrap(), want);
        assert_eq!(y.sum().scalar().unwrap(), want.sum());
    }
}

#[test]
fn compression_variants_round_trip() {
    let x = Array::<f64>::from_fn(&[64, 32], [16, 32], |i| ((i[0] * 3 + i[1]) % 5) as f64).unwrap();
    let want = x.compute().unwrap();
    let mut sizes = Vec::new();
    for (compression, codec) in [
        (ZarrCompression::None, None),
        (ZarrCompression::Zstd(1), Some("zstd")),
        (ZarrCompression::Zstd(19), Some("zstd")),
        (ZarrCompression::Gzip(6), Some("gzip")),
    ] {
        let path = TempZarr::new("compression");
        x.to_zarr_compressed(&path, compression, &Options::default())
            .unwrap();
        let meta = std::fs::read_to_string(path.chunk("zarr.json")).unwrap();
        if let Some(codec) = codec {
            assert!(meta.contains(codec), "{compression:?}: {meta}");
        }
        let size = std::fs::metadata(path.chunk("c/0/0")).unwrap().len();
        sizes.push(size);
        let back = Array::<f64>::from_zarr(&path, [20, 10]).unwrap();
        assert_eq!(back.compute().unwrap(), want, "{compression:?}");
    }
    assert_eq!(
        sizes[0],
        16 * 32 * 8,
        "uncompressed chunk is raw little-endian"
    );
    assert!(sizes[1..].iter().all(|&s| s < sizes[0] / 4), "{sizes:?}");
    // A gzip level out of range is refused before anything is written.
    let path = TempZarr::new("bad-level");
    let err = x
        .to_zarr_compressed(&path, ZarrCompression::Gzip(42), &Options::default())
        .unwrap_err();
    assert!(err.to_string().contains("gzip level 42"), "{err}");
    let err = x
        .to_zarr_compressed(&path, ZarrCompression::Zstd(23), &Options::default())
        .unwrap_err();
    assert!(err.to_string().contains("zstd level 23"), "{err}");
    for level in [i32::MIN, -(1 << 17) - 1] {
        let err = Array::<f64>::zeros(&[4], 2)
            .unwrap()
            .to_zarr_compressed(&path, ZarrCompression::Zstd(level), &Options::default())
            .unwrap_err();
        assert!(
            err.to_string().contains(&format!("zstd level {level}")),
            "{err}"
        );
        assert!(
            !path.as_ref().exists(),
            "a refused level must not leave a store"
        );
    }
    assert!(!path.0.exists());
}

#[test]
fn writes_with_any_scheduler() {
    let x = Array::<f32>::from_fn(&[40, 30], [7, 9], |i| (i[0] as f32) - (i[1] as f32)).unwrap();
    let want = x.compute().unwrap();
    for options in [
        Options::default().synchronous(),
        Options::default().threads(2).unwrap(),
    ] {
        let path = TempZarr::new("scheduler");
        x.to_zarr_with(&path, &options).unwrap();
        let back = Array::<f32>::from_zarr(&path, 16).unwrap();
        assert_eq!(back.compute_with(&options).unwrap(), want);
    }
}

#[test]
fn missing_chunks_read_as_the_fill_value() {
    let path = TempZarr::new("missing");
    let x = Array::<i32>::ones(&[6, 4], [2, 4]).unwrap();
    x.to_zarr(&path).unwrap();
    std::fs::remove_file(path.chunk("c/1/0")).unwrap();
    let back = Array::<i32>::from_zarr(&path, 3)
        .unwrap()
        .compute()
        .unwrap();
    let mut want = ArrayD::from_elem(ndarray::IxDyn(&[6, 4]), 1);
    want.slice_mut(ndarray::s![2..4, ..]).fill(0);
    assert_eq!(back, want);
    // Chunks that are all fill value are not written at all (the Zarr convention).
    let path = TempZarr::new("sparse");
    let y = Array::<f64>::from_fn(&[9], 3, |i| if i[0] >= 6 { 2.5 } else { 0.0 }).unwrap();
    y.to_zarr(&path).unwrap();
    assert!(!path.chunk("c/0").exists() && !path.chunk("c/1").exists());
    assert!(path.chunk("c/2").exists());
    assert_eq!(
        Array::<f64>::from_zarr(&path, 4)
            .unwrap()
            .compute()
            .unwrap(),
        y.compute().unwrap()
    );
    // The store's own fill value is used, whatever it is.
    let meta = std::fs::read_to_string(path.chunk("zarr.json")).unwrap();
    let meta = meta.replace("\"fill_value\": 0.0", "\"fill_value\": -1.5");
    assert!(meta.contains("-1.5"), "{meta}");
    std::fs::write(path.chunk("zarr.json"), meta).unwrap();
    let back = Array::<f64>::from_zarr(&path, 4)
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(
        back.as_slice().unwrap(),
        &[-1.5, -1.5, -1.5, -1.5, -1.5, -1.5, 2.5, 2.5, 2.5]
    );
}

/// The error of a run that read a broken chunk: a failed task with an `Io` cause.
fn io_error(err: Error) -> String {
    match &err {
        Error::TaskFailed { key, cause } => {
            assert!(key.contains("from_zarr"), "{err}");
            assert!(matches!(**cause, Error::Io(_)), "{err}");
        }
        other => panic!("expected TaskFailed, got {other:?}"),
    }
    err.to_string()
}

#[test]
fn truncated_and_corrupt_chunks_are_errors_naming_the_chunk() {
    for compression in [
        ZarrCompression::None,
        ZarrCompression::Zstd(3),
        ZarrCompression::Gzip(1),
    ] {
        let path = TempZarr::new("truncated");
        let x = Array::<f64>::from_fn(&[8, 6], [4, 3], |i| (i[0] + i[1]) as f64 + 1.0).unwrap();
        x.to_zarr_compressed(&path, compression, &Options::default())
            .unwrap();
        let chunk = path.chunk("c/1/0");
        let bytes = std::fs::read(&chunk).unwrap();
        std::fs::write(&chunk, &bytes[..bytes.len() / 2]).unwrap();
        for chunks in [ChunkSpec::PerAxis(vec![4, 3]), ChunkSpec::Uniform(2)] {
            let err = Array::<f64>::from_zarr(&path, chunks)
                .unwrap()
                .compute()
                .unwrap_err();
            let text = io_error(err);
            assert!(text.contains("c/1/0"), "{compression:?}: {text}");
        }
        // Reading around the broken chunk still works.
        let top = Array::<f64>::from_zarr(&path, [4, 6])
            .unwrap()
            .slice(ndarray::s![0..4, ..])
            .unwrap();
        assert_eq!(
            top.sum().scalar().unwrap(),
            x.slice(ndarray::s![0..4, ..])
                .unwrap()
                .sum()
                .scalar()
                .unwrap()
        );
        // Garbage of the right length: compressed chunks fail to decode.
        if compression != ZarrCompression::None {
            std::fs::write(&chunk, vec![0xAB; bytes.len()]).unwrap();
            let err = Array::<f64>::from_zarr(&path, [4, 3])
                .unwrap()
                .compute()
                .unwrap_err();
            assert!(io_error(err).contains("c/1/0"));
        }
    }
}

#[test]
fn wrong_data_type_is_a_clear_error() {
    let path = TempZarr::new("dtype");
    Array::<f64>::zeros(&[10], 5)
        .unwrap()
        .to_zarr(&path)
        .unwrap();
    let err = Array::<i32>::from_zarr(&path, 5).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)));
    assert!(
        err.to_string()
            .contains("holds f64 (Zarr float64), not i32 (Zarr int32)"),
        "{err}"
    );
    let err = Array::<bool>::from_zarr_native(&path).unwrap_err();
    assert!(err.to_string().contains("not bool (Zarr bool)"), "{err}");
    // A data type chunkflow does not have.
    let path = TempZarr::new("complex64");
    let store = Arc::new(zarrs::filesystem::FilesystemStore::new(&path.0).unwrap());
    let array = zarrs::array::ArrayBuilder::new(
        vec![4],
        vec![2],
        zarrs::array::data_type::complex64(),
        zarrs::array::FillValue::new(vec![0u8; 8]),
    )
    .build(store, "/")
    .unwrap();
    array.store_metadata().unwrap();
    let err = Array::<i32>::from_zarr(&path, 2).unwrap_err();
    assert!(
        err.to_string()
            .contains("holds Zarr data type complex64, which chunkflow does not support"),
        "{err}"
    );
}

#[test]
fn wrong_shape_metadata_is_a_clear_error() {
    // Chunks stored for [4, 3] read under metadata that claims [4, 4] chunks: the raw bytes
    // have the wrong length for the chunk, which is an error, not garbage values.
    let path = TempZarr::new("chunk-shape");
    Array::<i32>::ones(&[8, 6], [4, 3])
        .unwrap()
        .to_zarr_compressed(&path, ZarrCompression::None, &Options::default())
        .unwrap();
    let meta = std::fs::read_to_string(path.chunk("zarr.json")).unwrap();
    let compact = meta.replace([' ', '\n'], "");
    assert!(compact.contains("\"chunk_shape\":[4,3]"), "{meta}");
    std::fs::write(
        path.chunk("zarr.json"),
        compact.replace("\"chunk_shape\":[4,3]", "\"chunk_shape\":[4,4]"),
    )
    .unwrap();
    // Every chunk is broken; the synchronous scheduler makes the first failure c/0/0 (on
    // threads it could be any of them).
    let err = Array::<i32>::from_zarr(&path, [4, 4])
        .unwrap()
        .compute_with(&Options::new().synchronous())
        .unwrap_err();
    assert!(io_error(err).contains("c/0/0"));
    // A chunk shape with another number of axes than the array is refused when opening.
    std::fs::write(
        path.chunk("zarr.json"),
        compact.replace("\"chunk_shape\":[4,3]", "\"chunk_shape\":[4]"),
    )
    .unwrap();
    let err = Array::<i32>::from_zarr(&path, 2).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(
        err.to_string().contains("not a readable Zarr array"),
        "{err}"
    );
    // Malformed JSON.
    std::fs::write(path.chunk("zarr.json"), "{\"zarr_format\": 3, \"shape\": [").unwrap();
    let err = Array::<i32>::from_zarr(&path, 2).unwrap_err();
    assert!(
        err.to_string().contains("not a readable Zarr array"),
        "{err}"
    );
}

#[test]
fn wrong_paths_are_clear_errors() {
    let path = TempZarr::new("nowhere");
    let err = Array::<f64>::from_zarr(&path, 2).unwrap_err();
    assert!(
        err.to_string().contains("no such file or directory"),
        "{err}"
    );
    // A directory that is not a Zarr array.
    std::fs::create_dir_all(&path.0).unwrap();
    let err = Array::<f64>::from_zarr(&path, 2).unwrap_err();
    assert!(
        err.to_string().contains("not a readable Zarr array"),
        "{err}"
    );
    // A plain file.
    let file = TempZarr::new("plain-file");
    std::fs::write(&file.0, b"not zarr").unwrap();
    assert!(Array::<f64>::from_zarr(&file, 2).is_err());
}

#[test]
fn existing_paths_are_not_overwritten() {
    let x = Array::<i64>::arange(0, 10, 1, 3).unwrap();
    let path = TempZarr::new("existing");
    x.to_zarr(&path).unwrap();
    let err = x.to_zarr(&path).unwrap_err();
    assert!(
        err.to_string().contains("already exists and is not empty"),
        "{err}"
    );
    // The first array is untouched.
    assert_eq!(
        Array::<i64>::from_zarr(&path, 10)
            .unwrap()
            .sum()
            .scalar()
            .unwrap(),
        45
    );
    // A plain file in the way.
    let file = TempZarr::new("file-in-the-way");
    std::fs::write(&file.0, b"keep me").unwrap();
    let err = x.to_zarr(&file).unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
    assert_eq!(std::fs::read(&file.0).unwrap(), b"keep me");
    // An empty directory is fine.
    let empty = TempZarr::new("empty-dir");
    std::fs::create_dir_all(&empty.0).unwrap();
    x.to_zarr(&empty).unwrap();
    assert_eq!(
        Array::<i64>::from_zarr(&empty, 4)
            .unwrap()
            .sum()
            .scalar()
            .unwrap(),
        45
    );
}

#[test]
fn a_failed_write_leaves_no_complete_looking_array() {
    let path = TempZarr::new("failed");
    let x = Array::<f64>::arange(0.0, 10.0, 1.0, 2)
        .unwrap()
        .map(|v| if v == 7.0 { panic!("boom") } else { v });
    let err = x
        .to_zarr_with(&path, &Options::default().synchronous())
        .unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert!(!path.chunk("zarr.json").exists());
    assert!(Array::<f64>::from_zarr(&path, 2).is_err());
}

#[test]
fn reads_are_lazy_and_touch_only_the_needed_chunks() {
    let path = TempZarr::new("lazy");
    let x = Array::<u32>::from_fn(&[20, 6], [4, 6], |i| (i[0] * 6 + i[1]) as u32).unwrap();
    x.to_zarr(&path).unwrap();
    // Opening reads metadata only: a corrupt chunk is not noticed yet.
    for i in [0, 1, 3, 4] {
        std::fs::write(path.chunk(&format!("c/{i}/0")), b"corrupt").unwrap();
    }
    let y = Array::<u32>::from_zarr(&path, [4, 6]).unwrap();
    // Rows 8..12 are chunk c/2/0, the only intact one: slicing reads just that chunk.
    let rows = y.slice(ndarray::s![8..12, ..]).unwrap();
    assert_eq!(
        rows.compute().unwrap(),
        x.slice(ndarray::s![8..12, ..]).unwrap().compute().unwrap()
    );
    // A read chunking that cuts across stored chunks also reads only what it overlaps.
    let z = Array::<u32>::from_zarr(&path, [2, 3]).unwrap();
    assert_eq!(
        z.slice(ndarray::s![9..11, 2..5])
            .unwrap()
            .sum()
            .scalar()
            .unwrap(),
        (9..11)
            .flat_map(|r| (2..5).map(move |c| r * 6 + c))
            .sum::<u32>() as u64
    );
    // The whole array needs the corrupt chunks.
    let err = y.compute().unwrap_err();
    assert!(io_error(err).contains("c/"));
    // A read chunk over several stored chunks names the one that is broken.
    let path = TempZarr::new("which-chunk");
    x.to_zarr(&path).unwrap();
    std::fs::write(path.chunk("c/3/0"), b"corrupt").unwrap();
    let rows = Array::<u32>::from_zarr(&path, [20, 6]).unwrap();
    let text = io_error(rows.compute().unwrap_err());
    assert!(
        text.contains("region [0..20, 0..6]: chunk c/3/0:"),
        "{text}"
    );
}

#[test]
fn reads_sharded_arrays_written_by_zarrs() {
    // A sharded array (2 × 2 inner chunks per 4 × 4 shard) as other Zarr writers make them.
    let path = TempZarr::new("sharded");
    let store = Arc::new(zarrs::filesystem::FilesystemStore::new(&path.0).unwrap());
    let array = zarrs::array::ArrayBuilder::new(
        vec![8, 6],
        vec![4, 4],
        zarrs::array::data_type::float32(),
        0.0f32,
    )
    .subchunk_shape(vec![2, 2])
    .build(store, "/")
    .unwrap();
    array.store_metadata().unwrap();
    let values: Vec<f32> = (0..48).map(|v| v as f32).collect();
    let full = ndarray::Array2::from_shape_vec((8, 6), values).unwrap();
    array
        .store_array_subset(&[0..8, 0..6], full.clone())
        .unwrap();
    let native = Array::<f32>::from_zarr_native(&path).unwrap();
    assert_eq!(native.chunks().as_lists(), &[vec![4, 4], vec![4, 2]]);
    assert_eq!(native.compute().unwrap(), full.clone().into_dyn());
    let other = Array::<f32>::from_zarr(&path, [3, 5]).unwrap();
    assert_eq!(other.compute().unwrap(), full.into_dyn());
}

fn shapes_and_chunks() -> impl Strategy<Value = (Vec<usize>, Vec<Vec<usize>>, Vec<usize>)> {
    prop::collection::vec(1usize..9, 1..=3).prop_flat_map(|shape| {
        let write = shape
            .iter()
            .map(|&n| {
                prop::collection::vec(1usize..5, 1..6).prop_map(move |sizes| {
                    // Turn arbitrary sizes into a chunk list summing to n.
                    let mut out = Vec::new();
                    let mut left = n;
                    for s in sizes.into_iter().cycle() {
                        if left == 0 {
                            break;
                        }
                        let s = s.min(left);
                        out.push(s);
                        left -= s;
                    }
                    out
                })
            })
            .collect::<Vec<_>>();
        let read = shape.iter().map(|&n| 1..=n).collect::<Vec<_>>();
        (Just(shape), write, read)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_round_trips((shape, write, read) in shapes_and_chunks(), seed in 0u64..1000) {
        let x = Array::<i64>::from_fn(&shape, ChunkSpec::Explicit(write), move |i| {
            i.iter().fold(seed as i64, |acc, &v| acc * 31 + v as i64) - 500
        })
        .unwrap();
        let path = TempZarr::new("prop");
        x.to_zarr(&path).unwrap();
        let back = Array::<i64>::from_zarr(&path, read).unwrap();
        prop_assert_eq!(back.compute().unwrap(), x.compute().unwrap());
    }
}

#[test]
fn reads_zarr_v2_arrays_too() {
    // What zarr-python 2 (and older Dask) wrote: `.zarray` metadata, "." chunk keys.
    let path = TempZarr::new("v2");
    std::fs::create_dir_all(&path.0).unwrap();
    std::fs::write(
        path.chunk(".zarray"),
        r#"{"zarr_format": 2, "shape": [3, 4], "chunks": [2, 4], "dtype": "<i8",
            "compressor": null, "fill_value": 0, "order": "C", "filters": null}"#,
    )
    .unwrap();
    let bytes = |values: &[i64]| {
        values
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>()
    };
    std::fs::write(path.chunk("0.0"), bytes(&[0, 1, 2, 3, 4, 5, 6, 7])).unwrap();
    std::fs::write(path.chunk("1.0"), bytes(&[8, 9, 10, 11, 0, 0, 0, 0])).unwrap();
    let x = Array::<i64>::from_zarr_native(&path).unwrap();
    assert_eq!(x.chunks().as_lists(), &[vec![2, 1], vec![4]]);
    let want = ArrayD::from_shape_vec(ndarray::IxDyn(&[3, 4]), (0..12).collect()).unwrap();
    assert_eq!(x.compute().unwrap(), want);
    let err = Array::<f64>::from_zarr(&path, 2).unwrap_err();
    assert!(err.to_string().contains("holds i64 (Zarr int64)"), "{err}");
}

#[test]
fn float16_stores_read_as_f32_and_f64() {
    let path = TempZarr::new("float16");
    let store = Arc::new(zarrs::filesystem::FilesystemStore::new(&path.0).unwrap());
    let array = zarrs::array::ArrayBuilder::new(
        vec![5, 4],
        vec![2, 3],
        zarrs::array::data_type::float16(),
        half::f16::ZERO,
    )
    .build(store, "/")
    .unwrap();
    array.store_metadata().unwrap();
    let values: Vec<half::f16> = (0..20)
        .map(|v| half::f16::from_f64(v as f64 * 0.1 - 0.7))
        .collect();
    let full = ndarray::Array2::from_shape_vec((5, 4), values).unwrap();
    array
        .store_array_subset(&[0..5, 0..4], full.clone())
        .unwrap();
    let want32 = full.mapv(half::f16::to_f32).into_dyn();
    let want64 = full.mapv(half::f16::to_f64).into_dyn();
    assert_eq!(
        Array::<f32>::from_zarr(&path, [3, 2])
            .unwrap()
            .compute()
            .unwrap(),
        want32
    );
    assert_eq!(
        Array::<f64>::from_zarr_native(&path)
            .unwrap()
            .compute()
            .unwrap(),
        want64
    );
    let err = Array::<i16>::from_zarr(&path, 2).unwrap_err();
    assert!(
        err.to_string().contains("holds Zarr float16, not i16"),
        "{err}"
    );
}
