//! Text files as bags of lines: [`Bag::read_text`] (and the [`ReadText`] builder) reads
//! lines from files, [`Bag::to_textfiles`] (and [`WriteText`]) writes one file per partition.
//!
//! Dask's `dask.bag.read_text` / `Bag.to_textfiles`, with these decisions:
//!
//! - **Lines keep their terminator**, as in Dask: `"a\n"`, and `"b"` for a last line without
//!   one. Lines split at `\n` only, so a CRLF file gives lines ending in `"\r\n"` and the
//!   concatenated lines are exactly the file's bytes (Dask's default, Python's universal
//!   newlines, turns `\r\n` into `\n` when `blocksize` is `None`, but not with a blocksize).
//!   [`ReadText::linedelimiter`] chooses another (ASCII) byte.
//! - **Blocks.** An uncompressed file of `size` bytes is cut into `max(1, size / blocksize)`
//!   equal byte ranges (Dask's rounding: blocks are slightly bigger than `blocksize`, never
//!   smaller). A partition owns the lines that *start* in its range (the first from byte 0,
//!   the others after the first `\n` at or after their start offset), so every line is read
//!   once, by one partition, which reads only its range plus the rest of its last line.
//!   The default blocksize is 64 MiB (Dask's default is one partition per file); use
//!   [`ReadText::whole_files`] for that.
//! - **Compressed files** (`.gz`, `.zst`/`.zstd`, `.bz2`, by extension) cannot be split and
//!   are one partition each, streamed through the decoder (Dask raises if a blocksize is
//!   given for them; here they are simply not split).
//! - **Streaming.** A partition's lines are read by the task that consumes them (a fused
//!   `flat_map_ref(..).frequencies()`, a fold, `to_textfiles`), one line at a time; the
//!   partition exists as a `Vec<String>` only when the bag itself is computed.
//! - **Errors.** A missing file, a directory, a glob matching nothing or a zero blocksize are
//!   errors when the bag is built; unreadable or corrupt data (a truncated gzip file) and
//!   invalid UTF-8 fail the partition's task with an [`Error::File`] naming the file (and,
//!   for UTF-8, the byte offset; in a compressed file, the offset in the decompressed text).
//!   [`ReadText::lossy`] replaces invalid sequences with U+FFFD instead.
//! - **Writing** joins a partition's items with `\n` (no newline after the last unless
//!   [`WriteText::last_endline`], as in Dask), so lines read with their terminators are
//!   written with doubled newlines, exactly as Dask does: strip them first. Each partition is
//!   written to a hidden temporary file beside its target; the temporary files are renamed
//!   to their final names only after every partition has been written, and removed if any
//!   partition fails, so a failed run leaves no file that looks complete.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::bag::Bag;
use crate::bag::lowering::Lowering;
use crate::error::{Error, Result};
use crate::graph::{Key, Value};
use crate::options::Options;

/// The default [`ReadText::blocksize`]: 64 MiB.
pub const DEFAULT_BLOCKSIZE: u64 = 64 << 20;

/// Buffer size of the readers and writers.
const BUFFER: usize = 256 << 10;

/// One path, or several: what [`Bag::read_text`] and [`Bag::to_textfiles`] accept — a
/// `&str`, `String`, `&Path` or `PathBuf` (a path or a glob pattern), or a `Vec`, slice or
/// array of them.
///
/// ```
/// use chunkflow::io::text::Paths;
/// assert_eq!("a.txt".into_paths().len(), 1);
/// assert_eq!(vec!["a.txt", "b.txt"].into_paths().len(), 2);
/// ```
pub trait Paths {
    /// The paths (or patterns), in order.
    fn into_paths(self) -> Vec<PathBuf>;
}

macro_rules! single_path {
    ($($t:ty),*) => {$(
        impl Paths for $t {
            fn into_paths(self) -> Vec<PathBuf> {
                vec![PathBuf::from(self)]
            }
        }
    )*};
}
single_path!(&str, String, &String, &Path, PathBuf, &PathBuf);

