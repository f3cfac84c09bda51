//! Array behaviour beyond value equality: errors, laziness, shared work, fusion's task
//! counts, determinism across thread counts, persist and DOT output.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chunkflow::{Array, Error, Options, compute};

#[test]
fn shape_mismatch_names_both_shapes_and_poisons_what_follows() {
    let a = Array::<f64>::zeros(&[3, 4], 2).unwrap();
    let b = Array::<f64>::zeros(&[5], 2).unwrap();
    let bad = (&a + &b).sqrt().sum();
    let err = bad.compute().unwrap_err();
    assert_eq!(
        err,
        Error::ShapeMismatch("shapes [3, 4] and [5] cannot be broadcast together".into())
    );
    assert_eq!(bad.check().unwrap_err(), err);
}

#[test]
fn bad_parameters_are_errors_not_panics() {
    let a = Array::<f64>::zeros(&[3, 4], 2).unwrap();
    assert_eq!(
        a.sum_axis(2).unwrap_err(),
        Error::AxisOutOfRange { axis: 2, ndim: 2 }
    );
    assert!(matches!(a.rechunk(0), Err(Error::InvalidChunks(_))));
    assert!(matches!(
        Array::<f64>::zeros(&[3], vec![vec![1, 1]]),
        Err(Error::InvalidChunks(_))
    ));
    assert!(a.slice(ndarray::s![.., 7]).is_err());
    assert!(a.permuted_axes(&[0, 0]).is_err());
    let empty = Array::<f64>::zeros(&[0, 3], 2).unwrap();
    assert!(empty.max_axis(0).is_err());
    assert_eq!(empty.max_axis(1).unwrap().shape(), &[0]);
    assert!(empty.mean().scalar().unwrap().is_nan());
    assert_eq!(empty.sum().scalar().unwrap(), 0.0);
}

#[test]
fn a_panicking_closure_is_an_error_naming_the_chunk() {
    let x = Array::<i64>::arange(0, 100, 1, 10).unwrap();
    let y = x.map(|v| {
        if v == 55 {
            panic!("bad value {v}")
        } else {
            v * 2
        }
    });
    for options in [Options::default().synchronous(), Options::default()] {
        let err = y.sum().compute_with(&options).unwrap_err();
        let Error::TaskFailed { key, cause } = &err else {
            panic!("expected TaskFailed, got {err:?}");
        };
        assert!(key.contains(", 5)"), "{key}");
        assert_eq!(**cause, Error::Panic("bad value 55".into()));
    }
    // The shared scheduler keeps working.
    assert_eq!(x.sum().scalar().unwrap(), 4950);
}

#[test]
fn building_is_lazy_and_compute_shares_reads() {
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = reads.clone();
    let x = Array::<f64>::from_fn(&[60, 40], [20, 10], move |i| {
        counter.fetch_add(1, Ordering::Relaxed);
        (i[0] * 40 + i[1]) as f64
    })
    .unwrap();
    let mean0 = x.mean_axis(0).unwrap();
    let std1 = x.std_axis(1, 0).unwrap();
    assert_eq!(reads.load(Ordering::Relaxed), 0, "building ran a kernel");
    let (m, s) = compute((&mean0, &std1)).unwrap();
    assert_eq!(reads.load(Ordering::Relaxed), 60 * 40, "X read once");
    assert_eq!(m[[0]], (0..60).map(|r| (r * 40) as f64).sum::<f64>() / 60.0);
    assert!((s[[0]] - 11.543_396_380_615_196).abs() < 1e-12);
}

#[test]
fn fused_chain_runs_one_task_per_chunk() {
    let x = Array::<f64>::linspace(0.0, 1.0, 1000, 100).unwrap();
    let mut y = x.clone();
    for k in 0..8 {
        y = (&y * 1.5 + k as f64).sin();
    }
    let count = |options: &Options| {
        let dot = y.to_dot_with(options).unwrap();
        dot.matches("shape=circle").count()
    };
    // 10 fused chunks (each generates its linspace strips itself, so no source task is
    // needed or lowered), versus 10 + 8 ops × 3 nodes × 10 chunks + consts.
    assert_eq!(count(&Options::default()), 10);
    assert!(count(&Options::default().fuse(false)) > 200);
    let fused = y.compute().unwrap();
    let unfused = y.compute_with(&Options::default().fuse(false)).unwrap();
    assert_eq!(fused, unfused);
}

