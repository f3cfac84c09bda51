//! NumPy `.npy` files: read lazily through a memory map (each chunk is copied out of the
//! map when its task runs) and written chunk by chunk (each chunk's task writes its rows at
//! their offsets in the file), so neither direction holds the whole array in memory.
//!
//! Supported: format versions 1.0–3.0; `b1`, `i1`, `i2`, `i4`, `i8`, `u1`, `u2`, `u4`,
//! `u8`, `f4`, `f8`, and `f2` (IEEE half floats, which have no chunkflow element type: they
//! are read as `f32` or `f64`, exactly, and written from them by [`Array::to_npy_f16`],
//! rounded to nearest as NumPy's `astype(float16)`); little- or big-endian (`<`, `>`, `=` for native, `|`), converted on
//! read; C order, or Fortran order (what `np.save(a.T)` writes), read as the transpose of
//! the C-order array of reversed shape — a lazy transpose, so chunks are still read one by
//! one. Writing is always little-endian C order. Other types are an error.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;
use ndarray::{ArrayD, IxDyn};

use crate::array::{Array, ChunkSpec, Chunks, source_array};
use crate::dtype::with_dtype;
use crate::dtype::{DType, Element, Float, Scalar};
use crate::error::{Error, Result};
use crate::graph::{FnKernel, Task, Value};
use crate::kernel::source::{ChunkSource, fresh_id};
use crate::options::Options;

const MAGIC: &[u8] = b"\x93NUMPY";

fn descr(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "|b1",
        DType::I8 => "|i1",
        DType::I16 => "<i2",
        DType::U8 => "|u1",
        DType::U16 => "<u2",
        DType::I32 => "<i4",
        DType::I64 => "<i8",
        DType::U32 => "<u4",
        DType::U64 => "<u8",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
    }
}

fn bad(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("{}: {why}", path.display()))
}

/// What a `.npy` header says.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The element type (for `f2` files, `F32`: the narrowest type holding each value).
    pub dtype: DType,
    /// Whether the elements are stored as IEEE 754 half floats (`f2`), two bytes each.
    pub half: bool,
    /// The shape.
    pub shape: Vec<usize>,
    /// Where the data starts.
    pub data_offset: usize,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// Whether multi-byte elements are stored big-endian.
    pub big_endian: bool,
}

/// Parses the header of a `.npy` file held in `bytes`.
pub fn parse_header(bytes: &[u8], path: &Path) -> Result<Header> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad(path, "not a .npy file (bad magic)"));
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(bad(path, format!("unsupported .npy version {v}"))),
    };
    let text = bytes
        .get(start..start + len)
        .ok_or_else(|| bad(path, "truncated header"))?;
    let text = std::str::from_utf8(text).map_err(|_| bad(path, "header is not text"))?;
    let field = |name: &str| -> Result<&str> {
        let at = text
            .find(&format!("'{name}'"))
            .ok_or_else(|| bad(path, format!("header has no '{name}'")))?;
        Ok(text[at + name.len() + 2..]
            .trim_start()
            .trim_start_matches(':')
            .trim_start())
    };
    let descr_text = field("descr")?;
    let descr_value = descr_text
        .trim_start_matches('\'')
        .split('\'')
        .next()
        .unwrap_or("");
    // The byte order, then the type code: `<f8`, `>i4`, `=u2` (native: little-endian on
    // every target chunkflow builds for), `|u1` (one byte, no order).
    let (order, code) = descr_value.split_at(descr_value.len().min(1));
    let big_endian = match order {
        "<" | "=" | "|" => false,
        ">" => true,
        _ => return Err(bad(path, format!("unsupported dtype {descr_value:?}"))),
    };
    let half = code == "f2" && order != "|";
    let dtype = if half {
        DType::F32
    } else {
        DType::ALL
            .into_iter()
            .find(|&d| descr(d)[1..] == *code && (order != "|" || d.size() == 1))
            .ok_or_else(|| bad(path, format!("unsupported dtype {descr_value:?}")))?
    };
    let fortran_order = match field("fortran_order")? {
        f if f.starts_with("True") => true,
        f if f.starts_with("False") => false,
        _ => return Err(bad(path, "malformed fortran_order")),
    };
    let shape_text = field("shape")?;
    let inner = shape_text
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad(path, "malformed shape"))?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| bad(path, format!("bad shape entry {s:?}")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Header {
        dtype,
        half,
        shape,
        data_offset: start + len,
        fortran_order,
        big_endian: big_endian && dtype.size() > 1,
    })
}