impl<P: AsRef<Path>> Paths for Vec<P> {
    fn into_paths(self) -> Vec<PathBuf> {
        self.iter().map(|p| p.as_ref().to_path_buf()).collect()
    }
}

impl<P: AsRef<Path>> Paths for &Vec<P> {
    fn into_paths(self) -> Vec<PathBuf> {
        self.iter().map(|p| p.as_ref().to_path_buf()).collect()
    }
}

impl<P: AsRef<Path>> Paths for &[P] {
    fn into_paths(self) -> Vec<PathBuf> {
        self.iter().map(|p| p.as_ref().to_path_buf()).collect()
    }
}

impl<P: AsRef<Path>, const N: usize> Paths for &[P; N] {
    fn into_paths(self) -> Vec<PathBuf> {
        self.iter().map(|p| p.as_ref().to_path_buf()).collect()
    }
}

impl<P: AsRef<Path>, const N: usize> Paths for [P; N] {
    fn into_paths(self) -> Vec<PathBuf> {
        self.iter().map(|p| p.as_ref().to_path_buf()).collect()
    }
}

/// How a file is compressed, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
}

impl Compression {
    fn of(path: &Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()) {
            Some("gz") => Compression::Gzip,
            Some("zst" | "zstd") => Compression::Zstd,
            Some("bz2") => Compression::Bzip2,
            _ => Compression::None,
        }
    }
}

/// What one partition reads.
#[derive(Clone, Debug)]
struct Block {
    path: Arc<Path>,
    compression: Compression,
    /// Uncompressed files: the block's byte range `[start, end)` (the lines starting in
    /// it); `end` is `None` for the last block, which reads to the end of the file.
    start: u64,
    end: Option<u64>,
    /// The byte that ends a line (`\n` unless [`ReadText::linedelimiter`] says otherwise).
    delimiter: u8,
}

fn has_glob_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expands globs (sorted matches; a pattern matching nothing is an error) and checks that
/// every path is an existing file, returning each with its size.
fn expand(patterns: &[PathBuf]) -> Result<Vec<(PathBuf, u64)>> {
    if patterns.is_empty() {
        return Err(Error::InvalidArgument(
            "read_text needs at least one path".into(),
        ));
    }
    let mut paths = Vec::new();
    for pattern in patterns {
        let text = pattern.to_string_lossy();
        if has_glob_magic(&text) {
            let matches = glob::glob(&text)
                .map_err(|e| Error::InvalidArgument(format!("bad glob pattern {text:?}: {e}")))?;
            let mut found: Vec<PathBuf> = Vec::new();
            for m in matches {
                let path = m.map_err(|e| {
                    let path = e.path().to_path_buf();
                    Error::file(path, "listing", e.error())
                })?;
                found.push(path);
            }
            if found.is_empty() {
                let err = io::Error::new(io::ErrorKind::NotFound, "no file matches the pattern");
                return Err(Error::file(pattern, "expanding the glob", &err));
            }
            found.sort();
            paths.extend(found);
        } else {
            paths.push(pattern.clone());
        }
    }
    paths
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).map_err(|e| Error::file(&path, "opening", &e))?;
            if meta.is_dir() {
                let err = io::Error::new(io::ErrorKind::IsADirectory, "is a directory");
                return Err(Error::file(&path, "opening", &err));
            }
            Ok((path, meta.len()))
        })
        .collect()
}

/// The blocks of one file: whole for compressed files or without a blocksize; otherwise
/// `max(1, size / blocksize)` near-equal ranges (Dask's `read_bytes` rounding).
fn blocks_of(
    path: PathBuf,
    size: u64,
    blocksize: Option<u64>,
    delimiter: u8,
    out: &mut Vec<Block>,
) {
    let path: Arc<Path> = path.into();
    let compression = Compression::of(&path);
    let n = match blocksize {
        Some(bs) if compression == Compression::None => (size / bs).max(1),
        _ => 1,
    };
    let offset = |k: u64| (u128::from(k) * u128::from(size) / u128::from(n)) as u64;
    for k in 0..n {
        out.push(Block {
            path: path.clone(),
            compression,
            start: offset(k),
            end: (k + 1 < n).then(|| offset(k + 1)),
            delimiter,
        });
    }
}

