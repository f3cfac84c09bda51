//! Distributed runs under `mpirun -n 2`, compared bit for bit with the threaded scheduler.
//!
//! Each normal test here starts `mpirun -n 2 --oversubscribe --bind-to none
//! --allow-run-as-root` on this very test binary, running one `#[ignore]`d child test
//! (`child_*`) with `CHUNKFLOW_MPI_CHILD=1` set; the children do the MPI work on both ranks and assert on
//! their results. The parent waits with a timeout (so a hang fails the test instead of
//! blocking CI), then checks the exit status and that both ranks printed their `ok` line.
#![cfg(feature = "mpi")]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chunkflow::distributed::Mpi;
use chunkflow::graph::{Key, Task, TaskGraph};
use chunkflow::{Array, Bag, Error, Options, compute_with, random};
use ndarray::ArrayD;

const CHILD: &str = "CHUNKFLOW_MPI_CHILD";

/// A directory shared by the two ranks of one child test, removed afterwards.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("chunkflow-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs child test `name` on 2 ranks; returns its combined output after checking that it
/// exited successfully within the time limit and that both ranks reported `ok`.
fn mpirun(name: &str) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let tmp = TempDir::new(name);
    let mut child = Command::new("mpirun")
        .args(["-n", "2", "--oversubscribe", "--bind-to", "none"])
        .arg("--allow-run-as-root")
        .arg(exe)
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("CHUNKFLOW_MPI_TMP", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpirun is installed (Debian: openmpi-bin)");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for mpirun") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} hung: killed mpirun after 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.success(), "{name} failed ({status}):\n{out}");
    for rank in 0..2 {
        assert!(
            out.contains(&format!("rank {rank} ok")),
            "rank {rank} did not finish {name}:\n{out}"
        );
    }
    out
}

/// The MPI scheduler, or `None` outside `mpirun` (when `--ignored` runs the children
/// directly, they do nothing).
fn mpi() -> Option<Mpi> {
    std::env::var_os(CHILD)?;
    let mpi = Mpi::new(2).expect("MPI starts");
    assert_eq!(mpi.size(), 2, "the children run on 2 ranks");
    Some(mpi)
}

fn bits<T: Copy>(a: &ArrayD<T>, f: impl Fn(T) -> u64) -> Vec<u64> {
    a.iter().map(|&x| f(x)).collect()
}

fn f64_bits(a: &ArrayD<f64>) -> (Vec<usize>, Vec<u64>) {
    (a.shape().to_vec(), bits(a, f64::to_bits))
}

#[test]
fn arrays_match_threaded_bit_for_bit() {
    mpirun("child_arrays");
}

