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

/// `f()` compiled with AVX2 enabled.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}
