//! Property tests: every bag operation against the same computation on plain iterators and
//! hash maps, over random collections (including empty ones) and partition counts
//! (including more partitions than items), fused and unfused, on both schedulers.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use chunkflow::{Bag, Options};

fn items() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(-30_i64..30, 0..120)
}

fn parts() -> impl Strategy<Value = usize> {
    prop_oneof![1_usize..6, 1_usize..150]
}

/// A 2-worker threaded scheduler or the synchronous one, fusion on.
fn scheduler(threaded: bool) -> Options {
    if threaded {
        Options::new().threads(2).unwrap()
    } else {
        Options::new().synchronous()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn chains_match_iterators(xs in items(), n in parts(), fuse: bool, threaded: bool) {
        let s = scheduler(threaded);
        let b = Bag::from_vec(xs.clone(), n).unwrap();
        prop_assert_eq!(b.compute_with(&s.clone().fuse(fuse)).unwrap(), xs.clone());
        let chain = b
            .map(|x| x * 3 + 1)
            .filter(|x| x % 2 == 0)
            .flat_map(|x| std::iter::repeat_n(x, (x.rem_euclid(3)) as usize))
            .pluck(|x| x)
            .flat_map_with(|x, emit| { emit(x); emit(-x) })
            .map(|x| x / 2);
        let expected: Vec<i64> = xs
            .iter()
            .map(|x| x * 3 + 1)
            .filter(|x| x % 2 == 0)
            .flat_map(|x| std::iter::repeat_n(x, (x.rem_euclid(3)) as usize))
            .flat_map(|x| [x, -x])
            .map(|x| x / 2)
            .collect();
        prop_assert_eq!(chain.compute_with(&s.clone().fuse(fuse)).unwrap(), expected.clone());
        let mp = chain.map_partitions(|p| p.into_iter().rev().collect());
        let got = mp.compute_with(&s.clone().fuse(fuse)).unwrap();
        let mut a = got.clone();
        let mut e = expected.clone();
        a.sort();
        e.sort();
        prop_assert_eq!(a, e);
    }

    #[test]
    fn scalar_aggregations_match(xs in items(), n in parts(), fuse: bool, threaded: bool) {
        let s = scheduler(threaded);
        let o = s.clone().fuse(fuse);
        let b = Bag::from_vec(xs.clone(), n).unwrap().map(|x| x * 2);
        let ys: Vec<i64> = xs.iter().map(|x| x * 2).collect();
        prop_assert_eq!(b.count().compute_with(&o).unwrap(), ys.len() as u64);
        prop_assert_eq!(b.sum().compute_with(&o).unwrap(), ys.iter().sum::<i64>());
        let fold = b.fold(0_i64, |a, x| a.max(x.abs()), |a, b| a.max(b));
        prop_assert_eq!(
            fold.compute_with(&o).unwrap(),
            ys.iter().map(|x| x.abs()).max().unwrap_or(0)
        );
        let red = b.reduction(|p| p.len(), |xs| xs.iter().sum(), 3).unwrap();
        prop_assert_eq!(red.compute_with(&o).unwrap(), ys.len());
        match ys.iter().min() {
            Some(m) => {
                prop_assert_eq!(b.min().compute_with(&o).unwrap(), *m);
                prop_assert_eq!(b.max().compute_with(&o).unwrap(), *ys.iter().max().unwrap());
                let mean = ys.iter().sum::<i64>() as f64 / ys.len() as f64;
                let got = b.mean().compute_with(&o).unwrap();
                prop_assert!((got - mean).abs() <= 1e-9 * (1.0 + mean.abs()));
            }
            None => {
                prop_assert!(b.min().compute_with(&o).is_err());
                prop_assert!(b.max().compute_with(&o).is_err());
                prop_assert!(b.mean().compute_with(&o).is_err());
            }
        }
    }

    #[test]
    fn foldby_and_frequencies_match_hashmaps(
        xs in items(), n in parts(), split_every in 2_usize..6, fuse: bool, threaded: bool,
    ) {
        let s = scheduler(threaded);
        let o = s.clone().fuse(fuse);
        let b = Bag::from_vec(xs.clone(), n).unwrap().filter(|x| *x != 0);
        let ys: Vec<i64> = xs.iter().copied().filter(|x| *x != 0).collect();
        let mut expected: HashMap<i64, (i64, usize)> = HashMap::new();
        for y in &ys {
            let e = expected.entry(y.rem_euclid(7)).or_default();
            e.0 += y;
            e.1 += 1;
        }
        let fb = b
            .foldby_split_every(
                split_every,
                |x| x.rem_euclid(7),
                |(s, c), x| (s + x, c + 1),
                (0_i64, 0_usize),
                |(s, c), (t, d)| (s + t, c + d),
                (0, 0),
            )
            .unwrap();
        let got: Vec<(i64, (i64, usize))> = fb.compute_with(&o).unwrap();
        prop_assert_eq!(got.len(), expected.len(), "keys are unique");
        prop_assert_eq!(got.into_iter().collect::<HashMap<_, _>>(), expected);

        let mut freq: HashMap<i64, u64> = HashMap::new();
        for y in &ys {
            *freq.entry(*y).or_default() += 1;
        }
        let got = b.frequencies().compute_with(&o).unwrap();
        prop_assert_eq!(got.len(), freq.len());
        prop_assert_eq!(got.into_iter().collect::<HashMap<_, _>>(), freq);
    }

    #[test]
    fn groupby_matches_a_hashmap_of_vecs(
        xs in items(), n in parts(), nout in 1_usize..9, fuse: bool, threaded: bool,
    ) {
        let s = scheduler(threaded);
        let b = Bag::from_vec(xs.clone(), n).unwrap().map(|x| x + 1);
        let mut expected: HashMap<i64, Vec<i64>> = HashMap::new();
        for x in &xs {
            expected.entry((x + 1).rem_euclid(5)).or_default().push(x + 1);
        }
        let g = b.groupby_npartitions(nout, |x| x.rem_euclid(5)).unwrap();
        prop_assert_eq!(g.npartitions(), nout);
        let got = g.compute_with(&s.clone().fuse(fuse)).unwrap();
        prop_assert_eq!(got.len(), expected.len(), "each key in one group");
        prop_assert_eq!(got.into_iter().collect::<HashMap<_, _>>(), expected);
        let default = b.groupby(|x| x.rem_euclid(5));
        prop_assert_eq!(default.npartitions(), n);
    }

    #[test]
    fn selections_match(
        xs in items(), n in parts(), k in 0_usize..15, m in 1_usize..12, fuse: bool, threaded: bool,
    ) {
        let s = scheduler(threaded);
        let o = s.clone().fuse(fuse);
        let b = Bag::from_vec(xs.clone(), n).unwrap().map(|x| x - 1);
        let ys: Vec<i64> = xs.iter().map(|x| x - 1).collect();

        prop_assert_eq!(b.take_with(k, &s).unwrap(), ys[..k.min(ys.len())].to_vec());

        let d = b.distinct().compute_with(&o).unwrap();
        prop_assert_eq!(d.len(), ys.iter().collect::<HashSet<_>>().len());
        prop_assert_eq!(d.into_iter().collect::<HashSet<_>>(), ys.iter().copied().collect::<HashSet<_>>());

        // topk by |x|: a stable sort descending gives the same ties (earlier first).
        let mut sorted: Vec<(usize, i64)> = ys.iter().copied().enumerate().collect();
        sorted.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        let expected: Vec<i64> = sorted.into_iter().take(k).map(|(_, y)| y).collect();
        prop_assert_eq!(b.topk(k, |x| x.abs()).compute_with(&o).unwrap(), expected);

        let r = b.repartition(m).unwrap();
        prop_assert_eq!(r.npartitions(), m);
        prop_assert_eq!(r.compute_with(&o).unwrap(), ys.clone());
    }

    #[test]
    fn borrowed_word_folds_match(
        lines in prop::collection::vec("[abc ]{0,12}", 0..40), n in parts(), threaded: bool,
    ) {
        let s = scheduler(threaded);
        let mut expected: HashMap<String, u64> = HashMap::new();
        for l in &lines {
            for w in l.split_whitespace() {
                *expected.entry(w.to_string()).or_default() += 1;
            }
        }
        let words = Bag::from_vec(lines.clone(), n)
            .unwrap()
            .flat_map_ref(|l, emit| l.split_whitespace().for_each(emit));
        let f = words.frequencies().compute_with(&s).unwrap();
        prop_assert_eq!(f.into_iter().collect::<HashMap<_, _>>(), expected.clone());
        let fb = words.foldby(|c, _| c + 1, 0_u64, |a, b| a + b, 0).compute_with(&s).unwrap();
        prop_assert_eq!(fb.into_iter().collect::<HashMap<_, _>>(), expected);
        let owned = words.to_owned().compute_with(&s).unwrap();
        let flat: Vec<String> = lines.iter().flat_map(|l| l.split_whitespace().map(String::from)).collect();
        prop_assert_eq!(owned, flat);
    }
}
