//! Zarr v3 arrays (the chunked format Dask users store arrays in), read and written through
//! the [`zarrs`] crate; needs the cargo feature `zarr`.
//!
//! A Zarr array is a directory: `zarr.json` holds the shape, data type, chunk grid, fill value
//! and codecs, and each chunk is a file under `c/` (`c/0/1` is the chunk at grid index
//! (0, 1)). Both directions work chunk by chunk, so neither holds the whole array:
//!
//! - [`Array::from_zarr`] opens the metadata at once (a missing path, another data type than
//!   `T` or malformed metadata is an error before anything runs) and each task reads only
//!   the region of its own chunk, decoding just the stored chunks that region overlaps.
//!   [`Array::from_zarr_native`] takes the store's own chunk grid (regular or rectilinear).
//! - [`Array::to_zarr`] writes each chunk as soon as it is computed. The array's chunk grid
//!   becomes the Zarr chunk grid when it is regular (every chunk along an axis the same size
//!   but the last, which may be shorter); an irregular chunking is first rechunked to a
//!   regular one with the largest chunk of each axis, since Zarr's core `regular` grid is the
//!   one every Zarr reader understands. `zarr.json` is written last, after every chunk, so a
//!   write that fails half way leaves no array that reads as complete. A path that exists
//!   and is not an empty directory is refused.
//!
//! Semantics follow the Zarr specification: a chunk file that is absent reads as the fill
//! value (arrays written here use 0, or `false`, and chunks that are entirely the fill value
//! are not stored); a chunk that is present but cannot be decoded (truncated, corrupt, the
//! wrong size) fails its task with an [`Error::Io`] naming the chunk. Supported data types
//! are `bool`, `int8`, `int16`, `int32`, `int64`, `uint8`, `uint16`, `uint32`, `uint64`,
//! `float32` and `float64`, and `float16` for reading into `f32` or `f64` (exact; chunkflow
//! has no half-float element type, and does not write `float16`); any codecs
//! `zarrs` is built with here (bytes, transpose, gzip, zstd, crc32c, sharding) are read.
//! Zarr v2 arrays (`.zarray`, as zarr-python 2 and older Dask wrote them) open too when
//! `zarrs` can read them as v3; writing is v3 only.
//!
//! ```
//! use chunkflow::{Array, random};
//! let path = std::env::temp_dir().join(format!("zarr-mod-doc-{}.zarr", std::process::id()));
//! let x = random::uniform(0.0, 1.0, &[100, 60], [32, 20], 7)?;
//! x.to_zarr(&path)?;                                   // 4 × 3 chunk files, zstd
//! let y = Array::<f64>::from_zarr(&path, [50, 60])?;   // read back with other chunks
//! assert_eq!(y.compute()?, x.compute()?);
//! assert_eq!(Array::<f64>::from_zarr_native(&path)?.chunks(), x.chunks());
//! # std::fs::remove_dir_all(&path).unwrap();
//! # Ok::<(), chunkflow::Error>(())
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn, Slice};
use zarrs::array::codec::{GzipCodec, ZstdCodec};
use zarrs::array::{
    ArrayBuilder, ArraySubset, BytesToBytesCodecTraits, CodecOptions, DataType, ElementOwned,
    FillValue, data_type,
};
use zarrs::filesystem::FilesystemStore;
use zarrs::plugin::ExtensionName;

use crate::array::{Array, ChunkSpec, Chunks, source_array};
use crate::dtype::with_dtype;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::graph::{FnKernel, Task, Value};
use crate::kernel::source::{ChunkSource, fresh_id};
use crate::options::Options;

type ZArray = zarrs::array::Array<FilesystemStore>;

fn bad(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("{}: {why}", path.display()))
}

/// How chunks are compressed when written (the `bytes → bytes` codec after the little-endian
/// `bytes` codec).
///
/// ```
/// use chunkflow::io::zarr::ZarrCompression;
/// assert_eq!(ZarrCompression::default(), ZarrCompression::Zstd(3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZarrCompression {
    /// Raw little-endian bytes: a chunk file is exactly its elements.
    None,
    /// Zstandard at this level (up to 22; 3 is zstd's default, negative levels are faster). The default compression, as in
    /// zarr-python.
    Zstd(i32),
    /// gzip at this level (0–9).
    Gzip(u32),
}

impl Default for ZarrCompression {
    fn default() -> Self {
        ZarrCompression::Zstd(3)
    }
}

