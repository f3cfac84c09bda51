//! The callbacks that produce chunk data: a [`ChunkSource`] makes the chunks of a source
//! array (data in memory, a generator, a file), a [`GraphSource`] makes them with tasks of
//! another task graph (a bag's partitions), a [`BlockFn`] is a user closure over whole
//! chunks. Each carries an identity so structural hashing never merges two different ones.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::generate::StripFill;

use crate::error::Result;
use crate::graph::{Key, TaskGraph, Value};

/// A fresh identity for a closure or data source, so structural hashing never merges two
/// different ones.
pub(crate) fn fresh_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Produces the chunks of a source array (data in memory, a generator, a file...).
pub trait ChunkSource: Send + Sync {
    /// A short name for labels (`from_ndarray`, `arange`, ...).
    fn name(&self) -> &str;
    /// An identity: sources with equal ids produce equal chunks.
    fn id(&self) -> u64;
    /// The chunk starting at global position `offset` with `shape`, as an `ArrayD<T>` value.
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value>;
    /// Whether making a chunk again is cheaper than keeping it in memory (generators such
    /// as random or constant arrays). The optimizer gives each consumer of a cheap source
    /// its own copy of the chunk tasks, so no chunk waits in memory for a second reader.
    fn cheap(&self) -> bool {
        false
    }
    /// A generator of any run of the chunks' elements, if the source can compute them
    /// from their position: a fused program reading this source then computes its input
    /// strips in place (`kernel::generate`) instead of reading a materialized chunk. It
    /// must produce exactly what [`chunk`](Self::chunk) produces.
    fn strip_fill(&self) -> Option<Arc<dyn StripFill>> {
        None
    }
}

/// Chunks made by the tasks of another task graph: a bag's partitions become a 1-D array
/// (`Bag::to_array`). Lowering inserts those tasks into the array's graph, so they run in
/// the same computation, and reads each chunk from one of their results.
pub trait GraphSource: Send + Sync {
    /// A short name for labels.
    fn name(&self) -> &str;
    /// An identity: sources with equal ids produce equal chunks.
    fn id(&self) -> u64;
    /// Inserts the tasks that make the chunks into `graph` (skipping keys it already holds:
    /// the same key always names the same task) and returns one key per chunk, in row-major
    /// block order.
    ///
    /// `context` is the lowering context of the computation the array is part of, passed
    /// through the array lowering untouched: `()` for an array computed alone, a bag
    /// lowering when bags and arrays are computed together (`bag::compute`). A source that
    /// recognises it lowers its tasks there instead (shared with the computation's other
    /// outputs, so not into `graph`) and returns their keys.
    fn insert(&self, graph: &mut TaskGraph, context: &mut (dyn Any + 'static)) -> Result<Vec<Key>>;
    /// The chunk (an `ArrayD<T>` value) made from the value at `key`.
    fn chunk(&self, value: Value, key: &Key) -> Result<Value>;
}

/// A user closure applied to whole chunks.
pub trait BlockFn: Send + Sync {
    /// The name shown in labels.
    fn name(&self) -> &str;
    /// An identity for hashing.
    fn id(&self) -> u64;
    /// Applies the closure to the chunk at `index` (checking the declared output shape).
    fn apply(&self, input: Value, expected_shape: &[usize]) -> Result<Value>;
}
