//! Translating a [`Program`] into one Cranelift function over a strip, in one of these
//! forms ([`Fold`]):
//!
//! ```text
//! fn(inputs: *const *const u8, out: *mut u8, len: usize)
//!     Strip:    for i in 0..len { out[i] = program(inputs[0][i], inputs[1][i], ...) }
//!     Count:    *out = count of i in 0..len where program(...) is true      (i64)
//!     IntSum:   *out = wrapping sum of program(i) widened to 64 bits         (i64)
//!     PairwiseSum: len leaves, out = [seed, n_0, n_1, ...] (f64, then u64 lengths):
//!               out[1 + k] = block_sum(program(i) over leaf k's n_k elements)  (f64)
//!               (NumPy's pairwise-sum block, as the reducers compute it; the
//!               leaves one after another from element 0)
//!     SquaredDeviations: the same of (program(i) - seed)^2                  (f64)
//!     Max, Min: *out = maximum/minimum folded from program(0) on           (f64)
//!     NanMax, NanMin: the same over the values that are not NaN (none: NaN) (f64)
//!     Prod:     *out = *out * program(0) * program(1) * ...                 (f64)
//!     ArgMax, ArgMin: *out = (value, index) of the first best program(i)    (f64, i64)
//!     NanArgMax, NanArgMin: the same over the values that are not NaN       (f64, i64)
//!               (none: the value is NaN)
//! ```
//!
//! One loop over the elements; every register of the program is an SSA value of the loop
//! body, so intermediates live in machine registers and each element is loaded once; a
//! strip stores each result once, a fold keeps its accumulators in registers and stores
//! one value. Constants are materialised once, before the loops.
//!
//! Each operation is translated to exactly what [`ops`](crate::kernel::ops) computes for its
//! type (wrapping integer arithmetic, division by zero giving 0, NumPy's NaN-propagating
//! `maximum`/`minimum` as compare-and-select, saturating float → integer casts, ...); no
//! floating-point operation is reassociated or contracted (Cranelift never fuses a multiply
//! and an add on its own). Transcendental functions, `powf`, `powi` past the fourth power,
//! float remainders and floor divisions call the interpreter's own Rust functions
//! ([`calls`](super::calls)). An operation or type combination the interpreter does not
//! define (it would report an error) or that this translator does not know is an `Err`
//! with the reason, and the program runs in the interpreter instead.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block, FuncRef, Function, InstBuilder, MemFlagsData, Type, Value, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{Linkage, Module};

use super::Fold;
use super::calls::{self, CallOp};
use crate::dtype::with_dtype;
use crate::dtype::{DType, Element, FloatFn, FloatPred, Scalar};
use crate::kernel::ops::{BinaryOp, UnaryOp};
use crate::kernel::program::{InstrOp, Program, Src};

/// Why a program is not compiled.
pub(super) type Reason = String;

/// The Cranelift type holding one element of `d` (bool: a byte, 0 or 1).
pub(super) fn clif_type(d: DType) -> Type {
    match d {
        DType::Bool | DType::I8 | DType::U8 => types::I8,
        DType::I16 | DType::U16 => types::I16,
        DType::I32 | DType::U32 => types::I32,
        DType::I64 | DType::U64 => types::I64,
        DType::F32 => types::F32,
        DType::F64 => types::F64,
    }
}

fn is_signed(d: DType) -> bool {
    matches!(d, DType::I8 | DType::I16 | DType::I32 | DType::I64)
}

/// The vector form of a program: `n` lanes of the float type in 128-bit vectors, bools
/// as lane masks (all ones: true) of the same width.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lanes {
    n: u32,
    float: Type,
    mask: Type,
    mask_int: Type,
}

/// The vector shape of `program` if it has one: every value is of one float type or bool,
/// and every operation has an exact lane-wise form (arithmetic, sqrt, rounding, compares,
/// NaN-propagating maximum/minimum, logic, where, powi up to 4). Anything else (calls,
/// casts, integers) runs in the scalar loop alone.
pub(super) fn vector_shape(program: &Program) -> Option<Lanes> {
    let float = program
        .inputs
        .iter()
        .chain(program.instrs.iter().map(|i| &i.dtype))
        .find(|d| d.is_float())
        .copied()?;
    let ok_type = |d: DType| d == float || d == DType::Bool;
    if !program.inputs.iter().all(|&d| ok_type(d)) {
        return None;
    }
    let dtype_of = |s: Src| match s {
        Src::Input(k) => program.inputs.get(k).copied(),
        Src::Reg(r) => program.instrs.get(r).map(|i| i.dtype),
    };
    for instr in &program.instrs {
        if !ok_type(instr.dtype) {
            return None;
        }
        let arg = |k: usize| instr.args.get(k).and_then(|&s| dtype_of(s));
        let arith = |op: BinaryOp| {
            op.is_comparison()
                || matches!(
                    op,
                    BinaryOp::Add
                        | BinaryOp::Sub
                        | BinaryOp::Mul
                        | BinaryOp::Div
                        | BinaryOp::Maximum
                        | BinaryOp::Minimum
                )
        };
        let fine = match &instr.op {
            InstrOp::Const(_) => true,
            InstrOp::Unary(UnaryOp::Not) => arg(0) == Some(DType::Bool),
            InstrOp::Unary(u) => {
                arg(0) == Some(float)
                    && matches!(
                        u,
                        UnaryOp::Neg
                            | UnaryOp::Abs
                            | UnaryOp::Powi(1..=4)
                            | UnaryOp::Math(
                                FloatFn::Sqrt
                                    | FloatFn::Floor
                                    | FloatFn::Ceil
                                    | FloatFn::Trunc
                                    | FloatFn::Round
                                    | FloatFn::Rint
                            )
                    )
            }
            InstrOp::Binary(op) => match (arg(0), arg(1)) {
                (Some(DType::Bool), Some(DType::Bool)) => {
                    matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Xor)
                }
                (Some(a), Some(b)) => a == float && b == float && arith(*op),
                _ => false,
            },
            InstrOp::BinaryScalar(op, _, _) => arg(0) == Some(float) && arith(*op),
            InstrOp::Where => {
                arg(0) == Some(DType::Bool) && arg(1) == Some(instr.dtype) && arg(2) == arg(1)
            }
            InstrOp::Cast(_) | InstrOp::Map(..) => false,
        };
        if !fine {
            return None;
        }
    }
    let (n, float_t, mask, mask_int) = if float == DType::F64 {
        (2, types::F64X2, types::I64X2, types::I64)
    } else {
        (4, types::F32X4, types::I32X4, types::I32)
    };
    Some(Lanes {
        n,
        float: float_t,
        mask,
        mask_int,
    })
}

/// Checks that `program` is well formed and uses only what compiles, before any code is
/// built: its operand types, SSA wiring and operations.
pub(super) fn check(program: &Program) -> Result<(), Reason> {
    for (i, instr) in program.instrs.iter().enumerate() {
        if let InstrOp::Map(f, _) = &instr.op {
            return Err(format!(
                "user closure `{}` (runs in the interpreter)",
                f.name()
            ));
        }
        for src in &instr.args {
            match *src {
                Src::Input(k) if k < program.inputs.len() => {}
                Src::Reg(r) if r < i => {}
                other => return Err(format!("instruction {i} reads {other:?} out of order")),
            }
        }
    }
    match program.output {
        Src::Input(k) if k < program.inputs.len() => Ok(()),
        Src::Reg(r) if r < program.instrs.len() => Ok(()),
        other => Err(format!("output {other:?} does not exist")),
    }
}

/// Builds the function of `program` that does `fold` into `func`, declaring in `module`
/// the Rust functions it calls.
pub(super) fn translate(
    program: &Program,
    fold: Fold,
    module: &mut JITModule,
    func: &mut Function,
    vectorize: bool,
) -> Result<(), Reason> {
    check(program)?;
    let config = module.target_config();
    let ptr = config.pointer_type();
    func.signature.params = vec![AbiParam::new(ptr); 3];
    func.signature.returns.clear();
    let mut fctx = FunctionBuilderContext::new();
    let b = FunctionBuilder::new(func, &mut fctx);
    let mut t = Translator {
        b,
        module,
        funcs: HashMap::new(),
    };
    let lanes = if vectorize {
        vector_shape(program)
    } else {
        None
    };
    let result = t.body(program, ptr, lanes, fold);
    // Finish the function either way (an unfinished builder is a bug in debug builds).
    t.b.seal_all_blocks();
    t.b.finalize(config);
    result
}

/// The state of an arg extreme's loop ([`Translator::arg_extreme_loop`]): the best value
/// so far, its index, the comparison by which an element takes over, and whether NaN
/// elements are skipped (nanargmax, nanargmin).
struct ArgVars {
    best: Variable,
    at: Variable,
    better: FloatCC,
    skip_nan: bool,
}

struct Translator<'a, 'f> {
    b: FunctionBuilder<'f>,
    module: &'a mut JITModule,
    funcs: HashMap<&'static str, FuncRef>,
}

