//! Lowering a reduction to a tree of tasks over the input's chunk grid.
//!
//! - **Partials**: one task per input block reduces that block (or, with a fused `pre`
//!   program, the program's result over the inputs' blocks) to an array of per-element
//!   states: the block's shape with the reduced axes set to 1. They form the *partial
//!   grid*, which is the input's chunk grid.
//! - **Combines**: while more than `split_every` blocks lie along the reduced axes of one
//!   output block, a level of combine tasks merges groups of at most `fan_in` neighbours
//!   along each reduced axis (fan-in split evenly over the reduced axes that have more than
//!   one block, as Dask's `split_every` does), so each level's grid is the previous one
//!   divided by `fan_in` on the reduced axes and unchanged on the kept ones.
//! - **Aggregates**: one task per output block merges the last level's blocks along the
//!   reduced axes (the *span*) and finishes the states into values (and runs a fused `post`
//!   program). The *kept grid* is the last level's grid with every reduced axis set to 1.
//!
//! Merges happen in block order at fixed levels, so results are bit-identical for any
//! thread count and scheduler.

use std::sync::Arc;

use super::Lowering;
use super::blockwise::dependencies;
use crate::error::Result;
use crate::geometry::BlockIter;
use crate::geometry::blocks::broadcast_block;
use crate::graph::{Key, Task};
use crate::kernel::codegen::Backend;
use crate::kernel::generate::GeneratedInputs;
use crate::kernel::reduce::reduce_ops;
use crate::kernel::tasks::{ReduceKernel, ReduceStep};
use crate::plan::display::{aggregate_label, combine_label, partial_label};
use crate::plan::{NodeId, ReduceSpec};

