//! Elementwise fusion: each connected group of elementwise nodes becomes one node whose
//! kernel is a register program, and a program feeding a reduction is folded into it.
//!
//! Invariant: the fused node computes, element by element, exactly what the group's nodes
//! computed one after another (same operations, same order, same types), so outputs are
//! bit-identical with fusion on or off.
//!
//! A group grows from a root (an elementwise node, taken from the outputs backwards) by
//! absorbing an elementwise input when every consumer of that input is already in the group,
//! the input is not itself a requested output, and it has the root's shape and chunks (a
//! smaller, broadcast operand stays a separate node so it is computed once, not once per
//! broadcast element). A value needed outside the group is therefore computed once. Scalar
//! constants are copied into every program that reads them.

use std::collections::HashMap;
use std::sync::Arc;

use super::Pass;
use crate::error::Result;
use crate::kernel::program::{Instr, InstrOp, Program, Src};
use crate::plan::{ElemOp, Op, Plan, PlanNode};

/// The fusion pass.
pub struct FuseElementwise;

impl Pass for FuseElementwise {
    fn name(&self) -> &'static str {
        "fuse_elementwise"
    }

    fn run(&self, plan: &mut Plan) -> Result<()> {
        // Each step counts uses, so nodes absorbed by the previous step are culled first.
        fuse_groups(plan);
        plan.cull();
        fuse_into_reductions(plan);
        plan.cull();
        fuse_after_reductions(plan);
        plan.cull();
        Ok(())
    }
}

fn instr_op(op: &ElemOp) -> InstrOp {
    match op {
        ElemOp::Unary(u) => InstrOp::Unary(*u),
        ElemOp::Binary(b) => InstrOp::Binary(*b),
        ElemOp::Where => InstrOp::Where,
        ElemOp::Cast(to) => InstrOp::Cast(*to),
        ElemOp::Map(f, _) => InstrOp::Map(f.clone()),
    }
}

/// The one-instruction program of an unfused elementwise node `i`.
pub(crate) fn single_program(plan: &Plan, i: usize) -> Program {
    let node = &plan.nodes[i];
    let Op::Elementwise(op) = &node.op else {
        panic!("single_program is for elementwise nodes");
    };
    Program {
        inputs: node
            .inputs
            .iter()
            .map(|&j| plan.nodes[j].meta.dtype)
            .collect(),
        instrs: vec![Instr {
            op: instr_op(op),
            args: (0..node.inputs.len()).map(Src::Input).collect(),
            dtype: node.meta.dtype,
        }],
        output: Src::Reg(0),
    }
}

fn fuse_groups(plan: &mut Plan) {
    let n = plan.nodes.len();
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in plan.nodes.iter().enumerate() {
        for &j in &node.inputs {
            consumers[j].push(i);
        }
    }
    let mut is_output = vec![false; n];
    for &o in &plan.outputs {
        is_output[o] = true;
    }
    let mut group: Vec<Option<usize>> = vec![None; n];
    for root in (0..n).rev() {
        if group[root].is_some() || !matches!(plan.nodes[root].op, Op::Elementwise(_)) {
            continue;
        }
        group[root] = Some(root);
        let mut members = vec![root];
        let mut changed = true;
        while changed {
            changed = false;
            for m in members.clone() {
                for &j in &plan.nodes[m].inputs {
                    let candidate = &plan.nodes[j];
                    if group[j].is_none()
                        && matches!(candidate.op, Op::Elementwise(_))
                        && !is_output[j]
                        && candidate.meta.shape == plan.nodes[root].meta.shape
                        && candidate.meta.chunks == plan.nodes[root].meta.chunks
                        && consumers[j].iter().all(|&c| group[c] == Some(root))
                    {
                        group[j] = Some(root);
                        members.push(j);
                        changed = true;
                    }
                }
            }
        }
        if members.len() > 1 {
            members.sort_unstable();
            let (program, inputs) = build_program(plan, &members);
            let node = &mut plan.nodes[root];
            node.op = Op::Fused(Arc::new(program));
            node.inputs = inputs;
            node.hash ^= 0xF05E_D000_0000_0001;
        }
    }
}