#[test]
fn reductions_are_bit_identical_across_thread_counts() {
    let x = Array::<f64>::from_fn(&[300, 70], [17, 9], |i| {
        ((i[0] * 131 + i[1] * 7) as f64).sin()
    })
    .unwrap();
    let exprs = [
        x.sum(),
        x.mean(),
        x.std(1),
        (&x * &x).sum(),
        x.sum_axis(0).unwrap().sum(),
    ];
    for e in &exprs {
        let one = e
            .scalar_with(&Options::default().threads(1).unwrap())
            .unwrap();
        let two = e
            .scalar_with(&Options::default().threads(2).unwrap())
            .unwrap();
        let sync = e.scalar_with(&Options::default().synchronous()).unwrap();
        assert_eq!(one.to_bits(), two.to_bits());
        assert_eq!(one.to_bits(), sync.to_bits());
    }
}

#[test]
fn persist_serves_computed_chunks() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let x = Array::<f64>::from_fn(&[100], 25, move |i| {
        counter.fetch_add(1, Ordering::Relaxed);
        i[0] as f64
    })
    .unwrap();
    let p = (&x * 2.0).persist().unwrap();
    assert_eq!(runs.load(Ordering::Relaxed), 100);
    assert_eq!(p.sum().scalar().unwrap(), 9900.0);
    assert_eq!((&p + 1.0).max().scalar().unwrap(), 199.0);
    assert_eq!(
        runs.load(Ordering::Relaxed),
        100,
        "persisted chunks are not recomputed"
    );
}

#[test]
fn dot_shows_the_plan_before_and_after_fusion() {
    let a = Array::<f64>::ones(&[8], 4).unwrap();
    let b = Array::<f64>::zeros(&[8], 4).unwrap();
    let d = (&a - &b).powi(2).sum().sqrt();
    let before = d.plan_dot(false).unwrap();
    let after = d.plan_dot(true).unwrap();
    assert!(before.contains("sub [8] f64") && before.contains("powi2 [8] f64"));
    assert!(after.contains("fused: sqrt(sum((a - b)^2))"));
    assert!(!after.contains("powi2 [8]"));
    let tasks = d.to_dot().unwrap();
    assert!(
        tasks.contains("fused: sum((a - b)^2)") && tasks.contains("fused: sqrt(sum((a - b)^2))")
    );
}

