//! Lowering: every plan node becomes tasks, one per output chunk; a reduction becomes a
//! tree of partial → combine → aggregate tasks whose fan-in is at most `split_every`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ndarray::arr0;

use super::{Op, Plan, ReduceSpec, input_name};
use crate::dtype::with_dtype;
use crate::error::Result;
use crate::geometry::blocks::{broadcast_block, rechunk_pieces};
use crate::geometry::slice::slice_source;
use crate::geometry::{BlockIter, Meta};
use crate::graph::{Key, Task, TaskGraph, Value};
use crate::kernel::output::OutputBuffer;
use crate::kernel::program::Program;
use crate::kernel::reduce::reduce_ops;
use crate::kernel::tasks::{
    BlockKernel, Identity, ProgramKernel, RechunkKernel, ReduceKernel, ReduceStep, ShapeKernel,
    ShapeOp, SourceKernel,
};
use crate::optimize::fuse_elementwise::single_program;

/// A lowered plan: the task graph and, per plan output, the keys of its chunks in
/// row-major block order.
pub struct Lowered {
    /// The tasks.
    pub graph: TaskGraph,
    /// Per requested output, its chunks' keys.
    pub outputs: Vec<Vec<Key>>,
}

/// Lowers `plan` to tasks.
pub fn lower(plan: &Plan) -> Result<Lowered> {
    lower_into(plan, &HashMap::new())
}

