//! The low-level task graph: keys, values, tasks, validation, culling, ordering, DOT export.
//!
//! This is chunkflow's equivalent of a Dask graph dictionary. Arrays and bags lower their
//! plans into a [`TaskGraph`]; users can also build one by hand:
//!
//! ```
//! use chunkflow::graph::{Task, TaskGraph};
//! use chunkflow::scheduler::Threaded;
//!
//! let mut g = TaskGraph::new();
//! g.literal("a", 2_i64)?;
//! g.literal("b", 2_i64)?;
//! g.insert("result", Task::map2("add", |a: &i64, b: &i64| a + b, "a", "b"))?;
//! assert_eq!(g.get::<i64>(&Threaded::default(), "result")?, 4);
//! # Ok::<(), chunkflow::Error>(())
//! ```

pub mod dot;
mod exec;
mod key;
mod svg;
mod task;
mod task_graph;
mod value;

pub use exec::ExecGraph;
pub use key::Key;
pub use svg::{COLLAPSE_ABOVE, dot_to_svg};
pub use task::{FnKernel, Kernel, Task};
pub use task_graph::TaskGraph;
pub use value::Value;
