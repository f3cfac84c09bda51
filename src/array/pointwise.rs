//! Pointwise indexing over several axes (Dask's `vindex`, NumPy's `x[[i0, i1], [j0, j1]]`):
//! the k-th result element is `x[i[k], j[k], ...]`.
//!
//! Lazy, as a gather: the points are split into chunks along the result's first axis (of
//! the input's first axis' largest chunk); each result chunk has one part per input block
//! its points fall in, so a task holds one input block at a time, and the parts' picks are
//! merged in a tree and scattered into place.

use std::collections::BTreeMap;
use std::sync::Arc;

use ndarray::{ArrayD, Axis, Slice};

use super::Array;
use super::rearrange::MAX_TAKE;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::Chunks;
use crate::geometry::chunks::regular;
use crate::geometry::slice::resolve_index;
use crate::graph::Value;
use crate::kernel::gather::{BlockPos, GatherFn, PartInputs};
use crate::kernel::source::fresh_id;

impl<T: Element> Array<T> {
    /// Picks points: `indices[a]` lists a coordinate along axis `a` for every point (all
    /// lists of one length, or of length 1, which broadcasts). The result has one axis of
    /// points followed by the axes not indexed: `x.vindex(&[&[0, 2], &[1, 0]])` is
    /// `[x[0, 1, ..], x[2, 0, ..]]`. Negative coordinates count from the end; one out of
    /// range is an error naming it.
    ///
    /// ```
    /// let x = chunkflow::Array::from_fn(&[4, 5, 2], 2, |i| (100 * i[0] + 10 * i[1] + i[2]) as i64)?;
    /// let p = x.vindex(&[&[0, 3, -1], &[4, 0, 2]])?;
    /// assert_eq!(p.shape(), &[3, 2]);
    /// assert_eq!(p.compute()?, ndarray::arr2(&[[40, 41], [300, 301], [320, 321]]).into_dyn());
    /// let row = x.vindex(&[&[1], &[0, 1, 2]])?; // the 1 broadcasts
    /// assert_eq!(row.shape(), &[3, 2]);
    /// assert!(x.vindex(&[&[4], &[0]]).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn vindex(&self, indices: &[&[i64]]) -> Result<Array<T>> {
        self.require_known_chunks("vindex")?;
        self.check()?;
        let k = indices.len();
        if k == 0 || k > self.ndim() {
            return Err(Error::InvalidArgument(format!(
                "vindex takes 1 to {} index lists for an array of shape {:?}, not {k}",
                self.ndim(),
                self.shape()
            )));
        }
        let points = indices.iter().map(|l| l.len()).max().unwrap_or(0);
        for (a, list) in indices.iter().enumerate() {
            if list.len() != points && list.len() != 1 {
                return Err(Error::ShapeMismatch(format!(
                    "vindex: index lists of lengths {:?} do not broadcast (axis {a})",
                    indices.iter().map(|l| l.len()).collect::<Vec<_>>()
                )));
            }
        }
        if indices.iter().any(|l| l.is_empty()) && points > 0 {
            return Err(Error::ShapeMismatch(
                "vindex: an empty index list among non-empty ones".into(),
            ));
        }
        if points > MAX_TAKE {
            return Err(Error::InvalidArgument(format!(
                "vindex of {points} points, more than {MAX_TAKE}"
            )));
        }
        let mut coords = Vec::with_capacity(k);
        for (a, list) in indices.iter().enumerate() {
            let resolved = list
                .iter()
                .map(|&i| resolve_index(i, a, self.shape()[a]))
                .collect::<Result<Vec<usize>>>()?;
            coords.push(resolved);
        }
        let size = self
            .chunks()
            .axis(0)
            .iter()
            .copied()
            .max()
            .unwrap_or(1)
            .max(1);
        let mut lists = vec![regular(points, size)];
        lists.extend(self.chunks().as_lists()[k..].iter().cloned());
        let out = Chunks::resolve(
            &std::iter::once(points)
                .chain(self.shape()[k..].iter().copied())
                .collect::<Vec<_>>(),
            lists,
            T::DTYPE,
        )?;
        let g = Points::<T> {
            groups: group_points(&coords, self.chunks(), out.axis(0)),
            id: fresh_id(),
            _t: std::marker::PhantomData,
        };
        Ok(self.gather_node(Arc::new(g), out))
    }
}

/// The gather behind `vindex`.
struct Points<T> {
    /// Per result chunk along the points axis, its points grouped by the input block (over
    /// the indexed axes) holding them, in block order: found once, when the array is built.
    groups: Vec<Vec<(Vec<usize>, Picks)>>,
    id: u64,
    _t: std::marker::PhantomData<fn() -> T>,
}

