//! Elementwise operations over strips: the tight loops the fused program is made of.
//!
//! Each operation is applied to whole slices with the operation chosen outside the loop, so
//! every loop is monomorphic and the compiler can vectorise it.

use std::fmt;

use super::isa;
use crate::dtype::with_dtype;
use crate::dtype::{
    Col, DType, Element, Float, FloatFn, FloatFn2, FloatPred, Int, Num, Scalar, Signed,
};
use crate::error::{Error, Result};

/// A one-input elementwise operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum UnaryOp {
    Neg,
    Abs,
    Not,
    Math(FloatFn),
    Powi(i32),
    /// A float predicate (`bool` result; false/true constants for integers).
    Pred(FloatPred),
    /// -1, 0 or 1.
    Sign,
    /// An integer to a constant power (wrapping).
    PowU(u32),
}

/// A two-input elementwise operation. Comparisons give `bool`; the others keep the type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Maximum,
    Minimum,
    And,
    Or,
    Xor,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    /// A two-argument float function.
    Float2(FloatFn2),
    Shl,
    Shr,
    FloorDiv,
    FloorRem,
}

impl BinaryOp {
    /// Whether the result is `bool` whatever the operand type.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne
        )
    }

    /// The infix symbol or function name, for expression labels.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Pow => "^",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::And => "&",
            BinaryOp::Or => "|",
            BinaryOp::Xor => "xor",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Float2(f) => match f {
                FloatFn2::Arctan2 => "arctan2",
                FloatFn2::Hypot => "hypot",
                FloatFn2::Copysign => "copysign",
                FloatFn2::Fmax => "fmax",
                FloatFn2::Fmin => "fmin",
                FloatFn2::Logaddexp => "logaddexp",
                FloatFn2::Logaddexp2 => "logaddexp2",
                FloatFn2::Nextafter => "nextafter",
            },
            BinaryOp::Shl => "<<",
            BinaryOp::Shr => ">>",
            BinaryOp::FloorDiv => "//",
            BinaryOp::FloorRem => "mod",
        }
    }

    /// Whether the label writes it as a function call rather than infix.
    pub fn is_function(self) -> bool {
        matches!(
            self,
            BinaryOp::Maximum
                | BinaryOp::Minimum
                | BinaryOp::Xor
                | BinaryOp::Float2(_)
                | BinaryOp::FloorRem
        )
    }

    /// The lower-case name used in task keys.
    pub fn name(self) -> String {
        match self {
            BinaryOp::Float2(_) | BinaryOp::FloorRem => self.symbol().to_string(),
            BinaryOp::FloorDiv => "floordiv".into(),
            other => format!("{other:?}").to_lowercase(),
        }
    }
}

impl fmt::Display for UnaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnaryOp::Neg => f.write_str("neg"),
            UnaryOp::Abs => f.write_str("abs"),
            UnaryOp::Not => f.write_str("not"),
            UnaryOp::Math(m) => write!(f, "{}", format!("{m:?}").to_lowercase()),
            UnaryOp::Powi(n) => write!(f, "powi{n}"),
            UnaryOp::Pred(p) => write!(f, "{}", format!("{p:?}").to_lowercase()),
            UnaryOp::Sign => f.write_str("sign"),
            UnaryOp::PowU(n) => write!(f, "pow{n}"),
        }
    }
}

/// Runs `$body` with `$T` bound to the integer type of `$dt` (which must be an integer type).
macro_rules! with_int {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            DType::I8 => {
                type $T = i8;
                $body
            }
            DType::I16 => {
                type $T = i16;
                $body
            }
            DType::I32 => {
                type $T = i32;
                $body
            }
            DType::I64 => {
                type $T = i64;
                $body
            }
            DType::U8 => {
                type $T = u8;
                $body
            }
            DType::U16 => {
                type $T = u16;
                $body
            }
            DType::U32 => {
                type $T = u32;
                $body
            }
            DType::U64 => {
                type $T = u64;
                $body
            }
            other => Err(unsupported("an integer operation", other)),
        }
    };
}

fn unsupported(what: impl fmt::Display, dtype: DType) -> Error {
    super::internal(format!("{what} is not defined for {dtype}"))
}

#[inline(always)]
fn map1<A: Copy, O>(a: &[A], out: &mut [O], f: impl Fn(A) -> O) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = f(x);
    }
}

