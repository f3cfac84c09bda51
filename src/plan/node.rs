//! Plan nodes: the immutable, high-level DAG that `Array` handles point into.
//!
//! A node is one operation on whole arrays (not chunks): its inputs, its result's shape,
//! chunking and element type, and a structural hash of all of that, which names its tasks
//! and lets common-subexpression elimination merge equal nodes.

use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::dtype::{DType, Scalar};
use crate::error::Error;
use crate::geometry::{AxisSlice, Meta};
use crate::kernel::gather::GatherFn;
use crate::kernel::ops::{BinaryOp, UnaryOp};
use crate::kernel::program::{InstrOp, Program, StripMap};
use crate::kernel::reduce::ReduceKind;
use crate::kernel::scan::ScanKind;
use crate::kernel::source::{BlockFn, ChunkSource, GraphSource};

/// An elementwise operation before fusion.
#[derive(Clone)]
pub enum ElemOp {
    /// A one-operand operation.
    Unary(UnaryOp),
    /// A two-operand operation.
    Binary(BinaryOp),
    /// `where(cond, a, b)`.
    Where,
    /// A type conversion.
    Cast(DType),
    /// A user closure `T -> U`, with its identity.
    Map(Arc<dyn StripMap>, u64),
}

impl From<&ElemOp> for InstrOp {
    /// The program instruction computing an unfused elementwise op.
    fn from(op: &ElemOp) -> InstrOp {
        match op {
            ElemOp::Unary(u) => InstrOp::Unary(*u),
            ElemOp::Binary(b) => InstrOp::Binary(*b),
            ElemOp::Where => InstrOp::Where,
            ElemOp::Cast(to) => InstrOp::Cast(*to),
            ElemOp::Map(f, id) => InstrOp::Map(f.clone(), *id),
        }
    }
}

/// A reduction's parameters.
#[derive(Clone)]
pub struct ReduceSpec {
    /// Which reduction.
    pub kind: ReduceKind,
    /// The reduced axes of the input, sorted.
    pub axes: Vec<usize>,
    /// Whether reduced axes stay as length 1.
    pub keepdims: bool,
    /// The largest number of partials one combine task merges.
    pub split_every: usize,
    /// An elementwise program fused in front of the reduction (set by the optimizer), with
    /// the shape, chunks and type of what it computes; the node's inputs are then the
    /// program's inputs.
    pub pre: Option<(Arc<Program>, Meta)>,
    /// An elementwise program applied to the finished result (set by the optimizer); the
    /// node's meta is then the program's result.
    pub post: Option<Arc<Program>>,
}

/// What a node computes.
#[derive(Clone)]
pub enum Op {
    /// Chunks from a source.
    Source(Arc<dyn ChunkSource>),
    /// Chunks made by another task graph's tasks (a bag's partitions).
    Graph(Arc<dyn GraphSource>),
    /// A 0-d constant (scalar operands of elementwise operations).
    Const(Scalar),
    /// An elementwise operation of its inputs, broadcast to the node's shape.
    Elementwise(ElemOp),
    /// Several elementwise operations fused into one program (made by the optimizer).
    Fused(Arc<Program>),
    /// The input with other chunks.
    Rechunk,
    /// Axes permuted: output axis `i` is input axis `perm[i]`.
    Transpose(Vec<usize>),
    /// A new axis of length 1 at this position.
    InsertAxis(usize),
    /// The axis at this position (of length 1) removed.
    RemoveAxis(usize),
    /// The input broadcast to the node's shape, materialised.
    BroadcastTo,
    /// A strided selection per axis.
    Slice(Vec<AxisSlice>),
    /// The inputs joined along an axis.
    Concatenate(usize),
    /// The input reshaped in row-major order; its blocks map one to one, in row-major
    /// block order, onto the node's blocks (see `geometry::reshape`).
    Reshape,
    /// Elements picked along an axis by index (NumPy's `take`).
    Take {
        /// The axis.
        axis: usize,
        /// The picked positions, in output order.
        indices: Arc<Vec<usize>>,
    },
    /// A reduction.
    Reduce(ReduceSpec),
    /// A cumulative sum or product along an axis.
    Scan {
        /// Which scan.
        kind: ScanKind,
        /// The scanned axis.
        axis: usize,
    },
    /// A user closure over chunks.
    MapBlocks(Arc<dyn BlockFn>),
    /// Output blocks computed from chosen input blocks (see `kernel::gather`).
    Gather(Arc<dyn GatherFn>),
    /// An array that could not be built (an operator given incompatible inputs); computing
    /// it returns the error.
    Invalid(Error),
}

