//! Which rank runs which task, and what each rank must send and receive.
//!
//! Placement is a deterministic function of the compiled graph, so every rank computes the
//! same answer without talking:
//!
//! - a literal is *replicated*: every rank that needs it has it already (it is part of the
//!   graph every rank built), so it never crosses ranks;
//! - a task without inputs (a source chunk, a bag partition) is placed by its chunk index:
//!   the keys sharing its name form a grid, and its row-major position in that grid picks
//!   the rank in contiguous blocks (`position * ranks / count`). Arrays of equal chunking
//!   therefore put chunk `i` of every source on the same rank;
//! - any other task runs where most of its (non-replicated) inputs live; ties between ranks
//!   are broken by the task's first chunk index (so a shuffle's gathers spread). Elementwise chains and reduction partials follow their chunks, combine
//!   tasks follow the partials they merge (which, by the block placement, are mostly on
//!   one rank), so data crosses ranks only where the graph really joins distant chunks.
//!
//! Every requested output is sent to every rank, so all ranks return the same results.

use std::collections::HashMap;

use super::registry::{FNV_START, fnv1a};
use crate::graph::{ExecGraph, Task};

/// A task's owner, or [`REPLICATED`].
pub(crate) type Owner = u32;

/// The owner of a literal: every rank has it.
pub(crate) const REPLICATED: Owner = u32::MAX;

/// What one rank does with one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Runs it (it owns it, or it is a literal it needs).
    Run,
    /// Receives its value from its owner.
    Receive,
    /// Neither: another rank's business.
    Skip,
}

/// The placement of a graph's tasks on `ranks` ranks, as seen by rank `rank`.
pub(crate) struct Placement {
    /// Per task: what this rank does with it.
    pub(crate) role: Vec<Role>,
    /// Per task this rank owns: the other ranks that need its value (ascending).
    pub(crate) sends: HashMap<u32, Vec<u32>>,
}

/// Places every task of `graph` (see the module docs).
pub(crate) fn owners(graph: &ExecGraph, ranks: u32) -> Vec<Owner> {
    let n = graph.len() as u32;
    // Per name: the grid of chunk indices of its tasks without inputs.
    let mut grids: HashMap<&str, Vec<usize>> = HashMap::new();
    for id in 0..n {
        if graph.inputs(id).is_empty() {
            let key = graph.key(id);
            let grid = grids.entry(key.name()).or_default();
            if grid.len() < key.index().len() {
                grid.resize(key.index().len(), 0);
            }
            for (g, &i) in grid.iter_mut().zip(key.index()) {
                *g = (*g).max(i + 1);
            }
        }
    }
    let block = |id: u32| -> Owner {
        let key = graph.key(id);
        let grid = &grids[key.name()];
        let total: usize = grid.iter().product::<usize>().max(1);
        let mut position = 0usize;
        for (a, &g) in grid.iter().enumerate() {
            position = position * g + key.index().get(a).copied().unwrap_or(0);
        }
        (position as u128 * ranks as u128 / total as u128) as Owner
    };
    let mut owner = vec![0; n as usize];
    let mut tally = vec![0u32; ranks as usize];
    for id in 0..n {
        owner[id as usize] = if matches!(graph.task(id), Task::Literal(_)) {
            REPLICATED
        } else if graph.inputs(id).is_empty() {
            block(id)
        } else {
            tally.iter_mut().for_each(|t| *t = 0);
            for &input in graph.inputs(id) {
                let o = owner[input as usize];
                if o != REPLICATED {
                    tally[o as usize] += 1;
                }
            }
            let best = *tally.iter().max().expect("at least one rank");
            if best == 0 {
                // Only literal inputs: spread by the first chunk index.
                graph
                    .key(id)
                    .index()
                    .first()
                    .map_or(0, |&i| (i % ranks as usize) as Owner)
            } else {
                // Ties spread by the task's first chunk index (a shuffle's gathers, say).
                let tied: Vec<usize> = (0..tally.len()).filter(|&r| tally[r] == best).collect();
                let pick = graph.key(id).index().first().copied().unwrap_or(0) % tied.len();
                tied[pick] as Owner
            }
        };
    }
    owner
}

impl Placement {
    /// The placement seen by `rank` of `ranks`.
    pub(crate) fn new(graph: &ExecGraph, ranks: u32, rank: u32) -> Placement {
        let owner = owners(graph, ranks);
        let n = graph.len();
        let mut is_output = vec![false; n];
        for &o in graph.outputs() {
            is_output[o as usize] = true;
        }
        // Walk consumers before producers: a task is needed here if it is an output or a
        // task this rank runs reads it.
        let mut role = vec![Role::Skip; n];
        for id in (0..n).rev() {
            let needed = is_output[id]
                || graph
                    .dependents(id as u32)
                    .iter()
                    .any(|&d| role[d as usize] == Role::Run);
            role[id] = match owner[id] {
                o if o == rank => Role::Run,
                REPLICATED if needed => Role::Run,
                REPLICATED => Role::Skip,
                _ if needed => Role::Receive,
                _ => Role::Skip,
            };
        }
        let mut sends = HashMap::new();
        for id in 0..n {
            if owner[id] != rank {
                continue;
            }
            let mut to: Vec<u32> = if is_output[id] {
                (0..ranks).filter(|&r| r != rank).collect()
            } else {
                graph
                    .dependents(id as u32)
                    .iter()
                    .map(|&d| owner[d as usize])
                    .filter(|&o| o != rank && o != REPLICATED)
                    .collect()
            };
            to.sort_unstable();
            to.dedup();
            if !to.is_empty() {
                sends.insert(id as u32, to);
            }
        }
        Placement { role, sends }
    }
}

