//! The compiled backend: a fused elementwise [`Program`] becomes one native loop over a
//! strip, built with Cranelift (issue 12).
//!
//! - [`translate`]: the program → Cranelift IR (one loop, intermediates in registers);
//! - [`jit`]: IR → machine code in executable memory;
//! - [`calls`]: the interpreter's Rust functions that compiled code calls (`exp`, `powf`, ...);
//! - here: the backend switch ([`Backend`]), what a compiled function does ([`Fold`]: write
//!   a strip, or fold it for a reduction: a count, a block sum, an extreme, an arg
//!   extreme, a product, squared deviations), the process-wide
//!   cache of compiled programs, the counters, and `Compiled::call`, the one `unsafe` call
//!   into compiled code.
//!
//! [`Program::run_with`](crate::kernel::program::Program) keeps the interpreter's strip
//! readers, strip length and sinks, and only replaces the instruction loop of each strip by
//! one call, so every sink (collect, write in place, reduce) sees the same strips and the
//! results are the interpreter's bit for bit. A reduction along a long enough
//! innermost axis goes further: its sink takes a fold of each piece of a lane in a strip
//! (for a sum, a [`Fold::Count`] or the [`Fold::PairwiseSum`] of each of the pairwise tree's
//! leaves; for argmax, the [`Fold::ArgMax`] and the piece's first index), so the
//! accumulators stay in registers and the values are never stored; the same pieces and leaves, added in the
//! same order, give the same bits (but for which NaN a NaN sum carries: Cranelift may
//! commute an add's operands, and x86 passes on the first NaN operand).
//!
//! Programs are compiled on first use and cached by structure for the life of the process;
//! a program that does not compile (a user closure, an operation the interpreter would
//! reject) is remembered as such and runs in the interpreter. Setting the environment
//! variable `CHUNKFLOW_CODEGEN_DUMP=1` prints each program's Cranelift IR, compile time or
//! reason for falling back to stderr; [`stats`] counts them.

mod calls;
mod jit;
mod translate;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::pairwise;
use super::program::{InstrOp, Program, Src};
use crate::dtype::with_dtype;
use crate::dtype::{Col, DType, Element};
use crate::error::Result;

/// Which backend runs fused programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The strip interpreter: one loop per instruction.
    Interpreter,
    /// Cranelift-compiled strip loops, the interpreter for what does not compile.
    Compiled,
}

impl Backend {
    /// The default: compiled where Cranelift's JIT is supported and tested (x86_64,
    /// aarch64), the interpreter elsewhere.
    pub const fn default_for_target() -> Backend {
        if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
            Backend::Compiled
        } else {
            Backend::Interpreter
        }
    }

    /// `on`: the compiled backend where supported; off: the interpreter.
    pub const fn from_switch(on: bool) -> Backend {
        if on {
            Backend::default_for_target()
        } else {
            Backend::Interpreter
        }
    }
}

impl Default for Backend {
    fn default() -> Self {
        Backend::default_for_target()
    }
}

/// What a compiled function does with a program's values over `len` elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fold {
    /// Writes them: `out[..len]`, a strip of the program's output type.
    Strip,
    /// Counts the true ones (a bool program): one i64, the lane of a `sum` of bools.
    Count,
    /// Adds them as the reducers sum integers (an integer program): each value widened to
    /// 64 bits (sign-extended from a signed type, zero-extended from an unsigned one),
    /// added with wrapping: one i64 (the bits of a u64 sum for unsigned types), the lane
    /// of an integer `sum`. Wrapping addition is exact, so the order does not matter.
    IntSum,
    /// Adds them as NumPy's pairwise summation does (an f64 program): each leaf of the
    /// [`pairwise`](crate::kernel::pairwise) tree as the reducers' `block_sum` adds it,
    /// the leaves' sums as the tree adds them: one f64, a lane of a float `sum`. The
    /// compiled function sums all the leaves of a lane in one call.
    PairwiseSum,
    /// Their maximum as `max` folds a lane (an f64 program, at least one element): from
    /// the first value on, NumPy's NaN-propagating `maximum`, one value after another (the
    /// first NaN wins; of equal values the later, so the sign of the last of tied zeros).
    Max,
    /// Their minimum, as [`Fold::Max`] with NumPy's `minimum`.
    Min,
    /// Their product as `prod` folds a lane (an f64 program): the seed (the product so
    /// far) times each value in order, one f64.
    Prod,
    /// The pairwise sum of their squared deviations from the seed (a mean), `(x - mean)^2`
    /// as the reducers compute it, added as [`Fold::PairwiseSum`] adds: one f64, the `M2`
    /// of a `var`/`std` lane.
    SquaredDeviations,
    /// The first maximum as `argmax` folds a lane (an f64 program, at least one element):
    /// its value and its index in the piece ([`Best`]); the first NaN wins, and of equal
    /// values the first.
    ArgMax,
    /// The first minimum, as [`Fold::ArgMax`].
    ArgMin,
    /// Their maximum as `nanmax` folds a lane (an f64 program, at least one element): as
    /// [`Fold::Max`] over the values that are not NaN; NaN when all are NaN (no value).
    NanMax,
    /// Their minimum as `nanmin` folds a lane, as [`Fold::NanMax`].
    NanMin,
    /// The first maximum as `nanargmax` folds a lane (an f64 program, at least one
    /// element): as [`Fold::ArgMax`] over the values that are not NaN; when all are NaN
    /// (no value) the [`Best`]'s value is NaN.
    NanArgMax,
    /// The first minimum as `nanargmin` folds a lane, as [`Fold::NanArgMax`].
    NanArgMin,
}

