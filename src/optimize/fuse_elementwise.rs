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
use crate::dtype::DType;
use crate::error::Result;
use crate::kernel::program::{Instr, InstrOp, Program, Src};
use crate::plan::{ElemOp, NodeId, Op, Plan};

/// The fusion pass.
pub(crate) struct FuseElementwise;

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
        plan.rehash();
        Ok(())
    }
}

fn fuse_groups(plan: &mut Plan) {
    let consumers = plan.consumers();
    let mut group: Vec<Option<NodeId>> = vec![None; plan.nodes.len()];
    for root in plan.ids().rev() {
        if group[root.index()].is_some() || !matches!(plan[root].op, Op::Elementwise(_)) {
            continue;
        }
        group[root.index()] = Some(root);
        let mut members = vec![root];
        // A worklist, so growing a group costs O(its edges): an input is looked at again
        // each time one of its consumers joins, and joins once all of them have.
        let mut work = vec![root];
        while let Some(m) = work.pop() {
            for &j in &plan[m].inputs {
                let candidate = &plan[j];
                if group[j.index()].is_none()
                    && matches!(candidate.op, Op::Elementwise(_))
                    && !plan.is_output(j)
                    && candidate.meta.shape == plan[root].meta.shape
                    && candidate.meta.chunks == plan[root].meta.chunks
                    && consumers[j.index()]
                        .iter()
                        .all(|&c| group[c.index()] == Some(root))
                {
                    group[j.index()] = Some(root);
                    members.push(j);
                    work.push(j);
                }
            }
        }
        if members.len() > 1 {
            members.sort_unstable();
            let (program, inputs) = build_program(plan, &members);
            let node = &mut plan[root];
            node.op = Op::Fused(Arc::new(program));
            node.inputs = inputs;
        }
    }
}

/// The program computing `members` (sorted, so inputs come first) and its external inputs.
fn build_program(plan: &Plan, members: &[NodeId]) -> (Program, Vec<NodeId>) {
    let mut builder = Builder {
        plan,
        src_of: HashMap::new(),
        inputs: Vec::new(),
        input_types: Vec::new(),
        instrs: Vec::new(),
    };
    for &m in members {
        let node = &plan[m];
        let Op::Elementwise(op) = &node.op else {
            unreachable!("groups hold elementwise nodes only");
        };
        let constant = |j: NodeId| match plan[j].op {
            Op::Const(v) => Some(v),
            _ => None,
        };
        let instr = match (op, &node.inputs[..]) {
            // A binary op with one constant operand: the constant becomes an operand.
            (ElemOp::Binary(bop), &[x, y]) if constant(x).is_some() != constant(y).is_some() => {
                let left = constant(x).is_some();
                let (value, other) = if left {
                    (constant(x), y)
                } else {
                    (constant(y), x)
                };
                let value = value.expect("one operand is a constant");
                Instr {
                    op: InstrOp::BinaryScalar(*bop, value, left),
                    args: vec![builder.operand(other)],
                    dtype: node.meta.dtype,
                }
            }
            _ => Instr {
                op: InstrOp::from(op),
                args: node.inputs.iter().map(|&j| builder.operand(j)).collect(),
                dtype: node.meta.dtype,
            },
        };
        builder.instrs.push(instr);
        builder.src_of.insert(m, Src::Reg(builder.instrs.len() - 1));
    }
    let output = builder.src_of[members.last().expect("a group has a root")];
    (
        Program {
            inputs: builder.input_types,
            instrs: builder.instrs,
            output,
        },
        builder.inputs,
    )
}

/// A program being built from plan nodes: where each node is read from, the program's
/// external inputs (plan nodes) and their types, the instructions so far.
struct Builder<'p> {
    plan: &'p Plan,
    src_of: HashMap<NodeId, Src>,
    inputs: Vec<NodeId>,
    input_types: Vec<DType>,
    instrs: Vec<Instr>,
}

impl Builder<'_> {
    /// Where the program reads node `j`: an earlier instruction, a constant, or a (new)
    /// input.
    fn operand(&mut self, j: NodeId) -> Src {
        if let Some(src) = self.src_of.get(&j) {
            return *src;
        }
        let src = match &self.plan[j].op {
            Op::Const(v) => {
                self.instrs.push(Instr {
                    op: InstrOp::Const(*v),
                    args: vec![],
                    dtype: v.dtype(),
                });
                Src::Reg(self.instrs.len() - 1)
            }
            _ => {
                self.inputs.push(j);
                self.input_types.push(self.plan[j].meta.dtype);
                Src::Input(self.inputs.len() - 1)
            }
        };
        self.src_of.insert(j, src);
        src
    }
}

/// Folds the elementwise program (fused, or a lone node with its constants inlined) that
/// is a reduction's only input, read by nothing else, into the reduction's partials.
fn fuse_into_reductions(plan: &mut Plan) {
    let uses = plan.use_counts();
    for r in plan.ids() {
        let Op::Reduce(spec) = &plan[r].op else {
            continue;
        };
        if spec.pre.is_some() {
            continue;
        }
        let j = plan[r].inputs[0];
        if uses[j.index()] != 1 {
            continue;
        }
        let (program, inputs) = match &plan[j].op {
            Op::Fused(p) => (p.clone(), plan[j].inputs.clone()),
            Op::Elementwise(_) => {
                let (p, inputs) = build_program(plan, &[j]);
                (Arc::new(p), inputs)
            }
            _ => continue,
        };
        let meta = plan[j].meta.clone();
        let node = &mut plan[r];
        if let Op::Reduce(spec) = &mut node.op {
            spec.pre = Some((program, meta));
        }
        node.inputs = inputs;
    }
}

/// Folds an elementwise node whose only array input is a reduction (read by nothing else)
/// into that reduction's aggregate step, e.g. the `sqrt` of `sqrt(sum(..))`.
fn fuse_after_reductions(plan: &mut Plan) {
    let uses = plan.use_counts();
    for e in plan.ids() {
        let (program, inputs) = match &plan[e].op {
            Op::Fused(p) => (p.clone(), plan[e].inputs.clone()),
            Op::Elementwise(_) => {
                let (p, inputs) = build_program(plan, &[e]);
                (Arc::new(p), inputs)
            }
            _ => continue,
        };
        let [r] = inputs[..] else { continue };
        let Op::Reduce(spec) = &plan[r].op else {
            continue;
        };
        if uses[r.index()] != 1 || plan.is_output(r) || spec.post.is_some() {
            continue;
        }
        if plan[r].meta.shape != plan[e].meta.shape || plan[r].meta.chunks != plan[e].meta.chunks {
            continue;
        }
        let mut spec = spec.clone();
        spec.post = Some(program);
        let reduce_inputs = plan[r].inputs.clone();
        let node = &mut plan[e];
        node.op = Op::Reduce(spec);
        node.inputs = reduce_inputs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Array;
    use crate::optimize::tests::labels as compact;

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
        FuseElementwise.run(&mut plan).unwrap();
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
        FuseElementwise.run(&mut plan).unwrap();
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
