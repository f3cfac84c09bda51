//! Distributed `pi` and `dist` over 2 local MPI ranks (1 worker thread each) against the
//! threaded scheduler on 2 threads, and the bytes moved between the ranks; plus `gather`,
//! an elementwise result of n/10 `f64`s (chunks of 1,000,000) that every rank receives
//! whole, which measures moving chunks between ranks.
//!
//! Not a criterion benchmark: criterion picks its iteration counts from measured times, so
//! two ranks would run different numbers of distributed computations and wait for each
//! other forever. Every rank here runs the same fixed sequence (1 warm-up, then
//! `CHUNKFLOW_BENCH_SAMPLES` timed runs, default 10) and rank 0 reports the median.
//!
//! ```sh
//! cargo bench --features mpi --bench mpi      # starts mpirun -n 2 itself
//! CHUNKFLOW_BENCH_SCALE=0.1 cargo bench --features mpi --bench mpi   # 1e7 elements
//! ```
//! The parent process times the threaded scheduler, then runs this binary under
//! `mpirun -n 2 --oversubscribe --bind-to none --allow-run-as-root` with
//! `CHUNKFLOW_MPI_BENCH=1`.
//! Inputs are the persisted arrays of `benches/common/workloads.rs` (each rank holds them all and
//! reads its own chunks), chunks of 4,000,000 elements, 1e8 elements at scale 1.

use std::process::Command;
use std::time::Instant;

use chunkflow::Options;
use chunkflow::distributed::Mpi;
#[path = "common/workloads.rs"]
mod workloads;
use workloads::Inputs;

const CHILD: &str = "CHUNKFLOW_MPI_BENCH";

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Median seconds of `samples` runs of `f` after one warm-up, and the last checksum.
fn time(samples: usize, mut f: impl FnMut() -> f64) -> (f64, f64) {
    let mut checksum = f();
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            checksum = f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], checksum)
}

fn main() {
    let scale = env_or("CHUNKFLOW_BENCH_SCALE", 1.0);
    let samples = env_or("CHUNKFLOW_BENCH_SAMPLES", 10.0).max(1.0) as usize;
    let n = (1e8 * scale) as usize;
    let chunk = 4_000_000.min(n.max(1));
    let workloads: Vec<Inputs> = ["pi", "dist"]
        .iter()
        .map(|name| Inputs::new(name, n, chunk).expect("inputs"))
        .collect();

    let gather = |options: &Options| -> f64 {
        let x = chunkflow::Array::<f64>::linspace(0.0, 1.0, n / 10, 1_000_000).expect("x");
        (&x * 2.0 + 1.0).compute_with(options).expect("run").sum()
    };

    if std::env::var_os(CHILD).is_some() {
        let mpi = Mpi::new(1).expect("MPI starts");
        let options = Options::default().scheduler(mpi.clone());
        let before = mpi.traffic();
        let (seconds, checksum) = time(samples, || gather(&options));
        let after = mpi.traffic();
        let per_run = (after.bytes_sent - before.bytes_sent) / (samples + 1) as u64;
        println!(
            "mpi/gather: rank {}: median {:.1} ms, checksum {:016x}, sent {per_run} bytes per \
             run ({:.2} GB/s while running)",
            mpi.rank(),
            seconds * 1e3,
            checksum.to_bits(),
            per_run as f64 / seconds / 1e9
        );
        for w in &workloads {
            let before = mpi.traffic();
            let (seconds, checksum) = time(samples, || {
                w.run_chunkflow(&options)
                    .expect("distributed run")
                    .checksum()
            });
            let after = mpi.traffic();
            let runs = (samples + 1) as u64;
            println!(
                "mpi/{}: rank {} of {}: median {:.1} ms, checksum {:016x}, sent {} bytes in \
                 {} messages per run",
                w.name,
                mpi.rank(),
                mpi.size(),
                seconds * 1e3,
                checksum.to_bits(),
                (after.bytes_sent - before.bytes_sent) / runs,
                (after.messages_sent - before.messages_sent) / runs,
            );
        }
        return;
    }

    let threaded = Options::default().threads(2).expect("threads");
    for w in &workloads {
        let (seconds, checksum) = time(samples, || {
            w.run_chunkflow(&threaded).expect("run").checksum()
        });
        println!(
            "threaded/{}: 2 threads: median {:.1} ms, checksum {:016x} (n = {n}, chunks of {chunk})",
            w.name,
            seconds * 1e3,
            checksum.to_bits()
        );
    }
    let (seconds, checksum) = time(samples, || gather(&threaded));
    println!(
        "threaded/gather: 2 threads: median {:.1} ms, checksum {:016x} ({} f64s)",
        seconds * 1e3,
        checksum.to_bits(),
        n / 10
    );
    drop(workloads);
    let exe = std::env::current_exe().expect("this benchmark's path");
    let status = Command::new("mpirun")
        // Unbound: a rank's worker, communication and MPI-internal threads share whatever
        // core is free (bound to one core each, dist ran 2.4x slower here).
        .args(["-n", "2", "--oversubscribe", "--bind-to", "none"])
        .arg("--allow-run-as-root")
        .arg(exe)
        .env(CHILD, "1")
        .status()
        .expect("mpirun is installed (Debian: openmpi-bin)");
    assert!(
        status.success(),
        "the distributed benchmark failed: {status}"
    );
}
