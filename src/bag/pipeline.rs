//! Fused chains of per-item operations: `map`, `filter`, `flat_map`, `pluck`.
//!
//! A chain is push-based. Each stage is a closure `Fn(A, &mut dyn FnMut(B))` that hands
//! zero or more outputs to the next stage's sink; a chain's *driver* streams one partition
//! (a `Vec<S>` value of the chain's source) through all stages into a final sink. No stage
//! allocates a `Vec` for its output: items flow one at a time, a closure call per stage.
//!
//! Each chain also keeps its stages separately, so that with fusion off it lowers to one
//! task per stage per partition with materialised `Vec`s in between.
//!
//! Chains of any length stay cheap and shallow: the stages are a persistent list (extending
//! a chain is O(1), it shares its prefix, and it is dropped in a loop), and the driver nests
//! at most [`SEGMENT`] stage closures. A longer chain runs as a loop over segments, each
//! materialising its output partition once, so 30,000 chained `map`s need neither 30,000
//! nested calls on a worker's stack nor O(n²) time to build.

use std::sync::Arc;

use super::Bag;
use super::lowering::{Lowering, Node};
use crate::error::Result;
use crate::graph::{Key, Value};

/// Streams one partition value through a chain into a sink. The key names the partition
/// (for type-mismatch errors).
pub(crate) type Driver<T> = Arc<dyn Fn(Value, &Key, &mut dyn FnMut(T)) -> Result<()> + Send + Sync>;

/// One stage of a chain, type-erased for unfused lowering: `Vec<A>` value to `Vec<B>` value.
type Step = Arc<dyn Fn(Value, &Key) -> Result<Value> + Send + Sync>;

/// The most stage closures a chain's driver nests (see the module docs): the stack a
/// partition's task needs is bounded by this, not by the chain's length. Streaming is
/// unchanged for chains up to this long.
const SEGMENT: usize = 128;

/// At most this many stage labels are spelled out in a chain's label.
const LABELLED_STAGES: usize = 8;

/// The stages of a chain, newest first: a persistent list, shared by chains that extend a
/// common prefix.
struct Stages {
    /// The stage's unique name (`map-1a2b3c4d`): it names its tasks when unfused.
    name: String,
    step: Step,
    prev: Option<Arc<Stages>>,
}

impl Drop for Stages {
    /// Drops a long list in a loop (recursively, 100,000 stages overflow the stack).
    fn drop(&mut self) {
        let mut next = self.prev.take();
        while let Some(stages) = next {
            match Arc::try_unwrap(stages) {
                Ok(mut stages) => next = stages.prev.take(),
                Err(_) => break,
            }
        }
    }
}

/// A stage's label: its unique name without the token.
fn stage_label(name: &str) -> &str {
    name.rsplit_once('-').map_or(name, |(l, _)| l)
}

/// A chain of per-item stages over a materialised source bag.
pub(crate) struct Chain<T> {
    /// The source, the stages and the driver's segments.
    pub(crate) parts: ChainParts<T>,
    /// The stages' labels joined by `|`, e.g. `map|filter` (the first few and the count,
    /// for a long chain).
    pub(crate) label: String,
    pub(crate) driver: Driver<T>,
}

/// What a chain is made of, and what a new stage extends (for a bag that is not a chain:
/// an empty chain over its node).
#[derive(Clone)]
pub(crate) struct ChainParts<T> {
    pub(crate) source: Arc<Node>,
    stages: Option<Arc<Stages>>,
    /// The number of stages.
    len: usize,
    /// The first [`LABELLED_STAGES`] labels, joined by `|`.
    head_label: String,
    /// Completed segments of the driver, in order: each turns a partition value (of the
    /// source, or of the previous segment's output) into its output partition value.
    sealed: Arc<Vec<Step>>,
    /// The open segment: streams the last sealed segment's output (or the source partition)
    /// through the stages since, nesting `tail_len` closures.
    tail: Driver<T>,
    tail_len: usize,
}

impl<T> ChainParts<T> {
    /// No stages yet over `source`, whose partitions `tail` streams.
    fn empty(source: Arc<Node>, tail: Driver<T>) -> Self {
        ChainParts {
            source,
            stages: None,
            len: 0,
            head_label: String::new(),
            sealed: Arc::new(Vec::new()),
            tail,
            tail_len: 0,
        }
    }
}

