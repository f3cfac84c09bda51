//! Element types: the `DType` tag, scalars, the `Element` trait and its numeric refinements,
//! and `Col`, a type-erased column of elements used by the kernels.

use std::borrow::Cow;
use std::fmt;

/// The element type of an array, known at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`
    Bool,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl DType {
    /// Every element type, in declaration order (for file readers matching a stored type).
    ///
    /// ```
    /// use chunkflow::DType;
    /// assert_eq!(DType::ALL.len(), 11);
    /// assert!(DType::ALL.contains(&DType::U32));
    /// ```
    pub const ALL: [DType; 11] = [
        DType::Bool,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F32,
        DType::F64,
    ];

    /// The Rust name of the type.
    ///
    /// ```
    /// assert_eq!(chunkflow::DType::F64.name(), "f64");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::U8 => "u8",
            DType::U16 => "u16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// Whether the type is an integer type (not `bool`).
    ///
    /// ```
    /// assert!(chunkflow::DType::U8.is_integer() && !chunkflow::DType::Bool.is_integer());
    /// ```
    pub fn is_integer(self) -> bool {
        !matches!(self, DType::Bool | DType::F32 | DType::F64)
    }

    /// Whether the type is a floating-point type.
    ///
    /// ```
    /// assert!(chunkflow::DType::F32.is_float() && !chunkflow::DType::I64.is_float());
    /// ```
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One value of any element type.
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum Scalar {
    Bool(bool),
    I8(i8),
    I16(i16),
    U8(u8),
    U16(u16),
    I32(i32),
    I64(i64),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
}

impl Scalar {
    /// The scalar's type.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::I8(_) => DType::I8,
            Scalar::I16(_) => DType::I16,
            Scalar::U8(_) => DType::U8,
            Scalar::U16(_) => DType::U16,
            Scalar::I32(_) => DType::I32,
            Scalar::I64(_) => DType::I64,
            Scalar::U32(_) => DType::U32,
            Scalar::U64(_) => DType::U64,
            Scalar::F32(_) => DType::F32,
            Scalar::F64(_) => DType::F64,
        }
    }

    /// Bits identifying the value exactly (floats by their bit pattern), for hashing.
    pub(crate) fn bits(self) -> u64 {
        match self {
            Scalar::Bool(v) => v as u64,
            Scalar::I8(v) => v as u8 as u64,
            Scalar::I16(v) => v as u16 as u64,
            Scalar::U8(v) => v as u64,
            Scalar::U16(v) => v as u64,
            Scalar::I32(v) => v as u32 as u64,
            Scalar::I64(v) => v as u64,
            Scalar::U32(v) => v as u64,
            Scalar::U64(v) => v,
            Scalar::F32(v) => v.to_bits() as u64,
            Scalar::F64(v) => v.to_bits(),
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(v) => write!(f, "{v}"),
            Scalar::I8(v) => write!(f, "{v}"),
            Scalar::I16(v) => write!(f, "{v}"),
            Scalar::U8(v) => write!(f, "{v}"),
            Scalar::U16(v) => write!(f, "{v}"),
            Scalar::I32(v) => write!(f, "{v}"),
            Scalar::I64(v) => write!(f, "{v}"),
            Scalar::U32(v) => write!(f, "{v}"),
            Scalar::U64(v) => write!(f, "{v}"),
            Scalar::F32(v) => write!(f, "{v}"),
            Scalar::F64(v) => write!(f, "{v}"),
        }
    }
}

