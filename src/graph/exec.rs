//! The compiled form of a task graph: validated, culled to the requested outputs, and
//! numbered in the order a scheduler should prefer.
//!
//! Tasks are numbered by a depth-first post-order walk from the outputs, visiting each task's
//! inputs in order. That number is both a topological order and the run priority: a scheduler
//! that always starts the lowest-numbered ready task finishes a value's consumers before it
//! starts unrelated producers (the goal of Dask's `order`), so intermediate values are freed
//! early and memory stays bounded by the values in flight.

use super::{Key, Task, TaskGraph};
use crate::error::{Error, Result};

const UNVISITED: u32 = u32::MAX;
const ON_STACK: u32 = u32::MAX - 1;

/// A validated, culled task graph ready to run, with tasks in priority order.
///
/// Task ids are `0..len()`; every task's inputs have smaller ids than the task itself.
///
/// ```
/// use chunkflow::graph::{Task, TaskGraph};
/// let mut g = TaskGraph::new();
/// g.literal("a", 1_i64)?;
/// g.insert("b", Task::map1("inc", |a: &i64| a + 1, "a"))?;
/// let exec = g.compile(&["b".into()])?;
/// assert_eq!(exec.key(0).to_string(), "a");
/// assert_eq!(exec.inputs(1), &[0]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub struct ExecGraph {
    keys: Vec<Key>,
    tasks: Vec<Task>,
    input_start: Vec<u32>,
    input_ids: Vec<u32>,
    dependent_start: Vec<u32>,
    dependent_ids: Vec<u32>,
    outputs: Vec<u32>,
}

impl ExecGraph {
    pub(super) fn build(graph: &TaskGraph, outputs: &[Key]) -> Result<Self> {
        let order = post_order(graph, outputs)?;
        let mut exec_id = vec![UNVISITED; graph.len()];
        for (id, &pos) in order.iter().enumerate() {
            exec_id[pos] = id as u32;
        }
        let mut keys = Vec::with_capacity(order.len());
        let mut tasks = Vec::with_capacity(order.len());
        let mut input_start = Vec::with_capacity(order.len() + 1);
        let mut input_ids = Vec::new();
        input_start.push(0);
        for &pos in &order {
            let (key, task) = graph.entry(pos);
            for input in task.inputs() {
                let ipos = graph.position(input).expect("validated by post_order");
                input_ids.push(exec_id[ipos]);
            }
            input_start.push(input_ids.len() as u32);
            keys.push(key.clone());
            tasks.push(task.clone());
        }
        let (dependent_start, dependent_ids) = invert(&input_start, &input_ids, order.len());
        let outputs = outputs
            .iter()
            .map(|k| exec_id[graph.position(k).expect("validated by post_order")])
            .collect();
        Ok(ExecGraph {
            keys,
            tasks,
            input_start,
            input_ids,
            dependent_start,
            dependent_ids,
            outputs,
        })
    }

    /// The number of tasks that will run.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key of task `id`.
    pub fn key(&self, id: u32) -> &Key {
        &self.keys[id as usize]
    }

    /// The task `id`.
    pub fn task(&self, id: u32) -> &Task {
        &self.tasks[id as usize]
    }

    /// The ids of task `id`'s inputs, in the task's order (repeats kept).
    pub fn inputs(&self, id: u32) -> &[u32] {
        let i = id as usize;
        &self.input_ids[self.input_start[i] as usize..self.input_start[i + 1] as usize]
    }

    /// The ids of the tasks reading task `id`, once per input slot that reads it.
    pub fn dependents(&self, id: u32) -> &[u32] {
        let i = id as usize;
        &self.dependent_ids[self.dependent_start[i] as usize..self.dependent_start[i + 1] as usize]
    }

    /// The ids of the requested outputs, in the order requested (repeats kept).
    pub fn outputs(&self) -> &[u32] {
        &self.outputs
    }
}