/// What one program's compiled code is, while its loops are built: the program, its
/// input base pointers and its constants (as scalars, and as vectors for the vector loop).
struct Code<'p> {
    program: &'p Program,
    bases: &'p [Value],
    consts: &'p [Option<(Value, DType)>],
    vconsts: &'p [Option<(Value, DType)>],
    lanes: Option<Lanes>,
}

impl Translator<'_, '_> {
    fn body(
        &mut self,
        program: &Program,
        ptr: Type,
        lanes: Option<Lanes>,
        fold: Fold,
    ) -> Result<(), Reason> {
        let out_dtype = program.out_dtype();
        match fold {
            Fold::Strip => {}
            Fold::Count if out_dtype == DType::Bool => {}
            Fold::IntSum if out_dtype.is_integer() => {}
            Fold::PairwiseSum
            | Fold::Max
            | Fold::Min
            | Fold::Prod
            | Fold::SquaredDeviations
            | Fold::ArgMax
            | Fold::ArgMin
            | Fold::NanMax
            | Fold::NanMin
            | Fold::NanArgMax
            | Fold::NanArgMin
                if out_dtype == DType::F64 => {}
            _ => return Err(format!("{fold:?} of {out_dtype} values")),
        }
        let flags = MemFlagsData::trusted();
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let params = self.b.block_params(entry).to_vec();
        let (inputs, out, len) = (params[0], params[1], params[2]);
        let bases: Vec<Value> = (0..program.inputs.len())
            .map(|k| {
                let offset = (k * ptr.bytes() as usize) as i32;
                self.b.ins().load(ptr, flags, inputs, offset)
            })
            .collect();
        // Constants once, before the loops.
        let consts = self.scalar_consts(program);
        let vconsts = match lanes {
            Some(l) => self.vector_consts(program, l),
            None => Vec::new(),
        };
        let code = Code {
            program,
            bases: &bases,
            consts: &consts,
            vconsts: &vconsts,
            lanes,
        };
        match fold {
            Fold::Strip => self.strip_loops(&code, out, len, ptr),
            Fold::Count => self.count_loops(&code, out, len, ptr),
            Fold::IntSum => self.int_sum_loop(&code, out, len, ptr, out_dtype),
            Fold::PairwiseSum => self.pairwise_leaves_loop(&code, out, len, ptr, false),
            Fold::SquaredDeviations => self.pairwise_leaves_loop(&code, out, len, ptr, true),
            Fold::Prod => self.product_loop(&code, out, len, ptr),
            Fold::Max => self.extreme_loop(&code, out, len, ptr, BinaryOp::Maximum, false),
            Fold::Min => self.extreme_loop(&code, out, len, ptr, BinaryOp::Minimum, false),
            Fold::NanMax => self.extreme_loop(&code, out, len, ptr, BinaryOp::Maximum, true),
            Fold::NanMin => self.extreme_loop(&code, out, len, ptr, BinaryOp::Minimum, true),
            Fold::ArgMax => self.arg_extreme_loop(&code, out, len, ptr, true, false),
            Fold::ArgMin => self.arg_extreme_loop(&code, out, len, ptr, false, false),
            Fold::NanArgMax => self.arg_extreme_loop(&code, out, len, ptr, true, true),
            Fold::NanArgMin => self.arg_extreme_loop(&code, out, len, ptr, false, true),
        }
    }

