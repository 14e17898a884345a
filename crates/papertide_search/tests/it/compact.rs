//! Compact vectors (f16, int8) in the HNSW index: recall against exact f32 search, saving
//! and loading, re-encoding a saved index, and the file format's element-type checks.

use papertide_search::vector::{AutoIndex, AutoIndexConfig, Element, ExactIndex, HnswIndex, HnswParams, VectorIndex};
use papertide_search::SearchError;

use super::vector::{clustered_data, exact_of, flat, keyed, queries_near, recall, temp, DIM};

fn params(element: Element) -> HnswParams {
    HnswParams { element, ..HnswParams::default() }
}

/// The recall cost of compact vectors is small: each type's graph is built from its own
/// encoded vectors and its recall@10 is measured against exact f32 search.
#[test]
fn compact_indexes_keep_recall_close_to_f32() {
    let data = keyed(clustered_data(2000, 20, 51));
    let (keys, vecs) = flat(&data);
    let exact = exact_of(&data);
    let qs = queries_near(&data.iter().map(|d| d.1.clone()).collect::<Vec<_>>(), 100, 52);
    let mut recalls = Vec::new();
    for element in [Element::F32, Element::F16, Element::Int8] {
        let hnsw = HnswIndex::build(DIM, params(element), &keys, &vecs).unwrap();
        assert_eq!(hnsw.element(), element);
        let (r10, _) = recall(&hnsw, &exact, &qs, 10);
        eprintln!("{element}: recall@10 {r10:.4}, memory {} bytes", hnsw.memory_bytes());
        recalls.push((r10, hnsw.memory_bytes()));
        // Scores are cosines of the decoded vectors: close to the exact ones.
        for q in qs.iter().take(10) {
            for (key, score) in hnsw.search(q, 10, None).unwrap() {
                let v = &data.iter().find(|d| d.0 == key).unwrap().1;
                let truth: f32 = v.iter().zip(q).map(|(a, b)| a * b).sum();
                assert!((score - truth).abs() < 0.02, "{element}: score {score} vs {truth}");
            }
        }
    }
    let (f32_recall, f32_mem) = recalls[0];
    assert!(f32_recall >= 0.98, "f32 recall@10 {f32_recall}");
    assert!(recalls[1].0 >= f32_recall - 0.01, "f16 recall@10 {} vs f32 {f32_recall}", recalls[1].0);
    assert!(recalls[2].0 >= f32_recall - 0.03, "int8 recall@10 {} vs f32 {f32_recall}", recalls[2].0);
    // Vector storage shrinks by 768 (f16) and 1,148 (int8) bytes per vector at 384 dims.
    assert!(recalls[1].1 + 700 * data.len() <= f32_mem, "f16 memory {} vs f32 {f32_mem}", recalls[1].1);
    assert!(recalls[2].1 + 1100 * data.len() <= f32_mem, "int8 memory {} vs f32 {f32_mem}", recalls[2].1);
}