#[test]
#[ignore = "runs under mpirun, started by arrays_match_threaded_bit_for_bit"]
fn child_arrays() {
    let Some(mpi) = mpi() else { return };
    let dist = Options::default().scheduler(mpi.clone());
    let threaded = Options::default().threads(2).unwrap();

    // pi: an exact count.
    let x = random::uniform(-1.0, 1.0, &[1_000_000], 100_000, 1).unwrap();
    let y = random::uniform(-1.0, 1.0, &[1_000_000], 100_000, 2).unwrap();
    let inside = (&x * &x + &y * &y).lt(1.0).sum();
    assert_eq!(
        inside.scalar_with(&dist).unwrap(),
        inside.scalar_with(&threaded).unwrap()
    );

    // dist: a float reduction with a fused pre and post program, over a deep tree.
    let a = random::normal(0.0, 1.0, &[2_000_000], 50_000, 3).unwrap();
    let b = random::normal(0.0, 1.0, &[2_000_000], 50_000, 4).unwrap();
    let d = (&a - &b).powi(2).sum().sqrt();
    assert_eq!(
        d.scalar_with(&dist).unwrap().to_bits(),
        d.scalar_with(&threaded).unwrap().to_bits()
    );

    // Non-scalar results, several outputs in one run: axis reductions (Welford states),
    // argmin (index states), an elementwise array and a broadcast back (anomaly).
    let m = random::normal(1.0, 2.0, &[300, 200], [70, 45], 5).unwrap();
    let mean0 = m.mean_axis(0).unwrap();
    let std1 = m.std_axis(1, 1).unwrap();
    let argmin0 = m.argmin_axis(0).unwrap();
    let anomaly = (&m - &mean0).powi(2);
    let scaled = &m * 3.0 + 1.0;
    let run = |o: &Options| compute_with((&mean0, &std1, &anomaly, &scaled), o).unwrap();
    let (d0, d1, d2, d3) = run(&dist);
    let (t0, t1, t2, t3) = run(&threaded);
    assert_eq!(f64_bits(&d0), f64_bits(&t0));
    assert_eq!(f64_bits(&d1), f64_bits(&t1));
    assert_eq!(f64_bits(&d2), f64_bits(&t2));
    assert_eq!(f64_bits(&d3), f64_bits(&t3));
    assert_eq!(
        argmin0.compute_with(&dist).unwrap(),
        argmin0.compute_with(&threaded).unwrap()
    );

    // Integers and f32: sums widen, min/max keep the type, var of f32 stays f32.
    let i = Array::<i32>::from_fn(&[1000, 30], [128, 7], |ix| {
        (ix[0] * 31 + ix[1] * 7) as i32 % 97 - 40
    })
    .unwrap();
    let f = i.cast::<f32>() * 0.37_f32;
    let (s_d, mx_d, v_d) = compute_with(
        (
            &i.sum_axis(0).unwrap(),
            &i.max_axis(1).unwrap(),
            &f.var_axis(0, 0).unwrap(),
        ),
        &dist,
    )
    .unwrap();
    let (s_t, mx_t, v_t) = compute_with(
        (
            &i.sum_axis(0).unwrap(),
            &i.max_axis(1).unwrap(),
            &f.var_axis(0, 0).unwrap(),
        ),
        &threaded,
    )
    .unwrap();
    assert_eq!(s_d, s_t);
    assert_eq!(mx_d, mx_t);
    assert_eq!(
        bits(&v_d, |x| x.to_bits() as u64),
        bits(&v_t, |x| x.to_bits() as u64)
    );

    // to_npy: each rank writes its own chunks into the shared file.
    let dir = std::env::var("CHUNKFLOW_MPI_TMP").expect("set by the parent test");
    let path = std::path::Path::new(&dir).join("scaled.npy");
    scaled.to_npy_with(&path, &dist).unwrap();
    let back = Array::<f64>::from_npy(&path, [100, 100]).unwrap();
    assert_eq!(
        f64_bits(&back.compute_with(&threaded).unwrap()),
        f64_bits(&t3)
    );

    // to_zarr likewise (each rank stores the chunks it owns; both write the metadata).
    #[cfg(feature = "zarr")]
    {
        let path = std::path::Path::new(&dir).join("scaled.zarr");
        scaled.to_zarr_with(&path, &dist).unwrap();
        let back = Array::<f64>::from_zarr(&path, [100, 100]).unwrap();
        assert_eq!(
            f64_bits(&back.compute_with(&threaded).unwrap()),
            f64_bits(&t3)
        );
    }

    let traffic = mpi.traffic();
    assert!(traffic.bytes_sent > 0 && traffic.bytes_received > 0);
    println!("rank {} ok (sent {} bytes)", mpi.rank(), traffic.bytes_sent);
}

#[test]
fn bags_match_threaded() {
    mpirun("child_bags");
}

