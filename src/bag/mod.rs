//! Bags: lazy, partitioned collections of arbitrary items — Dask's `dask.bag`.
//!
//! A [`Bag<T>`] is a cheap handle (an `Arc` inside; `Clone`, `Send`, `Sync`) on a plan of
//! operations over a collection split into partitions. Building a bag never runs user code;
//! [`Bag::compute`] lowers the plan into a [`TaskGraph`] — one task per partition per stage —
//! and runs it on a scheduler.
//!
//! ```
//! use chunkflow::Bag;
//! let words = Bag::from_vec(vec!["a b", "b c", "c c"], 2)?
//!     .flat_map(|line| line.split_whitespace().collect::<Vec<_>>());
//! let mut counts = words.frequencies().compute()?;
//! counts.sort();
//! assert_eq!(counts, [("a", 1), ("b", 2), ("c", 3)]);
//! # Ok::<(), chunkflow::Error>(())
//! ```
//!
//! ## Decisions
//!
//! - **Items are `Clone`.** Partitions flow between tasks as `Vec<T>` values. A task that
//!   receives the last reference to a partition moves its items (no copy); a partition that
//!   is still shared (a bag consumed twice, a literal from [`Bag::from_vec`], an input of
//!   [`Bag::repartition`]) is read by reference and its items cloned. So every method needs
//!   `T: Clone + Send + Sync + 'static`.
//! - **Fusion.** `map`, `filter`, `flat_map` and `pluck`-style maps build a *chain*: one
//!   push-based function per partition (each stage a closure call handing items to the
//!   next, no intermediate `Vec`). The chain lowers to one task per partition, labelled with
//!   its stages (`map|filter|flat_map`), and is fed straight into the per-partition step of
//!   the aggregation that consumes it (`fold`, `foldby`, `frequencies`, `groupby`, ...).
//!   [`Options::fuse`]`(false)` turns fusion off. A chain consumed by two different consumers runs twice.
//! - **Borrowed sub-items.** [`Bag::flat_map_ref`] emits sub-items borrowed from each item
//!   (words of a line) straight into a following `foldby`/`frequencies` table, which owns
//!   its keys: the word count allocates a `String` per distinct word per partition, not per
//!   word.
//! - **Order.** `compute` returns partitions concatenated in order; per-item operations keep
//!   order. `foldby`, `frequencies`, `groupby` and `distinct` return their groups in an
//!   unspecified (but deterministic) order, in one partition (`groupby`: configurable).
//! - **Bags and arrays in one computation.** [`compute`] (at the root:
//!   [`chunkflow::compute_all`](crate::compute_all)) takes any tuple of bags, [`Item`]s and
//!   [`Array`](crate::Array)s ([`Output`]) and runs them as one task graph: the bags in one
//!   lowering, the arrays through the array optimizer and lowering as
//!   [`chunkflow::compute`](crate::compute) does, each [`Bag::to_array`] source lowering its
//!   bag into that same bag lowering. So a bag *node* read by several outputs (a
//!   `persist`ed or `from_vec` bag, `repartition`, a shuffle, any stage with fusion off)
//!   runs once; a fused chain is streamed by each consumer (its source read once).
//!   `chunkflow::compute` stays arrays-only.
//! - **Errors.** Bad arguments (`npartitions == 0`, `split_every < 2`) are errors when the
//!   bag is built. A panicking user closure stops the run with
//!   [`Error::TaskFailed`](crate::Error::TaskFailed) naming the partition task's key.

mod aggregate;
mod borrowed;
pub mod corpus;
mod create;
mod foldby;
mod groupby;
pub(crate) mod lowering;
mod multi;
pub(crate) mod pipeline;
mod select;
mod sequence;
mod several;
mod to_array;
mod tree;

use std::sync::Arc;

pub use aggregate::{Item, ToF64};

/// The old name of [`Item`] (it clashed with [`chunkflow::Scalar`](crate::Scalar)).
#[deprecated(since = "0.1.0", note = "renamed to `bag::Item`, Dask's name")]
pub type Scalar<T> = Item<T>;
pub use borrowed::RefItems;
pub use sequence::Field;
pub use several::{Output, Outputs, compute, compute_with};

use crate::error::Result;
use crate::graph::{Key, TaskGraph, Value};
use crate::options::Options;
use lowering::{Lowering, Node};
use pipeline::Chain;

/// A lazy partitioned collection of `T`s. See the [module docs](self) for the design.
///
/// ```
/// use chunkflow::Bag;
/// let b = Bag::range(10, 3)?.map(|x| x * x).filter(|x| x % 2 == 0);
/// assert_eq!(b.npartitions(), 3);
/// assert_eq!(b.compute()?, [0, 4, 16, 36, 64]);
/// assert_eq!(b.sum().compute()?, 120);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[must_use = "bags are lazy: nothing runs until compute()"]
pub struct Bag<T> {
    node: Arc<Node>,
    /// Set when this bag is a chain of per-item operations (`node` lowers that chain).
    chain: Option<Arc<Chain<T>>>,
}

impl<T> Clone for Bag<T> {
    fn clone(&self) -> Self {
        Bag {
            node: self.node.clone(),
            chain: self.chain.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Bag<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Bag<{}>({}, {} partitions)",
            std::any::type_name::<T>(),
            self.node.label,
            self.node.npartitions
        )
    }
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    pub(crate) fn from_node(node: Arc<Node>) -> Self {
        Bag { node, chain: None }
    }

