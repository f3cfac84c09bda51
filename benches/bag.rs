//! Word count on the standard corpus: 2,000,000 lines × 10 Zipf-distributed words from a
//! 50,000-word vocabulary (`chunkflow::bag::corpus`), 100,000 lines per partition.
//!
//! - `foldby/threads-1`, `foldby/threads-2`: `flat_map_ref(split_whitespace) → foldby`;
//! - `frequencies/threads-2`: `flat_map_ref(split_whitespace) → frequencies`;
//! - `owned-frequencies/threads-2`: owned words (`flat_map` → `frequencies`, fused), one
//!   `String` per word, as a naive translation of Dask's code would do;
//! - `unfused-foldby/threads-2`: the owned-word `flat_map → foldby` with fusion off;
//! - `hand-written/std-hashmap`: the single-threaded loop a programmer would write,
//!   `HashMap<&str, u64>` with std's hasher; `hand-written/fx-hashmap`: the same with FxHash.
//!
//! - `files/read-text/threads-2`: the same corpus written to 8 text files (once, in the
//!   system temp dir), `Bag::read_text` (blocks of 16 MiB) `→ flat_map_ref → frequencies`;
//!   `files/hand-written/fx-hashmap`: the same files memory-mapped and counted by one
//!   thread into an `FxHashMap<&str, u64>`.
//!
//! Corpus generation and partitioning are outside the timed loop.

use std::collections::HashMap;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use chunkflow::Bag;
use chunkflow::Options;
use chunkflow::bag::corpus::Corpus;

const LINES: u64 = 2_000_000;
const LINES_PER_PARTITION: usize = 100_000;

fn owned_words(lines: &Bag<String>) -> Bag<String> {
    lines.flat_map(|line: String| {
        line.split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>()
    })
}

fn bench(c: &mut Criterion) {
    let text = Corpus::standard().lines(0..LINES);
    let lines = Bag::from_vec_sized(text.clone(), LINES_PER_PARTITION).unwrap();
    let one = Options::new().threads(1).unwrap();
    let two = Options::new().threads(2).unwrap();
    let words = lines.flat_map_ref(|line, emit| line.split_whitespace().for_each(emit));
    let foldby = words.foldby(|n, _| n + 1, 0_u64, |a, b| a + b, 0);
    let frequencies = words.frequencies();
    let owned_frequencies = owned_words(&lines).frequencies();
    let owned_foldby =
        owned_words(&lines).foldby(|w: &String| w.clone(), |n, _| n + 1, 0_u64, |a, b| a + b, 0);
    let unfused = two.clone().fuse(false);

    let mut group = c.benchmark_group("wordcount");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(LINES * 10));
    group.bench_function("foldby/threads-1", |b| {
        b.iter(|| foldby.compute_with(&one).unwrap())
    });
    group.bench_function("foldby/threads-2", |b| {
        b.iter(|| foldby.compute_with(&two).unwrap())
    });
    group.bench_function("frequencies/threads-2", |b| {
        b.iter(|| frequencies.compute_with(&two).unwrap())
    });
    group.bench_function("owned-frequencies/threads-2", |b| {
        b.iter(|| owned_frequencies.compute_with(&two).unwrap())
    });
    group.bench_function("unfused-foldby/threads-2", |b| {
        b.iter(|| owned_foldby.compute_with(&unfused).unwrap())
    });
    group.bench_function("hand-written/std-hashmap", |b| {
        b.iter(|| {
            let mut counts: HashMap<&str, u64> = HashMap::new();
            for line in &text {
                for word in line.split_whitespace() {
                    *counts.entry(word).or_insert(0) += 1;
                }
            }
            counts.len()
        })
    });
    group.bench_function("hand-written/fx-hashmap", |b| {
        b.iter(|| {
            let mut counts: rustc_hash::FxHashMap<&str, u64> = Default::default();
            for line in &text {
                for word in line.split_whitespace() {
                    *counts.entry(word).or_insert(0) += 1;
                }
            }
            counts.len()
        })
    });
    group.finish();

    // The same corpus from text files.
    let dir = std::env::temp_dir().join(format!("chunkflow-bench-bag-{}", std::process::id()));
    let files = Bag::from_vec(text, 8)
        .unwrap()
        .to_textfiles(dir.join("*.txt"))
        .unwrap();
    let from_files = chunkflow::io::text::ReadText::new(&files)
        .blocksize(16 << 20)
        .lines()
        .unwrap()
        .flat_map_ref(|line, emit| line.split_whitespace().for_each(emit))
        .frequencies();
    let maps: Vec<memmap2::Mmap> = files
        .iter()
        .map(|f| {
            let file = std::fs::File::open(f).unwrap();
            // SAFETY: the benchmark's files are not modified while mapped.
            unsafe { memmap2::Mmap::map(&file) }.unwrap()
        })
        .collect();
    let mut group = c.benchmark_group("files");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(LINES * 10));
    group.bench_function("read-text/threads-2", |b| {
        b.iter(|| from_files.compute_with(&two).unwrap())
    });
    group.bench_function("hand-written/fx-hashmap", |b| {
        b.iter(|| {
            let mut counts: rustc_hash::FxHashMap<&str, u64> = Default::default();
            for map in &maps {
                for word in std::str::from_utf8(map).unwrap().split_whitespace() {
                    *counts.entry(word).or_insert(0) += 1;
                }
            }
            counts.len()
        })
    });
    group.finish();
    drop(maps);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