/// Hands every item of a partition value (`Vec<T>`) to `sink`: moved out when this is the
/// last reference, cloned otherwise.
pub(crate) fn drain<T: Clone + Send + Sync + 'static>(
    value: Value,
    key: &Key,
    mut sink: impl FnMut(T),
) -> Result<()> {
    match value.try_unwrap::<Vec<T>>() {
        Ok(items) => items.into_iter().for_each(sink),
        Err(shared) => shared
            .get::<Vec<T>>(key)?
            .iter()
            .cloned()
            .for_each(&mut sink),
    }
    Ok(())
}

/// The items of one partition as a task sees them: either a plain partition value, or a
/// source partition plus the fused chain that turns it into this bag's items.
pub(crate) struct Feed<'a, T> {
    driver: Option<&'a Driver<T>>,
    value: Value,
    key: &'a Key,
}

impl<'a, T: Clone + Send + Sync + 'static> Feed<'a, T> {
    pub(crate) fn new(driver: Option<&'a Driver<T>>, value: Value, key: &'a Key) -> Self {
        Feed { driver, value, key }
    }

    /// Calls `f` on every item, in order.
    pub(crate) fn for_each(self, mut f: impl FnMut(T)) -> Result<()> {
        match self.driver {
            Some(driver) => driver(self.value, self.key, &mut f),
            None => drain(self.value, self.key, f),
        }
    }

    /// Calls `f` on a reference to every item, in order: a plain partition is read in place
    /// (no move, no clone even when shared); a chain's outputs are passed by reference.
    pub(crate) fn for_each_ref(self, mut f: impl FnMut(&T)) -> Result<()> {
        match self.driver {
            Some(driver) => driver(self.value, self.key, &mut |t| f(&t)),
            None => {
                self.value.get::<Vec<T>>(self.key)?.iter().for_each(f);
                Ok(())
            }
        }
    }

    /// All items as a `Vec` (no copy when the partition value is unshared and unfused).
    pub(crate) fn into_vec(self) -> Result<Vec<T>> {
        match self.driver {
            Some(_) => {
                let mut out = Vec::new();
                self.for_each(|t| out.push(t))?;
                Ok(out)
            }
            None => self.value.take(self.key),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// This bag's chain so far (a bag that is not a chain is the source of an empty one).
    fn chain_parts(&self) -> ChainParts<T> {
        match &self.chain {
            Some(c) => c.parts.clone(),
            None => ChainParts::empty(
                self.node.clone(),
                Arc::new(|v: Value, k: &Key, sink: &mut dyn FnMut(T)| drain(v, k, sink)),
            ),
        }
    }

    /// Appends a per-item stage that may fail: the first error stops the partition's task
    /// (later items are skipped) and is its result.
    pub(crate) fn push_try_stage<U: Clone + Send + Sync + 'static>(
        &self,
        label: &str,
        stage: impl Fn(T, &mut dyn FnMut(U)) -> Result<()> + Send + Sync + 'static,
    ) -> Bag<U> {
        let stage = Arc::new(stage);
        let parts = self.chain_parts();
        let step_stage = stage.clone();
        let step: Step = Arc::new(move |value: Value, key: &Key| {
            let mut out: Vec<U> = Vec::new();
            let mut failed = None;
            drain::<T>(value, key, |t| {
                if failed.is_none()
                    && let Err(e) = step_stage(t, &mut |u| out.push(u))
                {
                    failed = Some(e);
                }
            })?;
            failed.map_or(Ok(Value::new(out)), Err)
        });
        let upstream = parts.tail.clone();
        let tail: Driver<U> = Arc::new(move |value, key, sink| {
            let mut failed = None;
            upstream(value, key, &mut |t| {
                if failed.is_none()
                    && let Err(e) = stage(t, &mut *sink)
                {
                    failed = Some(e);
                }
            })?;
            failed.map_or(Ok(()), Err)
        });
        extend_chain(parts, label, step, tail)
    }

    /// Appends a per-item stage to this bag's chain (starting a chain if there is none).
    pub(crate) fn push_stage<U: Clone + Send + Sync + 'static>(
        &self,
        label: &str,
        stage: impl Fn(T, &mut dyn FnMut(U)) + Send + Sync + 'static,
    ) -> Bag<U> {
        let stage = Arc::new(stage);
        let parts = self.chain_parts();
        let step_stage = stage.clone();
        let step: Step = Arc::new(move |value: Value, key: &Key| {
            let mut out: Vec<U> = Vec::new();
            drain::<T>(value, key, |t| step_stage(t, &mut |u| out.push(u)))?;
            Ok(Value::new(out))
        });
        let upstream = parts.tail.clone();
        let tail: Driver<U> =
            Arc::new(move |value, key, sink| upstream(value, key, &mut |t| stage(t, &mut *sink)));
        extend_chain(parts, label, step, tail)
    }

    /// A bag whose partition `i` is streamed out of `descriptors[i]` by `read`, which hands
    /// every item to its sink and may fail (a file that cannot be read). The descriptors are
    /// the chain's source partitions (one descriptor each) and `read` its first stage, so a
    /// consumer fused with the chain (`frequencies`, `fold`, a writer) receives the items
    /// one at a time and the partition never exists as a `Vec` unless it is computed.
    pub(crate) fn from_reader<D: Clone + Send + Sync + 'static>(
        label: &str,
        descriptors: Vec<D>,
        read: impl Fn(&D, &mut dyn FnMut(T)) -> Result<()> + Send + Sync + 'static,
    ) -> Result<Bag<T>> {
        let source = Bag::from_partitions(descriptors.into_iter().map(|d| vec![d]).collect())?;
        let read = Arc::new(read);
        let step_read = read.clone();
        let step: Step = Arc::new(move |value: Value, key: &Key| {
            let mut out: Vec<T> = Vec::new();
            for d in value.get::<Vec<D>>(key)? {
                step_read(d, &mut |t| out.push(t))?;
            }
            Ok(Value::new(out))
        });
        let driver: Driver<T> = Arc::new(move |value, key, sink| {
            for d in value.get::<Vec<D>>(key)? {
                read(d, &mut *sink)?;
            }
            Ok(())
        });
        let parts = ChainParts::empty(source.node, driver.clone());
        Ok(extend_chain(parts, label, step, driver))
    }
}

