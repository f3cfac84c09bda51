//! Grouped folds without a shuffle: `foldby` (Dask's `Bag.foldby`) and `frequencies`.
//!
//! Each partition folds its items into a hash table `key -> accumulator` with `binop`,
//! starting each key from `initial`; the tables are then merged per key with `combine`,
//! starting from `combine_initial`, in a tree with fan-in `split_every` (default 8). Only the
//! small per-partition tables move between tasks, never the items. As in Dask, the merge
//! starts from `combine_initial` at every level of the tree, so it should be an identity of
//! `combine` (0 for `+`); then the result equals a flat fold over all partitions.
//!
//! Tables use FxHash (`rustc-hash`): for the short string keys of a word count it is several
//! times faster than std's SipHash, and bags hash trusted data, so HashDoS resistance is not
//! needed. The result is one partition of `(key, accumulator)` pairs in unspecified order.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use super::Bag;
use super::lowering::Node;
use super::tree::{self, SPLIT_EVERY};
use crate::error::Result;
use crate::graph::{Key, Value};

/// The largest per-partition table built so far by one fold, so that later partitions'
/// tables start at about the right capacity instead of growing (and rehashing) step by step.
#[derive(Default, Clone)]
pub(crate) struct SizeHint(Arc<AtomicUsize>);

impl SizeHint {
    /// An empty table with the hinted capacity.
    pub(crate) fn table<K, A>(&self) -> FxHashMap<K, A> {
        FxHashMap::with_capacity_and_hasher(self.0.load(Ordering::Relaxed), Default::default())
    }

    /// Records the size of a finished table.
    pub(crate) fn record(&self, len: usize) {
        self.0.fetch_max(len, Ordering::Relaxed);
    }
}

/// A per-key table of accumulators. A slot is `None` only while its accumulator is moved
/// through `binop`/`combine`, so accumulators are updated in place without a clone and the
/// tables are never rebuilt (rehashed) to change their value type.
pub(crate) type Table<K, A> = FxHashMap<K, Option<A>>;

/// Moves the accumulator out of `slot`, applies `f`, and puts the result back.
pub(crate) fn update<A>(slot: &mut Option<A>, f: impl FnOnce(A) -> A) {
    *slot = slot.take().map(f);
}

/// Merges per-key tables, each value folded into `combine_initial` with `combine`.
fn merge_tables<K, A>(
    tables: Vec<Table<K, A>>,
    combine: &(dyn Fn(A, A) -> A + Send + Sync),
    combine_initial: &A,
) -> Table<K, A>
where
    K: Hash + Eq,
    A: Clone,
{
    let mut tables = tables.into_iter();
    // Start from the first table, folding each of its values into combine_initial in place,
    // then merge the others into it.
    let mut out = tables.next().unwrap_or_default();
    for slot in out.values_mut() {
        update(slot, |a| combine(combine_initial.clone(), a));
    }
    for table in tables {
        for (k, a) in table {
            let a = a.expect("every slot is refilled");
            match out.entry(k) {
                Entry::Occupied(e) => update(e.into_mut(), |acc| combine(acc, a)),
                Entry::Vacant(e) => {
                    e.insert(Some(combine(combine_initial.clone(), a)));
                }
            }
        }
    }
    out
}