#[test]
fn chunks_of_different_operands_are_unified() {
    let a = Array::<i32>::arange(0, 10, 1, 3).unwrap();
    let b = Array::<i32>::arange(0, 10, 1, 4).unwrap();
    let c = &a + &b;
    assert_eq!(c.chunks().axis(0), &[3, 1, 2, 2, 1, 1]);
    assert_eq!(
        c.compute().unwrap().as_slice().unwrap(),
        &[0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    );
    let col = Array::<f64>::ones(&[4, 1], 2).unwrap();
    let row = Array::<f64>::ones(&[5], 3).unwrap();
    let outer = &col + &row;
    assert_eq!(outer.shape(), &[4, 5]);
    assert_eq!(outer.chunks().as_lists(), &[vec![2, 2], vec![3, 2]]);
    assert_eq!(outer.sum().scalar().unwrap(), 40.0);
}

#[test]
fn elementwise_after_a_reduction_fuses_into_its_aggregate() {
    let x = Array::<f64>::from_fn(&[40, 30], [7, 8], |i| {
        (i[0] as f64 - 20.0) * 0.37 + i[1] as f64
    })
    .unwrap();
    let y = (x.sum_axis(1).unwrap() * 0.5 + 3.0).sqrt().cast::<f32>();
    let dot = y.plan_dot(true).unwrap();
    assert!(
        dot.contains("fused: f32(sqrt(((sum(a) * 0.5) + 3)))"),
        "{dot}"
    );
    let fused = y.compute().unwrap();
    let unfused = y.compute_with(&Options::default().fuse(false)).unwrap();
    assert_eq!(fused, unfused);
    // A reduction that is also an output is not absorbed.
    let s = x.sum_axis(0).unwrap();
    let t = &s * 2.0;
    let (s1, t1) = compute((&s, &t)).unwrap();
    assert_eq!(s1.mapv(|v| v * 2.0), t1);
}

#[test]
fn every_element_type_computes_like_ndarray() {
    use ndarray::Array1;
    let v: Vec<i64> = (0..37).map(|i| (i * 7919) % 201 - 100).collect();
    let base = Array1::from(v.clone());
    let x = Array::from_ndarray(base.clone(), 5).unwrap();

    let f = x.cast::<f32>();
    let want_f = base.mapv(|v| ((v as f32) * 0.5 - 1.0).abs().sqrt());
    assert_eq!(
        ((&f * 0.5 - 1.0).abs().sqrt()).compute().unwrap(),
        want_f.into_dyn()
    );

    let u = x.abs().cast::<u32>();
    let want_u = base.mapv(|v| (v.unsigned_abs() as u32).wrapping_mul(3_000_000_000) % 7);
    assert_eq!(
        ((&u * 3_000_000_000) % 7).compute().unwrap(),
        want_u.into_dyn()
    );
    assert_eq!(
        u.sum().scalar().unwrap(),
        base.iter().map(|v| v.unsigned_abs()).sum::<u64>()
    );

    let i = x.cast::<i32>();
    assert_eq!((&i / 0).compute().unwrap(), base.mapv(|_| 0_i32).into_dyn());
    assert_eq!(
        (-&i).max().scalar().unwrap(),
        -(*base.iter().min().unwrap() as i32)
    );
    assert_eq!(
        i.prod().scalar().unwrap(),
        base.iter().fold(1_i64, |a, &b| a.wrapping_mul(b))
    );

    let w = x.cast::<u64>();
    assert_eq!(w.cast::<i64>().compute().unwrap(), base.clone().into_dyn());
    let b = x.gt(0);
    assert!(!b.all().scalar().unwrap());
    assert!(b.any().scalar().unwrap());
    assert_eq!(
        (!&b).sum().scalar().unwrap(),
        base.iter().filter(|&&v| v <= 0).count() as i64
    );
    assert_eq!(
        b.cast::<f64>().mean().scalar().unwrap(),
        base.iter().filter(|&&v| v > 0).count() as f64 / 37.0
    );
}

#[test]
fn cast_to_bool_is_nonzero_like_numpy() {
    // np.array([0.5, -0.0, nan, 2.0, 0.0, -3.0]).astype(bool)
    let x = ndarray::arr1(&[0.5, -0.0, f64::NAN, 2.0, 0.0, -3.0]).into_dyn();
    let want = [true, false, true, true, false, true];
    let a = Array::from_ndarray(x, 4).unwrap();
    assert_eq!(
        a.cast::<bool>().compute().unwrap().as_slice().unwrap(),
        &want
    );
    // Fused into a longer chain, and from f32 and the integer types.
    assert_eq!(
        (&a * 1.0)
            .cast::<f32>()
            .cast::<bool>()
            .compute()
            .unwrap()
            .as_slice()
            .unwrap(),
        &want
    );
    let i = Array::<i64>::arange(-2, 3, 1, 2).unwrap();
    assert_eq!(
        i.cast::<bool>().compute().unwrap().as_slice().unwrap(),
        &[true, true, false, true, true]
    );
    assert_eq!(
        i.abs()
            .cast::<u32>()
            .cast::<bool>()
            .compute()
            .unwrap()
            .as_slice()
            .unwrap(),
        &[true, true, false, true, true]
    );
}

#[test]
fn ndarray_edges_share_views_copy_and_static_dims_come_back() {
    // An ArcArray is shared, not copied: the lazy array holds the caller's buffer.
    let a = ndarray::Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64).into_shared();
    let x = Array::from_ndarray(a.clone(), [2, 2]).unwrap();
    assert!(!a.is_unique());
    assert_eq!(x.compute_ix::<ndarray::Ix2>().unwrap(), a.to_owned());
    drop(x);
    assert!(a.is_unique());
    // Views (strided ones too) and CowArrays are accepted.
    let t = Array::from_ndarray(a.t(), 2).unwrap();
    assert_eq!(t.compute_ix::<ndarray::Ix2>().unwrap(), a.t().to_owned());
    let cow = ndarray::CowArray::from(a.view());
    assert_eq!(
        Array::from_ndarray(cow, 3).unwrap().sum().scalar().unwrap(),
        66.0
    );
    let owned = a.to_owned();
    let by_reference = &owned;
    assert_eq!(
        Array::from_ndarray(by_reference, 3)
            .unwrap()
            .sum()
            .scalar()
            .unwrap(),
        66.0
    );
    // 1-D from vectors and slices.
    let v = Array::from_vec(vec![1_u32, 2, 3, 4, 5], 2).unwrap();
    assert_eq!(
        v.compute_ix::<ndarray::Ix1>().unwrap(),
        ndarray::arr1(&[1, 2, 3, 4, 5])
    );
    let s = Array::from_slice(&[true, false, true], 2).unwrap();
    assert_eq!(s.sum().scalar().unwrap(), 2);
    // A wrong static dimensionality is an error naming the shape.
    let err = v.compute_ix::<ndarray::Ix2>().unwrap_err();
    assert!(matches!(err, chunkflow::Error::ShapeMismatch(_)), "{err}");
    assert!(err.to_string().contains("[5]"), "{err}");
    let zero_d = v.sum().compute_ix::<ndarray::Ix0>().unwrap();
    assert_eq!(zero_d[()], 15);
}