/// What [`Fold::ArgMax`], [`Fold::ArgMin`], [`Fold::NanArgMax`] and [`Fold::NanArgMin`]
/// write: the best value and its index.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Best {
    /// The value.
    pub value: f64,
    /// Its index, counted from the piece's first element.
    pub index: u64,
}

/// One piece of a lane a [`LaneSink`](crate::kernel::eval::LaneSink) asks a compiled fold
/// for: elements `offset..offset + len` of the current strip, folded by `fold`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Leaf {
    /// Which fold (one of the sink's [`LaneSink::folds`](crate::kernel::eval::LaneSink::folds)).
    pub fold: Fold,
    /// The first element, within the strip.
    pub offset: usize,
    /// How many elements.
    pub len: usize,
    /// The product so far for [`Fold::Prod`], the mean for [`Fold::SquaredDeviations`];
    /// unused by the other folds.
    pub seed: f64,
}

impl Leaf {
    /// `fold` of elements `offset..offset + len`, without a seed.
    pub fn new(fold: Fold, offset: usize, len: usize) -> Leaf {
        Leaf {
            fold,
            offset,
            len,
            seed: 0.0,
        }
    }
}

/// The most leaves of a pairwise sum one compiled call sums ([`Fold::PairwiseSum`]): a
/// lane piece of up to 4032 elements in one call (a leaf has 64 to 128 elements), a
/// longer one (strips have up to 8192) in a few. The slots live on the stack and are
/// zeroed for each call, so they stay few.
const LEAVES_PER_CALL: usize = 64;

/// What a compiled fold (any but [`Fold::Strip`]) gives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FoldValue {
    /// The number of true values.
    Count(i64),
    /// Their wrapping 64-bit sum ([`Fold::IntSum`]).
    IntSum(i64),
    /// Their pairwise sum ([`Fold::PairwiseSum`], [`Fold::SquaredDeviations`]).
    Sum(f64),
    /// Their maximum ([`Fold::Max`], [`Fold::NanMax`]) or minimum ([`Fold::Min`],
    /// [`Fold::NanMin`]).
    Extreme(f64),
    /// The seed times their product ([`Fold::Prod`]).
    Product(f64),
    /// The first maximum ([`Fold::ArgMax`], [`Fold::NanArgMax`]) or minimum
    /// ([`Fold::ArgMin`], [`Fold::NanArgMin`]) and its index.
    Best(Best),
}

impl FoldValue {
    /// The count, or an internal error for another fold's value.
    pub(crate) fn count(self) -> Result<i64> {
        match self {
            FoldValue::Count(c) => Ok(c),
            other => Err(super::internal(format!("{other:?} for a count"))),
        }
    }

    /// The integer sum, or an internal error for another fold's value.
    pub(crate) fn int_sum(self) -> Result<i64> {
        match self {
            FoldValue::IntSum(s) => Ok(s),
            other => Err(super::internal(format!("{other:?} for an integer sum"))),
        }
    }

    /// The sum, or an internal error for another fold's value.
    pub(crate) fn sum(self) -> Result<f64> {
        match self {
            FoldValue::Sum(s) => Ok(s),
            other => Err(super::internal(format!("{other:?} for a sum"))),
        }
    }

