//! Creating arrays: from an ndarray, constants, ranges, a function of the index, or
//! persisted chunks. Every source makes its chunks on demand, one task per chunk; nothing is
//! materialised whole.

use std::collections::HashMap;
use std::sync::Arc;

use ndarray::{ArcArray, ArrayD, Dimension, IxDyn, Slice};

use super::{Array, ChunkSpec, Chunks};
use crate::dtype::{Col, DType, Element, Float, Num};
use crate::error::{Error, Result};
use crate::geometry::Meta;
use crate::graph::Value;
use crate::kernel::generate::{StripFill, strip_vec};
use crate::kernel::source::{ChunkSource, fresh_id};
use crate::plan::{Node, Op};

/// An array whose chunks `source` makes, split as `chunks` (already resolved for `shape`):
/// the one way constructors, readers (`io`) and generators (`random`) make source arrays.
pub(crate) fn source_array<T: Element>(
    shape: &[usize],
    chunks: Chunks,
    source: Arc<dyn ChunkSource>,
) -> Array<T> {
    let meta = Meta {
        shape: shape.to_vec(),
        chunks,
        dtype: T::DTYPE,
    };
    Array::wrap(Node::new(Op::Source(source), vec![], meta))
}

/// A source array with `chunks` resolved for `shape` (an invalid spec is an error).
fn resolved_source_array<T: Element>(
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    source: Arc<dyn ChunkSource>,
) -> Result<Array<T>> {
    let chunks = Chunks::resolve(shape, chunks, T::DTYPE)?;
    Ok(source_array(shape, chunks, source))
}

struct FromNdarray<T> {
    data: ArcArray<T, IxDyn>,
    id: u64,
}

/// What [`Array::from_ndarray`] accepts: an owned `Array` or an `ArcArray` is shared without
/// a copy (an `ArcArray` keeps sharing its buffer with the caller's clones); a view or a
/// borrowed `CowArray` is copied once, since the lazy array outlives the borrow.
pub trait IntoChunkData<T> {
    /// The data as a shared, dynamically-dimensioned array.
    fn into_chunk_data(self) -> ArcArray<T, IxDyn>;
}

impl<T: Element, D: Dimension> IntoChunkData<T> for ndarray::Array<T, D> {
    fn into_chunk_data(self) -> ArcArray<T, IxDyn> {
        self.into_shared().into_dyn()
    }
}

impl<T: Element, D: Dimension> IntoChunkData<T> for ArcArray<T, D> {
    fn into_chunk_data(self) -> ArcArray<T, IxDyn> {
        self.into_dyn()
    }
}

impl<T: Element, D: Dimension> IntoChunkData<T> for ndarray::ArrayView<'_, T, D> {
    fn into_chunk_data(self) -> ArcArray<T, IxDyn> {
        self.to_owned().into_shared().into_dyn()
    }
}

impl<T: Element, D: Dimension> IntoChunkData<T> for ndarray::CowArray<'_, T, D> {
    fn into_chunk_data(self) -> ArcArray<T, IxDyn> {
        self.into_owned().into_shared().into_dyn()
    }
}

impl<T: Element, D: Dimension> IntoChunkData<T> for &ndarray::Array<T, D> {
    fn into_chunk_data(self) -> ArcArray<T, IxDyn> {
        self.view().into_chunk_data()
    }
}

