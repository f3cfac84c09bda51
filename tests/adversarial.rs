//! Hostile and careless inputs (issue 14, the classes handled so far): each gets a clear
//! `Error` or NumPy's value, never a panic, an abort or a silently wrong result.

use std::sync::Arc;

use chunkflow::graph::{ExecGraph, Value};
use chunkflow::scheduler::{Observer, Scheduler, TaskFinish, Threaded};
use chunkflow::{Array, ChunkSpec, Error, Options};

#[test]
fn chunk_sizes_that_wrap_around_usize_are_refused() {
    let err = Array::<f64>::zeros(&[3], vec![vec![usize::MAX, 4]]).unwrap_err();
    assert!(matches!(err, Error::InvalidChunks(_)), "{err}");
    assert!(err.to_string().contains("more than fits in usize"), "{err}");
}

#[test]
fn shapes_whose_size_overflows_are_refused_before_allocating() {
    for shape in [vec![1 << 32, 1 << 32], vec![usize::MAX], vec![1 << 62, 4]] {
        let err = Array::<f64>::zeros(&shape, ChunkSpec::Auto).unwrap_err();
        assert!(
            err.to_string().contains("address space"),
            "{shape:?}: {err}"
        );
    }
    let err = Array::<i64>::arange(0, i64::MAX, 1, ChunkSpec::Auto).unwrap_err();
    assert!(err.to_string().contains("address space"), "{err}");
    let err = Array::<f64>::linspace(0.0, 1.0, usize::MAX, ChunkSpec::Auto).unwrap_err();
    assert!(err.to_string().contains("address space"), "{err}");
}

#[test]
fn too_many_chunks_is_an_error_not_an_abort() {
    // 2^40 one-element chunks: the chunk list alone would need 8 TB.
    let err = Array::<f32>::zeros(&[1 << 40], 1).unwrap_err();
    assert!(matches!(err, Error::InvalidChunks(_)), "{err}");
    assert!(err.to_string().contains("at most 16777216"), "{err}");
    let err = Array::<f64>::zeros(&[1 << 20, 1 << 20], [64, 64]).unwrap_err();
    assert!(matches!(err, Error::InvalidChunks(_)), "{err}");
    // The limit itself is fine.
    assert!(Array::<f64>::zeros(&[1 << 24], 1).is_ok());
}

#[test]
fn arange_follows_numpy_at_the_edges() {
    let err = Array::<f64>::arange(0.0, f64::INFINITY, 1.0, 100).unwrap_err();
    assert!(err.to_string().contains("infinitely many"), "{err}");
    assert!(Array::<f64>::arange(0.0, f64::NAN, 1.0, 100).is_err());
    assert!(Array::<f64>::arange(f64::NAN, 1.0, 1.0, 100).is_err());
    assert!(Array::<f64>::arange(0.0, 1.0, f64::NAN, 100).is_err());
    assert!(Array::<f64>::arange(0.0, 1.0, 0.0, 100).is_err());
    // An infinite step pointing towards stop gives the start alone, as NumPy's.
    let one = Array::<f64>::arange(0.0, 10.0, f64::INFINITY, 4).unwrap();
    assert_eq!(one.compute().unwrap().as_slice().unwrap(), &[0.0]);
    let none = Array::<f64>::arange(0.0, 10.0, f64::NEG_INFINITY, 4).unwrap();
    assert_eq!(none.len(), 0);
    // NumPy's fill rule: elements 0 and 1 are start and start + step, the rest start +
    // i·delta with delta their difference, in the element type's precision. Values as
    // NumPy 2.4 prints them (`start + i * step` gives 1.4, not 1.4000000000000001).
    for chunks in [1, 3, 10] {
        let x = Array::<f64>::arange(0.5, 3.2, 0.3, chunks)
            .unwrap()
            .compute()
            .unwrap();
        let want = [
            0.5,
            0.8,
            1.1,
            1.4000000000000001,
            1.7000000000000002,
            2.0,
            2.3000000000000003,
            2.6000000000000005,
            2.9000000000000004,
            3.2,
        ];
        assert_eq!(x.as_slice().unwrap(), &want, "chunks {chunks}");
        let x = Array::<f64>::arange(10.0, 9.0, -0.15, chunks)
            .unwrap()
            .compute()
            .unwrap();
        let want = [
            10.0,
            9.85,
            9.7,
            9.549999999999999,
            9.399999999999999,
            9.249999999999998,
            9.099999999999998,
        ];
        assert_eq!(x.as_slice().unwrap(), &want, "chunks {chunks}");
        // float32: computed in f32, as NumPy's FLOAT_fill (bits of elements 6, 8, 12, 13).
        let x = Array::<f32>::arange(0.1, 10.0, 0.1, chunks)
            .unwrap()
            .compute()
            .unwrap();
        assert_eq!(x.len(), 99);
        let bits: Vec<u32> = [6, 8, 12, 13].iter().map(|&i| x[[i]].to_bits()).collect();
        assert_eq!(
            bits,
            [1060320052, 1063675495, 1067869799, 1068708660],
            "chunks {chunks}"
        );
        let (s, d) = (0.1f32, (0.1f64 + 0.1) as f32 - 0.1f32);
        for (i, v) in x.iter().enumerate().skip(2) {
            assert_eq!(v.to_bits(), (s + i as f32 * d).to_bits(), "element {i}");
        }
    }
}

