//! The distance matrix of 5000 random points in 2-D:
//! `sqrt(sum((r[:, None, :] - r[None, :, :])², axis 2))`.
//!
//! Run: `cargo run --release --example distance_matrix -- [--n N]`

use std::time::Instant;

use chunkflow::{Array, random};
use ndarray::s;

fn main() -> chunkflow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--n")
        .and_then(|i| args.get(i + 1))
        .map_or(5000, |v| v.parse().expect("a number"));
    let r: Array<f64> = random::uniform(0.0, 1.0, &[n, 2], [500, 2], 7)?.persist()?;
    let diff = &r.slice(s![.., ndarray::NewAxis, ..])? - &r.slice(s![ndarray::NewAxis, .., ..])?;
    let dist = diff.powi(2).sum_axis(2)?.sqrt();

    let start = Instant::now();
    let d = dist.compute()?;
    let seconds = start.elapsed().as_secs_f64();
    let mean = d.mean().unwrap_or(f64::NAN);
    println!("{n} points: distance matrix {:?}", d.shape());
    println!("mean distance {mean:.6} (uniform unit square: 0.521405)");
    println!(
        "d[0, 1] = {:.6}, max = {:.6}",
        d[[0, 1.min(n - 1)]],
        d.iter().cloned().fold(0.0, f64::max)
    );
    println!("time: {seconds:.3} s");
    Ok(())
}