#[test]
fn zero_size_chunks_given_by_the_user_work_everywhere() {
    let x = Array::from_vec((0..10).map(f64::from).collect(), vec![vec![0, 4, 0, 6, 0]]).unwrap();
    assert_eq!(x.chunks().axis(0), &[0, 4, 0, 6, 0]);
    assert_eq!(x.sum().scalar().unwrap(), 45.0);
    let y = Array::from_vec((0..10).map(f64::from).collect(), 3).unwrap();
    assert_eq!((&x + &y).compute().unwrap(), (&y * 2.0).compute().unwrap());
    // Chunked alike: the zero-size chunks stay.
    assert_eq!((&x * 2.0).chunks().axis(0), &[0, 4, 0, 6, 0]);
    assert_eq!(x.cumsum(0).unwrap().compute().unwrap()[9], 45.0);
    // A length-1 axis split [1, 0] broadcasts as one chunk.
    let row = Array::<f64>::ones(&[1, 3], vec![vec![1, 0], vec![3]]).unwrap();
    let grid = Array::<f64>::zeros(&[4, 3], 2).unwrap();
    assert_eq!((&grid + &row).sum().scalar().unwrap(), 12.0);
    // Still errors: a zero uniform size, no chunks for an axis, a wrong sum.
    assert!(Array::<f64>::zeros(&[4], 0).is_err());
    assert!(Array::<f64>::zeros(&[4], vec![vec![]]).is_err());
    assert!(Array::<f64>::zeros(&[4], vec![vec![0, 3]]).is_err());
}

