//! `Meta`: what a plan node's result looks like (shape, chunking, element type), without
//! its data.

use super::Chunks;
use crate::dtype::DType;

/// The shape, chunking and element type of a node's result.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Meta {
    /// The array's shape.
    pub shape: Vec<usize>,
    /// Its chunking.
    pub chunks: Chunks,
    /// Its element type.
    pub dtype: DType,
}
