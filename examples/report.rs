//! Writes an HTML performance report of a small anomaly workload
//! (`((X - X.mean(axis=0))^2).sum()` over a generated matrix): the task stream per worker,
//! time and bytes per operation, memory over time, the optimized plan and the options.
//!
//! ```sh
//! cargo run --release --example report -- [--rows N] [--out report.html]
//! ```
//! Then open the file in a browser (it needs no network).

use chunkflow::{Options, random};

fn main() -> chunkflow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let rows: usize = value("--rows").map_or(8000, |v| v.parse().expect("a number"));
    let out = value("--out").unwrap_or_else(|| "report.html".into());

    let x = random::normal(0.0, 1.0, &[rows, 1000], [rows.div_ceil(16).max(1), 1000], 7)?;
    let anomaly = (&x - &x.mean_axis(0)?).powi(2).sum();
    let options = Options::default().report(&out);
    let total = anomaly.scalar_with(&options)?;
    println!("sum of squared deviations: {total:.1}");
    println!("report written to {out}");
    Ok(())
}
