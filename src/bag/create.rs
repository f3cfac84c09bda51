//! Creating bags: from a `Vec` or iterator, from a partition-generating function, `range`.
//!
//! Items are split into partitions of near-equal size (sizes differ by at most one, earlier
//! partitions larger); more partitions than items gives empty partitions, which every
//! operation accepts. Zero partitions is an [`Error::InvalidArgument`].

use std::sync::Arc;

use super::Bag;
use super::lowering::Node;
use crate::error::{Error, Result};
use crate::graph::{FnKernel, Key, Task, Value};

fn check_npartitions(npartitions: usize) -> Result<()> {
    if npartitions == 0 {
        Err(Error::InvalidArgument(
            "a bag needs at least one partition (npartitions == 0)".into(),
        ))
    } else {
        Ok(())
    }
}

/// The bounds of partition `i` of `n` items split into `parts` near-equal parts.
pub(crate) fn split_bounds(n: usize, parts: usize, i: usize) -> (usize, usize) {
    let (q, r) = (n / parts, n % parts);
    let start = i * q + i.min(r);
    (start, start + q + usize::from(i < r))
}

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// A bag of `items` split into `npartitions` near-equal partitions.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![1, 2, 3, 4, 5], 2)?;
    /// assert_eq!(b.npartitions(), 2);
    /// assert_eq!(b.compute()?, [1, 2, 3, 4, 5]);
    /// assert!(chunkflow::Bag::from_vec(vec![1], 0).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_vec(items: Vec<T>, npartitions: usize) -> Result<Bag<T>> {
        check_npartitions(npartitions)?;
        let n = items.len();
        let mut rest = items.into_iter();
        let parts = (0..npartitions)
            .map(|i| {
                let (a, b) = split_bounds(n, npartitions, i);
                rest.by_ref().take(b - a).collect()
            })
            .collect();
        Bag::from_partitions(parts)
    }

    /// A bag of `items` cut into partitions of `partition_size` items (the last may be
    /// shorter; an empty input gives one empty partition).
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec_sized(vec![1, 2, 3, 4, 5], 2)?;
    /// assert_eq!(b.npartitions(), 3);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_vec_sized(items: Vec<T>, partition_size: usize) -> Result<Bag<T>> {
        if partition_size == 0 {
            return Err(Error::InvalidArgument(
                "partition_size must be positive".into(),
            ));
        }
        let npartitions = items.len().div_ceil(partition_size).max(1);
        Bag::from_vec(items, npartitions)
    }

    /// A bag of the items of `iter`, split into `npartitions` partitions.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_iter("abc".chars(), 2)?;
    /// assert_eq!(b.compute()?, ['a', 'b', 'c']);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn from_iter(iter: impl IntoIterator<Item = T>, npartitions: usize) -> Result<Bag<T>> {
        Bag::from_vec(iter.into_iter().collect(), npartitions)
    }

    /// A bag with the given partitions, as they are (at least one).
    ///
    /// ```
    /// let b = chunkflow::Bag::from_partitions(vec![vec![1], vec![], vec![2, 3]])?;
    /// assert_eq!(b.npartitions(), 3);
    /// assert_eq!(b.compute()?, [1, 2, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_partitions(partitions: Vec<Vec<T>>) -> Result<Bag<T>> {
        check_npartitions(partitions.len())?;
        let npartitions = partitions.len();
        let values: Arc<Vec<Value>> = Arc::new(partitions.into_iter().map(Value::new).collect());
        let name = Key::unique_name("from_vec");
        let node = Node::new("from_vec", npartitions, vec![], move |cx| {
            let mut keys = Vec::with_capacity(values.len());
            for (i, value) in values.iter().enumerate() {
                let key = Key::chunk(name.as_str(), &[i]);
                cx.graph.insert(key.clone(), Task::Literal(value.clone()))?;
                keys.push(key);
            }
            Ok(keys)
        });
        Ok(Bag::from_node(node))
    }

    /// A bag whose partition `i` is `f(i)`, generated when the bag is computed (so data can
    /// be produced or read lazily, one partition per task).
    ///
    /// ```
    /// let b = chunkflow::Bag::from_fn(3, |i| vec![i; i])?;
    /// assert_eq!(b.compute()?, [1, 2, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_fn(
        npartitions: usize,
        f: impl Fn(usize) -> Vec<T> + Send + Sync + 'static,
    ) -> Result<Bag<T>> {
        Bag::from_try_fn("from_fn", npartitions, move |i| Ok(f(i)))
    }

    /// Like [`Bag::from_fn`], with a fallible `f` (its error fails the partition's task),
    /// labelled `label`.
    pub(crate) fn from_try_fn(
        label: &'static str,
        npartitions: usize,
        f: impl Fn(usize) -> Result<Vec<T>> + Send + Sync + 'static,
    ) -> Result<Bag<T>> {
        check_npartitions(npartitions)?;
        let f = Arc::new(f);
        let name = Key::unique_name(label);
        let node = Node::new(label, npartitions, vec![], move |cx| {
            let mut keys = Vec::with_capacity(npartitions);
            for i in 0..npartitions {
                let f = f.clone();
                let key = Key::chunk(name.as_str(), &[i]);
                let kernel = FnKernel::new(label, move |_| f(i).map(Value::new));
                cx.graph.insert(key.clone(), Task::call(kernel, vec![]))?;
                keys.push(key);
            }
            Ok(keys)
        });
        Ok(Bag::from_node(node))
    }
}

/// An empty partition with room for `len` items, or an error naming partition `i` of `what`
/// and the bytes it needs when the allocation fails: a partition too large for memory is an
/// [`Error`], not an abort.
pub(crate) fn partition_with_capacity<T>(len: u128, what: &str, i: usize) -> Result<Vec<T>> {
    let mut part = Vec::new();
    usize::try_from(len)
        .ok()
        .and_then(|n| part.try_reserve_exact(n).ok())
        .ok_or_else(|| {
            let size = std::mem::size_of::<T>();
            Error::InvalidArgument(format!(
                "partition {i} of {what} needs {} bytes ({len} items of {size} bytes), which \
                 cannot be allocated; use more partitions",
                len.saturating_mul(size as u128)
            ))
        })?;
    Ok(part)
}

impl Bag<u64> {
    /// The integers `0..n` in `npartitions` partitions, generated lazily.
    ///
    /// ```
    /// let b = chunkflow::Bag::range(5, 2)?;
    /// assert_eq!(b.compute()?, [0, 1, 2, 3, 4]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn range(n: u64, npartitions: usize) -> Result<Bag<u64>> {
        check_npartitions(npartitions)?;
        let n_items = usize::try_from(n)
            .map_err(|_| Error::InvalidArgument(format!("range of {n} items is too long")))?;
        Bag::from_try_fn("range", npartitions, move |i| {
            let (a, b) = split_bounds(n_items, npartitions, i);
            let mut part = partition_with_capacity((b - a) as u128, &format!("range({n})"), i)?;
            part.extend(a as u64..b as u64);
            Ok(part)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::split_bounds;

    #[test]
    fn bounds_cover_everything_once() {
        for n in 0..20 {
            for parts in 1..25 {
                let mut next = 0;
                for i in 0..parts {
                    let (a, b) = split_bounds(n, parts, i);
                    assert_eq!(a, next);
                    next = b;
                }
                assert_eq!(next, n);
            }
        }
    }
}