#[test]
fn broadcast_to_is_lazy_and_read_with_stride_zero() {
    let x = Array::<f64>::arange(0.0, 4.0, 1.0, 3).unwrap();
    let b = x.broadcast_to(&[1_000_000, 4]).unwrap();
    // Spanned axis keeps the input's chunks; the stretched one is bounded.
    assert_eq!(b.chunks().axis(1), &[3, 1]);
    assert!(b.chunks().max_chunk_len() * 8 <= chunkflow::array::AUTO_CHUNK_BYTES);
    assert!(b.chunks().axis(0).len() > 1);
    // An elementwise consumer reads x itself: no broadcast_to task in the graph.
    let y = (&b * 2.0 + 1.0).sum_axis(0).unwrap();
    let dot = y.to_dot().unwrap();
    assert!(!dot.contains("broadcast_to"), "{dot}");
    assert_eq!(
        y.compute().unwrap().as_slice().unwrap(),
        &[1e6, 3e6, 5e6, 7e6]
    );
    // Alone, or under a reduction, each chunk is made on its own.
    assert_eq!(b.sum().scalar().unwrap(), 6e6);
    let small = x.broadcast_to(&[2, 3, 4]).unwrap().compute().unwrap();
    let want = x
        .compute()
        .unwrap()
        .broadcast(vec![2, 3, 4])
        .unwrap()
        .to_owned();
    assert_eq!(small, want);
    // With another operand of the full shape, chunks unify.
    let z = Array::<f64>::ones(&[5, 4], 2).unwrap();
    let w = (&x.broadcast_to(&[5, 4]).unwrap() + &z).compute().unwrap();
    assert_eq!(w.sum(), 5.0 * (0.0 + 1.0 + 2.0 + 3.0) + 20.0);
    assert!(x.broadcast_to(&[5, 3]).is_err());
}

#[test]
fn reduction_outputs_written_in_place_equal_their_eager_values() {
    // A requested reduction that nothing else reads is written straight into the result by
    // its aggregate tasks: with and without a fused `post` program, uneven chunks, several
    // combine levels, keepdims, an integer result type, on 1 and 2 threads.
    let data: Vec<f64> = (0..7 * 9 * 5)
        .map(|v| ((v * 37) % 23) as f64 - 11.0)
        .collect();
    let eager = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[7, 9, 5]), data).unwrap();
    let x = Array::from_ndarray(eager.clone(), [2, 4, 3]).unwrap();
    let args = chunkflow::ReduceArgs::axes(&[1])
        .keepdims(true)
        .split_every(2);
    for threads in [1, 2] {
        let options = Options::default().threads(threads).unwrap();
        let sums = x.sum_axis(0).unwrap().compute_with(&options).unwrap();
        assert_eq!(sums, eager.sum_axis(ndarray::Axis(0)));
        let roots = x
            .sum_axis(2)
            .unwrap()
            .abs()
            .sqrt()
            .compute_with(&options)
            .unwrap();
        assert_eq!(
            roots,
            eager.sum_axis(ndarray::Axis(2)).mapv(|v| v.abs().sqrt())
        );
        let kept = x.sum_with(&args).unwrap().compute_with(&options).unwrap();
        assert_eq!(
            kept,
            eager
                .sum_axis(ndarray::Axis(1))
                .insert_axis(ndarray::Axis(1))
        );
        let arg = x.argmax_axis(1).unwrap().compute_with(&options).unwrap();
        let want = eager.map_axis(ndarray::Axis(1), |lane| {
            let max = lane.iter().copied().fold(f64::MIN, f64::max);
            lane.iter().position(|&v| v == max).unwrap() as u64
        });
        assert_eq!(arg, want);
    }
    // An error found when finishing states (an all-NaN slice) is still an error.
    let nan = Array::from_vec(vec![f64::NAN; 6], 2)
        .unwrap()
        .reshape(&[3, 2])
        .unwrap();
    let per_column = nan
        .nanargmax_with(&chunkflow::ReduceArgs::axes(&[0]))
        .unwrap();
    assert!(per_column.compute().is_err());
}