#[inline(always)]
fn map2<A: Copy, B: Copy, O>(a: &[A], b: &[B], out: &mut [O], f: impl Fn(A, B) -> O) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
}

/// NumPy's `maximum`: NaN in either operand gives NaN; of two equal operands the later one,
/// `b` (so `maximum(0.0, -0.0)` is -0.0, as in NumPy).
#[inline(always)]
#[allow(clippy::eq_op)]
pub(crate) fn maximum<T: Element>(a: T, b: T) -> T {
    if a > b || a != a { a } else { b }
}

/// NumPy's `minimum`: NaN in either operand gives NaN; of two equal operands the later one,
/// `b` (so `minimum(-0.0, 0.0)` is +0.0, as in NumPy).
#[inline(always)]
#[allow(clippy::eq_op)]
pub(crate) fn minimum<T: Element>(a: T, b: T) -> T {
    if a < b || a != a { a } else { b }
}

#[inline(always)]
fn out_vec<'a, T: Element>(out: &'a mut Col<'static>, len: usize) -> Result<&'a mut [T]> {
    let dtype = out.dtype();
    let v = T::col_vec(out).ok_or_else(|| unsupported("writing this register", dtype))?;
    v.resize(len, T::default());
    Ok(&mut v[..len])
}

#[inline(always)]
fn input<'a, T: Element>(c: &'a Col<'_>, len: usize) -> Result<&'a [T]> {
    T::col(c)
        .map(|s| &s[..len])
        .ok_or_else(|| unsupported(format!("reading as {}", T::DTYPE), c.dtype()))
}

/// `out[..len] = op(a[..len])`.
pub(crate) fn unary(op: UnaryOp, a: &Col<'_>, out: &mut Col<'static>, len: usize) -> Result<()> {
    isa::widest(
        #[inline(always)]
        || unary_impl(op, a, out, len),
    )
}

#[allow(clippy::bool_comparison)] // the comparisons are generic; one expansion is for bool
#[inline(always)]
fn unary_impl(op: UnaryOp, a: &Col<'_>, out: &mut Col<'static>, len: usize) -> Result<()> {
    let dtype = a.dtype();
    match (op, dtype) {
        (UnaryOp::Not, DType::Bool) => {
            map1(input::<bool>(a, len)?, out_vec(out, len)?, |x| !x);
            Ok(())
        }
        (UnaryOp::Neg | UnaryOp::Abs, DType::I8) => signed::<i8>(op, a, out, len),
        (UnaryOp::Neg | UnaryOp::Abs, DType::I16) => signed::<i16>(op, a, out, len),
        (UnaryOp::Neg | UnaryOp::Abs, DType::I32) => signed::<i32>(op, a, out, len),
        (UnaryOp::Neg | UnaryOp::Abs, DType::I64) => signed::<i64>(op, a, out, len),
        (UnaryOp::Pred(p), DType::F32) => predicate::<f32>(p, a, out, len),
        (UnaryOp::Pred(p), DType::F64) => predicate::<f64>(p, a, out, len),
        (UnaryOp::Pred(p), _) => {
            // Integers and bools are never NaN or infinite, always finite, never negative
            // zero; only a negative integer has its sign bit set.
            let o = out_vec::<bool>(out, len)?;
            match p {
                FloatPred::IsFinite => o.fill(true),
                FloatPred::IsNan | FloatPred::IsInf => o.fill(false),
                FloatPred::Signbit => with_dtype!(dtype, T => {
                    let zero = T::default();
                    map1(input::<T>(a, len)?, o, |x| x < zero)
                }),
            }
            Ok(())
        }
        (UnaryOp::Sign | UnaryOp::Not | UnaryOp::PowU(_), d) if d.is_integer() => {
            with_int!(d, T => integer::<T>(op, a, out, len))
        }
        (_, DType::F32) => float::<f32>(op, a, out, len),
        (_, DType::F64) => float::<f64>(op, a, out, len),
        _ => Err(unsupported(op, dtype)),
    }
}

#[inline(always)]
fn signed<T: Signed>(op: UnaryOp, a: &Col<'_>, out: &mut Col<'static>, len: usize) -> Result<()> {
    let (a, o) = (input::<T>(a, len)?, out_vec::<T>(out, len)?);
    match op {
        UnaryOp::Neg => map1(a, o, T::neg),
        UnaryOp::Abs => map1(a, o, T::abs),
        _ => return Err(unsupported(op, T::DTYPE)),
    }
    Ok(())
}

