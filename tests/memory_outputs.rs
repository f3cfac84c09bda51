//! Bounded memory for several results of one input: `compute((x.mean_axis(0), x.std_axis(1)))`
//! and fifty reductions of one array, over a 200 MB input in 8 MB chunks that is read from a
//! source (not regenerated per consumer), stay far below the input's size: every consumer
//! of a chunk runs before the next chunk is made (the task order's job).

#[path = "common/memory.rs"]
mod memory;

use chunkflow::{Array, BlockInfo};
use ndarray::{ArrayD, IxDyn};

/// A 5000 × 5000 f64 array (200 MB) in 25 chunks of 200 rows (8 MB), made by a source.
fn input() -> Array<f64> {
    Array::from_blocks(&[5000, 5000], [200, 5000], |info: &BlockInfo| {
        let (r0, n) = (info.offset[0], info.shape[0] * info.shape[1]);
        let cols = info.shape[1];
        let v: Vec<f64> = (0..n)
            .map(|k| (((r0 + k / cols) * 31 + k % cols) % 97) as f64)
            .collect();
        Ok(ArrayD::from_shape_vec(IxDyn(&info.shape), v).unwrap())
    })
    .unwrap()
}

#[test]
fn several_reductions_of_one_input_hold_chunks_in_flight_not_the_input() {
    let x = input();
    let (mean, std) =
        chunkflow::compute((&x.mean_axis(0).unwrap(), &x.std_axis(1, 0).unwrap())).unwrap();
    let two = memory::peak_rss_mb();
    eprintln!("two outputs: peak RSS {two:.0} MB");
    assert_eq!((mean.len(), std.len()), (5000, 5000));
    // Spot-check against the definition.
    let col0: f64 = (0..5000).map(|r| ((r * 31) % 97) as f64).sum::<f64>() / 5000.0;
    assert!((mean[[0]] - col0).abs() < 1e-9);

    // Fifty reductions of x, summed into one scalar.
    let mut total = x.sum();
    for k in 2..=50 {
        total = &total + &(&x * k as f64).sum();
    }
    let got = total.scalar().unwrap();
    let fifty = memory::peak_rss_mb();
    eprintln!("fifty reductions: peak RSS {fifty:.0} MB");
    let plain = x.sum().scalar().unwrap();
    assert!((got - plain * 1275.0).abs() <= 1e-9 * got.abs());
    assert!(
        two < 100.0,
        "two outputs: peak RSS {two:.0} MB (input 200 MB)"
    );
    assert!(
        fifty < 100.0,
        "fifty reductions: peak RSS {fifty:.0} MB (input 200 MB)"
    );
}