    /// The number of partitions.
    ///
    /// ```
    /// assert_eq!(chunkflow::Bag::range(5, 2)?.npartitions(), 2);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn npartitions(&self) -> usize {
        self.node.npartitions
    }

    /// Lowers the plan into a task graph with `options`, returning the graph and the keys of
    /// the partitions (each a `Vec<T>` value), in order.
    ///
    /// ```
    /// use chunkflow::{Bag, Options};
    /// let (graph, keys) = Bag::range(6, 3)?.map(|x| x + 1).lower(&Options::default())?;
    /// assert_eq!(keys.len(), 3);
    /// assert_eq!(graph.compile(&keys)?.len(), 6);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn lower(&self, options: &Options) -> Result<(TaskGraph, Vec<Key>)> {
        let mut cx = Lowering::for_options(options);
        let keys = cx.partitions(&self.node)?;
        Ok((cx.graph, keys))
    }

    /// Computes the bag with the default [`Options`] (the shared threaded scheduler, fusion
    /// on): all items, partitions in order.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![1, 2, 3], 2)?;
    /// assert_eq!(b.compute()?, [1, 2, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn compute(&self) -> Result<Vec<T>> {
        self.compute_with(&Options::default())
    }

    /// Computes the bag with `options`: their scheduler and observers, and
    /// [`Options::fuse`] (off lowers every operation to its own task per partition, with a
    /// materialised `Vec` in between). Bags have no CSE or rematerialization pass; those
    /// switches do not apply.
    ///
    /// ```
    /// use chunkflow::{Bag, Options};
    /// let b = Bag::range(4, 2)?.map(|x| x + 1).filter(|x| x % 2 == 1);
    /// let unfused = b.compute_with(&Options::new().synchronous().fuse(false))?;
    /// assert_eq!(unfused, [1, 3]);
    /// assert_eq!(unfused, b.compute()?);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn compute_with(&self, options: &Options) -> Result<Vec<T>> {
        let (graph, keys) = self.lower(options)?;
        let values = options.run(&graph.compile(&keys)?)?;
        concat(values, &keys)
    }

    /// The task graph in Graphviz DOT, as it runs (fused chains are one node per partition,
    /// labelled with their stages, e.g. `map|filter`).
    ///
    /// ```
    /// let b = chunkflow::Bag::range(4, 2)?.map(|x| x + 1).filter(|x| x % 2 == 0);
    /// assert!(b.to_dot()?.contains("label=\"map|filter\""));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_dot(&self) -> Result<String> {
        Ok(self.lower(&Options::default())?.0.to_dot())
    }

    /// The task graph in DOT before fusion: one node per operation per partition.
    ///
    /// ```
    /// let b = chunkflow::Bag::range(4, 2)?.map(|x| x + 1).filter(|x| x % 2 == 0);
    /// let dot = b.to_dot_unoptimized()?;
    /// assert!(dot.contains("label=\"map\"") && dot.contains("label=\"filter\""));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_dot_unoptimized(&self) -> Result<String> {
        Ok(self.lower(&Options::default().fuse(false))?.0.to_dot())
    }

    /// The task graph as an SVG picture, rendered in-process (no Graphviz needed).
    ///
    /// ```
    /// let b = chunkflow::Bag::range(6, 2)?.map(|x| x + 1).filter(|x| x % 2 == 0);
    /// assert!(b.to_svg()?.contains("map|filter"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_svg(&self) -> Result<String> {
        self.lower(&Options::default())?.0.to_svg()
    }

    /// The node whose partitions a consumer streaming this bag's items reads (with fusion
    /// on): the chain's source, or this bag's own node. A consumer's node lists it as its
    /// input (see `lowering::Node`).
    pub(crate) fn stream_source(&self) -> Arc<Node> {
        match &self.chain {
            Some(chain) => chain.parts.source.clone(),
            None => self.node.clone(),
        }
    }

    /// The partition inputs of a consumer that streams this bag's items: with fusion on and
    /// a chain, the chain's source partitions plus the chain's driver; otherwise this bag's
    /// own partitions. Also returns the label prefix naming the fused stages (`"map|"`).
    pub(crate) fn stream_inputs(
        &self,
        cx: &mut Lowering,
    ) -> Result<(Vec<Key>, Option<pipeline::Driver<T>>, String)> {
        match &self.chain {
            Some(chain) if cx.fuse => Ok((
                cx.partitions(&chain.parts.source)?,
                Some(chain.driver.clone()),
                format!("{}|", chain.label),
            )),
            _ => Ok((cx.partitions(&self.node)?, None, String::new())),
        }
    }

    /// Adds one task per partition that runs `op` on a [`pipeline::Feed`] of the partition's
    /// items (streamed through this bag's chain when fused), returning the new keys.
    pub(crate) fn per_partition<A: Send + Sync + 'static>(
        &self,
        cx: &mut Lowering,
        name: &str,
        op: impl Fn(usize, pipeline::Feed<'_, T>) -> Result<A> + Send + Sync + 'static,
    ) -> Result<Vec<Key>> {
        let (inputs, driver, prefix) = self.stream_inputs(cx)?;
        let label = format!("{prefix}{name}");
        let key_name = Key::unique_name(name);
        let op = Arc::new(op);
        let mut keys = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            let (op, driver, input_key) = (op.clone(), driver.clone(), input.clone());
            let key = Key::chunk(key_name.as_str(), &[i]);
            keys.push(cx.call(key, &label, vec![input], move |mut values| {
                let value = values.pop().expect("one input");
                op(i, pipeline::Feed::new(driver.as_ref(), value, &input_key)).map(Value::new)
            })?);
        }
        Ok(keys)
    }
}

/// Concatenates partition values (`Vec<T>` each) in order, moving items when unshared.
fn concat<T: Clone + Send + Sync + 'static>(values: Vec<Value>, keys: &[Key]) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for (value, key) in values.into_iter().zip(keys) {
        let part: Vec<T> = value.take(key)?;
        if out.is_empty() {
            out = part;
        } else {
            out.extend(part);
        }
    }
    Ok(out)
}
