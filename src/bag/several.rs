//! Computing several bags and items in one run: [`compute`] / [`compute_with`] (Dask's
//! `dask.compute(a, b, ...)`).
//!
//! All outputs are lowered into one task graph with one memo table, so a bag they share
//! (a materialised source, a `persist`ed bag, a shuffle, a stage with fusion off) is
//! computed once; a fused chain of per-item operations feeding two consumers is streamed
//! by each of them (its source is still shared). Arrays have their own
//! [`chunkflow::compute`](crate::array::compute).

use std::sync::Arc;

use super::aggregate::Item;
use super::lowering::{Lowering, Node};
use super::{Bag, concat};
use crate::error::{Error, Result};
use crate::graph::{Key, Value};
use crate::options::Options;

/// A bag output's plan node, opaque to users.
#[doc(hidden)]
pub struct OutputNode(Arc<Node>);

/// A lazy result that [`compute`] can compute together with others: a [`Bag`] (all its
/// items) or an [`Item`] (its value).
///
/// ```
/// use chunkflow::bag::Output;
/// fn takes<O: Output>(_: &O) {}
/// takes(&chunkflow::Bag::range(3, 1)?);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub trait Output {
    /// What computing it gives.
    type Value;
    #[doc(hidden)]
    fn output_node(&self) -> OutputNode;
    #[doc(hidden)]
    fn collect(values: Vec<Value>, keys: &[Key]) -> Result<Self::Value>;
}

impl<T: Clone + Send + Sync + 'static> Output for Bag<T> {
    type Value = Vec<T>;
    fn output_node(&self) -> OutputNode {
        OutputNode(self.node.clone())
    }
    fn collect(values: Vec<Value>, keys: &[Key]) -> Result<Vec<T>> {
        concat(values, keys)
    }
}

impl<T: Clone + Send + Sync + 'static> Output for Item<T> {
    type Value = T;
    fn output_node(&self) -> OutputNode {
        OutputNode(self.node.clone())
    }
    fn collect(values: Vec<Value>, keys: &[Key]) -> Result<T> {
        let value = values.into_iter().next().ok_or_else(|| Error::Internal {
            pass: "bag::compute",
            message: "an item without a value".into(),
        })?;
        value.take(&keys[0])
    }
}

/// A tuple of references to [`Output`]s, computed together by [`compute`].
pub trait Outputs {
    /// The tuple of computed values.
    type Values;
    #[doc(hidden)]
    fn nodes(&self) -> Vec<OutputNode>;
    #[doc(hidden)]
    fn collect_all(parts: Vec<(Vec<Value>, Vec<Key>)>) -> Result<Self::Values>;
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
            fn collect_all(parts: Vec<(Vec<Value>, Vec<Key>)>) -> Result<Self::Values> {
                let mut it = parts.into_iter();
                $(
                    let (values, keys) = it.next().expect("one part per output");
                    let $name = $name::collect(values, &keys)?;
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

/// Computes several bags and items in one run with the default [`Options`] (Dask's
/// `dask.compute(a, b, ...)`). All outputs are lowered into one task graph, so a bag they
/// share (materialised, `persist`ed, a shuffle, a stage with fusion off) is computed once;
/// a fused chain feeding two consumers is streamed by each of them.
///
/// ```
/// use chunkflow::Bag;
/// let squares = Bag::range(10, 3)?.map(|x| x * x).persist()?;
/// let (all, total, n) = chunkflow::bag::compute((&squares, &squares.sum(), &squares.count()))?;
/// assert_eq!((all.len(), total, n), (10, 285, 10));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn compute<O: Outputs>(outputs: O) -> Result<O::Values> {
    compute_with(outputs, &Options::default())
}

/// [`compute`] with `options`.
///
/// ```
/// use chunkflow::{Bag, Options};
/// let words = Bag::from_vec(vec!["a", "b", "a"], 2)?;
/// let (f, n) = chunkflow::bag::compute_with((&words.frequencies(), &words.count()), &Options::new().synchronous())?;
/// assert_eq!((f.len(), n), (2, 3));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn compute_with<O: Outputs>(outputs: O, options: &Options) -> Result<O::Values> {
    let mut cx = Lowering::for_options(options);
    let mut per_output = Vec::new();
    for OutputNode(node) in outputs.nodes() {
        per_output.push(cx.partitions(&node)?);
    }
    // One request per distinct key: a bag given twice is still computed once.
    let mut unique: Vec<Key> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for key in per_output.iter().flatten() {
        index.entry(key.clone()).or_insert_with(|| {
            unique.push(key.clone());
            unique.len() - 1
        });
    }
    let values = options.run(&cx.graph.compile(&unique)?)?;
    let parts = per_output
        .into_iter()
        .map(|keys| {
            let values = keys.iter().map(|k| values[index[k]].clone()).collect();
            (values, keys)
        })
        .collect::<Vec<_>>();
    drop(values);
    O::collect_all(parts)
}
