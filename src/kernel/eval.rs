//! Evaluating a [`Program`] over one chunk: the chunk is walked in strips; each input
//! contributes a strip (a borrowed slice of a contiguous input, a strip gathered from a
//! broadcast input through its strides, never expanded, or a strip generated in place,
//! `generate`), every instruction runs as one
//! tight loop over the strip (`ops`), and the result strip goes to a [`StripSink`]: the
//! output chunk, a place in the final result, or a reduction's partial states. The strip
//! length is chosen so that all registers together fit in [`STRIP_BUDGET_BYTES`] (half of
//! a 32 KiB L1d cache), with at least 256 and at most 8192 elements.

use std::borrow::Cow;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::codegen::{self, Backend, Compiled, Fold, LeafFn};
use super::generate::{Generated, GeneratedChunk};
use super::ops;
use super::program::{InstrOp, Program, Src};
use crate::dtype::with_dtype;
use crate::dtype::{Col, Element};
use crate::error::{Error, Result};
use crate::graph::{Key, Value};

/// The bytes that a program's inputs and registers may take per strip: 16 KiB, half of a
/// common 32 KiB L1 data cache, so the registers stay in L1 while the input strips stream
/// through. Measured on this project's 2-core AMD EPYC machine (32 KiB L1d per core) at
/// 5e7 elements, 2 threads: pi 0.22 s at 64 KiB vs 0.126 s at 16 KiB, dist 0.15 s vs
/// 0.099 s, poly 0.78 s vs 0.67 s (8 KiB was no better).
///
/// Floating-point sums fold each strip pairwise (NumPy's 128-element blocks), so
/// their last bits depend on the strip length (hence on this budget and the number of
/// registers), though never on the thread count or scheduler.
pub const STRIP_BUDGET_BYTES: usize = 16 << 10;

/// Receives a program's result strips, in order.
pub trait StripSink {
    /// Strip of `len` elements starting at flat position `start` of the chunk.
    fn push(&mut self, start: usize, strip: &Col<'_>, len: usize) -> Result<()>;
    /// This sink as a [`LaneSink`], if it can fold a compiled program's lanes without
    /// their strips (a sum along the innermost axis); `None` (the default): strips only.
    fn lanes(&mut self) -> Option<&mut dyn LaneSink> {
        None
    }
}

/// A sink that folds lanes of a chunk's values from a compiled fold of them (a count or
/// block sums, see [`Fold`]) instead of from strips of the values: a reduction along the
/// innermost axis, whose accumulators then stay in registers and whose values are never
/// stored. It sees the strips of [`Program::run`], the same length, in the same order.
pub trait LaneSink {
    /// The folds the compiled functions do (one per function; var/std needs two).
    fn folds(&self) -> &'static [Fold];
    /// Folds the next strip, of `len` elements: `leaf(Leaf { fold, offset, len: n, .. })`
    /// is the compiled `fold` (one of [`LaneSink::folds`]) of the strip's elements
    /// `offset..offset + n`.
    fn push_lanes(&mut self, len: usize, leaf: &mut LeafFn<'_>) -> Result<()>;
}

/// Collects strips into a chunk buffer.
pub(crate) struct CollectSink<T> {
    pub(crate) data: Vec<T>,
}

impl<T: Element> StripSink for CollectSink<T> {
    fn push(&mut self, _start: usize, strip: &Col<'_>, len: usize) -> Result<()> {
        let s = T::col(strip).ok_or_else(|| super::internal("output strip type"))?;
        self.data.extend_from_slice(&s[..len]);
        Ok(())
    }
}

/// A source of input strips for one chunk: a contiguous chunk, a broadcast one read
/// through its strides, or a generated input (`generate::Generated`).
pub(crate) trait StripReader {
    fn load(&mut self, start: usize, len: usize) -> Col<'_>;
}

struct Contiguous<'a, T> {
    data: &'a [T],
}

impl<T: Element> StripReader for Contiguous<'_, T> {
    fn load(&mut self, start: usize, len: usize) -> Col<'_> {
        T::borrowed(&self.data[start..start + len])
    }
}

