//! `flat_map_ref`: a fused flat-map whose outputs borrow from the item, for folds by key.
//!
//! A word count splits each line into words. As owned `String`s that is one allocation per
//! word; but the words only need to exist while they are counted. [`Bag::flat_map_ref`]
//! emits borrowed sub-items (`&str` slices of the line) straight into the per-partition hash
//! table of a following [`RefItems::foldby`] or [`RefItems::frequencies`]. The table owns
//! its keys: a borrowed word is looked up as `&str` and converted to an owned `String` only
//! the first time a partition sees it. So the hot loop allocates once per distinct word per
//! partition, not once per word.
//!
//! The borrowed items never exist as a bag, so this stage is always fused into the fold (with
//! fusion off, the chain *before* it is still materialised); [`RefItems::to_owned`] turns
//! them into an ordinary bag.

use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::Bag;
use super::foldby::{SizeHint, Table, update};
use super::pipeline::Feed;
use super::tree::SPLIT_EVERY;

/// Emits the borrowed sub-items of one item.
type Explode<T, Q> = dyn for<'a> Fn(&'a T, &mut dyn FnMut(&'a Q)) + Send + Sync;

/// The borrowed sub-items of a bag's items, ready to be folded by value: see
/// [`Bag::flat_map_ref`].
///
/// A word count that produced owned `String` words would allocate once per word. Here the
/// words are `&str` slices of their line, emitted straight into the per-partition hash table
/// of [`RefItems::foldby`] or [`RefItems::frequencies`]; the table owns its keys and a word
/// becomes a `String` only the first time a partition sees it. The sub-items never exist as
/// a bag, so this step is always fused into the fold (with fusion off, the chain before it is
/// still materialised); [`RefItems::to_owned`] makes an ordinary bag of them.
///
/// ```
/// let lines = chunkflow::Bag::from_vec(vec!["to be".to_string(), "or not to be".to_string()], 2)?;
/// let words = lines.flat_map_ref(|line, emit| {
///     line.split_whitespace().for_each(emit)
/// });
/// let mut counts = words.frequencies().compute()?;
/// counts.sort();
/// assert_eq!(counts[0], ("be".to_string(), 2));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub struct RefItems<T, Q: ?Sized> {
    bag: Bag<T>,
    explode: Arc<Explode<T, Q>>,
}

impl<T, Q: ?Sized> Clone for RefItems<T, Q> {
    fn clone(&self) -> Self {
        RefItems {
            bag: self.bag.clone(),
            explode: self.explode.clone(),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// Maps every item to sub-items borrowed from it (`emit` is called once per sub-item),
    /// to be folded with [`RefItems::foldby`] or [`RefItems::frequencies`] without
    /// allocating an owned value per sub-item. See [`RefItems`].
    ///
    /// ```
    /// let lines = chunkflow::Bag::from_vec(vec!["a b a".to_string()], 1)?;
    /// let words = lines.flat_map_ref(|l, emit| l.split(' ').for_each(emit));
    /// assert_eq!(words.to_owned().compute()?, ["a", "b", "a"]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn flat_map_ref<Q: ?Sized + 'static>(
        &self,
        explode: impl for<'a> Fn(&'a T, &mut dyn FnMut(&'a Q)) + Send + Sync + 'static,
    ) -> RefItems<T, Q> {
        RefItems {
            bag: self.clone(),
            explode: Arc::new(explode),
        }
    }
}

impl<T, Q> RefItems<T, Q>
where
    T: Clone + Send + Sync + 'static,
    Q: ?Sized + Hash + Eq + ToOwned + 'static,
    Q::Owned: Hash + Eq + Borrow<Q> + Clone + Send + Sync + 'static,
{
    /// Folds the sub-items by value (each sub-item is its own key): Dask's `foldby` with
    /// the identity key. `binop(acc, sub_item)` per partition from `initial`, then
    /// `combine` across partitions from `combine_initial`, in a tree of fan-in 8.
    ///
    /// ```
    /// let lines = chunkflow::Bag::from_vec(vec!["aa b".to_string(), "aa".to_string()], 2)?;
    /// let lens = lines
    ///     .flat_map_ref(|l, emit| l.split(' ').for_each(emit))
    ///     .foldby(|acc, w| acc + w.len(), 0, |a, b| a + b, 0);
    /// let mut got = lens.compute()?;
    /// got.sort();
    /// assert_eq!(got, [("aa".to_string(), 4), ("b".to_string(), 1)]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn foldby<A: Clone + Send + Sync + 'static>(
        &self,
        binop: impl Fn(A, &Q) -> A + Send + Sync + 'static,
        initial: A,
        combine: impl Fn(A, A) -> A + Send + Sync + 'static,
        combine_initial: A,
    ) -> Bag<(Q::Owned, A)> {
        let explode = self.explode.clone();
        let hint = SizeHint::default();
        let partial = move |feed: Feed<'_, T>| {
            let mut table: Table<Q::Owned, A> = hint.table();
            feed.for_each_ref(|item| {
                explode(item, &mut |q: &Q| match table.get_mut(q) {
                    Some(slot) => update(slot, |acc| binop(acc, q)),
                    None => {
                        table.insert(q.to_owned(), Some(binop(initial.clone(), q)));
                    }
                })
            })?;
            hint.record(table.len());
            Ok(table)
        };
        self.bag
            .fold_tables("foldby", SPLIT_EVERY, partial, combine, combine_initial)
    }

    /// How often each distinct sub-item occurs (the word count).
    ///
    /// ```
    /// let lines = chunkflow::Bag::from_vec(vec!["x y".to_string(), "x".to_string()], 2)?;
    /// let mut f = lines
    ///     .flat_map_ref(|l, emit| l.split_whitespace().for_each(emit))
    ///     .frequencies()
    ///     .compute()?;
    /// f.sort();
    /// assert_eq!(f, [("x".to_string(), 2), ("y".to_string(), 1)]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn frequencies(&self) -> Bag<(Q::Owned, u64)> {
        let explode = self.explode.clone();
        let hint = SizeHint::default();
        let partial = move |feed: Feed<'_, T>| {
            let mut table: FxHashMap<Q::Owned, u64> = hint.table();
            feed.for_each_ref(|item| {
                explode(item, &mut |q: &Q| match table.get_mut(q) {
                    Some(n) => *n += 1,
                    None => {
                        table.insert(q.to_owned(), 1);
                    }
                })
            })?;
            hint.record(table.len());
            Ok(table.into_iter().map(|(k, n)| (k, Some(n))).collect())
        };
        self.bag
            .fold_tables("frequencies", SPLIT_EVERY, partial, |a, b| a + b, 0)
    }

    /// The sub-items as an ordinary bag of owned values (one allocation per sub-item).
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec!["p q".to_string()], 1)?;
    /// let w = b.flat_map_ref(|l, emit| l.split(' ').for_each(emit));
    /// assert_eq!(w.to_owned().count().compute()?, 2);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    #[allow(clippy::wrong_self_convention)]
    pub fn to_owned(&self) -> Bag<Q::Owned> {
        let explode = self.explode.clone();
        self.bag
            .flat_map_with(move |item: T, emit| explode(&item, &mut |q: &Q| emit(q.to_owned())))
    }
}