#[test]
fn compact_indexes_save_load_compact_and_reencode() {
    let dir = temp();
    let data = keyed(clustered_data(900, 12, 61));
    let (keys, vecs) = flat(&data);
    let qs = queries_near(&data.iter().map(|d| d.1.clone()).collect::<Vec<_>>(), 20, 62);
    let f32_path = dir.path().join("f32.vec");
    HnswIndex::build(DIM, params(Element::F32), &keys, &vecs).unwrap().save(&f32_path).unwrap();
    let f32_len = std::fs::metadata(&f32_path).unwrap().len();
    for (element, saved_per_vector) in [(Element::F16, 768), (Element::Int8, 1536 - 388)] {
        let mut hnsw = HnswIndex::build(DIM, params(element), &keys, &vecs).unwrap();
        let path = dir.path().join(format!("{element}.vec"));
        hnsw.save(&path).unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(f32_len - len, saved_per_vector * data.len() as u64, "{element}: file {len} vs f32 {f32_len}");

        // Loading gives back the same index, bit for bit.
        let loaded = HnswIndex::load(&path).unwrap();
        assert_eq!((loaded.element(), loaded.params()), (element, hnsw.params()));
        for q in &qs {
            assert_eq!(loaded.search(q, 10, None).unwrap(), hnsw.search(q, 10, None).unwrap());
        }
        let again = dir.path().join("again.vec");
        loaded.save(&again).unwrap();
        assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&path).unwrap());

        // The stored vector decodes close to the original; upserting it again is a no-op.
        let (k0, v0) = &data[0];
        let got = hnsw.get(*k0).unwrap();
        assert!(got.iter().zip(v0).all(|(a, b)| (a - b).abs() < 0.01), "{element}: decoded vector");
        hnsw.upsert(*k0, v0).unwrap();
        assert_eq!(hnsw.tombstones(), 0, "{element}: re-upserting the same vector");

        // Compaction copies the encoded rows: same element, same live vectors.
        for (k, _) in data.iter().take(300) {
            hnsw.remove(*k).unwrap();
        }
        hnsw.compact().unwrap();
        assert_eq!((hnsw.tombstones(), hnsw.len(), hnsw.element()), (0, 600, element), "compacted");
        assert_eq!(hnsw.get(data[500].0), loaded.get(data[500].0));

        // A configuration asking for another type re-encodes the saved index as it loads.
        let config = AutoIndexConfig { threshold: 100, hnsw: params(Element::F32) };
        let auto = AutoIndex::load_with(&path, config).unwrap();
        assert_eq!(auto.len(), data.len());
        let path32 = dir.path().join("reencoded.vec");
        auto.save(&path32).unwrap();
        let reencoded = HnswIndex::load(&path32).unwrap();
        assert_eq!(reencoded.element(), Element::F32);
        assert_eq!(std::fs::metadata(&path32).unwrap().len(), f32_len);
        for q in &qs {
            let (a, b) = (reencoded.search(q, 1, None).unwrap(), loaded.search(q, 1, None).unwrap());
            assert_eq!(a[0].0, b[0].0, "{element}: same nearest neighbour after re-encoding");
        }
    }
}

/// An exact index switching to HNSW encodes its vectors as configured.
#[test]
fn auto_index_switches_to_the_configured_element() {
    let data = keyed(clustered_data(300, 6, 71));
    let config = AutoIndexConfig { threshold: 200, hnsw: params(Element::Int8) };
    let mut auto = AutoIndex::with_config(DIM, config).unwrap();
    for (k, v) in &data {
        auto.upsert(*k, v).unwrap();
    }
    let dir = temp();
    let path = dir.path().join("auto.vec");
    auto.save(&path).unwrap();
    assert_eq!(HnswIndex::load(&path).unwrap().element(), Element::Int8);
    let exact = exact_of(&data);
    let qs = queries_near(&data.iter().map(|d| d.1.clone()).collect::<Vec<_>>(), 20, 72);
    assert!(recall(&auto, &exact, &qs, 10).0 >= 0.95);
}

/// Regression: element codes are checked; an exact index is always f32.
#[test]
fn unknown_or_misplaced_element_types_are_corrupt() {
    let dir = temp();
    let data = keyed(clustered_data(50, 2, 81));
    let exact_path = dir.path().join("e.vec");
    exact_of(&data).save(&exact_path).unwrap();
    let bytes = std::fs::read(&exact_path).unwrap();
    let bad = dir.path().join("bad.vec");
    for (code, wanted) in [(3u8, "unknown element type 3"), (2, "an exact index stores f32, not int8")] {
        let mut b = bytes.clone();
        b[16] = code;
        std::fs::write(&bad, &b).unwrap();
        match ExactIndex::load(&bad) {
            Err(SearchError::CorruptIndex { reason, .. }) => assert!(reason.contains(wanted), "{reason}"),
            other => panic!("element {code}: expected CorruptIndex, got {:?}", other.map(|e| e.len())),
        }
    }
    assert_eq!("INT8".parse::<Element>(), Ok(Element::Int8));
    assert!("bf16".parse::<Element>().unwrap_err().contains("expected f32, f16 or int8"));
}