/// Reading lines from text files into a bag, with options: Dask's `read_text` keywords.
///
/// ```
/// use chunkflow::io::text::ReadText;
/// let dir = std::env::temp_dir().join(format!("cf-readtext-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("a.txt"), "one\ntwo\nthree\n").unwrap();
/// std::fs::write(dir.join("b.txt"), "four").unwrap();
/// let pattern = dir.join("*.txt");
/// let lines = ReadText::new(&pattern).blocksize(5).lines()?;
/// assert_eq!(lines.npartitions(), 3); // a.txt: 14 bytes in 2 blocks; b.txt: 1
/// assert_eq!(lines.compute()?, ["one\n", "two\n", "three\n", "four"]);
/// let tagged = ReadText::new(&pattern).lines_with_path()?.compute()?;
/// assert!(tagged[3].1.ends_with("b.txt"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a ReadText does nothing until lines() or lines_with_path()"]
pub struct ReadText {
    patterns: Vec<PathBuf>,
    blocksize: Option<u64>,
    lossy: bool,
    delimiter: u8,
}

impl ReadText {
    /// Reads `paths`: file names or glob patterns (`logs/*.txt.gz`), in order; a pattern's
    /// matches are sorted by name. A path containing `*`, `?` or `[` is a pattern (escape
    /// such file names with `glob::Pattern::escape`).
    ///
    /// ```
    /// let r = chunkflow::io::text::ReadText::new(["a.txt", "logs/*.gz"]);
    /// assert!(format!("{r:?}").contains("logs/*.gz"));
    /// ```
    pub fn new(paths: impl Paths) -> Self {
        ReadText {
            patterns: paths.into_paths(),
            blocksize: Some(DEFAULT_BLOCKSIZE),
            lossy: false,
            delimiter: b'\n',
        }
    }

