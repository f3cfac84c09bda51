//! Generated program inputs: a source whose elements are a function of their position
//! (random, constant, range arrays) can be computed strip by strip inside the fused kernel
//! that reads it, so its chunk is never materialized.
//!
//! A source offers a [`StripFill`] (`ChunkSource::strip_fill`). Lowering hands a program
//! task a [`GeneratedChunk`] value in that input's place (no dependency task), and
//! `eval`'s reader for such a value is [`Generated`]: per strip it asks the fill for the
//! strip's elements into one reused, L1-sized buffer. The sources' own `chunk` methods
//! produce the same elements through the same code ([`runs`] and the per-element
//! functions), so the values are identical whether a chunk is materialized or generated,
//! for any chunking.

use std::marker::PhantomData;
use std::sync::Arc;

use super::eval::StripReader;
use crate::dtype::{Col, DType, Element};
use crate::graph::Value;

/// Computes any run of elements of a source array's chunks from their position.
pub trait StripFill: Send + Sync {
    /// The element type written.
    fn dtype(&self) -> DType;
    /// Replaces `out` by elements `start..start + len` (row-major, local to the chunk at
    /// global position `offset` with `shape`), as a column of [`dtype`](Self::dtype).
    fn fill(
        &self,
        offset: &[usize],
        shape: &[usize],
        start: usize,
        len: usize,
        out: &mut Col<'static>,
    );
}

/// A program input computed inside the kernel: the chunk at `offset` of a [`StripFill`].
/// Lowering passes it to `Program::run` in place of the input chunk.
#[derive(Clone)]
pub struct GeneratedChunk {
    /// The generator.
    pub fill: Arc<dyn StripFill>,
    /// The chunk's global position (its shape is the program's chunk shape).
    pub offset: Vec<usize>,
}

/// Which inputs of a program task are generated (`Some`), and which are chunks read from
/// dependency tasks (`None`).
#[derive(Clone, Default)]
pub(crate) struct GeneratedInputs(pub(crate) Vec<Option<Arc<dyn StripFill>>>);

impl GeneratedInputs {
    /// Whether any input is generated.
    pub(crate) fn any(&self) -> bool {
        self.0.iter().any(Option::is_some)
    }

    /// The program's inputs: the dependency values `deps` (in order) with a
    /// [`GeneratedChunk`] at `offset` in each generated slot.
    pub(crate) fn splice(&self, deps: Vec<Value>, offset: &[usize]) -> Vec<Value> {
        if !self.any() {
            return deps;
        }
        let mut deps = deps.into_iter();
        self.0
            .iter()
            .filter_map(|slot| match slot {
                Some(fill) => Some(Value::new(GeneratedChunk {
                    fill: fill.clone(),
                    offset: offset.to_vec(),
                })),
                None => deps.next(),
            })
            .collect()
    }
}

/// The reader of a generated input: each strip filled into one reused buffer.
pub(crate) struct Generated<'a, T> {
    chunk: &'a GeneratedChunk,
    shape: Vec<usize>,
    buf: Col<'static>,
    _t: PhantomData<fn() -> T>,
}

impl<'a, T: Element> Generated<'a, T> {
    /// A reader of `chunk` (of the program's chunk `shape`); `None` if the generator's type
    /// or dimensionality does not match.
    pub(crate) fn new(chunk: &'a GeneratedChunk, shape: &[usize]) -> Option<Self> {
        (chunk.fill.dtype() == T::DTYPE && chunk.offset.len() == shape.len()).then(|| Generated {
            chunk,
            shape: shape.to_vec(),
            buf: Col::empty(T::DTYPE),
            _t: PhantomData,
        })
    }
}

impl<T: Element> StripReader for Generated<'_, T> {
    fn load(&mut self, start: usize, len: usize) -> Col<'_> {
        self.chunk
            .fill
            .fill(&self.chunk.offset, &self.shape, start, len, &mut self.buf);
        let v = cleared_or_typed::<T>(&mut self.buf);
        // A fill always writes `len` elements; this only keeps the strip's length whatever.
        v.resize(len, T::default());
        T::borrowed(v)
    }
}

/// `out` as a `Vec<T>`, replaced by an empty one if it holds another type.
fn cleared_or_typed<'b, T: Element>(out: &'b mut Col<'static>) -> &'b mut Vec<T> {
    if T::col_vec(out).is_none() {
        *out = T::owned(Vec::new());
    }
    match T::col_vec(out) {
        Some(v) => v,
        None => unreachable!("just replaced by a column of this type"),
    }
}

/// `out` as a slice of `len` elements of `T` (reusing its buffer), for a fill to overwrite.
pub fn strip_slice<'b, T: Element>(out: &'b mut Col<'static>, len: usize) -> &'b mut [T] {
    let v = cleared_or_typed::<T>(out);
    if v.len() != len {
        v.resize(len, T::default());
    }
    v
}

/// `out` as an empty `Vec<T>` (keeping its capacity), for a fill to extend.
pub fn strip_vec<'b, T: Element>(out: &'b mut Col<'static>) -> &'b mut Vec<T> {
    let v = cleared_or_typed::<T>(out);
    v.clear();
    v
}

/// Splits elements `start..start + len` of the chunk at `offset` with `shape` (of an array
/// of shape `global`) into row runs, calling `f(global flat index of the run's first
/// element, run length)` for each in order.
#[inline(always)]
pub fn runs(
    offset: &[usize],
    shape: &[usize],
    global: &[usize],
    start: usize,
    len: usize,
    mut f: impl FnMut(u64, usize),
) {
    let Some((&inner, outer)) = shape.split_last() else {
        if len > 0 {
            f(0, len);
        }
        return;
    };
    if inner == 0 || len == 0 {
        return;
    }
    let last = outer.len();
    let (mut p, end) = (start, start + len);
    while p < end {
        let (row, col) = (p / inner, p % inner);
        let run = (inner - col).min(end - p);
        // The row's multi-index, innermost outer axis first, folded into a flat index.
        let (mut r, mut flat, mut stride) = (row, (offset[last] + col) as u64, global[last] as u64);
        for a in (0..last).rev() {
            let i = r % shape[a];
            r /= shape[a];
            flat += (offset[a] + i) as u64 * stride;
            stride *= global[a] as u64;
        }
        f(flat, run);
        p += run;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_follow_rows_of_the_chunk() {
        let mut got = vec![];
        runs(&[0, 0], &[2, 3], &[2, 4], 1, 4, |g, n| got.push((g, n)));
        assert_eq!(got, [(1, 2), (4, 2)]);
        let mut got = vec![];
        runs(&[1, 2, 1], &[2, 2, 2], &[3, 4, 5], 0, 8, |g, n| {
            got.push((g, n))
        });
        let at = |i: u64, j: u64, k: u64| i * 20 + j * 5 + k;
        assert_eq!(
            got,
            [
                (at(1, 2, 1), 2),
                (at(1, 3, 1), 2),
                (at(2, 2, 1), 2),
                (at(2, 3, 1), 2)
            ]
        );
        let mut got = vec![];
        runs(&[], &[], &[], 0, 1, |g, n| got.push((g, n)));
        assert_eq!(got, [(0, 1)]);
    }
}