    /// The extreme, or an internal error for another fold's value.
    pub(crate) fn extreme(self) -> Result<f64> {
        match self {
            FoldValue::Extreme(e) => Ok(e),
            other => Err(super::internal(format!("{other:?} for an extreme"))),
        }
    }

    /// The product, or an internal error for another fold's value.
    pub(crate) fn product(self) -> Result<f64> {
        match self {
            FoldValue::Product(p) => Ok(p),
            other => Err(super::internal(format!("{other:?} for a product"))),
        }
    }

    /// The best value and its index, or an internal error for another fold's value.
    pub(crate) fn best(self) -> Result<Best> {
        match self {
            FoldValue::Best(b) => Ok(b),
            other => Err(super::internal(format!("{other:?} for an arg extreme"))),
        }
    }
}

/// A compiled fold over a [`Leaf`] (elements `offset..offset + len` of the current strip): how a
/// reduction's sink asks for the values of its lanes' pieces (see
/// [`LaneSink`](crate::kernel::eval::LaneSink)).
pub type LeafFn<'a> = dyn FnMut(Leaf) -> Result<FoldValue> + 'a;

/// The compiled function: `fold` of `program(inputs[k][..len], ...)` into `out`, where
/// `inputs` points at one element pointer per program input.
pub(super) type StripFn = unsafe extern "C" fn(*const *const u8, *mut u8, usize);

/// A compiled program.
pub struct Compiled {
    func: StripFn,
    fold: Fold,
    inputs: Vec<DType>,
    output: DType,
    compile_time: Duration,
}