/// zstd's lowest (fastest) level, `ZSTD_minCLevel()`: -2^17.
const ZSTD_MIN_LEVEL: i32 = -(1 << 17);

impl ZarrCompression {
    fn codecs(self) -> Result<Vec<Arc<dyn BytesToBytesCodecTraits>>> {
        Ok(match self {
            ZarrCompression::None => vec![],
            ZarrCompression::Zstd(level) if !(ZSTD_MIN_LEVEL..=22).contains(&level) => {
                return Err(Error::InvalidArgument(format!(
                    "zstd level {level}: levels go from {ZSTD_MIN_LEVEL} to 22"
                )));
            }
            ZarrCompression::Zstd(level) => vec![Arc::new(ZstdCodec::new(level, false))],
            ZarrCompression::Gzip(level) => {
                vec![Arc::new(GzipCodec::new(level).map_err(|e| {
                    Error::InvalidArgument(format!("gzip level {level}: {e}"))
                })?)]
            }
        })
    }
}

/// The Zarr data type of each element type.
fn zarr_data_type(dtype: DType) -> DataType {
    match dtype {
        DType::Bool => data_type::bool(),
        DType::I8 => data_type::int8(),
        DType::I16 => data_type::int16(),
        DType::U8 => data_type::uint8(),
        DType::U16 => data_type::uint16(),
        DType::I32 => data_type::int32(),
        DType::I64 => data_type::int64(),
        DType::U32 => data_type::uint32(),
        DType::U64 => data_type::uint64(),
        DType::F32 => data_type::float32(),
        DType::F64 => data_type::float64(),
    }
}

/// The Zarr v3 name of a data type (`float64`), whatever version the store is.
fn zarr_name(data_type: &DataType) -> String {
    data_type
        .name_v3()
        .map(|n| n.into_owned())
        .unwrap_or_else(|| data_type.to_string())
}

/// The element type of a Zarr data type, if chunkflow has it.
fn dtype_of(data_type: &DataType) -> Option<DType> {
    DType::ALL
        .into_iter()
        .find(|&d| &zarr_data_type(d) == data_type)
}

/// The zero (or `false`) fill value of an element type.
fn zero_fill(dtype: DType) -> FillValue {
    with_dtype!(dtype, T => FillValue::from(T::default()))
}

/// One chunk task is one unit of parallel work: zarrs is told not to fan a task's decoding
/// or encoding out over more threads, which would oversubscribe the scheduler's workers and
/// hold several decoded stored chunks per task at once.
fn codec_options() -> CodecOptions {
    CodecOptions::default().with_concurrent_target(1)
}

/// Opens the array at `path`, checking that it holds `want` (or `float16`, when `want` is
/// `f32` or `f64`: the `bool` says the elements are half floats, to widen on reading).
fn open(path: &Path, want: DType) -> Result<(ZArray, bool)> {
    if !path.exists() {
        return Err(bad(path, "no such file or directory"));
    }
    let store = FilesystemStore::new(path).map_err(|e| bad(path, e))?;
    let array = ZArray::open(Arc::new(store), "/")
        .map_err(|e| bad(path, format!("not a readable Zarr array: {e}")))?
        .with_codec_options(codec_options());
    let found = zarr_name(array.data_type());
    if array.data_type() == &data_type::float16() {
        return match want {
            DType::F32 | DType::F64 => Ok((array, true)),
            _ => Err(bad(
                path,
                format!("holds Zarr float16, not {want}: read it as f32 or f64"),
            )),
        };
    }
    let dtype = dtype_of(array.data_type()).ok_or_else(|| {
        bad(
            path,
            format!(
                "holds Zarr data type {found}, which chunkflow does not support (bool, int8, \
                 int16, int32, int64, uint8, uint16, uint32, uint64, float16 (read only), \
                 float32, float64)"
            ),
        )
    })?;
    if dtype != want {
        return Err(bad(
            path,
            format!(
                "holds {dtype} (Zarr {found}), not {want} (Zarr {})",
                zarr_name(&zarr_data_type(want))
            ),
        ));
    }
    Ok((array, false))
}

fn shape_usize(array: &ZArray) -> Vec<usize> {
    array.shape().iter().map(|&s| s as usize).collect()
}

