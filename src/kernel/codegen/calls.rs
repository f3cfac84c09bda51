//! The Rust functions that compiled code calls for what it does not compute natively:
//! transcendental functions, `powi`/`powf`, float remainders and floor division. Each is a
//! thin `extern "C"` wrapper (one per one-argument function, so a call goes straight to
//! it) over the very method the interpreter's loop calls
//! ([`Float::apply`], [`Float::powi`], [`Num::rem`], ...), so a compiled program's results
//! are the interpreter's, bit for bit.
//!
//! The functions never panic (an unknown function code gives NaN), as unwinding out of an
//! `extern "C"` function would abort.

use crate::dtype::{Float, FloatFn, FloatFn2, Num};

/// The two-argument float functions, by the code that compiled code passes.
pub(super) const FLOAT_FN2: [FloatFn2; 8] = [
    FloatFn2::Arctan2,
    FloatFn2::Hypot,
    FloatFn2::Copysign,
    FloatFn2::Fmax,
    FloatFn2::Fmin,
    FloatFn2::Logaddexp,
    FloatFn2::Logaddexp2,
    FloatFn2::Nextafter,
];

/// The code of a two-argument function: its index in [`FLOAT_FN2`].
pub(super) fn code2(f: FloatFn2) -> Option<u32> {
    FLOAT_FN2.iter().position(|&g| g == f).map(|i| i as u32)
}

/// A float binary operation computed by a call (code passed to `binop_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CallOp {
    Pow = 0,
    Rem = 1,
    FloorDiv = 2,
    FloorRem = 3,
}

/// `FloatFn::ALL[CODE]` of `x`, the function fixed at compile time: a call from compiled
/// code goes straight to it (a jump to `exp`, say), with no dispatch per element.
extern "C" fn math_f64<const CODE: usize>(x: f64) -> f64 {
    Float::apply(x, FloatFn::ALL[CODE])
}

/// [`math_f64`] for f32.
extern "C" fn math_f32<const CODE: usize>(x: f32) -> f32 {
    Float::apply(x, FloatFn::ALL[CODE])
}

/// A one-argument wrapper: its symbol name and its function.
type Math<T> = (&'static str, extern "C" fn(T) -> T);

macro_rules! one_argument_wrappers {
    ($($code:literal)*) => {
        /// The f64 wrapper of each one-argument function, by code (a table of the wrong
        /// length does not compile).
        const MATH_F64: [Math<f64>; FloatFn::ALL.len()] =
            [$((concat!("chunkflow_math_f64_", $code), math_f64::<$code>)),*];
        /// The f32 wrapper of each one-argument function, by code.
        const MATH_F32: [Math<f32>; FloatFn::ALL.len()] =
            [$((concat!("chunkflow_math_f32_", $code), math_f32::<$code>)),*];
    };
}
one_argument_wrappers!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28
);

/// The symbol of the wrapper computing `f` on f32 (`f32`) or f64 values.
pub(super) fn math_symbol(f: FloatFn, f32: bool) -> Option<&'static str> {
    let code = FloatFn::ALL.iter().position(|&g| g == f)?;
    Some(if f32 {
        MATH_F32[code].0
    } else {
        MATH_F64[code].0
    })
}

macro_rules! wrappers {
    ($t:ty, $math2:ident, $powi:ident, $binop:ident) => {
        extern "C" fn $math2(code: u32, x: $t, y: $t) -> $t {
            match FLOAT_FN2.get(code as usize) {
                Some(&f) => Float::apply2(x, f, y),
                None => <$t>::NAN,
            }
        }
        extern "C" fn $powi(x: $t, n: i32) -> $t {
            Float::powi(x, n)
        }
        extern "C" fn $binop(code: u32, x: $t, y: $t) -> $t {
            match code {
                0 => Float::powf(x, y),
                1 => Num::rem(x, y),
                2 => Num::div_floor(x, y),
                3 => Num::rem_floor(x, y),
                _ => <$t>::NAN,
            }
        }
    };
}

wrappers!(f64, math2_f64, powi_f64, binop_f64);
wrappers!(f32, math2_f32, powi_f32, binop_f32);

/// The symbol name and address of every wrapper, for the JIT's symbol table.
pub(super) fn symbols() -> Vec<(&'static str, *const u8)> {
    let mut table = vec![
        ("chunkflow_math2_f64", math2_f64 as *const u8),
        ("chunkflow_powi_f64", powi_f64 as *const u8),
        ("chunkflow_binop_f64", binop_f64 as *const u8),
        ("chunkflow_math2_f32", math2_f32 as *const u8),
        ("chunkflow_powi_f32", powi_f32 as *const u8),
        ("chunkflow_binop_f32", binop_f32 as *const u8),
    ];
    table.extend(MATH_F64.iter().map(|&(name, f)| (name, f as *const u8)));
    table.extend(MATH_F32.iter().map(|&(name, f)| (name, f as *const u8)));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_call_the_interpreters_functions() {
        for (k, &f) in FloatFn::ALL.iter().enumerate() {
            for x in [-1.5f64, 0.25, 3.0] {
                let (want, got) = (Float::apply(x, f), (MATH_F64[k].1)(x));
                assert!(want.to_bits() == got.to_bits() || want.is_nan() && got.is_nan());
                let x = x as f32;
                let (want, got) = (Float::apply(x, f), (MATH_F32[k].1)(x));
                assert!(want.to_bits() == got.to_bits() || want.is_nan() && got.is_nan());
            }
        }
        assert_eq!(
            math_symbol(FloatFn::Exp, false),
            Some("chunkflow_math_f64_1")
        );
        assert_eq!(math2_f32(code2(FloatFn2::Hypot).unwrap(), 3.0, 4.0), 5.0);
        assert_eq!(powi_f64(2.0, 10), 1024.0);
        assert_eq!(binop_f64(CallOp::Rem as u32, 7.5, 2.0), 1.5);
    }
}
