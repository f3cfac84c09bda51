//! The benchmark workloads of DESIGN.md, one JSON line each, for comparing runs and
//! engines:
//!
//! ```sh
//! cargo run --release --example workloads -- NAME [--n N] [--threads T] [--chunk C] [--no-fuse]
//!     [--no-codegen] [--hand-written] [--runs R]
//! ```
//!
//! prints `{"workload": ..., "n": ..., "threads": ..., "chunk": ..., "fused": ...,
//! "seconds_median": ..., "seconds_min": ..., "checksum": ..., "engine": ...}` (`engine` is
//! `chunkflow` or `hand-written`; `codegen` says whether fused programs ran compiled or in
//! the interpreter, `--no-codegen`): the median and minimum of 5 (`--runs R`: R)
//! timed runs after 1 warm-up. Input generation is not timed, nor the checksum of an array
//! result (poly, distmat): a run's time covers producing the result and dropping it, as the
//! Python peers in `benches/peers` are timed. Each workload is one function
//! taking the parsed [`Args`] and returning a [`Measured`]; add new ones to [`WORKLOADS`].
//! An unknown name or flag prints an error and exits with code 2.
//!
//! Workloads:
//! - `poly`, `pi`, `dist` (n elements, default 1e8, chunks of 4e6), `distmat` (n points,
//!   default 5000, chunks of 500 rows), `meanstd`, `anomaly` (an n × 5000 matrix, default
//!   n = 20000, chunks of 400 rows): the array workloads of `benches/common/workloads.rs`. With
//!   `--hand-written`, the hand-written single-pass rayon loop runs instead (for ratios).
//! - `matmul`: `A @ B` for two n × n f64 matrices (default 4096) in chunk × chunk blocks
//!   (default 1024), by `chunkflow::matmul`; with `--hand-written`, ndarray's own `dot` on
//!   the whole matrices instead (the `matrixmultiply` GEMM, one thread). Checksum: the sum
//!   of the product.
//! - `wordcount`: `n` lines (default 2,000,000) of 10 Zipf-distributed words from a
//!   50,000-word vocabulary (fixed seed), `chunk` lines per partition (default 100,000);
//!   words counted with `flat_map_ref(split_whitespace) → foldby` (with `--no-fuse`: owned
//!   words via `flat_map`, every stage its own task). Checksum: the total word count.
//! - `wordcount_files`: the same corpus, `n` lines (default 16,000,000, about 1 GB) written
//!   once over 8 text files under `target/wordcount-corpus/` (reused by later runs), then
//!   `Bag::read_text` in blocks of `chunk` bytes (default 64 MiB) `→ flat_map_ref(split) →
//!   frequencies`. With `--hand-written`: memory-mapped files cut into one piece per thread
//!   and file at line boundaries, split and counted in an `FxHashMap<&str, u64>` per piece
//!   on rayon, merged. Checksum: the total word count.

use std::process::ExitCode;
use std::time::Instant;

use chunkflow::Bag;
use chunkflow::Options;
use chunkflow::bag::corpus::Corpus;
#[path = "../benches/common/workloads.rs"]
mod workloads;
use workloads::{Inputs, Output};

/// Command-line options shared by all workloads (`None`: the workload's default).
struct Args {
    n: Option<u64>,
    threads: usize,
    chunk: Option<u64>,
    fuse: bool,
    /// Fused programs compiled (`--no-codegen`: interpreted).
    codegen: bool,
    hand_written: bool,
    /// Timed runs (`--runs R`, default 5): many runs let a profiler see mostly the
    /// timed part.
    runs: usize,
}

/// What a workload reports: its effective size and chunking, timings and checksum.
struct Measured {
    n: u64,
    chunk: u64,
    seconds: Vec<f64>,
    checksum: f64,
}

type Workload = fn(&Args) -> chunkflow::Result<Measured>;

/// The known workloads, by name.
const WORKLOADS: &[(&str, Workload)] = &[
    ("poly", |a| array_workload("poly", a)),
    ("pi", |a| array_workload("pi", a)),
    ("dist", |a| array_workload("dist", a)),
    ("distmat", |a| array_workload("distmat", a)),
    ("meanstd", |a| array_workload("meanstd", a)),
    ("anomaly", |a| array_workload("anomaly", a)),
    ("wordcount", wordcount),
    ("wordcount_files", wordcount_files),
    ("matmul", matmul),
];

const WARMUP: usize = 1;

/// Runs `f` once to warm up, then `runs` times timed; returns the times and the last
/// result's checksum. A run's time covers producing its result and dropping it, not the
/// checksum (a serial pass over an array result, taken in between).
fn time_runs(
    runs: usize,
    mut f: impl FnMut() -> chunkflow::Result<Output>,
) -> chunkflow::Result<(Vec<f64>, f64)> {
    for _ in 0..WARMUP {
        f()?;
    }
    let mut seconds = Vec::with_capacity(runs);
    let mut checksum = 0.0;
    for _ in 0..runs {
        let start = Instant::now();
        let output = f()?;
        let produced = start.elapsed();
        checksum = output.checksum();
        let dropping = Instant::now();
        drop(output);
        seconds.push((produced + dropping.elapsed()).as_secs_f64());
    }
    Ok((seconds, checksum))
}

