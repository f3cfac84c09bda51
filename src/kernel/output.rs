//! The final output buffer: when a requested array is computed by an elementwise program and
//! nothing else reads it, each chunk's task writes its strips straight into their place in
//! the result array, so assembling the result costs no copy and no per-chunk allocation.
//!
//! The buffer is built from the output's [`Chunks`] and hands out at most one writer per
//! block: [`OutputBuffer::claim`] flips the block's flag from free to claimed with one atomic
//! compare-and-swap, so a second claim of the same block (a scheduler that runs a task
//! twice, two tasks built for one block) is an [`Error`], never two writers. A writer marks
//! its block written when its task finishes; [`OutputBuffer::into_array`] refuses a result
//! with a block that was never written, so an incomplete run cannot pass zeros off as data.
//!
//! Safety argument (for every caller of this module's safe API):
//! - every write goes through a [`BlockWriter`], whose region is the block's offset and
//!   shape taken from the buffer's own chunks, so it lies inside the allocation (whose
//!   length is the chunks' total element count) whatever is pushed into it: positions wrap
//!   inside the block, and an element count beyond the block's is rejected;
//! - the chunks partition the array and each block has at most one writer ever (the atomic
//!   claim), so concurrent writers touch disjoint elements;
//! - the element storage (`data`) is touched only by `new` and `into_array`, and
//!   `into_array` takes the buffer by value out of its last `Arc`, when no writer (which
//!   borrows the buffer) can exist.

use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use ndarray::{ArrayD, IxDyn};

use super::eval::StripSink;
use crate::dtype::with_dtype;
use crate::dtype::{Col, DType, Element};
use crate::error::{Error, Result};
use crate::geometry::Chunks;
use crate::graph::{Key, Value};

/// A block's state: nobody has claimed it, a writer holds it, its writer finished.
const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const WRITTEN: u8 = 2;

/// A result array being written by many tasks, one block each.
pub(crate) struct OutputBuffer {
    data: UnsafeCell<Col<'static>>,
    base: *mut u8,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<usize>,
    chunks: Chunks,
    /// Per block (row-major over the chunk grid): FREE, CLAIMED or WRITTEN.
    blocks: Vec<AtomicU8>,
}

// SAFETY: see the module docs: writers touch disjoint elements through `base` (one writer
// per block, enforced by the atomic claim), and `data` is only accessed again (in
// `into_array`) once the buffer is owned by value, when no writer exists.
unsafe impl Send for OutputBuffer {}
unsafe impl Sync for OutputBuffer {}

impl OutputBuffer {
    /// A zeroed buffer for an array of `dtype` split into `chunks`.
    pub(crate) fn new(dtype: DType, chunks: &Chunks) -> Arc<Self> {
        let shape: Vec<usize> = (0..chunks.ndim())
            .map(|a| chunks.axis(a).iter().sum())
            .collect();
        let n: usize = shape.iter().product();
        let mut col = with_dtype!(dtype, T => {
            // Zeroed memory straight from the OS (calloc), so no page is touched yet:
            // advising it now lets the writers fault it in as huge pages.
            let zeroed = vec![T::default(); n];
            super::hugepage::advise(&zeroed);
            T::owned(zeroed)
        });
        let base = with_dtype!(dtype, T => {
            // One expansion is for u8, where the cast is the identity.
            #[allow(clippy::unnecessary_cast)]
            let base = T::col_vec(&mut col).expect("an owned column").as_mut_ptr() as *mut u8;
            base
        });
        let mut strides = vec![1; shape.len()];
        for a in (0..shape.len().saturating_sub(1)).rev() {
            strides[a] = strides[a + 1] * shape[a + 1];
        }
        Arc::new(OutputBuffer {
            data: UnsafeCell::new(col),
            base,
            dtype,
            shape,
            strides,
            blocks: (0..chunks.num_chunks())
                .map(|_| AtomicU8::new(FREE))
                .collect(),
            chunks: chunks.clone(),
        })
    }