    /// A counted loop entered from the current block at `i = from`: `header(i)` runs
    /// `body` while `i + step <= len` and otherwise jumps to `exit(i)` (a block with one
    /// index parameter). Returns `(header, body, i, i + step)`; the caller fills `body`
    /// and ends it with a jump to `header(i + step)`.
    fn counted_loop(
        &mut self,
        from: Value,
        len: Value,
        step: i64,
        exit: Block,
        ptr: Type,
    ) -> (Block, Block, Value, Value) {
        let header = self.b.create_block();
        self.b.append_block_param(header, ptr);
        let body = self.b.create_block();
        self.b.ins().jump(header, &[from.into()]);
        self.b.switch_to_block(header);
        let i = self.b.block_params(header)[0];
        let end = self.b.ins().iadd_imm_u(i, step);
        let fits = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, end, len);
        self.b.ins().brif(fits, body, &[], exit, &[i.into()]);
        (header, body, i, end)
    }

    /// A block with one index parameter.
    fn index_block(&mut self, ptr: Type) -> Block {
        let block = self.b.create_block();
        self.b.append_block_param(block, ptr);
        block
    }

    /// `out[i] = program(i)` for `i` in `0..len`: whole vectors first, then a scalar tail.
    fn strip_loops(
        &mut self,
        code: &Code,
        out: Value,
        len: Value,
        ptr: Type,
    ) -> Result<(), Reason> {
        let zero = self.b.ins().iconst(ptr, 0);
        let tail = self.index_block(ptr);
        match code.lanes {
            Some(lanes) => {
                let (header, body, i, end) =
                    self.counted_loop(zero, len, lanes.n as i64, tail, ptr);
                self.b.switch_to_block(body);
                let (value, d) = self.vector_values(code, i)?;
                let at = self.element_addr(out, i, d);
                // Unaligned: a strip starts at any element.
                let flags = MemFlagsData::new().with_notrap();
                if d == DType::Bool {
                    for lane in 0..lanes.n {
                        let m = self.b.ins().extractlane(value, lane as u8);
                        let byte = self.b.ins().ireduce(types::I8, m);
                        let bit = self.b.ins().band_imm_u(byte, 1);
                        self.b.ins().store(flags, bit, at, lane as i32);
                    }
                } else {
                    self.b.ins().store(flags, value, at, 0);
                }
                self.b.ins().jump(header, &[end.into()]);
            }
            None => {
                self.b.ins().jump(tail, &[zero.into()]);
            }
        }
        self.scalar_tail(code, tail, len, ptr, |t, i, value, d| {
            let at = t.element_addr(out, i, d);
            t.b.ins().store(MemFlagsData::trusted(), value, at, 0);
        })?;
        self.b.ins().return_(&[]);
        Ok(())
    }

    /// The scalar loop over the last elements: from the index parameter of `tail` (the
    /// current block's successor, not yet filled) to `len`, one element at a time, giving
    /// each element's index and value to `per_element`. Leaves the builder in the block
    /// after the loop.
    fn scalar_tail(
        &mut self,
        code: &Code,
        tail: Block,
        len: Value,
        ptr: Type,
        mut per_element: impl FnMut(&mut Self, Value, Value, DType),
    ) -> Result<(), Reason> {
        self.b.switch_to_block(tail);
        let from = self.b.block_params(tail)[0];
        let exit = self.index_block(ptr);
        let (header, body, i, next) = self.counted_loop(from, len, 1, exit, ptr);
        self.b.switch_to_block(body);
        let (value, d) = self.scalar_values(code, i)?;
        per_element(self, i, value, d);
        self.b.ins().jump(header, &[next.into()]);
        self.b.switch_to_block(exit);
        Ok(())
    }

    /// `*out = ` the number of `i` in `0..len` where `program(i)` is true, as an i64:
    /// vector lanes count by subtracting their masks (-1 where true), the scalar tail adds
    /// 0 or 1. Counting is exact, so this is the interpreter's count whatever the order.
    fn count_loops(
        &mut self,
        code: &Code,
        out: Value,
        len: Value,
        ptr: Type,
    ) -> Result<(), Reason> {
        let zero = self.b.ins().iconst(ptr, 0);
        let count = self.b.declare_var(types::I64);
        let zero64 = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(count, zero64);
        let tail = self.index_block(ptr);
        match code.lanes {
            Some(lanes) => {
                let acc = self.b.declare_var(lanes.mask);
                let zero_lane = self.b.ins().iconst(lanes.mask_int, 0);
                let zeros = self.b.ins().splat(lanes.mask, zero_lane);
                self.b.def_var(acc, zeros);
                let vdone = self.index_block(ptr);
                let (header, body, i, end) =
                    self.counted_loop(zero, len, lanes.n as i64, vdone, ptr);
                self.b.switch_to_block(body);
                let (mask, _) = self.vector_values(code, i)?;
                let a = self.b.use_var(acc);
                let a = self.b.ins().isub(a, mask);
                self.b.def_var(acc, a);
                self.b.ins().jump(header, &[end.into()]);

                // A lane counts at most len / n elements, which fits its width for every
                // length `Compiled::count` accepts.
                self.b.switch_to_block(vdone);
                let at = self.b.block_params(vdone)[0];
                let a = self.b.use_var(acc);
                let mut total = zero64;
                for lane in 0..lanes.n {
                    let c = self.b.ins().extractlane(a, lane as u8);
                    let c = if lanes.mask_int == types::I64 {
                        c
                    } else {
                        self.b.ins().uextend(types::I64, c)
                    };
                    total = self.b.ins().iadd(total, c);
                }
                self.b.def_var(count, total);
                self.b.ins().jump(tail, &[at.into()]);
            }
            None => {
                self.b.ins().jump(tail, &[zero.into()]);
            }
        }
        self.scalar_tail(code, tail, len, ptr, |t, _, bit, _| {
            let bit = t.b.ins().uextend(types::I64, bit);
            let c = t.b.use_var(count);
            let c = t.b.ins().iadd(c, bit);
            t.b.def_var(count, c);
        })?;
        self.store_result(count, out);
        Ok(())
    }

    /// Stores the fold's result `var` at `out` and returns.
    fn store_result(&mut self, var: Variable, out: Value) {
        let v = self.b.use_var(var);
        self.b.ins().store(MemFlagsData::trusted(), v, out, 0);
        self.b.ins().return_(&[]);
    }

    /// The block sums of a lane's pairwise leaves ([`Fold::PairwiseSum`]; with
    /// `deviations`, [`Fold::SquaredDeviations`]): `out` holds a seed (an f64: the mean
    /// the deviations are from, else unused), then `leaves` leaf lengths (u64), each
    /// replaced by [`Translator::block_sum`] of the elements it covers; the leaves follow
    /// each other from element 0. One call sums every leaf of a lane, so a lane of a
    /// strip costs one call, not one per leaf of 64 to 128 elements.
    fn pairwise_leaves_loop(
        &mut self,
        code: &Code,
        out: Value,
        leaves: Value,
        ptr: Type,
        deviations: bool,
    ) -> Result<(), Reason> {
        let flags = MemFlagsData::trusted();
        let vlanes = code.lanes.filter(|l| l.float == types::F64X2);
        let mean = deviations.then(|| {
            let m = self.b.ins().load(types::F64, flags, out, 0);
            let vm = vlanes.map(|l| self.b.ins().splat(l.float, m));
            (m, vm)
        });
        let pos = self.b.declare_var(ptr);
        let zero = self.b.ins().iconst(ptr, 0);
        self.b.def_var(pos, zero);
        let done = self.index_block(ptr);
        let (header, body, k, next) = self.counted_loop(zero, leaves, 1, done, ptr);
        self.b.switch_to_block(body);
        // Leaf k's slot: 8 bytes at out + 8 + 8k.
        let offset = self.b.ins().imul_imm_u(k, 8);
        let slot = self.b.ins().iadd(out, offset);
        let n = self.b.ins().load(types::I64, flags, slot, 8);
        let n = if ptr == types::I64 {
            n
        } else {
            self.b.ins().ireduce(ptr, n)
        };
        let from = self.b.use_var(pos);
        let to = self.b.ins().iadd(from, n);
        let sum = self.block_sum(code, from, to, ptr, vlanes, mean)?;
        self.b.ins().store(flags, sum, slot, 8);
        self.b.def_var(pos, to);
        self.b.ins().jump(header, &[next.into()]);
        self.b.switch_to_block(done);
        self.b.ins().return_(&[]);
        Ok(())
    }

    /// The reducers' `block_sum` (NumPy's block of `pairwise_sum`) of `program(i)` over
    /// `from..to`: with 8 elements or more, accumulator k starts at element `from + k`
    /// and takes every 8th element of the whole groups of 8 (as 4 vectors of 2 lanes, or
    /// as 8 scalars), the accumulators are added as
    /// `((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))` and the last `(to - from) % 8`
    /// elements added to that in order; fewer than 8 are added in order to 0. The
    /// interpreter's additions in the interpreter's order, so its bits. With a `mean`
    /// (scalar, and splat for the vector loop), each value `x` is first replaced by
    /// `(x - mean) * (x - mean)`. Leaves the builder after the loops; returns the sum.
    fn block_sum(
        &mut self,
        code: &Code,
        from: Value,
        to: Value,
        ptr: Type,
        vlanes: Option<Lanes>,
        mean: Option<(Value, Option<Value>)>,
    ) -> Result<Value, Reason> {
        const GROUP: usize = 8;
        let res = self.b.declare_var(types::F64);
        let acc: Vec<Variable> = (0..GROUP).map(|_| self.b.declare_var(types::F64)).collect();
        let vacc: Vec<Variable> = match vlanes {
            Some(lanes) => (0..GROUP / lanes.n as usize)
                .map(|_| self.b.declare_var(lanes.float))
                .collect(),
            None => Vec::new(),
        };
        // Fewer than 8: straight to the in-order tail from `from`, the sum starting at 0.
        let groups = self.b.create_block();
        let short = self.b.create_block();
        let tail = self.index_block(ptr);
        let len = self.b.ins().isub(to, from);
        let long = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, len, GROUP as i64);
        self.b.ins().brif(long, groups, &[], short, &[]);
        self.b.switch_to_block(short);
        let fzero = self.b.ins().f64const(0.0);
        self.b.def_var(res, fzero);
        self.b.ins().jump(tail, &[from.into()]);

        // The accumulators start at -0.0, the identity of addition (-0.0 + x is x, the
        // bits of every x, -0.0 and NaN payloads included), so adding the first group to
        // them is starting them at it, as the interpreter does, and one loop body serves
        // every whole group.
        self.b.switch_to_block(groups);
        let minus_zero = self.b.ins().f64const(-0.0);
        for &a in &acc {
            self.b.def_var(a, minus_zero);
        }
        if let Some(lanes) = vlanes {
            let minus_zeros = self.b.ins().splat(lanes.float, minus_zero);
            for &v in &vacc {
                self.b.def_var(v, minus_zeros);
            }
        }
        let groups_done = self.index_block(ptr);
        let (header, body, i, end) = self.counted_loop(from, to, GROUP as i64, groups_done, ptr);
        self.b.switch_to_block(body);
        self.group_values(code, i, vlanes, &acc, &vacc, mean)?;
        self.b.ins().jump(header, &[end.into()]);

        self.b.switch_to_block(groups_done);
        let rest = self.b.block_params(groups_done)[0];
        if let Some(lanes) = vlanes {
            // Vector accumulator q holds accumulators n·q .. n·q + n - 1.
            for (q, &v) in vacc.iter().enumerate() {
                let vector = self.b.use_var(v);
                for lane in 0..lanes.n as usize {
                    let s = self.b.ins().extractlane(vector, lane as u8);
                    self.b.def_var(acc[q * lanes.n as usize + lane], s);
                }
            }
        }
        let r: Vec<Value> = acc.iter().map(|&a| self.b.use_var(a)).collect();
        let r01 = self.b.ins().fadd(r[0], r[1]);
        let r23 = self.b.ins().fadd(r[2], r[3]);
        let r45 = self.b.ins().fadd(r[4], r[5]);
        let r67 = self.b.ins().fadd(r[6], r[7]);
        let a = self.b.ins().fadd(r01, r23);
        let b = self.b.ins().fadd(r45, r67);
        let total = self.b.ins().fadd(a, b);
        self.b.def_var(res, total);
        self.b.ins().jump(tail, &[rest.into()]);

        // The last elements (fewer than 8, or all of a short lane), in order.
        self.scalar_tail(code, tail, to, ptr, |t, _, x, _| {
            let x = t.squared_deviation(x, mean.map(|(m, _)| m));
            let s = t.b.use_var(res);
            let s = t.b.ins().fadd(s, x);
            t.b.def_var(res, s);
        })?;
        Ok(self.b.use_var(res))
    }

    /// `*out = *out * program(0) * program(1) * ...`, one multiplication after another, as
    /// the reducers fold a product ([`Fold::Prod`], seeded with the product so far).
    fn product_loop(
        &mut self,
        code: &Code,
        out: Value,
        len: Value,
        ptr: Type,
    ) -> Result<(), Reason> {
        let seed = self
            .b
            .ins()
            .load(types::F64, MemFlagsData::trusted(), out, 0);
        self.sequential_fold(code, out, len, ptr, seed, 0, |t, p, x| {
            Ok(t.b.ins().fmul(p, x))
        })
    }

    /// `*out = ` the extreme of `program(i)` over `0..len` (`len > 0`, as the caller
    /// checks) as the reducers fold a lane: the first value, then `op` (NumPy's `maximum` or
    /// `minimum`) of it and each later value in order ([`Translator::screened_fold`]: only
    /// a value that is NaN, or at least (most) the extreme so far, can change it; equal
    /// values replace it, as the later of tied zeros gives the result's sign).
    ///
    /// With `skip_nan` (nanmax, nanmin: [`Fold::NanMax`], [`Fold::NanMin`]) NaN values are
    /// skipped: the extreme so far is NaN while there was none (all NaN: NaN), and a value
    /// `x` that is not NaN replaces the extreme so far when that is NaN or `x` is at least
    /// (most) it, which for two numbers is `op`: of equal ones the later.
    #[allow(clippy::too_many_arguments)]
    fn extreme_loop(
        &mut self,
        code: &Code,
        out: Value,
        len: Value,
        ptr: Type,
        op: BinaryOp,
        skip_nan: bool,
    ) -> Result<(), Reason> {
        let best = self.b.declare_var(types::F64);
        let changes = if op == BinaryOp::Maximum {
            FloatCC::UnorderedOrGreaterThanOrEqual
        } else {
            FloatCC::UnorderedOrLessThanOrEqual
        };
        self.screened_fold(code, len, ptr, best, changes, skip_nan, |t, _, x| {
            let b = t.b.use_var(best);
            let v = if skip_nan {
                // x replaces b when x is a number and (b is NaN or x is at least b).
                let number = t.b.ins().fcmp(FloatCC::Ordered, x, x);
                let wins = t.b.ins().fcmp(changes, x, b);
                let take = t.b.ins().band(number, wins);
                t.b.ins().select(take, x, b)
            } else {
                t.float_binary(op, b, x, DType::F64)?
            };
            t.b.def_var(best, v);
            Ok(())
        })?;
        self.store_result(best, out);
        Ok(())
    }

    /// `*out = (value, index)` of the best `program(i)` over `0..len` (`len > 0`, as the
    /// caller checks) as argmax (`max`) or argmin folds a lane in order (`ArgR::beats`):
    /// from element 0, a later element takes over when the best so far is not NaN and the
    /// element is NaN or strictly greater (smaller); so the first NaN wins, and of equal
    /// values the first ([`Translator::screened_fold`]). The index is an i64 at `out + 8`.
    ///
    /// With `skip_nan` (nanargmax, nanargmin: [`Fold::NanArgMax`], [`Fold::NanArgMin`])
    /// NaN elements are skipped: the best so far is NaN while there was none (all NaN: the
    /// value is NaN, the index 0), and an element that is not NaN takes over when the best
    /// so far is NaN or it is strictly better.
    #[allow(clippy::too_many_arguments)]
    fn arg_extreme_loop(
        &mut self,
        code: &Code,
        out: Value,
        len: Value,
        ptr: Type,
        max: bool,
        skip_nan: bool,
    ) -> Result<(), Reason> {
        let arg = ArgVars {
            best: self.b.declare_var(types::F64),
            at: self.b.declare_var(types::I64),
            // `x` unordered-or-better than `b`: x is NaN or b is NaN (as `arg_step` rules
            // out the one or the other), or x is strictly better.
            better: if max {
                FloatCC::UnorderedOrGreaterThan
            } else {
                FloatCC::UnorderedOrLessThan
            },
            skip_nan,
        };
        let zero64 = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(arg.at, zero64);
        self.screened_fold(code, len, ptr, arg.best, arg.better, skip_nan, |t, i, x| {
            t.arg_step(&arg, i, x, ptr);
            Ok(())
        })?;
        let flags = MemFlagsData::trusted();
        let value = self.b.use_var(arg.best);
        self.b.ins().store(flags, value, out, 0);
        let index = self.b.use_var(arg.at);
        self.b.ins().store(flags, index, out, 8);
        self.b.ins().return_(&[]);
        Ok(())
    }

    /// The loops of an extreme or arg extreme: `best` (the caller's variable: the extreme
    /// so far) starts at `program(0)`, then `step(i, program(i))` for `i` in `1..len` in
    /// order, where an element can change the fold only if `changes(x, best)` holds
    /// and nothing changes it once `best` is NaN. So with a vector form, groups of 4
    /// vectors are screened first: a group with no value that `changes` the best is
    /// skipped, one with such a value goes through `step` element by element; once the
    /// best is NaN the loop ends. Leaves the builder in the block after the loops.
    ///
    /// With `skip_nan` (nanmax, nanmin) a NaN element changes nothing and a NaN best
    /// stands for "none yet". A group that goes through `step` then holds a number that
    /// becomes the best, so the early end (a NaN best after such a group) happens only
    /// without `skip_nan`.
    #[allow(clippy::too_many_arguments)]
    fn screened_fold(
        &mut self,
        code: &Code,
        len: Value,
        ptr: Type,
        best: Variable,
        changes: FloatCC,
        skip_nan: bool,
        mut step: impl FnMut(&mut Self, Value, Value) -> Result<(), Reason>,
    ) -> Result<(), Reason> {
        let zero = self.b.ins().iconst(ptr, 0);
        let (first, _) = self.scalar_values(code, zero)?;
        self.b.def_var(best, first);
        let one = self.b.ins().iconst(ptr, 1);
        let tail = self.index_block(ptr);
        let finish = self.b.create_block();
        match code.lanes {
            Some(lanes) => {
                let group = 4 * lanes.n as i64;
                let (header, body, i, end) = self.counted_loop(one, len, group, tail, ptr);
                self.b.switch_to_block(body);
                let b = self.b.use_var(best);
                let bs = self.b.ins().splat(lanes.float, b);
                let mut hits = None;
                for q in 0..4 {
                    let at = self.b.ins().iadd_imm_u(i, q * lanes.n as i64);
                    let (x, _) = self.vector_values(code, at)?;
                    let mut hit = self.b.ins().fcmp(changes, x, bs);
                    if skip_nan {
                        let number = self.b.ins().fcmp(FloatCC::Ordered, x, x);
                        hit = self.b.ins().band(hit, number);
                    }
                    hits = Some(match hits {
                        Some(h) => self.b.ins().bor(h, hit),
                        None => hit,
                    });
                }
                let any = self.b.ins().vany_true(hits.expect("four vectors"));
                let slow = self.b.create_block();
                self.b.ins().brif(any, slow, &[], header, &[end.into()]);

                // The group element by element, then on unless the best is now NaN.
                self.b.switch_to_block(slow);
                let done = self.index_block(ptr);
                let (step_header, body, k, next) = self.counted_loop(i, end, 1, done, ptr);
                self.b.switch_to_block(body);
                let (x, _) = self.scalar_values(code, k)?;
                step(self, k, x)?;
                self.b.ins().jump(step_header, &[next.into()]);
                self.b.switch_to_block(done);
                let b = self.b.use_var(best);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, b, b);
                self.b.ins().brif(nan, finish, &[], header, &[end.into()]);
            }
            None => {
                self.b.ins().jump(tail, &[one.into()]);
            }
        }
        let mut failed = None;
        self.scalar_tail(code, tail, len, ptr, |t, i, x, _| {
            if let Err(e) = step(t, i, x) {
                failed = Some(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        self.b.ins().jump(finish, &[]);
        self.b.switch_to_block(finish);
        Ok(())
    }

    /// One element `(x, i)` of [`Translator::arg_extreme_loop`]: it becomes the best when
    /// the best so far is not NaN and `x` is NaN or better (with `skip_nan`: when `x` is
    /// not NaN and the best so far is NaN or worse). A branch, not a select: a new best is
    /// rare, so the branch predicts well and the loop is not bound by a chain of selects
    /// through the best value. Leaves the builder in the block after the update.
    fn arg_step(&mut self, arg: &ArgVars, i: Value, x: Value, ptr: Type) {
        let b = self.b.use_var(arg.best);
        let ordered = if arg.skip_nan {
            self.b.ins().fcmp(FloatCC::Ordered, x, x)
        } else {
            self.b.ins().fcmp(FloatCC::Ordered, b, b)
        };
        let wins = self.b.ins().fcmp(arg.better, x, b);
        let take = self.b.ins().band(ordered, wins);
        let update = self.b.create_block();
        let next = self.b.create_block();
        self.b.ins().brif(take, update, &[], next, &[]);
        self.b.switch_to_block(update);
        self.b.def_var(arg.best, x);
        let i = if ptr == types::I64 {
            i
        } else {
            self.b.ins().uextend(types::I64, i)
        };
        self.b.def_var(arg.at, i);
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(next);
    }

    /// `*out = ` the sum of `program(i)` over `0..len` as the reducers sum integers
    /// (`dtype`, the program's): each value sign-extended (signed types) or zero-extended
    /// (unsigned) to 64 bits and added with wrapping, in one scalar loop (integer programs
    /// have no vector form). Exact, so the interpreter's bits whatever its order.
    fn int_sum_loop(
        &mut self,
        code: &Code,
        out: Value,
        len: Value,
        ptr: Type,
        dtype: DType,
    ) -> Result<(), Reason> {
        let signed = matches!(dtype, DType::I8 | DType::I16 | DType::I32 | DType::I64);
        let sum = self.b.declare_var(types::I64);
        let zero64 = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(sum, zero64);
        let zero = self.b.ins().iconst(ptr, 0);
        let elements = self.index_block(ptr);
        self.b.ins().jump(elements, &[zero.into()]);
        self.scalar_tail(code, elements, len, ptr, |t, _, x, _| {
            let x = match t.b.func.dfg.value_type(x) {
                types::I64 => x,
                _ if signed => t.b.ins().sextend(types::I64, x),
                _ => t.b.ins().uextend(types::I64, x),
            };
            let s = t.b.use_var(sum);
            let s = t.b.ins().iadd(s, x);
            t.b.def_var(sum, s);
        })?;
        self.store_result(sum, out);
        Ok(())
    }

    /// `*out = ` the f64 accumulator started at `start` and updated by
    /// `step(accumulator, program(i))` for `i` in `from..len`, one element after another
    /// in one scalar loop.
    #[allow(clippy::too_many_arguments)]
    fn sequential_fold(
        &mut self,
        code: &Code,
        out: Value,
        len: Value,
        ptr: Type,
        start: Value,
        from: i64,
        mut step: impl FnMut(&mut Self, Value, Value) -> Result<Value, Reason>,
    ) -> Result<(), Reason> {
        let acc = self.b.declare_var(types::F64);
        self.b.def_var(acc, start);
        let from = self.b.ins().iconst(ptr, from);
        let elements = self.index_block(ptr);
        self.b.ins().jump(elements, &[from.into()]);
        let mut failed = None;
        self.scalar_tail(code, elements, len, ptr, |t, _, x, _| {
            let a = t.b.use_var(acc);
            match step(t, a, x) {
                Ok(v) => t.b.def_var(acc, v),
                Err(e) => failed = Some(e),
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        self.store_result(acc, out);
        Ok(())
    }

    /// `(x - mean) * (x - mean)` with a mean (a scalar, or a vector of means for a vector
    /// `x`), else `x`.
    fn squared_deviation(&mut self, x: Value, mean: Option<Value>) -> Value {
        match mean {
            Some(m) => {
                let d = self.b.ins().fsub(x, m);
                self.b.ins().fmul(d, d)
            }
            None => x,
        }
    }

    /// The values of the group of 8 elements from `i` (as squared deviations from
    /// `mean`'s scalar and vector, with one) added to the accumulators (`vacc`, of 2
    /// lanes each, with `lanes`; else `acc`).
    fn group_values(
        &mut self,
        code: &Code,
        i: Value,
        lanes: Option<Lanes>,
        acc: &[Variable],
        vacc: &[Variable],
        mean: Option<(Value, Option<Value>)>,
    ) -> Result<(), Reason> {
        let (vars, step) = match lanes {
            Some(l) => (vacc, l.n as usize),
            None => (acc, 1),
        };
        for (q, &v) in vars.iter().enumerate() {
            let at = self.b.ins().iadd_imm_u(i, (q * step) as i64);
            let (x, _) = if lanes.is_some() {
                self.vector_values(code, at)?
            } else {
                self.scalar_values(code, at)?
            };
            let m = mean.and_then(|(m, vm)| if lanes.is_some() { vm } else { Some(m) });
            let x = self.squared_deviation(x, m);
            let a = self.b.use_var(v);
            let x = self.b.ins().fadd(a, x);
            self.b.def_var(v, x);
        }
        Ok(())
    }

    /// The program's constants as scalars (`None` for computed registers).
    fn scalar_consts(&mut self, program: &Program) -> Vec<Option<(Value, DType)>> {
        let mut regs = vec![None; program.instrs.len()];
        for (r, instr) in program.instrs.iter().enumerate() {
            if let InstrOp::Const(s) = instr.op {
                regs[r] = Some((self.scalar(instr.dtype, s), instr.dtype));
            }
        }
        regs
    }

    /// The program's constants splatted across `lanes` (bools as lane masks).
    fn vector_consts(&mut self, program: &Program, lanes: Lanes) -> Vec<Option<(Value, DType)>> {
        let mut regs = vec![None; program.instrs.len()];
        for (r, instr) in program.instrs.iter().enumerate() {
            if let InstrOp::Const(s) = instr.op {
                let v = self.scalar(instr.dtype, s);
                let v = if instr.dtype == DType::Bool {
                    // 0/1 → 0/-1, then a mask in every lane.
                    let w = self.b.ins().uextend(lanes.mask_int, v);
                    let m = self.b.ins().ineg(w);
                    self.b.ins().splat(lanes.mask, m)
                } else {
                    self.b.ins().splat(lanes.float, v)
                };
                regs[r] = Some((v, instr.dtype));
            }
        }
        regs
    }

    /// The program's result for element `i`, computed in the current block: each input
    /// loaded once, every instruction in order, intermediates as SSA values.
    fn scalar_values(&mut self, code: &Code, i: Value) -> Result<(Value, DType), Reason> {
        let program = code.program;
        let flags = MemFlagsData::trusted();
        let mut regs = code.consts.to_vec();
        let mut loaded: Vec<Option<Value>> = vec![None; program.inputs.len()];
        let mut operand = |t: &mut Self, src: Src, regs: &[Option<(Value, DType)>]| match src {
            Src::Input(k) => {
                let d = program.inputs[k];
                let v = match loaded[k] {
                    Some(v) => v,
                    None => {
                        let at = t.element_addr(code.bases[k], i, d);
                        let v = t.b.ins().load(clif_type(d), flags, at, 0);
                        loaded[k] = Some(v);
                        v
                    }
                };
                Ok((v, d))
            }
            Src::Reg(r) => regs[r].ok_or_else(|| format!("register {r} is not computed")),
        };
        for (r, instr) in program.instrs.iter().enumerate() {
            if matches!(instr.op, InstrOp::Const(_)) {
                continue;
            }
            let args = instr
                .args
                .iter()
                .map(|&s| operand(self, s, &regs))
                .collect::<Result<Vec<_>, Reason>>()?;
            let v = self.instr(&instr.op, &args, instr.dtype)?;
            regs[r] = Some((v, instr.dtype));
        }
        operand(self, program.output, &regs)
    }

    /// The program's result for the `lanes.n` elements from `i`, as a vector (bools as lane
    /// masks), computed in the current block; only for programs with a [`vector_shape`].
    fn vector_values(&mut self, code: &Code, i: Value) -> Result<(Value, DType), Reason> {
        let program = code.program;
        let lanes = code.lanes.ok_or("no vector shape")?;
        // Unaligned: a strip starts at any element.
        let flags = MemFlagsData::new().with_notrap();
        let mut regs = code.vconsts.to_vec();
        let mut loaded: Vec<Option<Value>> = vec![None; program.inputs.len()];
        let mut operand = |t: &mut Self, src: Src, regs: &[Option<(Value, DType)>]| match src {
            Src::Input(k) => {
                let d = program.inputs[k];
                if let Some(v) = loaded[k] {
                    return Ok((v, d));
                }
                let at = t.element_addr(code.bases[k], i, d);
                let v = if d == DType::Bool {
                    let mut v = None;
                    for lane in 0..lanes.n {
                        let byte = t.b.ins().load(types::I8, flags, at, lane as i32);
                        let w = t.b.ins().uextend(lanes.mask_int, byte);
                        let m = t.b.ins().ineg(w);
                        v = Some(match v {
                            None => t.b.ins().splat(lanes.mask, m),
                            Some(vec) => t.b.ins().insertlane(vec, m, lane as u8),
                        });
                    }
                    v.ok_or("no lanes")?
                } else {
                    t.b.ins().load(lanes.float, flags, at, 0)
                };
                loaded[k] = Some(v);
                Ok((v, d))
            }
            Src::Reg(r) => regs[r].ok_or_else(|| format!("register {r} is not computed")),
        };
        for (r, instr) in program.instrs.iter().enumerate() {
            if matches!(instr.op, InstrOp::Const(_)) {
                continue;
            }
            let args = instr
                .args
                .iter()
                .map(|&s| operand(self, s, &regs))
                .collect::<Result<Vec<_>, Reason>>()?;
            let v = self.vector_instr(&instr.op, &args, instr.dtype, lanes)?;
            regs[r] = Some((v, instr.dtype));
        }
        operand(self, program.output, &regs)
    }

    /// One instruction on vectors (floats as float vectors, bools as lane masks); only what
    /// [`vector_shape`] accepted.
    fn vector_instr(
        &mut self,
        op: &InstrOp,
        args: &[(Value, DType)],
        out: DType,
        lanes: Lanes,
    ) -> Result<Value, Reason> {
        let as_float =
            |t: &mut Self, m: Value| t.b.ins().bitcast(lanes.float, MemFlagsData::new(), m);
        match *op {
            InstrOp::Unary(u) => {
                let x = args[0].0;
                Ok(match u {
                    UnaryOp::Not => self.b.ins().bnot(x),
                    UnaryOp::Neg => self.b.ins().fneg(x),
                    UnaryOp::Abs => self.b.ins().fabs(x),
                    UnaryOp::Powi(1) => x,
                    UnaryOp::Powi(2) => self.b.ins().fmul(x, x),
                    UnaryOp::Powi(3) => {
                        let y = self.b.ins().fmul(x, x);
                        self.b.ins().fmul(y, x)
                    }
                    UnaryOp::Powi(4) => {
                        let y = self.b.ins().fmul(x, x);
                        self.b.ins().fmul(y, y)
                    }
                    UnaryOp::Math(FloatFn::Sqrt) => self.b.ins().sqrt(x),
                    UnaryOp::Math(FloatFn::Floor) => self.b.ins().floor(x),
                    UnaryOp::Math(FloatFn::Ceil) => self.b.ins().ceil(x),
                    UnaryOp::Math(FloatFn::Trunc) => self.b.ins().trunc(x),
                    UnaryOp::Math(FloatFn::Round | FloatFn::Rint) => self.b.ins().nearest(x),
                    _ => return Err(format!("vector {u}")),
                })
            }
            InstrOp::Binary(bop) => self.vector_binary(bop, args[0].0, args[1].0, args[0].1, lanes),
            InstrOp::BinaryScalar(bop, s, left) => {
                let (x, d) = args[0];
                let v = self.scalar(d, s);
                let v = self.b.ins().splat(lanes.float, v);
                if left {
                    self.vector_binary(bop, v, x, d, lanes)
                } else {
                    self.vector_binary(bop, x, v, d, lanes)
                }
            }
            InstrOp::Where => {
                let (c, x, y) = (args[0].0, args[1].0, args[2].0);
                if out == DType::Bool {
                    Ok(self.b.ins().bitselect(c, x, y))
                } else {
                    let c = as_float(self, c);
                    Ok(self.b.ins().bitselect(c, x, y))
                }
            }
            _ => Err("vector operation".into()),
        }
    }

    fn vector_binary(
        &mut self,
        op: BinaryOp,
        x: Value,
        y: Value,
        d: DType,
        lanes: Lanes,
    ) -> Result<Value, Reason> {
        if d == DType::Bool {
            return Ok(match op {
                BinaryOp::And => self.b.ins().band(x, y),
                BinaryOp::Or => self.b.ins().bor(x, y),
                BinaryOp::Xor => self.b.ins().bxor(x, y),
                _ => return Err(format!("vector {} of bool", op.symbol())),
            });
        }
        Ok(match op {
            BinaryOp::Add => self.b.ins().fadd(x, y),
            BinaryOp::Sub => self.b.ins().fsub(x, y),
            BinaryOp::Mul => self.b.ins().fmul(x, y),
            BinaryOp::Div => self.b.ins().fdiv(x, y),
            BinaryOp::Maximum | BinaryOp::Minimum => {
                // Compare and select, not Cranelift's fmax/fmin (which order -0 below +0):
                // equal operands give the later one, y, as NumPy (`maximum(0.0, -0.0)` is
                // -0.0).
                let cc = if op == BinaryOp::Maximum {
                    FloatCC::GreaterThan
                } else {
                    FloatCC::LessThan
                };
                let c = self.b.ins().fcmp(cc, x, y);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                let c = self.b.ins().bor(c, nan);
                let c = self.b.ins().bitcast(lanes.float, MemFlagsData::new(), c);
                self.b.ins().bitselect(c, x, y)
            }
            op if op.is_comparison() => return self.compare(op, x, y, d),
            _ => return Err(format!("vector {} of {d}", op.symbol())),
        })
    }

    /// `base + i * size_of(d)`.
    fn element_addr(&mut self, base: Value, i: Value, d: DType) -> Value {
        let offset = self.b.ins().imul_imm_u(i, d.size() as i64);
        self.b.ins().iadd(base, offset)
    }

    /// One instruction over its operands (value and type each), giving a value of type `out`.
    fn instr(
        &mut self,
        op: &InstrOp,
        args: &[(Value, DType)],
        out: DType,
    ) -> Result<Value, Reason> {
        let arity = match op {
            InstrOp::Const(_) => 0,
            InstrOp::Unary(_) | InstrOp::BinaryScalar(..) | InstrOp::Cast(_) => 1,
            InstrOp::Binary(_) => 2,
            InstrOp::Where => 3,
            InstrOp::Map(..) => return Err("user closure".into()),
        };
        if args.len() != arity {
            return Err(format!("{} operands where {arity} are needed", args.len()));
        }
        match *op {
            InstrOp::Const(s) => Ok(self.scalar(out, s)),
            InstrOp::Unary(u) => self.unary(u, args[0].0, args[0].1, out),
            InstrOp::Binary(bop) => {
                let ((x, dx), (y, dy)) = (args[0], args[1]);
                if dx != dy {
                    return Err(format!("{} of {dx} and {dy}", bop.symbol()));
                }
                self.binary(bop, x, y, dx, out)
            }
            InstrOp::BinaryScalar(bop, s, left) => {
                let (x, d) = args[0];
                // ops::binary_scalar converts the constant to the operand type for
                // comparisons and arithmetic, and otherwise splats it as it is into a column
                // of the operand type (which it must then have).
                let converts = bop.is_comparison()
                    || (d != DType::Bool
                        && matches!(
                            bop,
                            BinaryOp::Add
                                | BinaryOp::Sub
                                | BinaryOp::Mul
                                | BinaryOp::Div
                                | BinaryOp::Rem
                                | BinaryOp::Maximum
                                | BinaryOp::Minimum
                        ));
                if !converts && s.dtype() != d {
                    return Err(format!(
                        "{} of {d} and a {} constant",
                        bop.symbol(),
                        s.dtype()
                    ));
                }
                let v = self.scalar(d, s);
                if left {
                    self.binary(bop, v, x, d, out)
                } else {
                    self.binary(bop, x, v, d, out)
                }
            }
            InstrOp::Where => {
                let ((c, dc), (x, dx), (y, dy)) = (args[0], args[1], args[2]);
                if dc != DType::Bool || dx != dy || dx != out {
                    return Err(format!("where({dc}, {dx}, {dy}) -> {out}"));
                }
                Ok(self.b.ins().select(c, x, y))
            }
            InstrOp::Cast(to) => {
                if to != out {
                    return Err(format!("cast to {to} into a {out} register"));
                }
                self.cast(args[0].0, args[0].1, to)
            }
            InstrOp::Map(..) => Err("user closure".into()),
        }
    }

    /// An integer constant of type `ty` (the immediate zero-extended from the type's width).
    fn int(&mut self, ty: Type, v: i64) -> Value {
        let bits = ty.bits();
        let v = if bits >= 64 {
            v
        } else {
            v & ((1i64 << bits) - 1)
        };
        self.b.ins().iconst(ty, v)
    }

    /// A float constant of type `d`.
    fn float(&mut self, d: DType, v: f64) -> Value {
        if d == DType::F32 {
            self.b.ins().f32const(v as f32)
        } else {
            self.b.ins().f64const(v)
        }
    }

    /// `s` converted to `d` as the interpreter converts it (`Element::from_scalar`).
    fn scalar(&mut self, d: DType, s: Scalar) -> Value {
        let s = with_dtype!(d, T => T::from_scalar(s).to_scalar());
        match s {
            Scalar::Bool(v) => self.int(types::I8, v as i64),
            Scalar::I8(v) => self.int(types::I8, v as i64),
            Scalar::U8(v) => self.int(types::I8, v as i64),
            Scalar::I16(v) => self.int(types::I16, v as i64),
            Scalar::U16(v) => self.int(types::I16, v as i64),
            Scalar::I32(v) => self.int(types::I32, v as i64),
            Scalar::U32(v) => self.int(types::I32, v as i64),
            Scalar::I64(v) => self.int(types::I64, v),
            Scalar::U64(v) => self.int(types::I64, v as i64),
            Scalar::F32(v) => self.b.ins().f32const(v),
            Scalar::F64(v) => self.b.ins().f64const(v),
        }
    }

    /// Calls the Rust function `name` (see [`calls`]).
    fn call(
        &mut self,
        name: &'static str,
        params: &[Type],
        ret: Type,
        args: &[Value],
    ) -> Result<Value, Reason> {
        let f = match self.funcs.get(name) {
            Some(&f) => f,
            None => {
                let mut sig = self.module.make_signature();
                sig.params = params.iter().map(|&p| AbiParam::new(p)).collect();
                sig.returns = vec![AbiParam::new(ret)];
                let id = self
                    .module
                    .declare_function(name, Linkage::Import, &sig)
                    .map_err(|e| format!("declaring {name}: {e}"))?;
                let f = self.module.declare_func_in_func(id, self.b.func);
                self.funcs.insert(name, f);
                f
            }
        };
        let call = self.b.ins().call(f, args);
        Ok(self.b.inst_results(call)[0])
    }

    /// `FloatFn` `f` of `x` through the interpreter's function.
    fn math(&mut self, f: FloatFn, x: Value, d: DType) -> Result<Value, Reason> {
        let f32 = d == DType::F32;
        let name = calls::math_symbol(f, f32).ok_or("unknown float function")?;
        let ty = if f32 { types::F32 } else { types::F64 };
        self.call(name, &[ty], ty, &[x])
    }

    fn unary(&mut self, op: UnaryOp, x: Value, d: DType, out: DType) -> Result<Value, Reason> {
        let expected = if matches!(op, UnaryOp::Pred(_)) {
            DType::Bool
        } else {
            d
        };
        if out != expected {
            return Err(format!("{op} of {d} into a {out} register"));
        }
        let ty = clif_type(d);
        match (op, d) {
            (UnaryOp::Pred(p), DType::F32 | DType::F64) => Ok(match p {
                FloatPred::IsNan => self.b.ins().fcmp(FloatCC::Unordered, x, x),
                FloatPred::IsInf | FloatPred::IsFinite => {
                    let inf = self.float(d, f64::INFINITY);
                    let a = self.b.ins().fabs(x);
                    let cc = if p == FloatPred::IsInf {
                        FloatCC::Equal
                    } else {
                        FloatCC::LessThan
                    };
                    self.b.ins().fcmp(cc, a, inf)
                }
                FloatPred::Signbit => {
                    let ity = if d == DType::F32 {
                        types::I32
                    } else {
                        types::I64
                    };
                    let bits = self.b.ins().bitcast(ity, MemFlagsData::new(), x);
                    let zero = self.int(ity, 0);
                    self.b.ins().icmp(IntCC::SignedLessThan, bits, zero)
                }
            }),
            (UnaryOp::Pred(p), _) => Ok(match p {
                FloatPred::IsFinite => self.int(types::I8, 1),
                FloatPred::IsNan | FloatPred::IsInf => self.int(types::I8, 0),
                FloatPred::Signbit if is_signed(d) => {
                    let zero = self.int(ty, 0);
                    self.b.ins().icmp(IntCC::SignedLessThan, x, zero)
                }
                FloatPred::Signbit => self.int(types::I8, 0),
            }),
            (UnaryOp::Not, DType::Bool) => Ok(self.b.ins().bxor_imm_u(x, 1)),
            (_, DType::Bool) => Err(format!("{op} of bool")),
            (UnaryOp::Neg, DType::F32 | DType::F64) => Ok(self.b.ins().fneg(x)),
            (UnaryOp::Abs, DType::F32 | DType::F64) => Ok(self.b.ins().fabs(x)),
            (UnaryOp::Powi(n), DType::F32 | DType::F64) => match n {
                // The interpreter's small powers, multiplied in its order.
                0 => Ok(self.float(d, 1.0)),
                1 => Ok(x),
                2 => Ok(self.b.ins().fmul(x, x)),
                3 => {
                    let y = self.b.ins().fmul(x, x);
                    Ok(self.b.ins().fmul(y, x))
                }
                4 => {
                    let y = self.b.ins().fmul(x, x);
                    Ok(self.b.ins().fmul(y, y))
                }
                n => {
                    let n = self.b.ins().iconst(types::I32, n as i64);
                    let (name, fty) = if d == DType::F32 {
                        ("chunkflow_powi_f32", types::F32)
                    } else {
                        ("chunkflow_powi_f64", types::F64)
                    };
                    self.call(name, &[fty, types::I32], fty, &[x, n])
                }
            },
            (UnaryOp::Math(f), DType::F32 | DType::F64) => Ok(match f {
                FloatFn::Sqrt => self.b.ins().sqrt(x),
                FloatFn::Floor => self.b.ins().floor(x),
                FloatFn::Ceil => self.b.ins().ceil(x),
                FloatFn::Trunc => self.b.ins().trunc(x),
                FloatFn::Round | FloatFn::Rint => self.b.ins().nearest(x),
                FloatFn::Recip => {
                    let one = self.float(d, 1.0);
                    self.b.ins().fdiv(one, x)
                }
                f => return self.math(f, x, d),
            }),
            (UnaryOp::Sign, DType::F32 | DType::F64) => {
                // x > 0 → 1, x < 0 → -1, x == 0 → +0, NaN → x.
                let zero = self.float(d, 0.0);
                let one = self.float(d, 1.0);
                let minus = self.float(d, -1.0);
                let pos = self.b.ins().fcmp(FloatCC::GreaterThan, x, zero);
                let neg = self.b.ins().fcmp(FloatCC::LessThan, x, zero);
                let eq = self.b.ins().fcmp(FloatCC::Equal, x, zero);
                let r = self.b.ins().select(eq, zero, x);
                let r = self.b.ins().select(neg, minus, r);
                Ok(self.b.ins().select(pos, one, r))
            }
            (UnaryOp::Neg, _) if is_signed(d) => Ok(self.b.ins().ineg(x)),
            (UnaryOp::Abs, _) if is_signed(d) => {
                // wrapping_abs: MIN stays MIN.
                let zero = self.int(ty, 0);
                let neg = self.b.ins().icmp(IntCC::SignedLessThan, x, zero);
                let minus = self.b.ins().ineg(x);
                Ok(self.b.ins().select(neg, minus, x))
            }
            (UnaryOp::Sign, _) if d.is_integer() => {
                let zero = self.int(ty, 0);
                let one = self.int(ty, 1);
                if is_signed(d) {
                    let minus = self.int(ty, -1);
                    let pos = self.b.ins().icmp(IntCC::SignedGreaterThan, x, zero);
                    let is0 = self.b.ins().icmp(IntCC::Equal, x, zero);
                    let r = self.b.ins().select(is0, zero, minus);
                    Ok(self.b.ins().select(pos, one, r))
                } else {
                    let pos = self.b.ins().icmp(IntCC::NotEqual, x, zero);
                    Ok(self.b.ins().select(pos, one, zero))
                }
            }
            (UnaryOp::Not, _) if d.is_integer() => Ok(self.b.ins().bnot(x)),
            (UnaryOp::PowU(n), _) if d.is_integer() => {
                // wrapping_pow: the power modulo 2^bits, whatever the multiplication order.
                let mut acc = self.int(ty, 1);
                let (mut base, mut e) = (x, n);
                while e > 0 {
                    if e & 1 == 1 {
                        acc = self.b.ins().imul(acc, base);
                    }
                    e >>= 1;
                    if e > 0 {
                        base = self.b.ins().imul(base, base);
                    }
                }
                Ok(acc)
            }
            _ => Err(format!("{op} of {d}")),
        }
    }

    fn compare(&mut self, op: BinaryOp, x: Value, y: Value, d: DType) -> Result<Value, Reason> {
        if d.is_float() {
            let cc = match op {
                BinaryOp::Lt => FloatCC::LessThan,
                BinaryOp::Le => FloatCC::LessThanOrEqual,
                BinaryOp::Gt => FloatCC::GreaterThan,
                BinaryOp::Ge => FloatCC::GreaterThanOrEqual,
                BinaryOp::Eq => FloatCC::Equal,
                // Rust's `!=`: true when either is NaN.
                BinaryOp::Ne => FloatCC::NotEqual,
                _ => return Err(format!("{} is no comparison", op.symbol())),
            };
            return Ok(self.b.ins().fcmp(cc, x, y));
        }
        let signed = is_signed(d);
        let cc = match (op, signed) {
            (BinaryOp::Lt, true) => IntCC::SignedLessThan,
            (BinaryOp::Le, true) => IntCC::SignedLessThanOrEqual,
            (BinaryOp::Gt, true) => IntCC::SignedGreaterThan,
            (BinaryOp::Ge, true) => IntCC::SignedGreaterThanOrEqual,
            (BinaryOp::Lt, false) => IntCC::UnsignedLessThan,
            (BinaryOp::Le, false) => IntCC::UnsignedLessThanOrEqual,
            (BinaryOp::Gt, false) => IntCC::UnsignedGreaterThan,
            (BinaryOp::Ge, false) => IntCC::UnsignedGreaterThanOrEqual,
            (BinaryOp::Eq, _) => IntCC::Equal,
            (BinaryOp::Ne, _) => IntCC::NotEqual,
            _ => return Err(format!("{} is no comparison", op.symbol())),
        };
        Ok(self.b.ins().icmp(cc, x, y))
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        x: Value,
        y: Value,
        d: DType,
        out: DType,
    ) -> Result<Value, Reason> {
        let expected = if op.is_comparison() { DType::Bool } else { d };
        if out != expected {
            return Err(format!("{} of {d} into a {out} register", op.symbol()));
        }
        if op.is_comparison() {
            return self.compare(op, x, y, d);
        }
        match (op, d) {
            (BinaryOp::And, DType::Bool) => Ok(self.b.ins().band(x, y)),
            (BinaryOp::Or, DType::Bool) => Ok(self.b.ins().bor(x, y)),
            (BinaryOp::Xor, DType::Bool) => Ok(self.b.ins().bxor(x, y)),
            (_, DType::Bool) => Err(format!("{} of bool", op.symbol())),
            (_, DType::F32 | DType::F64) => self.float_binary(op, x, y, d),
            _ => self.int_binary(op, x, y, d),
        }
    }

    fn float_binary(
        &mut self,
        op: BinaryOp,
        x: Value,
        y: Value,
        d: DType,
    ) -> Result<Value, Reason> {
        let fty = clif_type(d);
        let call_op = |t: &mut Self, c: CallOp| {
            let code = t.b.ins().iconst(types::I32, c as i64);
            let name = if d == DType::F32 {
                "chunkflow_binop_f32"
            } else {
                "chunkflow_binop_f64"
            };
            t.call(name, &[types::I32, fty, fty], fty, &[code, x, y])
        };
        match op {
            BinaryOp::Add => Ok(self.b.ins().fadd(x, y)),
            BinaryOp::Sub => Ok(self.b.ins().fsub(x, y)),
            BinaryOp::Mul => Ok(self.b.ins().fmul(x, y)),
            BinaryOp::Div => Ok(self.b.ins().fdiv(x, y)),
            BinaryOp::Maximum | BinaryOp::Minimum => {
                // `if x > y || x != x { x } else { y }` (< for minimum), as `ops::maximum`.
                let cc = if op == BinaryOp::Maximum {
                    FloatCC::GreaterThan
                } else {
                    FloatCC::LessThan
                };
                let c = self.b.ins().fcmp(cc, x, y);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                let c = self.b.ins().bor(c, nan);
                Ok(self.b.ins().select(c, x, y))
            }
            BinaryOp::Pow => call_op(self, CallOp::Pow),
            BinaryOp::Rem => call_op(self, CallOp::Rem),
            BinaryOp::FloorDiv => call_op(self, CallOp::FloorDiv),
            BinaryOp::FloorRem => call_op(self, CallOp::FloorRem),
            BinaryOp::Float2(f) => {
                let code = calls::code2(f).ok_or("unknown float function")?;
                let code = self.b.ins().iconst(types::I32, code as i64);
                let name = if d == DType::F32 {
                    "chunkflow_math2_f32"
                } else {
                    "chunkflow_math2_f64"
                };
                self.call(name, &[types::I32, fty, fty], fty, &[code, x, y])
            }
            _ => Err(format!("{} of {d}", op.symbol())),
        }
    }

    fn int_binary(&mut self, op: BinaryOp, x: Value, y: Value, d: DType) -> Result<Value, Reason> {
        let ty = clif_type(d);
        let signed = is_signed(d);
        match op {
            BinaryOp::Add => Ok(self.b.ins().iadd(x, y)),
            BinaryOp::Sub => Ok(self.b.ins().isub(x, y)),
            BinaryOp::Mul => Ok(self.b.ins().imul(x, y)),
            BinaryOp::And => Ok(self.b.ins().band(x, y)),
            BinaryOp::Or => Ok(self.b.ins().bor(x, y)),
            BinaryOp::Xor => Ok(self.b.ins().bxor(x, y)),
            BinaryOp::Maximum | BinaryOp::Minimum => {
                let cc = match (op == BinaryOp::Maximum, signed) {
                    (true, true) => IntCC::SignedGreaterThanOrEqual,
                    (true, false) => IntCC::UnsignedGreaterThanOrEqual,
                    (false, true) => IntCC::SignedLessThanOrEqual,
                    (false, false) => IntCC::UnsignedLessThanOrEqual,
                };
                let c = self.b.ins().icmp(cc, x, y);
                Ok(self.b.ins().select(c, x, y))
            }
            BinaryOp::Shl | BinaryOp::Shr => {
                // A shift by a negative amount or by the width or more: 0, or the sign fill
                // for >> of a negative value. (As unsigned, a negative amount is >= bits.)
                let width = self.int(ty, ty.bits() as i64);
                let out_of_range = self
                    .b
                    .ins()
                    .icmp(IntCC::UnsignedGreaterThanOrEqual, y, width);
                let zero = self.int(ty, 0);
                if op == BinaryOp::Shl {
                    let s = self.b.ins().ishl(x, y);
                    Ok(self.b.ins().select(out_of_range, zero, s))
                } else if signed {
                    let last = self.int(ty, ty.bits() as i64 - 1);
                    let amount = self.b.ins().select(out_of_range, last, y);
                    Ok(self.b.ins().sshr(x, amount))
                } else {
                    let s = self.b.ins().ushr(x, y);
                    Ok(self.b.ins().select(out_of_range, zero, s))
                }
            }
            BinaryOp::Div | BinaryOp::Rem | BinaryOp::FloorDiv | BinaryOp::FloorRem => {
                let (q, r) = self.divrem(x, y, d);
                let zero = self.int(ty, 0);
                match op {
                    BinaryOp::Div => Ok(q),
                    BinaryOp::Rem => Ok(r),
                    _ if !signed => Ok(if op == BinaryOp::FloorDiv { q } else { r }),
                    BinaryOp::FloorDiv => {
                        // q - 1 when inexact and the signs differ.
                        let inexact = self.b.ins().icmp(IntCC::NotEqual, r, zero);
                        let xn = self.b.ins().icmp(IntCC::SignedLessThan, x, zero);
                        let yn = self.b.ins().icmp(IntCC::SignedLessThan, y, zero);
                        let differ = self.b.ins().bxor(xn, yn);
                        let step = self.b.ins().band(inexact, differ);
                        let one = self.int(ty, 1);
                        let down = self.b.ins().isub(q, one);
                        Ok(self.b.ins().select(step, down, q))
                    }
                    _ => {
                        // r + y when r is nonzero and its sign differs from y's.
                        let nonzero = self.b.ins().icmp(IntCC::NotEqual, r, zero);
                        let rn = self.b.ins().icmp(IntCC::SignedLessThan, r, zero);
                        let yn = self.b.ins().icmp(IntCC::SignedLessThan, y, zero);
                        let differ = self.b.ins().bxor(rn, yn);
                        let step = self.b.ins().band(nonzero, differ);
                        let up = self.b.ins().iadd(r, y);
                        Ok(self.b.ins().select(step, up, r))
                    }
                }
            }
            _ => Err(format!("{} of {d}", op.symbol())),
        }
    }

    /// The interpreter's integer quotient and remainder: 0 and 0 for a zero divisor,
    /// `wrapping_div`/`wrapping_rem` otherwise (MIN / -1 = MIN, MIN % -1 = 0), without ever
    /// executing a trapping division.
    fn divrem(&mut self, x: Value, y: Value, d: DType) -> (Value, Value) {
        let ty = clif_type(d);
        let zero = self.int(ty, 0);
        let one = self.int(ty, 1);
        let is0 = self.b.ins().icmp(IntCC::Equal, y, zero);
        if is_signed(d) {
            let minus = self.int(ty, -1);
            let is_m1 = self.b.ins().icmp(IntCC::Equal, y, minus);
            let bad = self.b.ins().bor(is0, is_m1);
            let safe = self.b.ins().select(bad, one, y);
            let q = self.b.ins().sdiv(x, safe);
            let r = self.b.ins().srem(x, safe);
            let neg = self.b.ins().ineg(x);
            let q = self.b.ins().select(is_m1, neg, q);
            let r = self.b.ins().select(is_m1, zero, r);
            let q = self.b.ins().select(is0, zero, q);
            let r = self.b.ins().select(is0, zero, r);
            (q, r)
        } else {
            let safe = self.b.ins().select(is0, one, y);
            let q = self.b.ins().udiv(x, safe);
            let r = self.b.ins().urem(x, safe);
            let q = self.b.ins().select(is0, zero, q);
            let r = self.b.ins().select(is0, zero, r);
            (q, r)
        }
    }

    /// `x as to` (Rust's `as`; to bool: nonzero).
    fn cast(&mut self, x: Value, from: DType, to: DType) -> Result<Value, Reason> {
        let (fty, tty) = (clif_type(from), clif_type(to));
        if from == to {
            return Ok(x);
        }
        if to == DType::Bool {
            return Ok(if from.is_float() {
                let zero = self.float(from, 0.0);
                // NaN is nonzero, -0.0 is zero.
                self.b.ins().fcmp(FloatCC::NotEqual, x, zero)
            } else {
                let zero = self.int(fty, 0);
                self.b.ins().icmp(IntCC::NotEqual, x, zero)
            });
        }
        // Bool is an unsigned 0/1 byte from here on.
        let from_signed = is_signed(from);
        match (from.is_float(), to.is_float()) {
            (false, false) => Ok(match fty.bits().cmp(&tty.bits()) {
                std::cmp::Ordering::Equal => x,
                std::cmp::Ordering::Greater => self.b.ins().ireduce(tty, x),
                std::cmp::Ordering::Less if from_signed => self.b.ins().sextend(tty, x),
                std::cmp::Ordering::Less => self.b.ins().uextend(tty, x),
            }),
            (false, true) => Ok(match from {
                DType::I64 => self.b.ins().fcvt_from_sint(tty, x),
                DType::U64 => self.b.ins().fcvt_from_uint(tty, x),
                DType::I32 => self.b.ins().fcvt_from_sint(tty, x),
                // u32 exactly in i64; the narrower ones exactly in i32.
                DType::U32 => {
                    let w = self.b.ins().uextend(types::I64, x);
                    self.b.ins().fcvt_from_sint(tty, w)
                }
                _ => {
                    let w = if from_signed {
                        self.b.ins().sextend(types::I32, x)
                    } else {
                        self.b.ins().uextend(types::I32, x)
                    };
                    self.b.ins().fcvt_from_sint(tty, w)
                }
            }),
            (true, true) => Ok(if to == DType::F64 {
                self.b.ins().fpromote(tty, x)
            } else {
                self.b.ins().fdemote(tty, x)
            }),
            (true, false) => Ok(match to {
                // Saturating, NaN → 0, as Rust's `as`.
                DType::I32 | DType::I64 => self.b.ins().fcvt_to_sint_sat(tty, x),
                DType::U32 | DType::U64 => self.b.ins().fcvt_to_uint_sat(tty, x),
                DType::I8 | DType::I16 => {
                    let w = self.b.ins().fcvt_to_sint_sat(types::I32, x);
                    let (lo, hi) = if to == DType::I8 {
                        (i8::MIN as i64, i8::MAX as i64)
                    } else {
                        (i16::MIN as i64, i16::MAX as i64)
                    };
                    let lo = self.int(types::I32, lo);
                    let hi = self.int(types::I32, hi);
                    let w = self.b.ins().smax(w, lo);
                    let w = self.b.ins().smin(w, hi);
                    self.b.ins().ireduce(tty, w)
                }
                _ => {
                    let w = self.b.ins().fcvt_to_uint_sat(types::I32, x);
                    let hi = if to == DType::U8 {
                        u8::MAX as i64
                    } else {
                        u16::MAX as i64
                    };
                    let hi = self.int(types::I32, hi);
                    let w = self.b.ins().umin(w, hi);
                    self.b.ins().ireduce(tty, w)
                }
            }),
        }
    }
}