#[inline(always)]
fn predicate<T: Float>(
    p: FloatPred,
    a: &Col<'_>,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    let (a, o) = (input::<T>(a, len)?, out_vec::<bool>(out, len)?);
    match p {
        FloatPred::IsNan => map1(a, o, |x| x.test(FloatPred::IsNan)),
        FloatPred::IsInf => map1(a, o, |x| x.test(FloatPred::IsInf)),
        FloatPred::IsFinite => map1(a, o, |x| x.test(FloatPred::IsFinite)),
        FloatPred::Signbit => map1(a, o, |x| x.test(FloatPred::Signbit)),
    }
    Ok(())
}

#[inline(always)]
fn integer<T: Int>(op: UnaryOp, a: &Col<'_>, out: &mut Col<'static>, len: usize) -> Result<()> {
    let (a, o) = (input::<T>(a, len)?, out_vec::<T>(out, len)?);
    match op {
        UnaryOp::Sign => map1(a, o, T::sign),
        UnaryOp::Not => map1(a, o, T::bit_not),
        UnaryOp::PowU(n) => map1(a, o, |x| x.pow_u(n)),
        _ => return Err(unsupported(op, T::DTYPE)),
    }
    Ok(())
}

#[inline(always)]
fn float<T: Float>(op: UnaryOp, a: &Col<'_>, out: &mut Col<'static>, len: usize) -> Result<()> {
    let (a, o) = (input::<T>(a, len)?, out_vec::<T>(out, len)?);
    match op {
        UnaryOp::Neg => map1(a, o, T::neg),
        UnaryOp::Abs => map1(a, o, T::abs),
        // Small powers as multiplications (a powi call per element costs several ns).
        UnaryOp::Powi(0) => map1(a, o, |_| T::ONE),
        UnaryOp::Powi(1) => map1(a, o, |x| x),
        UnaryOp::Powi(2) => map1(a, o, |x| x.mul(x)),
        UnaryOp::Powi(3) => map1(a, o, |x| x.mul(x).mul(x)),
        UnaryOp::Powi(4) => map1(a, o, |x| {
            let y = x.mul(x);
            y.mul(y)
        }),
        UnaryOp::Powi(n) => map1(a, o, |x| x.powi(n)),
        UnaryOp::Math(f) => match f {
            // One loop per function, so each is monomorphic.
            FloatFn::Sqrt => map1(a, o, |x| x.apply(FloatFn::Sqrt)),
            FloatFn::Exp => map1(a, o, |x| x.apply(FloatFn::Exp)),
            FloatFn::Ln => map1(a, o, |x| x.apply(FloatFn::Ln)),
            FloatFn::Log10 => map1(a, o, |x| x.apply(FloatFn::Log10)),
            FloatFn::Sin => map1(a, o, |x| x.apply(FloatFn::Sin)),
            FloatFn::Cos => map1(a, o, |x| x.apply(FloatFn::Cos)),
            FloatFn::Tan => map1(a, o, |x| x.apply(FloatFn::Tan)),
            FloatFn::Tanh => map1(a, o, |x| x.apply(FloatFn::Tanh)),
            FloatFn::Floor => map1(a, o, |x| x.apply(FloatFn::Floor)),
            FloatFn::Ceil => map1(a, o, |x| x.apply(FloatFn::Ceil)),
            FloatFn::Round => map1(a, o, |x| x.apply(FloatFn::Round)),
            // The rarer functions share one loop with the dispatch inside.
            f => map1(a, o, |x| x.apply(f)),
        },
        UnaryOp::Sign => map1(a, o, T::sign),
        UnaryOp::Not | UnaryOp::Pred(_) | UnaryOp::PowU(_) => {
            return Err(unsupported(op, T::DTYPE));
        }
    }
    Ok(())
}

/// `out[..len] = op(a[..len], b[..len])`; `a` and `b` have the same type.
pub(crate) fn binary(
    op: BinaryOp,
    a: &Col<'_>,
    b: &Col<'_>,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    isa::widest(
        #[inline(always)]
        || binary_impl(op, a, b, out, len),
    )
}

