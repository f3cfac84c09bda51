//! Computing several bags, items and arrays in one run: [`compute`] / [`compute_with`]
//! (Dask's `dask.compute(a, b, ...)`), also at the root as
//! [`chunkflow::compute_all`](crate::compute_all).
//!
//! ```
//! use chunkflow::Bag;
//! let words = Bag::from_vec(vec!["a bb", "ccc a", ""], 2)?
//!     .flat_map(|line| line.split_whitespace().collect::<Vec<_>>());
//! let lengths = words.map(|w| w.len() as f64).to_array();
//! let (mut freq, n, mean) =
//!     chunkflow::bag::compute((&words.frequencies(), &words.count(), &lengths.mean()))?;
//! freq.sort();
//! assert_eq!((freq, n), (vec![("a", 2), ("bb", 1), ("ccc", 1)], 4));
//! assert_eq!(mean.first(), Some(&1.75)); // a 0-d ArrayD
//! # Ok::<(), chunkflow::Error>(())
//! ```
//!
//! ## Decisions
//!
//! - **One function for every mix.** [`Output`] is implemented by [`Bag`] (all its items,
//!   `Vec<T>`), [`Item`] (its value) and [`Array`] (an `ArrayD<T>`), so `bag::compute` takes
//!   any tuple of them; [`chunkflow::compute`](crate::array::compute) stays the arrays-only
//!   function (its [`Computable`](crate::Computable) tuples are unchanged), and
//!   `chunkflow::compute_all` names the mixed one at the root.
//! - **One lowering, one graph.** The bag outputs are lowered into one bag [`Lowering`]
//!   (memoised by node identity); the array outputs are planned, optimized and lowered as
//!   `chunkflow::compute` does (CSE, fusion, in-place results), with that bag lowering
//!   handed to every [`Bag::to_array`] source in them: the source lowers its bag there, so
//!   a bag node that a bag output also reads is lowered once, and its tasks are not copied
//!   into the array graph. The two graphs hold disjoint tasks and are merged with
//!   `TaskGraph::merge`, which refuses a key both hold (never replacing a task, never
//!   assuming two tasks under one key are the same), then compiled once for every distinct
//!   output key and run once under the options (scheduler, observers, progress, report;
//!   the report shows the array plan).
//! - **What is shared** is what one bag lowering shares: a bag node (by identity), so a
//!   materialised bag (a `persist`ed or `from_vec` bag, `repartition`, `groupby`, a shuffle,
//!   every stage with fusion off) is computed once however many bag and array outputs read
//!   it. A fused chain of per-item operations (`map`, `filter`, `flat_map`) is not a task of
//!   its own: each consumer streams it from the chain's source, so a chain feeding a
//!   `count` and a `to_array` runs its closures once per consumer (its source partitions
//!   are still read once). Arrays share their subexpressions through the array optimizer,
//!   as in `chunkflow::compute`; an array and a bag never share an array node.
//! - **Errors.** A failing or panicking task in any output fails the whole call with an
//!   [`Error`] naming the task; an array that cannot be built (an operation needing the
//!   unknown chunk sizes of a `to_array` array) fails it before anything runs.

use std::sync::Arc;

use ndarray::ArrayD;

use super::aggregate::Item;
use super::lowering::{Lowering, Node};
use super::{Bag, concat};
use crate::array::{Array, Collect, ComputedChunks, computed_chunks, lower_outputs};
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::graph::{Key, Value};
use crate::options::Options;
use crate::plan::Node as ArrayNode;

/// An output's plan node, opaque to users.
#[doc(hidden)]
pub struct OutputNode(Plan);

enum Plan {
    Bag(Arc<Node>),
    Array(Arc<ArrayNode>),
}

/// An output's computed value before it is typed, opaque to users.
#[doc(hidden)]
pub struct Computed(Parts);

enum Parts {
    Bag { values: Vec<Value>, keys: Vec<Key> },
    Array(ComputedChunks),
}

fn mismatch() -> Error {
    Error::Internal {
        pass: "bag::compute",
        message: "an output computed as the wrong kind".into(),
    }
}