/// An array workload: inputs generated and persisted first (untimed), then timed.
fn array_workload(name: &str, args: &Args) -> chunkflow::Result<Measured> {
    let (n0, c0) = match name {
        "distmat" => (5000, 500),
        "meanstd" | "anomaly" => (20_000, 400),
        _ => (100_000_000, 4_000_000),
    };
    let (n, chunk) = (args.n.unwrap_or(n0), args.chunk.unwrap_or(c0));
    let inputs = Inputs::new(name, n as usize, chunk as usize)?;
    let (seconds, checksum) = if args.hand_written {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(args.threads)
            .build()
            .map_err(|e| chunkflow::Error::InvalidArgument(e.to_string()))?;
        time_runs(args.runs, || Ok(pool.install(|| inputs.run_hand_written())))?
    } else {
        let options = Options::default()
            .threads(args.threads)?
            .fuse(args.fuse)
            .codegen(args.codegen);
        time_runs(args.runs, || inputs.run_chunkflow(&options))?
    };
    Ok(Measured {
        n,
        chunk,
        seconds,
        checksum,
    })
}

fn wordcount(args: &Args) -> chunkflow::Result<Measured> {
    let n = args.n.unwrap_or(2_000_000);
    let chunk = args.chunk.unwrap_or(100_000);
    let lines = Corpus::standard().lines(0..n);
    let lines = Bag::from_vec_sized(lines, chunk as usize)?;
    let counts: Bag<(String, u64)> = if args.fuse {
        lines
            .flat_map_ref(|line, emit| line.split_whitespace().for_each(emit))
            .foldby(|c, _| c + 1, 0_u64, |a, b| a + b, 0)
    } else {
        lines
            .flat_map(|line: String| {
                line.split_whitespace()
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .foldby(|w: &String| w.clone(), |c, _| c + 1, 0_u64, |a, b| a + b, 0)
    };
    let options = Options::default()
        .threads(args.threads)?
        .fuse(args.fuse)
        .codegen(args.codegen);
    let (seconds, checksum) = time_runs(args.runs, || {
        let counts = counts.compute_with(&options)?;
        Ok(Output::Scalar(
            counts.iter().map(|(_, c)| c).sum::<u64>() as f64
        ))
    })?;
    Ok(Measured {
        n,
        chunk,
        seconds,
        checksum,
    })
}

/// The `wordcount_files` corpus: `n` standard-corpus lines over `files` text files under
/// `target/wordcount-corpus/{n}-lines/`, written once and reused while they exist
/// ([`Corpus::write_files`]; the `wordcount` example's `--corpus-files` writes the same).
fn corpus_files(n: u64, files: u64) -> chunkflow::Result<Vec<std::path::PathBuf>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/wordcount-corpus")
        .join(format!("{n}-lines"));
    Corpus::standard().write_files(dir, n, files)
}

/// The hand-written word count over files: per thread and file, a memory-mapped piece cut
/// at line boundaries, counted in an `FxHashMap<&str, u64>`; the maps merged at the end.
fn hand_written_wordcount(paths: &[std::path::PathBuf], threads: usize) -> chunkflow::Result<u64> {
    use rayon::prelude::*;
    use rustc_hash::FxHashMap;
    let maps = paths
        .iter()
        .map(|p| {
            let file =
                std::fs::File::open(p).map_err(|e| chunkflow::Error::file(p, "opening", &e))?;
            // SAFETY: the corpus files are written once and never modified while mapped.
            unsafe { memmap2::Mmap::map(&file) }
                .map_err(|e| chunkflow::Error::file(p, "mapping", &e))
        })
        .collect::<chunkflow::Result<Vec<_>>>()?;
    let mut pieces: Vec<&[u8]> = Vec::new();
    for map in &maps {
        let bytes: &[u8] = map;
        let mut start = 0;
        for k in 1..=threads {
            let mut end = (bytes.len() * k / threads).max(start);
            while end > 0 && end < bytes.len() && bytes[end - 1] != b'\n' {
                end += 1;
            }
            pieces.push(&bytes[start..end]);
            start = end;
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(chunkflow::Error::user)?;
    let counts = pool.install(|| {
        pieces
            .par_iter()
            .map(|piece| {
                let text = std::str::from_utf8(piece).expect("the corpus is ASCII");
                let mut counts: FxHashMap<&str, u64> = FxHashMap::default();
                for word in text.split_whitespace() {
                    *counts.entry(word).or_insert(0) += 1;
                }
                counts
            })
            .reduce(FxHashMap::default, |mut a, b| {
                for (w, n) in b {
                    *a.entry(w).or_insert(0) += n;
                }
                a
            })
    });
    let merged: FxHashMap<String, u64> = counts
        .into_iter()
        .map(|(w, n)| (w.to_string(), n))
        .collect();
    Ok(merged.values().sum())
}

fn wordcount_files(args: &Args) -> chunkflow::Result<Measured> {
    let n = args.n.unwrap_or(16_000_000);
    let blocksize = args.chunk.unwrap_or(chunkflow::io::text::DEFAULT_BLOCKSIZE);
    let paths = corpus_files(n, 8)?;
    let (seconds, checksum) = if args.hand_written {
        time_runs(args.runs, || {
            Ok(Output::Scalar(
                hand_written_wordcount(&paths, args.threads)? as f64,
            ))
        })?
    } else {
        let lines = chunkflow::io::text::ReadText::new(paths.clone())
            .blocksize(blocksize)
            .lines()?;
        let counts = lines
            .flat_map_ref(|line, emit| line.split_whitespace().for_each(emit))
            .frequencies();
        let options = Options::default()
            .threads(args.threads)?
            .fuse(args.fuse)
            .codegen(args.codegen);
        time_runs(args.runs, || {
            let counts = counts.compute_with(&options)?;
            Ok(Output::Scalar(
                counts.iter().map(|(_, c)| c).sum::<u64>() as f64
            ))
        })?
    };
    Ok(Measured {
        n,
        chunk: blocksize,
        seconds,
        checksum,
    })
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<(String, Args), String> {
    let name = argv.next().ok_or(
        "usage: workloads NAME [--n N] [--threads T] [--chunk C] [--no-fuse] [--no-codegen] [--hand-written] [--runs R]",
    )?;
    let mut args = Args {
        n: None,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        chunk: None,
        fuse: true,
        codegen: true,
        hand_written: false,
        runs: 5,
    };
    while let Some(flag) = argv.next() {
        let mut value = |flag: &str| -> Result<u64, String> {
            let v = argv.next().ok_or(format!("{flag} needs a value"))?;
            // Accept 2e6-style numbers as well as plain integers.
            v.parse::<u64>()
                .or_else(|_| v.parse::<f64>().map(|f| f as u64))
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--n" => args.n = Some(value("--n")?),
            "--threads" => args.threads = value("--threads")? as usize,
            "--chunk" => args.chunk = Some(value("--chunk")?),
            "--no-fuse" => args.fuse = false,
            "--no-codegen" => args.codegen = false,
            "--hand-written" => args.hand_written = true,
            "--runs" => args.runs = (value("--runs")? as usize).max(1),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok((name, args))
}

fn main() -> ExitCode {
    let (name, args) = match parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let Some((_, workload)) = WORKLOADS.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = WORKLOADS.iter().map(|(n, _)| *n).collect();
        eprintln!(
            "error: unknown workload {name:?}; known: {}",
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    match workload(&args) {
        Ok(m) => {
            let mut sorted = m.seconds.clone();
            sorted.sort_by(f64::total_cmp);
            println!(
                "{{\"workload\": \"{name}\", \"n\": {}, \"threads\": {}, \"chunk\": {}, \"fused\": {}, \"codegen\": {}, \"seconds_median\": {:.6}, \"seconds_min\": {:.6}, \"checksum\": {}, \"engine\": \"{}\"}}",
                m.n,
                args.threads,
                m.chunk,
                args.fuse,
                args.codegen,
                sorted[sorted.len() / 2],
                sorted[0],
                m.checksum,
                if args.hand_written {
                    "hand-written"
                } else {
                    "chunkflow"
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn matmul(args: &Args) -> chunkflow::Result<Measured> {
    let n = args.n.unwrap_or(4096);
    let chunk = args.chunk.unwrap_or(1024);
    let size = n as usize;
    let a = ndarray::Array2::from_shape_fn((size, size), |(i, j)| ((i * 7 + j * 3) % 17) as f64);
    let b = ndarray::Array2::from_shape_fn((size, size), |(i, j)| ((i * 5 + j) % 13) as f64);
    let (seconds, checksum) = if args.hand_written {
        time_runs(args.runs, || Ok(Output::Array(a.dot(&b).into_dyn())))?
    } else {
        let c = chunk as usize;
        let x = chunkflow::Array::from_ndarray(a.clone(), [c, c])?.persist()?;
        let y = chunkflow::Array::from_ndarray(b.clone(), [c, c])?.persist()?;
        let product = chunkflow::matmul(&x, &y)?.sum();
        let options = Options::default()
            .threads(args.threads)?
            .fuse(args.fuse)
            .codegen(args.codegen);
        time_runs(args.runs, || {
            Ok(Output::Scalar(product.scalar_with(&options)?))
        })?
    };
    Ok(Measured {
        n,
        chunk,
        seconds,
        checksum,
    })
}
