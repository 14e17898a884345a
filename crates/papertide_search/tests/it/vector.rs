//! Vector index tests: exact search against a brute-force reference, HNSW recall on random
//! and clustered data, filters, upsert/remove, persistence and corruption, AutoIndex.
//!
//! The 50k-vector recall test is `#[ignore]`d (slow in debug builds); run it with
//! `cargo test -p papertide_search --release --test it vector -- --ignored --nocapture`.

// `u64::is_multiple_of` needs Rust 1.87; the workspace supports 1.85.
#![allow(unknown_lints, clippy::manual_is_multiple_of)]

use std::collections::HashSet;
use std::time::Instant;

use papertide_search::vector::persist::IndexKind;
use papertide_search::vector::rng::SplitMix64;
use papertide_search::vector::{AutoIndex, AutoIndexConfig, ExactIndex, HnswIndex, HnswParams, VectorIndex};
use papertide_search::SearchError;

pub(crate) const DIM: usize = 384;

/// Deterministic test data: the library's SplitMix64 + Box-Muller.
struct Gen(SplitMix64);

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen(SplitMix64::new(seed))
    }
    fn uniform(&mut self) -> f64 {
        self.0.next_open01()
    }
    fn unit(&mut self, dim: usize) -> Vec<f32> {
        normalize((0..dim).map(|_| self.0.gaussian()).collect())
    }
}

