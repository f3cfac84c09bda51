//! Fusion allocates no full-chunk temporary per operation: a chain of 8 elementwise
//! operations over 10 chunks of a generated input makes one chunk-sized allocation, the
//! result, not one per operation per chunk (nor one per input chunk). Counted with a global allocator that
//! records allocations of at least a chunk's size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use chunkflow::{Array, Options};

const CHUNK: usize = 100_000;
const CHUNK_BYTES: usize = CHUNK * 8;

struct Counting;
static BIG_ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= CHUNK_BYTES {
            BIG_ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= CHUNK_BYTES && layout.size() < CHUNK_BYTES {
            BIG_ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The counter is global: tests that count run one at a time.
static COUNTING: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_fused_chain_allocates_one_buffer_per_chunk_not_per_op() {
    let _one_at_a_time = COUNTING.lock().unwrap_or_else(|e| e.into_inner());
    let x = Array::<f64>::linspace(0.0, 1.0, 10 * CHUNK, CHUNK).unwrap();
    let mut y = x.clone();
    for k in 0..8 {
        y = (&y * 1.01 + k as f64).sqrt();
    }
    let count = |options: &Options| {
        BIG_ALLOCATIONS.store(0, Ordering::SeqCst);
        let out = y.compute_with(options).unwrap();
        let n = BIG_ALLOCATIONS.load(Ordering::SeqCst);
        (n, out)
    };
    let (fused, a) = count(&Options::default().synchronous());
    let (unfused, b) = count(&Options::default().synchronous().fuse(false));
    assert_eq!(a, b);
    // 1 result buffer (the fused tasks write into it directly, and generate the linspace
    // input strip by strip: no source chunk is materialized).
    assert_eq!(fused, 1, "fused run made {fused} chunk-sized allocations");
    // Unfused: each of the 16 operations but the last materialises every chunk.
    assert!(unfused >= 10 * 15, "unfused run made only {unfused}");
}

#[test]
fn a_fused_consumer_of_random_arrays_allocates_no_input_chunk() {
    let _one_at_a_time = COUNTING.lock().unwrap_or_else(|e| e.into_inner());
    let x = chunkflow::random::uniform(-1.0, 1.0, &[10 * CHUNK], CHUNK, 1).unwrap();
    let y = chunkflow::random::uniform(-1.0, 1.0, &[10 * CHUNK], CHUNK, 2).unwrap();
    let inside = (&x * &x + &y * &y).lt(1.0).sum();
    for options in [Options::default().synchronous(), Options::default()] {
        BIG_ALLOCATIONS.store(0, Ordering::SeqCst);
        let count = inside.scalar_with(&options).unwrap();
        assert_eq!(BIG_ALLOCATIONS.load(Ordering::SeqCst), 0);
        assert!(count > 0);
    }
    // An elementwise result over random inputs: only the result buffer.
    BIG_ALLOCATIONS.store(0, Ordering::SeqCst);
    let d = (&x - &y)
        .abs()
        .compute_with(&Options::default().synchronous())
        .unwrap();
    assert_eq!(BIG_ALLOCATIONS.load(Ordering::SeqCst), 1);
    assert_eq!(d.len(), 10 * CHUNK);
}
