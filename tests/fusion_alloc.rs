//! Fusion allocates no full-chunk temporary per operation: a chain of 8 elementwise
//! operations over 10 chunks makes 10 chunk-sized allocations for the source chunks and one
//! for the result, not one per operation per chunk. Counted with a global allocator that
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

#[test]
fn a_fused_chain_allocates_one_buffer_per_chunk_not_per_op() {
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
    // 10 source chunks + 1 result buffer (the fused tasks write into it directly).
    assert_eq!(fused, 11, "fused run made {fused} chunk-sized allocations");
    // Unfused: each of the 16 operations materialises every chunk.
    assert!(unfused >= 10 * 16, "unfused run made only {unfused}");
}
