//! NumPy's math on arrays: the unary float functions (`sqrt` … `arctanh`), the predicates
//! (`isnan`, `isinf`, `isfinite`, `signbit`), the two-argument float functions (`arctan2`,
//! `hypot`, `copysign`, `fmax`, `fmin`, `logaddexp`, `nextafter`), `isclose`/`allclose`,
//! floor division and modulo, `sign`, integer bitwise logic, shifts and powers, and
//! closures over several arrays (`zip_map`, `zip_map3`).
//!
//! Every function is elementwise and lazy: it fuses with its neighbours into one kernel.
//! Domain errors give NaN, as in NumPy (`sqrt(-1)`, `arcsin(2)`), never a panic.

use std::marker::PhantomData;
use std::ops;
use std::sync::Arc;

use super::Array;
use super::elementwise::{Operand, elementwise};
use crate::dtype::{Element, Float, FloatFn, FloatFn2, FloatPred, Int, Num};
use crate::kernel::ops::{BinaryOp, UnaryOp};
use crate::kernel::program::{ZipFn2, ZipFn3};
use crate::kernel::source::fresh_id;
use crate::plan::ElemOp;

macro_rules! float_fns {
    ($($(#[$doc:meta])* $name:ident => $f:ident;)*) => {
        impl<T: Float> Array<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Array<T> {
                    self.unary(UnaryOp::Math(FloatFn::$f))
                }
            )*
        }
    };
}

