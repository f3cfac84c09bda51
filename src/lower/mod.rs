//! Lowering: every plan node becomes tasks, one per output chunk, named `op-hash` with the
//! chunk's block index (Dask's `("add-3f2a", i, j)`); a reduction becomes a tree of
//! partial → combine → aggregate tasks whose fan-in is at most `split_every`.
//!
//! Lowering also decides which requested outputs are written in place: an output computed
//! by an elementwise program or by a reduction's aggregates, and that nothing else reads,
//! gets an [`OutputBuffer`]; its chunk tasks write their strips straight into it, and
//! [`Lowered::buffers`] hands the buffers back for assembly after the run.
//!
//! - here: the driver, task names, the in-place decision;
//! - [`blockwise`]: sources, constants, elementwise programs, `map_blocks`;
//! - [`shape`]: rechunk, transpose, axis insertion and removal, broadcast, slice,
//!   concatenate, reshape, take;
//! - [`reduce`]: the reduction tree;
//! - [`scan`]: cumulative sums and products (local scans and carries);
//! - [`gather`]: blocks computed from chosen input blocks, summed in a tree;
//! - [`wanted`]: culling while lowering (a node lowers only the blocks outputs need).

mod blockwise;
mod gather;
mod reduce;
mod scan;
mod shape;
mod wanted;

use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;

use crate::error::Result;
use crate::geometry::Meta;
use crate::graph::{Key, TaskGraph};
use crate::kernel::codegen::Backend;
use crate::kernel::output::OutputBuffer;
use crate::kernel::program::{InstrOp, Program};
use crate::plan::{NodeId, Op, Plan, PlanNode};
use wanted::Wanted;

/// A lowered plan: the task graph and, per plan output, the keys of its chunks in
/// row-major block order and the buffer it is written into, if it is written in place.
pub(crate) struct Lowered {
    /// The tasks.
    pub(crate) graph: TaskGraph,
    /// Per requested output, its chunks' keys.
    pub(crate) outputs: Vec<Vec<Key>>,
    /// Per requested output, the buffer its tasks write into (their values are then `()`).
    pub(crate) buffers: Vec<Option<Arc<OutputBuffer>>>,
}

/// Whether outputs may be written in place: only when every task runs in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InPlace {
    /// Elementwise outputs read by nothing else are written into result buffers.
    Allowed,
    /// Every output is returned as chunk values (for `persist`, writers, other processes).
    Never,
}

/// Lowers `plan` to tasks whose fused programs run on `backend`.
pub(crate) fn lower(plan: &Plan, in_place: InPlace, backend: Backend) -> Result<Lowered> {
    lower_in(plan, in_place, backend, &mut ())
}

/// [`lower`] within a larger computation: `context` is handed to every graph source (see
/// [`GraphSource::insert`](crate::kernel::source::GraphSource::insert)), which may insert
/// its tasks there instead of into the returned graph.
pub(crate) fn lower_in(
    plan: &Plan,
    in_place: InPlace,
    backend: Backend,
    context: &mut (dyn Any + 'static),
) -> Result<Lowered> {
    let names = unique_names(plan);
    let mut lowering = Lowering {
        plan,
        backend,
        context,
        wanted: Wanted::new(plan, &names),
        names,
        graph: TaskGraph::new(),
        buffers: match in_place {
            InPlace::Allowed => in_place_buffers(plan),
            InPlace::Never => vec![None; plan.nodes.len()],
        },
    };
    // Consumers first, so each node knows which of its blocks are read.
    let order: Vec<NodeId> = plan.ids().collect();
    for &id in order.iter().rev() {
        if !lowering.wanted.any(id) {
            continue;
        }
        let before = lowering.graph.len();
        lowering.node(id)?;
        lowering.wanted.mark_reads(id, &lowering.graph, before);
    }
    let outputs = plan
        .outputs
        .iter()
        .map(|&o| {
            let name = lowering.names[o.index()].as_str();
            plan[o]
                .meta
                .chunks
                .blocks()
                .map(|b| Key::chunk(name, &b))
                .collect()
        })
        .collect();
    let buffers = plan
        .outputs
        .iter()
        .map(|&o| lowering.buffers[o.index()].clone())
        .collect();
    Ok(Lowered {
        graph: lowering.graph,
        outputs,
        buffers,
    })
}

/// The fewest instructions (constants not counted, a reduction folded into the compiled
/// loop counted as one) for which a program runs compiled.
///
/// Measured on the 2-core test machine, one quiet run, workloads medians: programs of one
/// or two instructions ahead of a reduction that folds from strips (distmat's sum over 2
/// coordinates) ran 7–13% *slower* compiled than interpreted — the interpreter's AVX2
/// loops take 4 lanes of f64 per instruction, Cranelift's vector loop 2, and with so few
/// instructions the single pass saves little — while pi (4 instructions) ran 1.5× faster
/// and poly 1.4× faster compiled. So short programs stay in the interpreter, unless the
/// reduction after them folds in registers (dist's `sum((a - b)^2)`: the interpreter's
/// three passes over a strip become one, nothing stored).
pub(crate) const MIN_COMPILED_INSTRUCTIONS: usize = 3;

/// Where `program` runs under the requested `backend`: compiled only when it has enough
/// instructions to gain from one pass (see [`MIN_COMPILED_INSTRUCTIONS`]), counting the
/// reduction that folds its values in registers when `folds`.
pub(crate) fn backend_for(backend: Backend, program: Option<&Program>, folds: bool) -> Backend {
    let work = program.map_or(0, |p| {
        p.instrs
            .iter()
            .filter(|i| !matches!(i.op, InstrOp::Const(_)))
            .count()
            + usize::from(folds)
    });
    if work >= MIN_COMPILED_INSTRUCTIONS {
        backend
    } else {
        Backend::Interpreter
    }
}

/// The state of one lowering: the plan, each node's task-key name, the graph being built
/// and the in-place buffers (indexed by node).
struct Lowering<'p> {
    plan: &'p Plan,
    /// The enclosing computation's context, for graph sources (see [`lower_in`]).
    context: &'p mut (dyn Any + 'static),
    /// Where the fused programs run (interpreted or compiled).
    backend: Backend,
    /// Which blocks of each node the outputs need.
    wanted: Wanted,
    names: Vec<String>,
    graph: TaskGraph,
    buffers: Vec<Option<Arc<OutputBuffer>>>,
}

