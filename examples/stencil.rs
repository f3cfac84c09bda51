//! Stencils with `map_overlap`: explicit heat diffusion on a periodic n×n grid (the 5-point
//! Laplacian) and a 1-D moving average, each checked against the same stencil on the whole
//! ndarray.
//!
//! Run: `cargo run --release --example stencil -- [--n N] [--chunk C] [--steps S]`

use std::time::Instant;

use chunkflow::{Array, Boundary, Options};
use ndarray::{Array1, Array2, ArrayD, ArrayViewD, Ix1, Ix2};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.replace('_', "").parse::<f64>().expect("a number") as usize)
        .unwrap_or(default)
}

/// One explicit diffusion step `u + k * laplacian(u)` on the interior of a block.
fn diffuse(block: ArrayViewD<'_, f64>) -> ArrayD<f64> {
    let u = block.into_dimensionality::<Ix2>().expect("2-D");
    let mut out = u.to_owned();
    let (n, m) = u.dim();
    for i in 1..n - 1 {
        for j in 1..m - 1 {
            let lap =
                u[[i - 1, j]] + u[[i + 1, j]] + u[[i, j - 1]] + u[[i, j + 1]] - 4.0 * u[[i, j]];
            out[[i, j]] = u[[i, j]] + 0.2 * lap;
        }
    }
    out.into_dyn()
}

/// The same step on the whole grid with periodic wrap-around.
fn diffuse_whole(u: &Array2<f64>) -> Array2<f64> {
    let (n, m) = u.dim();
    Array2::from_shape_fn((n, m), |(i, j)| {
        let lap = u[[(i + n - 1) % n, j]]
            + u[[(i + 1) % n, j]]
            + u[[i, (j + m - 1) % m]]
            + u[[i, (j + 1) % m]]
            - 4.0 * u[[i, j]];
        u[[i, j]] + 0.2 * lap
    })
}

fn main() -> chunkflow::Result<()> {
    let n = arg("--n", 1000);
    let chunk = arg("--chunk", 250);
    let steps = arg("--steps", 10);
    let options = Options::default();

    // Heat diffusion: a hot square in a cold periodic grid.
    let start = Array2::from_shape_fn((n, n), |(i, j)| {
        if (n / 3..2 * n / 3).contains(&i) && (n / 3..2 * n / 3).contains(&j) {
            1.0
        } else {
            0.0
        }
    });
    let t = Instant::now();
    let mut u = Array::from_ndarray(start.clone(), [chunk, chunk])?;
    for _ in 0..steps {
        u = u
            .map_overlap(&[1, 1], Boundary::Periodic, diffuse)?
            .persist_with(&options)?;
    }
    let lazy = u.compute_with(&options)?;
    let lazy_s = t.elapsed().as_secs_f64();
    let mut whole = start;
    for _ in 0..steps {
        whole = diffuse_whole(&whole);
    }
    let max_err = lazy
        .iter()
        .zip(whole.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0_f64, f64::max);
    assert!(
        max_err == 0.0,
        "diffusion differs from the whole-array stencil by {max_err}"
    );
    println!(
        "heat: {n}x{n} in {chunk}x{chunk} chunks, {steps} steps in {lazy_s:.3} s; \
         heat kept {:.6} (of {:.6}); equal to the whole-array stencil",
        lazy.sum(),
        whole.sum()
    );

    // A moving average of width 2k + 1 over a noisy signal, edges held by `Nearest`.
    let k = 3;
    let len = n * 10;
    let signal = Array1::from_shape_fn(len, |i| ((i * 7919) % 101) as f64 + i as f64 * 0.01);
    let x = Array::from_ndarray(signal.clone(), chunk)?;
    let avg = x.map_overlap(&[k], Boundary::Nearest, move |b| {
        let b = b.into_dimensionality::<Ix1>().expect("1-D");
        let mut out = b.to_owned();
        for i in k..b.len() - k {
            out[i] = (i - k..=i + k).map(|j| b[j]).sum::<f64>() / (2 * k + 1) as f64;
        }
        out.into_dyn()
    })?;
    let got = avg.compute_with(&options)?;
    let expected = Array1::from_shape_fn(len, |i| {
        (0..=2 * k)
            .map(|t| signal[(i + t).saturating_sub(k).min(len - 1)])
            .sum::<f64>()
            / (2 * k + 1) as f64
    });
    assert_eq!(got, expected.into_dyn(), "moving average differs");
    println!(
        "moving average: {len} samples in chunks of {chunk}, width {}: equal",
        2 * k + 1
    );
    Ok(())
}
