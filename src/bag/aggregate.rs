//! Whole-bag aggregations to one value: `fold`, `reduction`, `count`, `sum`, `min`, `max`,
//! `mean`, `var`, `std`, `any`, `all`, and [`Item`], the lazy handle they return (Dask's
//! name).
//!
//! Each is a per-partition step (fused with a preceding chain, streaming its items) followed
//! by a [tree](super::tree) of combines with fan-in 8. Empty bags: `count` and `sum` give 0,
//! `any` false and `all` true; `min`, `max`, `mean`, `var` and `std` give an error, as Dask
//! raises.
//!
//! `var` merges per-partition `(count, mean, M2)` states with Chan et al.'s pairwise
//! formula (Welford within a partition), which does not lose precision to cancellation the
//! way Dask's bag does (it sums `x` and `x²` and subtracts at the end).

use std::marker::PhantomData;
use std::sync::Arc;

use super::lowering::{Lowering, Node};
use super::tree::{self, SPLIT_EVERY};
use super::{Bag, pipeline::Feed};
use crate::error::{Error, Result};
use crate::graph::{Key, TaskGraph, Value};
use crate::options::Options;

/// A lazy single value computed from a bag, like Dask's `Item`.
///
/// ```
/// let total = chunkflow::Bag::range(101, 4)?.sum();
/// assert_eq!(total.compute()?, 5050);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[must_use = "items are lazy: nothing runs until compute()"]
pub struct Item<T> {
    pub(crate) node: Arc<Node>,
    _item: PhantomData<fn() -> T>,
}

impl<T> Clone for Item<T> {
    fn clone(&self) -> Self {
        Item {
            node: self.node.clone(),
            _item: PhantomData,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Item<T> {
    /// Lowers to a task graph and the key of the value.
    ///
    /// ```
    /// let c = chunkflow::Bag::range(10, 5)?.count();
    /// let (graph, key) = c.lower(&Default::default())?;
    /// assert_eq!(graph.compile(&[key])?.len(), 11); // 5 sources, 5 partials, 1 aggregate
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn lower(&self, options: &Options) -> Result<(TaskGraph, Key)> {
        let mut cx = Lowering::for_options(options);
        let key = cx.partitions(&self.node)?.remove(0);
        Ok((cx.graph, key))
    }

    /// Computes the value with the default [`Options`] (the shared threaded scheduler,
    /// fusion on).
    ///
    /// ```
    /// assert_eq!(chunkflow::Bag::range(4, 2)?.count().compute()?, 4);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn compute(&self) -> Result<T> {
        self.compute_with(&Options::default())
    }

    /// Computes the value with `options` (scheduler, observers, fusion; see
    /// [`Bag::compute_with`]).
    ///
    /// ```
    /// use chunkflow::{Bag, Options};
    /// let s = Bag::range(4, 2)?.map(|x| x * 2).sum();
    /// assert_eq!(s.compute_with(&Options::new().synchronous().fuse(false))?, 12);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn compute_with(&self, options: &Options) -> Result<T> {
        let (graph, key) = self.lower(options)?;
        let value = options
            .run(&graph.compile(std::slice::from_ref(&key))?)?
            .pop()
            .expect("one output");
        value.take(&key)
    }

    /// The task graph in DOT (fused).
    ///
    /// ```
    /// let dot = chunkflow::Bag::range(4, 2)?.map(|x| x + 1).sum().to_dot()?;
    /// assert!(dot.contains("map|sum-partial"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_dot(&self) -> Result<String> {
        Ok(self.lower(&Options::default())?.0.to_dot())
    }

    /// The task graph as an SVG picture, rendered in-process.
    ///
    /// ```
    /// let svg = chunkflow::Bag::range(4, 2)?.sum().to_svg()?;
    /// assert!(svg.contains("<svg"));
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_svg(&self) -> Result<String> {
        self.lower(&Options::default())?.0.to_svg()
    }
}

/// Numbers that [`Bag::mean`] can average.
///
/// ```
/// use chunkflow::bag::ToF64;
/// assert_eq!(3_u8.to_f64(), 3.0);
/// ```
pub trait ToF64 {
    /// The value as an `f64` (rounded for large 64-bit integers).
    fn to_f64(&self) -> f64;
}

macro_rules! to_f64 {
    ($($t:ty),*) => {$(
        impl ToF64 for $t {
            fn to_f64(&self) -> f64 {
                *self as f64
            }
        }
    )*};
}
to_f64!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64);

