//! Element types: the `DType` tag, scalars, the `Element` trait and its numeric refinements,
//! and `Col`, a type-erased column of elements used by the kernels.

use std::borrow::Cow;
use std::fmt;

/// The element type of an array, known at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`
    Bool,
    /// `i32`
    I32,
    /// `i64`
    I64,
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
    /// assert_eq!(DType::ALL.len(), 7);
    /// assert!(DType::ALL.contains(&DType::U32));
    /// ```
    pub const ALL: [DType; 7] = [
        DType::Bool,
        DType::I32,
        DType::I64,
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
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool => 1,
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

/// An array element type: `bool`, `i32`, `i64`, `u32`, `u64`, `f32` or `f64`.
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
    /// The type `sum` and `prod` return (NumPy's: `i64` for bool and i32, `u64` for u32).
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
}

/// Signed numeric types (`i32`, `i64`, `f32`, `f64`): negation and `abs`.
pub trait Signed: Num {
    #[doc(hidden)]
    fn neg(self) -> Self;
    #[doc(hidden)]
    fn abs(self) -> Self;
}

/// Floating-point types: the math functions.
pub trait Float: Signed {
    #[doc(hidden)]
    fn from_f64(v: f64) -> Self;
    #[doc(hidden)]
    fn apply(self, f: FloatFn) -> Self;
    #[doc(hidden)]
    fn powi(self, n: i32) -> Self;
    #[doc(hidden)]
    fn powf(self, p: Self) -> Self;
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
        }
    )*};
}
int_num!(i32, i64, u32, u64);

macro_rules! int_signed {
    ($($t:ty),*) => {$(
        impl Signed for $t {
            #[inline(always)] fn neg(self) -> Self { self.wrapping_neg() }
            #[inline(always)] fn abs(self) -> Self { self.wrapping_abs() }
        }
    )*};
}
int_signed!(i32, i64);

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
                    FloatFn::Round => self.round_ties_even(),
                }
            }
            #[inline(always)] fn powi(self, n: i32) -> Self { <$t>::powi(self, n) }
            #[inline(always)] fn powf(self, p: Self) -> Self { <$t>::powf(self, p) }
        }
    )*};
}
float_impls!(f32, f64);

/// Runs `$body` with `$T` bound to the Rust type of a [`DType`] (crate-private).
macro_rules! with_dtype {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::dtype::DType::Bool => {
                type $T = bool;
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
