//! Operations over several bags: `concat`, `zip`, `product`, and `join` against a small
//! in-memory table.
//!
//! - [`Bag::concat`] puts the partitions of several bags one after the other (Dask's
//!   `dask.bag.concat`): no task of its own, the output partitions are the inputs'.
//! - [`Bag::zip`] pairs partition `i` of two bags item by item (Dask's `dask.bag.zip`): the
//!   bags must have as many partitions, and matching partitions as many items — Python's
//!   `zip` silently truncates, here a length mismatch fails the partition's task.
//! - [`Bag::product`] is the Cartesian product, one output partition per pair of input
//!   partitions (`self` major), as Dask's `Bag.product`.
//! - [`Bag::join`] is Dask's `Bag.join(other, on_self, on_other)` with an in-memory `other`:
//!   an inner join that emits `(other_item, self_item)` pairs (Dask's order), the matches of
//!   one item in `other`'s order. `other` is hashed once, when the bag is built, and shared by
//!   every partition task; the join is a fused per-item stage.

use std::hash::Hash;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::Bag;
use super::create::partition_with_capacity;
use super::lowering::Node;
use super::pipeline::drain;
use crate::error::{Error, Result};
use crate::graph::{Key, Value};

/// A partition value's items, moved out when unshared and cloned otherwise.
fn items<T: Clone + Send + Sync + 'static>(value: Value, key: &Key) -> Result<Vec<T>> {
    let mut out = Vec::new();
    drain(value, key, |t| out.push(t))?;
    Ok(out)
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// The bags' items one bag after the other: their partitions, in order (at least one
    /// bag, else an error).
    ///
    /// ```
    /// use chunkflow::Bag;
    /// let a = Bag::from_vec(vec![1, 2], 2)?;
    /// let b = Bag::range(3, 1)?.map(|x| x as i32 + 10);
    /// let c = Bag::concat(&[a, b])?;
    /// assert_eq!(c.npartitions(), 3);
    /// assert_eq!(c.compute()?, [1, 2, 10, 11, 12]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn concat(bags: &[Bag<T>]) -> Result<Bag<T>> {
        if bags.is_empty() {
            return Err(Error::InvalidArgument(
                "concat needs at least one bag".into(),
            ));
        }
        let nodes: Vec<Arc<Node>> = bags.iter().map(|b| b.node.clone()).collect();
        let n = nodes.iter().map(|n| n.npartitions).sum();
        let node = Node::new("concat", n, nodes.clone(), move |cx| {
            let mut keys = Vec::with_capacity(n);
            for node in &nodes {
                keys.extend(cx.partitions(node)?);
            }
            Ok(keys)
        });
        Ok(Bag::from_node(node))
    }

    /// Pairs the items of two bags partition by partition: Dask's `zip`. Both bags need the
    /// same number of partitions (an error here) and partitions of equal length (else the
    /// partition's task fails: Python's `zip` would drop the extra items silently).
    ///
    /// ```
    /// use chunkflow::Bag;
    /// let names = Bag::from_vec(vec!["a", "b", "c"], 2)?;
    /// let zipped = names.zip(&Bag::range(3, 2)?)?;
    /// assert_eq!(zipped.compute()?, [("a", 0), ("b", 1), ("c", 2)]);
    /// assert!(names.zip(&Bag::range(3, 3)?).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn zip<U: Clone + Send + Sync + 'static>(&self, other: &Bag<U>) -> Result<Bag<(T, U)>> {
        let n = self.npartitions();
        if other.npartitions() != n {
            return Err(Error::InvalidArgument(format!(
                "zip needs bags with equal partition counts, got {n} and {}",
                other.npartitions()
            )));
        }
        let (a, b) = (self.node.clone(), other.node.clone());
        let name = Key::unique_name("zip");
        let node = Node::new("zip", n, vec![a.clone(), b.clone()], move |cx| {
            let (xs, ys) = (cx.partitions(&a)?, cx.partitions(&b)?);
            let mut keys = Vec::with_capacity(n);
            for (i, (x, y)) in xs.into_iter().zip(ys).enumerate() {
                let inputs = [x.clone(), y.clone()];
                let key = Key::chunk(name.as_str(), &[i]);
                keys.push(cx.call(key, "zip", vec![x, y], move |mut values| {
                    let ys: Vec<U> = items(values.pop().expect("two inputs"), &inputs[1])?;
                    let xs: Vec<T> = items(values.pop().expect("two inputs"), &inputs[0])?;
                    if xs.len() != ys.len() {
                        return Err(Error::InvalidArgument(format!(
                            "zip: partition {i} has {} items in one bag and {} in the other",
                            xs.len(),
                            ys.len()
                        )));
                    }
                    Ok(Value::new(xs.into_iter().zip(ys).collect::<Vec<(T, U)>>()))
                })?);
            }
            Ok(keys)
        });
        Ok(Bag::from_node(node))
    }

    /// The Cartesian product: every `(a, b)` for `a` in this bag and `b` in `other`, in
    /// `self.npartitions() * other.npartitions()` partitions (partition `i * m + j` pairs
    /// partition `i` of `self` with partition `j` of `other`), as Dask's `product`.
    ///
    /// ```
    /// use chunkflow::Bag;
    /// let p = Bag::from_vec(vec![1, 2], 2)?.product(&Bag::from_vec(vec!['x', 'y'], 1)?);
    /// assert_eq!(p.npartitions(), 2);
    /// assert_eq!(p.compute()?, [(1, 'x'), (1, 'y'), (2, 'x'), (2, 'y')]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn product<U: Clone + Send + Sync + 'static>(&self, other: &Bag<U>) -> Bag<(T, U)> {
        let (a, b) = (self.node.clone(), other.node.clone());
        let (n, m) = (self.npartitions(), other.npartitions());
        let name = Key::unique_name("product");
        let node = Node::new("product", n * m, vec![a.clone(), b.clone()], move |cx| {
            let (xs, ys) = (cx.partitions(&a)?, cx.partitions(&b)?);
            let mut keys = Vec::with_capacity(n * m);
            for (i, x) in xs.iter().enumerate() {
                for (j, y) in ys.iter().enumerate() {
                    let inputs = [x.clone(), y.clone()];
                    let key = Key::chunk(name.as_str(), &[i * m + j]);
                    let deps = vec![x.clone(), y.clone()];
                    keys.push(cx.call(key, "product", deps, move |values| {
                        let xs = values[0].get::<Vec<T>>(&inputs[0])?;
                        let ys = values[1].get::<Vec<U>>(&inputs[1])?;
                        // Every pair, allocated up front: too many is an error, not an abort.
                        let pairs = xs.len() as u128 * ys.len() as u128;
                        let mut out = partition_with_capacity(pairs, "product", i * m + j)?;
                        for x in xs {
                            out.extend(ys.iter().map(|y| (x.clone(), y.clone())));
                        }
                        Ok(Value::new(out))
                    })?);
                }
            }
            Ok(keys)
        });
        Bag::from_node(node)
    }

    /// Inner join with an in-memory table: for each item, a `(row, item)` pair per row of
    /// `other` with `on_other(row) == on_self(item)`, rows in `other`'s order — Dask's
    /// `Bag.join(other, on_self, on_other)` with `other` an iterable (the output pairs come
    /// in Dask's order, the other collection's element first). `other` is indexed by key
    /// once, here; the join is a per-item stage fused with its neighbours.
    ///
    /// ```
    /// use chunkflow::Bag;
    /// let orders = Bag::from_vec(vec![("ann", 3), ("bob", 5), ("ann", 1), ("eve", 2)], 2)?;
    /// let cities = vec![("ann", "Oslo"), ("bob", "Lima")];
    /// let joined = orders.join(cities, |o| o.0, |c| c.0);
    /// let got: Vec<_> = joined.map(|(city, order)| (city.1, order.1)).compute()?;
    /// assert_eq!(got, [("Oslo", 3), ("Lima", 5), ("Oslo", 1)]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn join<U, K>(
        &self,
        other: impl IntoIterator<Item = U>,
        on_self: impl Fn(&T) -> K + Send + Sync + 'static,
        on_other: impl Fn(&U) -> K,
    ) -> Bag<(U, T)>
    where
        U: Clone + Send + Sync + 'static,
        K: Hash + Eq + Send + Sync + 'static,
    {
        let mut table: FxHashMap<K, Vec<U>> = FxHashMap::default();
        for row in other {
            table.entry(on_other(&row)).or_default().push(row);
        }
        let table = Arc::new(table);
        self.push_stage("join", move |item: T, emit| {
            if let Some(rows) = table.get(&on_self(&item))
                && let Some((last, rest)) = rows.split_last()
            {
                for row in rest {
                    emit((row.clone(), item.clone()));
                }
                emit((last.clone(), item));
            }
        })
    }
}