/// The program computing `members` (sorted, so inputs come first) and its external inputs.
fn build_program(plan: &Plan, members: &[usize]) -> (Program, Vec<usize>) {
    let mut src_of: HashMap<usize, Src> = HashMap::new();
    let mut inputs: Vec<usize> = Vec::new();
    let mut input_types = Vec::new();
    let mut instrs: Vec<Instr> = Vec::new();
    for &m in members {
        let node = &plan.nodes[m];
        let Op::Elementwise(op) = &node.op else {
            unreachable!("groups hold elementwise nodes only");
        };
        if let (ElemOp::Binary(bop), [x, y]) = (op, &node.inputs[..]) {
            let constant = |j: usize| match plan.nodes[j].op {
                Op::Const(v) => Some(v),
                _ => None,
            };
            if let (Some(v), None) | (None, Some(v)) = (constant(*x), constant(*y)) {
                let left = constant(*x).is_some();
                let other = if left { *y } else { *x };
                let src = operand(
                    plan,
                    other,
                    &mut src_of,
                    &mut inputs,
                    &mut input_types,
                    &mut instrs,
                );
                instrs.push(Instr {
                    op: InstrOp::BinaryScalar(*bop, v, left),
                    args: vec![src],
                    dtype: node.meta.dtype,
                });
                src_of.insert(m, Src::Reg(instrs.len() - 1));
                continue;
            }
        }
        let args = node
            .inputs
            .iter()
            .map(|&j| {
                operand(
                    plan,
                    j,
                    &mut src_of,
                    &mut inputs,
                    &mut input_types,
                    &mut instrs,
                )
            })
            .collect();
        instrs.push(Instr {
            op: instr_op(op),
            args,
            dtype: node.meta.dtype,
        });
        src_of.insert(m, Src::Reg(instrs.len() - 1));
    }
    let output = src_of[members.last().expect("a group has a root")];
    (
        Program {
            inputs: input_types,
            instrs,
            output,
        },
        inputs,
    )
}

/// Where a program reads node `j`: an earlier instruction, a constant, or a (new) input.
fn operand(
    plan: &Plan,
    j: usize,
    src_of: &mut HashMap<usize, Src>,
    inputs: &mut Vec<usize>,
    input_types: &mut Vec<crate::dtype::DType>,
    instrs: &mut Vec<Instr>,
) -> Src {
    if let Some(src) = src_of.get(&j) {
        return *src;
    }
    let src = match &plan.nodes[j].op {
        Op::Const(v) => {
            instrs.push(Instr {
                op: InstrOp::Const(*v),
                args: vec![],
                dtype: v.dtype(),
            });
            Src::Reg(instrs.len() - 1)
        }
        _ => {
            inputs.push(j);
            input_types.push(plan.nodes[j].meta.dtype);
            Src::Input(inputs.len() - 1)
        }
    };
    src_of.insert(j, src);
    src
}

fn fuse_into_reductions(plan: &mut Plan) {
    let uses = plan.use_counts();
    for r in 0..plan.nodes.len() {
        let Op::Reduce(spec) = &plan.nodes[r].op else {
            continue;
        };
        if spec.pre.is_some() {
            continue;
        }
        let j = plan.nodes[r].inputs[0];
        if uses[j] != 1 {
            continue;
        }
        let (program, inputs) = match &plan.nodes[j].op {
            Op::Fused(p) => (p.clone(), plan.nodes[j].inputs.clone()),
            Op::Elementwise(_) => (
                Arc::new(fuse_single_with_consts(plan, j)),
                plan.nodes[j]
                    .inputs
                    .iter()
                    .copied()
                    .filter(|&k| !matches!(plan.nodes[k].op, Op::Const(_)))
                    .collect(),
            ),
            _ => continue,
        };
        let meta = plan.nodes[j].meta.clone();
        let node: &mut PlanNode = &mut plan.nodes[r];
        if let Op::Reduce(spec) = &mut node.op {
            spec.pre = Some((program, meta));
        }
        node.inputs = inputs;
        node.hash ^= 0xF05E_D000_0000_0002;
    }
}

