//! Running task graphs across processes with MPI (cargo feature `mpi`).
//!
//! Every rank of an MPI job (`mpirun -n N program`) runs the same program, builds the same
//! computation, and computes it with an [`Mpi`] scheduler. Tasks are placed on ranks by a
//! deterministic function of the graph (`owner.rs`: chunks by their index, in contiguous
//! blocks; other tasks where most of their inputs live), each rank runs its share on a few
//! worker threads with the same state machine as the threaded scheduler, and values needed
//! on another rank are sent point to point. Reductions merge partials in the order the plan
//! fixes, whichever rank computed them, so results are bit-identical to the threaded
//! scheduler's. Every rank gets every requested output.
//!
//! - [`Mpi`]: the scheduler; [`TrafficStats`]: bytes moved.
//! - [`Wire`], [`register`], [`register_foldby`], [`register_groupby`]: how values cross
//!   ranks.
//!
//! See `docs/distributed.md` for the model, running on a cluster, and the limits.
//!
//! ```no_run
//! use chunkflow::distributed::Mpi;
//! use chunkflow::{Options, random};
//! let mpi = Mpi::new(2)?;
//! let options = Options::default().scheduler(mpi.clone());
//! let x = random::uniform(-1.0, 1.0, &[10_000_000], 1_000_000, 1)?;
//! let y = random::uniform(-1.0, 1.0, &[10_000_000], 1_000_000, 2)?;
//! let inside = (&x * &x + &y * &y).lt(1.0).sum().scalar_with(&options)?;
//! if mpi.rank() == 0 {
//!     println!("pi ≈ {}", 4.0 * inside as f64 / 1e7);
//! }
//! # Ok::<(), chunkflow::Error>(())
//! ```

mod comm;
mod owner;
mod registry;
mod scheduler;
mod wire;

pub use registry::{register, register_foldby, register_groupby};
pub use scheduler::{Mpi, TrafficStats};
pub use wire::{Reader, Wire};