float_fns! {
    /// The square root (NaN for negative numbers).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[2], 9.0, 1)?;
    /// assert_eq!(x.sqrt().compute()?.as_slice().unwrap(), &[3.0, 3.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    sqrt => Sqrt;
    /// e to the power of each element (NumPy's `exp`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[2], 1)?;
    /// assert_eq!(x.exp().sum().scalar()?, 2.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    exp => Exp;
    /// The natural logarithm (NumPy's `log`; NaN below 0, -inf at 0).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[3], 2)?;
    /// assert_eq!(x.ln().sum().scalar()?, 0.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    ln => Ln;
    /// The base-10 logarithm.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[2], 1000.0, 1)?;
    /// assert_eq!(x.log10().compute()?.as_slice().unwrap(), &[3.0, 3.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    log10 => Log10;
    /// The base-2 logarithm.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[2], 8.0, 1)?;
    /// assert_eq!(x.log2().compute()?.as_slice().unwrap(), &[3.0, 3.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    log2 => Log2;
    /// `ln(1 + x)`, accurate for small `x`.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 1e-20, 1)?;
    /// assert_eq!(x.log1p().compute()?[[0]], 1e-20);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    log1p => Log1p;
    /// `exp(x) - 1`, accurate for small `x`.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 1e-20, 1)?;
    /// assert_eq!(x.expm1().compute()?[[0]], 1e-20);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    expm1 => Expm1;
    /// 2 to the power of each element.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 10.0, 1)?;
    /// assert_eq!(x.exp2().compute()?[[0]], 1024.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    exp2 => Exp2;
    /// The cube root (negative for negative numbers).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], -27.0, 1)?;
    /// assert_eq!(x.cbrt().compute()?[[0]], -3.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    cbrt => Cbrt;
    /// `1 / x` (NumPy's `reciprocal`; inf at 0).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 4.0, 1)?;
    /// assert_eq!(x.recip().compute()?[[0]], 0.25);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    recip => Recip;
    /// The sine.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[2], 1)?;
    /// assert_eq!(x.sin().sum().scalar()?, 0.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    sin => Sin;
    /// The cosine.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[2], 1)?;
    /// assert_eq!(x.cos().sum().scalar()?, 2.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    cos => Cos;
    /// The tangent.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[2], 1)?;
    /// assert_eq!(x.tan().sum().scalar()?, 0.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    tan => Tan;
    /// The inverse sine (NaN outside [-1, 1]).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[1], 1)?;
    /// assert_eq!(x.arcsin().compute()?[[0]], std::f64::consts::FRAC_PI_2);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    arcsin => Arcsin;
    /// The inverse cosine (NaN outside [-1, 1]).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[1], 1)?;
    /// assert_eq!(x.arccos().compute()?[[0]], 0.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    arccos => Arccos;
    /// The inverse tangent.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[1], 1)?;
    /// assert_eq!(x.arctan().compute()?[[0]], std::f64::consts::FRAC_PI_4);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    arctan => Arctan;
    /// The hyperbolic sine.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[1], 1)?;
    /// assert_eq!(x.sinh().compute()?[[0]], 0.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    sinh => Sinh;
    /// The hyperbolic cosine.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[1], 1)?;
    /// assert_eq!(x.cosh().compute()?[[0]], 1.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    cosh => Cosh;
    /// The hyperbolic tangent.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[1], 1)?;
    /// assert_eq!(x.tanh().compute()?[[0]], 0.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    tanh => Tanh;
    /// The inverse hyperbolic sine.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::zeros(&[1], 1)?;
    /// assert_eq!(x.arcsinh().compute()?[[0]], 0.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    arcsinh => Arcsinh;
    /// The inverse hyperbolic cosine (NaN below 1).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[1], 1)?;
    /// assert_eq!(x.arccosh().compute()?[[0]], 0.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    arccosh => Arccosh;
    /// The inverse hyperbolic tangent (±inf at ±1, NaN outside).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[1], 1)?;
    /// assert_eq!(x.arctanh().compute()?[[0]], f64::INFINITY);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    arctanh => Arctanh;
    /// Degrees to radians (also NumPy's `radians`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 180.0, 1)?;
    /// assert_eq!(x.deg2rad().compute()?[[0]], std::f64::consts::PI);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    deg2rad => Deg2rad;
    /// Radians to degrees (also NumPy's `degrees`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], std::f64::consts::PI, 1)?;
    /// assert_eq!(x.rad2deg().compute()?[[0]], 180.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    rad2deg => Rad2deg;
    /// Rounds down.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], -1.5, 1)?;
    /// assert_eq!(x.floor().compute()?[[0]], -2.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    floor => Floor;
    /// Rounds up.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], -1.5, 1)?;
    /// assert_eq!(x.ceil().compute()?[[0]], -1.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    ceil => Ceil;
    /// Rounds toward zero.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], -1.5, 1)?;
    /// assert_eq!(x.trunc().compute()?[[0]], -1.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    trunc => Trunc;
    /// Rounds half to even, like NumPy's `round` (0 decimals).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![0.5, 1.5, 2.5], 2)?;
    /// assert_eq!(x.round().compute()?.as_slice().unwrap(), &[0.0, 2.0, 2.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    round => Round;
    /// Rounds half to even (NumPy's `rint`; the same as [`Array::round`]).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 2.5, 1)?;
    /// assert_eq!(x.rint().compute()?[[0]], 2.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    rint => Rint;
}

