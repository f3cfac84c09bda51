//! Block arithmetic: which blocks of an input feed a block of an output, and where the
//! overlapping pieces sit in each, for broadcasting and rechunking.
//!
//! Blocks are named by their index along every axis (row-major over the chunk grid, as
//! [`Chunks::blocks`] yields them); positions inside a block are local to that block.

use super::{BlockIter, Chunks};

/// The block of an input (broadcast to an output of more or equal axes) that feeds output
/// block `b`: leading axes the input lacks are dropped, and axes where the input has a
/// single block (a stretched length-1 axis, or an unsplit one) use block 0.
pub(crate) fn broadcast_block(b: &[usize], input: &Chunks) -> Vec<usize> {
    let pad = b.len() - input.ndim();
    (0..input.ndim())
        .map(|a| {
            if input.axis(a).len() == 1 {
                0
            } else {
                b[pad + a]
            }
        })
        .collect()
}

/// One piece of a rechunked block: the input slot it comes from and, per axis, (start in
/// the input block, start in the output block, length).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    /// Which of the output block's input blocks (an index into the list returned with it).
    pub(crate) input: usize,
    /// Per axis: source start, destination start, length.
    pub(crate) ranges: Vec<(usize, usize, usize)>,
}

/// The blocks of `from` overlapping block `b` of `to` (same shape, other chunks), and how
/// to copy each into place: the pieces tile the output block exactly.
pub(crate) fn rechunk_pieces(
    from: &Chunks,
    to: &Chunks,
    b: &[usize],
) -> (Vec<Vec<usize>>, Vec<Piece>) {
    let offset = to.block_offset(b);
    let shape = to.block_shape(b);
    // Per axis: (input block, source start, destination start, length).
    let per_axis: Vec<Vec<(usize, usize, usize, usize)>> = (0..b.len())
        .map(|a| {
            let (lo, hi) = (offset[a], offset[a] + shape[a]);
            let (sizes, starts) = (from.axis(a), from.axis_starts(a));
            let mut parts = Vec::new();
            // From the block holding `lo` to the last one starting before `hi`: a rechunk
            // costs O(pieces), not O(input chunks), per output block.
            for j in from.locate(a, lo).0..sizes.len() {
                let (start, size) = (starts[j], sizes[j]);
                if start > hi || (start == hi && hi > lo) {
                    break;
                }
                let (s, e) = (start.max(lo), (start + size).min(hi));
                if s < e || (size == 0 && hi == lo) {
                    parts.push((j, s - start, s - lo, e.saturating_sub(s)));
                }
            }
            parts
        })
        .collect();
    let grid: Vec<usize> = per_axis.iter().map(Vec::len).collect();
    let mut blocks = Vec::new();
    let mut pieces = Vec::new();
    for combo in BlockIter::new(grid) {
        let parts: Vec<_> = combo
            .iter()
            .enumerate()
            .map(|(a, &k)| per_axis[a][k])
            .collect();
        blocks.push(parts.iter().map(|p| p.0).collect());
        pieces.push(Piece {
            input: pieces.len(),
            ranges: parts.iter().map(|p| (p.1, p.2, p.3)).collect(),
        });
    }
    (blocks, pieces)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A chunking of an axis: 1–5 chunks of 1–6 elements (or one empty chunk).
    fn axis_chunks() -> impl Strategy<Value = Vec<usize>> {
        prop_oneof![
            1 => Just(vec![0]),
            9 => prop::collection::vec(1usize..7, 1..6),
        ]
    }

    /// Two chunkings of the same 1–3 axes.
    fn two_chunkings() -> impl Strategy<Value = (Chunks, Chunks)> {
        prop::collection::vec(axis_chunks(), 1..4).prop_flat_map(|axes| {
            let lens: Vec<usize> = axes.iter().map(|c| c.iter().sum()).collect();
            let other: Vec<BoxedStrategy<Vec<usize>>> =
                lens.iter().map(|&n| split_of(n).boxed()).collect();
            (Just(Chunks::from_lists(axes)), other).prop_map(|(a, b)| (a, Chunks::from_lists(b)))
        })
    }

    /// A random split of `n` into positive parts (one empty chunk for `n == 0`).
    fn split_of(n: usize) -> impl Strategy<Value = Vec<usize>> {
        prop::collection::vec(any::<bool>(), n.saturating_sub(1)).prop_map(move |cuts| {
            if n == 0 {
                return vec![0];
            }
            let mut out = vec![1];
            for cut in cuts {
                if cut {
                    out.push(1);
                } else {
                    *out.last_mut().expect("one part") += 1;
                }
            }
            out
        })
    }

    #[test]
    fn locate_finds_the_block_and_its_start() {
        let chunks = Chunks::from_lists(vec![vec![3, 3, 1]]);
        let expected = [(0, 0), (0, 0), (0, 0), (1, 3), (1, 3), (1, 3), (2, 6)];
        for (i, &want) in expected.iter().enumerate() {
            assert_eq!(chunks.locate(0, i), want, "index {i}");
        }
        assert_eq!(chunks.locate(0, 7), (2, 6));
        assert_eq!(Chunks::from_lists(vec![vec![0]]).locate(0, 0), (0, 0));
    }

    #[test]
    fn broadcast_block_drops_leading_axes_and_pins_single_blocks() {
        let input = Chunks::from_lists(vec![vec![1], vec![2, 2]]);
        assert_eq!(broadcast_block(&[4, 3, 1], &input), vec![0, 1]);
        let scalar = Chunks::from_lists(vec![]);
        assert_eq!(broadcast_block(&[2, 5], &scalar), Vec::<usize>::new());
    }

    proptest! {
        #[test]
        fn located_block_contains_the_index(sizes in prop::collection::vec(1usize..7, 1..6)) {
            let chunks = Chunks::from_lists(vec![sizes.clone()]);
            let mut start = 0;
            for (block, &size) in sizes.iter().enumerate() {
                for i in start..start + size {
                    prop_assert_eq!(chunks.locate(0, i), (block, start));
                }
                start += size;
            }
        }

        #[test]
        fn rechunk_pieces_tile_each_output_block((from, to) in two_chunkings()) {
            for b in to.blocks() {
                let (blocks, pieces) = rechunk_pieces(&from, &to, &b);
                prop_assert_eq!(blocks.len(), pieces.len());
                let shape = to.block_shape(&b);
                let offset = to.block_offset(&b);
                let volume: usize = shape.iter().product();
                let mut covered = vec![0u8; volume];
                for (piece, ib) in pieces.iter().zip(&blocks) {
                    let in_shape = from.block_shape(ib);
                    let in_offset = from.block_offset(ib);
                    for (a, &(src, dst, len)) in piece.ranges.iter().enumerate() {
                        // The piece lies inside both blocks, at the same global position.
                        prop_assert!(src + len <= in_shape[a]);
                        prop_assert!(dst + len <= shape[a]);
                        prop_assert_eq!(in_offset[a] + src, offset[a] + dst);
                    }
                    let span: Vec<usize> = piece.ranges.iter().map(|r| r.2).collect();
                    for local in BlockIter::new(span) {
                        let mut flat = 0;
                        for (a, (&l, r)) in local.iter().zip(&piece.ranges).enumerate() {
                            flat = flat * shape[a] + r.1 + l;
                        }
                        covered[flat] += 1;
                    }
                }
                // Every element of the output block is copied exactly once.
                prop_assert!(covered.iter().all(|&c| c == 1), "block {:?}: {:?}", b, covered);
            }
        }
    }
}