/// Folds an elementwise node whose only array input is a reduction (read by nothing else)
/// into that reduction's aggregate step, e.g. the `sqrt` of `sqrt(sum(..))`.
fn fuse_after_reductions(plan: &mut Plan) {
    let uses = plan.use_counts();
    let is_output: Vec<bool> = (0..plan.nodes.len())
        .map(|i| plan.outputs.contains(&i))
        .collect();
    for e in 0..plan.nodes.len() {
        let (program, inputs) = match &plan.nodes[e].op {
            Op::Fused(p) => (p.clone(), plan.nodes[e].inputs.clone()),
            Op::Elementwise(_) => {
                let (p, inputs) = build_program(plan, &[e]);
                (Arc::new(p), inputs)
            }
            _ => continue,
        };
        let [r] = inputs[..] else { continue };
        let Op::Reduce(spec) = &plan.nodes[r].op else {
            continue;
        };
        if uses[r] != 1 || is_output[r] || spec.post.is_some() {
            continue;
        }
        if plan.nodes[r].meta.shape != plan.nodes[e].meta.shape
            || plan.nodes[r].meta.chunks != plan.nodes[e].meta.chunks
        {
            continue;
        }
        let mut spec = spec.clone();
        spec.post = Some(program);
        let reduce_inputs = plan.nodes[r].inputs.clone();
        let node = &mut plan.nodes[e];
        node.op = Op::Reduce(spec);
        node.inputs = reduce_inputs;
        node.hash ^= 0xF05E_D000_0000_0003;
    }
}

/// A lone elementwise node as a program with its constant operands inlined.
fn fuse_single_with_consts(plan: &Plan, j: usize) -> Program {
    build_program(plan, &[j]).0
}

#[cfg(test)]
mod tests {
    use crate::Array;
    use crate::optimize::optimize;
    use crate::options::Options;
    use crate::plan::Plan;

    fn compact(plan: &Plan) -> Vec<String> {
        (0..plan.nodes.len()).map(|i| plan.label(i)).collect()
    }

    #[test]
    fn a_chain_becomes_one_node_and_folds_into_the_sum() {
        let a = Array::<f64>::full(&[10], 1.5, 5).unwrap();
        let b = Array::<f64>::full(&[10], 0.5, 5).unwrap();
        let d = (&a - &b).powi(2).sum().sqrt();
        let mut plan = Plan::from_outputs(&[d.node().clone()]);
        assert_eq!(
            compact(&plan),
            [
                "full [10] f64",
                "full [10] f64",
                "sub [10] f64",
                "powi2 [10] f64",
                "sum [] f64",
                "sqrt [] f64"
            ]
        );
        optimize(&mut plan, &Options::default()).unwrap();
        assert_eq!(
            compact(&plan),
            [
                "full [10] f64",
                "full [10] f64",
                "fused: sqrt(sum((a - b)^2)) [] f64"
            ]
        );
    }

    #[test]
    fn a_value_used_outside_the_group_is_computed_once() {
        let x = Array::<f64>::full(&[4], 2.0, 2).unwrap();
        let y = &x * 3.0;
        let z = &y + 1.0;
        let mut plan = Plan::from_outputs(&[z.node().clone(), y.node().clone()]);
        optimize(&mut plan, &Options::default()).unwrap();
        // y is an output, so z = y + 1 cannot absorb it: each stays one node, y computed once.
        assert_eq!(
            compact(&plan),
            [
                "full [4] f64",
                "const 3 [] f64",
                "mul [4] f64",
                "const 1 [] f64",
                "add [4] f64"
            ]
        );
    }
}