macro_rules! float_fns2 {
    ($($(#[$doc:meta])* $name:ident => $f:ident;)*) => {
        impl<T: Float> Array<T> {
            $(
                $(#[$doc])*
                pub fn $name<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
                where
                    T: 'a,
                {
                    self.binary(BinaryOp::Float2(FloatFn2::$f), other)
                }
            )*
        }
    };
}

float_fns2! {
    /// The angle of the point (`other`, `self`): NumPy's `arctan2(y, x)` with `self` as `y`.
    ///
    /// ```
    /// let y = chunkflow::Array::<f64>::ones(&[1], 1)?;
    /// assert_eq!(y.arctan2(-1.0).compute()?[[0]], 3.0 * std::f64::consts::FRAC_PI_4);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    arctan2 => Arctan2;
    /// `sqrt(self² + other²)` without overflow.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 3.0, 1)?;
    /// assert_eq!(x.hypot(4.0).compute()?[[0]], 5.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    hypot => Hypot;
    /// The magnitude of `self` with the sign of `other`.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 3.0, 1)?;
    /// assert_eq!(x.copysign(-0.0).compute()?[[0]], -3.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    copysign => Copysign;
    /// The elementwise maximum ignoring NaN (NaN only if both are NaN).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], f64::NAN, 1)?;
    /// assert_eq!(x.fmax(2.0).compute()?[[0]], 2.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    fmax => Fmax;
    /// The elementwise minimum ignoring NaN (NaN only if both are NaN).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], f64::NAN, 1)?;
    /// assert_eq!(x.fmin(2.0).compute()?[[0]], 2.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    fmin => Fmin;
    /// `ln(exp(self) + exp(other))` without overflow.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 1000.0, 1)?;
    /// let y = x.logaddexp(1000.0).compute()?[[0]];
    /// assert!((y - (1000.0 + std::f64::consts::LN_2)).abs() < 1e-9);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    logaddexp => Logaddexp;
    /// `log2(2^self + 2^other)` without overflow.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], 3.0, 1)?;
    /// assert_eq!(x.logaddexp2(3.0).compute()?[[0]], 4.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    logaddexp2 => Logaddexp2;
    /// The next representable value after `self` toward `other`.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::ones(&[1], 1)?;
    /// assert_eq!(x.nextafter(2.0).compute()?[[0]], 1.0 + f64::EPSILON);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    nextafter => Nextafter;
}

impl<T: Float> Array<T> {
    /// NumPy's `fmod`: the remainder with the sign of the dividend (the `%` operator).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[1], -7.0, 1)?;
    /// assert_eq!(x.fmod(3.0).compute()?[[0]], -1.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn fmod<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Rem, other)
    }

    /// Whether each element is within `atol + rtol * |other|` of `other` (NumPy's `isclose`
    /// with `equal_nan=False`: NaN is close to nothing; an infinity is close only to the
    /// same infinity, and no finite value is close to one).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![1.0, 1.0 + 1e-9, 2.0], 2)?;
    /// let close = x.isclose(1.0, 1e-5, 1e-8);
    /// assert_eq!(close.compute()?.as_slice().unwrap(), &[true, true, false]);
    /// let inf = chunkflow::Array::<f64>::from_vec(vec![f64::INFINITY, 1.0, -f64::INFINITY], 2)?;
    /// let near = inf.isclose(&chunkflow::Array::full(&[3], f64::INFINITY, 2)?, 1e-5, 1e-8);
    /// assert_eq!(near.compute()?.as_slice().unwrap(), &[true, false, false]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn isclose<'a>(&self, other: impl Into<Operand<'a, T>>, rtol: T, atol: T) -> Array<bool>
    where
        T: 'a,
    {
        // NumPy: `(|x - y| <= atol + rtol·|y|) & isfinite(y) | (x == y)`, so a finite
        // value is never close to an infinity (whose tolerance is infinite too).
        let other = other.into();
        let equal = self.binary::<bool>(BinaryOp::Eq, other);
        let diff = self.binary::<T>(BinaryOp::Sub, other).abs();
        match other {
            Operand::Array(b) => {
                let tolerance = &(&b.abs() * rtol) + atol;
                &equal | &(&diff.le(&tolerance) & &b.isfinite())
            }
            Operand::Scalar(b) if b.to_f64().is_finite() => {
                let tol = atol.add(rtol.mul(b.abs()));
                &equal | &diff.le(Operand::Scalar(tol))
            }
            Operand::Scalar(_) => equal,
        }
    }

    /// Whether every element is close to `other` (NumPy's `allclose`), as a 0-d array.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[4], 1.0, 2)?;
    /// assert!(x.allclose(1.0 + 1e-10, 1e-5, 1e-8).scalar()?);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn allclose<'a>(&self, other: impl Into<Operand<'a, T>>, rtol: T, atol: T) -> Array<bool>
    where
        T: 'a,
    {
        self.isclose(other, rtol, atol).all()
    }
}

impl<T: Num> Array<T> {
    fn predicate(&self, p: FloatPred) -> Array<bool> {
        self.unary(UnaryOp::Pred(p))
    }

    /// Whether each element is NaN (always false for integers).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![1.0, f64::NAN], 1)?;
    /// assert_eq!(x.isnan().compute()?.as_slice().unwrap(), &[false, true]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn isnan(&self) -> Array<bool> {
        self.predicate(FloatPred::IsNan)
    }

    /// Whether each element is +inf or -inf (always false for integers).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![f64::NEG_INFINITY, f64::NAN], 1)?;
    /// assert_eq!(x.isinf().compute()?.as_slice().unwrap(), &[true, false]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn isinf(&self) -> Array<bool> {
        self.predicate(FloatPred::IsInf)
    }

    /// Whether each element is neither NaN nor infinite (always true for integers).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![1.0, f64::INFINITY, f64::NAN], 2)?;
    /// assert_eq!(x.isfinite().compute()?.as_slice().unwrap(), &[true, false, false]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn isfinite(&self) -> Array<bool> {
        self.predicate(FloatPred::IsFinite)
    }

    /// Whether each element's sign bit is set (true for -0.0 and negative NaN).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::from_vec(vec![-0.0, 0.0, -2.0], 2)?;
    /// assert_eq!(x.signbit().compute()?.as_slice().unwrap(), &[true, false, true]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn signbit(&self) -> Array<bool> {
        self.predicate(FloatPred::Signbit)
    }

    /// -1, 0 or 1 by the sign of each element (NaN stays NaN; -0.0 gives 0).
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_vec(vec![-5, 0, 7], 2)?;
    /// assert_eq!(x.sign().compute()?.as_slice().unwrap(), &[-1, 0, 1]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn sign(&self) -> Array<T> {
        self.unary(UnaryOp::Sign)
    }

    /// Each element squared (NumPy's `square`; integers wrap).
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::arange(0, 4, 1, 2)?;
    /// assert_eq!(x.square().compute()?.as_slice().unwrap(), &[0, 1, 4, 9]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn square(&self) -> Array<T> {
        self.binary(BinaryOp::Mul, self)
    }

    /// NumPy's `floor_divide` (`//`): the quotient rounded toward negative infinity.
    /// Integer division by zero gives 0 (NumPy's result, without its warning); float
    /// division by zero gives ±inf or NaN.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_vec(vec![7, -7], 2)?;
    /// assert_eq!(x.div_floor(2).compute()?.as_slice().unwrap(), &[3, -4]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn div_floor<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::FloorDiv, other)
    }

    /// NumPy's `remainder`/`mod` (Python's `%`): the result has the sign of the divisor,
    /// and `x == div_floor(x, y) * y + rem_floor(x, y)`. By zero: 0 for integers, NaN for
    /// floats.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_vec(vec![7, -7], 2)?;
    /// assert_eq!(x.rem_floor(3).compute()?.as_slice().unwrap(), &[1, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn rem_floor<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::FloorRem, other)
    }
}

