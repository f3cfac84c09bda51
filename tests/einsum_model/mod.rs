//! The eager reference for einsum tests (`einsum.rs`, `linalg.rs`): a brute-force sum
//! over every assignment of every label.

use ndarray::{ArrayD, IxDyn};

/// einsum by brute force over every assignment of every label, for a spec written out in
/// full: letters only, explicit output. An operand axis of length 1 is read at 0 whatever
/// its label's value (NumPy broadcasting); a label repeated within a term reads the
/// diagonal, since both axes take the label's one value.
pub fn naive(spec: &str, ops: &[&ArrayD<f64>]) -> ArrayD<f64> {
    let (lhs, out) = spec.split_once("->").unwrap();
    let terms: Vec<Vec<char>> = lhs.split(',').map(|t| t.chars().collect()).collect();
    let out: Vec<char> = out.chars().collect();
    let mut labels: Vec<char> = terms.iter().flatten().copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let size = |c: char| {
        terms
            .iter()
            .zip(ops)
            .flat_map(|(t, a)| t.iter().zip(a.shape()).filter(|(x, _)| **x == c))
            .map(|(_, &n)| n)
            .fold(1, |m, n| if n == 1 { m } else { n })
    };
    let dims: Vec<usize> = labels.iter().map(|&c| size(c)).collect();
    let out_shape: Vec<usize> = out.iter().map(|&c| size(c)).collect();
    let mut result = ArrayD::<f64>::zeros(IxDyn(&out_shape));
    if dims.contains(&0) {
        return result;
    }
    for idx in ndarray::indices(IxDyn(&dims)) {
        let value = |c: &char| idx[labels.iter().position(|x| x == c).unwrap()];
        let mut p = 1.0;
        for (t, a) in terms.iter().zip(ops) {
            let i: Vec<usize> = t
                .iter()
                .zip(a.shape())
                .map(|(c, &n)| if n == 1 { 0 } else { value(c) })
                .collect();
            p *= a[IxDyn(&i)];
        }
        let o: Vec<usize> = out.iter().map(value).collect();
        result[IxDyn(&o)] += p;
    }
    result
}
