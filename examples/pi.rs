//! Monte Carlo π: `4 * sum(x² + y² < 1) / n` over two lazily generated uniform arrays.
//!
//! Run: `cargo run --release --example pi -- [--n N] [--chunk C] [--threads T]`
//!
//! The samples are generated chunk by chunk and never held whole, so
//! `--n 10000000000` (1e10 samples, 160 GB if materialised) runs in bounded memory, with a
//! progress bar on a terminal. The peak resident memory is printed at the end.

use std::time::Instant;

use chunkflow::{Options, random};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.replace('_', "").parse::<f64>().expect("a number") as usize)
        .unwrap_or(default)
}

fn main() -> chunkflow::Result<()> {
    let n = arg("--n", 100_000_000);
    let chunk = arg("--chunk", 4_000_000);
    let threads = arg(
        "--threads",
        std::thread::available_parallelism().map_or(1, |c| c.get()),
    );
    let x = random::uniform(-1.0, 1.0, &[n], chunk, 1)?;
    let y = random::uniform(-1.0, 1.0, &[n], chunk, 2)?;
    let inside = (&x * &x + &y * &y).lt(1.0).sum();
    let options = Options::default().threads(threads)?.progress(true);

    let start = Instant::now();
    let count = inside.scalar_with(&options)?;
    let seconds = start.elapsed().as_secs_f64();
    let pi = 4.0 * count as f64 / n as f64;
    println!("n = {n}, chunks of {chunk}, {threads} threads");
    println!("pi ≈ {pi:.8} (error {:+.2e})", pi - std::f64::consts::PI);
    println!(
        "time: {seconds:.3} s ({:.1} M samples/s)",
        n as f64 / seconds / 1e6
    );
    println!("peak memory: {:.0} MB", peak_rss_mb());
    Ok(())
}

/// The process's peak resident memory (VmHWM), in MB; NaN where /proc is unavailable.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
