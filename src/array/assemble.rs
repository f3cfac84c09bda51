//! NumPy's `block`: one array assembled from a nested list of arrays, the innermost lists
//! joined along the last axis, the lists of those along the one before, and so on.

use super::Array;
use super::shape::concatenate;
use crate::dtype::Element;
use crate::error::{Error, Result};

/// The most nesting levels [`block`] takes: NumPy's limit on axes (32 in NumPy 1, 64 in
/// NumPy 2); every level becomes an axis of the result.
pub const MAX_BLOCK_DEPTH: usize = 64;

/// A nested list of arrays for [`block`]: a leaf array, or a list of nested lists.
///
/// ```
/// use chunkflow::{Array, Block};
/// let a = Array::<i32>::ones(&[2, 2], 1)?;
/// let nested = Block::rows(&[&[&a, &a], &[&a, &a]]);
/// assert!(matches!(nested, Block::List(ref rows) if rows.len() == 2));
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone)]
pub enum Block<'a, T: Element> {
    /// One array.
    Array(&'a Array<T>),
    /// Lists nested one level deeper, joined along one axis.
    List(Vec<Block<'a, T>>),
}

impl<'a, T: Element> From<&'a Array<T>> for Block<'a, T> {
    fn from(array: &'a Array<T>) -> Self {
        Block::Array(array)
    }
}

impl<'a, T: Element> Block<'a, T> {
    /// A flat list (one level: NumPy's `block([a, b])`).
    pub fn list(arrays: &[&'a Array<T>]) -> Self {
        Block::List(arrays.iter().map(|&a| Block::Array(a)).collect())
    }

    /// Rows of arrays (two levels: NumPy's `block([[a, b], [c, d]])`).
    pub fn rows(rows: &[&[&'a Array<T>]]) -> Self {
        Block::List(rows.iter().map(|row| Block::list(row)).collect())
    }
}

/// Assembles an array from nested lists of blocks (NumPy's `block`). With `d` levels of
/// nesting, every leaf is promoted to `max(d, its ndim)` axes by prepending length-1 axes;
/// the innermost lists are concatenated along the last axis, each level out along the axis
/// before. Lazy: the result's chunks are the leaves' chunks.
///
/// Errors: an empty list, leaves at different depths, more than [`MAX_BLOCK_DEPTH`]
/// levels, or shapes that do not line up (naming the axis).
///
/// ```
/// use chunkflow::{Array, Block, block};
/// let a = Array::<i32>::full(&[2, 2], 1, 1)?;
/// let b = Array::<i32>::full(&[2, 1], 2, 1)?;
/// let c = Array::<i32>::full(&[1, 3], 3, 2)?;
/// let m = block(&Block::List(vec![Block::list(&[&a, &b]), Block::list(&[&c])]))?;
/// assert_eq!(m.compute()?, ndarray::arr2(&[[1, 1, 2], [1, 1, 2], [3, 3, 3]]).into_dyn());
/// // A flat list of 1-d arrays is a concatenation.
/// let v = Array::<i32>::arange(0, 3, 1, 2)?;
/// assert_eq!(block(&Block::list(&[&v, &v]))?.shape(), &[6]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn block<T: Element>(blocks: &Block<'_, T>) -> Result<Array<T>> {
    let (depth, max_ndim) = depth_of(blocks)?;
    let ndim = depth.max(max_ndim);
    join(blocks, 0, depth, ndim)
}

/// The nesting depth every leaf shares and the leaves' largest ndim, found without
/// recursion (a hostile nesting must not overflow the stack).
fn depth_of<T: Element>(blocks: &Block<'_, T>) -> Result<(usize, usize)> {
    let mut depth = None;
    let mut max_ndim = 0;
    let mut stack = vec![(blocks, 0usize, String::from("arrays"))];
    while let Some((b, level, path)) = stack.pop() {
        if level > MAX_BLOCK_DEPTH {
            return Err(Error::InvalidArgument(format!(
                "block: more than {MAX_BLOCK_DEPTH} levels of nesting"
            )));
        }
        match b {
            Block::Array(a) => {
                a.check()?;
                max_ndim = max_ndim.max(a.ndim());
                match depth {
                    None => depth = Some(level),
                    Some(d) if d != level => {
                        return Err(Error::InvalidArgument(format!(
                            "block: list depths are mismatched: {path} is at depth {level}, \
                             other arrays at depth {d}"
                        )));
                    }
                    Some(_) => {}
                }
            }
            Block::List(items) => {
                if items.is_empty() {
                    return Err(Error::InvalidArgument(format!(
                        "block: the list at {path} cannot be empty"
                    )));
                }
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, level + 1, format!("{path}[{i}]")));
                }
            }
        }
    }
    Ok((depth.unwrap_or(0), max_ndim))
}

/// The blocks at `level` joined: leaves promoted to `ndim` axes, lists concatenated along
/// axis `ndim - depth + level`. Recursion depth is at most `depth` (checked ≤ 64).
fn join<T: Element>(
    blocks: &Block<'_, T>,
    level: usize,
    depth: usize,
    ndim: usize,
) -> Result<Array<T>> {
    match blocks {
        Block::Array(a) => {
            let mut out = (*a).clone();
            while out.ndim() < ndim {
                out = out.insert_axis(0)?;
            }
            Ok(out)
        }
        Block::List(items) => {
            let parts = items
                .iter()
                .map(|item| join(item, level + 1, depth, ndim))
                .collect::<Result<Vec<_>>>()?;
            let refs: Vec<&Array<T>> = parts.iter().collect();
            concatenate(&refs, ndim - depth + level)
        }
    }
}