impl<T: Element> ChunkSource for FromNdarray<T> {
    fn name(&self) -> &str {
        "from_ndarray"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value> {
        let view = self.data.slice_each_axis(|ax| {
            let a = ax.axis.index();
            Slice::from(offset[a]..offset[a] + shape[a])
        });
        Ok(Value::new(view.as_standard_layout().into_owned()))
    }
}

struct Full<T> {
    value: T,
    id: u64,
}

impl<T: Element> ChunkSource for Full<T> {
    fn name(&self) -> &str {
        "full"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn cheap(&self) -> bool {
        true
    }
    fn chunk(&self, _offset: &[usize], shape: &[usize]) -> Result<Value> {
        Ok(Value::new(ArrayD::from_elem(IxDyn(shape), self.value)))
    }
    fn strip_fill(&self) -> Option<Arc<dyn StripFill>> {
        Some(Arc::new(Full {
            value: self.value,
            id: self.id,
        }))
    }
}

impl<T: Element> StripFill for Full<T> {
    fn dtype(&self) -> DType {
        T::DTYPE
    }
    fn fill(&self, _: &[usize], _: &[usize], _: usize, len: usize, out: &mut Col<'static>) {
        strip_vec::<T>(out).extend(std::iter::repeat_n(self.value, len));
    }
}

/// `start + i * step` along one axis, computed in f64 and converted.
struct Linear<T> {
    name: &'static str,
    start: f64,
    step: f64,
    /// For linspace: the exact last value at this index.
    last: Option<(usize, f64)>,
    /// For arange: NumPy's fill rule. Element 1 is this value (`start + step`, rounded to
    /// the element type), and `step` is element 1 minus element 0 in the element type, so
    /// element `i` is `start + i·step` computed in the element type's own precision (f32
    /// arithmetic for `f32` arrays), as NumPy's `arange` fills its buffer.
    second: Option<f64>,
    id: u64,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Element> ChunkSource for Linear<T> {
    fn name(&self) -> &str {
        self.name
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn cheap(&self) -> bool {
        true
    }
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value> {
        let values: Vec<T> = (offset[0]..offset[0] + shape[0])
            .map(|i| self.at(i))
            .collect();
        Ok(Value::new(
            ArrayD::from_shape_vec(IxDyn(shape), values).expect("1-d"),
        ))
    }
    fn strip_fill(&self) -> Option<Arc<dyn StripFill>> {
        Some(Arc::new(Linear::<T> {
            name: self.name,
            start: self.start,
            step: self.step,
            last: self.last,
            second: self.second,
            id: self.id,
            _t: std::marker::PhantomData,
        }))
    }
}

impl<T: Element> Linear<T> {
    /// The element at index `i`.
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        let v = match (self.last, self.second) {
            (Some((n, v)), _) if i == n => v,
            (_, Some(v)) if i == 1 => v,
            (_, Some(_)) if T::DTYPE == DType::F32 => {
                f64::from(self.start as f32 + i as f32 * self.step as f32)
            }
            _ => self.start + i as f64 * self.step,
        };
        T::from_scalar(crate::dtype::Scalar::F64(v))
    }
}

impl<T: Element> StripFill for Linear<T> {
    fn dtype(&self) -> DType {
        T::DTYPE
    }
    fn fill(
        &self,
        offset: &[usize],
        _: &[usize],
        start: usize,
        len: usize,
        out: &mut Col<'static>,
    ) {
        let first = offset.first().copied().unwrap_or(0) + start;
        strip_vec::<T>(out).extend((first..first + len).map(|i| self.at(i)));
    }
}

struct FromFn<T, F> {
    f: F,
    id: u64,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Element, F: Fn(&[usize]) -> T + Send + Sync> ChunkSource for FromFn<T, F> {
    fn name(&self) -> &str {
        "from_fn"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value> {
        let mut global = offset.to_vec();
        let array = ArrayD::from_shape_fn(IxDyn(shape), |local| {
            for (g, (&o, &l)) in global.iter_mut().zip(offset.iter().zip(local.slice())) {
                *g = o + l;
            }
            (self.f)(&global)
        });
        Ok(Value::new(array))
    }
}

/// Chunks computed earlier, served by block offset.
struct Persisted {
    chunks: HashMap<Vec<usize>, Value>,
    id: u64,
}

impl ChunkSource for Persisted {
    fn name(&self) -> &str {
        "persisted"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn chunk(&self, offset: &[usize], _shape: &[usize]) -> Result<Value> {
        self.chunks.get(offset).cloned().ok_or_else(|| {
            Error::InvalidArgument(format!("no persisted chunk at offset {offset:?}"))
        })
    }
}

/// An array served from computed chunks (row-major block order).
pub(crate) fn persisted<T: Element>(meta: Meta, chunks: Vec<Value>) -> Array<T> {
    let by_offset = meta
        .chunks
        .blocks()
        .map(|b| meta.chunks.block_offset(&b))
        .zip(chunks)
        .collect();
    let source = Arc::new(Persisted {
        chunks: by_offset,
        id: fresh_id(),
    });
    source_array(&meta.shape, meta.chunks, source)
}

impl<T: Element> Array<T> {
    /// A lazy array over an in-memory ndarray (any dimensionality): an owned `Array` or an
    /// `ArcArray` is shared, not copied; a view, a `CowArray` or a reference is copied once
    /// (see [`IntoChunkData`]). Each chunk is sliced out when its task runs.
    ///
    /// ```
    /// use chunkflow::Array;
    /// let a = ndarray::arr2(&[[1_i64, 2, 3], [4, 5, 6]]);
    /// let x = Array::from_ndarray(a.clone(), [1, 2])?;
    /// assert_eq!(x.num_chunks(), 4);
    /// assert_eq!(x.compute()?, a.clone().into_dyn());
    /// // Views, ArcArrays and CowArrays too.
    /// let col = Array::from_ndarray(a.column(1), 1)?;
    /// assert_eq!(col.compute()?.as_slice().unwrap(), &[2, 5]);
    /// let shared = a.clone().into_shared();
    /// assert_eq!(Array::from_ndarray(shared.clone(), 2)?.sum().scalar()?, 21);
    /// assert_eq!(Array::from_ndarray(ndarray::CowArray::from(a.view()), 2)?.max().scalar()?, 6);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_ndarray(
        array: impl IntoChunkData<T>,
        chunks: impl Into<ChunkSpec>,
    ) -> Result<Self> {
        let data = array.into_chunk_data();
        let shape = data.shape().to_vec();
        resolved_source_array(
            &shape,
            chunks,
            Arc::new(FromNdarray {
                data,
                id: fresh_id(),
            }),
        )
    }

    /// A 1-D array over a vector (moved, not copied).
    ///
    /// ```
    /// let x = chunkflow::Array::from_vec(vec![1.0_f64, 2.0, 3.0], 2)?;
    /// assert_eq!(x.shape(), &[3]);
    /// assert_eq!(x.sum().scalar()?, 6.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_vec(data: Vec<T>, chunks: impl Into<ChunkSpec>) -> Result<Self> {
        Self::from_ndarray(ndarray::Array1::from(data), chunks)
    }

    /// A 1-D array over a copy of a slice.
    ///
    /// ```
    /// let x = chunkflow::Array::from_slice(&[3_i64, 1, 4], 2)?;
    /// assert_eq!(x.max().scalar()?, 4);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_slice(data: &[T], chunks: impl Into<ChunkSpec>) -> Result<Self> {
        Self::from_vec(data.to_vec(), chunks)
    }

