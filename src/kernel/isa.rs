//! Runtime choice of the instruction set for the strip loops.
//!
//! The crate is compiled for the target's baseline (SSE2 on x86-64), which is all a library
//! can assume about its users' machines. The strip loops are simple enough for the compiler
//! to vectorise, and twice as wide registers halve their instruction count, so each loop is
//! compiled a second time with AVX2 enabled and chosen at run time when the CPU has it (the
//! check is one cached atomic load), as NumPy and numexpr dispatch their kernels.
//!
//! Results do not depend on the choice: AVX2 adds no fused multiply-add (that is FMA, not
//! enabled), and IEEE-754 add, subtract, multiply, divide, square root and comparisons are
//! exactly rounded at any vector width; transcendental functions call the same libm.

/// Runs `f` compiled for the widest instruction set this CPU supports. `f` must be an
/// `#[inline(always)]` closure over `#[inline(always)]` code, so that its body is compiled
/// into each variant.
///
/// ```ignore
/// isa::widest(#[inline(always)] || add_strips(a, b, out));
/// ```
#[inline(always)]
pub(crate) fn widest<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { with_avx2(f) };
    }
    f()
}

/// Like [`widest`], with AVX-512 (F, DQ and VL) first when the CPU has it: for loops
/// built on 64-bit integer multiplies (the random generators' SplitMix64 hashes), which
/// AVX-512DQ does in one instruction per vector (`vpmullq`) and AVX2 emulates with three
/// 32-bit multiplies and shifts. Only such loops use it: for the float strip loops, which
/// are memory-bound, wider vectors gain little and may lower the clock on some CPUs.
/// Results are identical whichever variant runs (wrapping integer arithmetic and exactly
/// rounded float operations, no FMA).
#[inline(always)]
pub(crate) fn widest_for_u64_multiplies<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
    {
        // SAFETY: the CPU supports AVX-512F, DQ and VL, checked just above.
        return unsafe { with_avx512(f) };
    }
    widest(f)
}

/// `f()` compiled with AVX-512F, DQ and VL (and AVX2, which they imply) enabled.
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512DQ and AVX-512VL.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512dq,avx512vl")]
unsafe fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `f()` compiled with AVX2 enabled.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}