    /// The writer of block `block`: an error if the index is not a block of this array or
    /// the block was claimed before.
    pub(crate) fn claim(&self, block: &[usize]) -> Result<BlockWriter<'_>> {
        let grid = self.chunks.grid();
        if block.len() != grid.len() || block.iter().zip(&grid).any(|(&b, &g)| b >= g) {
            return Err(super::internal(format!(
                "block {block:?} is not a block of an output with grid {grid:?}"
            )));
        }
        let flat = block.iter().zip(&grid).fold(0, |acc, (&b, &g)| acc * g + b);
        let state = &self.blocks[flat];
        if state
            .compare_exchange(FREE, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(Error::InvalidArgument(format!(
                "block {block:?} of the in-place result was already written by another task \
                 (a scheduler ran one task twice)"
            )));
        }
        let shape = self.chunks.block_shape(block);
        Ok(BlockWriter {
            buffer: self,
            state,
            offset: self.chunks.block_offset(block),
            capacity: shape.iter().product(),
            written: 0,
            row: vec![0; shape.len().saturating_sub(1)],
            col: 0,
            shape,
        })
    }

    /// The finished array: every block must have been written.
    pub(crate) fn into_array<T: Element>(self: Arc<Self>) -> Result<ArrayD<T>> {
        let buffer = Arc::try_unwrap(self)
            .map_err(|_| super::internal("output buffer still shared after the run"))?;
        if let Some((b, _)) = buffer
            .chunks
            .blocks()
            .zip(&buffer.blocks)
            .find(|(_, s)| s.load(Ordering::Acquire) != WRITTEN)
        {
            return Err(super::internal(format!(
                "block {b:?} of the in-place result was never written"
            )));
        }
        let mut col = buffer.data.into_inner();
        let data = std::mem::take(T::col_vec(&mut col).ok_or_else(|| {
            super::internal(format!(
                "output buffer of {} read as {}",
                buffer.dtype,
                T::DTYPE
            ))
        })?);
        ArrayD::from_shape_vec(IxDyn(&buffer.shape), data)
            .map_err(|e| Error::ShapeMismatch(e.to_string()))
    }
}

/// The one writer of one block of an [`OutputBuffer`]: a [`StripSink`] that writes the
/// block's strips (row-major within the block) at their place in the whole array.
pub(crate) struct BlockWriter<'a> {
    buffer: &'a OutputBuffer,
    state: &'a AtomicU8,
    offset: Vec<usize>,
    shape: Vec<usize>,
    /// The block's element count, and how many were written so far.
    capacity: usize,
    written: usize,
    row: Vec<usize>,
    col: usize,
}

impl BlockWriter<'_> {
    /// Marks the block written (call when its task has pushed every strip).
    pub(crate) fn finish(self) -> Result<()> {
        if self.written != self.capacity {
            return Err(super::internal(format!(
                "a task wrote {} of the {} elements of its output block",
                self.written, self.capacity
            )));
        }
        self.state.store(WRITTEN, Ordering::Release);
        Ok(())
    }

    /// Writes a whole computed chunk (an array of the buffer's element type and the
    /// block's shape, the value under `key`) into the block, and marks it written.
    pub(crate) fn write_chunk(mut self, value: &Value, key: &Key) -> Result<()> {
        let dtype = self.buffer.dtype;
        with_dtype!(dtype, T => {
            let chunk: &ArrayD<T> = value.get(key)?;
            if chunk.shape() != self.shape.as_slice() {
                return Err(Error::ShapeMismatch(format!(
                    "a chunk of shape {:?} for an output block of shape {:?}",
                    chunk.shape(),
                    self.shape
                )));
            }
            let chunk = chunk.as_standard_layout();
            let data = chunk.as_slice().ok_or_else(|| super::internal("a standard-layout chunk that is not contiguous"))?;
            self.write::<T>(data)?;
        });
        self.finish()
    }

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

    fn write<T: Element>(&mut self, data: &[T]) -> Result<()> {
        if data.len() > self.capacity - self.written {
            return Err(super::internal(format!(
                "{} more elements for an output block of {} with {} written",
                data.len(),
                self.capacity,
                self.written
            )));
        }
        // Past the check, capacity > 0 whenever data is non-empty, so inner > 0.
        let inner = self.shape.last().copied().unwrap_or(1);
        let mut k = 0;
        while k < data.len() {
            let seg = (inner - self.col).min(data.len() - k);
            let pos = self.position();
            // SAFETY: `pos..pos + seg` is row `self.row`, columns `col..col + seg` of this
            // block (seg <= inner - col), inside the array since the block's offset and
            // shape come from the buffer's chunks; no other writer holds this block
            // (module docs). `T` is the buffer's element type (checked in `push`).
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
        self.written += data.len();
        Ok(())
    }
}