    /// An array filled with `value`.
    ///
    /// ```
    /// let x = chunkflow::Array::full(&[2, 2], 7_u64, 1)?;
    /// assert_eq!(x.sum().scalar()?, 28);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn full(shape: &[usize], value: T, chunks: impl Into<ChunkSpec>) -> Result<Self> {
        resolved_source_array(
            shape,
            chunks,
            Arc::new(Full {
                value,
                id: fresh_id(),
            }),
        )
    }

    /// An array whose element at index `i` is `f(i)` (the global index). Each chunk calls
    /// `f` for its own elements when its task runs.
    ///
    /// ```
    /// let x = chunkflow::Array::from_fn(&[2, 3], 2, |i| (10 * i[0] + i[1]) as i32)?;
    /// assert_eq!(x.compute()?, ndarray::arr2(&[[0, 1, 2], [10, 11, 12]]).into_dyn());
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn from_fn(
        shape: &[usize],
        chunks: impl Into<ChunkSpec>,
        f: impl Fn(&[usize]) -> T + Send + Sync + 'static,
    ) -> Result<Self> {
        let source = FromFn {
            f,
            id: fresh_id(),
            _t: std::marker::PhantomData,
        };
        resolved_source_array(shape, chunks, Arc::new(source))
    }
}

impl<T: Num> Array<T> {
    /// An array of zeros.
    ///
    /// ```
    /// assert_eq!(chunkflow::Array::<f32>::zeros(&[3], 2)?.sum().scalar()?, 0.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn zeros(shape: &[usize], chunks: impl Into<ChunkSpec>) -> Result<Self> {
        Self::full(shape, T::ZERO, chunks)
    }

