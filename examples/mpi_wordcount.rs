//! Word count across MPI ranks: the same computation as `examples/wordcount.rs` (the
//! generated Zipf corpus, `flat_map_ref` into words, `foldby` word, top 10), run by every
//! rank with the [`Mpi`](chunkflow::distributed::Mpi) scheduler.
//!
//! ```sh
//! cargo build --release --features mpi --example mpi_wordcount
//! mpirun -n 2 --oversubscribe target/release/examples/mpi_wordcount [--lines N] [--threads T]
//! ```
//! With `--threads` above 1, add `--bind-to none` (OpenMPI binds each of 2 ranks to one
//! core by default, which the threads would then share):
//! ```sh
//! mpirun -n 2 --oversubscribe --bind-to none target/release/examples/mpi_wordcount --threads 2
//! ```
//! Each rank generates and counts its own partitions of lines; the per-partition tables are
//! merged on each rank first, and only merged tables cross ranks. Rank 0 prints the ten most
//! frequent words (the same as the single-process example) and the time.

use std::time::Instant;

use chunkflow::Options;
use chunkflow::bag::corpus::Corpus;
use chunkflow::distributed::Mpi;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut threads = 1;
    let mut nlines: u64 = 2_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or("--threads needs a value")?.parse()?,
            "--lines" => nlines = args.next().ok_or("--lines needs a value")?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let mpi = Mpi::new(threads)?;
    let lines = Corpus::standard().bag(nlines, 100_000)?;
    let counts = lines
        .flat_map_ref(|line, emit| line.split_whitespace().for_each(emit))
        .foldby(|n, _| n + 1, 0_u64, |a, b| a + b, 0);
    let top = counts.topk(10, |(w, n)| (*n, std::cmp::Reverse(w.clone())));

    let start = Instant::now();
    let top = top.compute_with(&Options::default().scheduler(mpi.clone()))?;
    let elapsed = start.elapsed();
    let traffic = mpi.traffic();
    if mpi.rank() == 0 {
        println!("{nlines} generated lines (generated lazily, inside the timed run)");
        for (word, n) in &top {
            println!("{n:>10}  {word}");
        }
        println!(
            "{} ranks × {threads} threads: {:.3} s",
            mpi.size(),
            elapsed.as_secs_f64()
        );
    }
    println!(
        "rank {}: sent {} bytes in {} messages",
        mpi.rank(),
        traffic.bytes_sent,
        traffic.messages_sent
    );
    Ok(())
}
