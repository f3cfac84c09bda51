//! Lowering the blockwise nodes, where output block `b` reads block `b` of each input (or,
//! for a broadcast input, the block that covers it): sources, constants, elementwise
//! programs (fused or single) and `map_blocks`.

use std::sync::Arc;

use ndarray::arr0;

use super::Lowering;
use crate::dtype::{Element, Scalar, with_dtype};
use crate::error::{Error, Result};
use crate::geometry::Meta;
use crate::geometry::blocks::broadcast_block;
use crate::graph::{Key, Task, Value};
use crate::kernel::generate::GeneratedInputs;
use crate::kernel::program::{Instr, InstrOp, Program, Src};
use crate::kernel::source::{BlockFn, ChunkSource, GraphSource};
use crate::kernel::tasks::{BlockKernel, GraphChunkKernel, ProgramKernel, SourceKernel};
use crate::plan::display::op_label;
use crate::plan::{NodeId, Op, Plan};

impl Lowering<'_> {
    /// One task per chunk, each asking the source for its region.
    pub(super) fn source(&mut self, id: NodeId, source: &Arc<dyn ChunkSource>) -> Result<()> {
        let chunks = &self.plan[id].meta.chunks;
        for b in self.wanted.blocks(id, chunks) {
            let kernel = SourceKernel {
                source: source.clone(),
                offset: chunks.block_offset(&b),
                shape: chunks.block_shape(&b),
            };
            self.graph
                .insert(self.key(id, &b), Task::call(kernel, vec![]))?;
        }
        Ok(())
    }

    /// The source's own tasks, then one task per chunk reading one of their results.
    pub(super) fn graph_source(&mut self, id: NodeId, source: &Arc<dyn GraphSource>) -> Result<()> {
        let keys = source.insert(&mut self.graph, &mut *self.context)?;
        let blocks = self.plan[id].meta.chunks.num_chunks();
        if keys.len() != blocks {
            return Err(Error::Internal {
                pass: "lower",
                message: format!(
                    "{} gave {} keys for {blocks} chunks",
                    source.name(),
                    keys.len()
                ),
            });
        }
        for (b, key) in self.plan[id].meta.chunks.blocks().zip(keys) {
            let kernel = GraphChunkKernel {
                source: source.clone(),
                key: key.clone(),
            };
            self.graph
                .insert(self.key(id, &b), Task::call(kernel, vec![key]))?;
        }
        Ok(())
    }

    /// A 0-d literal.
    pub(super) fn constant(&mut self, id: NodeId, value: Scalar) -> Result<()> {
        let literal = with_dtype!(value.dtype(), T => {
            Value::new(arr0(<T as Element>::from_scalar(value)).into_dyn())
        });
        self.graph.insert(self.key(id, &[]), Task::Literal(literal))
    }

    /// One program task per output chunk, reading the inputs' blocks under broadcasting;
    /// an output written in place hands each task the sink for its block.
    pub(super) fn program(&mut self, id: NodeId) -> Result<()> {
        let node = &self.plan[id];
        let program = match &node.op {
            Op::Fused(p) => p.clone(),
            _ => Arc::new(single_program(self.plan, id)?),
        };
        let label: Arc<str> = op_label(&node.op, node.inputs.len()).into();
        let chunks = &node.meta.chunks;
        let buffer = self.buffers[id.index()].clone();
        let generated = self.generated_inputs(id, &node.meta);
        for b in self.wanted.blocks(id, chunks) {
            let keys: Vec<Key> = (0..node.inputs.len())
                .map(|k| {
                    self.input_key(id, k, &broadcast_block(&b, &self.input_meta(id, k).chunks))
                })
                .collect();
            let dest = buffer.as_ref().map(|buf| (buf.clone(), b.clone()));
            let deps = dependencies(&generated, &keys);
            let kernel = ProgramKernel {
                name: label.clone(),
                program: program.clone(),
                keys,
                shape: chunks.is_known().then(|| chunks.block_shape(&b)),
                dest,
                generated: generated.clone(),
                offset: chunks.block_offset(&b),
                backend: super::backend_for(self.backend, Some(&program), false),
            };
            self.graph
                .insert(self.key(id, &b), Task::call(kernel, deps))?;
        }
        Ok(())
    }

    /// Which inputs of node `id` its program tasks generate in place instead of reading
    /// chunks: a source offering a [`StripFill`](crate::kernel::generate::StripFill) of the
    /// element type, with the shape and chunks of `out` (the array the program computes),
    /// so block `b` of the input is exactly block `b` of `out`. A broadcast source stays a
    /// chunk input (it is small, and its strips are gathered through strides).
    pub(super) fn generated_inputs(&self, id: NodeId, out: &Meta) -> GeneratedInputs {
        let plan = self.plan;
        GeneratedInputs(
            plan[id]
                .inputs
                .iter()
                .map(|&j| match &plan[j].op {
                    Op::Source(s)
                        if plan[j].meta.shape == out.shape && plan[j].meta.chunks == out.chunks =>
                    {
                        s.strip_fill().filter(|f| f.dtype() == plan[j].meta.dtype)
                    }
                    _ => None,
                })
                .collect(),
        )
    }

    /// One task per chunk applying a user block function.
    pub(super) fn map_blocks(&mut self, id: NodeId, f: &Arc<dyn BlockFn>) -> Result<()> {
        let chunks = &self.plan[id].meta.chunks;
        for b in self.wanted.blocks(id, chunks) {
            let kernel = BlockKernel {
                f: f.clone(),
                shape: chunks.block_shape(&b),
            };
            let input = self.input_key(id, 0, &b);
            self.graph
                .insert(self.key(id, &b), Task::call(kernel, vec![input]))?;
        }
        Ok(())
    }
}

/// The keys of the inputs a program task reads as chunks: its dependencies.
pub(super) fn dependencies(generated: &GeneratedInputs, keys: &[Key]) -> Vec<Key> {
    keys.iter()
        .enumerate()
        .filter(|&(k, _)| generated.0.get(k).is_none_or(Option::is_none))
        .map(|(_, key)| key.clone())
        .collect()
}

/// The one-instruction program of an unfused elementwise node.
pub(crate) fn single_program(plan: &Plan, id: NodeId) -> Result<Program> {
    let node = &plan[id];
    let Op::Elementwise(op) = &node.op else {
        return Err(Error::Internal {
            pass: "lower",
            message: format!("single_program of a {} node", node.op.name()),
        });
    };
    Ok(Program {
        inputs: node.inputs.iter().map(|&j| plan[j].meta.dtype).collect(),
        instrs: vec![Instr {
            op: InstrOp::from(op),
            args: (0..node.inputs.len()).map(Src::Input).collect(),
            dtype: node.meta.dtype,
        }],
        output: Src::Reg(0),
    })
}