#[test]
#[ignore = "runs under mpirun, started by bags_match_threaded"]
fn child_bags() {
    let Some(mpi) = mpi() else { return };
    let dist = Options::default().scheduler(mpi.clone());
    let threaded = Options::default().threads(2).unwrap();
    let words: Vec<String> = (0..20_000)
        .map(|i| format!("w{}", (i * i + 7 * i) % 613))
        .collect();
    let bag = Bag::from_vec(words, 24).unwrap();

    let mut freq_d = bag.frequencies().compute_with(&dist).unwrap();
    let mut freq_t = bag.frequencies().compute_with(&threaded).unwrap();
    freq_d.sort();
    freq_t.sort();
    assert_eq!(freq_d, freq_t);

    let by_len = bag.foldby(
        |w| w.len() as u64,
        |n, w| n + w.len() as u64,
        0_u64,
        |a, b| a + b,
        0,
    );
    let mut fd = by_len.compute_with(&dist).unwrap();
    let mut ft = by_len.compute_with(&threaded).unwrap();
    fd.sort();
    ft.sort();
    assert_eq!(fd, ft);

    // Word count over lines, through the borrowed flat_map and a top-k.
    let lines = Bag::range(3000, 12)
        .unwrap()
        .map(|i| format!("a{} b{} a{}", i % 13, i % 7, i % 5));
    let counts = lines
        .flat_map_ref(|line, emit| line.split_whitespace().for_each(emit))
        .foldby(|n, _| n + 1, 0_u64, |a, b| a + b, 0);
    let top = counts.topk(5, |(w, n)| (*n, std::cmp::Reverse(w.clone())));
    assert_eq!(
        top.compute_with(&dist).unwrap(),
        top.compute_with(&threaded).unwrap()
    );

    // groupby: a shuffle whose split buckets cross ranks (registered codecs).
    chunkflow::distributed::register_groupby::<u64, u64>();
    let groups = Bag::range(5000, 6).unwrap().groupby(|x| x % 37);
    let norm = |mut g: Vec<(u64, Vec<u64>)>| {
        g.iter_mut().for_each(|(_, v)| v.sort());
        g.sort();
        g
    };
    assert_eq!(
        norm(groups.compute_with(&dist).unwrap()),
        norm(groups.compute_with(&threaded).unwrap())
    );

    // Plain maps and sums cross ranks too.
    let total = Bag::range(100_000, 10).unwrap().map(|x| x * 3).sum();
    assert_eq!(
        total.compute_with(&dist).unwrap(),
        total.compute_with(&threaded).unwrap()
    );
    println!("rank {} ok", mpi.rank());
}

#[test]
fn failures_reach_every_rank_without_a_hang() {
    let out = mpirun("child_failures");
    assert!(out.contains("rank 0 saw"), "{out}");
}

/// Four sources (two per rank), a task that fails on chunk 3 (owned by rank 1), a sum.
fn failing_graph(fail_on: usize, panic: bool) -> (TaskGraph, Key) {
    let mut g = TaskGraph::new();
    let mut parts = Vec::new();
    for i in 0..4 {
        let src = Key::chunk("src", &[i]);
        g.insert(
            src.clone(),
            Task::call(
                chunkflow::graph::FnKernel::new("src", move |_| {
                    Ok(chunkflow::graph::Value::new(i as i64))
                }),
                vec![],
            ),
        )
        .unwrap();
        let key = Key::chunk("check", &[i]);
        g.insert(
            key.clone(),
            Task::try_map1(
                "check",
                move |x: &i64| {
                    if *x as usize == fail_on {
                        if panic {
                            panic!("chunk {x} is cursed");
                        }
                        Err(Error::user(format!("chunk {x} is bad")))
                    } else {
                        Ok(*x)
                    }
                },
                src,
            ),
        )
        .unwrap();
        parts.push(key);
    }
    g.insert(
        "total",
        Task::map_many("sum", |xs: &[&i64]| xs.iter().copied().sum::<i64>(), parts),
    )
    .unwrap();
    (g, Key::new("total"))
}