impl<T: Clone + Send + Sync + 'static> Bag<T> {
    /// The general aggregation: `partial` per partition, `combine` on groups of partials in
    /// a tree of fan-in `split_every`, `finish` on the last group.
    pub(crate) fn aggregate<A, R>(
        &self,
        name: &str,
        split_every: usize,
        partial: impl Fn(usize, Feed<'_, T>) -> Result<A> + Send + Sync + 'static,
        combine: impl Fn(Vec<A>) -> Result<A> + Send + Sync + 'static,
        finish: impl Fn(A) -> Result<R> + Send + Sync + 'static,
    ) -> Item<R>
    where
        A: Clone + Send + Sync + 'static,
        R: Clone + Send + Sync + 'static,
    {
        let input = self.clone();
        let name = name.to_string();
        let partial = Arc::new(partial);
        let combine = Arc::new(combine);
        let finish = Arc::new(finish);
        let node = Node::new(name.clone(), 1, vec![input.stream_source()], move |cx| {
            let partial = partial.clone();
            let parts = input.per_partition(cx, &format!("{name}-partial"), move |i, feed| {
                partial(i, feed)
            })?;
            let c = combine.clone();
            let inner: tree::Combine =
                Arc::new(move |values, keys| c(tree::take_all::<A>(values, keys)?).map(Value::new));
            let (c, f) = (combine.clone(), finish.clone());
            let last: tree::Combine = Arc::new(move |values, keys| {
                f(c(tree::take_all::<A>(values, keys)?)?).map(Value::new)
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
        Item {
            node,
            _item: PhantomData,
        }
    }

    /// Folds every item into an accumulator: per partition `binop` starting from
    /// `initial`, then the partition results with `combine` (in a tree of fan-in 8).
    /// `initial` should be an identity of `combine` (it is used once per partition).
    ///
    /// ```
    /// let longest = chunkflow::Bag::from_vec(vec!["a", "abc", "ab"], 2)?
    ///     .fold(0, |acc, s| acc.max(s.len()), |a, b| a.max(b));
    /// assert_eq!(longest.compute()?, 3);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn fold<A: Clone + Send + Sync + 'static>(
        &self,
        initial: A,
        binop: impl Fn(A, T) -> A + Send + Sync + 'static,
        combine: impl Fn(A, A) -> A + Send + Sync + 'static,
    ) -> Item<A> {
        let start = initial.clone();
        self.aggregate(
            "fold",
            SPLIT_EVERY,
            move |_, feed| {
                let mut acc = Some(start.clone());
                feed.for_each(|t| acc = acc.take().map(|a| binop(a, t)))?;
                Ok(acc.expect("accumulator is always put back"))
            },
            move |parts: Vec<A>| Ok(parts.into_iter().reduce(&combine).expect("non-empty group")),
            Ok,
        )
    }

    /// Dask's `reduction(perpartition, aggregate)`: `per_partition` maps each partition's
    /// items to a partial result, `aggregate` reduces a list of partials (it is applied at
    /// every level of a tree with fan-in `split_every`, so it must accept its own output).
    /// `split_every < 2` is an error.
    ///
    /// ```
    /// let b = chunkflow::Bag::range(10, 5)?;
    /// let total = b.reduction(|p| p.iter().sum::<u64>(), |xs| xs.iter().sum::<u64>(), 2)?;
    /// assert_eq!(total.compute()?, 45);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn reduction<A: Clone + Send + Sync + 'static>(
        &self,
        per_partition: impl Fn(Vec<T>) -> A + Send + Sync + 'static,
        aggregate: impl Fn(Vec<A>) -> A + Send + Sync + 'static,
        split_every: usize,
    ) -> Result<Item<A>> {
        tree::check_split_every(split_every)?;
        Ok(self.aggregate(
            "reduction",
            split_every,
            move |_, feed| Ok(per_partition(feed.into_vec()?)),
            move |parts| Ok(aggregate(parts)),
            Ok,
        ))
    }

    /// The number of items.
    ///
    /// ```
    /// assert_eq!(chunkflow::Bag::range(7, 3)?.filter(|x| x % 2 == 0).count().compute()?, 4);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn count(&self) -> Item<u64> {
        self.aggregate(
            "count",
            SPLIT_EVERY,
            |_, feed| {
                let mut n = 0_u64;
                feed.for_each_ref(|_| n += 1)?;
                Ok(n)
            },
            |parts: Vec<u64>| Ok(parts.into_iter().sum()),
            Ok,
        )
    }

    /// The sum of the items (`T::default()` for an empty bag).
    ///
    /// ```
    /// assert_eq!(chunkflow::Bag::from_vec(vec![1.5, 2.5], 2)?.sum().compute()?, 4.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn sum(&self) -> Item<T>
    where
        T: std::ops::Add<Output = T> + Default,
    {
        self.aggregate(
            "sum",
            SPLIT_EVERY,
            |_, feed| {
                let mut acc = Some(T::default());
                feed.for_each(|t| acc = acc.take().map(|a| a + t))?;
                Ok(acc.expect("accumulator is always put back"))
            },
            |parts: Vec<T>| Ok(parts.into_iter().fold(T::default(), |a, b| a + b)),
            Ok,
        )
    }

    fn extreme(&self, name: &'static str, better: fn(&T, &T) -> bool) -> Item<T>
    where
        T: PartialOrd,
    {
        let pick = move |best: Option<T>, t: T| match best {
            Some(b) if !better(&t, &b) => Some(b),
            _ => Some(t),
        };
        self.aggregate(
            name,
            SPLIT_EVERY,
            move |_, feed| {
                let mut best = None;
                feed.for_each(|t| best = pick(best.take(), t))?;
                Ok(best)
            },
            move |parts: Vec<Option<T>>| Ok(parts.into_iter().flatten().fold(None, pick)),
            move |best| {
                best.ok_or_else(|| Error::InvalidArgument(format!("{name} of an empty bag")))
            },
        )
    }

    /// The smallest item (the first of equal ones); an empty bag is an error.
    ///
    /// ```
    /// assert_eq!(chunkflow::Bag::from_vec(vec![3, 1, 2], 2)?.min().compute()?, 1);
    /// assert!(chunkflow::Bag::<i32>::from_vec(vec![], 2)?.min().compute().is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn min(&self) -> Item<T>
    where
        T: PartialOrd,
    {
        self.extreme("min", |a, b| a < b)
    }

    /// The largest item (the first of equal ones); an empty bag is an error.
    ///
    /// ```
    /// assert_eq!(chunkflow::Bag::from_vec(vec![3, 1, 2], 2)?.max().compute()?, 3);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn max(&self) -> Item<T>
    where
        T: PartialOrd,
    {
        self.extreme("max", |a, b| a > b)
    }

    /// The arithmetic mean as an `f64`; an empty bag is an error.
    ///
    /// ```
    /// assert_eq!(chunkflow::Bag::from_vec(vec![1, 2, 3, 4], 3)?.mean().compute()?, 2.5);
    /// assert!(chunkflow::Bag::<u8>::from_vec(vec![], 1)?.mean().compute().is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn mean(&self) -> Item<f64>
    where
        T: ToF64,
    {
        self.aggregate(
            "mean",
            SPLIT_EVERY,
            |_, feed| {
                let (mut sum, mut n) = (0.0_f64, 0_u64);
                feed.for_each_ref(|t| {
                    sum += t.to_f64();
                    n += 1;
                })?;
                Ok((sum, n))
            },
            |parts: Vec<(f64, u64)>| {
                Ok(parts
                    .into_iter()
                    .fold((0.0, 0), |(s, n), (t, m)| (s + t, n + m)))
            },
            |(sum, n)| {
                if n == 0 {
                    Err(Error::InvalidArgument("mean of an empty bag".into()))
                } else {
                    Ok(sum / n as f64)
                }
            },
        )
    }

    /// The variance with `ddof` delta degrees of freedom (Dask's default `ddof = 0` is the
    /// population variance; 1 the sample variance): `M2 / (n - ddof)`. An error when
    /// `n <= ddof` (Dask raises `ZeroDivisionError`), so for an empty bag.
    ///
    /// Partitions compute `(n, mean, M2)` by Welford's update and are merged with Chan's
    /// formula, so `1e9 + x` data keeps its digits.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 3)?;
    /// assert_eq!(b.var(0).compute()?, 4.0);
    /// assert_eq!(b.std(0).compute()?, 2.0);
    /// assert!((b.var(1).compute()? - 32.0 / 7.0).abs() < 1e-12);
    /// assert!(chunkflow::Bag::from_vec(vec![1.0], 1)?.var(1).compute().is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn var(&self, ddof: usize) -> Item<f64>
    where
        T: ToF64,
    {
        self.aggregate(
            "var",
            SPLIT_EVERY,
            |_, feed| {
                let mut m = Moments::default();
                feed.for_each_ref(|t| m.push(t.to_f64()))?;
                Ok(m)
            },
            |parts: Vec<Moments>| Ok(parts.into_iter().fold(Moments::default(), Moments::merge)),
            move |m| m.var(ddof),
        )
    }

    /// The standard deviation, the square root of [`Bag::var`] with the same `ddof`.
    ///
    /// ```
    /// let b = chunkflow::Bag::from_vec(vec![1, 3], 2)?;
    /// assert_eq!(b.std(0).compute()?, 1.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn std(&self, ddof: usize) -> Item<f64>
    where
        T: ToF64,
    {
        let var = self.var(ddof);
        let input = var.node.clone();
        let name = Key::unique_name("std");
        let node = Node::new("std", 1, vec![input.clone()], move |cx| {
            let var_key = cx.partitions(&input)?.remove(0);
            let k = var_key.clone();
            let key = Key::chunk(name.as_str(), &[0]);
            Ok(vec![cx.call(key, "std", vec![var_key], move |values| {
                Ok(Value::new(values[0].get::<f64>(&k)?.sqrt()))
            })?])
        });
        Item {
            node,
            _item: PhantomData,
        }
    }

    /// Whether `pred` holds for some item (false for an empty bag). Dask's `any()` tests the
    /// items' truthiness; pass `|x| *x` for a bag of `bool`. A partition stops calling
    /// `pred` once it holds.
    ///
    /// ```
    /// let b = chunkflow::Bag::range(10, 3)?;
    /// assert!(b.any(|x| *x == 7).compute()?);
    /// assert!(!b.any(|x| *x > 9).compute()?);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn any(&self, pred: impl Fn(&T) -> bool + Send + Sync + 'static) -> Item<bool> {
        self.aggregate(
            "any",
            SPLIT_EVERY,
            move |_, feed| {
                let mut found = false;
                feed.for_each_ref(|t| found = found || pred(t))?;
                Ok(found)
            },
            |parts: Vec<bool>| Ok(parts.into_iter().any(|b| b)),
            Ok,
        )
    }

    /// Whether `pred` holds for every item (true for an empty bag), like Dask's `all()`.
    ///
    /// ```
    /// let b = chunkflow::Bag::range(10, 3)?;
    /// assert!(b.all(|x| *x < 10).compute()?);
    /// assert!(!b.all(|x| x % 2 == 0).compute()?);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn all(&self, pred: impl Fn(&T) -> bool + Send + Sync + 'static) -> Item<bool> {
        self.aggregate(
            "all",
            SPLIT_EVERY,
            move |_, feed| {
                let mut all = true;
                feed.for_each_ref(|t| all = all && pred(t))?;
                Ok(all)
            },
            |parts: Vec<bool>| Ok(parts.into_iter().all(|b| b)),
            Ok,
        )
    }
}

