//! Rematerialize cheap sources: a generated array (random, constant, range) read by several
//! consumers gets one copy of its chunk tasks per consumer.
//!
//! Invariant: a cheap source's chunks depend only on their position, so every copy produces
//! the same values; outputs are unchanged. What changes is memory: without copies, a chunk
//! read by two consumers stays in memory from the first read to the second — for
//! `((X - X.mean(axis=0))²).sum()` that is all of X. With copies each chunk is made, used
//! once and dropped, and the run's memory stays bounded by the chunks in flight.

use super::Pass;
use crate::error::Result;
use crate::plan::{NodeId, Op, Plan};

/// The rematerialization pass.
pub(crate) struct Rematerialize;

impl Pass for Rematerialize {
    fn name(&self) -> &'static str {
        "rematerialize"
    }

    fn run(&self, plan: &mut Plan) -> Result<()> {
        let uses = plan.use_counts();
        let old = std::mem::take(&mut plan.nodes);
        // For each old node, its copies' new indices; consumers take them in turn.
        let mut copies: Vec<Vec<NodeId>> = Vec::with_capacity(old.len());
        let mut next_copy = vec![0usize; old.len()];
        for (i, mut node) in old.into_iter().enumerate() {
            for input in &mut node.inputs {
                let c = &copies[input.index()];
                let k = next_copy[input.index()];
                next_copy[input.index()] = (k + 1) % c.len();
                *input = c[k];
            }
            let cheap = matches!(&node.op, Op::Source(s) if s.cheap());
            let n = if cheap { uses[i].max(1) } else { 1 };
            // Copies share the structural hash (they compute the same chunks); lowering
            // gives each its own task names.
            let mut mine = Vec::with_capacity(n);
            for _ in 0..n {
                mine.push(plan.next_id());
                plan.nodes.push(node.clone());
            }
            copies.push(mine);
        }
        for out in &mut plan.outputs {
            *out = copies[out.index()][0];
        }
        plan.rehash();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::tests::labels;
    use crate::options::Options;
    use crate::random;

    #[test]
    fn a_random_array_read_twice_is_generated_twice() {
        let x = random::uniform(0.0, 1.0, &[8, 4], 4, 1).unwrap();
        let y = (&x - &x.sum_axis(0).unwrap()).powi(2).sum();
        let mut plan = Plan::from_outputs(&[y.node().clone()]);
        assert_eq!(
            labels(&plan),
            [
                "uniform [8, 4] f64",
                "sum [4] f64",
                "sub [8, 4] f64",
                "powi2 [8, 4] f64",
                "sum [] f64"
            ]
        );
        Rematerialize.run(&mut plan).unwrap();
        assert_eq!(
            labels(&plan),
            [
                "uniform [8, 4] f64",
                "uniform [8, 4] f64",
                "sum [4] f64",
                "sub [8, 4] f64",
                "powi2 [8, 4] f64",
                "sum [] f64"
            ]
        );
        // The column sums read one copy, the difference the other.
        let (sums, sub) = (plan.ids().nth(2).unwrap(), plan.ids().nth(3).unwrap());
        assert_ne!(plan[sums].inputs[0], plan[sub].inputs[0]);
        assert_eq!(
            y.scalar().unwrap(),
            y.scalar_with(&Options::default().fuse(false)).unwrap()
        );
    }
}