/// The store's chunk grid as per-axis chunk lists clipped to the array (regular and
/// rectilinear grids are both products of per-axis lists).
fn native_chunks(array: &ZArray, path: &Path) -> Result<Vec<Vec<usize>>> {
    let grid = array.chunk_grid_shape().to_vec();
    let shape = shape_usize(array);
    (0..shape.len())
        .map(|axis| {
            if shape[axis] == 0 || grid[axis] == 0 {
                return Ok(vec![0]);
            }
            (0..grid[axis])
                .map(|i| {
                    let mut index = vec![0; grid.len()];
                    index[axis] = i;
                    let subset = array
                        .chunk_subset_bounded(&index)
                        .map_err(|e| bad(path, format!("chunk grid: {e}")))?;
                    Ok(subset.shape()[axis] as usize)
                })
                .collect()
        })
        .collect()
}

struct ZarrSource {
    array: Arc<ZArray>,
    dtype: DType,
    /// Whether the store holds `float16`, widened to `dtype` (`f32` or `f64`) on reading.
    half: bool,
    path: PathBuf,
    id: u64,
}

impl ZarrSource {
    /// Explains a failed read of `subset`: the region, and the stored chunk that fails to
    /// decode on its own (each overlapping chunk is retried, on this error path only).
    fn describe<T: ElementOwned>(
        &self,
        subset: &ArraySubset,
        error: impl std::fmt::Display,
    ) -> Error {
        let ranges = subset
            .to_ranges()
            .iter()
            .map(|r| format!("{}..{}", r.start, r.end))
            .collect::<Vec<_>>()
            .join(", ");
        let place = format!("reading {}: region [{ranges}]", self.path.display());
        if let Ok(Some(chunks)) = self.array.chunks_in_array_subset(subset) {
            for index in chunks.indices() {
                if let Err(e) = self.array.retrieve_chunk::<Vec<T>>(&index) {
                    let key = self.array.chunk_key(&index);
                    return Error::Io(format!("{place}: chunk {key}: {e}"));
                }
            }
        }
        Error::Io(format!("{place}: {error}"))
    }

    /// The region at `offset` of `shape`, as stored elements `S`.
    fn read<S: ElementOwned + Default + Clone>(
        &self,
        offset: &[usize],
        shape: &[usize],
    ) -> Result<ArrayD<S>> {
        if shape.contains(&0) {
            return Ok(ArrayD::<S>::from_elem(IxDyn(shape), S::default()));
        }
        let ranges: Vec<Range<u64>> = offset
            .iter()
            .zip(shape)
            .map(|(&o, &s)| o as u64..(o + s) as u64)
            .collect();
        let subset = ArraySubset::new_with_ranges(&ranges);
        let data: ArrayD<S> = self
            .array
            .retrieve_array_subset(&subset)
            .map_err(|e| self.describe::<S>(&subset, e))?;
        if data.shape() != shape {
            let why = format!("got shape {:?}, expected {shape:?}", data.shape());
            return Err(self.describe::<S>(&subset, why));
        }
        Ok(data)
    }
}

impl ChunkSource for ZarrSource {
    fn name(&self) -> &str {
        "from_zarr"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value> {
        if self.half {
            let stored = self.read::<half::f16>(offset, shape)?;
            return Ok(match self.dtype {
                DType::F64 => Value::new(stored.mapv(half::f16::to_f64)),
                _ => Value::new(stored.mapv(half::f16::to_f32)),
            });
        }
        with_dtype!(self.dtype, T => self.read::<T>(offset, shape).map(Value::new))
    }
}

/// The chunk size of each axis if `chunks` is a regular grid (all chunks of an axis equal
/// but the last, which may be shorter), else the largest chunk of each axis, to rechunk to.
/// A zero-length axis gets size 1 (Zarr chunk sizes are positive).
fn regular_sizes(chunks: &Chunks) -> (Vec<usize>, bool) {
    let mut regular = true;
    let sizes = chunks
        .as_lists()
        .iter()
        .map(|list| {
            let first = list[0].max(1);
            let (body, last) = list.split_at(list.len() - 1);
            if body.iter().any(|&c| c != first) || last[0] > first {
                regular = false;
                list.iter().copied().max().unwrap_or(1).max(1)
            } else {
                first
            }
        })
        .collect();
    (sizes, regular)
}

/// Refuses a path that exists and is not an empty directory.
fn check_new(path: &Path) -> Result<()> {
    match std::fs::read_dir(path) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(bad(
                    path,
                    "already exists and is not empty; to_zarr does not overwrite (remove it first)",
                ));
            }
            Ok(())
        }
        Err(_) if path.exists() => Err(bad(
            path,
            "already exists and is not a directory; to_zarr does not overwrite",
        )),
        Err(_) => Ok(()),
    }
}