/// A fingerprint of the graph's structure: keys, labels, inputs and outputs. Ranks compare
/// it before running, so a rank that built a different graph is caught at once.
pub(crate) fn fingerprint(graph: &ExecGraph) -> u64 {
    let mut h = FNV_START;
    for id in 0..graph.len() as u32 {
        h = fnv1a(graph.key(id).to_string().as_bytes(), h);
        h = fnv1a(graph.task(id).label().as_bytes(), h);
        for &i in graph.inputs(id) {
            h = fnv1a(&i.to_le_bytes(), h);
        }
        h = fnv1a(b";", h);
    }
    for &o in graph.outputs() {
        h = fnv1a(&o.to_le_bytes(), h);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Key, Task, TaskGraph};

    /// Two sources of four chunks, an elementwise sum per chunk, a tree reduction.
    fn graph() -> ExecGraph {
        let mut g = TaskGraph::new();
        let src = |i: usize| {
            Task::call(
                crate::graph::FnKernel::new("src", move |_| Ok(crate::graph::Value::new(i))),
                vec![],
            )
        };
        for i in 0..4 {
            g.insert(Key::chunk("a", &[i]), src(i)).unwrap();
            g.insert(Key::chunk("b", &[i]), src(i)).unwrap();
            let add = Task::map2(
                "add",
                |a: &usize, b: &usize| a + b,
                Key::chunk("a", &[i]),
                Key::chunk("b", &[i]),
            );
            g.insert(Key::chunk("c", &[i]), add).unwrap();
        }
        let sum = |x: &usize, y: &usize| x + y;
        g.insert(
            Key::chunk("s", &[0]),
            Task::map2("add", sum, Key::chunk("c", &[0]), Key::chunk("c", &[1])),
        )
        .unwrap();
        g.insert(
            Key::chunk("s", &[1]),
            Task::map2("add", sum, Key::chunk("c", &[2]), Key::chunk("c", &[3])),
        )
        .unwrap();
        g.literal("k", 1_usize).unwrap();
        g.insert(
            "total",
            Task::map_many(
                "sum",
                |xs: &[&usize]| xs.iter().copied().sum::<usize>(),
                [Key::chunk("s", &[0]), Key::chunk("s", &[1]), Key::new("k")],
            ),
        )
        .unwrap();
        g.compile(&["total".into()]).unwrap()
    }

    #[test]
    fn chunks_stay_together_and_only_partials_move() {
        let g = graph();
        let find = |k: Key| (0..g.len() as u32).find(|&i| *g.key(i) == k).unwrap();
        let owner = owners(&g, 2);
        for i in 0..4 {
            let expect = (i / 2) as u32;
            for name in ["a", "b", "c"] {
                assert_eq!(owner[find(Key::chunk(name, &[i])) as usize], expect);
            }
        }
        assert_eq!(owner[find(Key::new("k")) as usize], REPLICATED);
        assert_eq!(owner[find(Key::new("total")) as usize], 0);
        let p1 = Placement::new(&g, 2, 1);
        let s1 = find(Key::chunk("s", &[1]));
        assert_eq!(p1.sends.len(), 1);
        assert_eq!(p1.sends[&s1], [0]);
        // rank 1 receives the output; rank 0 receives s1.
        assert_eq!(p1.role.iter().filter(|&&r| r == Role::Receive).count(), 1);
        assert_eq!(p1.role[find(Key::new("k")) as usize], Role::Skip);
        let p0 = Placement::new(&g, 2, 0);
        assert_eq!(p0.role.iter().filter(|&&r| r == Role::Receive).count(), 1);
        assert_eq!(p0.role[s1 as usize], Role::Receive);
        assert_eq!(p0.sends[&find(Key::new("total"))], [1]);
        assert_eq!(p0.role[find(Key::new("k")) as usize], Role::Run);
    }

    #[test]
    fn fingerprints_differ_when_graphs_do() {
        let mut g = TaskGraph::new();
        g.literal("x", 1_i64).unwrap();
        let a = g.compile(&["x".into()]).unwrap();
        let mut h = TaskGraph::new();
        h.literal("y", 1_i64).unwrap();
        let b = h.compile(&["y".into()]).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&graph_again(&g)));
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }

    fn graph_again(g: &TaskGraph) -> ExecGraph {
        g.compile(&["x".into()]).unwrap()
    }
}