/// A column of elements of one type, borrowed or owned: the kernels' register type.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Col<'a> {
    Bool(Cow<'a, [bool]>),
    I8(Cow<'a, [i8]>),
    I16(Cow<'a, [i16]>),
    U8(Cow<'a, [u8]>),
    U16(Cow<'a, [u16]>),
    I32(Cow<'a, [i32]>),
    I64(Cow<'a, [i64]>),
    U32(Cow<'a, [u32]>),
    U64(Cow<'a, [u64]>),
    F32(Cow<'a, [f32]>),
    F64(Cow<'a, [f64]>),
}

impl Col<'_> {
    /// An empty owned column of type `dtype`.
    pub fn empty(dtype: DType) -> Col<'static> {
        match dtype {
            DType::Bool => Col::Bool(Cow::Owned(Vec::new())),
            DType::I8 => Col::I8(Cow::Owned(Vec::new())),
            DType::I16 => Col::I16(Cow::Owned(Vec::new())),
            DType::U8 => Col::U8(Cow::Owned(Vec::new())),
            DType::U16 => Col::U16(Cow::Owned(Vec::new())),
            DType::I32 => Col::I32(Cow::Owned(Vec::new())),
            DType::I64 => Col::I64(Cow::Owned(Vec::new())),
            DType::U32 => Col::U32(Cow::Owned(Vec::new())),
            DType::U64 => Col::U64(Cow::Owned(Vec::new())),
            DType::F32 => Col::F32(Cow::Owned(Vec::new())),
            DType::F64 => Col::F64(Cow::Owned(Vec::new())),
        }
    }

    /// The column's element type.
    pub fn dtype(&self) -> DType {
        match self {
            Col::Bool(_) => DType::Bool,
            Col::I8(_) => DType::I8,
            Col::I16(_) => DType::I16,
            Col::U8(_) => DType::U8,
            Col::U16(_) => DType::U16,
            Col::I32(_) => DType::I32,
            Col::I64(_) => DType::I64,
            Col::U32(_) => DType::U32,
            Col::U64(_) => DType::U64,
            Col::F32(_) => DType::F32,
            Col::F64(_) => DType::F64,
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// An array element type: `bool`, `i8`, `i16`, `i32`, `i64`, `u8`, `u16`, `u32`, `u64`, `f32` or
/// `f64`.
///
/// ```
/// use chunkflow::{DType, Element};
/// assert_eq!(<f32 as Element>::DTYPE, DType::F32);
/// assert_eq!(3_i32.cast::<f64>(), 3.0);
/// ```
pub trait Element:
    Copy + Send + Sync + PartialEq + PartialOrd + fmt::Debug + Default + 'static + sealed::Sealed
{
    /// The run-time tag of this type.
    const DTYPE: DType;
    /// The type `sum` and `prod` return (NumPy's: `i64` for bool and the signed integers, `u64`
    /// for the unsigned ones).
    type Sum: Num;
    /// The type `mean`, `var` and `std` return: `f32` for f32, `f64` otherwise.
    type Real: Float;
    /// Wraps the value as a [`Scalar`].
    fn to_scalar(self) -> Scalar;
    /// Converts any scalar to this type, as Rust's `as` does (bool: nonzero is true).
    fn from_scalar(s: Scalar) -> Self;
    /// The value as f64 (bool: 0 or 1).
    fn to_f64(self) -> f64;
    /// The value converted to the sum type.
    fn to_sum(self) -> Self::Sum;
    /// Converts to another element type, as Rust's `as` does.
    #[inline(always)]
    fn cast<U: Element>(self) -> U {
        U::from_scalar(self.to_scalar())
    }
    /// Whether the value is NaN (always false for non-floats).
    #[inline(always)]
    #[allow(clippy::eq_op)]
    fn is_nan(self) -> bool {
        self != self
    }
    #[doc(hidden)]
    fn col<'b>(c: &'b Col<'_>) -> Option<&'b [Self]>;
    #[doc(hidden)]
    fn col_vec<'b>(c: &'b mut Col<'static>) -> Option<&'b mut Vec<Self>>;
    #[doc(hidden)]
    fn borrowed(s: &[Self]) -> Col<'_>;
    #[doc(hidden)]
    fn owned(v: Vec<Self>) -> Col<'static>;
}

/// The numeric element types (everything but `bool`): arithmetic, `maximum`/`minimum`.
///
/// Integer arithmetic wraps on overflow and integer division or remainder by zero gives 0
/// (NumPy's result) instead of panicking; division truncates toward zero, as in Rust and
/// ndarray.
pub trait Num: Element {
    /// 0
    const ZERO: Self;
    /// 1
    const ONE: Self;
    #[doc(hidden)]
    fn add(self, o: Self) -> Self;
    #[doc(hidden)]
    fn sub(self, o: Self) -> Self;
    #[doc(hidden)]
    fn mul(self, o: Self) -> Self;
    #[doc(hidden)]
    fn div(self, o: Self) -> Self;
    #[doc(hidden)]
    fn rem(self, o: Self) -> Self;
    /// NumPy's `floor_divide`: the quotient rounded toward negative infinity (integers:
    /// division by zero gives 0, as NumPy's result; floats: NumPy's `divmod` algorithm).
    #[doc(hidden)]
    fn div_floor(self, o: Self) -> Self;
    /// NumPy's `remainder` (Python's `%`): the result has the sign of the divisor.
    #[doc(hidden)]
    fn rem_floor(self, o: Self) -> Self;
    /// NumPy's `sign`: -1, 0 or 1 (NaN for NaN; 0 for -0.0).
    #[doc(hidden)]
    fn sign(self) -> Self;
}

/// The integer element types: bitwise logic, shifts and integer powers.
pub trait Int: Num {
    /// The number of bits.
    const BITS: u32;
    #[doc(hidden)]
    fn bit_and(self, o: Self) -> Self;
    #[doc(hidden)]
    fn bit_or(self, o: Self) -> Self;
    #[doc(hidden)]
    fn bit_xor(self, o: Self) -> Self;
    #[doc(hidden)]
    fn bit_not(self) -> Self;
    /// `self << o`; a shift by a negative amount or by the width or more gives 0 (NumPy).
    #[doc(hidden)]
    fn shl(self, o: Self) -> Self;
    /// `self >> o` (arithmetic for signed types); by the width or more: 0, or -1 for a
    /// negative `self` (NumPy).
    #[doc(hidden)]
    fn shr(self, o: Self) -> Self;
    /// `self` to the power `n`, wrapping on overflow.
    #[doc(hidden)]
    fn pow_u(self, n: u32) -> Self;
}

/// Signed numeric types (`i8`, `i16`, `i32`, `i64`, `f32`, `f64`): negation and `abs`.
pub trait Signed: Num {
    #[doc(hidden)]
    fn neg(self) -> Self;
    #[doc(hidden)]
    fn abs(self) -> Self;
}

/// Floating-point types: the math functions.
pub trait Float: Signed + Element<Sum = Self, Real = Self> {
    #[doc(hidden)]
    fn from_f64(v: f64) -> Self;
    #[doc(hidden)]
    fn apply(self, f: FloatFn) -> Self;
    #[doc(hidden)]
    fn powi(self, n: i32) -> Self;
    #[doc(hidden)]
    fn powf(self, p: Self) -> Self;
    #[doc(hidden)]
    fn apply2(self, f: FloatFn2, o: Self) -> Self;
    #[doc(hidden)]
    fn test(self, p: FloatPred) -> bool;
}

/// The binary float functions, as a value so kernels can dispatch on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FloatFn2 {
    Arctan2,
    Hypot,
    Copysign,
    Fmax,
    Fmin,
    Logaddexp,
    Logaddexp2,
    Nextafter,
}

/// Float predicates (NumPy's `isnan`, `isinf`, `isfinite`, `signbit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FloatPred {
    IsNan,
    IsInf,
    IsFinite,
    Signbit,
}

/// The unary float functions, as a value so kernels can dispatch on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FloatFn {
    Sqrt,
    Exp,
    Ln,
    Log10,
    Sin,
    Cos,
    Tan,
    Tanh,
    Floor,
    Ceil,
    Round,
    Trunc,
    Log2,
    Log1p,
    Expm1,
    Exp2,
    Cbrt,
    Recip,
    Sinh,
    Cosh,
    Arcsin,
    Arccos,
    Arctan,
    Arcsinh,
    Arccosh,
    Arctanh,
    Deg2rad,
    Rad2deg,
    Rint,
}

impl FloatFn {
    /// Every function, for tests and dispatch tables.
    pub const ALL: [FloatFn; 29] = [
        FloatFn::Sqrt,
        FloatFn::Exp,
        FloatFn::Ln,
        FloatFn::Log10,
        FloatFn::Sin,
        FloatFn::Cos,
        FloatFn::Tan,
        FloatFn::Tanh,
        FloatFn::Floor,
        FloatFn::Ceil,
        FloatFn::Round,
        FloatFn::Trunc,
        FloatFn::Log2,
        FloatFn::Log1p,
        FloatFn::Expm1,
        FloatFn::Exp2,
        FloatFn::Cbrt,
        FloatFn::Recip,
        FloatFn::Sinh,
        FloatFn::Cosh,
        FloatFn::Arcsin,
        FloatFn::Arccos,
        FloatFn::Arctan,
        FloatFn::Arcsinh,
        FloatFn::Arccosh,
        FloatFn::Arctanh,
        FloatFn::Deg2rad,
        FloatFn::Rad2deg,
        FloatFn::Rint,
    ];
}

macro_rules! element_common {
    ($t:tt, $variant:ident, $sum:ty, $real:ty) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$variant;
            type Sum = $sum;
            type Real = $real;
            #[inline(always)]
            fn to_scalar(self) -> Scalar {
                Scalar::$variant(self)
            }
            #[inline(always)]
            fn from_scalar(s: Scalar) -> Self {
                match s {
                    Scalar::Bool(v) => from_bool!($t, v),
                    Scalar::I8(v) => cast_to!($t, v),
                    Scalar::I16(v) => cast_to!($t, v),
                    Scalar::U8(v) => cast_to!($t, v),
                    Scalar::U16(v) => cast_to!($t, v),
                    Scalar::I32(v) => cast_to!($t, v),
                    Scalar::I64(v) => cast_to!($t, v),
                    Scalar::U32(v) => cast_to!($t, v),
                    Scalar::U64(v) => cast_to!($t, v),
                    Scalar::F32(v) => cast_to!($t, v),
                    Scalar::F64(v) => cast_to!($t, v),
                }
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                to_f64!($t, self)
            }
            #[inline(always)]
            fn to_sum(self) -> $sum {
                <$sum as Element>::from_scalar(self.to_scalar())
            }
            fn col<'b>(c: &'b Col<'_>) -> Option<&'b [Self]> {
                match c {
                    Col::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn col_vec<'b>(c: &'b mut Col<'static>) -> Option<&'b mut Vec<Self>> {
                match c {
                    Col::$variant(v) => Some(v.to_mut()),
                    _ => None,
                }
            }
            fn borrowed(s: &[Self]) -> Col<'_> {
                Col::$variant(Cow::Borrowed(s))
            }
            fn owned(v: Vec<Self>) -> Col<'static> {
                Col::$variant(Cow::Owned(v))
            }
        }
    };
}

macro_rules! from_bool {
    (bool, $v:expr) => {
        $v
    };
    (f32, $v:expr) => {
        if $v { 1.0 } else { 0.0 }
    };
    (f64, $v:expr) => {
        if $v { 1.0 } else { 0.0 }
    };
    ($t:ty, $v:expr) => {
        $v as $t
    };
}

/// NumPy's conversion to bool: nonzero is true (so NaN is true and -0.0 is false).
///
/// A function rather than `v != Default::default()` inline: with another crate in the build
/// that implements `PartialEq<Foreign>` for the primitives (serde_json does, under the `zarr`
/// feature), the inline comparison's right-hand type can no longer be inferred.
#[inline(always)]
fn nonzero<T: PartialEq + Default>(v: T) -> bool {
    v != T::default()
}

macro_rules! cast_to {
    (bool, $v:expr) => {
        nonzero($v)
    };
    ($t:ty, $v:expr) => {
        $v as $t
    };
}

macro_rules! to_f64 {
    (bool, $v:expr) => {
        if $v { 1.0 } else { 0.0 }
    };
    ($t:ty, $v:expr) => {
        $v as f64
    };
}

element_common!(bool, Bool, i64, f64);
element_common!(i8, I8, i64, f64);
element_common!(i16, I16, i64, f64);
element_common!(u8, U8, u64, f64);
element_common!(u16, U16, u64, f64);
element_common!(i32, I32, i64, f64);
element_common!(i64, I64, i64, f64);
element_common!(u32, U32, u64, f64);
element_common!(u64, U64, u64, f64);
element_common!(f32, F32, f32, f32);
element_common!(f64, F64, f64, f64);

macro_rules! int_num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            #[inline(always)] fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)] fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline(always)] fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline(always)] fn div(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_div(o) } }
            #[inline(always)] fn rem(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_rem(o) } }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn div_floor(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let q = self.wrapping_div(o);
                // Truncation rounded toward zero; step down when the signs differ and it
                // was inexact (never for unsigned types).
                if (self.wrapping_rem(o) != 0) && ((self < 0) != (o < 0)) { q.wrapping_sub(1) } else { q }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn rem_floor(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let r = self.wrapping_rem(o);
                if r != 0 && ((r < 0) != (o < 0)) { r.wrapping_add(o) } else { r }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn sign(self) -> Self {
                if self > 0 { 1 } else if self == 0 { 0 } else { (0 as Self).wrapping_sub(1) }
            }
        }
        impl Int for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline(always)] fn bit_and(self, o: Self) -> Self { self & o }
            #[inline(always)] fn bit_or(self, o: Self) -> Self { self | o }
            #[inline(always)] fn bit_xor(self, o: Self) -> Self { self ^ o }
            #[inline(always)] fn bit_not(self) -> Self { !self }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn shl(self, o: Self) -> Self {
                if o < 0 || o as u64 >= <$t>::BITS as u64 { 0 } else { self << o }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn shr(self, o: Self) -> Self {
                if o < 0 || o as u64 >= <$t>::BITS as u64 {
                    if self < 0 { (0 as Self).wrapping_sub(1) } else { 0 }
                } else {
                    self >> o
                }
            }
            #[inline(always)] fn pow_u(self, n: u32) -> Self { self.wrapping_pow(n) }
        }
    )*};
}
int_num!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! int_signed {
    ($($t:ty),*) => {$(
        impl Signed for $t {
            #[inline(always)] fn neg(self) -> Self { self.wrapping_neg() }
            #[inline(always)] fn abs(self) -> Self { self.wrapping_abs() }
        }
    )*};
}
int_signed!(i8, i16, i32, i64);

macro_rules! float_impls {
    ($($t:ty),*) => {$(
        impl Num for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)] fn add(self, o: Self) -> Self { self + o }
            #[inline(always)] fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)] fn mul(self, o: Self) -> Self { self * o }
            #[inline(always)] fn div(self, o: Self) -> Self { self / o }
            #[inline(always)] fn rem(self, o: Self) -> Self { self % o }
            #[inline(always)]
            fn div_floor(self, o: Self) -> Self {
                float_divmod(self as f64, o as f64).0 as $t
            }
            #[inline(always)]
            fn rem_floor(self, o: Self) -> Self {
                float_divmod(self as f64, o as f64).1 as $t
            }
            #[inline(always)]
            fn sign(self) -> Self {
                if self > 0.0 { 1.0 } else if self < 0.0 { -1.0 } else if self == 0.0 { 0.0 } else { self }
            }
        }
        impl Signed for $t {
            #[inline(always)] fn neg(self) -> Self { -self }
            #[inline(always)] fn abs(self) -> Self { <$t>::abs(self) }
        }
        impl Float for $t {
            #[inline(always)] fn from_f64(v: f64) -> Self { v as $t }
            #[inline(always)]
            fn apply(self, f: FloatFn) -> Self {
                match f {
                    FloatFn::Sqrt => self.sqrt(),
                    FloatFn::Exp => self.exp(),
                    FloatFn::Ln => self.ln(),
                    FloatFn::Log10 => self.log10(),
                    FloatFn::Sin => self.sin(),
                    FloatFn::Cos => self.cos(),
                    FloatFn::Tan => self.tan(),
                    FloatFn::Tanh => self.tanh(),
                    FloatFn::Floor => self.floor(),
                    FloatFn::Ceil => self.ceil(),
                    FloatFn::Round | FloatFn::Rint => self.round_ties_even(),
                    FloatFn::Trunc => self.trunc(),
                    FloatFn::Log2 => self.log2(),
                    FloatFn::Log1p => self.ln_1p(),
                    FloatFn::Expm1 => self.exp_m1(),
                    FloatFn::Exp2 => self.exp2(),
                    FloatFn::Cbrt => self.cbrt(),
                    FloatFn::Recip => 1.0 / self,
                    FloatFn::Sinh => self.sinh(),
                    FloatFn::Cosh => self.cosh(),
                    FloatFn::Arcsin => self.asin(),
                    FloatFn::Arccos => self.acos(),
                    FloatFn::Arctan => self.atan(),
                    FloatFn::Arcsinh => self.asinh(),
                    FloatFn::Arccosh => self.acosh(),
                    FloatFn::Arctanh => self.atanh(),
                    FloatFn::Deg2rad => self.to_radians(),
                    FloatFn::Rad2deg => self.to_degrees(),
                }
            }
            #[inline(always)]
            fn apply2(self, f: FloatFn2, o: Self) -> Self {
                match f {
                    FloatFn2::Arctan2 => self.atan2(o),
                    FloatFn2::Hypot => self.hypot(o),
                    FloatFn2::Copysign => self.copysign(o),
                    // NaN only when both are NaN (NumPy's fmax/fmin); of two equal
                    // operands the later one (fmax(0.0, -0.0) is -0.0), as `maximum`.
                    FloatFn2::Fmax => {
                        if self > o || o.is_nan() {
                            self
                        } else {
                            o
                        }
                    }
                    FloatFn2::Fmin => {
                        if self < o || o.is_nan() {
                            self
                        } else {
                            o
                        }
                    }
                    FloatFn2::Logaddexp => {
                        if self == o {
                            // Equal infinities included: inf, or -inf for -inf.
                            self + std::f64::consts::LN_2 as $t
                        } else {
                            let d = self - o;
                            if d > 0.0 {
                                self + (-d).exp().ln_1p()
                            } else if d <= 0.0 {
                                o + d.exp().ln_1p()
                            } else {
                                d // NaN
                            }
                        }
                    }
                    FloatFn2::Logaddexp2 => {
                        let ln2 = std::f64::consts::LN_2 as $t;
                        if self == o {
                            self + 1.0
                        } else {
                            let d = self - o;
                            if d > 0.0 {
                                self + (-d).exp2().ln_1p() / ln2
                            } else if d <= 0.0 {
                                o + d.exp2().ln_1p() / ln2
                            } else {
                                d
                            }
                        }
                    }
                    FloatFn2::Nextafter => next_after(self, o),
                }
            }
            #[inline(always)]
            fn test(self, p: FloatPred) -> bool {
                match p {
                    FloatPred::IsNan => self.is_nan(),
                    FloatPred::IsInf => self.is_infinite(),
                    FloatPred::IsFinite => self.is_finite(),
                    FloatPred::Signbit => self.is_sign_negative(),
                }
            }
            #[inline(always)] fn powi(self, n: i32) -> Self { <$t>::powi(self, n) }
            #[inline(always)] fn powf(self, p: Self) -> Self { <$t>::powf(self, p) }
        }
    )*};
}
float_impls!(f32, f64);

