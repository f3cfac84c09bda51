//! Rearranging elements: `flip`, `roll`, `take` (integer indexing along an axis, keeping
//! chunks bounded as Dask does), `repeat`, `tile`, `diff`, `pad`, the stacking helpers
//! (`hstack`, `vstack`, `dstack`, `atleast_1d/2d/3d`) and `broadcast_arrays`. Each is
//! built from lazy slices, concatenations and gathers; nothing is materialised whole.

use std::sync::Arc;

use ndarray::SliceInfoElem;

use super::shape::concatenate;
use super::{Array, Chunks};
use crate::dtype::{Element, Num};
use crate::error::{Error, Result};
use crate::geometry::{MAX_CHUNKS, Meta};

/// The most positions one `take` (or `repeat`) picks: the index list is held in the plan.
pub const MAX_TAKE: usize = 1 << 32;
use crate::geometry::chunks::{broadcast_shapes, regular};
use crate::geometry::slice::resolve_index;
use crate::plan::Op;

/// How [`Array::pad`] fills the new elements (NumPy's `mode`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode<T> {
    /// A constant value.
    Constant(T),
    /// The edge value repeated.
    Edge,
    /// Mirrored without repeating the edge (`[1, 2, 3]` padded by 2: `3 2 | 1 2 3 | 2 1`).
    /// The width must be below the axis length.
    Reflect,
    /// Mirrored including the edge (`2 1 | 1 2 3 | 3 2`). The width must not exceed the
    /// axis length.
    Symmetric,
    /// Wrapped around (`2 3 | 1 2 3 | 1 2`). The width must not exceed the axis length.
    Wrap,
}

impl<T: Element> Array<T> {
    /// The elements `start..end` (ndarray semantics for a negative `step`) of `axis`.
    fn range(&self, axis: usize, start: usize, end: usize, step: isize) -> Result<Array<T>> {
        let elems: Vec<SliceInfoElem> = (0..self.ndim())
            .map(|a| {
                if a == axis {
                    SliceInfoElem::Slice {
                        start: start as isize,
                        end: Some(end as isize),
                        step,
                    }
                } else {
                    SliceInfoElem::Slice {
                        start: 0,
                        end: None,
                        step: 1,
                    }
                }
            })
            .collect();
        self.slice(elems)
    }

