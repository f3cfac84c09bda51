//! Random shapes and chunkings for the block, overlap and linear-algebra property tests.
#![allow(dead_code)]

use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

/// Splits `len` at positions drawn from `cuts` (a zero-length axis is `[0]`).
pub fn split(len: usize, cuts: &[usize]) -> Vec<usize> {
    if len == 0 {
        return vec![0];
    }
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c % len).filter(|&c| c > 0).collect();
    bounds.push(len);
    bounds.sort_unstable();
    bounds.dedup();
    let mut last = 0;
    bounds
        .into_iter()
        .map(|b| {
            let s = b - last;
            last = b;
            s
        })
        .collect()
}

/// Random chunks for an axis of `len`; about one axis in four also holds zero-size chunks
/// (Dask allows them, and masks and slices produce them).
pub fn axis_chunks(len: usize) -> BoxedStrategy<Vec<usize>> {
    let cuts = prop::collection::vec(1usize..=len.max(1), 1..=len.max(1));
    let zeros = prop_oneof![3 => Just(vec![]), 1 => prop::collection::vec(0usize..8, 1..=2)];
    (cuts, zeros)
        .prop_map(move |(cuts, zeros)| with_zero_chunks(split(len, &cuts), &zeros))
        .boxed()
}

/// `sizes` with a zero-size chunk inserted at each of `at` (taken modulo the length + 1).
pub fn with_zero_chunks(mut sizes: Vec<usize>, at: &[usize]) -> Vec<usize> {
    for &i in at {
        sizes.insert(i % (sizes.len() + 1), 0);
    }
    sizes
}

/// Random explicit chunks for `shape`.
pub fn chunks_for(shape: &[usize]) -> Vec<BoxedStrategy<Vec<usize>>> {
    shape.iter().map(|&len| axis_chunks(len)).collect()
}

/// Small integers as f64 (sums and products of them are exact in any order).
pub fn data(shape: &[usize]) -> impl Strategy<Value = ArrayD<f64>> + use<> {
    let n: usize = shape.iter().product();
    let shape = shape.to_vec();
    prop::collection::vec(-8i32..=8, n).prop_map(move |v| {
        ArrayD::from_shape_vec(IxDyn(&shape), v.into_iter().map(f64::from).collect()).unwrap()
    })
}

/// A shape, data of that shape and a chunking of it.
pub fn chunked(
    shape: impl Strategy<Value = Vec<usize>>,
) -> impl Strategy<Value = (ArrayD<f64>, Vec<Vec<usize>>)> {
    shape.prop_flat_map(|s| (data(&s), chunks_for(&s)))
}
