//! NumPy's `einsum` on chunked arrays: the subscripts are parsed and checked against the
//! operands' shapes ([`parse`]), then evaluated as diagonals of operands that repeat a
//! label ([`DiagonalFn`], one block read per output block), followed by pairwise
//! contractions (`linalg::contract`), chosen greedily smallest result first.

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn, LinalgScalar};

use super::Array;
use super::linalg::{LINALG_SPLIT_EVERY, contract};
use crate::dtype::Num;
use crate::error::{Error, Result};
use crate::geometry::chunks::refine;
use crate::geometry::{Chunks, Meta};
use crate::graph::{Key, Value};
use crate::kernel::gather::{BlockPos, GatherFn, PartInputs};
use crate::kernel::source::fresh_id;
use crate::plan::Op;

/// Einstein summation, as NumPy's `einsum` (Dask's, which follows it).
///
/// One term per operand, separated by commas, each a letter per axis, then optionally `->`
/// and the output's letters:
/// - a letter in two operands and kept is a batch index, in two and not kept it is summed
///   (`"ij,jk->ik"` is the matrix product, `"bij,bjk->bik"` a batched one, `"i,i->"` the
///   inner product, `"i,j->ij"` the outer one);
/// - a letter only one operand has and the output lacks is summed (`"ij->i"`); the output
///   may reorder (`"ij->ji"`);
/// - a letter repeated within one term takes the diagonal (`"ii->i"`, `"ii"` the trace,
///   `"iij->ij"`); the repeated axes must have equal lengths;
/// - `...` stands for the axes an operand has beyond its letters, NumPy-broadcast across
///   operands (aligned from the right, length 1 stretching): `"...ij,...jk->...ik"`,
///   `"...i->..."`; an explicit output must then have `...` too, unless they are 0 axes;
/// - without `->` the output is the broadcast axes of `...`, then the letters appearing
///   exactly once in all terms, in alphabetical order (`"ij,jk"` is `"ij,jk->ik"`);
/// - any number of operands: they are contracted two at a time, each step taking the pair
///   whose result is smallest (a letter is kept while the output or another remaining
///   operand still has it);
/// - a letter of length 1 in one operand broadcasts against a longer one elsewhere.
///
/// Bad subscripts are errors naming the spec: a term count that differs from the
/// operands', a term naming more or fewer axes than its operand has, one letter with two
/// lengths, an output letter repeated or in no input, a character that is neither a letter
/// nor part of `...`.
///
/// ```
/// use chunkflow::{Array, einsum};
/// use ndarray::{ArrayD, IxDyn};
/// let a = ArrayD::from_shape_fn(IxDyn(&[2, 3, 4]), |i| (i[0] + 2 * i[1] + 3 * i[2]) as f64);
/// let b = ArrayD::from_shape_fn(IxDyn(&[2, 4, 5]), |i| (i[0] * i[1]) as f64 - i[2] as f64);
/// let x = Array::from_ndarray(a.clone(), 2)?;
/// let y = Array::from_ndarray(b.clone(), 3)?;
/// let z = einsum("bij,bjk->bki", &[&x, &y])?;
/// assert_eq!(z.shape(), &[2, 5, 3]);
/// let expected = ArrayD::from_shape_fn(IxDyn(&[2, 5, 3]), |o| {
///     (0..4).map(|j| a[[o[0], o[2], j]] * b[[o[0], j, o[1]]]).sum::<f64>()
/// });
/// assert_eq!(z.compute()?, expected);
/// // The same with broadcast batch axes.
/// assert_eq!(einsum("...ij,...jk->...ki", &[&x, &y])?.compute()?, expected);
/// // Diagonal and trace.
/// let m = Array::from_fn(&[3, 3], 2, |i| (10 * i[0] + i[1]) as f64)?;
/// assert_eq!(einsum("ii->i", &[&m])?.compute()?.as_slice().unwrap(), &[0.0, 11.0, 22.0]);
/// assert_eq!(einsum("ii", &[&m])?.scalar()?, 33.0);
/// // Three operands: a chain of matrix products.
/// let p = einsum("ij,jk,kl->il", &[&m, &m, &m])?;
/// let m3 = m.compute()?.into_dimensionality::<ndarray::Ix2>().unwrap();
/// assert_eq!(p.compute()?, m3.dot(&m3).dot(&m3).into_dyn());
/// assert!(einsum("ij,jk->ik", &[&m]).is_err()); // two terms, one operand
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn einsum<T: Num + LinalgScalar>(spec: &str, operands: &[&Array<T>]) -> Result<Array<T>> {
    einsum_with(spec, operands, LINALG_SPLIT_EVERY)
}

