//! Bags of lines from text files and back: `Bag::read_text`, `ReadText`, `to_textfiles`,
//! checked against reading the files with std and splitting lines by hand.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chunkflow::io::text::{ReadText, WriteText};
use chunkflow::{Bag, Error, Options};
use proptest::prelude::*;

/// A fresh empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("cf-bag-text-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The lines of `text` with their terminators, as Dask's read_text gives them.
fn eager_lines(text: &[u8]) -> Vec<String> {
    text.split_inclusive(|&b| b == b'\n')
        .map(|l| String::from_utf8(l.to_vec()).unwrap())
        .collect()
}

fn sample_text(lines: usize) -> String {
    (0..lines)
        .map(|i| format!("line {i} {}\n", "word ".repeat(i % 7)))
        .collect()
}

#[test]
fn lines_match_std_for_many_blocksizes() {
    let dir = TempDir::new("blocks");
    let path = dir.join("a.txt");
    let text = sample_text(500);
    std::fs::write(&path, &text).unwrap();
    let want = eager_lines(text.as_bytes());
    for bs in [1, 2, 7, 64, 1000, 4096, 1 << 20] {
        let bag = ReadText::new(&path).blocksize(bs).lines().unwrap();
        assert_eq!(bag.npartitions() as u64, (text.len() as u64 / bs).max(1));
        assert_eq!(bag.compute().unwrap(), want, "blocksize {bs}");
        // Fused into a consumer (streamed), and unfused.
        assert_eq!(bag.count().compute().unwrap(), want.len() as u64);
        let unfused = Options::new().synchronous().fuse(false);
        assert_eq!(bag.compute_with(&unfused).unwrap(), want);
    }
}