#[inline(always)]
fn binary_impl(
    op: BinaryOp,
    a: &Col<'_>,
    b: &Col<'_>,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    let dtype = a.dtype();
    if op.is_comparison() {
        return with_dtype!(dtype, T => compare::<T>(op, a, b, out, len));
    }
    match (op, dtype) {
        (BinaryOp::And | BinaryOp::Or | BinaryOp::Xor | BinaryOp::Eq, DType::Bool) => {
            let (a, b, o) = (
                input::<bool>(a, len)?,
                input::<bool>(b, len)?,
                out_vec(out, len)?,
            );
            match op {
                BinaryOp::And => map2(a, b, o, |x, y| x & y),
                BinaryOp::Or => map2(a, b, o, |x, y| x | y),
                _ => map2(a, b, o, |x, y| x ^ y),
            }
            Ok(())
        }
        (BinaryOp::Pow, DType::F32) => pow::<f32>(a, b, out, len),
        (BinaryOp::Pow, DType::F64) => pow::<f64>(a, b, out, len),
        (BinaryOp::Float2(f), DType::F32) => float2::<f32>(f, a, b, out, len),
        (BinaryOp::Float2(f), DType::F64) => float2::<f64>(f, a, b, out, len),
        (BinaryOp::And | BinaryOp::Or | BinaryOp::Xor | BinaryOp::Shl | BinaryOp::Shr, d)
            if d.is_integer() =>
        {
            with_int!(d, T => bits::<T>(op, a, b, out, len))
        }
        (_, d) if d.is_integer() => with_int!(d, T => numeric::<T>(op, a, b, out, len)),
        (_, DType::F32) => numeric::<f32>(op, a, b, out, len),
        (_, DType::F64) => numeric::<f64>(op, a, b, out, len),
        _ => Err(unsupported(op.symbol(), dtype)),
    }
}

#[inline(always)]
fn float2<T: Float>(
    f: FloatFn2,
    a: &Col<'_>,
    b: &Col<'_>,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    let (a, b, o) = (input::<T>(a, len)?, input::<T>(b, len)?, out_vec(out, len)?);
    match f {
        FloatFn2::Hypot => map2(a, b, o, |x, y| x.apply2(FloatFn2::Hypot, y)),
        FloatFn2::Copysign => map2(a, b, o, |x, y| x.apply2(FloatFn2::Copysign, y)),
        FloatFn2::Fmax => map2(a, b, o, |x, y| x.apply2(FloatFn2::Fmax, y)),
        FloatFn2::Fmin => map2(a, b, o, |x, y| x.apply2(FloatFn2::Fmin, y)),
        f => map2(a, b, o, |x, y| x.apply2(f, y)),
    }
    Ok(())
}

#[inline(always)]
fn bits<T: Int>(
    op: BinaryOp,
    a: &Col<'_>,
    b: &Col<'_>,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    let (a, b, o) = (
        input::<T>(a, len)?,
        input::<T>(b, len)?,
        out_vec::<T>(out, len)?,
    );
    match op {
        BinaryOp::And => map2(a, b, o, T::bit_and),
        BinaryOp::Or => map2(a, b, o, T::bit_or),
        BinaryOp::Xor => map2(a, b, o, T::bit_xor),
        BinaryOp::Shl => map2(a, b, o, T::shl),
        BinaryOp::Shr => map2(a, b, o, T::shr),
        _ => return Err(unsupported(op.symbol(), T::DTYPE)),
    }
    Ok(())
}

#[inline(always)]
fn pow<T: Float>(a: &Col<'_>, b: &Col<'_>, out: &mut Col<'static>, len: usize) -> Result<()> {
    let (a, b, o) = (input::<T>(a, len)?, input::<T>(b, len)?, out_vec(out, len)?);
    map2(a, b, o, T::powf);
    Ok(())
}

#[inline(always)]
fn numeric<T: Num>(
    op: BinaryOp,
    a: &Col<'_>,
    b: &Col<'_>,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    let (a, b, o) = (
        input::<T>(a, len)?,
        input::<T>(b, len)?,
        out_vec::<T>(out, len)?,
    );
    match op {
        BinaryOp::Add => map2(a, b, o, T::add),
        BinaryOp::Sub => map2(a, b, o, T::sub),
        BinaryOp::Mul => map2(a, b, o, T::mul),
        BinaryOp::Div => map2(a, b, o, T::div),
        BinaryOp::Rem => map2(a, b, o, T::rem),
        BinaryOp::Maximum => map2(a, b, o, maximum),
        BinaryOp::Minimum => map2(a, b, o, minimum),
        BinaryOp::FloorDiv => map2(a, b, o, T::div_floor),
        BinaryOp::FloorRem => map2(a, b, o, T::rem_floor),
        _ => return Err(unsupported(op.symbol(), T::DTYPE)),
    }
    Ok(())
}