impl Compiled {
    /// `out[..len] = program(strips[0][..len], ...)`: one strip through compiled code
    /// ([`Fold::Strip`]). `ptrs` is scratch space for the input pointers. A strip of the
    /// wrong type or length is an error, checked before the call.
    pub(crate) fn run_strip(
        &self,
        strips: &[Col<'_>],
        ptrs: &mut Vec<*const u8>,
        out: &mut Col<'static>,
        len: usize,
    ) -> Result<()> {
        if self.fold != Fold::Strip || out.dtype() != self.output {
            return Err(super::internal("compiled program: output strip type"));
        }
        let out_ptr = with_dtype!(self.output, T => {
            let v = T::col_vec(out).ok_or_else(|| super::internal("output strip type"))?;
            v.resize(len, T::default());
            v.as_mut_ptr().cast::<u8>()
        });
        // The output: a vector of the output type resized to `len`, borrowed (so unmoved)
        // for the whole call.
        self.call(strips, ptrs, 0, len, out_ptr, len)
    }

    /// The fold this function does.
    pub(crate) fn fold(&self) -> Fold {
        self.fold
    }

    /// This function's fold (any but [`Fold::Strip`]) of the `leaf`'s elements
    /// `program(strips[0][offset..offset + len], ...)`, `leaf.fold` being this function's.
    /// A length the fold does not take (an extreme of no elements, a count a vector lane
    /// could overflow) is an error, checked before the call.
    pub(crate) fn fold_value(
        &self,
        strips: &[Col<'_>],
        ptrs: &mut Vec<*const u8>,
        leaf: Leaf,
    ) -> Result<FoldValue> {
        let Leaf {
            fold,
            offset,
            len,
            seed,
        } = leaf;
        if fold != self.fold {
            return Err(super::internal(format!(
                "a {fold:?} leaf for a compiled {:?}",
                self.fold
            )));
        }
        let mut one_value = |start| self.fold_one_value(strips, ptrs, offset, len, start);
        match fold {
            // A vector lane counts up to len / 2 elements in 32 bits (f32 programs).
            Fold::Count if len <= i32::MAX as usize => self
                .fold_one_value(strips, ptrs, offset, len, 0i64)
                .map(FoldValue::Count),
            Fold::IntSum => self
                .fold_one_value(strips, ptrs, offset, len, 0i64)
                .map(FoldValue::IntSum),
            Fold::PairwiseSum | Fold::SquaredDeviations => self
                .pairwise_sum(strips, ptrs, offset, len, seed)
                .map(FoldValue::Sum),
            Fold::Prod => one_value(seed).map(FoldValue::Product),
            // The extreme starts at the first element, so it needs one.
            Fold::Max | Fold::Min | Fold::NanMax | Fold::NanMin if len > 0 => {
                one_value(0.0).map(FoldValue::Extreme)
            }
            Fold::ArgMax | Fold::ArgMin | Fold::NanArgMax | Fold::NanArgMin if len > 0 => {
                let start = Best {
                    value: 0.0,
                    index: 0,
                };
                self.fold_one_value(strips, ptrs, offset, len, start)
                    .map(FoldValue::Best)
            }
            _ => Err(super::internal(format!(
                "compiled {fold:?} of {len} elements"
            ))),
        }
    }

    /// [`Fold::PairwiseSum`] (or [`Fold::SquaredDeviations`] from the mean `seed`) of the
    /// elements `offset..offset + len`: the compiled function sums the pairwise tree's
    /// leaves ([`pairwise::leaves`]), up to [`LEAVES_PER_CALL`] in one call, and
    /// [`pairwise::combine`] adds their sums as the tree does.
    fn pairwise_sum(
        &self,
        strips: &[Col<'_>],
        ptrs: &mut Vec<*const u8>,
        offset: usize,
        len: usize,
        seed: f64,
    ) -> Result<f64> {
        if len / 64 + 1 > LEAVES_PER_CALL {
            // More leaves than one call takes (longer than any strip): the tree's halves.
            let half = pairwise::split(len);
            let first = self.pairwise_sum(strips, ptrs, offset, half, seed)?;
            return Ok(first + self.pairwise_sum(strips, ptrs, offset + half, len - half, seed)?);
        }
        // The seed, then each leaf's length, replaced by its sum.
        let mut slots = [0u64; 1 + LEAVES_PER_CALL];
        slots[0] = seed.to_bits();
        let mut leaves = 0;
        pairwise::leaves(len, &mut |n| {
            leaves += 1;
            slots[leaves] = n as u64;
        });
        // The slots: 1 + `leaves` u64, borrowed for the call.
        self.call(
            strips,
            ptrs,
            offset,
            len,
            slots.as_mut_ptr().cast::<u8>(),
            leaves,
        )?;
        let mut sums = slots[1..=leaves].iter().map(|&bits| f64::from_bits(bits));
        let sum = pairwise::combine(len, &mut || sums.next().unwrap_or(f64::NAN));
        Ok(sum)
    }

    /// Calls the fold function with `start` in its result's place (the seed a seeded fold
    /// reads there), and returns the one result of type `T` it writes there (i64 for
    /// [`Fold::Count`] and [`Fold::IntSum`], [`Best`] for the arg extremes, f64 for the others, as
    /// [`Compiled::fold_value`] asks).
    fn fold_one_value<T: Copy>(
        &self,
        strips: &[Col<'_>],
        ptrs: &mut Vec<*const u8>,
        offset: usize,
        len: usize,
        start: T,
    ) -> Result<T> {
        let mut value = start;
        self.call(
            strips,
            ptrs,
            offset,
            len,
            (&raw mut value).cast::<u8>(),
            len,
        )?;
        Ok(value)
    }

    /// Calls the compiled function on elements `offset..offset + len` of `strips`, the
    /// result to `out`: `len` elements of the output type for [`Fold::Strip`], one i64
    /// for [`Fold::Count`] and [`Fold::IntSum`], one [`Best`] (an f64, then an i64 index) for the arg extremes,
    /// `1 + count` u64 slots for the pairwise sums (the seed, then the lengths of `count`
    /// leaves that add up to `len`), one f64 for the other folds, as the callers above
    /// provide (with `len > 0` for the extremes and arg extremes). `count` is the
    /// function's length argument: `len`, but the number of leaves for the pairwise sums.
    fn call(
        &self,
        strips: &[Col<'_>],
        ptrs: &mut Vec<*const u8>,
        offset: usize,
        len: usize,
        out: *mut u8,
        count: usize,
    ) -> Result<()> {
        if strips.len() != self.inputs.len() {
            return Err(super::internal("compiled program: wrong number of strips"));
        }
        ptrs.clear();
        for (strip, &dtype) in strips.iter().zip(&self.inputs) {
            let (p, n) = col_ptr(strip);
            if strip.dtype() != dtype || offset.checked_add(len).is_none_or(|end| n < end) {
                return Err(super::internal(
                    "compiled program: input strip type or length",
                ));
            }
            // SAFETY: `offset + len <= n` (checked just above), so `offset` is within the
            // strip's allocation (or one past its end when `len` is 0).
            ptrs.push(unsafe { p.add(offset * dtype.size()) });
        }
        // SAFETY: `func` was compiled by `translate` from a program whose inputs are
        // `self.inputs` and whose result is `self.output` (checked well formed by
        // `translate::check`), to do `self.fold`. Just above, every input pointer was
        // taken from a live strip of exactly its input's element type holding at least
        // `offset + len` elements, and advanced by `offset` elements; `strips` and `ptrs`
        // stay borrowed, so unmoved, for the whole call. The private callers pass as
        // `out` room for what `self.fold` writes (see this function's docs), borrowed for
        // the call, and `count` as its length argument: `len`, or for a pairwise sum the
        // number of leaf lengths in `out`, which `pairwise::leaves` made to add up to
        // `len`. The function reads elements `0..len` from each input pointer and
        // reads (a seeded fold's seed) and writes `out` only (an extreme or arg extreme
        // reads element 0 even of an empty lane, so its caller passes `len > 0`; `out` is
        // always an initialised value of its type; an arg extreme writes the two 8-byte
        // fields of the `#[repr(C)]` `Best` at offsets 0 and 8, an index below `len`; a
        // pairwise sum reads slot 0 and reads and writes slots 1..=count of its u64
        // array, which has 1 + LEAVES_PER_CALL >= 1 + count slots, any bits being a u64),
        // each at its type's natural alignment (which Rust's slices, vectors and locals
        // have). It writes a bool output only as 0 or 1 (comparison
        // results, logic of 0/1 values, loaded bools, or constants), so the vector holds
        // valid bools afterwards. Its integer divisions never see a zero or overflowing
        // divisor (see `translate::divrem`), so it cannot trap, and the Rust functions it
        // calls (`calls`) never panic.
        unsafe { (self.func)(ptrs.as_ptr(), out, count) };
        Ok(())
    }
}

/// The data pointer and length of a strip.
fn col_ptr(c: &Col<'_>) -> (*const u8, usize) {
    fn raw<T>(s: &[T]) -> (*const u8, usize) {
        (s.as_ptr() as *const u8, s.len())
    }
    match c {
        Col::Bool(v) => raw(v),
        Col::I8(v) => raw(v),
        Col::I16(v) => raw(v),
        Col::U8(v) => raw(v),
        Col::U16(v) => raw(v),
        Col::I32(v) => raw(v),
        Col::I64(v) => raw(v),
        Col::U32(v) => raw(v),
        Col::U64(v) => raw(v),
        Col::F32(v) => raw(v),
        Col::F64(v) => raw(v),
    }
}

/// What the compiled backend did in this process so far (see [`codegen_stats`]).
///
/// [`codegen_stats`]: crate::diagnostics::codegen_stats
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Distinct programs compiled.
    pub compiled: u64,
    /// Distinct programs that run in the interpreter instead (user closures, operations
    /// that do not compile).
    pub fallbacks: u64,
    /// Total time spent compiling.
    pub compile_time: Duration,
}

impl Stats {
    /// What happened between `earlier` (a snapshot taken before) and `self`.
    ///
    /// ```
    /// use chunkflow::diagnostics::codegen_stats;
    /// let before = codegen_stats();
    /// assert_eq!(codegen_stats().since(&before).fallbacks, 0);
    /// ```
    pub fn since(&self, earlier: &Stats) -> Stats {
        Stats {
            compiled: self.compiled.saturating_sub(earlier.compiled),
            fallbacks: self.fallbacks.saturating_sub(earlier.fallbacks),
            compile_time: self.compile_time.saturating_sub(earlier.compile_time),
        }
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Stats) {
        self.compiled += other.compiled;
        self.fallbacks += other.fallbacks;
        self.compile_time += other.compile_time;
    }
}

static COMPILED: AtomicU64 = AtomicU64::new(0);
static FALLBACKS: AtomicU64 = AtomicU64::new(0);
static COMPILE_NANOS: AtomicU64 = AtomicU64::new(0);

/// The counters of the compiled backend for this process: programs compiled, programs left
/// to the interpreter, total compile time.
///
/// ```
/// use chunkflow::{Array, Options, diagnostics::codegen_stats};
/// let x = Array::<f64>::linspace(0.0, 1.0, 1000, 100)?;
/// // Three instructions: programs shorter than that stay in the interpreter.
/// ((&x * 3.0 + 1.0).sqrt()).sum().scalar_with(&Options::default().codegen(true))?;
/// let stats = codegen_stats();
/// assert!(stats.compiled + stats.fallbacks >= 1 || !cfg!(target_arch = "x86_64"));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn stats() -> Stats {
    Stats {
        compiled: COMPILED.load(Ordering::Relaxed),
        fallbacks: FALLBACKS.load(Ordering::Relaxed),
        compile_time: Duration::from_nanos(COMPILE_NANOS.load(Ordering::Relaxed)),
    }
}

/// A program's structure and fold as a key: equal keys, equal functions (user closures
/// by id).
fn key(program: &Program, fold: Fold) -> Vec<u64> {
    fn src(s: Src) -> u64 {
        match s {
            Src::Input(k) => (k as u64) << 1,
            Src::Reg(r) => ((r as u64) << 1) | 1,
        }
    }
    fn dt(d: DType) -> u64 {
        DType::ALL.iter().position(|&x| x == d).unwrap_or(99) as u64
    }
    let mut k = vec![program.inputs.len() as u64];
    k.extend(program.inputs.iter().map(|&d| dt(d)));
    for instr in &program.instrs {
        k.push(dt(instr.dtype));
        k.push(instr.args.len() as u64);
        k.extend(instr.args.iter().map(|&s| src(s)));
        // The operation by its Debug text plus exact constant bits (Debug prints floats
        // exactly, but not -0.0 vs NaN payloads; bits do).
        let (text, bits) = match &instr.op {
            InstrOp::Const(s) => (format!("const {:?}", s.dtype()), s.bits()),
            InstrOp::Unary(op) => (format!("unary {op:?}"), 0),
            InstrOp::Binary(op) => (format!("binary {op:?}"), 0),
            InstrOp::BinaryScalar(op, s, left) => {
                (format!("scalar {op:?} {:?} {left}", s.dtype()), s.bits())
            }
            InstrOp::Where => ("where".to_string(), 0),
            InstrOp::Cast(to) => (format!("cast {to:?}"), 0),
            InstrOp::Map(_, id) => ("map".to_string(), *id),
        };
        k.push(text.len() as u64);
        k.extend(text.bytes().map(u64::from));
        k.push(bits);
    }
    k.push(src(program.output));
    k.push(fold as u64);
    k
}

/// Programs compiled so far (`None`: falls back to the interpreter).
type Cache = HashMap<Vec<u64>, Option<Arc<Compiled>>>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn dump() -> bool {
    static DUMP: OnceLock<bool> = OnceLock::new();
    *DUMP.get_or_init(|| std::env::var_os("CHUNKFLOW_CODEGEN_DUMP").is_some_and(|v| v != "0"))
}

/// Whether computing `program` twice per element costs less than storing its values once
/// and reading them back: only for programs of lane-wise arithmetic with a vector form
/// (no calls such as `exp`, no casts or integer division). A sink whose folds each
/// compute the program (var/std: the sum, then the squared deviations) folds in
/// registers only then; otherwise it folds the compiled strip, computed once.
pub fn cheap_to_repeat(program: &Program) -> bool {
    translate::vector_shape(program).is_some()
}

/// The compiled strip function of `program` ([`Fold::Strip`]), compiling it on first use;
/// `None` when it runs in the interpreter (the reason is counted in [`stats`] and printed
/// under `CHUNKFLOW_CODEGEN_DUMP`).
pub fn compiled(program: &Program) -> Option<Arc<Compiled>> {
    compiled_fold(program, Fold::Strip)
}

/// The compiled function of `program` that does `fold`, compiling it on first use;
/// `None` when that does not compile (see [`compiled`]).
pub fn compiled_fold(program: &Program, fold: Fold) -> Option<Arc<Compiled>> {
    // User closures run in the interpreter: no need to key them.
    if program
        .instrs
        .iter()
        .any(|i| matches!(i.op, InstrOp::Map(..)))
    {
        return None;
    }
    let key = key(program, fold);
    // Compiling under the lock: the other workers wait for the one compile rather than
    // compile the same program again.
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(entry) = cache.get(&key) {
        return entry.clone();
    }
    let entry = match jit::compile(program, fold, dump()) {
        Ok(c) => {
            COMPILED.fetch_add(1, Ordering::Relaxed);
            COMPILE_NANOS.fetch_add(c.compile_time.as_nanos() as u64, Ordering::Relaxed);
            if dump() {
                eprintln!("chunkflow codegen: compiled in {:?}", c.compile_time);
            }
            Some(Arc::new(c))
        }
        Err(reason) => {
            FALLBACKS.fetch_add(1, Ordering::Relaxed);
            if dump() {
                eprintln!("chunkflow codegen: runs in the interpreter: {reason}");
            }
            None
        }
    };
    cache.insert(key, entry.clone());
    entry
}

#[cfg(test)]
mod tests;
