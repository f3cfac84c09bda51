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
use crate::plan::{Op, Plan};

/// The rematerialization pass.
pub struct Rematerialize;

impl Pass for Rematerialize {
    fn name(&self) -> &'static str {
        "rematerialize"
    }

    fn run(&self, plan: &mut Plan) -> Result<()> {
        let uses = plan.use_counts();
        let old = std::mem::take(&mut plan.nodes);
        // For each old node, its copies' new indices; consumers take them in turn.
        let mut copies: Vec<Vec<usize>> = Vec::with_capacity(old.len());
        let mut next_copy = vec![0usize; old.len()];
        for (i, mut node) in old.into_iter().enumerate() {
            for input in &mut node.inputs {
                let c = &copies[*input];
                let k = next_copy[*input];
                next_copy[*input] = (k + 1) % c.len();
                *input = c[k];
            }
            let cheap = matches!(&node.op, Op::Source(s) if s.cheap());
            let n = if cheap { uses[i].max(1) } else { 1 };
            let mut mine = Vec::with_capacity(n);
            for k in 0..n {
                let mut copy = node.clone();
                copy.hash ^= (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                mine.push(plan.nodes.len());
                plan.nodes.push(copy);
            }
            copies.push(mine);
        }
        for out in &mut plan.outputs {
            *out = copies[*out][0];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::optimize::optimize;
    use crate::options::Options;
    use crate::plan::Plan;
    use crate::random;

    #[test]
    fn a_random_array_read_twice_is_generated_twice() {
        let x = random::uniform(0.0, 1.0, &[8, 4], 4, 1).unwrap();
        let y = (&x - &x.mean_axis(0).unwrap()).powi(2).sum();
        let mut plan = Plan::from_outputs(&[y.node().clone()]);
        let labels = |p: &Plan| (0..p.nodes.len()).map(|i| p.label(i)).collect::<Vec<_>>();
        assert_eq!(
            labels(&plan),
            [
                "uniform [8, 4] f64",
                "mean [4] f64",
                "sub [8, 4] f64",
                "powi2 [8, 4] f64",
                "sum [] f64"
            ]
        );
        optimize(&mut plan, &Options::default()).unwrap();
        assert_eq!(
            labels(&plan),
            [
                "uniform [8, 4] f64",
                "uniform [8, 4] f64",
                "mean [4] f64",
                "fused: sum((a - b)^2) [] f64"
            ]
        );
        assert_eq!(
            y.scalar().unwrap(),
            y.scalar_with(&Options::default().fuse(false)).unwrap()
        );
    }
}