    /// The elements of `axis` in reverse order (NumPy's `flip`).
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(0, 5, 1, 2)?;
    /// assert_eq!(x.flip(0)?.compute()?.as_slice().unwrap(), &[4, 3, 2, 1, 0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn flip(&self, axis: usize) -> Result<Array<T>> {
        self.check()?;
        self.check_axis(axis)?;
        self.range(axis, 0, self.shape()[axis], -1)
    }

    /// The elements of `axis` shifted by `shift` places, wrapping around (NumPy's `roll`).
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(0, 5, 1, 2)?;
    /// assert_eq!(x.roll(2, 0)?.compute()?.as_slice().unwrap(), &[3, 4, 0, 1, 2]);
    /// assert_eq!(x.roll(-1, 0)?.compute()?.as_slice().unwrap(), &[1, 2, 3, 4, 0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn roll(&self, shift: isize, axis: usize) -> Result<Array<T>> {
        self.check()?;
        self.check_axis(axis)?;
        let n = self.shape()[axis];
        if n == 0 {
            return Ok(self.clone());
        }
        let s = shift.rem_euclid(n as isize) as usize;
        if s == 0 {
            return Ok(self.clone());
        }
        let tail = self.range(axis, n - s, n, 1)?;
        let head = self.range(axis, 0, n - s, 1)?;
        concatenate(&[&tail, &head], axis)
    }

    /// The elements at positions `indices` along `axis`, in that order (NumPy's `take`;
    /// repeats allowed). The result's chunks along `axis` are as long as the input's
    /// longest, so a gather never builds one huge chunk. An index past the end is an error
    /// naming it.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(0, 10, 1, 3)?;
    /// assert_eq!(x.take(&[3, 1, 7, 7], 0)?.compute()?.as_slice().unwrap(), &[3, 1, 7, 7]);
    /// assert!(x.take(&[10], 0).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn take(&self, indices: &[usize], axis: usize) -> Result<Array<T>> {
        self.require_known_chunks("take")?;
        self.check()?;
        self.check_axis(axis)?;
        let n = self.shape()[axis];
        if indices.len() > MAX_TAKE {
            return Err(Error::InvalidArgument(format!(
                "take of {} positions, more than {MAX_TAKE}",
                indices.len()
            )));
        }
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            return Err(Error::InvalidArgument(format!(
                "index {bad} is out of bounds for axis {axis} with size {n}"
            )));
        }
        let size = self
            .chunks()
            .axis(axis)
            .iter()
            .copied()
            .max()
            .unwrap_or(1)
            .max(1);
        let mut shape = self.shape().to_vec();
        shape[axis] = indices.len();
        let mut chunks = self.chunks().as_lists().to_vec();
        chunks[axis] = regular(indices.len(), size);
        let meta = Meta {
            shape,
            chunks: Chunks::from_lists(chunks),
            dtype: T::DTYPE,
        };
        Ok(Array::build(
            Op::Take {
                axis,
                indices: Arc::new(indices.to_vec()),
            },
            vec![self.node().clone()],
            meta,
        ))
    }

    /// [`Array::take`] with signed indices: negative ones count from the end (`-1` is the
    /// last element), as in NumPy.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(0, 10, 1, 3)?;
    /// assert_eq!(x.take_signed(&[-1, 0, -10], 0)?.compute()?.as_slice().unwrap(), &[9, 0, 0]);
    /// assert!(x.take_signed(&[-11], 0).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn take_signed(&self, indices: &[i64], axis: usize) -> Result<Array<T>> {
        self.check_axis(axis)?;
        let n = self.shape()[axis];
        let resolved = indices
            .iter()
            .map(|&i| resolve_index(i, axis, n))
            .collect::<Result<Vec<_>>>()?;
        self.take(&resolved, axis)
    }

    /// Each element of `axis` repeated `k` times in place (NumPy's `repeat`).
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(1, 4, 1, 2)?;
    /// assert_eq!(x.repeat(2, 0)?.compute()?.as_slice().unwrap(), &[1, 1, 2, 2, 3, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn repeat(&self, k: usize, axis: usize) -> Result<Array<T>> {
        self.check_axis(axis)?;
        let n = self.shape()[axis];
        let total = n.checked_mul(k).filter(|&t| t <= MAX_TAKE).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "repeat({k}) of {n} elements would pick more than {MAX_TAKE} positions"
            ))
        })?;
        let indices: Vec<usize> = (0..total).map(|i| i / k.max(1)).collect();
        self.take(&indices, axis)
    }

    /// The array repeated `reps[i]` times along axis `i` (NumPy's `tile`); a shorter
    /// `reps` applies to the last axes, a longer one adds leading axes.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(0, 3, 1, 2)?;
    /// let t = x.tile(&[2, 2])?;
    /// assert_eq!(t.compute()?, ndarray::arr2(&[[0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2]]).into_dyn());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn tile(&self, reps: &[usize]) -> Result<Array<T>> {
        self.check()?;
        let mut x = self.clone();
        while x.ndim() < reps.len() {
            x = x.insert_axis(0)?;
        }
        let offset = x.ndim() - reps.len();
        for (k, &r) in reps.iter().enumerate() {
            let axis = offset + k;
            x = match r {
                0 => x.range(axis, 0, 0, 1)?,
                1 => x,
                _ => {
                    let blocks = x.chunks().axis(axis).len();
                    if blocks.saturating_mul(r) > MAX_CHUNKS {
                        return Err(Error::InvalidArgument(format!(
                            "tile({r}) of {blocks} chunks along axis {axis} makes more than {MAX_CHUNKS} chunks"
                        )));
                    }
                    let copies = vec![&x; r];
                    concatenate(&copies, axis)?
                }
            };
        }
        Ok(x)
    }

    /// The array padded by `widths[i] = (before, after)` elements on axis `i` (NumPy's
    /// `pad`; `widths` must name every axis).
    ///
    /// ```
    /// use chunkflow::{Array, PadMode};
    /// let x = Array::<i32>::arange(1, 4, 1, 2)?;
    /// let c = x.pad(&[(1, 2)], PadMode::Constant(0))?;
    /// assert_eq!(c.compute()?.as_slice().unwrap(), &[0, 1, 2, 3, 0, 0]);
    /// let r = x.pad(&[(2, 2)], PadMode::Reflect)?;
    /// assert_eq!(r.compute()?.as_slice().unwrap(), &[3, 2, 1, 2, 3, 2, 1]);
    /// let e = x.pad(&[(1, 1)], PadMode::Edge)?;
    /// assert_eq!(e.compute()?.as_slice().unwrap(), &[1, 1, 2, 3, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn pad(&self, widths: &[(usize, usize)], mode: PadMode<T>) -> Result<Array<T>> {
        self.check()?;
        if widths.len() != self.ndim() {
            return Err(Error::InvalidArgument(format!(
                "pad needs (before, after) for each of the {} axes, got {}",
                self.ndim(),
                widths.len()
            )));
        }
        let mut x = self.clone();
        for (axis, &(before, after)) in widths.iter().enumerate() {
            if before == 0 && after == 0 {
                continue;
            }
            let left = x.pad_piece(axis, before, true, mode)?;
            let right = x.pad_piece(axis, after, false, mode)?;
            let parts: Vec<&Array<T>> = [left.as_ref(), Some(&x), right.as_ref()]
                .into_iter()
                .flatten()
                .collect();
            x = concatenate(&parts, axis)?;
        }
        Ok(x)
    }

    /// The `width` elements padded on one side of `axis`, or `None` for a zero width.
    fn pad_piece(
        &self,
        axis: usize,
        width: usize,
        before: bool,
        mode: PadMode<T>,
    ) -> Result<Option<Array<T>>> {
        if width == 0 {
            return Ok(None);
        }
        let n = self.shape()[axis];
        let too_wide = |limit: usize, name: &str| {
            Error::InvalidArgument(format!(
                "pad width {width} with mode {name} needs an axis longer than {}, axis {axis} has {n}",
                limit.saturating_sub(1)
            ))
        };
        let piece = match mode {
            PadMode::Constant(v) => {
                let mut shape = self.shape().to_vec();
                shape[axis] = width;
                let mut chunks = self.chunks().as_lists().to_vec();
                chunks[axis] = regular(
                    width,
                    self.chunks()
                        .axis(axis)
                        .iter()
                        .copied()
                        .max()
                        .unwrap_or(width)
                        .max(1),
                );
                Array::full(&shape, v, chunks)?
            }
            PadMode::Edge => {
                if n == 0 {
                    return Err(too_wide(1, "edge"));
                }
                let edge = if before { 0 } else { n - 1 };
                self.take(&vec![edge; width], axis)?
            }
            PadMode::Reflect => {
                if width >= n {
                    return Err(too_wide(width + 1, "reflect"));
                }
                if before {
                    self.range(axis, 1, width + 1, -1)?
                } else {
                    self.range(axis, n - 1 - width, n - 1, -1)?
                }
            }
            PadMode::Symmetric => {
                if width > n {
                    return Err(too_wide(width, "symmetric"));
                }
                if before {
                    self.range(axis, 0, width, -1)?
                } else {
                    self.range(axis, n - width, n, -1)?
                }
            }
            PadMode::Wrap => {
                if width > n {
                    return Err(too_wide(width, "wrap"));
                }
                if before {
                    self.range(axis, n - width, n, 1)?
                } else {
                    self.range(axis, 0, width, 1)?
                }
            }
        };
        Ok(Some(piece))
    }

    /// The array with at least one axis (a 0-d array becomes shape `[1]`).
    ///
    /// ```
    /// let s = chunkflow::Array::<f64>::ones(&[], 1)?;
    /// assert_eq!(s.atleast_1d()?.shape(), &[1]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn atleast_1d(&self) -> Result<Array<T>> {
        match self.ndim() {
            0 => self.reshape(&[1]),
            _ => Ok(self.clone()),
        }
    }

    /// The array with at least two axes: `[n]` becomes `[1, n]`.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[3], 1)?;
    /// assert_eq!(x.atleast_2d()?.shape(), &[1, 3]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn atleast_2d(&self) -> Result<Array<T>> {
        match self.ndim() {
            0 => self.reshape(&[1, 1]),
            1 => self.insert_axis(0),
            _ => Ok(self.clone()),
        }
    }

    /// The array with at least three axes: `[n]` becomes `[1, n, 1]`, `[m, n]` becomes
    /// `[m, n, 1]`.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[2, 3], 1)?;
    /// assert_eq!(x.atleast_3d()?.shape(), &[2, 3, 1]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn atleast_3d(&self) -> Result<Array<T>> {
        match self.ndim() {
            0 => self.reshape(&[1, 1, 1]),
            1 => self.insert_axis(0)?.insert_axis(2),
            2 => self.insert_axis(2),
            _ => Ok(self.clone()),
        }
    }
}