/// The chain `parts` extended by one stage, `label`: `step` is the stage alone (for unfused
/// lowering), `tail` the open segment of `parts` with the stage nested in. The segment is
/// sealed when it reaches [`SEGMENT`] stages.
fn extend_chain<T: Clone + Send + Sync + 'static, U: Clone + Send + Sync + 'static>(
    parts: ChainParts<T>,
    label: &str,
    step: Step,
    tail: Driver<U>,
) -> Bag<U> {
    let name = Key::unique_name(label);
    let len = parts.len + 1;
    let mut head_label = parts.head_label;
    if len <= LABELLED_STAGES {
        if !head_label.is_empty() {
            head_label.push('|');
        }
        head_label.push_str(stage_label(&name));
    }
    let stages = Some(Arc::new(Stages {
        name,
        step,
        prev: parts.stages,
    }));
    let (sealed, tail, tail_len) = if parts.tail_len + 1 < SEGMENT {
        (parts.sealed, tail, parts.tail_len + 1)
    } else {
        let segment: Step = Arc::new(move |value: Value, key: &Key| {
            let mut out: Vec<U> = Vec::new();
            tail(value, key, &mut |u| out.push(u))?;
            Ok(Value::new(out))
        });
        let mut sealed = parts.sealed.as_ref().clone();
        sealed.push(segment);
        let drain_all: Driver<U> =
            Arc::new(|v: Value, k: &Key, sink: &mut dyn FnMut(U)| drain(v, k, sink));
        (Arc::new(sealed), drain_all, 0)
    };
    let driver: Driver<U> = if sealed.is_empty() {
        tail.clone()
    } else {
        let (segments, last) = (sealed.clone(), tail.clone());
        Arc::new(move |value, key, sink| {
            let mut value = value;
            for segment in segments.iter() {
                value = segment(value, key)?;
            }
            last(value, key, sink)
        })
    };
    let label = if len <= LABELLED_STAGES {
        head_label.clone()
    } else {
        format!("{head_label}|... ({len} stages)")
    };
    let chain = Arc::new(Chain {
        parts: ChainParts {
            source: parts.source,
            stages,
            len,
            head_label,
            sealed,
            tail,
            tail_len,
        },
        label,
        driver,
    });
    chain_bag(chain)
}

