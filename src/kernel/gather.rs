//! Gather tasks: an output block computed from any set of input blocks, optionally as a
//! sum of parts merged in a tree (the block-level escape hatch behind `map_blocks` with
//! several inputs, `overlap`, and the linear-algebra contractions).
//!
//! A [`GatherFn`] says, for each output block, which input blocks each of its *parts*
//! reads; lowering makes one task per part and, when a block has more than one part, a
//! tree of [`GatherFn::combine`] tasks of fan-in at most [`GatherFn::split_every`], so at
//! most that many parts of one block wait in memory (Dask's `split_every`).

use std::sync::Arc;

use crate::error::Result;
use crate::graph::{Kernel, Value};

/// Where an output block lies: its block index, global offset and shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BlockPos {
    /// The block index in the output's chunk grid.
    pub(crate) index: Vec<usize>,
    /// The global position of the block's first element.
    pub(crate) offset: Vec<usize>,
    /// The block's shape.
    pub(crate) shape: Vec<usize>,
}

/// The inputs one part reads: (input number, block index of that input), in the order
/// [`GatherFn::part`] receives their values.
pub(crate) type PartInputs = Vec<(usize, Vec<usize>)>;

/// An operation whose output blocks are computed from chosen input blocks.
pub(crate) trait GatherFn: Send + Sync {
    /// The name shown in task labels.
    fn name(&self) -> &str;
    /// An identity for structural hashing.
    fn id(&self) -> u64;
    /// The parts of output block `index` (at least one), each with the inputs it reads.
    fn parts(&self, index: &[usize]) -> Vec<PartInputs>;
    /// Computes part `part` of the output block at `pos` from its inputs' values.
    fn part(&self, pos: &BlockPos, part: usize, inputs: Vec<Value>) -> Result<Value>;
    /// Merges the values of several parts (or earlier merges) of the block at `pos`, in
    /// order. Called only for blocks with more than one part.
    fn combine(&self, pos: &BlockPos, values: Vec<Value>) -> Result<Value> {
        let _ = (pos, values);
        Err(super::internal(format!(
            "{} has several parts but no combine",
            self.name()
        )))
    }
    /// The largest number of values one combine task merges (at least 2).
    fn split_every(&self) -> usize {
        8
    }
    /// Turns the block's last value (its only part, or the root combine's result) into
    /// the output block: a reduction's aggregate step. The identity by default.
    fn finish(&self, pos: &BlockPos, value: Value) -> Result<Value> {
        let _ = pos;
        Ok(value)
    }
}

/// Runs one part of a gather.
pub(crate) struct GatherPart {
    pub(crate) f: Arc<dyn GatherFn>,
    pub(crate) pos: Arc<BlockPos>,
    pub(crate) part: usize,
    /// Whether this is the block's only part (its value is then finished).
    pub(crate) root: bool,
}

impl Kernel for GatherPart {
    fn name(&self) -> &str {
        self.f.name()
    }
    fn call(&self, inputs: Vec<Value>) -> Result<Value> {
        let value = self.f.part(&self.pos, self.part, inputs)?;
        if self.root {
            self.f.finish(&self.pos, value)
        } else {
            Ok(value)
        }
    }
}

/// Merges parts of a gather's block.
pub(crate) struct GatherCombine {
    pub(crate) f: Arc<dyn GatherFn>,
    pub(crate) pos: Arc<BlockPos>,
    /// Whether this is the tree's root (its value is then finished).
    pub(crate) root: bool,
}

impl Kernel for GatherCombine {
    fn name(&self) -> &str {
        "combine"
    }
    fn call(&self, inputs: Vec<Value>) -> Result<Value> {
        let value = self.f.combine(&self.pos, inputs)?;
        if self.root {
            self.f.finish(&self.pos, value)
        } else {
            Ok(value)
        }
    }
}