#[test]
fn glob_list_and_include_path() {
    let dir = TempDir::new("glob");
    std::fs::write(dir.join("b.txt"), "b1\nb2\n").unwrap();
    std::fs::write(dir.join("a.txt"), "a1\n").unwrap();
    std::fs::write(dir.join("c.log"), "c1\n").unwrap();
    let lines = Bag::read_text(dir.join("*.txt")).unwrap();
    assert_eq!(lines.npartitions(), 2);
    assert_eq!(lines.compute().unwrap(), ["a1\n", "b1\n", "b2\n"]); // sorted by name
    let listed = Bag::read_text(vec![dir.join("c.log"), dir.join("a.txt")]).unwrap();
    assert_eq!(listed.compute().unwrap(), ["c1\n", "a1\n"]); // list order kept
    let tagged = ReadText::new(dir.join("*.txt")).lines_with_path().unwrap();
    let got: Vec<(String, String)> = tagged
        .compute()
        .unwrap()
        .into_iter()
        .map(|(l, p)| (l, p.file_name().unwrap().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(got[0], ("a1\n".to_string(), "a.txt".to_string()));
    assert_eq!(got[2], ("b2\n".to_string(), "b.txt".to_string()));
}

#[test]
fn crlf_and_empty_lines_are_kept() {
    let dir = TempDir::new("crlf");
    let path = dir.join("w.txt");
    let text = b"a\r\n\r\nb\n\n\nc";
    std::fs::write(&path, text).unwrap();
    for bs in [1, 3, 100] {
        let got = ReadText::new(&path)
            .blocksize(bs)
            .lines()
            .unwrap()
            .compute()
            .unwrap();
        assert_eq!(got, ["a\r\n", "\r\n", "b\n", "\n", "\n", "c"]);
        assert_eq!(got.concat().as_bytes(), text);
    }
}

#[test]
fn empty_file_is_one_empty_partition() {
    let dir = TempDir::new("empty");
    std::fs::write(dir.join("e.txt"), "").unwrap();
    let bag = ReadText::new(dir.join("e.txt"))
        .blocksize(10)
        .lines()
        .unwrap();
    assert_eq!(bag.npartitions(), 1);
    assert!(bag.compute().unwrap().is_empty());
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn compressed_files_are_whole_partitions() {
    let dir = TempDir::new("compressed");
    let text = sample_text(300);
    std::fs::write(dir.join("x.txt.gz"), gzip(text.as_bytes())).unwrap();
    std::fs::write(
        dir.join("x.txt.zst"),
        zstd::encode_all(text.as_bytes(), 3).unwrap(),
    )
    .unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(text.as_bytes()).unwrap();
    std::fs::write(dir.join("x.txt.bz2"), bz.finish().unwrap()).unwrap();
    let want = eager_lines(text.as_bytes());
    for ext in ["gz", "zst", "bz2"] {
        let bag = ReadText::new(dir.join(format!("x.txt.{ext}")))
            .blocksize(100)
            .lines()
            .unwrap();
        assert_eq!(bag.npartitions(), 1, "{ext}");
        assert_eq!(bag.compute().unwrap(), want, "{ext}");
    }
    // Concatenated gzip members read as one stream, like Python's gzip module.
    let mut two = gzip(b"first\n");
    two.extend(gzip(b"second\n"));
    std::fs::write(dir.join("two.gz"), two).unwrap();
    assert_eq!(
        Bag::read_text(dir.join("two.gz"))
            .unwrap()
            .compute()
            .unwrap(),
        ["first\n", "second\n"]
    );
}

fn file_error(err: &Error) -> (&Path, std::io::ErrorKind, &str) {
    match err.root_cause() {
        Error::File {
            path,
            kind,
            message,
        } => (path.as_path(), *kind, message.as_str()),
        other => panic!("expected Error::File, got {other:?}"),
    }
}

#[test]
fn bad_input_is_an_error_naming_the_file() {
    let dir = TempDir::new("bad");
    // Missing file, glob matching nothing, a directory, blocksize 0: when building.
    let err = Bag::read_text(dir.join("missing.txt")).unwrap_err();
    assert_eq!(file_error(&err).1, std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("missing.txt"), "{err}");
    let err = Bag::read_text(dir.join("*.nothing")).unwrap_err();
    assert!(err.to_string().contains("no file matches"), "{err}");
    std::fs::create_dir(dir.join("sub")).unwrap();
    let err = Bag::read_text(dir.join("sub")).unwrap_err();
    assert_eq!(file_error(&err).1, std::io::ErrorKind::IsADirectory);
    std::fs::write(dir.join("ok.txt"), "x\n").unwrap();
    assert!(matches!(
        ReadText::new(dir.join("ok.txt")).blocksize(0).lines(),
        Err(Error::InvalidArgument(_))
    ));
    let no_paths: Vec<PathBuf> = Vec::new();
    assert!(Bag::read_text(no_paths).is_err());

    // Truncated gzip: the task fails with the file's name.
    let gz = gzip(sample_text(2000).as_bytes());
    std::fs::write(dir.join("cut.gz"), &gz[..gz.len() / 2]).unwrap();
    let err = Bag::read_text(dir.join("cut.gz"))
        .unwrap()
        .count()
        .compute()
        .unwrap_err();
    assert!(matches!(err, Error::TaskFailed { .. }), "{err}");
    assert!(file_error(&err).0.ends_with("cut.gz"), "{err}");
    // Truncated zstd and bzip2 files too.
    let text = sample_text(2000);
    let zst = zstd::encode_all(text.as_bytes(), 3).unwrap();
    std::fs::write(dir.join("cut.zst"), &zst[..zst.len() / 2]).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(text.as_bytes()).unwrap();
    let bz = bz.finish().unwrap();
    std::fs::write(dir.join("cut.bz2"), &bz[..bz.len() / 2]).unwrap();
    for name in ["cut.zst", "cut.bz2"] {
        let err = Bag::read_text(dir.join(name))
            .unwrap()
            .count()
            .compute()
            .unwrap_err();
        assert!(file_error(&err).0.ends_with(name), "{name}: {err}");
    }
    // Not gzip at all.
    std::fs::write(dir.join("junk.gz"), b"this is not gzip\n").unwrap();
    let err = Bag::read_text(dir.join("junk.gz"))
        .unwrap()
        .compute()
        .unwrap_err();
    assert!(file_error(&err).0.ends_with("junk.gz"), "{err}");

    // Invalid UTF-8: file and offset, in every blocking; lossy replaces.
    let mut bytes = sample_text(50).into_bytes();
    let at = bytes.len() - 5;
    bytes[at] = 0xff;
    std::fs::write(dir.join("bad.txt"), &bytes).unwrap();
    for bs in [10, 100, 1 << 20] {
        let bag = ReadText::new(dir.join("bad.txt"))
            .blocksize(bs)
            .lines()
            .unwrap();
        let err = bag.compute().unwrap_err();
        let (path, kind, message) = file_error(&err);
        assert!(path.ends_with("bad.txt"));
        assert_eq!(kind, std::io::ErrorKind::InvalidData);
        assert!(message.contains(&format!("byte {at}")), "{message}");
        let lossy = ReadText::new(dir.join("bad.txt"))
            .blocksize(bs)
            .lossy(true)
            .lines()
            .unwrap();
        let want = eager_lines(String::from_utf8_lossy(&bytes).as_bytes());
        assert_eq!(lossy.compute().unwrap(), want);
    }
    std::fs::write(dir.join("bad.gz"), gzip(&bytes)).unwrap();
    let err = Bag::read_text(dir.join("bad.gz"))
        .unwrap()
        .compute()
        .unwrap_err();
    assert!(
        file_error(&err)
            .2
            .contains(&format!("byte {at} of the decompressed")),
        "{err}"
    );
}

#[test]
fn a_panicking_closure_is_an_error() {
    let dir = TempDir::new("panic");
    std::fs::write(dir.join("p.txt"), "a\nb\n").unwrap();
    let bag = Bag::read_text(dir.join("p.txt")).unwrap().map(|l| {
        assert!(l != "b\n", "no b");
        l
    });
    let err = bag.compute().unwrap_err();
    assert!(
        matches!(err.root_cause(), Error::Panic(m) if m.contains("no b")),
        "{err}"
    );
}

#[test]
fn word_count_from_files_matches_eager() {
    let dir = TempDir::new("wc");
    let corpus = chunkflow::bag::corpus::Corpus::standard();
    let lines = corpus.bag(3000, 1000).unwrap().compute().unwrap();
    let mut eager = std::collections::HashMap::<String, u64>::new();
    for (f, chunk) in lines.chunks(1000).enumerate() {
        let text: String = chunk.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(dir.join(format!("part{f}.txt")), text).unwrap();
        for w in chunk.iter().flat_map(|l| l.split_whitespace()) {
            *eager.entry(w.to_string()).or_default() += 1;
        }
    }
    let bag = ReadText::new(dir.join("part*.txt"))
        .blocksize(4096)
        .lines()
        .unwrap();
    assert!(bag.npartitions() > 3);
    let counts = bag
        .flat_map_ref(|l, emit| l.split_whitespace().for_each(emit))
        .frequencies();
    let got: std::collections::HashMap<String, u64> =
        counts.compute().unwrap().into_iter().collect();
    assert_eq!(got, eager);
}

#[test]
fn to_textfiles_round_trips_every_compression() {
    let dir = TempDir::new("write");
    let items: Vec<String> = (0..100).map(|i| format!("item {i}")).collect();
    let bag = Bag::from_vec(items.clone(), 4).unwrap();
    for ext in ["txt", "txt.gz", "txt.zst", "txt.bz2"] {
        let files = bag
            .to_textfiles(dir.join(format!("{ext}/part-*.{ext}")))
            .unwrap();
        assert_eq!(files.len(), 4);
        assert!(files[2].ends_with(format!("part-2.{ext}")));
        let back = Bag::read_text(&files)
            .unwrap()
            .map(|l| l.trim_end().to_string());
        assert_eq!(back.compute().unwrap(), items, "{ext}");
        // Only the final files are left: no temporary files.
        let names = std::fs::read_dir(dir.join(ext)).unwrap().count();
        assert_eq!(names, 4, "{ext}");
    }
    let plain = std::fs::read_to_string(dir.join("txt/part-0.txt")).unwrap();
    assert!(plain.starts_with("item 0\nitem 1\n") && !plain.ends_with('\n'));
    // A directory means DIR/*.part; zero-padded numbers sort in partition order.
    let many = Bag::from_vec(items.clone(), 12).unwrap();
    let files = many.to_textfiles(dir.join("parts")).unwrap();
    assert!(files[0].ends_with("00.part") && files[11].ends_with("11.part"));
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(sorted, files);
    // An explicit list, and a read_text → write → read_text pipeline, streamed.
    let names = [dir.join("l/a.txt"), dir.join("l/b.txt")];
    let two = Bag::from_vec(items.clone(), 2).unwrap();
    WriteText::new(names.as_slice())
        .last_endline(true)
        .write(&two)
        .unwrap();
    let text = std::fs::read_to_string(&names[1]).unwrap();
    assert!(text.ends_with("item 99\n"));
    let upper = Bag::read_text(names.as_slice())
        .unwrap()
        .map(|l| l.trim_end().to_uppercase());
    let out = upper.to_textfiles(dir.join("upper/*.txt")).unwrap();
    assert_eq!(
        std::fs::read_to_string(&out[0]).unwrap().lines().next(),
        Some("ITEM 0")
    );
}

#[test]
fn to_textfiles_bad_targets_and_failures_leave_nothing() {
    let dir = TempDir::new("writefail");
    let bag = Bag::from_vec(vec!["a", "b", "c"], 3).unwrap();
    assert!(bag.to_textfiles(dir.join("*-*.txt")).is_err()); // two stars
    assert!(bag.to_textfiles([dir.join("a"), dir.join("b")]).is_err()); // 2 paths, 3 parts
    let same = WriteText::new(dir.join("*.txt")).name_function(|_| "x".into());
    assert!(matches!(same.write(&bag), Err(Error::InvalidArgument(_))));
    let three = [dir.join("a.txt"), dir.join("b.txt"), dir.join("c.txt")];
    assert_eq!(bag.to_textfiles(&three).unwrap(), three);
    // A partition that panics mid-way: no file (final or temporary) is left.
    let failing = Bag::from_vec((0..300).collect::<Vec<u32>>(), 3)
        .unwrap()
        .map(|i| {
            assert!(i != 250, "item 250");
            i.to_string()
        });
    let err = failing.to_textfiles(dir.join("out/*.txt")).unwrap_err();
    assert!(err.to_string().contains("item 250"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.join("out")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    // A failure does not touch an existing file.
    std::fs::write(dir.join("out/0.txt"), "old").unwrap();
    assert!(failing.to_textfiles(dir.join("out/*.txt")).is_err());
    assert_eq!(
        std::fs::read_to_string(dir.join("out/0.txt")).unwrap(),
        "old"
    );
    // A target directory that cannot be created.
    std::fs::write(dir.join("file"), "x").unwrap();
    let err = bag.to_textfiles(dir.join("file/sub/*.txt")).unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For any text (empty lines, CR, a missing final newline, multi-byte UTF-8) and any
    /// blocksize, read_text yields exactly the file's lines in order, each partition
    /// holding the lines that start in its byte range.
    #[test]
    fn read_text_yields_the_lines_for_any_blocksize(
        lines in proptest::collection::vec("[a-cé\r ]{0,12}", 0..40),
        trailing_newline in any::<bool>(),
        blocksize in 1u64..200,
    ) {
        let dir = TempDir::new("prop");
        let mut text = lines.join("\n");
        if trailing_newline && !text.is_empty() {
            text.push('\n');
        }
        let path = dir.join("p.txt");
        std::fs::write(&path, &text).unwrap();
        let bag = ReadText::new(&path).blocksize(blocksize).lines().unwrap();
        prop_assert_eq!(bag.npartitions() as u64, (text.len() as u64 / blocksize).max(1));
        let got = bag.compute().unwrap();
        prop_assert_eq!(&got, &eager_lines(text.as_bytes()));
        prop_assert_eq!(bag.count().compute().unwrap(), got.len() as u64);
        // Another one-byte delimiter: the same split at that byte.
        let spaced = ReadText::new(&path).blocksize(blocksize).linedelimiter(b' ').lines().unwrap();
        let want: Vec<String> = text.split_inclusive(' ').map(String::from).collect();
        prop_assert_eq!(spaced.compute().unwrap(), want);
    }
}
