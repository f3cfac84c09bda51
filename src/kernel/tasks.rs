//! Kernels that move or reshape chunk data: sources, rechunking, transposes, axis
//! insertion/removal, broadcasting, slicing, identity, user block functions, reductions.

use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn, Slice};

use super::codegen::Backend;
use super::generate::GeneratedInputs;
use super::output::OutputBuffer;
use super::program::Program;
use super::reduce::ReduceOps;
use super::source::{BlockFn, ChunkSource, GraphSource};
use crate::dtype::with_dtype;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::geometry::blocks::Piece;
use crate::graph::{Kernel, Key, Value};

/// Runs a source for one chunk.
pub(crate) struct SourceKernel {
    pub(crate) source: Arc<dyn ChunkSource>,
    pub(crate) offset: Vec<usize>,
    pub(crate) shape: Vec<usize>,
}

impl Kernel for SourceKernel {
    fn name(&self) -> &str {
        self.source.name()
    }
    fn call(&self, _inputs: Vec<Value>) -> Result<Value> {
        self.source.chunk(&self.offset, &self.shape)
    }
}

/// Makes a chunk from the result of a [`GraphSource`]'s task.
pub(crate) struct GraphChunkKernel {
    pub(crate) source: Arc<dyn GraphSource>,
    pub(crate) key: Key,
}

impl Kernel for GraphChunkKernel {
    fn name(&self) -> &str {
        self.source.name()
    }
    fn call(&self, inputs: Vec<Value>) -> Result<Value> {
        let value = inputs
            .into_iter()
            .next()
            .ok_or_else(|| super::internal("a graph chunk without its input"))?;
        self.source.chunk(value, &self.key)
    }
}

/// Runs an elementwise program over one output chunk.
pub(crate) struct ProgramKernel {
    pub(crate) name: Arc<str>,
    pub(crate) program: Arc<Program>,
    pub(crate) keys: Vec<Key>,
    /// The output chunk's shape; `None` when it is unknown until the inputs are there
    /// (chunks of data-dependent size): then the inputs' shapes broadcast together.
    pub(crate) shape: Option<Vec<usize>>,
    /// The final result to write this chunk into, and the chunk's block index there,
    /// instead of returning it.
    pub(crate) dest: Option<(Arc<OutputBuffer>, Vec<usize>)>,
    /// The inputs computed in place (not among the task's dependencies), and the chunk's
    /// global position they are generated at.
    pub(crate) generated: GeneratedInputs,
    pub(crate) offset: Vec<usize>,
    /// Interpreted or compiled.
    pub(crate) backend: Backend,
}

/// The shape of a chunk of unknown size, from its inputs' chunks (broadcast together).
pub(crate) fn runtime_shape(inputs: &[Value], keys: &[Key]) -> Result<Vec<usize>> {
    let shapes = inputs
        .iter()
        .zip(keys)
        .map(|(v, k)| {
            v.array_shape()
                .ok_or_else(|| super::internal(format!("input {k} is not an array chunk")))
        })
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&[usize]> = shapes.iter().map(Vec::as_slice).collect();
    crate::geometry::chunks::broadcast_shapes(&refs)
}

impl Kernel for ProgramKernel {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, inputs: Vec<Value>) -> Result<Value> {
        // Chunks of unknown size never have generated inputs (those need known chunks).
        let shape = match &self.shape {
            Some(shape) => shape.clone(),
            None => runtime_shape(&inputs, &self.keys)?,
        };
        let inputs = self.generated.splice(inputs, &self.offset);
        match &self.dest {
            None => self
                .program
                .run_to_array_with(self.backend, &inputs, &self.keys, &shape),
            Some((buffer, block)) => {
                let mut writer = buffer.claim(block)?;
                self.program
                    .run_with(self.backend, &inputs, &self.keys, &shape, &mut writer)?;
                writer.finish()?;
                Ok(Value::new(()))
            }
        }
    }
}

/// Passes its single input through: a chunk that is already where it belongs.
pub(crate) struct Identity(pub(crate) &'static str);

impl Kernel for Identity {
    fn name(&self) -> &str {
        self.0
    }
    fn call(&self, mut inputs: Vec<Value>) -> Result<Value> {
        inputs
            .pop()
            .ok_or_else(|| super::internal("identity of nothing"))
    }
}

/// A per-chunk shape operation.
#[derive(Clone, Debug)]
pub(crate) enum ShapeOp {
    Transpose(Vec<usize>),
    InsertAxis(usize),
    RemoveAxis(usize),
    Broadcast(Vec<usize>),
    /// Per axis: local start, length, step.
    Slice(Vec<(usize, usize, isize)>),
    /// The block reshaped, row-major, to this shape.
    Reshape(Vec<usize>),
}

impl ShapeOp {
    /// The name shown in labels, as the plan op's.
    fn name(&self) -> &'static str {
        match self {
            ShapeOp::Transpose(_) => "transpose",
            ShapeOp::InsertAxis(_) => "insert_axis",
            ShapeOp::RemoveAxis(_) => "remove_axis",
            ShapeOp::Broadcast(_) => "broadcast_to",
            ShapeOp::Slice(_) => "slice",
            ShapeOp::Reshape(_) => "reshape",
        }
    }
}