impl Op {
    /// The short name used in task keys (`add`, `sum`, `fused`, ...).
    pub fn name(&self) -> String {
        match self {
            Op::Source(s) => s.name().to_string(),
            Op::Graph(s) => s.name().to_string(),
            Op::Const(_) => "const".into(),
            Op::Elementwise(ElemOp::Unary(op)) => op.to_string(),
            Op::Elementwise(ElemOp::Binary(op)) => op.name(),
            Op::Elementwise(ElemOp::Where) => "where".into(),
            Op::Elementwise(ElemOp::Cast(to)) => format!("astype-{to}"),
            Op::Elementwise(ElemOp::Map(f, _)) => f.name().to_string(),
            Op::Fused(_) => "fused".into(),
            Op::Rechunk => "rechunk".into(),
            Op::Transpose(_) => "transpose".into(),
            Op::InsertAxis(_) => "insert_axis".into(),
            Op::RemoveAxis(_) => "remove_axis".into(),
            Op::BroadcastTo => "broadcast_to".into(),
            Op::Slice(_) => "slice".into(),
            Op::Concatenate(_) => "concatenate".into(),
            Op::Reshape => "reshape".into(),
            Op::Take { .. } => "take".into(),
            Op::Reduce(spec) => spec.kind.name().into(),
            Op::Scan { kind, .. } => kind.name().into(),
            Op::MapBlocks(f) => f.name().to_string(),
            Op::Gather(f) => f.name().to_string(),
            Op::Invalid(_) => "invalid".into(),
        }
    }

    /// Whether the op is elementwise (a fusion candidate).
    pub fn is_elementwise(&self) -> bool {
        matches!(self, Op::Elementwise(_) | Op::Fused(_))
    }

    fn hash_into(&self, h: &mut DefaultHasher) {
        std::mem::discriminant(self).hash(h);
        match self {
            Op::Source(s) => s.id().hash(h),
            Op::Graph(s) => s.id().hash(h),
            Op::Const(v) => {
                v.dtype().hash(h);
                v.bits().hash(h);
            }
            Op::Elementwise(e) => match e {
                ElemOp::Unary(op) => op.hash(h),
                ElemOp::Binary(op) => op.hash(h),
                ElemOp::Where => 0u8.hash(h),
                ElemOp::Cast(to) => to.hash(h),
                ElemOp::Map(_, id) => id.hash(h),
            },
            Op::Fused(p) => p.hash(h),
            Op::Rechunk | Op::BroadcastTo | Op::Reshape => {}
            Op::Take { axis, indices } => (axis, indices).hash(h),
            Op::Transpose(perm) => perm.hash(h),
            Op::InsertAxis(a) | Op::RemoveAxis(a) | Op::Concatenate(a) => a.hash(h),
            Op::Slice(s) => s.hash(h),
            Op::Reduce(spec) => {
                spec.kind.hash(h);
                spec.axes.hash(h);
                spec.keepdims.hash(h);
                spec.split_every.hash(h);
                spec.pre.hash(h);
                spec.post.hash(h);
            }
            Op::Scan { kind, axis } => (kind, axis).hash(h),
            Op::MapBlocks(f) => f.id().hash(h),
            Op::Gather(f) => f.id().hash(h),
            Op::Invalid(e) => e.to_string().hash(h),
        }
    }
}

/// One node of the plan DAG.
pub struct Node {
    pub(crate) op: Op,
    pub(crate) inputs: Vec<Arc<Node>>,
    pub(crate) meta: Meta,
    pub(crate) hash: u64,
}

impl Node {
    /// The error of an invalid node.
    pub(crate) fn error(&self) -> Option<&Error> {
        match &self.op {
            Op::Invalid(e) => Some(e),
            _ => None,
        }
    }

    /// A node, with its structural hash computed from the op, the inputs' hashes and meta.
    pub(crate) fn new(op: Op, inputs: Vec<Arc<Node>>, meta: Meta) -> Arc<Node> {
        let hash = structural_hash(&op, inputs.iter().map(|n| n.hash), &meta);
        Arc::new(Node {
            op,
            inputs,
            meta,
            hash,
        })
    }
}

impl Drop for Node {
    /// Drops a chain of nodes iteratively: the default recursive drop of `Arc<Node>`
    /// inputs would overflow the stack for a chain of a million operations.
    fn drop(&mut self) {
        let mut pending = std::mem::take(&mut self.inputs);
        while let Some(input) = pending.pop() {
            if let Ok(mut node) = Arc::try_unwrap(input) {
                pending.append(&mut node.inputs);
            }
        }
    }
}

/// The hash of an op applied to inputs with the given hashes, producing `meta`.
pub(crate) fn structural_hash(op: &Op, inputs: impl Iterator<Item = u64>, meta: &Meta) -> u64 {
    let mut h = DefaultHasher::new();
    op.hash_into(&mut h);
    for i in inputs {
        i.hash(&mut h);
    }
    meta.hash(&mut h);
    h.finish()
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:?}<{}>",
            self.op.name(),
            self.meta.shape,
            self.meta.dtype
        )
    }
}
