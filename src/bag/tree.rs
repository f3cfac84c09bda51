//! Tree reductions: combine one value per partition into one value with fan-in `split_every`.
//!
//! Partials are grouped `split_every` at a time into combine tasks, level after level, until
//! at most `split_every` remain; one final task combines those and finishes the result. So a
//! bag of n partitions needs about n / (split_every - 1) combine tasks and log(n) levels, and
//! no task ever reads more than `split_every` inputs.

use std::sync::Arc;

use super::lowering::Lowering;
use crate::error::{Error, Result};
use crate::graph::{Key, Value};

/// The default fan-in of reduction trees (Dask's default for bags is 8 as well).
pub(crate) const SPLIT_EVERY: usize = 8;

/// A function from a group of values to one value.
pub(crate) type Combine = Arc<dyn Fn(Vec<Value>, &[Key]) -> Result<Value> + Send + Sync>;

pub(crate) fn check_split_every(split_every: usize) -> Result<()> {
    if split_every < 2 {
        Err(Error::InvalidArgument(format!(
            "split_every must be at least 2, got {split_every}"
        )))
    } else {
        Ok(())
    }
}

/// Reduces `keys` (at least one) to a single key `(name, 0)`: `combine` for inner levels,
/// `finish` for the last task.
pub(crate) fn tree_reduce(
    cx: &mut Lowering,
    mut keys: Vec<Key>,
    split_every: usize,
    name: &str,
    combine: Combine,
    finish: Combine,
) -> Result<Key> {
    let combine_name = Key::unique_name(&format!("{name}-combine"));
    let combine_label = format!("{name}-combine");
    let mut level = 0;
    while keys.len() > split_every {
        let mut next = Vec::with_capacity(keys.len().div_ceil(split_every));
        for (j, group) in keys.chunks(split_every).enumerate() {
            let (f, inputs) = (combine.clone(), group.to_vec());
            let key = Key::chunk(combine_name.as_str(), &[level, j]);
            next.push(cx.call(key, &combine_label, group.to_vec(), move |values| {
                f(values, &inputs)
            })?);
        }
        keys = next;
        level += 1;
    }
    let key = Key::chunk(Key::unique_name(name), &[0]);
    let inputs = keys.clone();
    cx.call(key, name, keys, move |values| finish(values, &inputs))
}

/// Takes every value as an `A` (moved when unshared).
pub(crate) fn take_all<A: Clone + Send + Sync + 'static>(
    values: Vec<Value>,
    keys: &[Key],
) -> Result<Vec<A>> {
    values
        .into_iter()
        .zip(keys)
        .map(|(v, k)| v.take(k))
        .collect()
}