/// Applies a [`ShapeOp`] to one chunk of type `dtype`.
pub(crate) struct ShapeKernel {
    pub(crate) dtype: DType,
    pub(crate) op: ShapeOp,
    pub(crate) key: Key,
}

impl Kernel for ShapeKernel {
    fn name(&self) -> &str {
        self.op.name()
    }
    fn call(&self, mut inputs: Vec<Value>) -> Result<Value> {
        let input = inputs
            .pop()
            .ok_or_else(|| super::internal("shape op without input"))?;
        with_dtype!(self.dtype, T => shape_op::<T>(&self.op, input, &self.key).map(Value::new))
    }
}

fn owned<T: Element>(value: Value, key: &Key) -> Result<ArrayD<T>> {
    value.take::<ArrayD<T>>(key)
}

fn shape_op<T: Element>(op: &ShapeOp, input: Value, key: &Key) -> Result<ArrayD<T>> {
    Ok(match op {
        ShapeOp::Transpose(perm) => {
            let a = owned::<T>(input, key)?.permuted_axes(IxDyn(perm));
            if a.is_standard_layout() {
                a
            } else {
                a.as_standard_layout().into_owned()
            }
        }
        ShapeOp::InsertAxis(axis) => owned::<T>(input, key)?.insert_axis(Axis(*axis)),
        ShapeOp::Reshape(shape) => {
            let a = owned::<T>(input, key)?;
            let a = if a.is_standard_layout() {
                a
            } else {
                a.as_standard_layout().into_owned()
            };
            a.into_shape_with_order(IxDyn(shape))
                .map_err(|e| Error::ShapeMismatch(format!("reshape of block {key}: {e}")))?
        }
        ShapeOp::RemoveAxis(axis) => owned::<T>(input, key)?.index_axis_move(Axis(*axis), 0),
        ShapeOp::Broadcast(shape) => {
            let a: &ArrayD<T> = input.get(key)?;
            a.broadcast(IxDyn(shape))
                .ok_or_else(|| {
                    Error::ShapeMismatch(format!("cannot broadcast {:?} to {shape:?}", a.shape()))
                })?
                .to_owned()
        }
        ShapeOp::Slice(axes) => {
            let a: &ArrayD<T> = input.get(key)?;
            let view = a.slice_each_axis(|ax| {
                let (start, len, step) = axes[ax.axis.index()];
                if len == 0 {
                    return Slice::new(0, Some(0), 1);
                }
                let span = (len - 1) * step.unsigned_abs();
                if step > 0 {
                    Slice::new(start as isize, Some((start + span + 1) as isize), step)
                } else {
                    Slice::new((start - span) as isize, Some(start as isize + 1), step)
                }
            });
            view.as_standard_layout().into_owned()
        }
    })
}

pub(crate) struct RechunkKernel {
    pub(crate) dtype: DType,
    pub(crate) shape: Vec<usize>,
    pub(crate) pieces: Vec<Piece>,
    pub(crate) keys: Vec<Key>,
}

impl Kernel for RechunkKernel {
    fn name(&self) -> &str {
        "rechunk"
    }
    fn call(&self, inputs: Vec<Value>) -> Result<Value> {
        with_dtype!(self.dtype, T => self.assemble::<T>(inputs).map(Value::new))
    }
}

impl RechunkKernel {
    fn assemble<T: Element>(&self, inputs: Vec<Value>) -> Result<ArrayD<T>> {
        let mut out = ArrayD::<T>::default(IxDyn(&self.shape));
        for piece in &self.pieces {
            let src: &ArrayD<T> = inputs[piece.input].get(&self.keys[piece.input])?;
            let src = src.slice_each_axis(|ax| {
                let (s, _, n) = piece.ranges[ax.axis.index()];
                Slice::from(s..s + n)
            });
            out.slice_each_axis_mut(|ax| {
                let (_, d, n) = piece.ranges[ax.axis.index()];
                Slice::from(d..d + n)
            })
            .assign(&src);
        }
        Ok(out)
    }
}