impl StripSink for BlockWriter<'_> {
    fn push(&mut self, _start: usize, strip: &Col<'_>, len: usize) -> Result<()> {
        let dtype = self.buffer.dtype;
        with_dtype!(dtype, T => {
            let data = T::col(strip).ok_or_else(|| super::internal(format!("a {} strip for an output of {dtype}", strip.dtype())))?;
            let data = data.get(..len).ok_or_else(|| super::internal(format!("a strip of {} elements claims {len}", data.len())))?;
            self.write::<T>(data)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn push(writer: &mut BlockWriter<'_>, data: &[f64]) -> Result<()> {
        writer.push(0, &Col::F64(Cow::Borrowed(data)), data.len())
    }

    #[test]
    fn each_block_is_written_in_place_once() {
        let chunks = Chunks::from_lists(vec![vec![1, 1], vec![2, 1]]);
        let buffer = OutputBuffer::new(DType::F64, &chunks);
        for (b, data) in [
            (vec![0, 0], vec![1.0, 2.0]),
            (vec![0, 1], vec![3.0]),
            (vec![1, 0], vec![4.0, 5.0]),
            (vec![1, 1], vec![6.0]),
        ] {
            let mut w = buffer.claim(&b).unwrap();
            push(&mut w, &data).unwrap();
            w.finish().unwrap();
        }
        let a = buffer.into_array::<f64>().unwrap();
        assert_eq!(a.as_slice().unwrap(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn a_second_claim_of_a_block_is_an_error_not_a_second_writer() {
        let chunks = Chunks::from_lists(vec![vec![2, 2]]);
        let buffer = OutputBuffer::new(DType::F64, &chunks);
        let first = buffer.claim(&[1]).unwrap();
        // While the first writer holds the block, and after it finished.
        assert!(buffer.claim(&[1]).is_err());
        drop(first);
        assert!(buffer.claim(&[1]).is_err());
        // From other threads at once: exactly one of them gets the block.
        let buffer = OutputBuffer::new(DType::F64, &chunks);
        let winners: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| buffer.claim(&[0]).map(drop).is_ok()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap() as usize)
                .sum()
        });
        assert_eq!(winners, 1);
    }

    #[test]
    fn out_of_grid_blocks_overfull_writes_and_unwritten_blocks_are_errors() {
        let chunks = Chunks::from_lists(vec![vec![2, 1]]);
        let buffer = OutputBuffer::new(DType::F64, &chunks);
        assert!(buffer.claim(&[2]).is_err());
        assert!(buffer.claim(&[0, 0]).is_err());
        let mut w = buffer.claim(&[1]).unwrap();
        assert!(push(&mut w, &[1.0, 2.0]).is_err());
        // A wrong element type is refused too.
        assert!(w.push(0, &Col::I32(Cow::Borrowed(&[1])), 1).is_err());
        push(&mut w, &[7.0]).unwrap();
        w.finish().unwrap();
        let mut short = buffer.claim(&[0]).unwrap();
        push(&mut short, &[1.0]).unwrap();
        assert!(short.finish().is_err());
        let err = buffer.into_array::<f64>().unwrap_err();
        assert!(err.to_string().contains("never written"), "{err}");
    }
}