    /// Cuts uncompressed files into blocks of about `bytes` bytes, one partition each
    /// (default [`DEFAULT_BLOCKSIZE`]); 0 is an error when the bag is built.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cf-blocksize-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("n.txt");
    /// std::fs::write(&path, "1\n2\n3\n4\n5\n6\n").unwrap();
    /// let reader = chunkflow::io::text::ReadText::new(&path);
    /// assert_eq!(reader.clone().blocksize(4).lines()?.npartitions(), 3);
    /// assert!(reader.blocksize(0).lines().is_err());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn blocksize(mut self, bytes: u64) -> Self {
        self.blocksize = Some(bytes);
        self
    }

    /// One partition per file, however big: Dask's default `blocksize=None`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cf-whole-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("x.txt"), "a\nb\n").unwrap();
    /// let r = chunkflow::io::text::ReadText::new(dir.join("x.txt")).blocksize(1).whole_files();
    /// assert_eq!(r.lines()?.npartitions(), 1);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn whole_files(mut self) -> Self {
        self.blocksize = None;
        self
    }

    /// Replaces invalid UTF-8 with U+FFFD (Dask's `errors="replace"`) instead of failing.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cf-lossy-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("bad.txt");
    /// std::fs::write(&path, b"ok\nb\xffd\n").unwrap();
    /// let strict = chunkflow::io::text::ReadText::new(&path).lines()?.compute();
    /// assert!(strict.unwrap_err().root_cause().to_string().contains("byte 4"));
    /// let lossy = chunkflow::io::text::ReadText::new(&path).lossy(true).lines()?;
    /// assert_eq!(lossy.compute()?, ["ok\n", "b\u{fffd}d\n"]);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn lossy(mut self, lossy: bool) -> Self {
        self.lossy = lossy;
        self
    }

    /// Ends lines (and splits blocks) at `byte` instead of `\n`, keeping it at the end of
    /// each line: Dask's `linedelimiter`, for one-byte delimiters. The byte must be ASCII
    /// (a byte above 0x7f could cut a UTF-8 character): else an error when the bag is
    /// built.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cf-delim-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("r.txt"), "a;b\n;c").unwrap();
    /// let r = chunkflow::io::text::ReadText::new(dir.join("r.txt")).linedelimiter(b';');
    /// assert_eq!(r.clone().lines()?.compute()?, ["a;", "b\n;", "c"]);
    /// assert!(r.linedelimiter(0xff).lines().is_err());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn linedelimiter(mut self, byte: u8) -> Self {
        self.delimiter = byte;
        self
    }

    fn blocks(&self) -> Result<Vec<Block>> {
        if self.blocksize == Some(0) {
            return Err(Error::InvalidArgument(
                "read_text: blocksize must be positive".into(),
            ));
        }
        if !self.delimiter.is_ascii() {
            return Err(Error::InvalidArgument(format!(
                "read_text: the line delimiter {:#04x} is not an ASCII byte",
                self.delimiter
            )));
        }
        let mut blocks = Vec::new();
        for (path, size) in expand(&self.patterns)? {
            blocks_of(path, size, self.blocksize, self.delimiter, &mut blocks);
        }
        Ok(blocks)
    }

    /// The bag of lines (each with its terminator), one partition per block.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cf-lines-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("l.txt"), "x y\nz\n").unwrap();
    /// let lines = chunkflow::io::text::ReadText::new(dir.join("l.txt")).lines()?;
    /// assert_eq!(lines.count().compute()?, 2);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn lines(&self) -> Result<Bag<String>> {
        let lossy = self.lossy;
        Bag::from_reader("read_text", self.blocks()?, move |block: &Block, sink| {
            read_block(block, lossy, sink)
        })
    }

    /// The bag of `(line, path)` pairs: Dask's `include_path=True`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cf-withpath-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("p.txt"), "x\n").unwrap();
    /// let pairs = chunkflow::io::text::ReadText::new(dir.join("p.txt")).lines_with_path()?;
    /// let (line, path) = &pairs.compute()?[0];
    /// assert_eq!((line.as_str(), path.file_name().unwrap()), ("x\n", "p.txt".as_ref()));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn lines_with_path(&self) -> Result<Bag<(String, Arc<Path>)>> {
        let lossy = self.lossy;
        Bag::from_reader("read_text", self.blocks()?, move |block: &Block, sink| {
            read_block(block, lossy, &mut |line| sink((line, block.path.clone())))
        })
    }
}

/// A line's bytes as a `String`; invalid UTF-8 is replaced (`lossy`) or an error naming the
/// file and the offset of the first bad byte (`at` is the line's offset).
fn to_string(bytes: Vec<u8>, lossy: bool, block: &Block, at: u64) -> Result<String> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) if lossy => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(e) => {
            let offset = at + e.utf8_error().valid_up_to() as u64;
            let what = if block.compression == Compression::None {
                ""
            } else {
                " of the decompressed text"
            };
            Err(Error::File {
                path: block.path.to_path_buf(),
                kind: io::ErrorKind::InvalidData,
                message: format!(
                    "invalid UTF-8 at byte {offset}{what} (ReadText::lossy(true) replaces it)"
                ),
            })
        }
    }
}

/// Skips to just after the first `delimiter` at or after the reader's position; returns how
/// many bytes were skipped (up to the end of the file if there is none).
fn skip_line(reader: &mut impl BufRead, delimiter: u8) -> io::Result<u64> {
    let mut skipped = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(skipped);
        }
        if let Some(i) = memchr::memchr(delimiter, buf) {
            reader.consume(i + 1);
            return Ok(skipped + i as u64 + 1);
        }
        let n = buf.len();
        reader.consume(n);
        skipped += n as u64;
    }
}

/// The next line of `reader` with its `delimiter` (empty at the end): one allocation of
/// the line's size when the line is in the reader's buffer (the common case), else
/// `read_until`.
fn next_line(reader: &mut impl BufRead, delimiter: u8) -> io::Result<Vec<u8>> {
    let buf = reader.fill_buf()?;
    if let Some(i) = memchr::memchr(delimiter, buf) {
        let line = buf[..=i].to_vec();
        reader.consume(i + 1);
        return Ok(line);
    }
    let mut line = Vec::new();
    reader.read_until(delimiter, &mut line)?;
    Ok(line)
}