/// A lazy result that [`compute`] can compute together with others: a [`Bag`] (all its
/// items), an [`Item`] (its value) or an [`Array`] (an `ArrayD`).
///
/// ```
/// use chunkflow::bag::Output;
/// fn takes<O: Output>(_: &O) {}
/// takes(&chunkflow::Bag::range(3, 1)?);
/// takes(&chunkflow::Array::<f64>::zeros(&[3], 3)?);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub trait Output {
    /// What computing it gives.
    type Value;
    #[doc(hidden)]
    fn output_node(&self) -> OutputNode;
    #[doc(hidden)]
    fn collect(computed: Computed) -> Result<Self::Value>;
}

impl<T: Clone + Send + Sync + 'static> Output for Bag<T> {
    type Value = Vec<T>;
    fn output_node(&self) -> OutputNode {
        OutputNode(Plan::Bag(self.node.clone()))
    }
    fn collect(computed: Computed) -> Result<Vec<T>> {
        match computed.0 {
            Parts::Bag { values, keys } => concat(values, &keys),
            Parts::Array(_) => Err(mismatch()),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Output for Item<T> {
    type Value = T;
    fn output_node(&self) -> OutputNode {
        OutputNode(Plan::Bag(self.node.clone()))
    }
    fn collect(computed: Computed) -> Result<T> {
        let Parts::Bag { values, keys } = computed.0 else {
            return Err(mismatch());
        };
        let (Some(value), Some(key)) = (values.into_iter().next(), keys.first()) else {
            return Err(Error::Internal {
                pass: "bag::compute",
                message: "an item without a value".into(),
            });
        };
        value.take(key)
    }
}

impl<T: Element> Output for Array<T> {
    type Value = ArrayD<T>;
    fn output_node(&self) -> OutputNode {
        OutputNode(Plan::Array(self.node().clone()))
    }
    fn collect(computed: Computed) -> Result<ArrayD<T>> {
        match computed.0 {
            Parts::Array(chunks) => chunks.into_array::<T>(),
            Parts::Bag { .. } => Err(mismatch()),
        }
    }
}

/// A tuple of references to [`Output`]s, computed together by [`compute`].
pub trait Outputs {
    /// The tuple of computed values.
    type Values;
    #[doc(hidden)]
    fn nodes(&self) -> Vec<OutputNode>;
    #[doc(hidden)]
    fn collect_all(parts: Vec<Computed>) -> Result<Self::Values>;
}

macro_rules! outputs_tuple {
    ($($name:ident),+) => {
        impl<'a, $($name: Output),+> Outputs for ($(&'a $name,)+) {
            type Values = ($($name::Value,)+);
            #[allow(non_snake_case)]
            fn nodes(&self) -> Vec<OutputNode> {
                let ($($name,)+) = self;
                vec![$($name.output_node()),+]
            }
            #[allow(non_snake_case)]
            fn collect_all(parts: Vec<Computed>) -> Result<Self::Values> {
                let mut it = parts.into_iter();
                $(
                    let $name = $name::collect(it.next().ok_or_else(|| Error::Internal {
                        pass: "bag::compute",
                        message: "an output without a result".into(),
                    })?)?;
                )+
                Ok(($($name,)+))
            }
        }
    };
}

outputs_tuple!(A);
outputs_tuple!(A, B);
outputs_tuple!(A, B, C);
outputs_tuple!(A, B, C, D);
outputs_tuple!(A, B, C, D, E);
outputs_tuple!(A, B, C, D, E, F);
outputs_tuple!(A, B, C, D, E, F, G);
outputs_tuple!(A, B, C, D, E, F, G, H);

/// Computes several bags, items and arrays in one run with the default [`Options`] (Dask's
/// `dask.compute(a, b, ...)`; also [`chunkflow::compute_all`](crate::compute_all)). A tuple
/// of up to 8 references to [`Output`]s gives a tuple of their values: `Vec<T>` for a bag,
/// `T` for an item, `ArrayD<T>` for an array. All outputs are lowered into one task graph,
/// so a bag they share (materialised, `persist`ed, a shuffle, a stage with fusion off) is
/// computed once, also when an array reads it through [`Bag::to_array`]; a fused chain
/// feeding two consumers is streamed by each of them (see the [module docs](crate::bag)).
///
/// ```
/// use chunkflow::Bag;
/// let squares = Bag::range(10, 3)?.map(|x| x * x).persist()?;
/// let (all, total, n) = chunkflow::bag::compute((&squares, &squares.sum(), &squares.count()))?;
/// assert_eq!((all.len(), total, n), (10, 285, 10));
///
/// // Bags and arrays together: the repartitioned bag runs once for both outputs.
/// let evens = Bag::range(10, 3)?.filter(|x| x % 2 == 0).repartition(2)?;
/// let x = evens.map(|x| x as f64).to_array();
/// let (n, sum, doubled) = chunkflow::bag::compute((&evens.count(), &x.sum(), &(&x * 2.0)))?;
/// assert_eq!((n, sum.first()), (5, Some(&20.0)));
/// assert_eq!(doubled.as_slice().unwrap(), &[0.0, 4.0, 8.0, 12.0, 16.0]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn compute<O: Outputs>(outputs: O) -> Result<O::Values> {
    compute_with(outputs, &Options::default())
}

