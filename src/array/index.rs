//! NumPy's basic indexing, spelled out: [`Idx`] lists with `Ellipsis` ("all remaining
//! axes") and NumPy's negative-step slices, for what ndarray's `s![]` cannot say.

use super::Array;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::geometry::AxisSlice;
use crate::geometry::slice::{axis_slice, numpy_axis_slice, resolve_index};

/// One entry of a NumPy-style index for [`Array::index`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idx {
    /// One position (negative counts from the end); the axis is dropped.
    At(isize),
    /// `start:stop:step` with NumPy's rules (`None` is the default bound; a negative step
    /// walks from `start` down, `[::-1]` reverses).
    Slice {
        /// First position (`None`: the first element, or the last for a negative step).
        start: Option<isize>,
        /// Where to stop, exclusive (`None`: past the end in the step's direction).
        stop: Option<isize>,
        /// The step (not 0).
        step: isize,
    },
    /// A new axis of length 1 (`np.newaxis`).
    NewAxis,
    /// As many whole axes as the other entries leave (`...`); at most one.
    Ellipsis,
}

impl Idx {
    /// The whole axis (`:`).
    pub const ALL: Idx = Idx::Slice {
        start: None,
        stop: None,
        step: 1,
    };

    /// The whole axis backwards (`::-1`).
    pub const REV: Idx = Idx::Slice {
        start: None,
        stop: None,
        step: -1,
    };

    /// `start:stop:step`, each bound optional.
    pub fn slice(start: Option<isize>, stop: Option<isize>, step: isize) -> Idx {
        Idx::Slice { start, stop, step }
    }
}

impl<T: Element> Array<T> {
    /// NumPy's basic indexing with [`Idx`] entries: `x.index(&[Idx::Ellipsis, Idx::At(0)])`
    /// is `x[..., 0]`, `x.index(&[Idx::REV])` is `x[::-1]`, and
    /// `Idx::slice(Some(5), Some(1), -1)` is `5:1:-1` (positions 5, 4, 3, 2: NumPy's
    /// negative steps, where [`Array::slice`] follows ndarray's). Axes not mentioned are
    /// taken whole. Errors: more indices than axes, a position out of range, a zero step,
    /// or two `Ellipsis`.
    ///
    /// ```
    /// use chunkflow::{Array, Idx};
    /// let x = Array::from_fn(&[2, 3, 4], 2, |i| (100 * i[0] + 10 * i[1] + i[2]) as i64)?;
    /// let last = x.index(&[Idx::Ellipsis, Idx::At(-1)])?;
    /// assert_eq!(last.compute()?, ndarray::arr2(&[[3, 13, 23], [103, 113, 123]]).into_dyn());
    /// let back = x.index(&[Idx::At(1), Idx::At(2), Idx::slice(Some(3), Some(0), -2)])?;
    /// assert_eq!(back.compute()?.as_slice().unwrap(), &[123, 121]);
    /// assert_eq!(x.index(&[Idx::NewAxis, Idx::Ellipsis])?.shape(), &[1, 2, 3, 4]);
    /// assert!(x.index(&[Idx::Ellipsis, Idx::Ellipsis]).is_err());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn index(&self, index: &[Idx]) -> Result<Array<T>> {
        self.require_known_chunks("index")?;
        self.select_entries(index, SliceRule::NumPy)
    }

    /// Resolves a selection ([`Array::index`]'s, or [`Array::slice`]'s translated into
    /// [`Idx`]) against this array's shape and applies it: ranges by `rule`, integers drop
    /// their axis, new axes are inserted, `Ellipsis` stands for the axes the others leave.
    pub(super) fn select_entries(&self, index: &[Idx], rule: SliceRule) -> Result<Array<T>> {
        self.check()?;
        let ellipses = index.iter().filter(|i| **i == Idx::Ellipsis).count();
        if ellipses > 1 {
            return Err(Error::InvalidArgument(
                "an index can only have a single ellipsis".into(),
            ));
        }
        let used = index
            .iter()
            .filter(|i| !matches!(i, Idx::NewAxis | Idx::Ellipsis))
            .count();
        if used > self.ndim() {
            return Err(Error::InvalidArgument(format!(
                "too many indices: {used} for an array of shape {:?} ({} axes)",
                self.shape(),
                self.ndim()
            )));
        }
        let mut axes: Vec<AxisSlice> = Vec::with_capacity(self.ndim());
        let mut removed = Vec::new();
        let mut new_axes = Vec::new();
        let mut out_pos = 0;
        for entry in index {
            let axis = axes.len();
            match *entry {
                Idx::At(i) => {
                    let j = resolve_index(i as i64, axis, self.shape()[axis])?;
                    axes.push(AxisSlice {
                        start: j,
                        len: 1,
                        step: 1,
                    });
                    removed.push(axis);
                }
                Idx::Slice { start, stop, step } => {
                    let len = self.shape()[axis];
                    axes.push(match rule {
                        SliceRule::NumPy => numpy_axis_slice(len, start, stop, step)?,
                        SliceRule::Ndarray => axis_slice(len, start.unwrap_or(0), stop, step)?,
                    });
                    out_pos += 1;
                }
                Idx::NewAxis => {
                    new_axes.push(out_pos);
                    out_pos += 1;
                }
                Idx::Ellipsis => {
                    for _ in 0..self.ndim() - used {
                        axes.push(AxisSlice::full(self.shape()[axes.len()]));
                        out_pos += 1;
                    }
                }
            }
        }
        self.select_axes(axes, &removed, &new_axes)
    }
}

/// How a range's negative step reads: NumPy's (walk down from `start`) or ndarray's (walk
/// the clamped `start..stop` backwards).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SliceRule {
    NumPy,
    Ndarray,
}