/// Hands every line of `reader` starting at or before `end` to `sink`; `pos` is the
/// reader's offset.
fn read_lines(
    reader: &mut impl BufRead,
    mut pos: u64,
    end: Option<u64>,
    lossy: bool,
    block: &Block,
    sink: &mut dyn FnMut(String),
) -> Result<()> {
    let what = if block.compression == Compression::None {
        "reading"
    } else {
        "decompressing"
    };
    while end.is_none_or(|e| pos <= e) {
        let line =
            next_line(reader, block.delimiter).map_err(|e| Error::file(&*block.path, what, &e))?;
        let n = line.len();
        if n == 0 {
            break;
        }
        let at = pos;
        pos += n as u64;
        sink(to_string(line, lossy, block, at)?);
    }
    Ok(())
}

/// Reads one block's lines into `sink`.
fn read_block(block: &Block, lossy: bool, sink: &mut dyn FnMut(String)) -> Result<()> {
    let path = &*block.path;
    let file = File::open(path).map_err(|e| Error::file(path, "opening", &e))?;
    let decoded: Box<dyn Read> = match block.compression {
        Compression::None => {
            let mut reader = BufReader::with_capacity(BUFFER, file);
            let mut pos = block.start;
            if block.start > 0 {
                reader
                    .seek(SeekFrom::Start(block.start))
                    .and_then(|_| skip_line(&mut reader, block.delimiter))
                    .map(|skipped| pos += skipped)
                    .map_err(|e| Error::file(path, "reading", &e))?;
            }
            return read_lines(&mut reader, pos, block.end, lossy, block, sink);
        }
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file))),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::new(file)
                .map_err(|e| Error::file(path, "decompressing", &e))?,
        ),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(BufReader::new(file))),
    };
    let mut reader = BufReader::with_capacity(BUFFER, decoded);
    read_lines(&mut reader, 0, None, lossy, block, sink)
}

impl Bag<String> {
    /// The lines of text files: `paths` are file names or glob patterns, files are cut into
    /// blocks of 64 MiB at line boundaries, compressed files (`.gz`, `.zst`, `.bz2`) are read
    /// whole; each line keeps its `\n`. Dask's `dask.bag.read_text`; see [`ReadText`] for
    /// the options (blocksize, whole files, lossy UTF-8, the path of each line) and the
    /// [module docs](crate::io::text) for the decisions.
    ///
    /// ```
    /// use chunkflow::Bag;
    /// let dir = std::env::temp_dir().join(format!("cf-read-text-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("1.txt"), "to be\nor not\n").unwrap();
    /// std::fs::write(dir.join("2.txt"), "to be\n").unwrap();
    /// let lines = Bag::read_text(dir.join("*.txt"))?;
    /// let words = lines.flat_map_ref(|line, emit| line.split_whitespace().for_each(emit));
    /// let mut counts = words.frequencies().compute()?;
    /// counts.sort();
    /// assert_eq!(counts[0], ("be".to_string(), 2));
    /// assert!(Bag::read_text(dir.join("*.csv")).is_err()); // matches nothing
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn read_text(paths: impl Paths) -> Result<Bag<String>> {
        ReadText::new(paths).lines()
    }
}

/// Where the partitions of a bag are written, and how: Dask's `to_textfiles` keywords.
///
/// ```
/// use chunkflow::{Bag, io::text::WriteText};
/// let dir = std::env::temp_dir().join(format!("cf-writetext-{}", std::process::id()));
/// let bag = Bag::from_vec(vec!["a", "b", "c"], 2)?;
/// let written = WriteText::new(dir.join("part-*.txt.gz"))
///     .name_function(|i| format!("{}", 10 + i))
///     .last_endline(true)
///     .write(&bag)?;
/// assert!(written[1].ends_with("part-11.txt.gz"));
/// assert_eq!(Bag::read_text(&written)?.compute()?, ["a\n", "b\n", "c\n"]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[must_use = "a WriteText does nothing until write()"]
pub struct WriteText {
    paths: Vec<PathBuf>,
    name_function: Option<Arc<dyn Fn(usize) -> String + Send + Sync>>,
    last_endline: bool,
    options: Options,
}

