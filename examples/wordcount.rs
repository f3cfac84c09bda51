//! Word count, the signature example of Dask's bag: lines → words → counts per word.
//! Prints the total number of words, the ten most frequent words and the time taken.
//!
//! ```sh
//! cargo run --release --example wordcount -- FILES…              # text files or globs
//! cargo run --release --example wordcount -- 'logs/*.txt.gz'     # compressed: by extension
//! cargo run --release --example wordcount                        # 2,000,000 generated lines
//! cargo run --release --example wordcount -- --corpus-files --lines 16000000   # ~1 GB files
//! ```
//! Files are read with `Bag::read_text` (blocks of `--blocksize` bytes, default 64 MiB;
//! `.gz`, `.zst`, `.bz2` files whole), words counted with `flat_map_ref(split_whitespace)`
//! → `frequencies` (no allocation per word). Options: `--threads T` (default: one per core),
//! `--blocksize B`, and `--lines N` for the generated corpus. `--corpus-files` writes the
//! generated corpus once as 8 text files under `target/wordcount-corpus/{N}-lines/` (the
//! `wordcount_files` workload's files: either reuses what the other wrote) and counts
//! those, read with `Bag::read_text`.

use std::time::Instant;

use chunkflow::Bag;
use chunkflow::Options;
use chunkflow::bag::corpus::Corpus;
use chunkflow::io::text::{DEFAULT_BLOCKSIZE, ReadText};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut nlines: u64 = 2_000_000;
    let mut blocksize = DEFAULT_BLOCKSIZE;
    let mut corpus_files = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or("--threads needs a value")?.parse()?,
            "--lines" => nlines = args.next().ok_or("--lines needs a value")?.parse()?,
            "--blocksize" => blocksize = args.next().ok_or("--blocksize needs a value")?.parse()?,
            "--corpus-files" => corpus_files = true,
            other => files.push(other.to_string()),
        }
    }
    if corpus_files {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/wordcount-corpus")
            .join(format!("{nlines}-lines"));
        let start = Instant::now();
        let paths = Corpus::standard().write_files(&dir, nlines, 8)?;
        println!(
            "corpus of {nlines} lines in 8 files under {} ({:.1} s; written once, then reused)",
            dir.display(),
            start.elapsed().as_secs_f64()
        );
        files.extend(paths.iter().map(|p| p.display().to_string()));
    }
    let lines: Bag<String> = if files.is_empty() {
        println!("{nlines} generated lines (generated lazily, inside the timed run)");
        Corpus::standard().bag(nlines, 100_000)?
    } else {
        let lines = ReadText::new(files.clone()).blocksize(blocksize).lines()?;
        let shown = if files.len() > 3 {
            format!("{} … ({} paths)", files[..3].join(" "), files.len())
        } else {
            files.join(" ")
        };
        println!(
            "{shown}: {} partitions (blocks of about {blocksize} bytes)",
            lines.npartitions()
        );
        lines
    };
    let counts = lines
        .flat_map_ref(|line, emit| line.split_whitespace().for_each(emit))
        .frequencies();

    let options = Options::default().threads(threads)?;
    let start = Instant::now();
    let mut counts = counts.compute_with(&options)?;
    let elapsed = start.elapsed();
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    counts.sort_unstable_by(|(a, m), (b, n)| n.cmp(m).then_with(|| a.cmp(b)));
    println!("{total} words, {} distinct", counts.len());
    for (word, n) in counts.iter().take(10) {
        println!("{n:>10}  {word}");
    }
    println!("{threads} threads: {:.3} s", elapsed.as_secs_f64());
    Ok(())
}