/// Walks from the outputs depth-first; returns graph positions in post-order, checking for
/// unknown outputs, missing inputs and cycles on the way.
///
/// One refinement of the plain post-order (the part of Dask's `order` that matters for
/// several outputs): as soon as a task is placed, every task reading it whose inputs are
/// now all placed is placed right after it. Two reductions of one array, or fifty, then
/// consume each chunk one after the other instead of the first output's tree reading every
/// chunk before the second starts — which would keep every chunk alive in between.
fn post_order(graph: &TaskGraph, outputs: &[Key]) -> Result<Vec<usize>> {
    let mut readers = Readers::new(graph, outputs);
    let mut state = vec![UNVISITED; graph.len()];
    let mut order = Vec::new();
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for out in outputs {
        let root = graph
            .position(out)
            .ok_or_else(|| Error::UnknownOutput(out.to_string()))?;
        if state[root] != UNVISITED {
            continue;
        }
        state[root] = ON_STACK;
        stack.push((root, 0));
        while let Some(top) = stack.last_mut() {
            let (pos, next) = *top;
            let (key, task) = graph.entry(pos);
            let Some(input) = task.inputs().get(next) else {
                stack.pop();
                readers.place(pos, &mut state, &mut order);
                continue;
            };
            top.1 += 1;
            let ipos = graph.position(input).ok_or_else(|| Error::MissingKey {
                missing: input.to_string(),
                needed_by: key.to_string(),
            })?;
            match state[ipos] {
                UNVISITED => {
                    state[ipos] = ON_STACK;
                    stack.push((ipos, 0));
                }
                ON_STACK => return Err(cycle_error(graph, &stack, ipos)),
                _ => {}
            }
        }
    }
    Ok(order)
}

/// For the tasks the outputs need: who reads each (CSR over graph positions), and how many
/// distinct inputs of each are not placed yet.
struct Readers {
    start: Vec<u32>,
    ids: Vec<u32>,
    unplaced_inputs: Vec<u32>,
    work: Vec<usize>,
}

