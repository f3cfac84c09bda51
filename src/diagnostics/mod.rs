//! Seeing what a run does: a progress bar, a profiler, a sampling resource profiler and an
//! HTML performance report, all [`Observer`]s of the scheduler's task events.
//!
//! [`Observer`]: crate::scheduler::Observer

mod fanout;
mod profile;
mod progress;
mod report;
mod resources;

pub use crate::kernel::codegen::{Stats as CodegenStats, stats as codegen_stats};
pub(crate) use fanout::Fanout;
pub use profile::{OpSummary, Profiler, TaskRecord};
pub use progress::Progress;
pub use report::Report;
pub use resources::{ResourceProfiler, ResourceSample, rss_bytes};