/// [`einsum`] with the fan-in of the trees summing block products.
///
/// ```
/// use chunkflow::{Array, einsum_with};
/// let a = Array::<f64>::ones(&[4, 64], [4, 4])?; // 16 blocks along the contracted axis
/// let g = einsum_with("ij,kj->ik", &[&a, &a], 2)?;
/// assert_eq!(g.compute()?, ndarray::ArrayD::from_elem(vec![4, 4], 64.0));
/// assert!(einsum_with("ij,kj->ik", &[&a, &a], 1).is_err());
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn einsum_with<T: Num + LinalgScalar>(
    spec: &str,
    operands: &[&Array<T>],
    split_every: usize,
) -> Result<Array<T>> {
    for a in operands {
        a.check()?;
    }
    if split_every < 2 {
        return Err(Error::InvalidArgument(format!(
            "einsum {spec:?}: split_every must be at least 2, not {split_every}"
        )));
    }
    let shapes: Vec<&[usize]> = operands.iter().map(|a| a.shape()).collect();
    let parsed = parse(spec, &shapes)?;
    let mut ops: Vec<(Array<T>, Vec<char>)> = Vec::with_capacity(operands.len());
    for (a, term) in operands.iter().zip(&parsed.terms) {
        let (a, term) = broadcast_away(a, term, &parsed.sizes)?;
        ops.push(diagonal(&a, &term)?);
    }
    let out = &parsed.out;
    while ops.len() > 2 {
        let (i, j, keep) = cheapest_pair(&ops, out, &parsed.sizes);
        let (b, lb) = ops.remove(j);
        let (a, la) = ops.remove(i);
        let c = contract("einsum", &a, &la, &b, &lb, &keep, split_every)?;
        ops.push((c, keep));
    }
    let mut ops = ops.into_iter();
    let (a, la) = ops.next().expect("at least one operand");
    match ops.next() {
        Some((b, lb)) => contract("einsum", &a, &la, &b, &lb, out, split_every),
        None => {
            if la.len() == out.len() {
                // Every label kept: a transpose (or nothing).
                let perm: Vec<usize> = out
                    .iter()
                    .map(|c| la.iter().position(|x| x == c).expect("an input label"))
                    .collect();
                if perm.iter().enumerate().all(|(i, &p)| i == p) {
                    return Ok(a);
                }
                return a.permuted_axes(&perm);
            }
            let one = Array::<T>::full(&[], T::one(), 1)?;
            contract("einsum", &a, &la, &one, &[], out, split_every)
        }
    }
}

/// Subscripts resolved against the operands: one label per axis (`...` replaced by
/// [`ellipsis_label`]s), the output's labels and every label's length.
#[derive(Debug)]
struct Parsed {
    terms: Vec<Vec<char>>,
    out: Vec<char>,
    sizes: Vec<(char, usize)>,
}

/// The label of the `i`-th broadcast axis of `...` (a private-use character, never a
/// letter).
fn ellipsis_label(i: usize) -> char {
    char::from_u32(0xE000 + i as u32).expect("a private-use character")
}

/// A label as written in messages.
fn show(c: char) -> String {
    let i = c as u32;
    if (0xE000..0xF000).contains(&i) {
        format!("broadcast axis {} of '...'", i - 0xE000)
    } else {
        format!("{c:?}")
    }
}

fn size_of(sizes: &[(char, usize)], c: char) -> usize {
    sizes
        .iter()
        .find(|(x, _)| *x == c)
        .map(|&(_, n)| n)
        .expect("a known label")
}

/// One term split into letters, with the position of its `...` (if any) among them.
fn tokens(
    term: &str,
    whose: &str,
    bad: &dyn Fn(String) -> Error,
) -> Result<(Vec<char>, Option<usize>)> {
    let mut letters = vec![];
    let mut ellipsis = None;
    let mut chars = term.chars();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphabetic() {
            letters.push(c);
        } else if c == '.' {
            let rest: String = chars.by_ref().take(2).collect();
            if rest != ".." {
                return Err(bad(format!("{whose} has a '.' that is not part of '...'")));
            }
            if ellipsis.is_some() {
                return Err(bad(format!("{whose} has '...' twice")));
            }
            ellipsis = Some(letters.len());
        } else {
            return Err(bad(format!(
                "{whose} has {c:?}, which is not a label (letters a-z, A-Z, and '...')"
            )));
        }
    }
    Ok((letters, ellipsis))
}