/// Lowers `plan` to tasks; the elementwise nodes in `direct` write their chunks straight
/// into the given result buffers (their tasks then return `()`).
pub fn lower_into(plan: &Plan, direct: &HashMap<usize, Arc<OutputBuffer>>) -> Result<Lowered> {
    let names = unique_names(plan);
    let mut graph = TaskGraph::new();
    for (i, node) in plan.nodes.iter().enumerate() {
        let name = names[i].as_str();
        let key = |b: &[usize]| Key::chunk(name, b);
        let input_key = |k: usize, b: &[usize]| Key::chunk(names[node.inputs[k]].as_str(), b);
        let input_meta = |k: usize| &plan.nodes[node.inputs[k]].meta;
        let meta = &node.meta;
        match &node.op {
            Op::Source(source) => {
                for b in meta.chunks.blocks() {
                    let kernel = SourceKernel {
                        source: source.clone(),
                        offset: meta.chunks.block_offset(&b),
                        shape: meta.chunks.block_shape(&b),
                    };
                    graph.insert(key(&b), Task::call(kernel, vec![]))?;
                }
            }
            Op::Const(v) => {
                let value = with_dtype!(v.dtype(), T => {
                    Value::new(arr0(<T as crate::dtype::Element>::from_scalar(*v)).into_dyn())
                });
                graph.insert(key(&[]), Task::Literal(value))?;
            }
            Op::Elementwise(_) | Op::Fused(_) => {
                let program = match &node.op {
                    Op::Fused(p) => p.clone(),
                    _ => Arc::new(single_program(plan, i)),
                };
                let label: Arc<str> = match &node.op {
                    Op::Fused(p) => {
                        let names: Vec<String> = (0..node.inputs.len()).map(input_name).collect();
                        format!("fused: {}", p.expr(&names)).into()
                    }
                    op => op.name().into(),
                };
                for b in meta.chunks.blocks() {
                    let keys: Vec<Key> = (0..node.inputs.len())
                        .map(|k| input_key(k, &broadcast_block(&b, &input_meta(k).chunks)))
                        .collect();
                    let kernel = ProgramKernel {
                        name: label.clone(),
                        program: program.clone(),
                        keys: keys.clone(),
                        shape: meta.chunks.block_shape(&b),
                        dest: direct
                            .get(&i)
                            .map(|buf| (buf.clone(), meta.chunks.block_offset(&b))),
                    };
                    graph.insert(key(&b), Task::call(kernel, keys))?;
                }
            }
            Op::Rechunk => {
                let from = input_meta(0);
                for b in meta.chunks.blocks() {
                    let (blocks, pieces) = rechunk_pieces(&from.chunks, &meta.chunks, &b);
                    let keys: Vec<Key> = blocks.iter().map(|ib| input_key(0, ib)).collect();
                    let whole = pieces.len() == 1
                        && from.chunks.block_shape(&blocks[0]) == meta.chunks.block_shape(&b);
                    let task = if whole {
                        Task::call(Identity("rechunk"), keys)
                    } else {
                        let kernel = RechunkKernel {
                            dtype: meta.dtype,
                            shape: meta.chunks.block_shape(&b),
                            pieces,
                            keys: keys.clone(),
                        };
                        Task::call(kernel, keys)
                    };
                    graph.insert(key(&b), task)?;
                }
            }
            Op::Transpose(perm) => {
                for b in meta.chunks.blocks() {
                    let mut ib = vec![0; b.len()];
                    for (o, &p) in perm.iter().enumerate() {
                        ib[p] = b[o];
                    }
                    let op = ShapeOp::Transpose(perm.clone());
                    graph.insert(
                        key(&b),
                        shape_task("transpose", meta, op, input_key(0, &ib)),
                    )?;
                }
            }
            Op::InsertAxis(axis) => {
                for b in meta.chunks.blocks() {
                    let mut ib = b.clone();
                    ib.remove(*axis);
                    let op = ShapeOp::InsertAxis(*axis);
                    graph.insert(
                        key(&b),
                        shape_task("insert_axis", meta, op, input_key(0, &ib)),
                    )?;
                }
            }
            Op::RemoveAxis(axis) => {
                for b in meta.chunks.blocks() {
                    let mut ib = b.clone();
                    ib.insert(*axis, 0);
                    let op = ShapeOp::RemoveAxis(*axis);
                    graph.insert(
                        key(&b),
                        shape_task("remove_axis", meta, op, input_key(0, &ib)),
                    )?;
                }
            }
            Op::BroadcastTo => {
                for b in meta.chunks.blocks() {
                    let ib = broadcast_block(&b, &input_meta(0).chunks);
                    let op = ShapeOp::Broadcast(meta.chunks.block_shape(&b));
                    let task = shape_task("broadcast_to", meta, op, input_key(0, &ib));
                    graph.insert(key(&b), task)?;
                }
            }
            Op::Slice(axes) => {
                let from = input_meta(0);
                for b in meta.chunks.blocks() {
                    let (offset, shape) =
                        (meta.chunks.block_offset(&b), meta.chunks.block_shape(&b));
                    let (ib, local) = slice_source(axes, &from.chunks, &offset, &shape);
                    let op = ShapeOp::Slice(local);
                    graph.insert(key(&b), shape_task("slice", meta, op, input_key(0, &ib)))?;
                }
            }
            Op::Concatenate(axis) => {
                for b in meta.chunks.blocks() {
                    let mut local = b[*axis];
                    let mut k = 0;
                    while local >= input_meta(k).chunks.axis(*axis).len() {
                        local -= input_meta(k).chunks.axis(*axis).len();
                        k += 1;
                    }
                    let mut ib = b.clone();
                    ib[*axis] = local;
                    graph.insert(
                        key(&b),
                        Task::call(Identity("concatenate"), vec![input_key(k, &ib)]),
                    )?;
                }
            }
            Op::MapBlocks(f) => {
                for b in meta.chunks.blocks() {
                    let kernel = BlockKernel {
                        f: f.clone(),
                        shape: meta.chunks.block_shape(&b),
                    };
                    graph.insert(key(&b), Task::call(kernel, vec![input_key(0, &b)]))?;
                }
            }
            Op::Invalid(error) => return Err(error.clone()),
            Op::Reduce(spec) => {
                let inputs: Vec<(String, Meta)> = node
                    .inputs
                    .iter()
                    .map(|&j| (names[j].clone(), plan.nodes[j].meta.clone()))
                    .collect();
                lower_reduce(&mut graph, name, spec, &inputs, meta)?;
            }
        }
    }
    let outputs = plan
        .outputs
        .iter()
        .map(|&o| output_keys(&names[o], &plan.nodes[o].meta))
        .collect();
    Ok(Lowered { graph, outputs })
}

fn output_keys(name: &str, meta: &Meta) -> Vec<Key> {
    meta.chunks.blocks().map(|b| Key::chunk(name, &b)).collect()
}

/// Task-key names, `op-hash`, made unique where the same structure appears twice (when CSE
/// is switched off).
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

fn shape_task(name: &'static str, meta: &Meta, op: ShapeOp, input: Key) -> Task {
    let kernel = ShapeKernel {
        name,
        dtype: meta.dtype,
        op,
        key: input.clone(),
    };
    Task::call(kernel, vec![input])
}