impl Header {
    /// The bytes one stored element takes.
    ///
    /// ```
    /// let h = chunkflow::io::npy::parse_header(&chunkflow::io::npy::header_bytes(chunkflow::DType::I16, &[3]), "x".as_ref())?;
    /// assert_eq!(h.element_size(), 2);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn element_size(&self) -> usize {
        if self.half { 2 } else { self.dtype.size() }
    }
}

/// The header bytes for an array of `dtype` and `shape` (version 1.0, padded to 64 bytes).
pub fn header_bytes(dtype: DType, shape: &[usize]) -> Vec<u8> {
    header_with_descr(descr(dtype), shape)
}

/// The header bytes for elements described by `descr` (`<f8`, `<f2`, …).
fn header_with_descr(descr: &str, shape: &[usize]) -> Vec<u8> {
    let shape_text = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Version 1.0 stores the header length in a u16; a longer header (thousands of axes)
    // needs version 2.0's u32, as NumPy writes it.
    let v1 = 10 + dict.len() < usize::from(u16::MAX);
    let prefix = if v1 { 10 } else { 12 };
    let total = prefix + dict.len() + 1;
    dict.push_str(&" ".repeat(total.next_multiple_of(64) - total));
    dict.push('\n');
    let mut out = MAGIC.to_vec();
    if v1 {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out
}

/// Element conversion from little- or big-endian bytes.
trait Bytes: Element {
    fn read(bytes: &[u8]) -> Self;
    fn read_be(bytes: &[u8]) -> Self;
}

/// Appends a scalar's little-endian bytes.
fn write_scalar(s: Scalar, out: &mut Vec<u8>) {
    use crate::dtype::Scalar::*;
    match s {
        Bool(v) => out.push(v as u8),
        I8(v) => out.extend_from_slice(&v.to_le_bytes()),
        I16(v) => out.extend_from_slice(&v.to_le_bytes()),
        U8(v) => out.push(v),
        U16(v) => out.extend_from_slice(&v.to_le_bytes()),
        I32(v) => out.extend_from_slice(&v.to_le_bytes()),
        I64(v) => out.extend_from_slice(&v.to_le_bytes()),
        U32(v) => out.extend_from_slice(&v.to_le_bytes()),
        U64(v) => out.extend_from_slice(&v.to_le_bytes()),
        F32(v) => out.extend_from_slice(&v.to_le_bytes()),
        F64(v) => out.extend_from_slice(&v.to_le_bytes()),
    }
}

macro_rules! bytes_impl {
    ($($t:ty),*) => {$(
        impl Bytes for $t {
            fn read(b: &[u8]) -> Self {
                <$t>::from_le_bytes(b.try_into().expect("element size"))
            }
            fn read_be(b: &[u8]) -> Self {
                <$t>::from_be_bytes(b.try_into().expect("element size"))
            }
        }
    )*};
}
bytes_impl!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl Bytes for bool {
    fn read(b: &[u8]) -> Self {
        b[0] != 0
    }
    fn read_be(b: &[u8]) -> Self {
        b[0] != 0
    }
}

struct NpySource {
    map: Arc<Mmap>,
    header: Header,
    /// The element type of the array read (the header's, or `f32`/`f64` for `f2` files).
    target: DType,
    /// The shape of the stored C-order array (the header's, reversed for Fortran order).
    stored: Vec<usize>,
    path: PathBuf,
    id: u64,
}

/// An `f2` element's value, from its two bytes in the file's order.
fn half_bits(b: &[u8], big_endian: bool) -> half::f16 {
    let bytes = [b[0], b[1]];
    half::f16::from_bits(if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    })
}

impl NpySource {
    fn read<T: Bytes>(&self, offset: &[usize], shape: &[usize]) -> Result<ArrayD<T>> {
        let read = if self.header.big_endian {
            T::read_be
        } else {
            T::read
        };
        self.read_as(offset, shape, T::DTYPE.size(), read)
    }