#[test]
fn means_of_infinities_match_numpy_whatever_the_chunking() {
    let inf = f64::INFINITY;
    for chunks in [1, 2, 3, 4] {
        let x = Array::from_vec(vec![inf, inf, 1.0, inf], chunks).unwrap();
        assert_eq!(x.mean().scalar().unwrap(), inf, "chunks {chunks}");
        assert!(x.var(0).scalar().unwrap().is_nan(), "chunks {chunks}");
        let y = Array::from_vec(vec![inf, 2.0, -inf, 1.0], chunks).unwrap();
        assert!(y.mean().scalar().unwrap().is_nan(), "chunks {chunks}");
        let z = Array::from_vec(vec![-inf, 2.0, -inf], chunks).unwrap();
        assert_eq!(z.mean().scalar().unwrap(), -inf, "chunks {chunks}");
    }
    // Along an axis (the per-element update path), too.
    let m =
        Array::from_ndarray(ndarray::arr2(&[[inf, 1.0], [inf, 3.0], [1.0, 5.0]]), [1, 2]).unwrap();
    let means = m.mean_axis(0).unwrap().compute().unwrap();
    assert_eq!(means.as_slice().unwrap(), &[inf, 3.0]);
}

struct Panicky;
impl Observer for Panicky {
    fn on_finish(&self, _: &TaskFinish<'_>) {
        panic!("observer bug");
    }
}

#[test]
fn a_panicking_observer_is_an_error_not_an_unwind() {
    let x = Array::<f64>::ones(&[100], 10).unwrap();
    for options in [
        Options::default().synchronous(),
        Options::default().threads(2).unwrap(),
    ] {
        let err = (&x * 2.0)
            .sum()
            .scalar_with(&options.observer(Arc::new(Panicky)))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Panic(m) if m.contains("observer bug")),
            "{err}"
        );
    }
    // The pool is still usable afterwards.
    assert_eq!((&x * 2.0).sum().scalar().unwrap(), 200.0);
}

/// A scheduler that loses its last output.
struct Lossy(Threaded);
impl Scheduler for Lossy {
    fn name(&self) -> &'static str {
        "lossy"
    }
    fn workers(&self) -> usize {
        self.0.workers()
    }
    fn run(
        &self,
        graph: &ExecGraph,
        observer: Option<&dyn Observer>,
    ) -> chunkflow::Result<Vec<Value>> {
        let mut values = self.0.run(graph, observer)?;
        values.pop();
        Ok(values)
    }
}

#[test]
fn a_scheduler_returning_too_few_values_is_an_error_not_zeros() {
    let x = Array::<f64>::ones(&[8, 8], 4).unwrap();
    let options = Options::default().scheduler(Lossy(Threaded::new(1).unwrap()));
    // Written in place (an elementwise output, a reduction's) and assembled from chunks (a
    // transpose).
    let err = (&x + 1.0).compute_with(&options).unwrap_err();
    assert!(err.to_string().contains("returned 3 values for 4"), "{err}");
    let err = x.sum_axis(0).unwrap().compute_with(&options).unwrap_err();
    assert!(err.to_string().contains("lossy"), "{err}");
    let err = x.transpose().compute_with(&options).unwrap_err();
    assert!(err.to_string().contains("returned 3 values for 4"), "{err}");
}

/// Runs `f` on a thread with the default 2 MiB stack and fails the test if it takes longer
/// than `seconds` (the thread is left behind; the test binary exits when the tests end).
fn within<T: Send + 'static>(seconds: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let _ = send.send(f());
        })
        .unwrap();
    receive
        .recv_timeout(std::time::Duration::from_secs(seconds))
        .expect("finished in time (a stack overflow aborts instead)")
}

