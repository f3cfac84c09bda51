//! The shape of NumPy's pairwise summation (`pairwise_sum`), shared by the interpreter's
//! reductions and the compiled backend so that both add the same numbers in the same
//! order: a lane of at most [`BLOCK`] elements is one leaf (summed as a block, see
//! `reduce::reducers::block_sum`); a longer lane splits at [`split`] into two halves
//! summed recursively and added.
//!
//! The compiled backend sums all the leaves of a lane in one call ([`leaves`]) and adds
//! their sums back up in the tree's order ([`combine`]).
//!
//! ```text
//! lane of 512:   (128 + 128) + (128 + 128)
//! lane of 300:   (144 -> 72 + 72) + (156 -> 72 + 84)
//! ```

/// The elements of one pairwise-summation block (NumPy's `PW_BLOCKSIZE`).
pub(crate) const BLOCK: usize = 128;

/// Where a lane of more than [`BLOCK`] elements splits: its first half has this many
/// elements (half the lane, rounded down to a multiple of 8), the second the rest. Both
/// halves have at least 64 elements.
#[inline(always)]
pub(crate) fn split(len: usize) -> usize {
    len / 2 / 8 * 8
}

/// The leaf lengths of a lane of `len` elements, first to last, each passed to `leaf`
/// (one leaf for a lane of at most [`BLOCK`] elements, even an empty one). A leaf of a
/// longer lane has 64 to 128 elements, so a lane has at most `len / 64 + 1` leaves.
pub(crate) fn leaves(len: usize, leaf: &mut impl FnMut(usize)) {
    if len <= BLOCK {
        leaf(len);
        return;
    }
    let half = split(len);
    leaves(half, leaf);
    leaves(len - half, leaf);
}

/// The pairwise sum of a lane of `len` elements from its leaves' sums, `next()` giving
/// them first to last (as [`leaves`] lists the leaves): the tree's additions in its order.
pub(crate) fn combine(len: usize, next: &mut impl FnMut() -> f64) -> f64 {
    if len <= BLOCK {
        return next();
    }
    let half = split(len);
    let first = combine(half, next);
    first + combine(len - half, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_cover_the_lane_in_order_and_combine_adds_them_as_the_tree_does() {
        for len in [0usize, 1, 7, 128, 129, 300, 512, 1000, 8192, 12345] {
            let mut lens = Vec::new();
            leaves(len, &mut |n| lens.push(n));
            assert_eq!(lens.iter().sum::<usize>(), len);
            assert!(lens.len() <= len / 64 + 1, "{len}: {lens:?}");
            assert!(
                lens.iter()
                    .all(|&n| n <= BLOCK && (len <= BLOCK || n >= 64))
            );
            let mut k = 0;
            combine(len, &mut || {
                k += 1;
                0.0
            });
            assert_eq!(k, lens.len(), "{len}");
        }
        let mut lens = Vec::new();
        leaves(300, &mut |n| lens.push(n));
        assert_eq!(lens, [72, 72, 72, 84]);
        // (a + b) + (c + d), not ((a + b) + c) + d: 1e16 + 1 rounds to 1e16, 1 + 1 does not.
        let mut sums = [1e16, 1.0, 1.0, 1.0].into_iter();
        assert_eq!(combine(512, &mut || sums.next().unwrap()), 1e16 + 2.0);
    }
}