/// Reads an input broadcast to the chunk's shape through its strides (0 on broadcast
/// axes), walking the chunk in row-major order: each row is a slice copy, a splat (stride 0)
/// or a strided gather. Adjacent axes that are contiguous together are merged first, so rows
/// are as long as possible.
struct Strided<'a, T> {
    data: &'a [T],
    shape: Vec<usize>,
    strides: Vec<isize>,
    index: Vec<usize>,
    offset: isize,
    col: usize,
    buf: Vec<T>,
}

impl<'a, T: Element> Strided<'a, T> {
    fn new(chunk: &'a ArrayD<T>, shape: &[usize]) -> Option<Self> {
        let pad = shape.len().checked_sub(chunk.ndim())?;
        let mut strides = vec![0isize; shape.len()];
        for (a, (&len, &stride)) in chunk.shape().iter().zip(chunk.strides()).enumerate() {
            if len == shape[pad + a] {
                strides[pad + a] = if len == 1 { 0 } else { stride };
            } else if len != 1 {
                return None;
            }
        }
        // Merge axis a into a + 1 when stepping a equals a full run of a + 1.
        let mut dims: Vec<(usize, isize)> = Vec::new();
        for (&len, &stride) in shape.iter().zip(&strides) {
            if len == 1 {
                continue;
            }
            match dims.last_mut() {
                Some(last) if last.1 == stride * len as isize => *last = (last.0 * len, stride),
                _ => dims.push((len, stride)),
            }
        }
        if dims.is_empty() {
            dims.push((1, 0));
        }
        let data = chunk.as_slice_memory_order()?;
        // With negative strides the first logical element is not the lowest address.
        let min_offset: isize = chunk
            .shape()
            .iter()
            .zip(chunk.strides())
            .map(|(&l, &s)| {
                if s < 0 && l > 0 {
                    s * (l as isize - 1)
                } else {
                    0
                }
            })
            .sum();
        Some(Strided {
            data,
            index: vec![0; dims.len()],
            shape: dims.iter().map(|d| d.0).collect(),
            strides: dims.iter().map(|d| d.1).collect(),
            offset: -min_offset,
            col: 0,
            buf: Vec::new(),
        })
    }

    fn next_row(&mut self) {
        let last = self.shape.len() - 1;
        for a in (0..last).rev() {
            self.index[a] += 1;
            self.offset += self.strides[a];
            if self.index[a] < self.shape[a] {
                return;
            }
            self.offset -= self.strides[a] * self.shape[a] as isize;
            self.index[a] = 0;
        }
    }
}

impl<T: Element> StripReader for Strided<'_, T> {
    fn load(&mut self, _start: usize, len: usize) -> Col<'_> {
        self.buf.clear();
        self.buf.reserve(len);
        let last = self.shape.len() - 1;
        let (inner, step) = (self.shape[last], self.strides[last]);
        // A short contiguous row repeated along a broadcast (stride 0) axis just outside it
        // (`r[:, None, :]` of 2-d points): whole repeats at once, doubling the copied run
        // (`extend_from_within`), not one short run and row step per repeat.
        let tile = last > 0 && step == 1 && self.strides[last - 1] == 0 && inner <= 16;
        while self.buf.len() < len {
            if tile && self.col == 0 {
                let reps_left = self.shape[last - 1] - self.index[last - 1];
                let reps = reps_left.min((len - self.buf.len()) / inner);
                if reps > 1 {
                    let at = self.offset as usize;
                    let from = self.buf.len();
                    self.buf.extend_from_slice(&self.data[at..at + inner]);
                    let mut have = 1;
                    while have < reps {
                        let more = have.min(reps - have);
                        self.buf.extend_from_within(from..from + more * inner);
                        have += more;
                    }
                    // Step the repeat axis on by reps - 1 rows (offset unchanged: stride 0);
                    // the last repeat's row step below carries into the outer axes.
                    self.index[last - 1] += reps - 1;
                    self.next_row();
                    continue;
                }
            }
            let run = (inner - self.col).min(len - self.buf.len());
            let at = (self.offset + self.col as isize * step) as usize;
            match step {
                0 => self.buf.extend(std::iter::repeat_n(self.data[at], run)),
                // Short runs (a broadcast row of 2-d points, say) copy element by element:
                // a memcpy call per run of 2 cost more than the copy.
                1 if run <= 16 => self.buf.extend(self.data[at..at + run].iter().copied()),
                1 => self.buf.extend_from_slice(&self.data[at..at + run]),
                _ => self.buf.extend(
                    (0..run).map(|k| self.data[(at as isize + k as isize * step) as usize]),
                ),
            }
            self.col += run;
            if self.col == inner {
                self.col = 0;
                self.next_row();
            }
        }
        T::borrowed(&self.buf)
    }
}

