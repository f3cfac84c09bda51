//! Rotating particles: positions r (n × 2) and angular velocities w; every step
//! `r += dt * w[:, None] * perp(r) / |r|` with `perp((x, y)) = (-y, x)`. The lazy version
//! persists every k steps (so the graph stays short) and is checked against an eager
//! ndarray version.
//!
//! Run: `cargo run --release --example particles -- [--n N] [--steps S] [--every K]`

use std::time::Instant;

use chunkflow::{Array, random, stack};
use ndarray::{Array1, Array2, Axis, s};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn step(r: &Array<f64>, w: &Array<f64>, dt: f64) -> chunkflow::Result<Array<f64>> {
    let x = r.slice(s![.., 0])?;
    let y = r.slice(s![.., 1])?;
    let k = dt * w / (&x * &x + &y * &y).sqrt();
    let nx = &x - &(&k * &y);
    let ny = &y + &(&k * &x);
    stack(&[&nx, &ny], 1)
}

fn eager_step(r: &mut Array2<f64>, w: &Array1<f64>, dt: f64) {
    for (mut row, &wi) in r.axis_iter_mut(Axis(0)).zip(w) {
        let (x, y) = (row[0], row[1]);
        let k = dt * wi / (x * x + y * y).sqrt();
        row[0] = x - k * y;
        row[1] = y + k * x;
    }
}

fn main() -> chunkflow::Result<()> {
    let (n, steps, every) = (arg("--n", 100_000), arg("--steps", 50), arg("--every", 10));
    let dt = 0.01;
    let mut r = random::uniform(-1.0, 1.0, &[n, 2], [n.div_ceil(8), 2], 1)?.persist()?;
    let w = random::uniform(0.5, 2.0, &[n], n.div_ceil(8), 2)?.persist()?;
    let mut eager_r: Array2<f64> = r.compute()?.into_dimensionality().expect("2-d");
    let eager_w: Array1<f64> = w.compute()?.into_dimensionality().expect("1-d");

    let start = Instant::now();
    for i in 1..=steps {
        r = step(&r, &w, dt)?;
        if i % every == 0 || i == steps {
            r = r.persist()?;
        }
    }
    let lazy_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for _ in 0..steps {
        eager_step(&mut eager_r, &eager_w, dt);
    }
    let eager_seconds = start.elapsed().as_secs_f64();

    let lazy_r = r.compute()?;
    let max_diff = lazy_r
        .iter()
        .zip(eager_r.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!(
        "{n} particles, {steps} steps (persist every {every}): lazy {lazy_seconds:.3} s, eager {eager_seconds:.3} s"
    );
    println!("max |lazy - eager| = {max_diff:e}");
    assert!(max_diff < 1e-12, "lazy and eager disagree");
    Ok(())
}
