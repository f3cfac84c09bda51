//! The `blas` feature: block products go through the system's OpenBLAS. The library is
//! mapped into the process, `cblas_dgemm`/`cblas_sgemm` are really called (this binary
//! defines both symbols itself, counting calls and forwarding to OpenBLAS's through
//! `dlsym(RTLD_NEXT)`; an executable's own definitions take precedence over a shared
//! library's, so ndarray's calls land here first), and the results of chunked matmul,
//! tensordot and einsum in f64 and f32 match a naive triple loop within a tolerance.
#![cfg(feature = "blas")]
#![cfg(target_os = "linux")]

use std::ffi::{CStr, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use chunkflow::{Array, Options, einsum, matmul, tensordot};
use ndarray::{Array2, ArrayD, Ix2};

static DGEMM_CALLS: AtomicUsize = AtomicUsize::new(0);
static SGEMM_CALLS: AtomicUsize = AtomicUsize::new(0);

/// The tests count calls: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The next definition of `name` after this executable's (OpenBLAS's).
fn next_symbol(name: &CStr) -> *mut c_void {
    // SAFETY: `name` is NUL-terminated; RTLD_NEXT is a valid pseudo-handle for dlsym.
    let f = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) };
    assert!(
        !f.is_null(),
        "no {name:?} after this executable: is libopenblas linked?"
    );
    f
}

type Gemm<T> = unsafe extern "C" fn(
    c_int,
    c_int,
    c_int,
    c_int,
    c_int,
    c_int,
    T,
    *const T,
    c_int,
    *const T,
    c_int,
    T,
    *mut T,
    c_int,
);

/// Defines the CBLAS GEMM symbol `$name` for element type `$t`: it counts the call in
/// `$calls` and forwards it to OpenBLAS's definition of the same symbol (the CBLAS enums
/// are C `int`s).
macro_rules! counting_gemm {
    ($name:ident, $t:ty, $calls:ident) => {
        /// Counts the call and forwards it to OpenBLAS's definition of this symbol.
        ///
        /// # Safety
        /// The caller's contract is CBLAS's: pointers and leading dimensions describe
        /// valid matrices of the given sizes.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(
            layout: c_int,
            ta: c_int,
            tb: c_int,
            m: c_int,
            n: c_int,
            k: c_int,
            alpha: $t,
            a: *const $t,
            lda: c_int,
            b: *const $t,
            ldb: c_int,
            beta: $t,
            c: *mut $t,
            ldc: c_int,
        ) {
            static REAL: OnceLock<usize> = OnceLock::new();
            let symbol = concat!(stringify!($name), "\0");
            let f = *REAL.get_or_init(|| {
                let name = CStr::from_bytes_with_nul(symbol.as_bytes()).expect("NUL-terminated");
                next_symbol(name) as usize
            });
            $calls.fetch_add(1, Ordering::SeqCst);
            // SAFETY: `f` is OpenBLAS's definition of this CBLAS symbol, whose C signature
            // `Gemm<$t>` is; the arguments are the caller's, passed on unchanged.
            unsafe {
                let f: Gemm<$t> = std::mem::transmute(f);
                f(layout, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            }
        }
    };
}

counting_gemm!(cblas_dgemm, f64, DGEMM_CALLS);
counting_gemm!(cblas_sgemm, f32, SGEMM_CALLS);

/// Deterministic values in [-0.5, 0.5) that are not small integers (so rounding shows).
fn data(shape: (usize, usize), seed: usize) -> Array2<f64> {
    Array2::from_shape_fn(shape, |(i, j)| {
        ((i * 7919 + j * 104_729 + seed * 31) % 1009) as f64 / 1009.0 - 0.5
    })
}

/// The reference: a plain triple loop in f64.
fn naive(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let ((m, k), (_, n)) = (a.dim(), b.dim());
    Array2::from_shape_fn((m, n), |(i, j)| (0..k).map(|p| a[[i, p]] * b[[p, j]]).sum())
}

/// Largest absolute difference, relative to the largest magnitude of `want` (at least 1).
fn rel_err<T: Copy + Into<f64>>(got: &ArrayD<T>, want: &Array2<f64>) -> f64 {
    let got = got.view().into_dimensionality::<Ix2>().unwrap();
    assert_eq!(got.dim(), want.dim());
    let scale = want.iter().fold(1.0f64, |s, x| s.max(x.abs()));
    got.iter()
        .zip(want)
        .map(|(&g, &w)| (g.into() - w).abs())
        .fold(0.0, f64::max)
        / scale
}

#[test]
fn openblas_is_mapped_into_the_process() {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    assert!(maps.contains("libopenblas"), "libopenblas is not mapped");
}

#[test]
fn f64_block_products_call_dgemm_and_match_the_naive_product() {
    let _g = serial();
    let (a, b) = (data((64, 48), 1), data((48, 40), 2));
    let x = Array::from_ndarray(a.clone(), [32, 24]).unwrap();
    let y = Array::from_ndarray(b.clone(), [24, 20]).unwrap();
    let before = DGEMM_CALLS.load(Ordering::SeqCst);
    let c = matmul(&x, &y).unwrap().compute().unwrap();
    let calls = DGEMM_CALLS.load(Ordering::SeqCst) - before;
    // 2 × 2 output blocks, each the sum of 2 block products.
    assert!(calls >= 8, "{calls} dgemm calls for 8 block products");
    assert!(rel_err(&c, &naive(&a, &b)) < 1e-13);
    // A transposed operand (its blocks are copied to standard layout first) and einsum.
    let before = DGEMM_CALLS.load(Ordering::SeqCst);
    let at = Array::from_ndarray(a.t().to_owned(), [24, 32]).unwrap();
    let t = tensordot(&at, &y, &[0], &[0]).unwrap().compute().unwrap();
    assert!(rel_err(&t, &naive(&a, &b)) < 1e-13);
    let e = einsum("ki,kj->ij", &[&at, &y]).unwrap().compute().unwrap();
    assert!(rel_err(&e, &naive(&a, &b)) < 1e-13);
    assert!(DGEMM_CALLS.load(Ordering::SeqCst) - before >= 16);
}