fn reader<'a, T: Element>(
    value: &'a Value,
    key: &Key,
    shape: &[usize],
) -> Result<Box<dyn StripReader + 'a>> {
    if let Some(generated) = value.downcast_ref::<GeneratedChunk>() {
        let reader = Generated::<T>::new(generated, shape).ok_or_else(|| {
            super::internal(format!(
                "generated input {key} is not a {}-d {} chunk",
                shape.len(),
                T::DTYPE
            ))
        })?;
        return Ok(Box::new(reader));
    }
    let chunk: &ArrayD<T> = value.get(key)?;
    if chunk.shape() == shape
        && let Some(data) = chunk.as_slice()
    {
        return Ok(Box::new(Contiguous { data }));
    }
    let strided = Strided::new(chunk, shape).ok_or_else(|| {
        Error::ShapeMismatch(format!(
            "chunk of shape {:?} cannot broadcast to {shape:?}",
            chunk.shape()
        ))
    })?;
    Ok(Box::new(strided))
}

impl Program {
    /// The strip length for this program (see the module docs).
    pub fn strip_len(&self) -> usize {
        let columns = self.instrs.len() + self.inputs.len();
        let budget: usize = STRIP_BUDGET_BYTES;
        (budget / (8 * columns.max(1))).clamp(256, 8192)
    }

    /// Evaluates the program over one chunk of `shape`, whose inputs are `inputs` (chunks
    /// broadcastable to `shape`, named by `keys` for error messages), sending result strips
    /// to `sink`.
    pub fn run(
        &self,
        inputs: &[Value],
        keys: &[Key],
        shape: &[usize],
        sink: &mut dyn StripSink,
    ) -> Result<()> {
        let mut readers = self.readers(inputs, keys, shape)?;
        let n: usize = shape.iter().product();
        let strip = self.strip_len().min(n.max(1));
        let mut regs: Vec<Col<'static>> = self.instrs.iter().map(|i| Col::empty(i.dtype)).collect();
        for (reg, instr) in regs.iter_mut().zip(&self.instrs) {
            if let InstrOp::Const(value) = instr.op {
                ops::splat(value, reg, strip)?;
            }
        }
        let mut start = 0;
        while start < n {
            let len = strip.min(n - start);
            let strips: Vec<Col<'_>> = readers.iter_mut().map(|r| r.load(start, len)).collect();
            for (i, instr) in self.instrs.iter().enumerate() {
                if matches!(instr.op, InstrOp::Const(_)) {
                    continue;
                }
                let mut out = std::mem::replace(&mut regs[i], Col::Bool(Cow::Borrowed(&[])));
                let arg = |k: usize| match instr.args[k] {
                    Src::Input(j) => &strips[j],
                    Src::Reg(r) => &regs[r],
                };
                match &instr.op {
                    InstrOp::Unary(op) => ops::unary(*op, arg(0), &mut out, len)?,
                    InstrOp::Binary(op) => ops::binary(*op, arg(0), arg(1), &mut out, len)?,
                    InstrOp::BinaryScalar(op, s, left) => {
                        ops::binary_scalar(*op, arg(0), *s, *left, &mut out, len)?
                    }
                    InstrOp::Where => ops::select(arg(0), arg(1), arg(2), &mut out, len)?,
                    InstrOp::Cast(to) => ops::cast(arg(0), *to, &mut out, len)?,
                    InstrOp::Map(f, _) => {
                        let args: Vec<&Col<'_>> = (0..instr.args.len()).map(arg).collect();
                        f.apply(&args, &mut out, len)?
                    }
                    InstrOp::Const(_) => unreachable!("constants are skipped above"),
                }
                regs[i] = out;
            }
            let result = match self.output {
                Src::Input(j) => &strips[j],
                Src::Reg(r) => &regs[r],
            };
            sink.push(start, result, len)?;
            start += len;
        }
        Ok(())
    }

