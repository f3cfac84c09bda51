//! Order-aware and bookkeeping operations: `accumulate`, `random_sample`, `starmap`,
//! `pluck_key`, `persist`.
//!
//! - [`Bag::accumulate`] / [`Bag::accumulate_from`] are Dask's `accumulate(binop,
//!   initial)`: running folds, carried from partition to partition (partition `i` waits for
//!   the last accumulator of partition `i - 1`, as in Dask), with the initial value, when
//!   given, as the first item.
//! - [`Bag::random_sample`] keeps each item with probability `prob`, decided by a hash of
//!   the seed and the item's position in the whole bag. So the sample is the same for any
//!   partitioning of the same items (Dask's depends on the partitioning and on its random
//!   state); the positions come from a running count of the partitions' lengths.
//! - [`Bag::persist`] computes the bag once and returns a bag over the computed partitions.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, Mutex};

use super::lowering::Node;
use super::{Bag, concat};
use crate::error::{Error, Result};
use crate::graph::{Key, Value};
use crate::options::Options;

/// The output of one accumulate task: the partition's running values (taken by the
/// partition's extract task) and the accumulator carried to the next partition.
struct Accumulated<A> {
    items: Mutex<Option<Vec<A>>>,
    carry: Option<A>,
}

/// A uniform number in `[0, 1)` for position `i` under `seed` (SplitMix64's finaliser).
fn uniform(seed: u64, i: u64) -> f64 {
    let mut z = seed
        .wrapping_mul(0xD1B5_4A32_D192_ED03)
        .wrapping_add(i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Items with fields reachable by key or index, for [`Bag::pluck_key`]: maps by key,
/// vectors, slices' owners and arrays by index.
///
/// ```
/// use chunkflow::bag::Field;
/// let v = vec![10, 20];
/// assert_eq!(v.field(&1), Some(&20));
/// assert_eq!(v.field(&2), None);
/// ```
pub trait Field<Q: ?Sized> {
    /// The field's type.
    type Value;
    /// The field at `key`, if there is one.
    fn field(&self, key: &Q) -> Option<&Self::Value>;
}

impl<K, V, S, Q> Field<Q> for HashMap<K, V, S>
where
    K: Borrow<Q> + Hash + Eq,
    Q: Hash + Eq + ?Sized,
    S: BuildHasher,
{
    type Value = V;
    fn field(&self, key: &Q) -> Option<&V> {
        self.get(key)
    }
}

impl<K, V, Q> Field<Q> for BTreeMap<K, V>
where
    K: Borrow<Q> + Ord,
    Q: Ord + ?Sized,
{
    type Value = V;
    fn field(&self, key: &Q) -> Option<&V> {
        self.get(key)
    }
}

impl<V> Field<usize> for Vec<V> {
    type Value = V;
    fn field(&self, key: &usize) -> Option<&V> {
        self.get(*key)
    }
}

impl<V, const N: usize> Field<usize> for [V; N] {
    type Value = V;
    fn field(&self, key: &usize) -> Option<&V> {
        self.get(*key)
    }
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// Running folds without an initial value: item `k` of the result is
    /// `binop(...binop(x0, x1)..., xk)` — Dask's `accumulate(binop)`.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![1, 2, 3, 4, 5], 3)?;
    /// assert_eq!(b.accumulate(|a, x| a + x).compute()?, [1, 3, 6, 10, 15]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn accumulate(&self, binop: impl Fn(T, T) -> T + Send + Sync + 'static) -> Bag<T> {
        self.accumulate_impl(None, |t| t, binop)
    }

    /// Running folds from `initial`, which is the first item of the result (so it has one
    /// item more than this bag): Dask's `accumulate(binop, initial)`.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![1, 2, 3, 4, 5], 2)?;
    /// assert_eq!(b.accumulate_from(-1, |a, x| a + x).compute()?, [-1, 0, 2, 5, 9, 14]);
    /// let lens = chunkflow::Bag::from_vec(vec!["ab", "c"], 2)?.accumulate_from(0, |n, s| n + s.len());
    /// assert_eq!(lens.compute()?, [0, 2, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn accumulate_from<A: Clone + Send + Sync + 'static>(
        &self,
        initial: A,
        binop: impl Fn(A, T) -> A + Send + Sync + 'static,
    ) -> Bag<A> {
        let start = initial.clone();
        let binop = Arc::new(binop);
        let b = binop.clone();
        // Never called: with an initial value the accumulator always exists.
        let lift = move |t: T| b(start.clone(), t);
        self.accumulate_impl(Some(initial), lift, move |a, t| binop(a, t))
    }

    fn accumulate_impl<A: Clone + Send + Sync + 'static>(
        &self,
        initial: Option<A>,
        lift: impl Fn(T) -> A + Send + Sync + 'static,
        binop: impl Fn(A, T) -> A + Send + Sync + 'static,
    ) -> Bag<A> {
        let input = self.node.clone();
        let n = self.npartitions();
        let (lift, binop) = (Arc::new(lift), Arc::new(binop));
        let (part_name, out_name) = (
            Key::unique_name("accumulate-part"),
            Key::unique_name("accumulate"),
        );
        let node = Node::new("accumulate", n, vec![input.clone()], move |cx| {
            let parts = cx.partitions(&input)?;
            let mut keys = Vec::with_capacity(n);
            let mut prev: Option<Key> = None;
            for (i, part) in parts.into_iter().enumerate() {
                let (lift, binop, initial) = (lift.clone(), binop.clone(), initial.clone());
                let mut inputs = vec![part];
                inputs.extend(prev.clone());
                let input_keys = inputs.clone();
                let key = Key::chunk(part_name.as_str(), &[i]);
                let acc_key = cx.call(key, "accumulate-part", inputs, move |mut values| {
                    let mut acc = match values.get(1) {
                        Some(v) => v.get::<Accumulated<A>>(&input_keys[1])?.carry.clone(),
                        None => initial.clone(),
                    };
                    let mut out = Vec::new();
                    if i == 0
                        && let Some(a) = &initial
                    {
                        out.push(a.clone());
                    }
                    values.truncate(1);
                    super::pipeline::drain::<T>(
                        values.pop().expect("one input"),
                        &input_keys[0],
                        |t| {
                            let next = match acc.take() {
                                Some(a) => binop(a, t),
                                None => lift(t),
                            };
                            out.push(next.clone());
                            acc = Some(next);
                        },
                    )?;
                    Ok(Value::new(Accumulated {
                        items: Mutex::new(Some(out)),
                        carry: acc,
                    }))
                })?;
                let k = acc_key.clone();
                let out_key = Key::chunk(out_name.as_str(), &[i]);
                keys.push(cx.call(
                    out_key,
                    "accumulate",
                    vec![acc_key.clone()],
                    move |values| {
                        let acc = values[0].get::<Accumulated<A>>(&k)?;
                        let items = acc
                            .items
                            .lock()
                            .map_err(|_| Error::Panic("poisoned".into()))?
                            .take();
                        items.map(Value::new).ok_or_else(|| Error::Internal {
                            pass: "accumulate",
                            message: "items taken twice".into(),
                        })
                    },
                )?);
                prev = Some(acc_key);
            }
            Ok(keys)
        });
        Bag::from_node(node)
    }

    /// Keeps each item with probability `prob` (in `[0, 1]`, else an error), reproducibly:
    /// the choice for the item at position `k` of the bag depends only on `seed` and `k`,
    /// so the same items in any partitioning give the same sample (Dask's
    /// `random_sample(prob, random_state)` depends on the partitioning).
    ///
    /// ```
    /// use chunkflow::Bag;
    /// let a = Bag::range(1000, 3)?.random_sample(0.1, 42)?.compute()?;
    /// let b = Bag::range(1000, 7)?.random_sample(0.1, 42)?.compute()?;
    /// assert_eq!(a, b);
    /// assert!(a.len() > 50 && a.len() < 150);
    /// assert!(Bag::range(10, 2)?.random_sample(1.5, 0).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn random_sample(&self, prob: f64, seed: u64) -> Result<Bag<T>> {
        if !(0.0..=1.0).contains(&prob) {
            return Err(Error::InvalidArgument(format!(
                "random_sample: prob must be in [0, 1], got {prob}"
            )));
        }
        let input = self.node.clone();
        let n = self.npartitions();
        let offset_name = Key::unique_name("random_sample-offset");
        let name = Key::unique_name("random_sample");
        let node = Node::new("random_sample", n, vec![input.clone()], move |cx| {
            let parts = cx.partitions(&input)?;
            let mut keys = Vec::with_capacity(n);
            let mut offset: Option<Key> = None;
            for (i, part) in parts.into_iter().enumerate() {
                let mut inputs = vec![part.clone()];
                inputs.extend(offset.clone());
                let input_keys = inputs.clone();
                let key = Key::chunk(name.as_str(), &[i]);
                keys.push(cx.call(key, "random_sample", inputs, move |values| {
                    let start = match values.get(1) {
                        Some(v) => *v.get::<u64>(&input_keys[1])?,
                        None => 0,
                    };
                    let items = values[0].get::<Vec<T>>(&input_keys[0])?;
                    let kept: Vec<T> = (start..)
                        .zip(items)
                        .filter(|(k, _)| uniform(seed, *k) < prob)
                        .map(|(_, t)| t.clone())
                        .collect();
                    Ok(Value::new(kept))
                })?);
                if i + 1 < n {
                    let mut inputs = vec![part];
                    inputs.extend(offset.clone());
                    let input_keys = inputs.clone();
                    let key = Key::chunk(offset_name.as_str(), &[i + 1]);
                    offset = Some(cx.call(key, "random_sample-offset", inputs, move |values| {
                        let before = match values.get(1) {
                            Some(v) => *v.get::<u64>(&input_keys[1])?,
                            None => 0,
                        };
                        let len = values[0].get::<Vec<T>>(&input_keys[0])?.len() as u64;
                        Ok(Value::new(before + len))
                    })?);
                }
            }
            Ok(keys)
        });
        Ok(Bag::from_node(node))
    }

    /// Field access by key or index (Dask's `pluck(key)` on dicts and lists): the field
    /// `key` of every item, cloned. An item without it fails the computation with an error
    /// naming the key (Dask raises `KeyError`/`IndexError`); see [`Bag::pluck_key_or`].
    /// For struct fields and tuples, [`Bag::pluck`] takes an accessor closure. `key` is of
    /// the map's key type or one it borrows as (`"a".to_string()` for `String` keys).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let rows = vec![HashMap::from([("name", "ann"), ("city", "Oslo")])];
    /// let b = chunkflow::Bag::from_vec(rows, 1)?;
    /// assert_eq!(b.pluck_key("city").compute()?, ["Oslo"]);
    /// assert!(b.pluck_key("age").compute().is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn pluck_key<Q>(&self, key: Q) -> Bag<T::Value>
    where
        Q: Debug + Send + Sync + 'static,
        T: Field<Q>,
        T::Value: Clone + Send + Sync + 'static,
    {
        self.push_try_stage("pluck", move |t: T, sink| match t.field(&key) {
            Some(v) => {
                sink(v.clone());
                Ok(())
            }
            None => Err(Error::InvalidArgument(format!(
                "pluck: an item has no field {key:?}"
            ))),
        })
    }

    /// [`Bag::pluck_key`] with a `default` for items without the field (Dask's
    /// `pluck(key, default)`).
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![vec![1, 2], vec![3]], 2)?;
    /// assert_eq!(b.pluck_key_or(1, 0).compute()?, [2, 0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn pluck_key_or<Q>(&self, key: Q, default: T::Value) -> Bag<T::Value>
    where
        Q: Send + Sync + 'static,
        T: Field<Q>,
        T::Value: Clone + Send + Sync + 'static,
    {
        self.push_stage("pluck", move |t: T, sink| {
            sink(t.field(&key).unwrap_or(&default).clone())
        })
    }

    /// Computes the bag now and returns a bag over the computed partitions (same
    /// partitioning), so later computations start from them instead of recomputing: Dask's
    /// `persist`, with the default [`Options`].
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// static CALLS: AtomicUsize = AtomicUsize::new(0);
    /// let b = chunkflow::Bag::range(4, 2)?.map(|x| { CALLS.fetch_add(1, Ordering::Relaxed); x * 2 });
    /// let p = b.persist()?;
    /// assert_eq!((p.sum().compute()?, p.count().compute()?), (12, 4));
    /// assert_eq!(CALLS.load(Ordering::Relaxed), 4); // the map ran once per item
    /// assert_eq!(p.npartitions(), 2);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn persist(&self) -> Result<Bag<T>> {
        self.persist_with(&Options::default())
    }

    /// [`Bag::persist`] with `options`.
    ///
    /// ```
    /// let p = chunkflow::Bag::range(3, 3)?.persist_with(&chunkflow::Options::new().synchronous())?;
    /// assert_eq!(p.compute()?, [0, 1, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn persist_with(&self, options: &Options) -> Result<Bag<T>> {
        let (graph, keys) = self.lower(options)?;
        let values = options.run(&graph.compile(&keys)?)?;
        let parts = values
            .into_iter()
            .zip(&keys)
            .map(|(v, k)| concat::<T>(vec![v], std::slice::from_ref(k)))
            .collect::<Result<Vec<Vec<T>>>>()?;
        Bag::from_partitions(parts)
    }
}