impl<'p> Lowering<'p> {
    /// Inserts the tasks of node `id`.
    fn node(&mut self, id: NodeId) -> Result<()> {
        let node = &self.plan[id];
        match &node.op {
            Op::Source(source) => self.source(id, source),
            Op::Graph(source) => self.graph_source(id, source),
            Op::Const(value) => self.constant(id, *value),
            Op::Elementwise(_) | Op::Fused(_) => self.program(id),
            Op::MapBlocks(f) => self.map_blocks(id, f),
            Op::Gather(f) => self.gather(id, f),
            Op::Rechunk => self.rechunk(id),
            Op::Transpose(perm) => self.transpose(id, perm),
            Op::InsertAxis(axis) => self.insert_axis(id, *axis),
            Op::RemoveAxis(axis) => self.remove_axis(id, *axis),
            Op::BroadcastTo => self.broadcast_to(id),
            Op::Slice(axes) => self.slice(id, axes),
            Op::Concatenate(axis) => self.concatenate(id, *axis),
            Op::Reshape => self.reshape(id),
            Op::Take { axis, indices } => self.take(id, *axis, indices),
            Op::Reduce(spec) => self.reduce(id, spec),
            Op::Scan { kind, axis } => self.scan(id, *kind, *axis),
            Op::Invalid(error) => Err(error.clone()),
        }
    }

    /// The task-key name of node `id`.
    fn name(&self, id: NodeId) -> &str {
        &self.names[id.index()]
    }

    /// The key of block `b` of node `id`.
    fn key(&self, id: NodeId, b: &[usize]) -> Key {
        Key::chunk(self.name(id), b)
    }

    /// The key of block `b` of the `k`-th input of node `id`.
    fn input_key(&self, id: NodeId, k: usize, b: &[usize]) -> Key {
        self.key(self.plan[id].inputs[k], b)
    }

    /// The meta of the `k`-th input of node `id`.
    fn input_meta(&self, id: NodeId, k: usize) -> &'p Meta {
        let plan = self.plan;
        &plan[plan[id].inputs[k]].meta
    }
}

/// Task-key names, `op-hash`, made unique where the same structure appears twice (when CSE
/// is switched off, or for the copies of a rematerialized source).
fn unique_names(plan: &Plan) -> Vec<String> {
    let mut seen = HashSet::new();
    plan.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let base = format!("{}-{:08x}", n.op.name(), n.hash as u32);
            if seen.insert(base.clone()) {
                base
            } else {
                format!("{base}-{i}")
            }
        })
        .collect()
}

/// Output buffers, indexed by node, for the requested outputs that an elementwise program
/// or a reduction's aggregates compute and nothing else reads (each requested once). A
/// reduction to a scalar has one block: nothing to gain.
fn in_place_buffers(plan: &Plan) -> Vec<Option<Arc<OutputBuffer>>> {
    let uses = plan.use_counts();
    plan.nodes
        .iter()
        .zip(plan.ids())
        .map(|(node, id): (&PlanNode, NodeId)| {
            let written_by_tasks = node.op.is_elementwise()
                || (matches!(node.op, Op::Reduce(_)) && !node.meta.shape.is_empty());
            // Chunks of unknown size have no place in a buffer until they are computed.
            let wanted = uses[id.index()] == 1
                && plan.outputs.contains(&id)
                && written_by_tasks
                && node.meta.chunks.is_known();
            wanted.then(|| OutputBuffer::new(node.meta.dtype, &node.meta.chunks))
        })
        .collect()
}