    /// The strip readers of the inputs.
    fn readers<'a>(
        &self,
        inputs: &'a [Value],
        keys: &[Key],
        shape: &[usize],
    ) -> Result<Vec<Box<dyn StripReader + 'a>>> {
        inputs
            .iter()
            .zip(keys)
            .zip(&self.inputs)
            .map(|((v, k), &dt)| with_dtype!(dt, T => reader::<T>(v, k, shape)))
            .collect()
    }

    /// Like [`Program::run`], on `backend`: with [`Backend::Compiled`] a program that
    /// compiles runs as one native call per strip (same strips, same strip length, same
    /// sink, so the same results), or, when the sink folds lanes ([`LaneSink`]), as one
    /// call per piece of a lane in a strip, folding in registers; anything else runs in
    /// the interpreter.
    pub fn run_with(
        &self,
        backend: Backend,
        inputs: &[Value],
        keys: &[Key],
        shape: &[usize],
        sink: &mut dyn StripSink,
    ) -> Result<()> {
        if backend == Backend::Compiled {
            // A sink asking for no folds (none does) takes strips, like any other; so does
            // one asking for several (each computing the program) of a costly program.
            if let Some(lanes) = sink.lanes()
                && !lanes.folds().is_empty()
                && (lanes.folds().len() == 1 || codegen::cheap_to_repeat(self))
                && let Some(functions) = lanes
                    .folds()
                    .iter()
                    .map(|&fold| codegen::compiled_fold(self, fold))
                    .collect::<Option<Vec<_>>>()
            {
                return self.run_folded(&functions, inputs, keys, shape, lanes);
            }
            if let Some(compiled) = codegen::compiled(self) {
                return self.run_compiled(&compiled, inputs, keys, shape, sink);
            }
        }
        self.run(inputs, keys, shape, sink)
    }

    /// The strip loop of [`Program::run`] with each strip folded by the compiled
    /// `functions` (one per fold of the sink) into `sink`, lane piece by lane piece.
    fn run_folded(
        &self,
        functions: &[Arc<Compiled>],
        inputs: &[Value],
        keys: &[Key],
        shape: &[usize],
        sink: &mut dyn LaneSink,
    ) -> Result<()> {
        let mut readers = self.readers(inputs, keys, shape)?;
        let n: usize = shape.iter().product();
        let strip = self.strip_len().min(n.max(1));
        let mut ptrs = Vec::with_capacity(readers.len());
        let mut start = 0;
        while start < n {
            let len = strip.min(n - start);
            let strips: Vec<Col<'_>> = readers.iter_mut().map(|r| r.load(start, len)).collect();
            sink.push_lanes(len, &mut |leaf| {
                let compiled = functions
                    .iter()
                    .find(|f| f.fold() == leaf.fold)
                    .ok_or_else(|| super::internal("a lane fold the sink did not ask for"))?;
                compiled.fold_value(&strips, &mut ptrs, leaf)
            })?;
            start += len;
        }
        Ok(())
    }

    /// The strip loop of [`Program::run`] with the instructions replaced by `compiled`.
    fn run_compiled(
        &self,
        compiled: &Compiled,
        inputs: &[Value],
        keys: &[Key],
        shape: &[usize],
        sink: &mut dyn StripSink,
    ) -> Result<()> {
        let mut readers = self.readers(inputs, keys, shape)?;
        let n: usize = shape.iter().product();
        let strip = self.strip_len().min(n.max(1));
        let mut out = Col::empty(self.out_dtype());
        let mut ptrs = Vec::with_capacity(readers.len());
        let mut start = 0;
        while start < n {
            let len = strip.min(n - start);
            let strips: Vec<Col<'_>> = readers.iter_mut().map(|r| r.load(start, len)).collect();
            compiled.run_strip(&strips, &mut ptrs, &mut out, len)?;
            sink.push(start, &out, len)?;
            start += len;
        }
        Ok(())
    }

    /// Evaluates the program over one chunk and returns the result chunk.
    #[cfg(test)]
    pub fn run_to_array(&self, inputs: &[Value], keys: &[Key], shape: &[usize]) -> Result<Value> {
        self.run_to_array_with(Backend::Interpreter, inputs, keys, shape)
    }

    /// [`Program::run_to_array`] on `backend`.
    pub fn run_to_array_with(
        &self,
        backend: Backend,
        inputs: &[Value],
        keys: &[Key],
        shape: &[usize],
    ) -> Result<Value> {
        with_dtype!(self.out_dtype(), T => {
            let data = Vec::with_capacity(shape.iter().product());
            super::hugepage::advise(&data);
            let mut sink = CollectSink::<T> { data };
            self.run_with(backend, inputs, keys, shape, &mut sink)?;
            let array = ArrayD::from_shape_vec(IxDyn(shape), sink.data)
                .map_err(|e| Error::ShapeMismatch(e.to_string()))?;
            Ok(Value::new(array))
        })
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::kernel::program::tests::diff_squared;

    #[test]
    fn runs_with_broadcast_inputs_without_expanding_them() {
        let a = Value::new(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]].into_dyn());
        let b = Value::new(array![[1.0], [2.0]].into_dyn());
        let keys = [Key::new("a"), Key::new("b")];
        let out = diff_squared()
            .run_to_array(&[a, b], &keys, &[2, 3])
            .unwrap();
        let out: &ArrayD<f64> = out.get(&keys[0]).unwrap();
        assert_eq!(out, &array![[0.0, 1.0, 4.0], [4.0, 9.0, 16.0]].into_dyn());
    }

    #[test]
    fn a_short_row_repeated_along_a_broadcast_axis_reads_as_expanded() {
        // [3, 1, 2] read as [3, 5, 2] (and [2, 1, 3, 1, 2] as [2, 4, 3, 2, 2]: repeats
        // inside repeats), in strips of every length, so strips start and end mid-row and
        // mid-repeat.
        for (small, shape) in [
            (vec![3usize, 1, 2], vec![3usize, 5, 2]),
            (vec![2, 1, 3, 1, 2], vec![2, 4, 3, 2, 2]),
            (vec![4, 1, 16], vec![4, 3, 16]),
        ] {
            let n: usize = small.iter().product();
            let chunk =
                ArrayD::from_shape_vec(IxDyn(&small), (0..n).map(|v| v as f64).collect()).unwrap();
            let want: Vec<f64> = chunk
                .broadcast(IxDyn(&shape))
                .unwrap()
                .iter()
                .copied()
                .collect();
            for strip in 1..=want.len() {
                let mut reader = Strided::new(&chunk, &shape).unwrap();
                let mut got = Vec::new();
                let mut start = 0;
                while start < want.len() {
                    let len = strip.min(want.len() - start);
                    got.extend_from_slice(f64::col(&reader.load(start, len)).unwrap());
                    start += len;
                }
                assert_eq!(got, want, "{small:?} as {shape:?} in strips of {strip}");
            }
        }
    }

    #[test]
    fn wrong_input_type_is_an_error() {
        let a = Value::new(array![1_i32].into_dyn());
        let keys = [Key::new("a"), Key::new("b")];
        let err = diff_squared()
            .run_to_array(&[a.clone(), a], &keys, &[1])
            .unwrap_err();
        assert!(matches!(err, Error::TypeMismatch { .. }));
    }
}
