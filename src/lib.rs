//! # chunkflow
//!
//! A lazy dataflow engine for chunked n-dimensional arrays and partitioned bags, in the
//! spirit of Dask's chunked execution model.
//!
//! Programs build a lazy task graph, and only then run it with a [`scheduler`]. The lowest
//! layer, [`graph`], is a Dask-style dictionary of tasks that users can also write by hand:
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

pub mod bag;
pub mod error;
pub mod graph;
pub mod scheduler;

pub use bag::Bag;
pub use error::{Error, Result};

/// The user guide's code blocks, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
pub struct GuideDoctests;
