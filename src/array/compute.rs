//! Computing arrays: plan → optimize → lower → run, for one or several arrays at once.

use std::any::Any;
use std::sync::Arc;

use ndarray::ArrayD;

use super::Array;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::graph::{Key, Value};
use crate::options::Options;

use crate::geometry::Meta;
use crate::kernel::assemble::assemble;
use crate::kernel::output::OutputBuffer;
use crate::lower::{InPlace, Lowered, lower, lower_in};
use crate::plan::{Node, Plan};

/// One computed output: its meta and its chunks' values and keys in row-major block order.
pub(crate) struct ComputedChunks {
    pub(crate) meta: Meta,
    pub(crate) chunks: Vec<Value>,
    pub(crate) keys: Vec<Key>,
    /// The result, when its tasks wrote straight into it.
    pub(crate) buffer: Option<Arc<OutputBuffer>>,
}

impl ComputedChunks {
    pub(crate) fn into_array<T: Element>(self) -> Result<ArrayD<T>> {
        match self.buffer {
            Some(buffer) => buffer.into_array::<T>(),
            None if self.meta.chunks.is_known() => {
                assemble::<T>(&self.meta, self.chunks, &self.keys)
            }
            None => {
                let meta = super::unknown::known_meta(&self.meta, &self.chunks, &self.keys)?;
                assemble::<T>(&meta, self.chunks, &self.keys)
            }
        }
    }
}

/// How results come back: assembled arrays (elementwise and reduction outputs written in
/// place) or the chunks themselves (for `persist`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collect {
    Arrays,
    Chunks,
}

/// Plans and optimizes `nodes` under `options`.
fn plan_nodes(nodes: &[Arc<Node>], options: &Options) -> Result<Plan> {
    if let Some(error) = nodes.iter().find_map(|n| n.error()) {
        return Err(error.clone());
    }
    let mut plan = Plan::from_outputs(nodes);
    options.passes.run(&mut plan)?;
    Ok(plan)
}

/// Plans, optimizes and lowers `nodes` under `options`, every output returned as chunks.
pub(crate) fn lower_nodes(nodes: &[Arc<Node>], options: &Options) -> Result<Lowered> {
    lower(
        &plan_nodes(nodes, options)?,
        InPlace::Never,
        options.backend,
    )
}

