//! Planning a row-major reshape the way Dask's `reshape_rechunk` does: only the axes that
//! are merged or split are rechunked, so that every input block becomes exactly one output
//! block (reshaped on its own) and the block grids match in row-major order.
//!
//! Walking both shapes from the last axis: equal lengths keep their chunks; input axes
//! merged into one output axis must be whole (one chunk) except the outermost, whose
//! chunks scale by the inner product; an input axis split into several output axes gets
//! chunks that are multiples of the inner output axes' product, and the inner output axes
//! are whole. Size-1 axes are dropped or added freely. Shapes whose axes do not group this
//! way (`[6, 4]` → `[4, 6]`) have no plan; the caller goes through one dimension.

/// Chunk sizes per axis.
type AxisChunks = Vec<Vec<usize>>;

/// The input chunks to rechunk to and the output chunks, or `None` if the axes do not
/// group into merges and splits. `inshape` and `outshape` have the same number of
/// elements, which is nonzero.
pub(crate) fn reshape_plan(
    inshape: &[usize],
    outshape: &[usize],
    inchunks: &[Vec<usize>],
) -> Option<(AxisChunks, AxisChunks)> {
    let mut inres: Vec<Vec<usize>> = inchunks.to_vec();
    let mut outres: Vec<Vec<usize>> = vec![Vec::new(); outshape.len()];
    let (mut ii, mut oi) = (inshape.len() as isize - 1, outshape.len() as isize - 1);
    let product = |s: &[usize]| s.iter().product::<usize>();
    while ii >= 0 || oi >= 0 {
        if ii < 0 {
            let o = oi as usize;
            if outshape[o] != 1 {
                return None;
            }
            outres[o] = vec![1];
            oi -= 1;
            continue;
        }
        if oi < 0 {
            let i = ii as usize;
            if inshape[i] != 1 {
                return None;
            }
            inres[i] = vec![1];
            ii -= 1;
            continue;
        }
        let (i, o) = (ii as usize, oi as usize);
        let (din, dout) = (inshape[i], outshape[o]);
        if din == dout {
            outres[o] = inres[i].clone();
            ii -= 1;
            oi -= 1;
        } else if din == 1 {
            inres[i] = vec![1];
            ii -= 1;
        } else if dout == 1 {
            outres[o] = vec![1];
            oi -= 1;
        } else if din < dout {
            // Input axes left..=i merge into output axis o.
            let mut left = i;
            while left > 0 && product(&inshape[left..=i]) < dout {
                left -= 1;
            }
            if product(&inshape[left..=i]) != dout {
                return None;
            }
            for k in left + 1..=i {
                inres[k] = vec![inshape[k]];
            }
            let inner = product(&inshape[left + 1..=i]);
            outres[o] = inres[left].iter().map(|&c| c * inner).collect();
            ii = left as isize - 1;
            oi -= 1;
        } else {
            // Input axis i splits into output axes left..=o.
            let mut left = o;
            while left > 0 && product(&outshape[left..=o]) < din {
                left -= 1;
            }
            if product(&outshape[left..=o]) != din {
                return None;
            }
            for k in left + 1..=o {
                outres[k] = vec![outshape[k]];
            }
            let inner = product(&outshape[left + 1..=o]);
            inres[i] = multiples_of(&inres[i], inner, din);
            outres[left] = inres[i].iter().map(|&c| c / inner).collect();
            ii -= 1;
            oi = left as isize - 1;
        }
    }
    Some((inres, outres))
}

/// `chunks` (summing to `len`, a multiple of `m`) with every boundary rounded down to a
/// multiple of `m`, so each chunk is a positive multiple of `m`.
fn multiples_of(chunks: &[usize], m: usize, len: usize) -> Vec<usize> {
    let mut bounds = Vec::new();
    let mut at = 0;
    for &c in chunks {
        at += c;
        let b = at / m * m;
        if b > 0 && bounds.last() != Some(&b) {
            bounds.push(b);
        }
    }
    if bounds.last() != Some(&len) {
        bounds.push(len);
    }
    let mut last = 0;
    bounds
        .into_iter()
        .map(|b| {
            let c = b - last;
            last = b;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_splits_follow_dask() {
        // (4, 6) chunks (2, 3) -> (24,): the inner axis becomes whole, chunks 2 * 6.
        let (i, o) = reshape_plan(&[4, 6], &[24], &[vec![2, 2], vec![3, 3]]).unwrap();
        assert_eq!(i, vec![vec![2, 2], vec![6]]);
        assert_eq!(o, vec![vec![12, 12]]);
        // (24,) chunks (5, 5, 5, 9) -> (4, 6): chunks rounded to multiples of 6.
        let (i, o) = reshape_plan(&[24], &[4, 6], &[vec![5, 5, 5, 9]]).unwrap();
        assert_eq!(i, vec![vec![6, 6, 12]]);
        assert_eq!(o, vec![vec![1, 1, 2], vec![6]]);
        // Unchanged leading axes keep their chunks; size-1 axes come and go.
        let (i, o) = reshape_plan(
            &[3, 2, 5],
            &[3, 1, 10, 1],
            &[vec![1, 2], vec![1, 1], vec![5]],
        )
        .unwrap();
        assert_eq!(i, vec![vec![1, 2], vec![1, 1], vec![5]]);
        assert_eq!(o, vec![vec![1, 2], vec![1], vec![5, 5], vec![1]]);
        // No grouping: go through one dimension.
        assert!(reshape_plan(&[6, 4], &[4, 6], &[vec![6], vec![4]]).is_none());
    }

    #[test]
    fn rounding_keeps_positive_multiples() {
        assert_eq!(multiples_of(&[1, 1, 1, 1, 1, 1], 3, 6), vec![3, 3]);
        assert_eq!(multiples_of(&[7, 5], 4, 12), vec![4, 8]);
    }
}