#[test]
fn a_fused_chain_of_100000_steps_plans_and_runs() {
    let (total, label_len) = within(120, || {
        let mut x = Array::<f64>::zeros(&[4], 2).unwrap();
        for _ in 0..100_000 {
            x = &x + 1.0;
        }
        let label_len = x.plan_dot(true).unwrap().len();
        (x.sum().scalar().unwrap(), label_len)
    });
    assert_eq!(total, 400_000.0);
    assert!(label_len < 2_000, "a bounded label, not {label_len} bytes");
}

#[test]
fn dropping_a_chain_of_a_million_nodes_does_not_overflow_the_stack() {
    within(120, || {
        let mut x = Array::<f64>::ones(&[2], 2).unwrap();
        for _ in 0..1_000_000 {
            x = &x * 1.0;
        }
        drop(x);
    });
}

#[test]
fn shared_subexpressions_cost_linear_time_and_text() {
    let (fused, unfused, label) = within(60, || {
        let x = Array::<f64>::linspace(0.5, 1.0, 1000, 100).unwrap();
        let mut y = x.clone();
        for _ in 0..40 {
            y = &y * &y;
        }
        let mut z = x.clone();
        for _ in 0..60 {
            z = 3.7 * &z * (1.0 - &z); // the logistic map
        }
        let both = (&y.sum() + &z.sum()).check().map(|_| ());
        both.unwrap();
        let fused = (y.sum().scalar().unwrap(), z.sum().scalar().unwrap());
        let off = Options::default().fuse(false);
        let unfused = (
            y.sum().scalar_with(&off).unwrap(),
            z.sum().scalar_with(&off).unwrap(),
        );
        (fused, unfused, z.to_dot().unwrap())
    });
    assert_eq!(fused.0.to_bits(), unfused.0.to_bits());
    assert_eq!(fused.1.to_bits(), unfused.1.to_bits());
    assert!(label.len() < 200_000, "{} bytes of DOT", label.len());
    assert!(label.contains('…'));
}

#[test]
fn planning_costs_linear_time_in_the_chunks() {
    // A million one-element chunks (block offsets were re-summed per block: 133 s).
    let total = within(60, || {
        Array::<f64>::ones(&[1_000_000], 1)
            .unwrap()
            .sum()
            .scalar()
            .unwrap()
    });
    assert_eq!(total, 1e6);
    // Two chunkings unified by a rechunk of each (pieces were found by a scan: ~30 s).
    let total = within(60, || {
        let a = Array::<f64>::ones(&[200_000], 2).unwrap();
        let b = Array::<f64>::ones(&[200_000], 3).unwrap();
        (&a + &b).sum().scalar().unwrap()
    });
    assert_eq!(total, 400_000.0);
}

/// The relative error of `got` against `want`.
fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

#[test]
fn f32_sums_are_pairwise_accurate_fused_or_not() {
    // Naive (or 8-lane) f32 accumulation of 1e7 values of 0.1 was 9e-4 off; NumPy's
    // pairwise sum is ~1e-7 off. 0.1f32 is 0.100000001490116..., hence `want`.
    let want = 0.1f32 as f64 * 1e7;
    let x = Array::<f32>::full(&[10_000_000], 0.1, 1_000_000).unwrap();
    let plain = x.sum().scalar().unwrap() as f64;
    assert!(
        rel(plain, want) < 1e-6,
        "sum: {plain} ({:e})",
        rel(plain, want)
    );
    let fused = (&x * 1.0).sum().scalar().unwrap() as f64;
    assert!(rel(fused, want) < 1e-6, "fused: {fused}");
    let compiled = ((&x * 1.0 + 0.0) * 1.0)
        .sum()
        .scalar_with(&Options::default().codegen(true))
        .unwrap() as f64;
    assert!(rel(compiled, want) < 1e-6, "compiled: {compiled}");
    let nansum = x.nansum().scalar().unwrap() as f64;
    assert!(rel(nansum, want) < 1e-6, "nansum: {nansum}");
    let mean = x.mean().scalar().unwrap() as f64;
    assert!(rel(mean, 0.1f32 as f64) < 1e-6, "mean: {mean}");
    // In-memory data, one lane per chunk.
    let data = Array::<f32>::from_vec(vec![0.1; 10_000_000], 5_000_000).unwrap();
    let s = data.sum().scalar().unwrap() as f64;
    assert!(rel(s, want) < 1e-6, "from_vec: {s}");
    // Along an axis: a reduced inner axis (lanes) and a reduced outer axis (per column).
    let m = Array::<f32>::full(&[4, 2_500_000], 0.1, vec![vec![2, 2], vec![2_500_000]]).unwrap();
    let rows = m.sum_axis(1).unwrap().compute().unwrap();
    for &r in &rows {
        assert!(rel(r as f64, want / 4.0) < 1e-6, "sum_axis(1): {r}");
    }
    let t =
        Array::<f32>::full(&[1_000_000, 4], 0.1, vec![vec![500_000, 500_000], vec![4]]).unwrap();
    let cols = t.sum_axis(0).unwrap().compute().unwrap();
    for &c in &cols {
        assert!(rel(c as f64, want / 10.0) < 1e-6, "sum_axis(0): {c}");
    }
}