impl<T: Num> Array<T> {
    /// The `n`-th discrete difference along `axis`, `x[1:] - x[:-1]` applied `n` times
    /// (NumPy's `diff`; integers wrap). `n` at least the axis length gives an empty axis.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::from_vec(vec![1, 4, 9, 16], 2)?;
    /// assert_eq!(x.diff(1, 0)?.compute()?.as_slice().unwrap(), &[3, 5, 7]);
    /// assert_eq!(x.diff(2, 0)?.compute()?.as_slice().unwrap(), &[2, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn diff(&self, n: usize, axis: usize) -> Result<Array<T>> {
        self.check()?;
        self.check_axis(axis)?;
        let mut x = self.clone();
        for _ in 0..n {
            let len = x.shape()[axis];
            if len == 0 {
                break;
            }
            x = &x.range(axis, 1, len, 1)? - &x.range(axis, 0, len - 1, 1)?;
        }
        Ok(x)
    }
}

/// Joins arrays horizontally: along axis 0 for 1-d arrays, axis 1 otherwise (NumPy's
/// `hstack`).
///
/// ```
/// use chunkflow::{Array, hstack};
/// let a = Array::<i32>::ones(&[2], 1)?;
/// assert_eq!(hstack(&[&a, &a])?.shape(), &[4]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn hstack<T: Element>(arrays: &[&Array<T>]) -> Result<Array<T>> {
    let parts = arrays
        .iter()
        .map(|a| a.atleast_1d())
        .collect::<Result<Vec<_>>>()?;
    let axis = if parts.first().is_some_and(|a| a.ndim() == 1) {
        0
    } else {
        1
    };
    concatenate(&parts.iter().collect::<Vec<_>>(), axis)
}