/// Parses `spec` against operands of `shapes`.
fn parse(spec: &str, shapes: &[&[usize]]) -> Result<Parsed> {
    let bad = |why: String| Error::InvalidArgument(format!("einsum {spec:?}: {why}"));
    let clean: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match clean.split_once("->") {
        Some((l, r)) => {
            if r.contains("->") {
                return Err(bad("'->' appears twice".into()));
            }
            (l, Some(r))
        }
        None => (clean.as_str(), None),
    };
    if shapes.is_empty() {
        return Err(bad("no operands".into()));
    }
    let raw: Vec<&str> = lhs.split(',').collect();
    if raw.len() != shapes.len() {
        return Err(bad(format!(
            "{} terms for {} operands",
            raw.len(),
            shapes.len()
        )));
    }
    // Letters and ellipses, and how many axes each operand's '...' covers.
    let mut split = Vec::with_capacity(raw.len());
    let mut n_broadcast = 0;
    for (n, (t, shape)) in raw.iter().zip(shapes).enumerate() {
        let (letters, ellipsis) = tokens(t, &format!("term {n} ({t:?})"), &bad)?;
        let covered = match ellipsis {
            Some(_) if letters.len() <= shape.len() => shape.len() - letters.len(),
            _ if letters.len() == shape.len() => 0,
            _ => {
                return Err(bad(format!(
                    "operand {n} has shape {shape:?} ({} axes) but its term {t:?} names {}{}",
                    shape.len(),
                    letters.len(),
                    if ellipsis.is_some() {
                        " besides '...'"
                    } else {
                        ""
                    }
                )));
            }
        };
        n_broadcast = n_broadcast.max(covered);
        split.push((letters, ellipsis, covered));
    }
    let terms: Vec<Vec<char>> = split
        .iter()
        .map(|(letters, ellipsis, covered)| match ellipsis {
            None => letters.clone(),
            Some(at) => {
                let mut t = letters[..*at].to_vec();
                t.extend((n_broadcast - covered..n_broadcast).map(ellipsis_label));
                t.extend_from_slice(&letters[*at..]);
                t
            }
        })
        .collect();

    // Every label's length: equal wherever it appears, or 1 (broadcast) in some operands;
    // within one operand (a diagonal) exactly equal.
    let mut sizes: Vec<(char, usize, usize)> = vec![]; // label, length, operand that set it
    for (n, (t, shape)) in terms.iter().zip(shapes).enumerate() {
        for (ax, (&c, &len)) in t.iter().zip(shape.iter()).enumerate() {
            if let Some(prev) = t[..ax].iter().position(|&x| x == c)
                && shape[prev] != len
            {
                return Err(bad(format!(
                    "label {} repeats in operand {n} (shape {shape:?}) over axes of lengths \
                     {} and {len}",
                    show(c),
                    shape[prev]
                )));
            }
            match sizes.iter_mut().find(|(x, _, _)| *x == c) {
                None => sizes.push((c, len, n)),
                Some(entry) => {
                    let (_, have, from) = *entry;
                    if have == len || len == 1 {
                    } else if have == 1 {
                        *entry = (c, len, n);
                    } else {
                        return Err(bad(format!(
                            "label {} has length {have} in operand {from} (shape {:?}) but \
                             {len} in operand {n} (shape {shape:?})",
                            show(c),
                            shapes[from]
                        )));
                    }
                }
            }
        }
    }
    let sizes: Vec<(char, usize)> = sizes.into_iter().map(|(c, n, _)| (c, n)).collect();

    let out: Vec<char> = match rhs {
        Some(r) => {
            let (letters, ellipsis) = tokens(r, &format!("the output ({r:?})"), &bad)?;
            for (i, c) in letters.iter().enumerate() {
                if letters[..i].contains(c) {
                    return Err(bad(format!("output label {c:?} repeats")));
                }
                if !terms.iter().any(|t| t.contains(c)) {
                    return Err(bad(format!("output label {c:?} is in no operand")));
                }
            }
            match ellipsis {
                Some(at) => {
                    let mut out = letters[..at].to_vec();
                    out.extend((0..n_broadcast).map(ellipsis_label));
                    out.extend_from_slice(&letters[at..]);
                    out
                }
                None if n_broadcast > 0 => {
                    return Err(bad(format!(
                        "'...' covers {n_broadcast} axes in the operands but the output has \
                         no '...'"
                    )));
                }
                None => letters,
            }
        }
        None => {
            let all: Vec<char> = terms.iter().flatten().copied().collect();
            let mut once: Vec<char> = all
                .iter()
                .copied()
                .filter(|c| c.is_ascii_alphabetic() && all.iter().filter(|x| *x == c).count() == 1)
                .collect();
            once.sort_unstable();
            let mut out: Vec<char> = (0..n_broadcast).map(ellipsis_label).collect();
            out.extend(once);
            out
        }
    };
    Ok(Parsed { terms, out, sizes })
}

