//! Monte Carlo π across MPI ranks: the same computation as `examples/pi.rs`, run by every
//! rank with the [`Mpi`](chunkflow::distributed::Mpi) scheduler.
//!
//! ```sh
//! cargo build --release --features mpi --example mpi_pi
//! mpirun -n 2 --oversubscribe target/release/examples/mpi_pi [--n N] [--chunk C] [--threads T]
//! ```
//! With `--threads` above 1, add `--bind-to none` (OpenMPI binds each of 2 ranks to one
//! core by default, which the threads would then share):
//! ```sh
//! mpirun -n 2 --oversubscribe --bind-to none target/release/examples/mpi_pi --threads 2
//! ```
//! Rank 0 prints π (the same digits as `examples/pi.rs` with the same `--n` and `--chunk`:
//! the count is an exact integer), the time, and the bytes each rank sent.

use std::time::Instant;

use chunkflow::distributed::Mpi;
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
    let threads = arg("--threads", 1);
    let mpi = Mpi::new(threads)?;
    let x = random::uniform(-1.0, 1.0, &[n], chunk, 1)?;
    let y = random::uniform(-1.0, 1.0, &[n], chunk, 2)?;
    let inside = (&x * &x + &y * &y).lt(1.0).sum();
    let options = Options::default().scheduler(mpi.clone());

    let start = Instant::now();
    let count = inside.scalar_with(&options)?;
    let seconds = start.elapsed().as_secs_f64();
    let pi = 4.0 * count as f64 / n as f64;
    let traffic = mpi.traffic();
    if mpi.rank() == 0 {
        println!(
            "n = {n}, chunks of {chunk}, {} ranks × {threads} threads",
            mpi.size()
        );
        println!("pi ≈ {pi:.8} (error {:+.2e})", pi - std::f64::consts::PI);
        println!(
            "time: {seconds:.3} s ({:.1} M samples/s)",
            n as f64 / seconds / 1e6
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