#[test]
fn f64_sums_are_pairwise_too() {
    let want = 0.1 * 1e7;
    let x = Array::<f64>::full(&[10_000_000], 0.1, 10_000_000).unwrap();
    let s = x.sum().scalar().unwrap();
    // Sequential 8-lane accumulation: ~1e-12; pairwise: a few ulps.
    assert!(rel(s, want) < 1e-14, "{s} ({:e})", rel(s, want));
}

macro_rules! signed_zero_checks {
    ($t:ty) => {{
        let (zero, neg): ($t, $t) = (0.0, -0.0);
        // Reductions, one chunk and one element per chunk.
        for chunk in [2, 1] {
            let a = Array::<$t>::from_vec(vec![zero, neg], chunk).unwrap();
            let b = Array::<$t>::from_vec(vec![neg, zero], chunk).unwrap();
            let m = a.max().scalar().unwrap();
            assert!(m.is_sign_negative(), "max([0, -0]) chunk {chunk}");
            assert!(
                b.max().scalar().unwrap().is_sign_positive(),
                "max([-0, 0]) {chunk}"
            );
            assert!(
                b.min().scalar().unwrap().is_sign_positive(),
                "min([-0, 0]) {chunk}"
            );
            assert!(
                a.min().scalar().unwrap().is_sign_negative(),
                "min([0, -0]) {chunk}"
            );
            assert!(
                a.nanmax().scalar().unwrap().is_sign_negative(),
                "nanmax {chunk}"
            );
            assert!(
                b.nanmin().scalar().unwrap().is_sign_positive(),
                "nanmin {chunk}"
            );
            let axis = a.max_axis(0).unwrap().compute().unwrap()[[]];
            assert!(axis.is_sign_negative(), "max_axis chunk {chunk}");
        }
        let z = Array::<$t>::from_vec(vec![zero], 1).unwrap();
        let n = Array::<$t>::from_vec(vec![neg], 1).unwrap();
        let nan = Array::<$t>::from_vec(vec![<$t>::NAN], 1).unwrap();
        for codegen in [false, true] {
            let o = Options::default().codegen(codegen);
            let neg_sign = |a: Array<$t>| a.compute_with(&o).unwrap()[[0]].is_sign_negative();
            assert!(neg_sign(z.maximum(&n)), "maximum(0, -0), codegen {codegen}");
            assert!(
                !neg_sign(n.maximum(&z)),
                "maximum(-0, 0), codegen {codegen}"
            );
            assert!(
                !neg_sign(n.minimum(&z)),
                "minimum(-0, 0), codegen {codegen}"
            );
            assert!(neg_sign(z.minimum(&n)), "minimum(0, -0), codegen {codegen}");
            assert!(neg_sign(z.fmax(&n)), "fmax(0, -0), codegen {codegen}");
            assert!(!neg_sign(n.fmin(&z)), "fmin(-0, 0), codegen {codegen}");
            // Programs long enough to be compiled, with a scalar operand too.
            let long = |a: &Array<$t>| (a * 1.0 - 0.0) * 1.0;
            assert!(
                neg_sign(long(&z).maximum(neg)),
                "maximum(0, -0 const) {codegen}"
            );
            assert!(
                !neg_sign(long(&n).minimum(zero)),
                "minimum(-0, 0 const) {codegen}"
            );
            let v = (long(&z).maximum(&long(&n))).compute_with(&o).unwrap()[[0]];
            assert!(
                v.is_sign_negative(),
                "maximum of programs, codegen {codegen}"
            );
            // NaN still propagates either way round.
            assert!(nan.maximum(&z).compute_with(&o).unwrap()[[0]].is_nan());
            assert!(z.minimum(&nan).compute_with(&o).unwrap()[[0]].is_nan());
        }
    }};
}

