//! Word count, the signature example of Dask's bag: `flat_map` lines into words, then
//! `foldby` word. Prints the ten most frequent words and the time taken.
//!
//! ```sh
//! cargo run --release --example wordcount                # 2,000,000 generated lines
//! cargo run --release --example wordcount -- corpus.txt  # one document per line
//! ```
//! Optional: `--threads T` (default: one per core), `--lines N` for the generated corpus.

use std::time::Instant;

use chunkflow::Bag;
use chunkflow::Options;
use chunkflow::bag::corpus::Corpus;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut path = None;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut nlines: u64 = 2_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or("--threads needs a value")?.parse()?,
            "--lines" => nlines = args.next().ok_or("--lines needs a value")?.parse()?,
            other => path = Some(other.to_string()),
        }
    }
    let lines_per_partition = 100_000;
    let lines: Bag<String> = match &path {
        Some(path) => {
            let text = std::fs::read_to_string(path)?;
            let lines: Vec<String> = text.lines().map(String::from).collect();
            println!("{} lines from {path}", lines.len());
            Bag::from_vec_sized(lines, lines_per_partition as usize)?
        }
        None => {
            println!("{nlines} generated lines (generated lazily, inside the timed run)");
            Corpus::standard().bag(nlines, lines_per_partition)?
        }
    };
    let counts = lines
        .flat_map_ref(|line, emit| line.split_whitespace().for_each(emit))
        .foldby(|n, _| n + 1, 0_u64, |a, b| a + b, 0);
    let top = counts.topk(10, |(w, n)| (*n, std::cmp::Reverse(w.clone())));

    let options = Options::default().threads(threads)?;
    let start = Instant::now();
    let top = top.compute_with(&options)?;
    let elapsed = start.elapsed();
    for (word, n) in &top {
        println!("{n:>10}  {word}");
    }
    println!("{threads} threads: {:.3} s", elapsed.as_secs_f64());
    Ok(())
}