/// Applies a user block function.
pub(crate) struct BlockKernel {
    pub(crate) f: Arc<dyn BlockFn>,
    pub(crate) shape: Vec<usize>,
}

impl Kernel for BlockKernel {
    fn name(&self) -> &str {
        self.f.name()
    }
    fn call(&self, mut inputs: Vec<Value>) -> Result<Value> {
        let input = inputs
            .pop()
            .ok_or_else(|| super::internal("map_blocks without input"))?;
        self.f.apply(input, &self.shape)
    }
}

/// The three steps of a reduction tree.
pub(crate) enum ReduceStep {
    Partial {
        pre: Option<Arc<Program>>,
        /// The inputs of `pre` computed in place (not among the task's dependencies).
        generated: GeneratedInputs,
        keys: Vec<Key>,
        /// The reduced block's shape, `None` if it is of data-dependent size (then found
        /// from the inputs; the offset is then unused, as no such reduction needs indices).
        shape: Option<Vec<usize>>,
        offset: Vec<usize>,
    },
    Combine {
        key: Key,
    },
    Aggregate {
        key: Key,
        out_shape: Vec<usize>,
        post: Option<Arc<Program>>,
        /// The final result to write this output block into, and its block index there,
        /// instead of returning it (as [`ProgramKernel::dest`]).
        dest: Option<(Arc<OutputBuffer>, Vec<usize>)>,
    },
}

pub(crate) struct ReduceKernel {
    pub(crate) name: Arc<str>,
    pub(crate) ops: Arc<dyn ReduceOps>,
    pub(crate) step: ReduceStep,
    /// Runs the fused `pre` and `post` programs, interpreted or compiled.
    pub(crate) backend: Backend,
}

impl Kernel for ReduceKernel {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, inputs: Vec<Value>) -> Result<Value> {
        match &self.step {
            ReduceStep::Partial {
                pre,
                generated,
                keys,
                shape,
                offset,
            } => {
                let shape = match shape {
                    Some(shape) => shape.clone(),
                    None => runtime_shape(&inputs, keys)?,
                };
                let inputs = generated.splice(inputs, offset);
                self.ops
                    .partial(self.backend, pre.as_deref(), inputs, keys, &shape, offset)
            }
            ReduceStep::Combine { key } => self.ops.combine(inputs, key),
            ReduceStep::Aggregate {
                key,
                out_shape,
                post,
                dest,
            } => {
                let value = self.ops.aggregate(inputs, key, out_shape)?;
                let keys = std::slice::from_ref(key);
                match (post, dest) {
                    (Some(p), None) => p.run_to_array_with(self.backend, &[value], keys, out_shape),
                    (None, None) => Ok(value),
                    (Some(p), Some((buffer, block))) => {
                        let mut writer = buffer.claim(block)?;
                        p.run_with(self.backend, &[value], keys, out_shape, &mut writer)?;
                        writer.finish()?;
                        Ok(Value::new(()))
                    }
                    (None, Some((buffer, block))) => {
                        buffer.claim(block)?.write_chunk(&value, key)?;
                        Ok(Value::new(()))
                    }
                }
            }
        }
    }
}

/// Picks elements along an axis from several input blocks: output position `k` along the
/// axis is element `picks[k].1` of input number `picks[k].0`.
pub(crate) struct TakeKernel {
    pub(crate) dtype: DType,
    /// The output block's shape (for a block that picks nothing).
    pub(crate) shape: Vec<usize>,
    pub(crate) axis: usize,
    pub(crate) picks: Vec<(usize, usize)>,
    pub(crate) keys: Vec<Key>,
}

impl Kernel for TakeKernel {
    fn name(&self) -> &str {
        "take"
    }
    fn call(&self, inputs: Vec<Value>) -> Result<Value> {
        with_dtype!(self.dtype, T => self.take::<T>(&inputs).map(Value::new))
    }
}

impl TakeKernel {
    fn take<T: Element>(&self, inputs: &[Value]) -> Result<ArrayD<T>> {
        let blocks: Vec<&ArrayD<T>> = inputs
            .iter()
            .zip(&self.keys)
            .map(|(v, k)| v.get::<ArrayD<T>>(k))
            .collect::<Result<_>>()?;
        let axis = Axis(self.axis);
        if self.picks.is_empty() {
            return Ok(ArrayD::from_elem(IxDyn(&self.shape), T::default()));
        }
        let views: Vec<_> = self
            .picks
            .iter()
            .map(|&(slot, i)| blocks[slot].index_axis(axis, i))
            .collect();
        ndarray::stack(axis, &views).map_err(|e| Error::ShapeMismatch(format!("take: {e}")))
    }
}