impl<T: Element> Array<T> {
    /// A lazy array over the Zarr v3 array stored at `path`, in chunks `chunks` (which need
    /// not match the stored chunks). The metadata is read now; each task reads only its
    /// chunk's region. A missing path, metadata that is not a Zarr array, or a data type
    /// other than `T` is an error at once; a stored chunk that cannot be decoded fails the
    /// task reading it with [`Error::Io`].
    ///
    /// ```
    /// use chunkflow::Array;
    /// let path = std::env::temp_dir().join(format!("from-zarr-doc-{}.zarr", std::process::id()));
    /// Array::<i32>::arange(0, 10, 1, 4)?.to_zarr(&path)?;
    /// let back = Array::<i32>::from_zarr(&path, 3)?;
    /// assert_eq!(back.sum().scalar()?, 45);
    /// let err = Array::<f64>::from_zarr(&path, 3).unwrap_err();
    /// assert!(err.to_string().contains("holds i32 (Zarr int32), not f64 (Zarr float64)"));
    /// # std::fs::remove_dir_all(&path).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_zarr(path: impl AsRef<Path>, chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        let path = path.as_ref();
        let (array, half) = open(path, T::DTYPE)?;
        let shape = shape_usize(&array);
        let chunks = Chunks::resolve(&shape, chunks, T::DTYPE)?;
        Ok(Self::zarr_array(array, half, path, shape, chunks))
    }

    /// Like [`Array::from_zarr`] with the store's own chunks, so each task decodes exactly one
    /// stored chunk (with sharding, one shard).
    ///
    /// ```
    /// use chunkflow::Array;
    /// let path = std::env::temp_dir().join(format!("native-doc-{}.zarr", std::process::id()));
    /// Array::<f32>::ones(&[10, 4], [4, 3])?.to_zarr(&path)?;
    /// let back = Array::<f32>::from_zarr_native(&path)?;
    /// assert_eq!(back.chunks().as_lists(), &[vec![4, 4, 2], vec![3, 1]]);
    /// # std::fs::remove_dir_all(&path).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_zarr_native(path: impl AsRef<Path>) -> Result<Array<T>> {
        let path = path.as_ref();
        let (array, half) = open(path, T::DTYPE)?;
        let shape = shape_usize(&array);
        let lists = native_chunks(&array, path)?;
        let chunks = Chunks::resolve(&shape, ChunkSpec::Explicit(lists), T::DTYPE)
            .map_err(|e| bad(path, format!("chunk grid does not fit the shape: {e}")))?;
        Ok(Self::zarr_array(array, half, path, shape, chunks))
    }

    fn zarr_array(
        array: ZArray,
        half: bool,
        path: &Path,
        shape: Vec<usize>,
        chunks: Chunks,
    ) -> Array<T> {
        let source = ZarrSource {
            array: Arc::new(array),
            dtype: T::DTYPE,
            half,
            path: path.to_path_buf(),
            id: fresh_id(),
        };
        source_array(&shape, chunks, Arc::new(source))
    }

    /// Writes the array as a Zarr v3 array at `path` (a new directory), zstd-compressed,
    /// chunk by chunk: each chunk is encoded and written as soon as it is computed and then
    /// dropped. See the [module docs](crate::io::zarr) for how chunkings map to Zarr's grid.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let path = std::env::temp_dir().join(format!("to-zarr-doc-{}.zarr", std::process::id()));
    /// let x = Array::<f64>::from_fn(&[6, 5], [4, 5], |i| (i[0] * 5 + i[1]) as f64)?;
    /// x.to_zarr(&path)?;
    /// assert!(path.join("zarr.json").exists() && path.join("c/1/0").exists());
    /// assert!(x.to_zarr(&path).unwrap_err().to_string().contains("not empty"));
    /// # std::fs::remove_dir_all(&path).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_zarr(&self, path: impl AsRef<Path>) -> Result<()> {
        self.to_zarr_with(path, &Options::default())
    }

    /// Like [`Array::to_zarr`] with `options`.
    pub fn to_zarr_with(&self, path: impl AsRef<Path>, options: &Options) -> Result<()> {
        self.to_zarr_compressed(path, ZarrCompression::default(), options)
    }

    /// Like [`Array::to_zarr`] with another compression and `options`.
    ///
    /// ```
    /// use chunkflow::{Array, Options, io::zarr::ZarrCompression};
    /// let path = std::env::temp_dir().join(format!("raw-zarr-doc-{}.zarr", std::process::id()));
    /// let x = Array::<u32>::arange(1, 11, 1, 5)?;
    /// x.to_zarr_compressed(&path, ZarrCompression::None, &Options::default())?;
    /// assert_eq!(std::fs::metadata(path.join("c/0"))?.len(), 5 * 4); // raw little-endian
    /// # std::fs::remove_dir_all(&path).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_zarr_compressed(
        &self,
        path: impl AsRef<Path>,
        compression: ZarrCompression,
        options: &Options,
    ) -> Result<()> {
        self.check()?;
        let path = path.as_ref();
        let (sizes, regular) = regular_sizes(self.chunks());
        if !regular {
            return self.rechunk(ChunkSpec::PerAxis(sizes))?.to_zarr_compressed(
                path,
                compression,
                options,
            );
        }
        check_new(path)?;
        let codecs = compression.codecs()?;
        std::fs::create_dir_all(path).map_err(|e| bad(path, e))?;
        let store = FilesystemStore::new(path).map_err(|e| bad(path, e))?;
        let shape: Vec<u64> = self.shape().iter().map(|&s| s as u64).collect();
        let chunk_shape: Vec<u64> = sizes.iter().map(|&s| s as u64).collect();
        let array = ArrayBuilder::new(
            shape,
            chunk_shape,
            zarr_data_type(T::DTYPE),
            zero_fill(T::DTYPE),
        )
        .bytes_to_bytes_codecs(codecs)
        .build(Arc::new(store), "/")
        .map_err(|e| bad(path, format!("creating the Zarr array: {e}")))?
        .with_codec_options(codec_options());
        let array = Arc::new(array);

        let meta = self.meta().clone();
        let metadata_array = array.clone();
        let store = |b: &[usize], chunk_key: crate::graph::Key| {
            let shape = meta.chunks.block_shape(b);
            if shape.contains(&0) {
                return None; // an empty chunk has nothing to store (and Zarr has no chunk for it)
            }
            let (array, sizes, key) = (array.clone(), sizes.clone(), chunk_key.clone());
            let path = path.to_path_buf();
            let index: Vec<u64> = b.iter().map(|&i| i as u64).collect();
            let kernel = FnKernel::new("to_zarr", move |inputs: Vec<Value>| {
                // `U` is `T`, named through the dtype so zarrs' element traits apply.
                with_dtype!(T::DTYPE, U => {
                    let chunk: &ArrayD<U> = inputs[0].get(&key)?;
                    store_chunk::<U>(&array, &index, chunk, &sizes, &path)
                })?;
                Ok(Value::new(()))
            });
            Some(Task::call(kernel, vec![chunk_key]))
        };
        // Metadata last, in the task after every store: an interrupted write leaves no
        // array that looks complete, and under a distributed scheduler exactly one process
        // writes zarr.json, before any process's `to_zarr` returns.
        let meta_path = path.to_path_buf();
        let metadata = move || {
            metadata_array
                .store_metadata()
                .map_err(|e| Error::Io(format!("{}: writing zarr.json: {e}", meta_path.display())))
        };
        super::store_chunks(self, "to_zarr", options, store, Some(Box::new(metadata)))
    }
}

/// Encodes and stores one chunk at grid `index`; an edge chunk shorter than the grid's
/// chunk shape is padded with the fill value (0), as Zarr stores whole chunks.
fn store_chunk<U: Element + zarrs::array::Element>(
    array: &ZArray,
    index: &[u64],
    chunk: &ArrayD<U>,
    sizes: &[usize],
    path: &Path,
) -> Result<()> {
    let data = if chunk.shape() == sizes {
        chunk.as_standard_layout()
    } else {
        let mut padded = ArrayD::from_elem(IxDyn(sizes), U::default());
        padded
            .slice_each_axis_mut(|ax| Slice::from(0..chunk.shape()[ax.axis.index()]))
            .assign(chunk);
        ndarray::CowArray::from(padded)
    };
    let elements = data.as_slice().expect("standard layout");
    array.store_chunk(index, elements).map_err(|e| {
        Error::Io(format!(
            "{}: writing chunk {}: {e}",
            path.display(),
            array.chunk_key(index)
        ))
    })
}
