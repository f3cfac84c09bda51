//! A command-line runner for the design notes' workloads, for comparing chunkflow against
//! other tools from a shell. Prints exactly one JSON line per run:
//!
//! ```text
//! cargo run --release --example workloads -- NAME [--n N] [--threads T] [--chunk C] [--no-fuse]
//! {"workload": "dist", "n": 100000000, "threads": 2, "chunk": 4000000, "fused": true,
//!  "seconds_median": 0.061, "seconds_min": 0.060, "checksum": 14142.1}
//! ```
//!
//! Each run is timed 5 times after 1 warm-up; input generation is not timed. The checksum is
//! the sum of the result's elements (or the scalar result). `--hand-written` times the
//! hand-written single-pass rayon loop instead (its JSON line says `"fused": true`, as the
//! loop is one pass).

use std::time::Instant;

use chunkflow::Options;
use chunkflow::workloads::{Inputs, NAMES};

struct Args {
    name: String,
    n: Option<usize>,
    threads: usize,
    chunk: Option<usize>,
    fuse: bool,
    hand_written: bool,
}

fn parse() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let name = args
        .next()
        .ok_or("usage: workloads NAME [--n N] [--threads T] [--chunk C] [--no-fuse]")?;
    let mut parsed = Args {
        name,
        n: None,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        chunk: None,
        fuse: true,
        hand_written: false,
    };
    while let Some(flag) = args.next() {
        let mut number = || -> Result<usize, String> {
            let v = args.next().ok_or(format!("{flag} needs a value"))?;
            v.replace('_', "")
                .parse::<f64>()
                .map(|f| f as usize)
                .map_err(|_| format!("{flag}: {v} is not a number"))
        };
        match flag.as_str() {
            "--n" => parsed.n = Some(number()?),
            "--threads" => parsed.threads = number()?,
            "--chunk" => parsed.chunk = Some(number()?),
            "--no-fuse" => parsed.fuse = false,
            "--hand-written" => parsed.hand_written = true,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(parsed)
}

/// Default size and chunk of each workload (the design notes' sizes).
fn defaults(name: &str) -> (usize, usize) {
    match name {
        "distmat" => (5000, 500),
        "meanstd" | "anomaly" => (20000, 400),
        _ => (100_000_000, 4_000_000),
    }
}

fn time(mut run: impl FnMut() -> chunkflow::Result<f64>) -> chunkflow::Result<(f64, f64, f64)> {
    let checksum = run()?;
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        run()?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok((times[2], times[0], checksum))
}

fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if !NAMES.contains(&args.name.as_str()) {
        eprintln!("unknown workload {:?}; known: {NAMES:?}", args.name);
        std::process::exit(2);
    }
    let (n0, c0) = defaults(&args.name);
    let (n, chunk) = (args.n.unwrap_or(n0), args.chunk.unwrap_or(c0));
    let result = Inputs::new(&args.name, n, chunk).and_then(|inputs| {
        let options = Options::default().threads(args.threads)?.fuse(args.fuse);
        if args.hand_written {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(args.threads)
                .build()
                .map_err(|e| chunkflow::Error::InvalidArgument(e.to_string()))?;
            return time(|| Ok(pool.install(|| inputs.run_hand_written())));
        }
        time(|| inputs.run_chunkflow(&options))
    });
    match result {
        Ok((median, min, checksum)) => println!(
            "{{\"workload\": \"{}\", \"n\": {n}, \"threads\": {}, \"chunk\": {chunk}, \"fused\": {}, \"seconds_median\": {median:.6}, \"seconds_min\": {min:.6}, \"checksum\": {checksum}}}",
            args.name, args.threads, args.fuse
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