#[test]
fn signed_zeros_follow_numpy_later_operand_on_ties() {
    signed_zero_checks!(f64);
    signed_zero_checks!(f32);
}

#[test]
fn a_range_too_large_for_memory_is_an_error_not_an_abort() {
    let result = within(60, || chunkflow::Bag::range(1 << 41, 4).unwrap().take(3));
    let err = result.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("partition 0") && text.contains("4398046511104 bytes"),
        "{text}"
    );
}

#[test]
fn a_product_partition_too_large_for_memory_is_an_error() {
    // 2^20 x 2^20 pairs of (u64, u64): 16 TiB in one partition.
    let result = within(60, || {
        let a = chunkflow::Bag::range(1 << 20, 1).unwrap();
        a.product(&a).count().compute()
    });
    let text = result.unwrap_err().to_string();
    assert!(
        text.contains("partition 0 of product needs 17592186044416 bytes"),
        "{text}"
    );
}

#[test]
fn ten_thousand_chained_map_partitions_lower_run_and_drop() {
    let n = within(120, || {
        let mut b = chunkflow::Bag::range(100, 4).unwrap();
        for _ in 0..10_000 {
            b = b.map_partitions(|p: Vec<u64>| p);
        }
        b.count().compute().unwrap()
    });
    assert_eq!(n, 100);
}

#[test]
fn thirty_thousand_chained_maps_run_on_a_worker_stack() {
    let (total, unfused) = within(120, || {
        let mut b = chunkflow::Bag::range(100, 4).unwrap();
        for _ in 0..30_000 {
            b = b.map(|x| x + 1);
        }
        let unfused = b
            .compute_with(&Options::new().fuse(false))
            .unwrap()
            .iter()
            .sum::<u64>();
        (b.sum().compute().unwrap(), unfused)
    });
    let want = (0..100).sum::<u64>() + 100 * 30_000;
    assert_eq!((total, unfused), (want, want));
}

#[test]
fn a_hundred_thousand_chained_maps_build_in_linear_time() {
    let (items, label_len) = within(120, || {
        let mut b = chunkflow::Bag::range(10, 2).unwrap();
        for i in 0..100_000 {
            b = if i % 3 == 0 {
                b.filter(|_| true)
            } else {
                b.map(|x| x + 1)
            };
        }
        (b.compute().unwrap(), b.to_dot().unwrap().len())
    });
    assert_eq!(items, (0..10).map(|x| x + 66_666).collect::<Vec<u64>>());
    assert!(label_len < 4_000, "a bounded label, not {label_len} bytes");
}

/// Counts finished tasks.
struct Counting(std::sync::atomic::AtomicUsize);
impl Observer for Counting {
    fn on_finish(&self, _: &TaskFinish<'_>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn slicing_a_few_elements_costs_the_chunks_touched() {
    // 4M one-element chunks: lowering every chunk took ~10 s; culling while lowering
    // makes only the tasks of the 10 chunks the slice reads.
    let (values, tasks) = within(30, || {
        let x = Array::<f64>::arange(0.0, 4e6, 1.0, 1).unwrap();
        let y = (&x * 2.0).slice(ndarray::s![1000..1010]).unwrap();
        let counting = Arc::new(Counting(Default::default()));
        let options = Options::default().observer(counting.clone());
        let values = y.compute_with(&options).unwrap();
        (
            values,
            counting.0.load(std::sync::atomic::Ordering::Relaxed),
        )
    });
    let want: Vec<f64> = (1000..1010).map(|i| 2.0 * i as f64).collect();
    assert_eq!(values.as_slice().unwrap(), want.as_slice());
    assert!(tasks <= 40, "{tasks} tasks");
}

#[test]
fn a_uniform_range_wider_than_f64_is_an_error_not_infinities() {
    let err = chunkflow::random::uniform(-f64::MAX, f64::MAX, &[4], 2, 1).unwrap_err();
    assert!(err.to_string().contains("exceeds the largest f64"), "{err}");
    // Half of it still works and stays finite.
    let x = chunkflow::random::uniform(-f64::MAX / 2.0, f64::MAX / 2.0, &[64], 8, 1).unwrap();
    assert!(x.compute().unwrap().iter().all(|v| v.is_finite()));
}