fn lower_reduce(
    graph: &mut TaskGraph,
    name: &str,
    spec: &ReduceSpec,
    inputs: &[(String, Meta)],
    out_meta: &Meta,
) -> Result<()> {
    let (pre, in_meta): (Option<Arc<Program>>, Meta) = match &spec.pre {
        Some((p, m)) => (Some(p.clone()), m.clone()),
        None => (None, inputs[0].1.clone()),
    };
    let ops = reduce_ops(spec.kind, in_meta.dtype, &in_meta.shape, &spec.axes);
    let kind = spec.kind.name();
    let names: Vec<String> = (0..inputs.len()).map(input_name).collect();
    let partial_name: Arc<str> = match &pre {
        Some(p) => format!("fused: {kind}({})", p.expr(&names)).into(),
        None => format!("{kind}-partial").into(),
    };
    let aggregate_name: Arc<str> = match &spec.post {
        Some(_) => super::reduce_label(spec, &names).into(),
        None => format!("{kind}-aggregate").into(),
    };
    let partial_key = format!("{name}-partial");
    for b in in_meta.chunks.blocks() {
        let keys: Vec<Key> = inputs
            .iter()
            .map(|(n, m)| Key::chunk(n.as_str(), &broadcast_block(&b, &m.chunks)))
            .collect();
        let kernel = ReduceKernel {
            name: partial_name.clone(),
            ops: ops.clone(),
            step: ReduceStep::Partial {
                pre: pre.clone(),
                keys: keys.clone(),
                shape: in_meta.chunks.block_shape(&b),
                offset: in_meta.chunks.block_offset(&b),
            },
        };
        graph.insert(
            Key::chunk(partial_key.as_str(), &b),
            Task::call(kernel, keys),
        )?;
    }

    let reduced: Vec<bool> = (0..in_meta.shape.len())
        .map(|a| spec.axes.contains(&a))
        .collect();
    let mut grid = in_meta.chunks.grid();
    let mut level_name = partial_key;
    let multi = reduced
        .iter()
        .zip(&grid)
        .filter(|&(&r, &g)| r && g > 1)
        .count()
        .max(1);
    let fan_in = ((spec.split_every as f64).powf(1.0 / multi as f64).floor() as usize).max(2);
    let reduced_blocks = |grid: &[usize]| -> usize {
        grid.iter()
            .zip(&reduced)
            .filter(|&(_, &r)| r)
            .map(|(&g, _)| g)
            .product()
    };
    let mut level = 0;
    while reduced_blocks(&grid) > spec.split_every {
        level += 1;
        let next_grid: Vec<usize> = grid
            .iter()
            .zip(&reduced)
            .map(|(&g, &r)| if r { g.div_ceil(fan_in) } else { g })
            .collect();
        let next_name = format!("{name}-combine{level}");
        for nb in BlockIter::new(next_grid.clone()) {
            let span: Vec<usize> = nb
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
            let keys: Vec<Key> = BlockIter::new(span)
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
                name: format!("{kind}-combine").into(),
                ops: ops.clone(),
                step: ReduceStep::Combine {
                    key: out_key.clone(),
                },
            };
            graph.insert(out_key, Task::call(kernel, keys))?;
        }
        grid = next_grid;
        level_name = next_name;
    }

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
    for kb in BlockIter::new(kept_grid) {
        let keys: Vec<Key> = BlockIter::new(span.clone())
            .map(|d| {
                let ob: Vec<usize> = kb.iter().zip(&d).map(|(k, d)| k + d).collect();
                Key::chunk(level_name.as_str(), &ob)
            })
            .collect();
        let out_block: Vec<usize> = if spec.keepdims {
            kb.clone()
        } else {
            kb.iter()
                .zip(&reduced)
                .filter(|&(_, &r)| !r)
                .map(|(&k, _)| k)
                .collect()
        };
        let out_key = Key::chunk(name, &out_block);
        let kernel = ReduceKernel {
            name: aggregate_name.clone(),
            ops: ops.clone(),
            step: ReduceStep::Aggregate {
                key: out_key.clone(),
                out_shape: out_meta.chunks.block_shape(&out_block),
                post: spec.post.clone(),
            },
        };
        graph.insert(out_key, Task::call(kernel, keys))?;
    }
    Ok(())
}