fn normalize(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// `n` random unit vectors (uniform on the sphere: the hardest case for HNSW).
fn random_data(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut g = Gen::new(seed);
    (0..n).map(|_| g.unit(DIM)).collect()
}

/// `n` unit vectors in gaussian clusters around random centres, with per-cluster spread,
/// roughly like sentence embeddings (cosine to the centre about 0.6 to 0.85).
pub(crate) fn clustered_data(n: usize, clusters: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut g = Gen::new(seed);
    let centres: Vec<(Vec<f32>, f32)> =
        (0..clusters).map(|_| (g.unit(DIM), (0.6 + 0.6 * g.uniform() as f32) / (DIM as f32).sqrt())).collect();
    (0..n)
        .map(|_| {
            let (c, s) = &centres[(g.0.next_u64() % clusters as u64) as usize];
            normalize(c.iter().map(|x| x + s * g.0.gaussian()).collect())
        })
        .collect()
}

/// Queries near the data: perturbed data points (like a paper's own abstract rephrased).
pub(crate) fn queries_near(data: &[Vec<f32>], n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut g = Gen::new(seed);
    (0..n)
        .map(|_| {
            let v = &data[(g.0.next_u64() % data.len() as u64) as usize];
            normalize(v.iter().map(|x| x + 0.5 / (DIM as f32).sqrt() * g.0.gaussian()).collect())
        })
        .collect()
}

/// Brute-force top-k in f64: `(key, score)`, best first, ties by key.
fn reference(data: &[(u64, Vec<f32>)], q: &[f32], k: usize, filter: impl Fn(u64) -> bool) -> Vec<(u64, f64)> {
    let mut all: Vec<(u64, f64)> = data
        .iter()
        .filter(|(key, _)| filter(*key))
        .map(|(key, v)| (*key, v.iter().zip(q).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum()))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

/// Asserts `got` is a correct top-k: same length, scores match the reference rank by rank
/// (keys may differ only where scores tie within float error).
fn assert_exact(got: &[(u64, f32)], want: &[(u64, f64)]) {
    assert_eq!(got.len(), want.len(), "result length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((f64::from(g.1) - w.1).abs() < 1e-5, "rank {i}: score {} vs {}", g.1, w.1);
        assert!(g.0 == w.0 || (f64::from(g.1) - w.1).abs() < 1e-5, "rank {i}: key {} vs {}", g.0, w.0);
    }
}

pub(crate) fn keyed(data: Vec<Vec<f32>>) -> Vec<(u64, Vec<f32>)> {
    data.into_iter().enumerate().map(|(i, v)| (i as u64 * 7 + 3, v)).collect()
}

pub(crate) fn flat(data: &[(u64, Vec<f32>)]) -> (Vec<u64>, Vec<f32>) {
    (data.iter().map(|d| d.0).collect(), data.iter().flat_map(|d| d.1.iter().copied()).collect())
}

pub(crate) fn exact_of(data: &[(u64, Vec<f32>)]) -> ExactIndex {
    let mut e = ExactIndex::new(DIM).unwrap();
    for (k, v) in data {
        e.upsert(*k, v).unwrap();
    }
    e
}

/// Mean recall@k of `index` against exact search, and mean query time in microseconds.
pub(crate) fn recall(index: &dyn VectorIndex, exact: &ExactIndex, queries: &[Vec<f32>], k: usize) -> (f64, f64) {
    let (mut hits, mut micros) = (0usize, 0f64);
    for q in queries {
        let truth: HashSet<u64> = exact.search(q, k, None).unwrap().into_iter().map(|r| r.0).collect();
        let t = Instant::now();
        let got = index.search(q, k, None).unwrap();
        micros += t.elapsed().as_secs_f64() * 1e6;
        hits += got.iter().filter(|r| truth.contains(&r.0)).count();
    }
    (hits as f64 / (k * queries.len()) as f64, micros / queries.len() as f64)
}

#[test]
fn exact_returns_true_top_k_with_filters() {
    for (name, data) in [("random", random_data(1500, 1)), ("clustered", clustered_data(1500, 30, 2))] {
        let data = keyed(data);
        let index = exact_of(&data);
        let mut queries = queries_near(&data.iter().map(|d| d.1.clone()).collect::<Vec<_>>(), 8, 3);
        queries.extend(random_data(2, 9));
        for q in queries {
            assert_exact(&index.search(&q, 10, None).unwrap(), &reference(&data, &q, 10, |_| true));
            let even = |k: u64| k % 2 == 0;
            let got = index.search(&q, 10, Some(&even)).unwrap();
            assert!(got.iter().all(|r| even(r.0)), "{name}: filter violated");
            assert_exact(&got, &reference(&data, &q, 10, even));
        }
        assert_eq!(index.search(&data[0].1, 0, None).unwrap(), vec![]);
        assert_eq!(index.search(&data[0].1, 5000, None).unwrap().len(), data.len());
    }
}

#[test]
fn exact_upsert_replaces_and_remove_swaps() {
    let data = keyed(random_data(300, 4));
    let mut index = exact_of(&data);
    let fresh = random_data(1, 5).remove(0);
    index.upsert(data[10].0, &fresh).unwrap();
    assert_eq!(index.len(), 300);
    assert_eq!(index.get(data[10].0).unwrap(), fresh);
    assert_eq!(index.search(&fresh, 1, None).unwrap()[0].0, data[10].0);
    for (key, _) in data.iter().step_by(3) {
        assert!(index.remove(*key).unwrap());
        assert!(!index.remove(*key).unwrap());
    }
    assert_eq!(index.len(), 200);
    for (i, (key, v)) in data.iter().enumerate() {
        match (i % 3, index.get(*key)) {
            (0, got) => assert!(got.is_none()),
            (_, got) if i == 10 => assert_eq!(got.unwrap(), fresh),
            (_, got) => assert_eq!(&got.unwrap(), v, "row moved by swap-remove keeps its vector"),
        }
    }
    let q = &data[1].1;
    assert_exact(
        &index.search(q, 10, None).unwrap(),
        &reference(&data, q, 10, |k| k != data[10].0 && (k - 3) / 7 % 3 != 0),
    );
}

#[test]
fn inputs_are_checked() {
    let mut indexes: Vec<Box<dyn VectorIndex>> = vec![
        Box::new(ExactIndex::new(DIM).unwrap()),
        Box::new(HnswIndex::new(DIM, HnswParams::default()).unwrap()),
        Box::new(AutoIndex::new(DIM).unwrap()),
    ];
    let good = random_data(1, 6).remove(0);
    for index in &mut indexes {
        index.upsert(1, &good).unwrap();
        assert!(matches!(
            index.upsert(2, &good[..10]),
            Err(SearchError::DimensionMismatch { expected: DIM, actual: 10 })
        ));
        let mut nan = good.clone();
        nan[5] = f32::NAN;
        assert!(matches!(index.upsert(2, &nan), Err(SearchError::NonFiniteVector { position: 5 })));
        assert!(matches!(index.search(&nan, 3, None), Err(SearchError::NonFiniteVector { .. })));
        assert!(matches!(index.search(&good[1..], 3, None), Err(SearchError::DimensionMismatch { .. })));
        let doubled: Vec<f32> = good.iter().map(|x| x * 2.0).collect();
        assert!(matches!(index.upsert(2, &doubled), Err(SearchError::NotNormalized { .. })));
        assert!(index.search(&doubled, 3, None).is_ok(), "queries need not be unit length");
        assert_eq!(index.len(), 1);
    }
    assert!(ExactIndex::new(0).is_err());
    assert!(HnswIndex::new(DIM, HnswParams { m: 1, ..HnswParams::default() }).is_err());
}

/// Builds HNSW over `data` (bulk for 90%, one upsert at a time for the last 10%) and
/// measures recall@1 and recall@10 against exact search for queries near indexed vectors,
/// with the default `ef_search` and with `ef`s from `more_efs`.
fn measure_recall(name: &str, data: Vec<Vec<f32>>, queries: usize, more_efs: &[usize]) -> Vec<(usize, f64, f64)> {
    let data = keyed(data);
    let exact = exact_of(&data);
    let bulk_n = data.len() * 9 / 10;
    let t = Instant::now();
    let (keys, flat_vecs) = flat(&data[..bulk_n]);
    let mut hnsw = HnswIndex::build(DIM, HnswParams::default(), &keys, &flat_vecs).unwrap();
    let bulk = t.elapsed();
    let t = Instant::now();
    for (k, v) in &data[bulk_n..] {
        hnsw.upsert(*k, v).unwrap();
    }
    let incremental = t.elapsed();
    assert_eq!(hnsw.len(), data.len());
    let qs = queries_near(&data.iter().map(|d| d.1.clone()).collect::<Vec<_>>(), queries, 77);
    let (r_exact, us_exact) = recall(&exact, &exact, &qs, 10);
    assert_eq!(r_exact, 1.0);
    eprintln!(
        "{name}: n={} bulk build {bulk:.2?} + {} upserts {incremental:.2?}; exact {us_exact:.0} us/query",
        data.len(),
        data.len() - bulk_n
    );
    let mut out = Vec::new();
    for ef in std::iter::once(hnsw.params().ef_search).chain(more_efs.iter().copied()) {
        hnsw.set_ef_search(ef);
        let (r1, _) = recall(&hnsw, &exact, &qs, 1);
        let (r10, us) = recall(&hnsw, &exact, &qs, 10);
        eprintln!("{name}: ef_search {ef}: recall@1 {r1:.4}, recall@10 {r10:.4}, {us:.0} us/query");
        out.push((ef, r1, r10));
    }
    out
}

#[test]
fn hnsw_recall_5k_clustered() {
    let r = measure_recall("clustered 5k", clustered_data(5000, 50, 11), 100, &[]);
    assert!(r[0].2 >= 0.98, "recall@10 {} < 0.98 with the default ef_search", r[0].2);
}

/// Uniform random vectors have no neighbourhood structure: apart from the query's source
/// vector, the top 10 are near-ties of noise (cosines about 0.15), so no ANN index reaches
/// recall@10 0.98 on them without nearly exhaustive search (hnswlib with the same
/// parameters measures the same). The test checks the real neighbour is always found with
/// the default ef_search, and that a wide search does reach the true top 10.
#[test]
fn hnsw_recall_2k_random() {
    let r = measure_recall("random 2k", random_data(2000, 12), 50, &[400]);
    assert_eq!(r[0].1, 1.0, "recall@1 with the default ef_search");
    assert!(r[1].2 >= 0.98, "recall@10 {} < 0.98 with ef_search 400", r[1].2);
}

#[test]
#[ignore = "slow in debug builds: run with --release -- --ignored"]
fn hnsw_recall_50k() {
    let r = measure_recall("clustered 50k", clustered_data(50_000, 250, 13), 500, &[32, 64, 128]);
    assert!(r[0].2 >= 0.98, "clustered 50k: recall@10 {} < 0.98 with the default ef_search", r[0].2);
    let r = measure_recall("random 20k", random_data(20_000, 14), 300, &[256, 1024]);
    assert_eq!(r[0].1, 1.0, "random 20k: recall@1 with the default ef_search");
}

#[test]
fn hnsw_filters_upserts_removes_and_compacts() {
    let data = keyed(clustered_data(3000, 30, 21));
    let (keys, vecs) = flat(&data);
    let mut hnsw =
        HnswIndex::build(DIM, HnswParams { max_tombstone_ratio: 0.3, ..HnswParams::default() }, &keys, &vecs).unwrap();
    let qs = queries_near(&data.iter().map(|d| d.1.clone()).collect::<Vec<_>>(), 30, 22);
    // Filters of decreasing selectivity: results obey them and are (nearly) exact.
    for modulus in [2u64, 10, 100, 1000] {
        let filter = |k: u64| (k / 7) % modulus == 0;
        let mut hits = 0;
        let mut total = 0;
        for q in &qs {
            let got = hnsw.search(q, 10, Some(&filter)).unwrap();
            assert!(got.iter().all(|r| filter(r.0)), "filter violated");
            let want = reference(&data, q, 10, filter);
            assert_eq!(got.len(), want.len(), "1/{modulus}: too few results");
            let want: HashSet<u64> = want.iter().map(|w| w.0).collect();
            hits += got.iter().filter(|r| want.contains(&r.0)).count();
            total += want.len();
        }
        let r = hits as f64 / total as f64;
        eprintln!("filter 1/{modulus}: recall@10 {r:.4}");
        assert!(r >= 0.95, "filter 1/{modulus}: recall {r}");
    }
    // Upsert replaces: the new vector is found, the old one is gone.
    let key = data[5].0;
    let fresh = random_data(1, 23).remove(0);
    hnsw.upsert(key, &fresh).unwrap();
    assert_eq!(hnsw.len(), 3000);
    assert_eq!(hnsw.tombstones(), 1);
    assert_eq!(hnsw.get(key).unwrap(), fresh);
    assert_eq!(hnsw.search(&fresh, 1, None).unwrap()[0], (key, hnsw.search(&fresh, 1, None).unwrap()[0].1));
    assert!(hnsw.search(&data[5].1, 10, None).unwrap().iter().all(|r| r.0 != key || r.1 < 0.9));
    hnsw.upsert(key, &fresh).unwrap();
    assert_eq!(hnsw.tombstones(), 1, "identical upsert is a no-op");
    // Removal: removed keys never come back; compaction past 30% tombstones.
    let removed: HashSet<u64> = data.iter().step_by(4).map(|d| d.0).collect();
    for k in &removed {
        assert!(hnsw.remove(*k).unwrap());
        assert!(!hnsw.remove(*k).unwrap());
    }
    assert_eq!(hnsw.len(), 3000 - removed.len());
    assert!(hnsw.tombstones() < 3000 * 3 / 10);
    for q in &qs {
        let got = hnsw.search(q, 10, None).unwrap();
        assert_eq!(got.len(), 10);
        assert!(got.iter().all(|r| !removed.contains(&r.0)));
    }
    for d in data.iter().step_by(2) {
        assert_eq!(hnsw.get(d.0).is_some(), !removed.contains(&d.0));
    }
    let before = hnsw.len();
    for d in data.iter().skip(1).step_by(4).take(400) {
        hnsw.remove(d.0).unwrap();
    }
    assert!(hnsw.tombstones() <= (before as f64 * 0.3) as usize, "compacted: {}", hnsw.tombstones());
    assert_eq!(hnsw.len(), before - 400);
    assert_eq!(hnsw.search(&qs[0], 5000, None).unwrap().len(), hnsw.len(), "k above len returns all live");
}

pub(crate) fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn save_load_round_trips_bit_exactly() {
    let dir = temp();
    let data = keyed(clustered_data(800, 10, 31));
    let (keys, vecs) = flat(&data);
    let mut hnsw = HnswIndex::build(DIM, HnswParams::default(), &keys, &vecs).unwrap();
    hnsw.remove(data[3].0).unwrap();
    let exact = exact_of(&data);
    let (pe, ph) = (dir.path().join("exact.vec"), dir.path().join("hnsw.vec"));
    exact.save(&pe).unwrap();
    hnsw.save(&ph).unwrap();
    let exact2 = ExactIndex::load(&pe).unwrap();
    let mut hnsw2 = HnswIndex::load(&ph).unwrap();
    for (k, v) in &data {
        assert_eq!(
            exact2.get(*k).unwrap().iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(hnsw2.get(*k), hnsw.get(*k));
    }
    assert_eq!((hnsw2.len(), hnsw2.tombstones(), hnsw2.params()), (hnsw.len(), hnsw.tombstones(), hnsw.params()));
    for q in queries_near(&data.iter().map(|d| d.1.clone()).collect::<Vec<_>>(), 20, 32) {
        assert_eq!(exact2.search(&q, 10, None).unwrap(), exact.search(&q, 10, None).unwrap());
        assert_eq!(hnsw2.search(&q, 10, None).unwrap(), hnsw.search(&q, 10, None).unwrap());
    }
    // Saving the loaded index again gives the same bytes.
    let (pe2, ph2) = (dir.path().join("exact2.vec"), dir.path().join("hnsw2.vec"));
    exact2.save(&pe2).unwrap();
    hnsw2.save(&ph2).unwrap();
    assert_eq!(std::fs::read(&pe).unwrap(), std::fs::read(&pe2).unwrap());
    assert_eq!(std::fs::read(&ph).unwrap(), std::fs::read(&ph2).unwrap());
    // Loaded indexes keep working, and draw the same levels as the original would.
    let extra = random_data(1, 33).remove(0);
    hnsw.upsert(1, &extra).unwrap();
    hnsw2.upsert(1, &extra).unwrap();
    hnsw.save(&ph).unwrap();
    hnsw2.save(&ph2).unwrap();
    assert_eq!(std::fs::read(&ph).unwrap(), std::fs::read(&ph2).unwrap());
    assert!(!dir.path().read_dir().unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains(".tmp")));
}

#[test]
fn truncated_or_corrupt_files_are_errors() {
    let dir = temp();
    let data = keyed(random_data(50, 41));
    let (keys, vecs) = flat(&data);
    let hnsw = HnswIndex::build(DIM, HnswParams::default(), &keys, &vecs).unwrap();
    let (pe, ph) = (dir.path().join("e.vec"), dir.path().join("h.vec"));
    exact_of(&data).save(&pe).unwrap();
    hnsw.save(&ph).unwrap();
    let bad = dir.path().join("bad.vec");
    for (path, is_hnsw) in [(&pe, false), (&ph, true)] {
        let bytes = std::fs::read(path).unwrap();
        let load = |b: &[u8]| -> Result<(), SearchError> {
            std::fs::write(&bad, b).unwrap();
            AutoIndex::load(&bad)?;
            if is_hnsw {
                HnswIndex::load(&bad).map(|_| ())
            } else {
                ExactIndex::load(&bad).map(|_| ())
            }
        };
        assert!(load(&bytes).is_ok());
        let mut cases: Vec<(String, Vec<u8>)> = vec![("empty".into(), vec![])];
        for cut in [1, 4, 100, bytes.len() / 2, bytes.len() - 41, bytes.len() - 1] {
            cases.push((format!("truncated to {cut}"), bytes[..cut].to_vec()));
        }
        cases.push(("trailing byte".into(), [&bytes[..], &[0]].concat()));
        for pos in [0, 9, 13, 17, 21, 26, 33, 45, 60, 200, bytes.len() / 2, bytes.len() - 2] {
            let mut b = bytes.clone();
            b[pos] ^= 0x55;
            cases.push((format!("byte {pos} flipped"), b));
        }
        for (what, b) in cases {
            match load(&b) {
                Err(SearchError::CorruptIndex { reason, .. }) => assert!(!reason.is_empty()),
                other => panic!("{what}: expected CorruptIndex, got {other:?}"),
            }
        }
    }
    assert!(matches!(HnswIndex::load(&pe), Err(SearchError::CorruptIndex { .. })), "wrong kind");
    assert!(matches!(ExactIndex::load(&dir.path().join("missing")), Err(SearchError::Io { .. })));
}

#[test]
fn auto_index_switches_past_threshold_and_keeps_results() {
    let dir = temp();
    let data = keyed(clustered_data(1200, 20, 51));
    let config = AutoIndexConfig { threshold: 1000, ..AutoIndexConfig::default() };
    let mut auto = AutoIndex::with_config(DIM, config.clone()).unwrap();
    let (keys, vecs) = flat(&data[..900]);
    auto.upsert_batch(&keys, &vecs).unwrap();
    for (k, v) in &data[900..1000] {
        auto.upsert(*k, v).unwrap();
    }
    assert_eq!(auto.kind(), IndexKind::Exact);
    let qs = queries_near(&data.iter().map(|d| d.1.clone()).collect::<Vec<_>>(), 30, 52);
    let before: Vec<_> = qs.iter().map(|q| auto.search(q, 10, None).unwrap()).collect();
    auto.save(&dir.path().join("small.vec")).unwrap();
    auto.upsert(data[1000].0, &data[1000].1).unwrap();
    assert_eq!(auto.kind(), IndexKind::Hnsw);
    assert!(auto.as_hnsw().is_some() && auto.as_exact().is_none());
    assert_eq!(auto.len(), 1001);
    for (k, v) in &data[..1001] {
        assert_eq!(&auto.get(*k).unwrap(), v);
    }
    // Results after the switch: compared with exact search over the same 1001 vectors.
    let exact = exact_of(&data[..1001]);
    let (r, _) = recall(&auto, &exact, &qs, 10);
    assert!(r >= 0.98, "recall after switching: {r}");
    let same = qs.iter().zip(&before).filter(|(q, b)| auto.search(q, 10, None).unwrap() == **b).count();
    eprintln!("auto: recall after switch {r:.4}; {same}/{} result lists unchanged", qs.len());
    let (keys, vecs) = flat(&data[1001..]);
    auto.upsert_batch(&keys, &vecs).unwrap();
    assert_eq!(auto.len(), 1200);
    auto.save(&dir.path().join("big.vec")).unwrap();
    let loaded = AutoIndex::load_with(&dir.path().join("big.vec"), config.clone()).unwrap();
    assert_eq!(loaded.kind(), IndexKind::Hnsw);
    assert_eq!(loaded.search(&qs[0], 10, None).unwrap(), auto.search(&qs[0], 10, None).unwrap());
    let small = AutoIndex::load_with(&dir.path().join("small.vec"), config).unwrap();
    assert_eq!((small.kind(), small.len()), (IndexKind::Exact, 1000));
    let lowered = AutoIndexConfig { threshold: 500, ..AutoIndexConfig::default() };
    let switched = AutoIndex::load_with(&dir.path().join("small.vec"), lowered).unwrap();
    assert_eq!((switched.kind(), switched.len()), (IndexKind::Hnsw, 1000), "loading above the threshold converts");
}