#[test]
fn f32_block_products_call_sgemm_and_match_the_naive_product() {
    let _g = serial();
    let (a, b) = (data((40, 56), 3), data((56, 24), 4));
    let x = Array::from_ndarray(a.mapv(|v| v as f32), [20, 28]).unwrap();
    let y = Array::from_ndarray(b.mapv(|v| v as f32), [28, 12]).unwrap();
    let want = naive(&a, &b);
    let before = SGEMM_CALLS.load(Ordering::SeqCst);
    let c = matmul(&x, &y).unwrap().compute().unwrap();
    assert!(SGEMM_CALLS.load(Ordering::SeqCst) - before >= 8);
    assert!(rel_err(&c, &want) < 1e-5);
    let t = tensordot(&x, &y, &[1], &[0]).unwrap().compute().unwrap();
    assert!(rel_err(&t, &want) < 1e-5);
    let e = einsum("ik,kj->ij", &[&x, &y]).unwrap().compute().unwrap();
    assert!(rel_err(&e, &want) < 1e-5);
}

#[test]
fn batched_einsum_calls_dgemm_per_matrix() {
    let _g = serial();
    let a = ndarray::Array3::from_shape_fn((3, 16, 12), |(b, i, j)| {
        ((b * 13 + i * 7 + j * 3) % 17) as f64 / 17.0 - 0.5
    });
    let b = ndarray::Array3::from_shape_fn((3, 12, 10), |(b, i, j)| {
        ((b * 5 + i * 11 + j) % 19) as f64 / 19.0 - 0.5
    });
    let x = Array::from_ndarray(a.clone(), [2, 16, 12]).unwrap();
    let y = Array::from_ndarray(b.clone(), [2, 12, 10]).unwrap();
    let before = DGEMM_CALLS.load(Ordering::SeqCst);
    let c = einsum("bij,bjk->bik", &[&x, &y])
        .unwrap()
        .compute()
        .unwrap();
    assert!(DGEMM_CALLS.load(Ordering::SeqCst) - before >= 3);
    for s in 0..3 {
        let want = naive(
            &a.index_axis(ndarray::Axis(0), s).to_owned(),
            &b.index_axis(ndarray::Axis(0), s).to_owned(),
        );
        let got = c.index_axis(ndarray::Axis(0), s).to_owned();
        assert!(rel_err(&got, &want) < 1e-13);
    }
}

#[test]
fn small_blocks_and_integers_fall_back_to_ndarrays_own_product() {
    let _g = serial();
    // Every side of every block at most 7: ndarray does not call BLAS.
    let (a, b) = (data((14, 14), 5), data((14, 14), 6));
    let x = Array::from_ndarray(a.clone(), 7).unwrap();
    let y = Array::from_ndarray(b.clone(), 7).unwrap();
    let before = DGEMM_CALLS.load(Ordering::SeqCst);
    let c = matmul(&x, &y).unwrap().compute().unwrap();
    assert_eq!(DGEMM_CALLS.load(Ordering::SeqCst), before);
    assert!(rel_err(&c, &naive(&a, &b)) < 1e-13);
    let i =
        Array::from_ndarray(Array2::from_shape_fn((20, 20), |(i, j)| (i + j) as i64), 10).unwrap();
    let p = matmul(&i, &i).unwrap().compute().unwrap();
    assert_eq!(p[[3, 4]], (0..20).map(|k| (3 + k) * (k + 4)).sum::<i64>());
}

unsafe extern "C" {
    /// OpenBLAS's own thread count (its threads are separate from the scheduler's).
    fn openblas_set_num_threads(n: c_int);
}

#[test]
fn results_do_not_depend_on_the_thread_counts() {
    let _g = serial();
    let (a, b) = (data((160, 144), 9), data((144, 128), 10));
    let x = Array::from_ndarray(a, [80, 48]).unwrap();
    let y = Array::from_ndarray(b, [48, 64]).unwrap();
    let c = matmul(&x, &y).unwrap();
    let mut runs = vec![];
    for blas_threads in [1, 2] {
        // SAFETY: a plain setter of OpenBLAS's thread count, callable at any time.
        unsafe { openblas_set_num_threads(blas_threads) };
        runs.push(c.compute_with(&Options::default().synchronous()).unwrap());
        runs.push(
            c.compute_with(&Options::default().threads(2).unwrap())
                .unwrap(),
        );
    }
    assert!(
        runs.iter().all(|r| *r == runs[0]),
        "results differ between thread counts"
    );
}

#[test]
fn a_large_f64_product_matches_the_naive_one() {
    let _g = serial();
    let (a, b) = (data((192, 160), 7), data((160, 176), 8));
    let x = Array::from_ndarray(a.clone(), [96, 80]).unwrap();
    let y = Array::from_ndarray(b.clone(), [80, 88]).unwrap();
    let before = DGEMM_CALLS.load(Ordering::SeqCst);
    let c = matmul(&x, &y).unwrap().compute().unwrap();
    assert!(DGEMM_CALLS.load(Ordering::SeqCst) - before >= 8);
    assert!(rel_err(&c, &naive(&a, &b)) < 1e-12);
}
