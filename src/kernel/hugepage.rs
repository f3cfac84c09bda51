//! Transparent huge pages for large buffers: a fresh chunk buffer or in-place result of
//! many megabytes otherwise page-faults its way in 4 KiB at a time, and the faults (the
//! kernel zeroing and mapping each page) can cost more than computing the values. Linux
//! backs a range advised with `madvise(MADV_HUGEPAGE)` with 2 MiB pages when its
//! transparent-huge-page mode is `madvise` or `always` (NumPy advises its large arrays the
//! same way), so one fault maps 512 times as much.
//!
//! Only whole 2 MiB-aligned huge pages inside the buffer are advised: a buffer from the
//! allocator is not 2 MiB-aligned, and advising the aligned interior leaves at most two
//! partial huge pages at its ends on small pages, which for buffers of several megabytes
//! is most of the benefit without an aligned allocator (whose layout a `Vec` handed to the
//! user could not free). Elsewhere than Linux this does nothing.

/// The huge page size advised for (x86-64 and aarch64 with 4 KiB base pages).
pub(crate) const HUGE_PAGE: usize = 2 << 20;

/// Advises the kernel to back the allocated storage of `buf` (its whole capacity) with
/// huge pages, if it spans at least one whole aligned huge page. Call it before the
/// buffer is first written: pages already faulted in stay small until the kernel's
/// background `khugepaged` merges them.
pub(crate) fn advise<T>(buf: &Vec<T>) {
    let bytes = buf.capacity().saturating_mul(size_of::<T>());
    advise_range(buf.as_ptr() as usize, bytes);
}

#[cfg(target_os = "linux")]
fn advise_range(addr: usize, bytes: usize) {
    if bytes < HUGE_PAGE {
        return;
    }
    let (Some(start), Some(end)) = (
        addr.checked_next_multiple_of(HUGE_PAGE),
        addr.checked_add(bytes),
    ) else {
        return;
    };
    let end = end / HUGE_PAGE * HUGE_PAGE;
    if end <= start {
        return;
    }
    // SAFETY: `madvise(MADV_HUGEPAGE)` is a hint about how the kernel backs a range: it
    // neither reads nor writes memory, nor changes what the range contains, its protection
    // or whether it is mapped, so it cannot break any Rust invariant whatever range it is
    // given; here the range lies inside the caller's live allocation anyway. A failure
    // (huge pages disabled, an old kernel) only means the hint is not taken, so the result
    // is ignored.
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_addr: usize, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advising_any_buffer_is_harmless() {
        for n in [0, 1, 1000, HUGE_PAGE / 8, 3 * HUGE_PAGE / 8 + 5] {
            let mut v: Vec<f64> = Vec::with_capacity(n);
            advise(&v);
            v.extend((0..n).map(|i| i as f64));
            assert_eq!(v.iter().sum::<f64>(), (0..n).map(|i| i as f64).sum::<f64>());
        }
    }
}
