//! Assembling a computed array from its chunks' values (the result of a run whose chunks
//! were not written in place; see [`output`](super::output) for those).

use ndarray::{ArrayD, IxDyn};

use crate::dtype::Element;
use crate::error::Result;
use crate::geometry::Meta;
use crate::graph::{Key, Value};

/// Assembles the chunks of an array of `meta` (in row-major block order) into one array.
pub(crate) fn assemble<T: Element>(
    meta: &Meta,
    chunks: Vec<Value>,
    keys: &[Key],
) -> Result<ArrayD<T>> {
    if chunks.len() == 1 {
        let chunk: ArrayD<T> = chunks
            .into_iter()
            .next()
            .expect("one chunk")
            .take(&keys[0])?;
        return Ok(chunk);
    }
    let mut out = ArrayD::<T>::default(IxDyn(&meta.shape));
    for ((b, value), key) in meta.chunks.blocks().zip(chunks).zip(keys) {
        let chunk: &ArrayD<T> = value.get(key)?;
        let offset = meta.chunks.block_offset(&b);
        out.slice_each_axis_mut(|ax| {
            let a = ax.axis.index();
            ndarray::Slice::from(offset[a]..offset[a] + chunk.shape()[a])
        })
        .assign(chunk);
    }
    Ok(out)
}