impl WriteText {
    /// Writes to `paths`: one pattern with a single `*`, replaced by each partition's number
    /// (zero-padded to equal width, so the names sort in partition order, as fsspec's
    /// default name function does); one path without `*`, a directory, meaning `DIR/*.part`
    /// (as in Dask, even for a one-partition bag); or a list of exactly one path per
    /// partition (at least two). Files whose name ends in `.gz`, `.zst`/`.zstd` or
    /// `.bz2` are compressed. Missing parent directories are created.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cf-write-new-{}", std::process::id()));
    /// let bag = chunkflow::Bag::range(12, 11)?.map(|i| i.to_string());
    /// let written = chunkflow::io::text::WriteText::new(&dir).write(&bag)?;
    /// assert!(written[3].ends_with("03.part"));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn new(paths: impl Paths) -> Self {
        WriteText {
            paths: paths.into_paths(),
            name_function: None,
            last_endline: false,
            options: Options::default(),
        }
    }

    /// Names partition `i` by `f(i)` in place of the `*` (Dask's `name_function`; the names
    /// should sort in partition order).
    ///
    /// ```
    /// let w = chunkflow::io::text::WriteText::new("out/day-*.txt").name_function(|i| format!("{:03}", i));
    /// # let _ = w;
    /// ```
    pub fn name_function(mut self, f: impl Fn(usize) -> String + Send + Sync + 'static) -> Self {
        self.name_function = Some(Arc::new(f));
        self
    }

    /// Ends each file with a newline after its last item too (Dask's `last_endline`,
    /// default false).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cf-endline-{}", std::process::id()));
    /// let bag = chunkflow::Bag::from_vec(vec!["x", "y"], 1)?;
    /// let w = chunkflow::io::text::WriteText::new(dir.join("*.txt")).last_endline(true).write(&bag)?;
    /// assert_eq!(std::fs::read_to_string(&w[0]).unwrap(), "x\ny\n");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn last_endline(mut self, yes: bool) -> Self {
        self.last_endline = yes;
        self
    }

    /// Runs the write with `options` (scheduler, observers, fusion).
    ///
    /// ```
    /// let w = chunkflow::io::text::WriteText::new("out/*.txt")
    ///     .options(chunkflow::Options::new().synchronous());
    /// # let _ = w;
    /// ```
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// The target file of each of `n` partitions.
    fn targets(&self, n: usize) -> Result<Vec<PathBuf>> {
        match self.paths.as_slice() {
            [] => Err(Error::InvalidArgument("to_textfiles needs a path".into())),
            [one] => {
                let mut text = one.to_string_lossy().into_owned();
                match text.matches('*').count() {
                    0 => text = one.join("*.part").to_string_lossy().into_owned(),
                    1 => {}
                    _ => {
                        return Err(Error::InvalidArgument(format!(
                            "to_textfiles: the path {text:?} must contain exactly one '*'"
                        )));
                    }
                }
                let width = (n.max(2) - 1).to_string().len();
                Ok((0..n)
                    .map(|i| {
                        let name = match &self.name_function {
                            Some(f) => f(i),
                            None => format!("{i:0width$}"),
                        };
                        PathBuf::from(text.replacen('*', &name, 1))
                    })
                    .collect())
            }
            many if many.len() == n => Ok(many.to_vec()),
            many => Err(Error::InvalidArgument(format!(
                "to_textfiles: {} paths for {n} partitions",
                many.len()
            ))),
        }
    }

    /// Writes every partition of `bag` to its file, returning the files in partition
    /// order. Each partition's items (anything `AsRef<str>`) are streamed into a hidden
    /// temporary file beside the target, compressed by the target's extension; once all
    /// are written they are renamed over their targets. If any partition fails, every
    /// temporary file is removed and no target is touched.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cf-write-{}", std::process::id()));
    /// let bag = chunkflow::Bag::from_vec(vec!["a", "b", "c"], 2)?;
    /// let files = chunkflow::io::text::WriteText::new(dir.join("*.txt.zst")).write(&bag)?;
    /// assert_eq!(files.len(), 2);
    /// assert_eq!(chunkflow::Bag::read_text(&files)?.compute()?, ["a\n", "b", "c"]);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn write<T>(&self, bag: &Bag<T>) -> Result<Vec<PathBuf>>
    where
        T: AsRef<str> + Clone + Send + Sync + 'static,
    {
        let targets = self.targets(bag.npartitions())?;
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = targets.iter().find(|t| !seen.insert(*t)) {
            return Err(Error::InvalidArgument(format!(
                "to_textfiles: two partitions would be written to {}",
                dup.display()
            )));
        }
        let tag = Key::unique_name("tmp");
        let temps: Vec<PathBuf> = targets
            .iter()
            .map(|t| {
                let name = t.file_name().map(|n| n.to_string_lossy().into_owned());
                let name = name.unwrap_or_default();
                t.with_file_name(format!(".{name}.{}-{tag}", std::process::id()))
            })
            .collect();
        for target in &targets {
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Error::file(dir, "creating the directory", &e))?;
            }
        }
        let mut cx = Lowering::for_options(&self.options);
        let (jobs, last_endline) = (
            Arc::new((targets.clone(), temps.clone())),
            self.last_endline,
        );
        let keys = bag.per_partition(&mut cx, "to_textfiles", move |i, feed| {
            let (targets, temps) = &*jobs;
            write_partition(&targets[i], &temps[i], last_endline, |line| {
                feed.for_each(line)
            })?;
            Ok(())
        })?;
        let done = Key::new(format!("{}-done", Key::unique_name("to_textfiles")));
        let renames = Arc::new((targets.clone(), temps.clone()));
        cx.call(done.clone(), "to_textfiles-rename", keys, move |_| {
            let (targets, temps) = &*renames;
            for (temp, target) in temps.iter().zip(targets) {
                std::fs::rename(temp, target).map_err(|e| Error::file(target, "renaming", &e))?;
            }
            Ok(Value::new(()))
        })?;
        let result = cx
            .graph
            .compile(std::slice::from_ref(&done))
            .and_then(|exec| self.options.run(&exec));
        if let Err(e) = result {
            for temp in &temps {
                let _ = std::fs::remove_file(temp);
            }
            return Err(e);
        }
        Ok(targets)
    }
}