/// [`compute`] with `options`: their scheduler, observers, progress bar and report, their
/// [`Options::fuse`] for the bags, and every optimizer switch for the arrays.
///
/// ```
/// use chunkflow::{Bag, Options};
/// let words = Bag::from_vec(vec!["a", "b", "a"], 2)?;
/// let (f, n) = chunkflow::bag::compute_with((&words.frequencies(), &words.count()), &Options::new().synchronous())?;
/// assert_eq!((f.len(), n), (2, 3));
/// let ones = words.map(|_| 1_i64).to_array();
/// let (total, n) = chunkflow::bag::compute_with((&ones.sum(), &words.count()), &Options::new().fuse(false))?;
/// assert_eq!((total.first(), n), (Some(&3), 3));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn compute_with<O: Outputs>(outputs: O, options: &Options) -> Result<O::Values> {
    let nodes = outputs.nodes();
    let mut cx = Lowering::for_options(options);
    // Per output, its keys (bags now; arrays once lowered).
    let mut per_output: Vec<Option<Vec<Key>>> = Vec::with_capacity(nodes.len());
    let mut array_nodes: Vec<Arc<ArrayNode>> = Vec::new();
    for OutputNode(plan) in &nodes {
        match plan {
            Plan::Bag(node) => per_output.push(Some(cx.partitions(node)?)),
            Plan::Array(node) => {
                array_nodes.push(node.clone());
                per_output.push(None);
            }
        }
    }
    // The arrays' bag sources lower their bags into `cx`, next to the bag outputs'.
    let arrays = if array_nodes.is_empty() {
        None
    } else {
        Some(lower_outputs(
            &array_nodes,
            options,
            Collect::Arrays,
            &mut cx,
        )?)
    };
    let mut graph = std::mem::take(&mut cx.graph);
    drop(cx);
    let (plan, mut array_keys, buffers) = match arrays {
        Some((plan, lowered)) => {
            graph.merge(lowered.graph)?;
            (Some(plan), lowered.outputs, lowered.buffers)
        }
        None => (None, Vec::new(), Vec::new()),
    };
    {
        let mut next = array_keys.iter();
        for keys in per_output.iter_mut().filter(|k| k.is_none()) {
            *keys = next.next().cloned();
        }
    }
    // One request per distinct key: an output given twice is still computed once.
    let mut unique: Vec<Key> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for key in per_output.iter().flatten().flatten() {
        index.entry(key.clone()).or_insert_with(|| {
            unique.push(key.clone());
            unique.len() - 1
        });
    }
    let exec = graph.compile(&unique)?;
    drop(graph);
    let values = options.run_with_plan(&exec, plan.as_ref());
    drop(exec); // the kernels hold the arrays' in-place buffers
    let values = values?;
    let pick =
        |keys: &[Key]| -> Vec<Value> { keys.iter().map(|k| values[index[k]].clone()).collect() };
    let array_values: Vec<Value> = array_keys.iter().flat_map(|keys| pick(keys)).collect();
    let mut computed_arrays = computed_chunks(
        &array_nodes,
        std::mem::take(&mut array_keys),
        buffers,
        array_values,
    )
    .into_iter();
    let mut parts = Vec::with_capacity(nodes.len());
    for (OutputNode(plan), keys) in nodes.iter().zip(per_output) {
        parts.push(Computed(match plan {
            Plan::Bag(_) => {
                let keys = keys.unwrap_or_default();
                Parts::Bag {
                    values: pick(&keys),
                    keys,
                }
            }
            Plan::Array(_) => Parts::Array(computed_arrays.next().ok_or_else(mismatch)?),
        }));
    }
    drop(values);
    O::collect_all(parts)
}