/// The points one part picks from one input block: (position in the result chunk, local
/// coordinates in the block) each.
type Picks = Vec<(usize, Vec<usize>)>;

/// A part's result: which points of the result chunk it holds, and their values (one row
/// of the non-indexed axes per point).
struct Picked<T> {
    positions: Vec<usize>,
    values: ArrayD<T>,
}

/// Groups the points (`coords[a][k]`: point k's coordinate on indexed axis a, a list of
/// length 1 standing for every point) by result chunk (`sizes`: the points axis' chunks)
/// and, within one, by the input block (chunked as `input`) holding them.
fn group_points(
    coords: &[Vec<usize>],
    input: &Chunks,
    sizes: &[usize],
) -> Vec<Vec<(Vec<usize>, Picks)>> {
    let coord = |a: usize, point: usize| {
        let list = &coords[a];
        list[if list.len() == 1 { 0 } else { point }]
    };
    let mut first = 0;
    sizes
        .iter()
        .map(|&len| {
            let mut groups: BTreeMap<Vec<usize>, Picks> = BTreeMap::new();
            for pos in 0..len {
                let point = first + pos;
                let mut block = Vec::with_capacity(coords.len());
                let mut local = Vec::with_capacity(coords.len());
                for a in 0..coords.len() {
                    let (b, start) = input.locate(a, coord(a, point));
                    block.push(b);
                    local.push(coord(a, point) - start);
                }
                groups.entry(block).or_default().push((pos, local));
            }
            first += len;
            groups.into_iter().collect()
        })
        .collect()
}

impl<T: Element> GatherFn for Points<T> {
    fn name(&self) -> &str {
        "vindex"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        let groups = &self.groups[index[0]];
        if groups.is_empty() {
            return vec![vec![]];
        }
        groups
            .iter()
            .map(|(block, _)| {
                let mut block = block.clone();
                block.extend_from_slice(&index[1..]);
                vec![(0, block)]
            })
            .collect()
    }
    fn part(&self, pos: &BlockPos, part: usize, inputs: Vec<Value>) -> Result<Value> {
        let rest = &pos.shape[1..];
        let Some((_, picks)) = self.groups[pos.index[0]].get(part) else {
            // A chunk of no points (an empty index list).
            let values = ArrayD::<T>::from_elem(pos.shape.clone(), T::default());
            return Ok(Value::new(Picked {
                positions: vec![],
                values,
            }));
        };
        let value = inputs
            .into_iter()
            .next()
            .ok_or_else(|| crate::kernel::internal("vindex: a part without its block"))?;
        let block = value
            .downcast_ref::<ArrayD<T>>()
            .ok_or_else(|| crate::kernel::internal("vindex: the input is not an array"))?;
        let mut shape = vec![picks.len()];
        shape.extend_from_slice(rest);
        let mut values = ArrayD::from_elem(shape, T::default());
        let mut positions = Vec::with_capacity(picks.len());
        for (i, (p, local)) in picks.iter().enumerate() {
            let mut view = block.view();
            for &c in local {
                view = view.index_axis_move(Axis(0), c);
            }
            values.index_axis_mut(Axis(0), i).assign(&view);
            positions.push(*p);
        }
        Ok(Value::new(Picked { positions, values }))
    }
    fn combine(&self, _pos: &BlockPos, values: Vec<Value>) -> Result<Value> {
        let parts = values
            .iter()
            .map(|v| {
                v.downcast_ref::<Picked<T>>()
                    .ok_or_else(|| crate::kernel::internal("vindex: a part is not a pick"))
            })
            .collect::<Result<Vec<_>>>()?;
        let positions = parts
            .iter()
            .flat_map(|p| p.positions.iter().copied())
            .collect();
        let views: Vec<_> = parts.iter().map(|p| p.values.view()).collect();
        let values = ndarray::concatenate(Axis(0), &views)
            .map_err(|e| crate::kernel::internal(format!("vindex: {e}")))?;
        Ok(Value::new(Picked { positions, values }))
    }
    fn finish(&self, pos: &BlockPos, value: Value) -> Result<Value> {
        let picked = value
            .downcast_ref::<Picked<T>>()
            .ok_or_else(|| crate::kernel::internal("vindex: the merged parts are not picks"))?;
        let mut out = ArrayD::from_elem(pos.shape.clone(), T::default());
        for (i, &p) in picked.positions.iter().enumerate() {
            out.slice_axis_mut(Axis(0), Slice::from(p..p + 1))
                .index_axis_mut(Axis(0), 0)
                .assign(&picked.values.index_axis(Axis(0), i));
        }
        Ok(Value::new(out))
    }
}