/// The next representable value after `x` toward `y` (C's `nextafter`).
fn next_after<T: FloatBits>(x: T, y: T) -> T {
    if x.is_nan_() || y.is_nan_() {
        return x.add_(y);
    }
    if x == y {
        return y;
    }
    if x.is_zero_() {
        let tiny = T::from_bits_(1);
        return if y > x { tiny } else { tiny.neg_() };
    }
    let up = (y > x) == (x > T::zero_());
    let bits = x.to_bits_();
    T::from_bits_(if up { bits + 1 } else { bits - 1 })
}

/// Bit access for `next_after`, over both float widths.
trait FloatBits: Copy + PartialOrd {
    fn to_bits_(self) -> u64;
    fn from_bits_(b: u64) -> Self;
    fn is_nan_(self) -> bool;
    fn is_zero_(self) -> bool;
    fn zero_() -> Self;
    fn neg_(self) -> Self;
    fn add_(self, o: Self) -> Self;
}
macro_rules! float_bits {
    ($t:ty, $u:ty) => {
        impl FloatBits for $t {
            fn to_bits_(self) -> u64 {
                self.to_bits() as u64
            }
            fn from_bits_(b: u64) -> Self {
                <$t>::from_bits(b as $u)
            }
            fn is_nan_(self) -> bool {
                self.is_nan()
            }
            fn is_zero_(self) -> bool {
                self == 0.0
            }
            fn zero_() -> Self {
                0.0
            }
            fn neg_(self) -> Self {
                -self
            }
            fn add_(self, o: Self) -> Self {
                self + o
            }
        }
    };
}
float_bits!(f32, u32);
float_bits!(f64, u64);