    /// The block at `offset` of `shape`, each stored element of `size` bytes converted by
    /// `convert`.
    fn read_as<T: Element>(
        &self,
        offset: &[usize],
        shape: &[usize],
        size: usize,
        convert: impl Fn(&[u8]) -> T,
    ) -> Result<ArrayD<T>> {
        let full = &self.stored;
        let n: usize = shape.iter().product();
        let mut out = Vec::with_capacity(n);
        for_each_row(full, offset, shape, |start, len| {
            let from = self.header.data_offset + start * size;
            let bytes = self
                .map
                .get(from..from + len * size)
                .ok_or_else(|| bad(&self.path, "file is shorter than its header says"))?;
            out.extend(bytes.chunks_exact(size).map(&convert));
            Ok(())
        })?;
        ArrayD::from_shape_vec(IxDyn(shape), out).map_err(|e| Error::ShapeMismatch(e.to_string()))
    }
}

impl ChunkSource for NpySource {
    fn name(&self) -> &str {
        "from_npy"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value> {
        let be = self.header.big_endian;
        match (self.header.half, self.target) {
            (true, DType::F64) => self
                .read_as(offset, shape, 2, |b| half_bits(b, be).to_f64())
                .map(Value::new),
            (true, _) => self
                .read_as(offset, shape, 2, |b| half_bits(b, be).to_f32())
                .map(Value::new),
            (false, _) => {
                with_dtype!(self.header.dtype, T => self.read::<T>(offset, shape).map(Value::new))
            }
        }
    }
}

/// Calls `f(flat_start, len)` for each contiguous row of the block at `offset` with `shape`
/// inside a C-order array of shape `full`.
fn for_each_row(
    full: &[usize],
    offset: &[usize],
    shape: &[usize],
    mut f: impl FnMut(usize, usize) -> Result<()>,
) -> Result<()> {
    if shape.contains(&0) {
        return Ok(());
    }
    let ndim = full.len();
    let mut strides = vec![1; ndim];
    for a in (0..ndim.saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * full[a + 1];
    }
    let inner = shape.last().copied().unwrap_or(1);
    let mut row = vec![0; ndim.saturating_sub(1)];
    loop {
        let mut start: usize = row
            .iter()
            .enumerate()
            .map(|(a, &r)| (offset[a] + r) * strides[a])
            .sum();
        if ndim > 0 {
            start += offset[ndim - 1];
        }
        f(start, inner)?;
        let mut axis = row.len();
        loop {
            if axis == 0 {
                return Ok(());
            }
            axis -= 1;
            row[axis] += 1;
            if row[axis] < shape[axis] {
                break;
            }
            row[axis] = 0;
        }
    }
}

impl<T: Element> Array<T> {
    /// A lazy array over a `.npy` file, memory-mapped; chunks are read when their tasks run.
    /// A file that is not `.npy`, holds another type than `T`, or is shorter than its header
    /// says is an error.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let path = std::env::temp_dir().join(format!("doc-{}.npy", std::process::id()));
    /// Array::<i32>::arange(0, 10, 1, 4)?.to_npy(&path)?;
    /// let back = Array::<i32>::from_npy(&path, 3)?;
    /// assert_eq!(back.sum().scalar()?, 45);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_npy(path: impl AsRef<Path>, chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        let path = path.as_ref();
        // A FIFO or device would block the open or change under the map: only regular
        // files, checked before opening (opening a FIFO waits for a writer) and again on
        // what was opened.
        let regular = |m: std::io::Result<std::fs::Metadata>| -> Result<()> {
            let m = m.map_err(|e| Error::file(path, "opening", &e))?;
            if m.file_type().is_file() {
                Ok(())
            } else {
                Err(bad(path, "not a regular file"))
            }
        };
        regular(std::fs::metadata(path))?;
        let file = File::open(path).map_err(|e| Error::file(path, "opening", &e))?;
        regular(file.metadata())?;
        // SAFETY: the map is read-only. chunkflow's own writers never change a file in place
        // (`to_npy` writes a temporary file and renames it over the path, so this map keeps
        // the old inode); like every memory map, it assumes no other program truncates or
        // rewrites the file while the array is in use (documented in docs/guide.md).
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::file(path, "mapping", &e))?;
        let header = parse_header(&map, path)?;
        if header.half && !matches!(T::DTYPE, DType::F32 | DType::F64) {
            return Err(bad(
                path,
                format!("holds f16 (`f2`), not {}: read it as f32 or f64", T::DTYPE),
            ));
        }
        if !header.half && header.dtype != T::DTYPE {
            return Err(bad(
                path,
                format!("holds {}, not {}", header.dtype, T::DTYPE),
            ));
        }
        let needed = header
            .shape
            .iter()
            .try_fold(header.element_size(), |acc, &len| acc.checked_mul(len))
            .and_then(|bytes| bytes.checked_add(header.data_offset));
        let Some(needed) = needed else {
            return Err(bad(
                path,
                format!("header shape {:?} is larger than any file", header.shape),
            ));
        };
        if map.len() < needed {
            return Err(bad(
                path,
                format!("truncated: {} bytes, the header needs {needed}", map.len()),
            ));
        }
        let chunks = Chunks::resolve(&header.shape, chunks, T::DTYPE)?;
        let fortran = header.fortran_order;
        let mut stored = header.shape.clone();
        let mut stored_chunks = chunks.as_lists().to_vec();
        if fortran {
            stored.reverse();
            stored_chunks.reverse();
        }
        let source = NpySource {
            map: Arc::new(map),
            header,
            target: T::DTYPE,
            stored: stored.clone(),
            path: path.to_path_buf(),
            id: fresh_id(),
        };
        let array = source_array(&stored, Chunks::from_lists(stored_chunks), Arc::new(source));
        // Fortran order: element (i, j, …) is at (…, j, i) of the reversed C-order array.
        Ok(if fortran { array.transpose() } else { array })
    }

    /// Writes the array to a `.npy` file chunk by chunk: each chunk is written at its place
    /// as soon as it is computed and then dropped, so memory holds only chunks in flight.
    ///
    /// The chunks go into a hidden temporary file beside `path` (`.NAME.to_npy-TOKEN.tmp`),
    /// renamed over `path` once the last chunk is stored. A run that fails leaves `path` as
    /// it was (the temporary file is removed; a killed process leaves only the temporary
    /// name), and an array still reading the old file through [`Array::from_npy`] keeps
    /// its data, even when the new array is computed from it.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let path = std::env::temp_dir().join(format!("doc-inplace-{}.npy", std::process::id()));
    /// Array::<f64>::ones(&[6], 4)?.to_npy(&path)?;
    /// let x = Array::<f64>::from_npy(&path, 4)?;
    /// (&x * 3.0).to_npy(&path)?; // reads the old file while writing the new one
    /// assert_eq!(Array::<f64>::from_npy(&path, 4)?.sum().scalar()?, 18.0);
    /// assert_eq!(x.sum().scalar()?, 6.0); // x still sees the file it opened
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        self.to_npy_with(path, &Options::default())
    }

    /// Like [`Array::to_npy`] with `options`.
    pub fn to_npy_with(&self, path: impl AsRef<Path>, options: &Options) -> Result<()> {
        let path = path.as_ref();
        let header = header_bytes(T::DTYPE, self.shape());
        let write = |v: &T, out: &mut Vec<u8>| write_scalar(v.to_scalar(), out);
        self.write_npy_file(path, &header, T::DTYPE.size(), write, options)
    }

    /// Writes `header` and each element's `size` bytes, as `write` gives them, into a
    /// temporary file renamed over `path` when every chunk is stored.
    fn write_npy_file(
        &self,
        path: &Path,
        header: &[u8],
        size: usize,
        write: fn(&T, &mut Vec<u8>),
        options: &Options,
    ) -> Result<()> {
        self.check()?;
        let temp = temporary_sibling(path, options)?;
        let written = self.write_npy(&temp, header, size, write, options, path);
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }

    /// Writes the file's bytes into `temp` and renames it to `path` in the last task.
    fn write_npy(
        &self,
        temp: &Path,
        header: &[u8],
        size: usize,
        write: fn(&T, &mut Vec<u8>),
        options: &Options,
        path: &Path,
    ) -> Result<()> {
        let mut file = File::create(temp).map_err(|e| Error::file(temp, "creating", &e))?;
        file.write_all(header)
            .map_err(|e| Error::file(temp, "writing", &e))?;
        file.set_len((header.len() + self.len() * size) as u64)
            .map_err(|e| Error::file(temp, "sizing", &e))?;
        let file = Arc::new(file);
        let header_len = header.len();
        let (from, to) = (temp.to_path_buf(), path.to_path_buf());
        let rename = move || {
            std::fs::rename(&from, &to)
                .map_err(|e| Error::file(&to, &format!("renaming {} over it", from.display()), &e))
        };
        let meta = self.meta().clone();
        super::store_chunks(
            self,
            "to_npy",
            options,
            |b, chunk_key| {
                let (offset, shape) = (meta.chunks.block_offset(b), meta.chunks.block_shape(b));
                let (file, full, data_offset) = (file.clone(), meta.shape.clone(), header_len);
                let temp = temp.to_path_buf();
                let key = chunk_key.clone();
                let kernel = FnKernel::new("to_npy", move |inputs: Vec<Value>| {
                    let chunk: &ArrayD<T> = inputs[0].get(&key)?;
                    let chunk = chunk.as_standard_layout();
                    let data = chunk.as_slice().expect("standard layout");
                    let mut k = 0;
                    let mut bytes = Vec::new();
                    for_each_row(&full, &offset, &shape, |start, len| {
                        bytes.clear();
                        data[k..k + len].iter().for_each(|v| write(v, &mut bytes));
                        file.write_all_at(&bytes, (data_offset + start * size) as u64)
                            .map_err(|e| Error::file(&temp, "writing a chunk", &e))?;
                        k += len;
                        Ok(())
                    })?;
                    Ok(Value::new(()))
                });
                Some(Task::call(kernel, vec![chunk_key]))
            },
            Some(Box::new(rename)),
        )
    }
}