#[inline(always)]
fn compare<T: Element>(
    op: BinaryOp,
    a: &Col<'_>,
    b: &Col<'_>,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    let (a, b, o) = (
        input::<T>(a, len)?,
        input::<T>(b, len)?,
        out_vec::<bool>(out, len)?,
    );
    match op {
        BinaryOp::Lt => map2(a, b, o, |x, y| x < y),
        BinaryOp::Le => map2(a, b, o, |x, y| x <= y),
        BinaryOp::Gt => map2(a, b, o, |x, y| x > y),
        BinaryOp::Ge => map2(a, b, o, |x, y| x >= y),
        BinaryOp::Eq => map2(a, b, o, |x, y| x == y),
        BinaryOp::Ne => map2(a, b, o, |x, y| x != y),
        _ => return Err(unsupported(op.symbol(), T::DTYPE)),
    }
    Ok(())
}

impl BinaryOp {
    /// The comparison with its operands swapped (`a < b` is `b > a`), if it is one.
    fn swapped(self) -> Option<BinaryOp> {
        Some(match self {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::Le => BinaryOp::Ge,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::Ge => BinaryOp::Le,
            BinaryOp::Eq | BinaryOp::Ne => self,
            _ => return None,
        })
    }
}

/// `out[..len] = op(a[..len], s)`, or `op(s, a[..len])` when `scalar_left`: a binary
/// operation with a constant operand, without a column of copies of the constant.
pub(crate) fn binary_scalar(
    op: BinaryOp,
    a: &Col<'_>,
    s: Scalar,
    scalar_left: bool,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    isa::widest(
        #[inline(always)]
        || binary_scalar_impl(op, a, s, scalar_left, out, len),
    )
}

#[allow(clippy::bool_comparison)] // the comparisons are generic; one expansion is for bool
#[inline(always)]
fn binary_scalar_impl(
    op: BinaryOp,
    a: &Col<'_>,
    s: Scalar,
    scalar_left: bool,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    let dtype = a.dtype();
    if op.is_comparison() {
        let op = if scalar_left {
            op.swapped().expect("comparisons swap")
        } else {
            op
        };
        return with_dtype!(dtype, T => {
            let (a, o) = (input::<T>(a, len)?, out_vec::<bool>(out, len)?);
            let v = T::from_scalar(s);
            match op {
                BinaryOp::Lt => map1(a, o, |x| x < v),
                BinaryOp::Le => map1(a, o, |x| x <= v),
                BinaryOp::Gt => map1(a, o, |x| x > v),
                BinaryOp::Ge => map1(a, o, |x| x >= v),
                BinaryOp::Eq => map1(a, o, |x| x == v),
                _ => map1(a, o, |x| x != v),
            }
            Ok(())
        });
    }
    match dtype {
        d if d.is_integer() => {
            with_int!(d, T => numeric_scalar::<T>(op, a, s, scalar_left, out, len))
        }
        DType::F32 => numeric_scalar::<f32>(op, a, s, scalar_left, out, len),
        DType::F64 => numeric_scalar::<f64>(op, a, s, scalar_left, out, len),
        _ => {
            // Bool: logic with a constant is rare, so through a splatted column.
            let mut column = Col::empty(DType::Bool);
            splat(s, &mut column, len)?;
            if scalar_left {
                binary(op, &column, a, out, len)
            } else {
                binary(op, a, &column, out, len)
            }
        }
    }
}

