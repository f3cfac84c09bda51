//! The final output buffer: when a requested array is computed by an elementwise program and
//! nothing else reads it, each chunk's task writes its strips straight into their place in
//! the result array, so assembling the result costs no copy and no per-chunk allocation.
//!
//! Safety argument: the buffer is allocated before the run and only reclaimed after the run
//! has returned (every task finished or was dropped). The chunks of an array partition it,
//! and each chunk's task runs at most once, so concurrent writers touch disjoint elements;
//! nothing reads the buffer during the run.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::eval::StripSink;
use crate::dtype::with_dtype;
use crate::dtype::{Col, DType, Element};
use crate::error::{Error, Result};

/// A result array being written by many tasks.
pub struct OutputBuffer {
    data: std::cell::UnsafeCell<Col<'static>>,
    base: *mut u8,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<usize>,
}

// SAFETY: see the module docs: writers touch disjoint elements through `base`, and `data`
// is only accessed again (in `into_array`) once no writer exists.
unsafe impl Send for OutputBuffer {}
unsafe impl Sync for OutputBuffer {}

impl OutputBuffer {
    /// A zeroed buffer for an array of `shape` and `dtype`.
    pub fn new(dtype: DType, shape: &[usize]) -> Arc<Self> {
        let n: usize = shape.iter().product();
        let mut col = with_dtype!(dtype, T => T::owned(vec![T::default(); n]));
        let base =
            with_dtype!(dtype, T => T::col_vec(&mut col).expect("owned").as_mut_ptr() as *mut u8);
        let mut strides = vec![1; shape.len()];
        for a in (0..shape.len().saturating_sub(1)).rev() {
            strides[a] = strides[a + 1] * shape[a + 1];
        }
        Arc::new(OutputBuffer {
            data: std::cell::UnsafeCell::new(col),
            base,
            dtype,
            shape: shape.to_vec(),
            strides,
        })
    }

    /// A sink writing the strips of the chunk at `offset` with `shape` into place.
    pub fn sink(&self, offset: &[usize], shape: &[usize]) -> Result<Box<dyn StripSink + '_>> {
        let fits = offset.len() == self.shape.len()
            && offset
                .iter()
                .zip(shape)
                .zip(&self.shape)
                .all(|((&o, &s), &full)| o + s <= full);
        if !fits {
            return Err(Error::ShapeMismatch(format!(
                "chunk at {offset:?} of shape {shape:?} does not fit the output {:?}",
                self.shape
            )));
        }
        Ok(Box::new(PlaceSink {
            buffer: self,
            offset: offset.to_vec(),
            shape: shape.to_vec(),
            row: vec![0; shape.len().saturating_sub(1)],
            col: 0,
        }))
    }

    /// The finished array (call once the run is over and no task holds the buffer).
    pub fn into_array<T: Element>(self: Arc<Self>) -> Result<ArrayD<T>> {
        let buffer = Arc::try_unwrap(self)
            .map_err(|_| Error::InvalidArgument("output buffer still shared".into()))?;
        let mut col = buffer.data.into_inner();
        let data = std::mem::take(
            T::col_vec(&mut col).ok_or_else(|| Error::InvalidArgument("output type".into()))?,
        );
        ArrayD::from_shape_vec(IxDyn(&buffer.shape), data)
            .map_err(|e| Error::ShapeMismatch(e.to_string()))
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }
}

struct PlaceSink<'a> {
    buffer: &'a OutputBuffer,
    offset: Vec<usize>,
    shape: Vec<usize>,
    row: Vec<usize>,
    col: usize,
}

impl PlaceSink<'_> {
    fn position(&self) -> usize {
        let s = &self.buffer.strides;
        let last = self.shape.len().saturating_sub(1);
        let mut pos = 0;
        for (a, &r) in self.row.iter().enumerate() {
            pos += (self.offset[a] + r) * s[a];
        }
        if !self.shape.is_empty() {
            pos += self.offset[last] + self.col;
        }
        pos
    }

    fn next_row(&mut self) {
        for a in (0..self.row.len()).rev() {
            self.row[a] += 1;
            if self.row[a] < self.shape[a] {
                return;
            }
            self.row[a] = 0;
        }
    }

    fn write<T: Element>(&mut self, data: &[T]) {
        let inner = self.shape.last().copied().unwrap_or(1);
        let mut k = 0;
        while k < data.len() {
            let seg = (inner - self.col).min(data.len() - k);
            let pos = self.position();
            // SAFETY: `pos..pos + seg` lies inside this chunk's region of the buffer (checked
            // in `sink`), which no other task writes (module docs).
            unsafe {
                let dst = (self.buffer.base as *mut T).add(pos);
                std::ptr::copy_nonoverlapping(data[k..].as_ptr(), dst, seg);
            }
            k += seg;
            self.col += seg;
            if self.col == inner {
                self.col = 0;
                self.next_row();
            }
        }
    }
}

impl StripSink for PlaceSink<'_> {
    fn push(&mut self, _start: usize, strip: &Col<'_>, len: usize) -> Result<()> {
        let dtype = self.buffer.dtype;
        if strip.dtype() != dtype {
            return Err(Error::InvalidArgument("output strip type".into()));
        }
        with_dtype!(dtype, T => {
            let data = T::col(strip).expect("checked type");
            self.write::<T>(&data[..len]);
        });
        Ok(())
    }
}
