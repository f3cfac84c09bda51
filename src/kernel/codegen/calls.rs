//! The Rust functions that compiled code calls for what it does not compute natively:
//! transcendental functions, `powi`/`powf`, float remainders and floor division. Each is a
//! thin `extern "C"` wrapper over the very method the interpreter's loop calls
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

/// The code of a one-argument function: its index in [`FloatFn::ALL`].
pub(super) fn code1(f: FloatFn) -> Option<u32> {
    FloatFn::ALL.iter().position(|&g| g == f).map(|i| i as u32)
}

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

macro_rules! wrappers {
    ($t:ty, $math:ident, $math2:ident, $powi:ident, $binop:ident) => {
        extern "C" fn $math(code: u32, x: $t) -> $t {
            match FloatFn::ALL.get(code as usize) {
                Some(&f) => Float::apply(x, f),
                None => <$t>::NAN,
            }
        }
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

wrappers!(f64, math_f64, math2_f64, powi_f64, binop_f64);
wrappers!(f32, math_f32, math2_f32, powi_f32, binop_f32);

/// The symbol name and address of every wrapper, for the JIT's symbol table.
pub(super) fn symbols() -> [(&'static str, *const u8); 8] {
    [
        ("chunkflow_math_f64", math_f64 as *const u8),
        ("chunkflow_math2_f64", math2_f64 as *const u8),
        ("chunkflow_powi_f64", powi_f64 as *const u8),
        ("chunkflow_binop_f64", binop_f64 as *const u8),
        ("chunkflow_math_f32", math_f32 as *const u8),
        ("chunkflow_math2_f32", math2_f32 as *const u8),
        ("chunkflow_powi_f32", powi_f32 as *const u8),
        ("chunkflow_binop_f32", binop_f32 as *const u8),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_call_the_interpreters_functions() {
        assert_eq!(math_f64(code1(FloatFn::Exp).unwrap(), 1.0), 1.0f64.exp());
        assert_eq!(math2_f32(code2(FloatFn2::Hypot).unwrap(), 3.0, 4.0), 5.0);
        assert_eq!(powi_f64(2.0, 10), 1024.0);
        assert_eq!(binop_f64(CallOp::Rem as u32, 7.5, 2.0), 1.5);
        assert!(math_f64(99, 1.0).is_nan());
    }
}