/// A writer that compresses by the target's extension.
enum Encoder {
    Plain(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
    Bzip2(bzip2::write::BzEncoder<BufWriter<File>>),
}

impl Encoder {
    fn new(target: &Path, file: File) -> io::Result<Encoder> {
        let w = BufWriter::with_capacity(BUFFER, file);
        Ok(match Compression::of(target) {
            Compression::None => Encoder::Plain(w),
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::default(),
            )),
            Compression::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(w, 3)?),
            Compression::Bzip2 => Encoder::Bzip2(bzip2::write::BzEncoder::new(
                w,
                bzip2::Compression::default(),
            )),
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Encoder::Plain(w) => w,
            Encoder::Gzip(w) => w,
            Encoder::Zstd(w) => w,
            Encoder::Bzip2(w) => w,
        }
    }

    /// Finishes the compressed stream and flushes the file.
    fn finish(self) -> io::Result<()> {
        let mut w = match self {
            Encoder::Plain(w) => w,
            Encoder::Gzip(w) => w.finish()?,
            Encoder::Zstd(w) => w.finish()?,
            Encoder::Bzip2(w) => w.finish()?,
        };
        w.flush()
    }
}

/// Writes one partition's items (`feed` calls its argument on each) joined by `\n` into
/// `temp`, compressed by `target`'s extension. Removes `temp` on failure.
fn write_partition<T: AsRef<str>>(
    target: &Path,
    temp: &Path,
    last_endline: bool,
    feed: impl FnOnce(&mut dyn FnMut(T)) -> Result<()>,
) -> Result<()> {
    let result = (|| {
        let file = File::create_new(temp).map_err(|e| Error::file(temp, "creating", &e))?;
        let mut encoder =
            Encoder::new(target, file).map_err(|e| Error::file(target, "writing", &e))?;
        let mut failed: Option<io::Error> = None;
        let mut first = true;
        {
            let w = encoder.writer();
            feed(&mut |item: T| {
                if failed.is_some() {
                    return;
                }
                let sep: &[u8] = if first { b"" } else { b"\n" };
                first = false;
                if let Err(e) = w
                    .write_all(sep)
                    .and_then(|_| w.write_all(item.as_ref().as_bytes()))
                {
                    failed = Some(e);
                }
            })?;
            if last_endline
                && !first
                && failed.is_none()
                && let Err(e) = w.write_all(b"\n")
            {
                failed = Some(e);
            }
        }
        if let Some(e) = failed {
            return Err(Error::file(target, "writing", &e));
        }
        encoder
            .finish()
            .map_err(|e| Error::file(target, "writing", &e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(temp);
    }
    result
}

impl<T: AsRef<str> + Clone + Send + Sync + 'static> Bag<T> {
    /// Writes one text file per partition, one line per item: Dask's `to_textfiles`. `path`
    /// is a pattern with one `*` (replaced by the partition number, zero-padded), a
    /// directory, or one path per partition; `.gz`, `.zst` and `.bz2` targets are
    /// compressed. Returns the files written. Atomic: see [`WriteText::write`], which also
    /// has the options.
    ///
    /// ```
    /// use chunkflow::Bag;
    /// let dir = std::env::temp_dir().join(format!("cf-to-textfiles-{}", std::process::id()));
    /// let bag = Bag::range(5, 2)?.map(|i| format!("line {i}"));
    /// let files = bag.to_textfiles(dir.join("out-*.txt"))?;
    /// assert!(files[0].ends_with("out-0.txt") && files[1].ends_with("out-1.txt"));
    /// assert_eq!(std::fs::read_to_string(&files[1]).unwrap(), "line 3\nline 4");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_textfiles(&self, path: impl Paths) -> Result<Vec<PathBuf>> {
        WriteText::new(path).write(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_follow_dasks_rounding() {
        let mut out = Vec::new();
        blocks_of("f.txt".into(), 10, Some(3), b'\n', &mut out);
        let ranges: Vec<_> = out.iter().map(|b| (b.start, b.end)).collect();
        assert_eq!(ranges, [(0, Some(3)), (3, Some(6)), (6, None)]);
        out.clear();
        blocks_of("f.txt".into(), 0, Some(3), b'\n', &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        blocks_of("f.txt.gz".into(), 100, Some(3), b'\n', &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn skip_line_stops_after_the_newline() {
        let mut r = io::Cursor::new(b"abc\ndef".to_vec());
        assert_eq!(skip_line(&mut r, b'\n').unwrap(), 4);
        assert_eq!(skip_line(&mut r, b'\n').unwrap(), 3);
    }

    #[test]
    fn lines_crossing_the_buffer_are_whole() {
        let text = b"abcdefgh\ngh\n\nlast";
        let mut r = BufReader::with_capacity(3, io::Cursor::new(text.to_vec()));
        let mut lines = Vec::new();
        loop {
            let line = next_line(&mut r, b'\n').unwrap();
            if line.is_empty() {
                break;
            }
            lines.push(String::from_utf8(line).unwrap());
        }
        assert_eq!(lines, ["abcdefgh\n", "gh\n", "\n", "last"]);
    }

    #[test]
    fn compression_by_extension() {
        assert_eq!(Compression::of(Path::new("a.txt.gz")), Compression::Gzip);
        assert_eq!(Compression::of(Path::new("a.zst")), Compression::Zstd);
        assert_eq!(Compression::of(Path::new("a.bz2")), Compression::Bzip2);
        assert_eq!(Compression::of(Path::new("a.txt")), Compression::None);
    }
}