/// The distributed form of the merge, for a run on `cx.ranks` processes: the partitions
/// each process holds (in the contiguous blocks the distributed placement gives them:
/// partition `i` of `n` on process `i * ranks / n`) are merged into one table per process
/// (a tree of fan-in `split_every`, every input local); each process's table is split by
/// key hash into one bucket per process; bucket `j` of every process is merged on process
/// `j` (the placement breaks the tie between equally many inputs per process by the chunk
/// index `j`); the merged buckets, whose keys are disjoint, are concatenated into pairs.
/// So each key's partial accumulators meet on one process, and only per-process tables
/// cross processes, each once.
fn exchange<K, A>(
    cx: &mut super::lowering::Lowering,
    name: &str,
    parts: Vec<Key>,
    split_every: usize,
    merge: tree::Combine,
    combine: &Arc<dyn Fn(A, A) -> A + Send + Sync>,
    combine_initial: &A,
) -> Result<Key>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    A: Clone + Send + Sync + 'static,
{
    let (ranks, n) = (cx.ranks, parts.len());
    let mut per_rank: Vec<Vec<Key>> = vec![Vec::new(); ranks];
    for (i, key) in parts.into_iter().enumerate() {
        per_rank[(i as u128 * ranks as u128 / n as u128) as usize].push(key);
    }
    let bucket_name = Key::unique_name(&format!("{name}-bucket"));
    let gather_name = Key::unique_name(&format!("{name}-exchange"));
    let mut buckets: Vec<Vec<Key>> = vec![Vec::new(); ranks];
    for (r, keys) in per_rank.into_iter().enumerate() {
        if keys.is_empty() {
            continue;
        }
        let table = tree::tree_reduce(
            cx,
            keys,
            split_every,
            &format!("{name}-local"),
            merge.clone(),
            merge.clone(),
        )?;
        for (j, bucket) in buckets.iter_mut().enumerate() {
            let input = table.clone();
            let key = Key::chunk(bucket_name.as_str(), &[r, j]);
            bucket.push(
                cx.call(key, "foldby-bucket", vec![table.clone()], move |values| {
                    let table = values[0].get::<Table<K, A>>(&input)?;
                    let mine: Table<K, A> = table
                        .iter()
                        .filter(|(k, _)| super::groupby::bucket_of(*k, ranks) == j)
                        .map(|(k, a)| (k.clone(), a.clone()))
                        .collect();
                    Ok(Value::new(mine))
                })?,
            );
        }
    }
    let mut gathers = Vec::with_capacity(ranks);
    for (j, inputs) in buckets.into_iter().enumerate() {
        let (c, ci) = (combine.clone(), combine_initial.clone());
        let keys = inputs.clone();
        let key = Key::chunk(gather_name.as_str(), &[j]);
        gathers.push(cx.call(key, "foldby-exchange", inputs, move |values| {
            let tables = tree::take_all::<Table<K, A>>(values, &keys)?;
            let merged = merge_tables(tables, &*c, &ci).into_iter();
            let pairs = merged.map(|(k, a)| (k, a.expect("every slot is refilled")));
            Ok(Value::new(pairs.collect::<Vec<(K, A)>>()))
        })?);
    }
    let keys = gathers.clone();
    cx.call(
        Key::chunk(Key::unique_name(&format!("{name}-aggregate")), &[0]),
        "foldby-concat",
        gathers,
        move |values| {
            let parts = tree::take_all::<Vec<(K, A)>>(values, &keys)?;
            Ok(Value::new(parts.concat()))
        },
    )
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// Shared lowering of `foldby` and `frequencies`: `partial` builds one table per
    /// partition, tables are merged in a tree, the result is one partition of pairs.
    pub(crate) fn fold_tables<K, A>(
        &self,
        name: &str,
        split_every: usize,
        partial: impl Fn(super::pipeline::Feed<'_, T>) -> Result<Table<K, A>> + Send + Sync + 'static,
        combine: impl Fn(A, A) -> A + Send + Sync + 'static,
        combine_initial: A,
    ) -> Bag<(K, A)>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        A: Clone + Send + Sync + 'static,
    {
        let input = self.clone();
        let name = name.to_string();
        let partial = Arc::new(partial);
        let combine: Arc<dyn Fn(A, A) -> A + Send + Sync> = Arc::new(combine);
        let node = Node::new(name.clone(), 1, vec![input.stream_source()], move |cx| {
            let partial = partial.clone();
            let parts = input
                .per_partition(cx, &format!("{name}-partial"), move |_, feed| partial(feed))?;
            let (c, ci) = (combine.clone(), combine_initial.clone());
            let inner: tree::Combine = Arc::new(move |values: Vec<Value>, keys: &[Key]| {
                let tables = tree::take_all::<Table<K, A>>(values, keys)?;
                Ok(Value::new(merge_tables(tables, &*c, &ci)))
            });
            if cx.ranks > 1 && parts.len() > 1 {
                let key = exchange::<K, A>(
                    cx,
                    &name,
                    parts,
                    split_every,
                    inner,
                    &combine,
                    &combine_initial,
                )?;
                return Ok(vec![key]);
            }
            let (c, ci) = (combine.clone(), combine_initial.clone());
            let last: tree::Combine = Arc::new(move |values: Vec<Value>, keys: &[Key]| {
                let tables = tree::take_all::<Table<K, A>>(values, keys)?;
                let merged = merge_tables(tables, &*c, &ci).into_iter();
                let pairs = merged.map(|(k, a)| (k, a.expect("every slot is refilled")));
                Ok(Value::new(pairs.collect::<Vec<(K, A)>>()))
            });
            Ok(vec![tree::tree_reduce(
                cx,
                parts,
                split_every,
                &format!("{name}-aggregate"),
                inner,
                last,
            )?])
        });
        Bag::from_node(node)
    }

    /// Dask's `foldby`: groups items by `key` and folds each group, without a shuffle.
    ///
    /// Per partition, each item is folded into its key's accumulator with `binop`, a new key
    /// starting from `initial`; the per-partition tables are merged per key with `combine`
    /// starting from `combine_initial`, in a tree with fan-in 8 (see
    /// [`Bag::foldby_split_every`]). Returns one partition of `(key, accumulator)` pairs, in
    /// unspecified order.
    ///
    /// ```
    /// let words = chunkflow::Bag::from_vec(vec!["a", "bb", "cc", "d", "eee"], 2)?;
    /// // total length of the words, grouped by length
    /// let by_len = words.foldby(|w| w.len(), |acc, w| acc + w.len(), 0, |a, b| a + b, 0);
    /// let mut got = by_len.compute()?;
    /// got.sort();
    /// assert_eq!(got, [(1, 2), (2, 4), (3, 3)]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn foldby<K, A>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        binop: impl Fn(A, T) -> A + Send + Sync + 'static,
        initial: A,
        combine: impl Fn(A, A) -> A + Send + Sync + 'static,
        combine_initial: A,
    ) -> Bag<(K, A)>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        A: Clone + Send + Sync + 'static,
    {
        self.foldby_impl(SPLIT_EVERY, key, binop, initial, combine, combine_initial)
    }

    /// [`Bag::foldby`] with the merge tree's fan-in `split_every` (at least 2, else an
    /// error).
    ///
    /// ```
    /// let b = chunkflow::Bag::range(100, 10)?;
    /// let parity = b.foldby_split_every(2, |x| x % 2, |n, _| n + 1, 0_u64, |a, b| a + b, 0)?;
    /// let mut got = parity.compute()?;
    /// got.sort();
    /// assert_eq!(got, [(0, 50), (1, 50)]);
    /// assert!(b.foldby_split_every(1, |x| x % 2, |n, _| n + 1, 0_u64, |a, b| a + b, 0).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn foldby_split_every<K, A>(
        &self,
        split_every: usize,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        binop: impl Fn(A, T) -> A + Send + Sync + 'static,
        initial: A,
        combine: impl Fn(A, A) -> A + Send + Sync + 'static,
        combine_initial: A,
    ) -> Result<Bag<(K, A)>>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        A: Clone + Send + Sync + 'static,
    {
        tree::check_split_every(split_every)?;
        Ok(self.foldby_impl(split_every, key, binop, initial, combine, combine_initial))
    }

    fn foldby_impl<K, A>(
        &self,
        split_every: usize,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        binop: impl Fn(A, T) -> A + Send + Sync + 'static,
        initial: A,
        combine: impl Fn(A, A) -> A + Send + Sync + 'static,
        combine_initial: A,
    ) -> Bag<(K, A)>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        A: Clone + Send + Sync + 'static,
    {
        let hint = SizeHint::default();
        let partial = move |feed: super::pipeline::Feed<'_, T>| {
            let mut table: Table<K, A> = hint.table();
            feed.for_each(|t| match table.entry(key(&t)) {
                Entry::Occupied(e) => update(e.into_mut(), |acc| binop(acc, t)),
                Entry::Vacant(e) => {
                    e.insert(Some(binop(initial.clone(), t)));
                }
            })?;
            hint.record(table.len());
            Ok(table)
        };
        self.fold_tables("foldby", split_every, partial, combine, combine_initial)
    }

    /// How many times each distinct item occurs: Dask's `frequencies`, a `foldby` counting
    /// with the item itself as the key (moved into the table, not cloned).
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec!["x", "y", "x"], 3)?;
    /// let mut f = b.frequencies().compute()?;
    /// f.sort();
    /// assert_eq!(f, [("x", 2), ("y", 1)]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn frequencies(&self) -> Bag<(T, u64)>
    where
        T: Hash + Eq,
    {
        let hint = SizeHint::default();
        let partial = move |feed: super::pipeline::Feed<'_, T>| {
            let mut table: FxHashMap<T, u64> = hint.table();
            feed.for_each(|t| *table.entry(t).or_insert(0) += 1)?;
            hint.record(table.len());
            Ok(table.into_iter().map(|(t, n)| (t, Some(n))).collect())
        };
        self.fold_tables("frequencies", SPLIT_EVERY, partial, |a, b| a + b, 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{ExecGraph, Value};
    use crate::scheduler::{Observer, Scheduler, Threaded};
    use crate::{Bag, Options, Result};

    /// A threaded scheduler that claims to be `n` processes, so bags lower their
    /// distributed exchange (which any scheduler can run).
    struct Pretend(Threaded, usize);

    impl Scheduler for Pretend {
        fn name(&self) -> &'static str {
            "pretend"
        }
        fn workers(&self) -> usize {
            self.0.workers()
        }
        fn run(&self, graph: &ExecGraph, observer: Option<&dyn Observer>) -> Result<Vec<Value>> {
            self.0.run(graph, observer)
        }
        fn ranks(&self) -> usize {
            self.1
        }
    }

    #[test]
    fn exchange_lowering_gives_the_tree_result() {
        let words: Vec<String> = (0..3000).map(|i| format!("w{}", (i * 7) % 101)).collect();
        let bag = Bag::from_vec(words, 19).unwrap();
        for ranks in [2, 3, 25] {
            let options = Options::default().scheduler(Pretend(Threaded::new(2).unwrap(), ranks));
            let (graph, _) = bag.frequencies().lower(&options).unwrap();
            assert!(graph.iter().any(|(_, t)| t.label() == "foldby-exchange"));
            let mut got = bag.frequencies().compute_with(&options).unwrap();
            let mut want = bag.frequencies().compute().unwrap();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{ranks} ranks");
            let lens = bag.foldby(|w| w.len(), |n, _| n + 1, 0_u64, |a, b| a + b, 0);
            let mut got = lens.compute_with(&options).unwrap();
            got.sort();
            assert_eq!(got, [(2, 298), (3, 2673), (4, 29)]);
        }
    }
}