/// NumPy's float `divmod` (`npy_divmod`): the floored quotient and the remainder with the
/// divisor's sign, exact where `floor(a / b)` is not.
fn float_divmod(a: f64, b: f64) -> (f64, f64) {
    if b == 0.0 {
        // NumPy: a / 0 (±inf or NaN) and NaN remainder.
        return (a / b, f64::NAN);
    }
    let mut rem = a % b;
    let mut div = (a - rem) / b;
    if rem != 0.0 {
        if (b < 0.0) != (rem < 0.0) {
            rem += b;
            div -= 1.0;
        }
    } else {
        rem = 0.0_f64.copysign(b);
    }
    let floordiv = if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0.0_f64.copysign(a / b)
    };
    (floordiv, rem)
}

/// Runs `$body` with `$T` bound to the Rust type of a [`DType`] (crate-private).
macro_rules! with_dtype {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::dtype::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::dtype::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::dtype::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::dtype::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::dtype::DType::U16 => {
                type $T = u16;
                $body
            }
            $crate::dtype::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::dtype::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::dtype::DType::U32 => {
                type $T = u32;
                $body
            }
            $crate::dtype::DType::U64 => {
                type $T = u64;
                $body
            }
            $crate::dtype::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}
pub(crate) use with_dtype;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_rust_as() {
        assert_eq!((-1.7_f64).cast::<i32>(), -1);
        assert_eq!(f64::NAN.cast::<i64>(), 0);
        assert!(2_u32.cast::<bool>());
        assert!(!0.0_f32.cast::<bool>());
        // NumPy: nonzero is true, NaN included; negative zero is zero.
        assert!(0.5_f64.cast::<bool>());
        assert!(!(-0.0_f64).cast::<bool>());
        assert!(f64::NAN.cast::<bool>());
        assert!(f32::NAN.cast::<bool>());
        assert!(2.0_f64.cast::<bool>());
        assert!((-1_i64).cast::<bool>());
        assert!(!0_u64.cast::<bool>());
        assert_eq!(true.cast::<f64>(), 1.0);
        assert_eq!(true.to_sum(), 1_i64);
    }

    #[test]
    fn integer_division_by_zero_is_zero() {
        assert_eq!(Num::div(7_i32, 0), 0);
        assert_eq!(Num::rem(7_u64, 0), 0);
        assert_eq!(Num::div(i32::MIN, -1), i32::MIN);
    }
}