impl Lowering<'_> {
    /// The partial → combine → aggregate tree of reduction node `id`.
    pub(super) fn reduce(&mut self, id: NodeId, spec: &ReduceSpec) -> Result<()> {
        let node = &self.plan[id];
        let n_inputs = node.inputs.len();
        // What is reduced: the `pre` program's result, or the single input.
        let reduced_meta = match &spec.pre {
            Some((_, meta)) => meta.clone(),
            None => self.input_meta(id, 0).clone(),
        };
        let ops = reduce_ops(
            spec.kind,
            reduced_meta.dtype,
            &reduced_meta.shape,
            &spec.axes,
        );
        let name = self.name(id).to_string();

        // Partials, over the partial grid (the reduced array's chunk grid).
        let partial_label: Arc<str> = partial_label(spec, n_inputs).into();
        let partial_name = format!("{name}-partial");
        // Only a `pre` program generates its inputs: a bare reduction folds its input chunk
        // whole, and folding generated strips instead would change a float sum's last bits.
        let generated = match &spec.pre {
            Some(_) => self.generated_inputs(id, &reduced_meta),
            None => GeneratedInputs::default(),
        };
        for b in reduced_meta.chunks.blocks() {
            let keys: Vec<Key> = (0..n_inputs)
                .map(|k| {
                    let ib = broadcast_block(&b, &self.input_meta(id, k).chunks);
                    self.input_key(id, k, &ib)
                })
                .collect();
            let deps = dependencies(&generated, &keys);
            let shape = reduced_meta
                .chunks
                .is_known()
                .then(|| reduced_meta.chunks.block_shape(&b));
            // A fold into registers is one more instruction of the compiled loop.
            let folds = shape.as_deref().is_some_and(|s| ops.folds_lanes(s));
            let pre = spec.pre.as_ref().map(|(p, _)| &**p);
            let kernel = ReduceKernel {
                name: partial_label.clone(),
                ops: ops.clone(),
                backend: super::backend_for(self.backend, pre, folds),
                step: ReduceStep::Partial {
                    pre: spec.pre.as_ref().map(|(p, _)| p.clone()),
                    generated: generated.clone(),
                    keys,
                    shape,
                    offset: reduced_meta.chunks.block_offset(&b),
                },
            };
            let key = Key::chunk(partial_name.as_str(), &b);
            self.graph.insert(key, Task::call(kernel, deps))?;
        }

        // Combine levels: `grid` is the current level's grid, `level_name` its key name.
        let reduced: Vec<bool> = (0..reduced_meta.shape.len())
            .map(|a| spec.axes.contains(&a))
            .collect();
        let mut grid = reduced_meta.chunks.grid();
        let mut level_name = partial_name;
        let split_axes = reduced
            .iter()
            .zip(&grid)
            .filter(|&(&r, &g)| r && g > 1)
            .count()
            .max(1);
        // split_every spread over the split reduced axes: fan_in^split_axes <= split_every.
        let fan_in = ((spec.split_every as f64)
            .powf(1.0 / split_axes as f64)
            .floor() as usize)
            .max(2);
        let blocks_per_output = |grid: &[usize]| -> usize {
            grid.iter()
                .zip(&reduced)
                .filter(|&(_, &r)| r)
                .map(|(&g, _)| g)
                .product()
        };
        let combine_label: Arc<str> = combine_label(spec).into();
        let mut level = 0;
        while blocks_per_output(&grid) > spec.split_every {
            level += 1;
            let next_grid: Vec<usize> = grid
                .iter()
                .zip(&reduced)
                .map(|(&g, &r)| if r { g.div_ceil(fan_in) } else { g })
                .collect();
            let next_name = format!("{name}-combine{level}");
            for nb in BlockIter::new(next_grid.clone()) {
                // The group of the previous level merged into nb: up to fan_in blocks
                // along each reduced axis, the same block along each kept one.
                let group: Vec<usize> = nb
                    .iter()
                    .enumerate()
                    .map(|(a, &i)| {
                        if reduced[a] {
                            fan_in.min(grid[a] - i * fan_in)
                        } else {
                            1
                        }
                    })
                    .collect();
                let keys: Vec<Key> = BlockIter::new(group)
                    .map(|d| {
                        let ob: Vec<usize> = (0..nb.len())
                            .map(|a| {
                                if reduced[a] {
                                    nb[a] * fan_in + d[a]
                                } else {
                                    nb[a]
                                }
                            })
                            .collect();
                        Key::chunk(level_name.as_str(), &ob)
                    })
                    .collect();
                let out_key = Key::chunk(next_name.as_str(), &nb);
                let kernel = ReduceKernel {
                    name: combine_label.clone(),
                    ops: ops.clone(),
                    backend: Backend::Interpreter,
                    step: ReduceStep::Combine {
                        key: out_key.clone(),
                    },
                };
                self.graph.insert(out_key, Task::call(kernel, keys))?;
            }
            grid = next_grid;
            level_name = next_name;
        }

        // Aggregates: one per block of the kept grid, merging the span along reduced axes.
        let kept_grid: Vec<usize> = grid
            .iter()
            .zip(&reduced)
            .map(|(&g, &r)| if r { 1 } else { g })
            .collect();
        let span: Vec<usize> = grid
            .iter()
            .zip(&reduced)
            .map(|(&g, &r)| if r { g } else { 1 })
            .collect();
        let aggregate_label: Arc<str> = aggregate_label(spec, n_inputs).into();
        let out_chunks = &node.meta.chunks;
        let buffer = self.buffers[id.index()].clone();
        for kb in BlockIter::new(kept_grid) {
            let keys: Vec<Key> = BlockIter::new(span.clone())
                .map(|d| {
                    let ob: Vec<usize> = kb.iter().zip(&d).map(|(k, d)| k + d).collect();
                    Key::chunk(level_name.as_str(), &ob)
                })
                .collect();
            // The output block: the kept-grid block, without the reduced axes unless kept.
            let out_block: Vec<usize> = if spec.keepdims {
                kb.clone()
            } else {
                kb.iter()
                    .zip(&reduced)
                    .filter(|&(_, &r)| !r)
                    .map(|(&k, _)| k)
                    .collect()
            };
            let out_key = Key::chunk(name.as_str(), &out_block);
            let kernel = ReduceKernel {
                name: aggregate_label.clone(),
                ops: ops.clone(),
                backend: super::backend_for(self.backend, spec.post.as_deref(), false),
                step: ReduceStep::Aggregate {
                    key: out_key.clone(),
                    out_shape: out_chunks.block_shape(&out_block),
                    post: spec.post.clone(),
                    dest: buffer.as_ref().map(|buf| (buf.clone(), out_block.clone())),
                },
            };
            self.graph.insert(out_key, Task::call(kernel, keys))?;
        }
        Ok(())
    }
}