/// The bag of a chain: its stages over `source`, fused by `driver`.
fn chain_bag<U: Clone + Send + Sync + 'static>(chain: Arc<Chain<U>>) -> Bag<U> {
    let fused_name = Key::unique_name(&if chain.parts.len <= LABELLED_STAGES {
        chain.parts.head_label.replace('|', "-")
    } else {
        format!(
            "{}-{}",
            chain.parts.head_label.replace('|', "-"),
            chain.parts.len
        )
    });
    let lowered = chain.clone();
    let source = chain.parts.source.clone();
    let node = Node::new(
        chain.label.clone(),
        source.npartitions,
        vec![source],
        move |cx: &mut Lowering| {
            let chain = &lowered;
            let inputs = cx.partitions(&chain.parts.source)?;
            if cx.fuse {
                let mut keys = Vec::with_capacity(inputs.len());
                for (i, input) in inputs.into_iter().enumerate() {
                    let driver = chain.driver.clone();
                    let input_key = input.clone();
                    let key = Key::chunk(fused_name.as_str(), &[i]);
                    keys.push(cx.call(key, &chain.label, vec![input], move |mut values| {
                        let mut out: Vec<U> = Vec::new();
                        driver(values.pop().expect("one input"), &input_key, &mut |u| {
                            out.push(u)
                        })?;
                        Ok(Value::new(out))
                    })?);
                }
                Ok(keys)
            } else {
                // The stages oldest first (the list is newest first).
                let mut stages = Vec::with_capacity(chain.parts.len);
                let mut next = chain.parts.stages.as_deref();
                while let Some(stage) = next {
                    stages.push(stage);
                    next = stage.prev.as_deref();
                }
                let mut keys = inputs;
                for stage in stages.into_iter().rev() {
                    let label = stage_label(&stage.name);
                    let mut next = Vec::with_capacity(keys.len());
                    for (i, input) in keys.into_iter().enumerate() {
                        let key = Key::chunk(stage.name.as_str(), &[i]);
                        // Two chains extending one common prefix share its stage tasks: a
                        // stage's name fixes its input, so an existing key is the same task.
                        if cx.graph.contains(&key) {
                            next.push(key);
                            continue;
                        }
                        let (step, input_key) = (stage.step.clone(), input.clone());
                        next.push(cx.call(key, label, vec![input], move |mut values| {
                            step(values.pop().expect("one input"), &input_key)
                        })?);
                    }
                    keys = next;
                }
                Ok(keys)
            }
        },
    );
    Bag {
        node,
        chain: Some(chain),
    }
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// Applies `f` to every item (fused with neighbouring per-item operations).
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![1, 2, 3], 2)?.map(|x| x * 2);
    /// assert_eq!(b.compute()?, [2, 4, 6]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn map<U: Clone + Send + Sync + 'static>(
        &self,
        f: impl Fn(T) -> U + Send + Sync + 'static,
    ) -> Bag<U> {
        self.push_stage("map", move |t, sink| sink(f(t)))
    }

    /// Applies a fallible `f` to every item: the first `Err` fails the partition's task
    /// (and so the computation, with [`Error::TaskFailed`](crate::Error::TaskFailed) naming
    /// the task and holding the error). Fused like [`Bag::map`].
    ///
    /// ```
    /// use chunkflow::{Bag, Error};
    /// let parsed = Bag::from_vec(vec!["1", "2", "x"], 2)?
    ///     .try_map(|s| s.parse::<i32>().map_err(|e| Error::user(format!("{s:?}: {e}"))));
    /// let err = parsed.compute().unwrap_err();
    /// assert!(err.root_cause().to_string().starts_with("\"x\": invalid digit"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn try_map<U: Clone + Send + Sync + 'static>(
        &self,
        f: impl Fn(T) -> Result<U> + Send + Sync + 'static,
    ) -> Bag<U> {
        self.push_try_stage("try_map", move |t, sink| {
            sink(f(t)?);
            Ok(())
        })
    }

    /// Keeps the items for which `pred` is true.
    ///
    /// ```
    /// let b = chunkflow::Bag::range(10, 3)?.filter(|x| x % 3 == 0);
    /// assert_eq!(b.compute()?, [0, 3, 6, 9]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn filter(&self, pred: impl Fn(&T) -> bool + Send + Sync + 'static) -> Bag<T> {
        self.push_stage("filter", move |t, sink| {
            if pred(&t) {
                sink(t)
            }
        })
    }

    /// Maps every item to any number of items and flattens them: Dask's
    /// `map(f).flatten()`. The iterator is consumed item by item, never collected.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![1, 2, 3], 2)?.flat_map(|n| 0..n);
    /// assert_eq!(b.compute()?, [0, 0, 1, 0, 1, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn flat_map<U, I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> Bag<U>
    where
        U: Clone + Send + Sync + 'static,
        I: IntoIterator<Item = U>,
    {
        self.push_stage("flat_map", move |t, sink| f(t).into_iter().for_each(sink))
    }

    /// Like [`Bag::flat_map`], but `f` pushes its outputs into `emit` instead of returning
    /// an iterator — handy when the outputs borrow from the item
    /// (`line.split_whitespace()`), since the item is alive while `f` runs.
    ///
    /// ```
    /// let lines = chunkflow::Bag::from_vec(vec!["a b".to_string(), "c".to_string()], 2)?;
    /// let words = lines.flat_map_with(|line, emit| line.split(' ').for_each(|w| emit(w.len())));
    /// assert_eq!(words.compute()?, [1, 1, 1]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn flat_map_with<U: Clone + Send + Sync + 'static>(
        &self,
        f: impl Fn(T, &mut dyn FnMut(U)) + Send + Sync + 'static,
    ) -> Bag<U> {
        self.push_stage("flat_map", f)
    }

    /// Field access (Dask's `pluck`): maps each item through an accessor closure returning
    /// a reference, cloning the field.
    ///
    /// ```
    /// let people = chunkflow::Bag::from_vec(vec![("ann", 31), ("bob", 42)], 1)?;
    /// assert_eq!(people.pluck(|p| &p.1).compute()?, [31, 42]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn pluck<U: Clone + Send + Sync + 'static>(
        &self,
        field: impl Fn(&T) -> &U + Send + Sync + 'static,
    ) -> Bag<U> {
        self.push_stage("pluck", move |t, sink| sink(field(&t).clone()))
    }

    /// Applies `f` to each whole partition (a `Vec<T>`), producing the new partition.
    /// A preceding chain is fused into the same task.
    ///
    /// ```
    /// let b = chunkflow::Bag::range(6, 2)?.map_partitions(|p| vec![p.iter().sum::<u64>()]);
    /// assert_eq!(b.compute()?, [3, 12]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn map_partitions<U: Clone + Send + Sync + 'static>(
        &self,
        f: impl Fn(Vec<T>) -> Vec<U> + Send + Sync + 'static,
    ) -> Bag<U> {
        let input = self.clone();
        let f = Arc::new(f);
        let node = Node::new(
            "map_partitions",
            self.npartitions(),
            vec![self.stream_source()],
            move |cx| {
                let f = f.clone();
                input.per_partition(cx, "map_partitions", move |_, feed| Ok(f(feed.into_vec()?)))
            },
        );
        Bag::from_node(node)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Bag;
    use super::super::lowering::Lowering;

    #[test]
    fn chains_sharing_a_prefix_share_its_stage_tasks_when_unfused() {
        let base = Bag::range(6, 2).unwrap().map(|x| x + 1);
        let odd = base.filter(|x| x % 2 == 1);
        let tens = base.map(|x| x * 10);
        let mut cx = Lowering::new(false);
        cx.partitions(&odd.node).unwrap();
        cx.partitions(&tens.node).unwrap();
        // 2 sources + 2 shared `map` tasks + 2 `filter` + 2 `map`, no duplicate key.
        assert_eq!(cx.graph.len(), 8);
    }
}
