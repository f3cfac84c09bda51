//! Profiling the distance-matrix workload: writes a Chrome trace (open it in Perfetto or
//! chrome://tracing: one row per worker thread) and prints time per op kind.
//!
//! Run: `cargo run --release --example profile -- [--n N] [--trace PATH]`

use std::sync::Arc;

use chunkflow::diagnostics::Profiler;
use chunkflow::{Options, random};
use ndarray::{NewAxis, s};

fn main() -> chunkflow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let n: usize = value("--n").map_or(2000, |v| v.parse().expect("a number"));
    let trace = value("--trace")
        .cloned()
        .unwrap_or_else(|| "distance-matrix-trace.json".into());

    let r = random::uniform(0.0, 1.0, &[n, 2], [250, 2], 7)?;
    let dist = (&r.slice(s![.., NewAxis, ..])? - &r.slice(s![NewAxis, .., ..])?)
        .powi(2)
        .sum_axis(2)?
        .sqrt();
    let profiler = Arc::new(Profiler::new());
    let options = Options::default().observer(profiler.clone());
    let d = dist.compute_with(&options)?;
    println!(
        "distance matrix {:?}, mean {:.6}",
        d.shape(),
        d.mean().unwrap_or(f64::NAN)
    );
    println!("{} tasks; time per op kind:", profiler.records().len());
    print!("{}", profiler.summary_text());
    profiler.write_chrome_trace(&trace)?;
    println!("Chrome trace written to {trace}");
    Ok(())
}
