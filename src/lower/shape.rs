//! Lowering the nodes that move data between blocks without computing on it: rechunk
//! (copy the overlapping pieces), transpose, axis insertion and removal, broadcast, slice
//! (each output block reads one input block), concatenate (input chunks pass through).

use super::Lowering;
use crate::error::Result;
use crate::geometry::AxisSlice;
use crate::geometry::blocks::{broadcast_block, rechunk_pieces};
use crate::geometry::slice::slice_source;
use crate::graph::{Key, Task};
use crate::kernel::tasks::{Identity, RechunkKernel, ShapeKernel, ShapeOp, TakeKernel};
use crate::plan::NodeId;

impl Lowering<'_> {
    /// Each output block copies the pieces of the input blocks it overlaps; a block that
    /// is one whole input block passes through.
    pub(super) fn rechunk(&mut self, id: NodeId) -> Result<()> {
        let plan = self.plan;
        let (from, to) = (&self.input_meta(id, 0).chunks, &plan[id].meta);
        for b in self.wanted.blocks(id, &to.chunks) {
            let (blocks, pieces) = rechunk_pieces(from, &to.chunks, &b);
            let keys: Vec<Key> = blocks.iter().map(|ib| self.input_key(id, 0, ib)).collect();
            let whole =
                pieces.len() == 1 && from.block_shape(&blocks[0]) == to.chunks.block_shape(&b);
            let task = if whole {
                Task::call(Identity("rechunk"), keys)
            } else {
                let kernel = RechunkKernel {
                    dtype: to.dtype,
                    shape: to.chunks.block_shape(&b),
                    pieces,
                    keys: keys.clone(),
                };
                Task::call(kernel, keys)
            };
            self.graph.insert(self.key(id, &b), task)?;
        }
        Ok(())
    }

    /// Output block `b` is input block `b` permuted: output axis `o` is input axis
    /// `perm[o]`.
    pub(super) fn transpose(&mut self, id: NodeId, perm: &[usize]) -> Result<()> {
        self.per_block(id, |b| {
            let mut ib = vec![0; b.len()];
            for (o, &p) in perm.iter().enumerate() {
                ib[p] = b[o];
            }
            (ib, ShapeOp::Transpose(perm.to_vec()))
        })
    }

    /// A new length-1 axis in every block.
    pub(super) fn insert_axis(&mut self, id: NodeId, axis: usize) -> Result<()> {
        self.per_block(id, |b| {
            let mut ib = b.to_vec();
            ib.remove(axis);
            (ib, ShapeOp::InsertAxis(axis))
        })
    }

    /// A length-1 axis dropped from every block.
    pub(super) fn remove_axis(&mut self, id: NodeId, axis: usize) -> Result<()> {
        self.per_block(id, |b| {
            let mut ib = b.to_vec();
            ib.insert(axis, 0);
            (ib, ShapeOp::RemoveAxis(axis))
        })
    }

    /// Each output block is the covering input block stretched to the block's shape.
    pub(super) fn broadcast_to(&mut self, id: NodeId) -> Result<()> {
        let plan = self.plan;
        let (from, to) = (&self.input_meta(id, 0).chunks, &plan[id].meta.chunks);
        self.per_block(id, |b| {
            (
                broadcast_block(b, from),
                ShapeOp::Broadcast(to.block_shape(b)),
            )
        })
    }

    /// Each output block reads a strided selection of one input block.
    pub(super) fn slice(&mut self, id: NodeId, axes: &[AxisSlice]) -> Result<()> {
        let plan = self.plan;
        let (from, to) = (&self.input_meta(id, 0).chunks, &plan[id].meta.chunks);
        self.per_block(id, |b| {
            let (ib, local) = slice_source(axes, from, &to.block_offset(b), &to.block_shape(b));
            (ib, ShapeOp::Slice(local))
        })
    }

    /// Each output block is a block of one input, passed through.
    pub(super) fn concatenate(&mut self, id: NodeId, axis: usize) -> Result<()> {
        for b in self.wanted.blocks(id, &self.plan[id].meta.chunks) {
            // Walk the inputs along `axis` until the one holding output block b[axis].
            let mut local = b[axis];
            let mut k = 0;
            while local >= self.input_meta(id, k).chunks.axis(axis).len() {
                local -= self.input_meta(id, k).chunks.axis(axis).len();
                k += 1;
            }
            let mut ib = b.clone();
            ib[axis] = local;
            let task = Task::call(Identity("concatenate"), vec![self.input_key(id, k, &ib)]);
            self.graph.insert(self.key(id, &b), task)?;
        }
        Ok(())
    }

    /// One shape task per output block, reading the single input block that `map` names
    /// and applying the per-chunk operation it returns.
    fn per_block(
        &mut self,
        id: NodeId,
        map: impl Fn(&[usize]) -> (Vec<usize>, ShapeOp),
    ) -> Result<()> {
        let node = &self.plan[id];
        for b in self.wanted.blocks(id, &node.meta.chunks) {
            let (ib, op) = map(&b);
            let input = self.input_key(id, 0, &ib);
            let kernel = ShapeKernel {
                dtype: node.meta.dtype,
                op,
                key: input.clone(),
            };
            self.graph
                .insert(self.key(id, &b), Task::call(kernel, vec![input]))?;
        }
        Ok(())
    }

    /// Output block `b` is the input block at the same row-major block position, reshaped
    /// (the plan rechunked the input so the grids line up).
    pub(super) fn reshape(&mut self, id: NodeId) -> Result<()> {
        let out = &self.plan[id].meta.chunks;
        let (out_grid, in_grid) = (out.grid(), self.input_meta(id, 0).chunks.grid());
        self.per_block(id, |b| {
            let mut linear = 0;
            for (&i, &n) in b.iter().zip(&out_grid) {
                linear = linear * n + i;
            }
            let mut ib = vec![0; in_grid.len()];
            for (slot, &n) in ib.iter_mut().zip(&in_grid).rev() {
                *slot = linear % n;
                linear /= n;
            }
            (ib, ShapeOp::Reshape(out.block_shape(b)))
        })
    }

    /// Output block `b` gathers its positions along `axis` from the input blocks holding
    /// them (same block index on the other axes).
    pub(super) fn take(&mut self, id: NodeId, axis: usize, indices: &[usize]) -> Result<()> {
        let plan = self.plan;
        let out = &plan[id].meta;
        let input = &self.input_meta(id, 0).chunks;
        let starts = out.chunks.axis_starts(axis).to_vec();
        for b in self.wanted.blocks(id, &out.chunks) {
            let first = starts[b[axis]];
            let len = out.chunks.axis(axis)[b[axis]];
            let mut sources: Vec<usize> = Vec::new();
            let mut picks = Vec::with_capacity(len);
            for &i in &indices[first..first + len] {
                let (block, start) = input.locate(axis, i);
                let local = i - start;
                let slot = match sources.iter().position(|&s| s == block) {
                    Some(slot) => slot,
                    None => {
                        sources.push(block);
                        sources.len() - 1
                    }
                };
                picks.push((slot, local));
            }
            let keys: Vec<Key> = sources
                .iter()
                .map(|&s| {
                    let mut ib = b.clone();
                    ib[axis] = s;
                    self.input_key(id, 0, &ib)
                })
                .collect();
            let kernel = TakeKernel {
                dtype: out.dtype,
                shape: out.chunks.block_shape(&b),
                axis,
                picks,
                keys: keys.clone(),
            };
            self.graph
                .insert(self.key(id, &b), Task::call(kernel, keys))?;
        }
        Ok(())
    }
}