#[test]
#[ignore = "runs under mpirun, started by failures_reach_every_rank_without_a_hang"]
fn child_failures() {
    let Some(mpi) = mpi() else { return };
    let rank = mpi.rank();

    // An error on rank 1: both ranks return it, naming the task.
    let (g, total) = failing_graph(3, false);
    let err = g.get::<i64>(&mpi, total.clone()).unwrap_err();
    let Error::TaskFailed { key, cause } = &err else {
        panic!("rank {rank}: unexpected {err:?}")
    };
    assert_eq!(key, "(\"check\", 3)", "rank {rank}: {err}");
    if rank == 0 {
        assert!(matches!(**cause, Error::Remote { rank: 1, .. }), "{err}");
        println!("rank 0 saw: {err}");
    }
    assert!(err.to_string().contains("chunk 3 is bad"), "{err}");

    // A panic on rank 0: both ranks return it.
    let (g, _) = failing_graph(0, true);
    let err = g.get::<i64>(&mpi, total.clone()).unwrap_err();
    assert!(
        err.to_string().contains("(\"check\", 0)"),
        "rank {rank}: {err}"
    );
    assert!(
        err.to_string().contains("chunk 0 is cursed"),
        "rank {rank}: {err}"
    );

    // A panic inside an array kernel (map_blocks), on rank 1's half.
    let x = Array::<f64>::from_fn(&[100], 10, |i| i[0] as f64).unwrap();
    let y = x
        .map_blocks(|b| {
            assert!(b[0] < 80.0, "block at {} refused", b[0]);
            b.to_owned()
        })
        .unwrap();
    let err = y
        .sum()
        .scalar_with(&Options::default().scheduler(mpi.clone()));
    let err = err.unwrap_err().to_string();
    // Blocks 80 and 90 both refuse (both on rank 1); whichever fails first is reported.
    assert!(
        err.contains("map_blocks") && (err.contains("block at 80") || err.contains("block at 90")),
        "rank {rank}: {err}"
    );

    // A value whose type has no codec must cross ranks: an error naming the type and key.
    #[derive(Clone)]
    struct Opaque(#[allow(dead_code)] i64);
    let mut g = TaskGraph::new();
    for i in 0..2 {
        g.insert(
            Key::chunk("opaque", &[i]),
            Task::call(
                chunkflow::graph::FnKernel::new("make", move |_| {
                    Ok(chunkflow::graph::Value::new(Opaque(i as i64)))
                }),
                vec![],
            ),
        )
        .unwrap();
    }
    g.insert(
        "n",
        Task::map_many(
            "count",
            |xs: &[&Opaque]| xs.len() as i64,
            [Key::chunk("opaque", &[0]), Key::chunk("opaque", &[1])],
        ),
    )
    .unwrap();
    let err = g.get::<i64>(&mpi, "n").unwrap_err().to_string();
    assert!(err.contains("(\"opaque\", 1)"), "rank {rank}: {err}");
    if rank == 1 {
        assert!(err.contains("Opaque"), "rank {rank}: {err}");
    }

    // A final output that only its sender can encode: the receiver fails to decode it
    // after the sender's run is complete; the end-of-run check still fails both.
    #[derive(Clone)]
    struct Marker(u64);
    impl chunkflow::distributed::Wire for Marker {
        fn encode(&self, out: &mut Vec<u8>) {
            self.0.encode(out)
        }
        fn decode(input: &mut chunkflow::distributed::Reader<'_>) -> chunkflow::Result<Self> {
            u64::decode(input).map(Marker)
        }
    }
    if rank == 1 {
        chunkflow::distributed::register::<Marker>();
    }
    let mut g = TaskGraph::new();
    let only = Key::chunk("marker", &[1]); // a grid of 2, position 1: rank 1's
    g.insert(
        only.clone(),
        Task::call(
            chunkflow::graph::FnKernel::new("marker", |_| {
                Ok(chunkflow::graph::Value::new(Marker(7)))
            }),
            vec![],
        ),
    )
    .unwrap();
    let err = g.compute(&mpi, std::slice::from_ref(&only)).unwrap_err();
    assert!(
        err.to_string().contains("(\"marker\", 1)"),
        "rank {rank}: {err}"
    );
    println!("rank {rank} marker: {err}");

    // Ranks that build different graphs are told so, and nothing runs.
    let mut g = TaskGraph::new();
    g.literal(format!("only-on-rank-{rank}"), 1_i64).unwrap();
    let err = g
        .get::<i64>(&mpi, format!("only-on-rank-{rank}"))
        .unwrap_err();
    assert!(matches!(err, Error::Distributed(_)), "rank {rank}: {err}");

    // The scheduler is still usable afterwards.
    let (g, total) = failing_graph(99, false);
    assert_eq!(g.get::<i64>(&mpi, total).unwrap(), 6);
    println!("rank {rank} ok");
}
