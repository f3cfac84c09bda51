//! `groupby`: a hash-partitioned shuffle that gathers all items of each key together.
//!
//! Each input partition is split by a hash of the key into `nout` buckets (one *split* task
//! per input partition, fused with a preceding chain); each output partition then gathers
//! its bucket from every split (one *gather* task per output partition) and groups it.
//! Buckets sit behind a `Mutex` so that each gather task moves its bucket out instead of
//! cloning items. Unlike [`Bag::foldby`], every item crosses the shuffle, so prefer
//! `foldby` when a per-group fold is all that is needed.

use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, Mutex};

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::Bag;
use super::lowering::Node;
use crate::error::{Error, Result};
use crate::graph::{Key, Value};

/// One split input partition: bucket `j` holds the `(key, item)` pairs bound for output `j`.
type Buckets<K, T> = Vec<Mutex<Vec<(K, T)>>>;

/// The output partition of `key` among `nout`: multiply-shift on the hash's high bits.
pub(crate) fn bucket_of<K: Hash>(key: &K, nout: usize) -> usize {
    let h = FxBuildHasher.hash_one(key);
    ((u128::from(h) * nout as u128) >> 64) as usize
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// Groups items by `key` into `(key, items)` pairs (items in their original order),
    /// with as many output partitions as this bag has.
    ///
    /// ```
    /// let b = chunkflow::Bag::range(10, 3)?;
    /// let mut groups = b.groupby(|x| x % 3).compute()?;
    /// groups.sort();
    /// assert_eq!(groups[0], (0, vec![0, 3, 6, 9]));
    /// assert_eq!(groups.len(), 3);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn groupby<K>(&self, key: impl Fn(&T) -> K + Send + Sync + 'static) -> Bag<(K, Vec<T>)>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
    {
        self.groupby_impl(self.npartitions(), key)
    }

    /// [`Bag::groupby`] into `npartitions` output partitions (at least one, else an error).
    /// Each key's group lies wholly in one output partition.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec!["apple", "avocado", "banana"], 2)?;
    /// let g = b.groupby_npartitions(5, |w| w.chars().next().unwrap())?;
    /// assert_eq!(g.npartitions(), 5);
    /// assert_eq!(g.count().compute()?, 2);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn groupby_npartitions<K>(
        &self,
        npartitions: usize,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> Result<Bag<(K, Vec<T>)>>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
    {
        if npartitions == 0 {
            return Err(Error::InvalidArgument(
                "groupby needs at least one output partition".into(),
            ));
        }
        Ok(self.groupby_impl(npartitions, key))
    }

    fn groupby_impl<K>(
        &self,
        nout: usize,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> Bag<(K, Vec<T>)>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
    {
        let input = self.clone();
        let key = Arc::new(key);
        let gather_name = Key::unique_name("groupby-gather");
        let node = Node::new("groupby", nout, vec![input.stream_source()], move |cx| {
            let key = key.clone();
            let splits = input.per_partition(cx, "groupby-split", move |_, feed| {
                let mut buckets: Vec<Vec<(K, T)>> = (0..nout).map(|_| Vec::new()).collect();
                feed.for_each(|t| {
                    let k = key(&t);
                    buckets[bucket_of(&k, nout)].push((k, t));
                })?;
                Ok::<Buckets<K, T>, Error>(buckets.into_iter().map(Mutex::new).collect())
            })?;
            let mut keys = Vec::with_capacity(nout);
            for j in 0..nout {
                let inputs = splits.clone();
                let out = Key::chunk(gather_name.as_str(), &[j]);
                keys.push(
                    cx.call(out, "groupby-gather", splits.clone(), move |values| {
                        let mut groups: FxHashMap<K, Vec<T>> = FxHashMap::default();
                        for (value, key) in values.iter().zip(&inputs) {
                            let buckets = value.get::<Buckets<K, T>>(key)?;
                            let bucket = std::mem::take(
                                &mut *buckets[j].lock().unwrap_or_else(|e| e.into_inner()),
                            );
                            for (k, t) in bucket {
                                groups.entry(k).or_default().push(t);
                            }
                        }
                        Ok(Value::new(groups.into_iter().collect::<Vec<(K, Vec<T>)>>()))
                    })?,
                );
            }
            Ok(keys)
        });
        Bag::from_node(node)
    }
}
