//! Selecting and reshaping: `take`, `topk`, `distinct`, `repartition`.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::hash::Hash;
use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::create::split_bounds;
use super::lowering::Node;
use super::tree::SPLIT_EVERY;
use super::{Bag, concat};
use crate::error::{Error, Result};
use crate::graph::Value;
use crate::options::Options;

/// A `topk` candidate: its sort key, its position in the bag (for deterministic ties: the
/// earlier item wins), and the item. Ordered so that "greater" means "better".
#[derive(Clone)]
struct Ranked<K, T> {
    key: K,
    pos: (usize, usize),
    item: T,
}

impl<K: Ord, T> Ord for Ranked<K, T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key
            .cmp(&other.key)
            .then_with(|| other.pos.cmp(&self.pos))
    }
}
impl<K: Ord, T> PartialOrd for Ranked<K, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: Ord, T> PartialEq for Ranked<K, T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<K: Ord, T> Eq for Ranked<K, T> {}

/// Keeps the best `k` of `items` in a min-heap of size `k`.
fn best_k<K: Ord, T>(k: usize, items: impl IntoIterator<Item = Ranked<K, T>>) -> Vec<Ranked<K, T>> {
    let mut heap = BinaryHeap::with_capacity(k + 1);
    if k > 0 {
        for r in items {
            heap.push(Reverse(r));
            if heap.len() > k {
                heap.pop();
            }
        }
    }
    heap.into_iter().map(|Reverse(r)| r).collect()
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// The first `n` items (fewer if the bag is shorter), computed eagerly like Dask's
    /// `take`, with the default [`Options`]. See [`Bag::take_with`].
    ///
    /// ```
    /// let b = chunkflow::Bag::range(100, 10)?.map(|x| x * 2);
    /// assert_eq!(b.take(3)?, [0, 2, 4]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn take(&self, n: usize) -> Result<Vec<T>> {
        self.take_with(n, &Options::default())
    }

    /// [`Bag::take`] with `options`. Only the partitions needed are computed: partitions
    /// are run in batches of 1, 2, 4, ... in order (each run culled to its batch's tasks)
    /// until `n` items are found. Work shared by all partitions (a shuffle upstream) is
    /// recomputed per batch.
    ///
    /// ```
    /// use chunkflow::{Bag, Options};
    /// let b = Bag::from_vec(vec![1, 2, 3, 4], 4)?;
    /// assert_eq!(b.take_with(10, &Options::new().synchronous())?, [1, 2, 3, 4]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn take_with(&self, n: usize, options: &Options) -> Result<Vec<T>> {
        let (graph, keys) = self.lower(options)?;
        let mut out = Vec::new();
        let (mut start, mut batch) = (0, 1);
        while out.len() < n && start < keys.len() {
            let end = (start + batch).min(keys.len());
            let outputs = &keys[start..end];
            let values = options.run(&graph.compile(outputs)?)?;
            out.extend(concat::<T>(values, outputs)?);
            start = end;
            batch *= 2;
        }
        out.truncate(n);
        Ok(out)
    }

    /// The `k` items with the largest `key`, sorted by key descending (ties: earlier items
    /// first), in one partition. Each partition keeps its best `k` in a heap; candidates are
    /// merged in a tree.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec!["ccc", "a", "bb", "dd"], 3)?;
    /// assert_eq!(b.topk(2, |s| s.len()).compute()?, ["ccc", "bb"]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn topk<K>(&self, k: usize, key: impl Fn(&T) -> K + Send + Sync + 'static) -> Bag<T>
    where
        K: Ord + Clone + Send + Sync + 'static,
    {
        let scalar = self.aggregate(
            "topk",
            SPLIT_EVERY,
            move |i, feed| {
                let mut ranked = Vec::new();
                let mut j = 0;
                feed.for_each(|t| {
                    ranked.push(Ranked {
                        key: key(&t),
                        pos: (i, j),
                        item: t,
                    });
                    j += 1;
                    if ranked.len() >= 2 * k.max(1024) {
                        ranked = best_k(k, std::mem::take(&mut ranked));
                    }
                })?;
                Ok(best_k(k, ranked))
            },
            move |parts: Vec<Vec<Ranked<K, T>>>| Ok(best_k(k, parts.into_iter().flatten())),
            |mut best: Vec<Ranked<K, T>>| {
                best.sort_by(|a, b| b.cmp(a));
                Ok(best.into_iter().map(|r| r.item).collect::<Vec<T>>())
            },
        );
        Bag::from_node(scalar.node)
    }

    /// The distinct items, in one partition, in unspecified order. Each partition builds a
    /// hash set; sets are merged in a tree.
    ///
    /// ```
    /// let mut d = chunkflow::Bag::from_vec(vec![3, 1, 3, 2, 1], 2)?.distinct().compute()?;
    /// d.sort();
    /// assert_eq!(d, [1, 2, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn distinct(&self) -> Bag<T>
    where
        T: Hash + Eq,
    {
        let scalar = self.aggregate(
            "distinct",
            SPLIT_EVERY,
            |_, feed| {
                let mut set = FxHashSet::default();
                feed.for_each(|t| {
                    set.insert(t);
                })?;
                Ok(set)
            },
            |sets: Vec<FxHashSet<T>>| {
                let mut sets = sets.into_iter();
                let mut out = sets.next().unwrap_or_default();
                sets.for_each(|s| out.extend(s));
                Ok(out)
            },
            |set| Ok(set.into_iter().collect::<Vec<T>>()),
        );
        Bag::from_node(scalar.node)
    }

    /// The same items in the same order, in `npartitions` near-equal partitions (at least
    /// one, else an error). Every output task reads all input partitions (only their lengths
    /// and its own slice, whose items it clones), so keep partition counts moderate.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![1, 2, 3, 4, 5], 1)?.repartition(3)?;
    /// assert_eq!(b.npartitions(), 3);
    /// assert_eq!(b.compute()?, [1, 2, 3, 4, 5]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn repartition(&self, npartitions: usize) -> Result<Bag<T>> {
        if npartitions == 0 {
            return Err(Error::InvalidArgument(
                "repartition needs at least one partition".into(),
            ));
        }
        let input = self.node.clone();
        let name = crate::graph::Key::unique_name("repartition");
        let node = Node::new("repartition", npartitions, vec![input.clone()], move |cx| {
            let inputs = Arc::new(cx.partitions(&input)?);
            let mut keys = Vec::with_capacity(npartitions);
            for j in 0..npartitions {
                let input_keys = inputs.clone();
                let key = crate::graph::Key::chunk(name.as_str(), &[j]);
                keys.push(cx.call(key, "repartition", inputs.to_vec(), move |values| {
                    let parts = values
                        .iter()
                        .zip(input_keys.iter())
                        .map(|(v, k)| v.get::<Vec<T>>(k))
                        .collect::<Result<Vec<_>>>()?;
                    let total = parts.iter().map(|p| p.len()).sum();
                    let (a, b) = split_bounds(total, npartitions, j);
                    let mut out = Vec::with_capacity(b - a);
                    let mut offset = 0;
                    for p in parts {
                        let (lo, hi) = (a.max(offset), b.min(offset + p.len()));
                        if lo < hi {
                            out.extend_from_slice(&p[lo - offset..hi - offset]);
                        }
                        offset += p.len();
                    }
                    Ok(Value::new(out))
                })?);
            }
            Ok(keys)
        });
        Ok(Bag::from_node(node))
    }
}