impl<A: Clone + Send + Sync + 'static, B: Clone + Send + Sync + 'static> Bag<(A, B)> {
    /// Applies `f` to each pair's elements as two arguments: Dask's `starmap`.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![(1, 2), (3, 4)], 2)?;
    /// assert_eq!(b.starmap(|x, y| x * y).compute()?, [2, 12]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn starmap<U: Clone + Send + Sync + 'static>(
        &self,
        f: impl Fn(A, B) -> U + Send + Sync + 'static,
    ) -> Bag<U> {
        self.push_stage("starmap", move |(a, b), sink| sink(f(a, b)))
    }
}

impl<A, B, C> Bag<(A, B, C)>
where
    A: Clone + Send + Sync + 'static,
    B: Clone + Send + Sync + 'static,
    C: Clone + Send + Sync + 'static,
{
    /// Applies `f` to each triple's elements as three arguments: Dask's `starmap`.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![(1, 2, 3)], 1)?;
    /// assert_eq!(b.starmap(|x, y, z| x + y * z).compute()?, [7]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn starmap<U: Clone + Send + Sync + 'static>(
        &self,
        f: impl Fn(A, B, C) -> U + Send + Sync + 'static,
    ) -> Bag<U> {
        self.push_stage("starmap", move |(a, b, c), sink| sink(f(a, b, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::uniform;

    #[test]
    fn uniform_is_in_range_and_spread() {
        let n = 100_000;
        let mean = (0..n)
            .map(|i| uniform(7, i))
            .inspect(|u| assert!((0.0..1.0).contains(u)))
            .sum::<f64>()
            / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        assert_ne!(uniform(1, 5), uniform(2, 5));
    }
}