/// Drops the axes of length 1 whose label is longer elsewhere (NumPy broadcasting: the
/// operand is constant along them), so that every remaining axis has its label's length.
fn broadcast_away<T: Num>(
    a: &Array<T>,
    term: &[char],
    sizes: &[(char, usize)],
) -> Result<(Array<T>, Vec<char>)> {
    let mut a = a.clone();
    let mut term = term.to_vec();
    for ax in (0..term.len()).rev() {
        if a.shape()[ax] == 1 && size_of(sizes, term[ax]) != 1 {
            a = a.squeeze_axis(ax)?;
            term.remove(ax);
        }
    }
    Ok((a, term))
}

/// The diagonal of `a` over each label its term repeats: the result has one axis per
/// distinct label, in order of first appearance (an unchanged clone if none repeats).
fn diagonal<T: Num>(a: &Array<T>, term: &[char]) -> Result<(Array<T>, Vec<char>)> {
    let mut labels: Vec<char> = vec![];
    let mut axis_of = Vec::with_capacity(term.len());
    for &c in term {
        match labels.iter().position(|&x| x == c) {
            Some(k) => axis_of.push(k),
            None => {
                axis_of.push(labels.len());
                labels.push(c);
            }
        }
    }
    if labels.len() == term.len() {
        return Ok((a.clone(), labels));
    }
    // The axes of one label get the same chunks, so the diagonal of output block b along
    // a label lies in input block b of each of its axes: one block read per output block.
    let mut lists = a.chunks().as_lists().to_vec();
    let mut out_lists = Vec::with_capacity(labels.len());
    for k in 0..labels.len() {
        let axes: Vec<usize> = (0..term.len()).filter(|&ax| axis_of[ax] == k).collect();
        let parts: Vec<&[usize]> = axes.iter().map(|&ax| lists[ax].as_slice()).collect();
        let unified = if axes.len() == 1 {
            lists[axes[0]].clone()
        } else {
            refine(&parts)
        };
        for &ax in &axes {
            lists[ax] = unified.clone();
        }
        out_lists.push(unified);
    }
    let a = a.rechunk(lists)?;
    let chunks = Chunks::from_lists(out_lists);
    let shape = chunks.as_lists().iter().map(|c| c.iter().sum()).collect();
    let g = DiagonalFn::<T> {
        axis_of,
        id: fresh_id(),
        _t: PhantomData,
    };
    let meta = Meta {
        shape,
        chunks,
        dtype: T::DTYPE,
    };
    let d = Array::build(Op::Gather(Arc::new(g)), vec![a.node().clone()], meta);
    Ok((d, labels))
}

/// The gather of a diagonal: output axis `axis_of[ax]` is read along input axis `ax`.
struct DiagonalFn<T> {
    axis_of: Vec<usize>,
    id: u64,
    _t: PhantomData<fn() -> T>,
}