impl<T: Int> Array<T> {
    /// Bitwise and (also the `&` operator).
    ///
    /// ```
    /// let x = chunkflow::Array::<u32>::from_vec(vec![0b1100, 0b1010], 2)?;
    /// assert_eq!(x.bitwise_and(0b1000).compute()?.as_slice().unwrap(), &[8, 8]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn bitwise_and<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::And, other)
    }

    /// Bitwise or (also the `|` operator).
    ///
    /// ```
    /// let x = chunkflow::Array::<u32>::from_vec(vec![0b1100, 0b1010], 2)?;
    /// assert_eq!(x.bitwise_or(1).compute()?.as_slice().unwrap(), &[13, 11]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn bitwise_or<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Or, other)
    }

    /// Bitwise exclusive or (also the `^` operator).
    ///
    /// ```
    /// let x = chunkflow::Array::<u32>::from_vec(vec![0b1100, 0b1010], 2)?;
    /// assert_eq!(x.bitwise_xor(0b0110).compute()?.as_slice().unwrap(), &[10, 12]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn bitwise_xor<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Xor, other)
    }

    /// Bitwise not (NumPy's `invert`, also the `!` operator).
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_vec(vec![0, -1], 2)?;
    /// assert_eq!(x.invert().compute()?.as_slice().unwrap(), &[-1, 0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn invert(&self) -> Array<T> {
        self.unary(UnaryOp::Not)
    }

    /// `self << other` (also the `<<` operator); shifting by the width or more, or by a
    /// negative amount, gives 0.
    ///
    /// ```
    /// let x = chunkflow::Array::<u64>::ones(&[2], 1)?;
    /// assert_eq!(x.left_shift(10).compute()?.as_slice().unwrap(), &[1024, 1024]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn left_shift<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Shl, other)
    }

    /// `self >> other` (also the `>>` operator), arithmetic for signed types; by the width
    /// or more: 0, or -1 for negative numbers.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::from_vec(vec![-8, 8], 2)?;
    /// assert_eq!(x.right_shift(2).compute()?.as_slice().unwrap(), &[-2, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn right_shift<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Shr, other)
    }

    /// Each element to the power `n` (wrapping on overflow, as NumPy's integer `power`).
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::full(&[2], 3, 1)?;
    /// assert_eq!(x.pow(4).compute()?.as_slice().unwrap(), &[81, 81]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn pow(&self, n: u32) -> Array<T> {
        self.unary(UnaryOp::PowU(n))
    }
}