/// Count, mean and sum of squared deviations of a group of numbers: the state of `var`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// Welford's update with one value.
    fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Chan et al.'s pairwise merge of two groups.
    fn merge(a: Moments, b: Moments) -> Moments {
        if a.n == 0 {
            return b;
        }
        if b.n == 0 {
            return a;
        }
        let n = a.n + b.n;
        let delta = b.mean - a.mean;
        let (na, nb, nf) = (a.n as f64, b.n as f64, n as f64);
        Moments {
            n,
            mean: a.mean + delta * nb / nf,
            m2: a.m2 + b.m2 + delta * delta * na * nb / nf,
        }
    }

    fn var(self, ddof: usize) -> Result<f64> {
        if self.n <= ddof as u64 {
            return Err(Error::InvalidArgument(format!(
                "var with ddof {ddof} of {} items (needs more than ddof)",
                self.n
            )));
        }
        Ok(self.m2 / (self.n - ddof as u64) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::Moments;

    #[test]
    fn chan_merge_equals_one_pass() {
        let xs: Vec<f64> = (0..1000).map(|i| 1e9 + (i as f64 * 0.37).sin()).collect();
        let mut whole = Moments::default();
        xs.iter().for_each(|&x| whole.push(x));
        let mut merged = Moments::default();
        for chunk in xs.chunks(37) {
            let mut m = Moments::default();
            chunk.iter().for_each(|&x| m.push(x));
            merged = Moments::merge(merged, m);
        }
        // The two-pass reference on the data shifted back by 1e9 (exact in f64).
        let shifted: Vec<f64> = xs.iter().map(|x| x - 1e9).collect();
        let mean = shifted.iter().sum::<f64>() / xs.len() as f64;
        let two_pass = shifted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        // Within 1e-7 (the mean's rounding at 1e9); E[x²] - E[x]² would be off by ~100.
        let (a, b) = (whole.var(0).unwrap(), merged.var(0).unwrap());
        assert!((a - two_pass).abs() < 1e-7 * two_pass, "{a} {two_pass}");
        assert!((b - two_pass).abs() < 1e-7 * two_pass, "{b} {two_pass}");
    }
}
