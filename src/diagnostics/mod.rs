//! Seeing what a run does: a progress bar and a profiler, both [`Observer`]s of the
//! scheduler's task events.
//!
//! [`Observer`]: crate::scheduler::Observer

mod fanout;
mod profile;
mod progress;

pub(crate) use fanout::Fanout;
pub use profile::{OpSummary, Profiler, TaskRecord};
pub use progress::Progress;