impl Readers {
    fn new(graph: &TaskGraph, outputs: &[Key]) -> Self {
        let n = graph.len();
        // The needed tasks, and each one's distinct input positions (missing keys and
        // cycles are left for the main walk to report).
        let mut needed = vec![false; n];
        let mut inputs_of: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut todo: Vec<usize> = outputs.iter().filter_map(|k| graph.position(k)).collect();
        while let Some(pos) = todo.pop() {
            if std::mem::replace(&mut needed[pos], true) {
                continue;
            }
            let mut inputs: Vec<usize> = graph
                .entry(pos)
                .1
                .inputs()
                .iter()
                .filter_map(|k| graph.position(k))
                .collect();
            inputs.sort_unstable();
            inputs.dedup();
            todo.extend(inputs.iter().copied().filter(|&i| !needed[i]));
            inputs_of.push((pos, inputs));
        }
        let mut counts = vec![0u32; n + 1];
        let mut unplaced_inputs = vec![0u32; n];
        for (pos, inputs) in &inputs_of {
            unplaced_inputs[*pos] = inputs.len() as u32;
            for &i in inputs {
                counts[i + 1] += 1;
            }
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let mut fill = counts.clone();
        let mut ids = vec![0u32; counts[n] as usize];
        for (pos, inputs) in &inputs_of {
            for &i in inputs {
                ids[fill[i] as usize] = *pos as u32;
                fill[i] += 1;
            }
        }
        Readers {
            start: counts,
            ids,
            unplaced_inputs,
            work: Vec::new(),
        }
    }

    /// Places `pos`, then every reader whose inputs are all placed by now (and so on).
    fn place(&mut self, pos: usize, state: &mut [u32], order: &mut Vec<usize>) {
        self.work.push(pos);
        while let Some(p) = self.work.pop() {
            state[p] = 0; // placed; the real id is assigned by the caller
            order.push(p);
            for k in self.start[p] as usize..self.start[p + 1] as usize {
                let reader = self.ids[k] as usize;
                self.unplaced_inputs[reader] -= 1;
                if self.unplaced_inputs[reader] == 0 && state[reader] == UNVISITED {
                    state[reader] = ON_STACK; // claimed: queued to be placed
                    self.work.push(reader);
                }
            }
        }
    }
}

fn cycle_error(graph: &TaskGraph, stack: &[(usize, usize)], repeated: usize) -> Error {
    let start = stack
        .iter()
        .position(|&(p, _)| p == repeated)
        .expect("an on-stack node is on the stack");
    let mut keys: Vec<String> = stack[start..]
        .iter()
        .map(|&(p, _)| graph.entry(p).0.to_string())
        .collect();
    keys.push(graph.entry(repeated).0.to_string());
    Error::Cycle { keys }
}

/// Turns the input lists (CSR) into dependent lists (CSR).
fn invert(input_start: &[u32], input_ids: &[u32], n: usize) -> (Vec<u32>, Vec<u32>) {
    let mut counts = vec![0u32; n + 1];
    for &i in input_ids {
        counts[i as usize + 1] += 1;
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let start = counts.clone();
    let mut fill = counts;
    let mut ids = vec![0u32; input_ids.len()];
    for task in 0..n {
        for &input in &input_ids[input_start[task] as usize..input_start[task + 1] as usize] {
            let slot = &mut fill[input as usize];
            ids[*slot as usize] = task as u32;
            *slot += 1;
        }
    }
    (start, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(input: &str) -> Task {
        Task::map1("inc", |x: &i64| x + 1, input)
    }

    #[test]
    fn post_order_puts_consumers_right_after_their_inputs() {
        let mut g = TaskGraph::new();
        for leaf in ["l0", "l1", "l2", "l3"] {
            g.literal(leaf, 1_i64).unwrap();
        }
        let add = |a: &i64, b: &i64| a + b;
        g.insert("c01", Task::map2("add", add, "l0", "l1")).unwrap();
        g.insert("c23", Task::map2("add", add, "l2", "l3")).unwrap();
        g.insert("root", Task::map2("add", add, "c01", "c23"))
            .unwrap();
        let exec = g.compile(&["root".into()]).unwrap();
        let order: Vec<String> = (0..exec.len() as u32)
            .map(|i| exec.key(i).to_string())
            .collect();
        assert_eq!(order, ["l0", "l1", "c01", "l2", "l3", "c23", "root"]);
        assert_eq!(exec.dependents(2), &[6]);
    }

    #[test]
    fn cycle_names_its_keys() {
        let mut g = TaskGraph::new();
        g.insert("a", inc("c")).unwrap();
        g.insert("b", inc("a")).unwrap();
        g.insert("c", inc("b")).unwrap();
        let err = g.compile(&["c".into()]).err().unwrap();
        assert_eq!(
            err,
            Error::Cycle {
                keys: vec!["c".into(), "b".into(), "a".into(), "c".into()]
            }
        );
    }

    #[test]
    fn self_loop_is_a_cycle() {
        let mut g = TaskGraph::new();
        g.insert("a", inc("a")).unwrap();
        assert!(matches!(g.compile(&["a".into()]), Err(Error::Cycle { .. })));
    }

    #[test]
    fn missing_input_and_unknown_output_are_named() {
        let mut g = TaskGraph::new();
        g.insert("b", inc("nowhere")).unwrap();
        assert_eq!(
            g.compile(&["b".into()]).err().unwrap(),
            Error::MissingKey {
                missing: "nowhere".into(),
                needed_by: "b".into()
            }
        );
        assert_eq!(
            g.compile(&["zzz".into()]).err().unwrap(),
            Error::UnknownOutput("zzz".into())
        );
    }

    #[test]
    fn repeated_inputs_are_counted_per_slot() {
        let mut g = TaskGraph::new();
        g.literal("x", 3_i64).unwrap();
        g.insert("sq", Task::map2("mul", |a: &i64, b: &i64| a * b, "x", "x"))
            .unwrap();
        let exec = g.compile(&["sq".into(), "sq".into()]).unwrap();
        assert_eq!(exec.inputs(1), &[0, 0]);
        assert_eq!(exec.dependents(0), &[1, 1]);
        assert_eq!(exec.outputs(), &[1, 1]);
    }
}