impl<T: Float> Array<T> {
    /// Writes the array to a `.npy` file of IEEE half floats (`<f2`), each value rounded to
    /// the nearest `f16` (ties to even; beyond ±65504 to ±inf), as NumPy's
    /// `astype(np.float16)`. Read it back with [`Array::from_npy`] as `f32` or `f64`.
    /// Otherwise as [`Array::to_npy`]: chunk by chunk, through a temporary file.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let path = std::env::temp_dir().join(format!("doc-f16-{}.npy", std::process::id()));
    /// Array::from_vec(vec![1.0f32, 0.1, 70000.0], 2)?.to_npy_f16(&path)?;
    /// assert_eq!(std::fs::metadata(&path)?.len(), 128 + 3 * 2);
    /// let back = Array::<f32>::from_npy(&path, 2)?.compute()?;
    /// assert_eq!(back.as_slice().unwrap(), &[1.0, 0.099975586, f32::INFINITY]);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_npy_f16(&self, path: impl AsRef<Path>) -> Result<()> {
        self.to_npy_f16_with(path, &Options::default())
    }

    /// Like [`Array::to_npy_f16`] with `options`.
    pub fn to_npy_f16_with(&self, path: impl AsRef<Path>, options: &Options) -> Result<()> {
        let header = header_with_descr("<f2", self.shape());
        let write = |v: &T, out: &mut Vec<u8>| {
            // f32 -> f64 is exact, so this rounds once, to nearest even.
            out.extend_from_slice(&half::f16::from_f64(v.to_f64()).to_le_bytes());
        };
        self.write_npy_file(path.as_ref(), &header, 2, write, options)
    }
}

/// The hidden temporary file beside `path` that `to_npy` writes before renaming it:
/// `.NAME.to_npy-TOKEN.tmp`, with a token unique in this process (and the process id
/// unless the run is distributed, where every rank writes into the same temporary file and
/// ranks in lockstep draw the same token).
fn temporary_sibling(path: &Path, options: &Options) -> Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| bad(path, "not a file name"))?
        .to_string_lossy();
    let token = crate::graph::Key::unique_name("to_npy");
    let temp = if options.get_scheduler().is_distributed() {
        format!(".{name}.{token}.tmp")
    } else {
        format!(".{name}.{token}-{}.tmp", std::process::id())
    };
    Ok(path.with_file_name(temp))
}
