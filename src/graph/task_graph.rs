//! The low-level task graph: a map from keys to tasks, built by hand or lowered from a plan.

use std::any::Any;
use std::collections::HashMap;

use super::{ExecGraph, Key, Task, Value};
use crate::error::{Error, Result};

/// A dictionary of tasks, like a Dask graph: every key maps to a literal or to a call.
///
/// Inserting a key twice is an [`Error::DuplicateKey`]; a missing input or a cycle is found
/// when the graph is compiled for a run ([`TaskGraph::compile`]), naming the keys involved.
/// Running it is the scheduler's job: `compute`, `compute_observed` and `get` are defined
/// beside the schedulers (`scheduler/run_graph.rs`), so this layer never imports them.
///
/// ```
/// use chunkflow::graph::{Task, TaskGraph};
/// use chunkflow::scheduler::Synchronous;
///
/// let mut g = TaskGraph::new();
/// g.insert("a", Task::literal(2_i64))?;
/// g.insert("b", Task::literal(2_i64))?;
/// g.insert("result", Task::map2("add", |a: &i64, b: &i64| a + b, "a", "b"))?;
/// let result: i64 = g.get(&Synchronous, "result")?;
/// assert_eq!(result, 4);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct TaskGraph {
    index: HashMap<Key, usize>,
    entries: Vec<(Key, Task)>,
}

impl TaskGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `task` under `key`; a key already present is an [`Error::DuplicateKey`].
    pub fn insert(&mut self, key: impl Into<Key>, task: Task) -> Result<()> {
        let key = key.into();
        if self.index.contains_key(&key) {
            return Err(Error::DuplicateKey(key.to_string()));
        }
        self.index.insert(key.clone(), self.entries.len());
        self.entries.push((key, task));
        Ok(())
    }

    /// Moves the tasks of `other` into this graph, in their order. A key both graphs hold
    /// is an [`Error::DuplicateKey`]: a task is never replaced, nor silently taken to be
    /// the same as another.
    pub(crate) fn merge(&mut self, other: TaskGraph) -> Result<()> {
        if let Some((key, _)) = other.entries.iter().find(|(k, _)| self.contains(k)) {
            return Err(Error::DuplicateKey(key.to_string()));
        }
        self.index.reserve(other.entries.len());
        self.entries.reserve(other.entries.len());
        for (key, task) in other.entries {
            self.index.insert(key.clone(), self.entries.len());
            self.entries.push((key, task));
        }
        Ok(())
    }

    /// Adds a literal value under `key`.
    ///
    /// ```
    /// let mut g = chunkflow::graph::TaskGraph::new();
    /// g.literal("a", 2_i64)?;
    /// assert!(g.literal("a", 3_i64).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn literal<T: Any + Send + Sync>(&mut self, key: impl Into<Key>, value: T) -> Result<()> {
        self.insert(key, Task::Literal(Value::new(value)))
    }

    /// The number of tasks.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the graph has no tasks.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The task stored under `key`.
    pub fn task(&self, key: &Key) -> Option<&Task> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    /// Whether `key` is in the graph.
    pub fn contains(&self, key: &Key) -> bool {
        self.index.contains_key(key)
    }

    /// The tasks in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Task)> {
        self.entries.iter().map(|(k, t)| (k, t))
    }

    /// Validates the graph and culls it to what `outputs` need, ordered for a run.
    ///
    /// Errors: [`Error::UnknownOutput`], [`Error::MissingKey`], [`Error::Cycle`].
    ///
    /// ```
    /// use chunkflow::graph::{Task, TaskGraph};
    /// let mut g = TaskGraph::new();
    /// g.literal("a", 1_i32)?;
    /// g.literal("unused", 0_i32)?;
    /// g.insert("b", Task::map1("inc", |a: &i32| a + 1, "a"))?;
    /// assert_eq!(g.compile(&["b".into()])?.len(), 2);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn compile(&self, outputs: &[Key]) -> Result<ExecGraph> {
        ExecGraph::build(self, outputs)
    }

    pub(super) fn position(&self, key: &Key) -> Option<usize> {
        self.index.get(key).copied()
    }

    pub(super) fn entry(&self, position: usize) -> &(Key, Task) {
        &self.entries[position]
    }
}

#[cfg(test)]
mod tests {
    use super::{Task, TaskGraph};
    use crate::error::Error;

    #[test]
    fn merge_moves_disjoint_tasks_and_refuses_a_shared_key() {
        let mut a = TaskGraph::new();
        a.literal("x", 1_i64).unwrap();
        let mut b = TaskGraph::new();
        b.insert("y", Task::map1("inc", |x: &i64| x + 1, "x"))
            .unwrap();
        a.merge(b).unwrap();
        assert_eq!(a.len(), 2);
        assert!(a.compile(&["y".into()]).is_ok());
        // A key both hold is refused, and nothing of the other graph is moved in.
        let mut c = TaskGraph::new();
        c.literal("z", 0_i64).unwrap();
        c.literal("x", 2_i64).unwrap();
        let err = a.merge(c).unwrap_err();
        assert!(
            matches!(err, Error::DuplicateKey(ref k) if k == "x"),
            "{err}"
        );
        assert_eq!(a.len(), 2);
        assert!(!a.contains(&"z".into()));
    }
}