// The bitwise operators `& | ^ << >>` on integer arrays come from `binary_operator!` in
// `elementwise.rs`, beside the arithmetic ones.

impl<T: Int> ops::Not for &Array<T> {
    type Output = Array<T>;
    fn not(self) -> Array<T> {
        self.invert()
    }
}
impl<T: Int> ops::Not for Array<T> {
    type Output = Array<T>;
    fn not(self) -> Array<T> {
        self.invert()
    }
}

/// Applies `f` to the elements of `a` and `b` pairwise, broadcasting them as operators
/// do; fused like [`Array::map`]. A panic in `f` becomes an error naming the chunk's task.
///
/// ```
/// use chunkflow::{Array, zip_map};
/// let a = Array::<f64>::linspace(0.0, 3.0, 4, 2)?;
/// let b = Array::<i64>::arange(0, 4, 1, 2)?;
/// let c = zip_map(&a, &b, |x, k| x * k as f64);
/// assert_eq!(c.compute()?.as_slice().unwrap(), &[0.0, 1.0, 4.0, 9.0]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn zip_map<A: Element, B: Element, U: Element>(
    a: &Array<A>,
    b: &Array<B>,
    f: impl Fn(A, B) -> U + Send + Sync + 'static,
) -> Array<U> {
    let map = ZipFn2 {
        name: "zip_map".to_string(),
        f,
        _types: PhantomData,
    };
    elementwise(
        ElemOp::Map(Arc::new(map), fresh_id()),
        vec![a.node().clone(), b.node().clone()],
    )
}

/// Applies `f` to the elements of three arrays, broadcasting them; fused like
/// [`Array::map`].
///
/// ```
/// use chunkflow::{Array, zip_map3};
/// let a = Array::<f64>::ones(&[3], 2)?;
/// let b = Array::<f64>::full(&[3], 2.0, 2)?;
/// let c = Array::<bool>::from_vec(vec![true, false, true], 2)?;
/// let d = zip_map3(&a, &b, &c, |x, y, pick| if pick { x } else { y });
/// assert_eq!(d.compute()?.as_slice().unwrap(), &[1.0, 2.0, 1.0]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn zip_map3<A: Element, B: Element, C: Element, U: Element>(
    a: &Array<A>,
    b: &Array<B>,
    c: &Array<C>,
    f: impl Fn(A, B, C) -> U + Send + Sync + 'static,
) -> Array<U> {
    let map = ZipFn3 {
        name: "zip_map3".to_string(),
        f,
        _types: PhantomData,
    };
    elementwise(
        ElemOp::Map(Arc::new(map), fresh_id()),
        vec![a.node().clone(), b.node().clone(), c.node().clone()],
    )
}