#[test]
fn mean_is_numpys_sum_over_count_to_the_last_bit() {
    // Values printed by NumPy 2.4 (np.mean, np.nanmean): the f64 sum divided by the count,
    // not a running mean (which gives 0.20000000000000001 for the first).
    let x = Array::<f64>::from_vec(vec![0.1, 0.2, 0.3], 2).unwrap();
    assert_eq!(
        x.mean().scalar().unwrap().to_bits(),
        0.200_000_000_000_000_04_f64.to_bits()
    );
    let m = Array::<f64>::from_vec(vec![0.1, 0.7, 0.2, 0.1, 0.3, 1e-17], 2)
        .unwrap()
        .reshape(&[3, 2])
        .unwrap()
        .rechunk([1, 2])
        .unwrap();
    let cols = m.mean_axis(0).unwrap().compute().unwrap();
    assert_eq!(cols[[0]].to_bits(), 0.200_000_000_000_000_04_f64.to_bits());
    assert_eq!(cols[[1]].to_bits(), 0.266_666_666_666_666_66_f64.to_bits());
    let with_nan = Array::<f64>::from_vec(vec![0.1, f64::NAN, 0.2, 0.3], 3).unwrap();
    assert_eq!(
        with_nan.nanmean().scalar().unwrap().to_bits(),
        0.200_000_000_000_000_04_f64.to_bits()
    );
    let zero = Array::<f64>::from_vec(vec![-0.0, f64::NAN], 1).unwrap();
    assert_eq!(
        zero.nanmean().scalar().unwrap().to_bits(),
        0.0_f64.to_bits()
    );
    let ints = Array::<i32>::from_vec(vec![1_i32, 2, 2], 2).unwrap();
    assert_eq!(ints.mean().scalar().unwrap(), 5.0 / 3.0);
    let infs = Array::<f64>::from_vec(vec![f64::INFINITY, f64::NEG_INFINITY], 1).unwrap();
    assert!(infs.mean().scalar().unwrap().is_nan());
    let inf = Array::<f64>::from_vec(vec![f64::INFINITY, 1.0], 1).unwrap();
    assert_eq!(inf.mean().scalar().unwrap(), f64::INFINITY);
}

#[test]
fn a_one_chunk_sum_is_numpys_pairwise_sum_to_the_last_bit() {
    // np.sum of the same values in NumPy 2.4.6, as bits: NumPy's `pairwise_sum` (fewer than
    // 8 in order; blocks of up to 128 with 8 accumulators started at the first 8 and the
    // tail added in order; longer lanes halved at a multiple of 8). One chunk is one lane.
    // (The 8 accumulators chunkflow used before, taking the tail too, differ at 20, 100
    // and in three of the rows.)
    let values = |n: usize| -> Vec<f64> {
        let scale = [1000.0, 0.01, 1.0, 100.0, 0.001];
        (0..n)
            .map(|i| ((i * 7919 % 1013) as f64 - 506.0) / 37.0 / scale[i % 5])
            .collect()
    };
    let numpy: [(usize, u64); 9] = [
        (4, 4650898528984154895),
        (5, 13886057089012162739),
        (7, 13884838723683974750),
        (13, 13887651747812156312),
        (20, 13889391256452292276),
        (100, 4672440076831485414),
        (129, 13892703455263783958),
        (1000, 13884299290917311160),
        (4099, 4672312741698963353),
    ];
    for (n, bits) in numpy {
        let x = Array::<f64>::from_vec(values(n), n).unwrap();
        assert_eq!(x.sum().scalar().unwrap().to_bits(), bits, "sum of {n}");
    }
    // Row sums of a (7, 300) array in one chunk.
    let rows = Array::<f64>::from_vec(values(2100), 2100)
        .unwrap()
        .reshape(&[7, 300])
        .unwrap()
        .sum_axis(1)
        .unwrap()
        .compute()
        .unwrap();
    let numpy_rows: [u64; 7] = [
        13895537955632551582,
        13889830509148565530,
        4675342634343813996,
        4674508659086757382,
        13883161783614796760,
        13890845961463130611,
        4662517083064546468,
    ];
    let got: Vec<u64> = rows.iter().map(|v| v.to_bits()).collect();
    assert_eq!(got, numpy_rows);
}