    /// An array of ones.
    ///
    /// ```
    /// assert_eq!(chunkflow::Array::<i32>::ones(&[3, 3], 2)?.sum().scalar()?, 9);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn ones(shape: &[usize], chunks: impl Into<ChunkSpec>) -> Result<Self> {
        Self::full(shape, T::ONE, chunks)
    }

    /// `start, start + step, ...` up to but excluding `stop`, like NumPy's `arange`.
    /// A zero step is an error.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::arange(10, 0, -3, 2)?;
    /// assert_eq!(x.compute()?.as_slice().unwrap(), &[10, 7, 4, 1]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn arange(start: T, stop: T, step: T, chunks: impl Into<ChunkSpec>) -> Result<Self> {
        if let (Some(a), Some(b), Some(s)) = (
            exact_integer(start.to_scalar()),
            exact_integer(stop.to_scalar()),
            exact_integer(step.to_scalar()),
        ) {
            return Self::integer_arange(a, b, s, chunks);
        }
        let (a, b, s) = (start.to_f64(), stop.to_f64(), step.to_f64());
        if s == 0.0 || s.is_nan() || a.is_nan() || b.is_nan() {
            return Err(Error::InvalidArgument(format!(
                "arange({a}, {b}, {s}) needs bounds that are numbers and a nonzero step"
            )));
        }
        let count = ((b - a) / s).ceil();
        if !count.is_finite() {
            return Err(Error::InvalidArgument(format!(
                "arange({a}, {b}, {s}) would have infinitely many elements"
            )));
        }
        // An infinite step (NumPy: one element if it points from start towards stop).
        let n = if s.is_infinite() {
            usize::from((b - a) * s.signum() > 0.0)
        } else {
            count.max(0.0) as usize
        };
        // NumPy's fill: elements 0 and 1 are `start` and `start + step` in the element
        // type, the others `start + i·delta`, delta being their difference (in f32 for f32).
        let round = |v: f64| T::from_scalar(crate::dtype::Scalar::F64(v)).to_f64();
        let (first, second) = (round(a), round(a + s));
        let delta = if T::DTYPE == DType::F32 {
            f64::from(second as f32 - first as f32)
        } else {
            second - first
        };
        let source = Linear::<T> {
            name: "arange",
            start: first,
            // With an infinite step the one element is `start` (0 * inf would be NaN).
            step: if s.is_infinite() { 0.0 } else { delta },
            second: (!s.is_infinite()).then_some(second),
            last: None,
            id: fresh_id(),
            _t: std::marker::PhantomData,
        };
        resolved_source_array(&[n], chunks, Arc::new(source))
    }

    /// `arange` over an integer type, in exact integer arithmetic (no f64 rounding).
    fn integer_arange(
        start: i128,
        stop: i128,
        step: i128,
        chunks: impl Into<ChunkSpec>,
    ) -> Result<Self> {
        if step == 0 {
            return Err(Error::InvalidArgument(format!(
                "arange({start}, {stop}, {step}) needs a nonzero step"
            )));
        }
        let span = stop - start;
        // ceil(span / step) for either sign of step.
        let count = if (span > 0) == (step > 0) && span != 0 {
            (span.abs() + step.abs() - 1) / step.abs()
        } else {
            0
        };
        let n = usize::try_from(count).map_err(|_| {
            Error::InvalidArgument(format!(
                "arange({start}, {stop}, {step}) has {count} elements, more than an array can hold"
            ))
        })?;
        let source = IntegerLinear::<T> {
            start,
            step,
            id: fresh_id(),
            _t: std::marker::PhantomData,
        };
        resolved_source_array(&[n], chunks, Arc::new(source))
    }
}