/// Plans, optimizes and lowers `nodes` for a run under `options` that returns them as
/// `collect` says (elementwise and reduction outputs written in place when they are
/// assembled here).
/// `context` is passed to graph sources (see [`lower_in`]): `&mut ()` for arrays computed
/// alone, the bag lowering when `bag::compute` runs bags and arrays together.
pub(crate) fn lower_outputs(
    nodes: &[Arc<Node>],
    options: &Options,
    collect: Collect,
    context: &mut (dyn Any + 'static),
) -> Result<(Plan, Lowered)> {
    let plan = plan_nodes(nodes, options)?;
    // Tasks on other processes cannot write into this process's result buffers.
    let in_place = if collect == Collect::Arrays && !options.scheduler.is_distributed() {
        InPlace::Allowed
    } else {
        InPlace::Never
    };
    let lowered = lower_in(&plan, in_place, options.backend, context)?;
    Ok((plan, lowered))
}

/// The computed outputs `nodes`: output `i` takes the next `outputs[i].len()` of `values`
/// (its chunks, row-major) and its in-place buffer. Drop the executed graph first: its
/// kernels hold the buffers.
pub(crate) fn computed_chunks(
    nodes: &[Arc<Node>],
    outputs: Vec<Vec<Key>>,
    buffers: Vec<Option<Arc<OutputBuffer>>>,
    values: impl IntoIterator<Item = Value>,
) -> Vec<ComputedChunks> {
    let mut values = values.into_iter();
    nodes
        .iter()
        .zip(outputs)
        .zip(buffers)
        .map(|((node, keys), buffer)| ComputedChunks {
            meta: node.meta.clone(),
            chunks: values.by_ref().take(keys.len()).collect(),
            keys,
            buffer,
        })
        .collect()
}

/// Computes `nodes` in one run (shared work is done once).
pub(crate) fn compute_nodes(
    nodes: &[Arc<Node>],
    options: &Options,
    collect: Collect,
) -> Result<Vec<ComputedChunks>> {
    let (plan, lowered) = lower_outputs(nodes, options, collect, &mut ())?;
    let all: Vec<Key> = lowered.outputs.iter().flatten().cloned().collect();
    let exec = lowered.graph.compile(&all)?;
    drop(lowered.graph);
    let values = options.run_with_plan(&exec, Some(&plan));
    drop(exec); // the kernels hold the output buffers
    Ok(computed_chunks(
        nodes,
        lowered.outputs,
        lowered.buffers,
        values?,
    ))
}

/// A tuple of arrays that can be computed together in one run.
pub trait Computable {
    /// The computed results (a tuple of `ArrayD`s).
    type Output;
    #[doc(hidden)]
    fn nodes(&self) -> Vec<Arc<Node>>;
    #[doc(hidden)]
    fn collect(results: Vec<ComputedChunksHandle>) -> Result<Self::Output>;
}

/// A computed output, opaque to users.
#[doc(hidden)]
pub struct ComputedChunksHandle(ComputedChunks);

macro_rules! computable_tuple {
    ($($name:ident),+) => {
        impl<'a, $($name: Element),+> Computable for ($(&'a Array<$name>,)+) {
            type Output = ($(ArrayD<$name>,)+);
            #[allow(non_snake_case)]
            fn nodes(&self) -> Vec<Arc<Node>> {
                let ($($name,)+) = self;
                vec![$($name.node().clone()),+]
            }
            #[allow(non_snake_case)]
            fn collect(results: Vec<ComputedChunksHandle>) -> Result<Self::Output> {
                let mut it = results.into_iter();
                $(let $name = it.next().ok_or_else(|| Error::InvalidArgument("missing output".into()))?.0.into_array::<$name>()?;)+
                Ok(($($name,)+))
            }
        }
    };
}

computable_tuple!(A);
computable_tuple!(A, B);
computable_tuple!(A, B, C);
computable_tuple!(A, B, C, D);

/// Computes several arrays in one run, so work they share (reading the same chunks, common
/// subexpressions) is done once.
///
/// ```
/// use chunkflow::Array;
/// let x = Array::<f64>::from_fn(&[6, 4], [3, 2], |i| (i[0] * 4 + i[1]) as f64)?;
/// let (m, s) = chunkflow::compute((&x.mean_axis(0)?, &x.std_axis(1, 0)?))?;
/// assert_eq!(m.as_slice().unwrap(), &[10.0, 11.0, 12.0, 13.0]);
/// assert_eq!(s.len(), 6);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn compute<C: Computable>(arrays: C) -> Result<C::Output> {
    compute_with(arrays, &Options::default())
}

/// Like [`compute`] with `options`.
pub fn compute_with<C: Computable>(arrays: C, options: &Options) -> Result<C::Output> {
    let results = compute_nodes(&arrays.nodes(), options, Collect::Arrays)?;
    C::collect(results.into_iter().map(ComputedChunksHandle).collect())
}

/// The optimized task graph of `array` and its chunks' keys (row-major), for writers that
/// add a store task per chunk.
pub(crate) fn lower_for_store<T: Element>(
    array: &Array<T>,
    options: &Options,
) -> Result<(crate::graph::TaskGraph, Vec<Key>)> {
    if !array.chunks().is_known() {
        return Err(super::unknown::unknown_error(
            "storing",
            array.chunks().unknown_axes(),
        ));
    }
    let mut lowered = lower_nodes(std::slice::from_ref(array.node()), options)?;
    Ok((lowered.graph, lowered.outputs.pop().expect("one output")))
}