/// Joins arrays vertically, along axis 0 after making them at least 2-d (NumPy's
/// `vstack`).
///
/// ```
/// use chunkflow::{Array, vstack};
/// let a = Array::<i32>::ones(&[3], 1)?;
/// assert_eq!(vstack(&[&a, &a])?.shape(), &[2, 3]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn vstack<T: Element>(arrays: &[&Array<T>]) -> Result<Array<T>> {
    let parts = arrays
        .iter()
        .map(|a| a.atleast_2d())
        .collect::<Result<Vec<_>>>()?;
    concatenate(&parts.iter().collect::<Vec<_>>(), 0)
}

/// Joins arrays along the third axis after making them at least 3-d (NumPy's `dstack`).
///
/// ```
/// use chunkflow::{Array, dstack};
/// let a = Array::<i32>::ones(&[2, 3], 1)?;
/// assert_eq!(dstack(&[&a, &a])?.shape(), &[2, 3, 2]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn dstack<T: Element>(arrays: &[&Array<T>]) -> Result<Array<T>> {
    let parts = arrays
        .iter()
        .map(|a| a.atleast_3d())
        .collect::<Result<Vec<_>>>()?;
    concatenate(&parts.iter().collect::<Vec<_>>(), 2)
}

/// The arrays broadcast against each other to one shape (NumPy's `broadcast_arrays`).
///
/// ```
/// use chunkflow::{Array, broadcast_arrays};
/// let a = Array::<i32>::ones(&[3, 1], 1)?;
/// let b = Array::<i32>::ones(&[4], 2)?;
/// let both = broadcast_arrays(&[&a, &b])?;
/// assert_eq!((both[0].shape(), both[1].shape()), (&[3, 4][..], &[3, 4][..]));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn broadcast_arrays<T: Element>(arrays: &[&Array<T>]) -> Result<Vec<Array<T>>> {
    for a in arrays {
        a.check()?;
    }
    let shapes: Vec<&[usize]> = arrays.iter().map(|a| a.shape()).collect();
    let shape = broadcast_shapes(&shapes)?;
    arrays
        .iter()
        .map(|a| {
            if a.shape() == shape.as_slice() {
                Ok((*a).clone())
            } else {
                a.broadcast_to(&shape)
            }
        })
        .collect()
}