/// The value of an integer scalar, exactly; `None` for floats and bools.
fn exact_integer(s: crate::dtype::Scalar) -> Option<i128> {
    use crate::dtype::Scalar;
    match s {
        Scalar::I8(v) => Some(v.into()),
        Scalar::I16(v) => Some(v.into()),
        Scalar::U8(v) => Some(v.into()),
        Scalar::U16(v) => Some(v.into()),
        Scalar::I32(v) => Some(v.into()),
        Scalar::I64(v) => Some(v.into()),
        Scalar::U32(v) => Some(v.into()),
        Scalar::U64(v) => Some(v.into()),
        Scalar::Bool(_) | Scalar::F32(_) | Scalar::F64(_) => None,
    }
}

/// `start + i * step` in exact integer arithmetic (every value lies between `start` and
/// `stop`, so it fits the element type).
struct IntegerLinear<T> {
    start: i128,
    step: i128,
    id: u64,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Element> ChunkSource for IntegerLinear<T> {
    fn name(&self) -> &str {
        "arange"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn cheap(&self) -> bool {
        true
    }
    fn chunk(&self, offset: &[usize], shape: &[usize]) -> Result<Value> {
        let values: Vec<T> = (offset[0]..offset[0] + shape[0])
            .map(|i| self.at(i))
            .collect();
        Ok(Value::new(
            ArrayD::from_shape_vec(IxDyn(shape), values).expect("1-d"),
        ))
    }
    fn strip_fill(&self) -> Option<Arc<dyn StripFill>> {
        Some(Arc::new(IntegerLinear::<T> {
            start: self.start,
            step: self.step,
            id: self.id,
            _t: std::marker::PhantomData,
        }))
    }
}

impl<T: Element> IntegerLinear<T> {
    /// The element at index `i`.
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        use crate::dtype::Scalar;
        let v = self.start + i as i128 * self.step;
        T::from_scalar(if v < 0 {
            Scalar::I64(v as i64)
        } else {
            Scalar::U64(v as u64)
        })
    }
}

impl<T: Element> StripFill for IntegerLinear<T> {
    fn dtype(&self) -> DType {
        T::DTYPE
    }
    fn fill(
        &self,
        offset: &[usize],
        _: &[usize],
        start: usize,
        len: usize,
        out: &mut Col<'static>,
    ) {
        let first = offset.first().copied().unwrap_or(0) + start;
        strip_vec::<T>(out).extend((first..first + len).map(|i| self.at(i)));
    }
}

impl<T: Float> Array<T> {
    /// `num` evenly spaced values from `start` to `stop` inclusive, like NumPy's `linspace`.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::linspace(0.0, 1.0, 5, 2)?;
    /// assert_eq!(x.compute()?.as_slice().unwrap(), &[0.0, 0.25, 0.5, 0.75, 1.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn linspace(
        start: f64,
        stop: f64,
        num: usize,
        chunks: impl Into<ChunkSpec>,
    ) -> Result<Self> {
        Self::linspace_with(start, stop, num, true, chunks)
    }

    /// `linspace` with NumPy's `endpoint` flag: with `endpoint == false`, `num` values from
    /// `start` spaced `(stop - start) / num` apart, `stop` excluded.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::linspace_with(0.0, 1.0, 4, false, 2)?;
    /// assert_eq!(x.compute()?.as_slice().unwrap(), &[0.0, 0.25, 0.5, 0.75]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn linspace_with(
        start: f64,
        stop: f64,
        num: usize,
        endpoint: bool,
        chunks: impl Into<ChunkSpec>,
    ) -> Result<Self> {
        let divisions = if endpoint { num.saturating_sub(1) } else { num };
        let step = if divisions > 0 {
            (stop - start) / divisions as f64
        } else {
            0.0
        };
        let source = Linear::<T> {
            name: "linspace",
            start,
            step,
            last: (endpoint && num > 1).then_some((num - 1, stop)),
            second: None,
            id: fresh_id(),
            _t: std::marker::PhantomData,
        };
        resolved_source_array(&[num], chunks, Arc::new(source))
    }
}