#[inline(always)]
fn numeric_scalar<T: Num>(
    op: BinaryOp,
    a: &Col<'_>,
    s: Scalar,
    left: bool,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    let (a, o) = (input::<T>(a, len)?, out_vec::<T>(out, len)?);
    let v = T::from_scalar(s);
    match (op, left) {
        (BinaryOp::Add, false) => map1(a, o, |x| x.add(v)),
        (BinaryOp::Add, true) => map1(a, o, |x| v.add(x)),
        (BinaryOp::Sub, false) => map1(a, o, |x| x.sub(v)),
        (BinaryOp::Sub, true) => map1(a, o, |x| v.sub(x)),
        (BinaryOp::Mul, false) => map1(a, o, |x| x.mul(v)),
        (BinaryOp::Mul, true) => map1(a, o, |x| v.mul(x)),
        (BinaryOp::Div, false) => map1(a, o, |x| x.div(v)),
        (BinaryOp::Div, true) => map1(a, o, |x| v.div(x)),
        (BinaryOp::Rem, false) => map1(a, o, |x| x.rem(v)),
        (BinaryOp::Rem, true) => map1(a, o, |x| v.rem(x)),
        (BinaryOp::Maximum, false) => map1(a, o, |x| maximum(x, v)),
        (BinaryOp::Maximum, true) => map1(a, o, |x| maximum(v, x)),
        (BinaryOp::Minimum, false) => map1(a, o, |x| minimum(x, v)),
        (BinaryOp::Minimum, true) => map1(a, o, |x| minimum(v, x)),
        _ => {
            // Pow and the rest: through a splatted column.
            let mut column = Col::empty(T::DTYPE);
            splat(s, &mut column, len)?;
            let a = T::borrowed(a);
            return if left {
                binary(op, &column, &a, out, len)
            } else {
                binary(op, &a, &column, out, len)
            };
        }
    }
    Ok(())
}

/// `out[..len] = cond ? a : b`.
pub(crate) fn select(
    cond: &Col<'_>,
    a: &Col<'_>,
    b: &Col<'_>,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    isa::widest(
        #[inline(always)]
        || select_impl(cond, a, b, out, len),
    )
}

#[inline(always)]
fn select_impl(
    cond: &Col<'_>,
    a: &Col<'_>,
    b: &Col<'_>,
    out: &mut Col<'static>,
    len: usize,
) -> Result<()> {
    let cond = input::<bool>(cond, len)?;
    with_dtype!(a.dtype(), T => {
        let (a, b, o) = (input::<T>(a, len)?, input::<T>(b, len)?, out_vec::<T>(out, len)?);
        for (((o, &c), &x), &y) in o.iter_mut().zip(cond).zip(a).zip(b) {
            *o = if c { x } else { y };
        }
        Ok(())
    })
}

/// `out[..len] = a[..len] as to`.
pub(crate) fn cast(a: &Col<'_>, to: DType, out: &mut Col<'static>, len: usize) -> Result<()> {
    isa::widest(
        #[inline(always)]
        || cast_impl(a, to, out, len),
    )
}

#[inline(always)]
fn cast_impl(a: &Col<'_>, to: DType, out: &mut Col<'static>, len: usize) -> Result<()> {
    with_dtype!(a.dtype(), A => with_dtype!(to, B => {
        let (a, o) = (input::<A>(a, len)?, out_vec::<B>(out, len)?);
        map1(a, o, |x| x.cast::<B>());
        Ok(())
    }))
}

/// Fills `out` with `len` copies of `value`.
pub(crate) fn splat(value: Scalar, out: &mut Col<'static>, len: usize) -> Result<()> {
    with_dtype!(value.dtype(), T => {
        let o = out_vec::<T>(out, len)?;
        o.fill(T::from_scalar(value));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maximum_propagates_nan_both_ways() {
        assert!(maximum(f64::NAN, 1.0).is_nan());
        assert!(maximum(1.0, f64::NAN).is_nan());
        assert!(minimum(f64::NAN, 1.0).is_nan());
        assert!(minimum(1.0, f64::NAN).is_nan());
        assert_eq!(maximum(2, 3), 3);
        // Ties: the later operand, NumPy's rule.
        assert!(maximum(0.0, -0.0_f64).is_sign_negative());
        assert!(maximum(-0.0, 0.0_f64).is_sign_positive());
        assert!(minimum(-0.0, 0.0_f32).is_sign_positive());
        assert!(minimum(0.0, -0.0_f32).is_sign_negative());
    }

    #[test]
    fn binary_over_columns() {
        let a = Col::F64(vec![1.0, 2.0, 3.0].into());
        let b = Col::F64(vec![0.5, 2.5, 3.0].into());
        let mut out = Col::empty(DType::Bool);
        binary(BinaryOp::Lt, &a, &b, &mut out, 3).unwrap();
        assert_eq!(bool::col(&out).unwrap(), &[false, true, false]);
        let mut out = Col::empty(DType::F64);
        binary(BinaryOp::Sub, &a, &b, &mut out, 2).unwrap();
        assert_eq!(f64::col(&out).unwrap(), &[0.5, -0.5]);
        let mut bad = Col::empty(DType::Bool);
        assert!(unary(UnaryOp::Math(FloatFn::Sqrt), &bad.clone(), &mut bad, 0).is_err());
    }
}