impl<T: Num> GatherFn for DiagonalFn<T> {
    fn name(&self) -> &str {
        "einsum-diagonal"
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn parts(&self, index: &[usize]) -> Vec<PartInputs> {
        vec![vec![(0, self.axis_of.iter().map(|&k| index[k]).collect())]]
    }
    fn part(&self, pos: &BlockPos, _part: usize, inputs: Vec<Value>) -> Result<Value> {
        let key = Key::chunk("einsum-diagonal", &pos.index);
        let Some(input) = inputs.first() else {
            return Err(Error::Internal {
                pass: "einsum",
                message: "a diagonal block without its input".into(),
            });
        };
        let block: &ArrayD<T> = input.get(&key)?;
        let mut at = vec![0; self.axis_of.len()];
        let out = ArrayD::from_shape_fn(IxDyn(&pos.shape), |o| {
            for (i, &k) in at.iter_mut().zip(&self.axis_of) {
                *i = o[k];
            }
            block[IxDyn(&at)]
        });
        Ok(Value::new(out))
    }
}

/// The pair of operands to contract next, and the labels their result keeps: the pair
/// whose result has the fewest elements (the first such pair in operand order).
fn cheapest_pair<T: Num>(
    ops: &[(Array<T>, Vec<char>)],
    out: &[char],
    sizes: &[(char, usize)],
) -> (usize, usize, Vec<char>) {
    let mut best: Option<(f64, usize, usize, Vec<char>)> = None;
    for i in 0..ops.len() {
        for j in i + 1..ops.len() {
            let (la, lb) = (&ops[i].1, &ops[j].1);
            let needed = |c: &char| {
                out.contains(c)
                    || ops
                        .iter()
                        .enumerate()
                        .any(|(n, (_, l))| n != i && n != j && l.contains(c))
            };
            let keep: Vec<char> = la
                .iter()
                .chain(lb.iter().filter(|c| !la.contains(c)))
                .copied()
                .filter(needed)
                .collect();
            let cost: f64 = keep.iter().map(|&c| size_of(sizes, c) as f64).product();
            if best.as_ref().is_none_or(|b| cost < b.0) {
                best = Some((cost, i, j, keep));
            }
        }
    }
    let (_, i, j, keep) = best.expect("at least two operands");
    (i, j, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(p: &Parsed) -> (Vec<String>, String) {
        let s = |t: &[char]| {
            t.iter()
                .map(|&c| if c.is_ascii_alphabetic() { c } else { '.' })
                .collect::<String>()
        };
        (p.terms.iter().map(|t| s(t)).collect(), s(&p.out))
    }

    #[test]
    fn implicit_outputs_are_the_broadcast_axes_then_the_letters_used_once() {
        let p = parse("ij,jk", &[&[2, 3], &[3, 4]]).unwrap();
        assert_eq!(p.out, vec!['i', 'k']);
        let p = parse("ii", &[&[3, 3]]).unwrap();
        assert!(p.out.is_empty());
        let p = parse("...ij,...jk", &[&[5, 2, 3], &[7, 1, 3, 4]]).unwrap();
        assert_eq!(
            labels(&p),
            (vec![".ij".into(), "..jk".into()], "..ik".into())
        );
        assert_eq!(p.terms[0][0], p.terms[1][1]); // aligned from the right
        assert_eq!(size_of(&p.sizes, p.terms[0][0]), 5);
    }

    #[test]
    fn bad_specs_name_the_problem() {
        let err = |spec: &str, shapes: &[&[usize]]| parse(spec, shapes).unwrap_err().to_string();
        assert!(err("ij,jk", &[&[2, 3]]).contains("2 terms for 1 operands"));
        assert!(err("ijk", &[&[2, 3]]).contains("[2, 3]"));
        assert!(err("...ijk", &[&[2, 3]]).contains("besides '...'"));
        assert!(err("ij,jk", &[&[2, 3], &[4, 5]]).contains("'j' has length 3"));
        assert!(err("ij->ii", &[&[2, 3]]).contains("repeats"));
        assert!(err("ij->k", &[&[2, 3]]).contains("in no operand"));
        assert!(err("i1", &[&[2, 3]]).contains("'1'"));
        assert!(err("i..j", &[&[2, 3]]).contains("'...'"));
        assert!(err("...i...", &[&[2, 3]]).contains("twice"));
        assert!(err("...i->i", &[&[2, 3]]).contains("no '...'"));
        assert!(err("ii", &[&[2, 3]]).contains("lengths 2 and 3"));
        assert!(err("i->i->i", &[&[2]]).contains("twice"));
        assert!(err("", &[]).contains("no operands"));
        // Length 1 broadcasts; '...' over no axes needs none in the output.
        assert!(parse("ij,jk", &[&[2, 1], &[3, 4]]).is_ok());
        assert!(parse("...i->i", &[&[2]]).is_ok());
    }
}
