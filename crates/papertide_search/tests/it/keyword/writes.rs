//! Writing the keyword index: upserts replace, rollbacks discard, the commit cursor survives a
//! reopen, one writer at a time, and an index with a foreign schema is refused. Small
//! throwaway indexes (in RAM or a temp dir), independent of the shared corpus index.

use chrono::{TimeZone, Utc};
use papertide_core::{Paper, Source};
use papertide_search::keyword::{Filters, KeywordIndex, KeywordQuery};
use papertide_search::SearchError;

fn small(id: &str, title: &str) -> Paper {
    let mut p = Paper::new(id.parse().unwrap(), title, Source::Local);
    p.abstract_text = format!("About {title}.");
    p.published = Some(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap());
    p
}

fn ids(index: &KeywordIndex, text: &str) -> Vec<String> {
    index.search(&KeywordQuery::new(text, 10)).unwrap().into_iter().map(|h| h.id.to_string()).collect()
}

#[test]
fn upserting_a_new_version_replaces_the_old() {
    let index = KeywordIndex::in_ram().unwrap();
    let mut w = index.writer(20_000_000).unwrap();
    w.upsert(7, &small("2401.01234", "Alpha quantum widgets")).unwrap();
    w.upsert(8, &small("2401.05678", "Gamma widgets")).unwrap();
    w.commit(1).unwrap();
    assert_eq!(ids(&index, "alpha "), ["2401.01234"]);
    w.upsert(7, &small("2401.01234", "Beta quantum widgets")).unwrap();
    w.upsert(7, &small("2401.01234", "Beta quantum widgets v3")).unwrap();
    w.commit(2).unwrap();
    assert_eq!(index.num_docs(), 2);
    assert!(ids(&index, "alpha ").is_empty());
    assert_eq!(ids(&index, "beta "), ["2401.01234"]);
    assert_eq!(ids(&index, "quantum widgets ").len(), 2, "no duplicate hits");
    w.delete(&"2401.05678".parse().unwrap());
    w.upsert(9, &small("2401.09999", "Uncommitted widgets")).unwrap();
    w.rollback().unwrap();
    assert_eq!(index.num_docs(), 2, "rolled back");
    w.delete(&"2401.05678".parse().unwrap());
    w.commit(3).unwrap();
    assert_eq!(ids(&index, "widgets "), ["2401.01234"]);
    assert_eq!(index.lookup_id("2401.01234").unwrap().map(|h| h.key), Some(7));
    assert!(matches!(index.writer(20_000_000), Err(SearchError::KeywordWriterBusy)));
}

#[test]
fn the_cursor_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index").join("keyword");
    {
        let index = KeywordIndex::open(&path).unwrap();
        assert_eq!((index.cursor().unwrap(), index.num_docs()), (0, 0));
        let mut w = index.writer(20_000_000).unwrap();
        w.upsert(1, &small("2401.00001", "Persistent zebras")).unwrap();
        w.commit(41).unwrap();
        w.upsert(2, &small("2401.00002", "Persistent yaks")).unwrap();
        w.commit(42).unwrap();
        w.upsert(3, &small("2401.00003", "Lost llamas")).unwrap();
        // Dropped without commit: lost, and the cursor stays at 42.
    }
    let index = KeywordIndex::open(&path).unwrap();
    assert_eq!(index.cursor().unwrap(), 42);
    assert_eq!(index.num_docs(), 2);
    assert_eq!(ids(&index, "persistent ").len(), 2);
    assert!(ids(&index, "llamas ").is_empty());
    let since = Filters { since: Some(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()), ..Filters::default() };
    assert_eq!(index.search(&KeywordQuery::new("zebras", 5).with_filters(since)).unwrap().len(), 1);
    index.reload().unwrap();
}

#[test]
fn an_index_with_another_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut schema = tantivy::schema::Schema::builder();
    schema.add_text_field("title", tantivy::schema::TEXT);
    tantivy::Index::create_in_dir(dir.path(), schema.build()).unwrap();
    let err = KeywordIndex::open(dir.path()).unwrap_err();
    assert!(matches!(err, SearchError::KeywordSchemaMismatch { .. }), "{err}");
}

#[test]
fn merging_keeps_documents_deletions_and_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let index = KeywordIndex::open(&dir.path().join("keyword")).unwrap();
    let mut w = index.writer(20_000_000).unwrap();
    for i in 0..5u64 {
        w.upsert(i, &small(&format!("2401.0000{i}"), &format!("Merged widgets number {i}"))).unwrap();
        w.commit(10 + i).unwrap();
    }
    w.delete(&"2401.00003".parse().unwrap());
    w.commit(20).unwrap();
    assert!(index.segment_count() > 1);
    let before = index.segment_count();
    assert_eq!(w.merge_into(1).unwrap(), before);
    assert_eq!(index.segment_count(), 1);
    assert_eq!(index.cursor().unwrap(), 20, "the commit cursor survives the merge");
    assert_eq!(index.num_docs(), 4);
    assert_eq!(ids(&index, "merged widgets ").len(), 4);
    assert!(!ids(&index, "merged widgets ").contains(&"2401.00003".to_string()));
    drop(w);
    assert_eq!(segment_files(&dir.path().join("keyword")), 1, "the merged-away segments' files are removed");
    let reopened = KeywordIndex::open(&dir.path().join("keyword")).unwrap();
    assert_eq!((reopened.segment_count(), reopened.cursor().unwrap(), reopened.num_docs()), (1, 20, 4));
}

/// One segment per search thread: segments of 1–6 papers merged into two of 11 and 10
/// (largest first, each into the lighter group); scores are index-wide, so every hit keeps
/// its score.
#[test]
fn merging_into_two_parts_keeps_every_hit_and_score() {
    let dir = tempfile::tempdir().unwrap();
    let index = KeywordIndex::open(&dir.path().join("keyword")).unwrap();
    let mut w = index.writer(20_000_000).unwrap();
    w.bulk_mode();
    let mut key = 0u64;
    for size in 1..=6u64 {
        for _ in 0..size {
            key += 1;
            let words = ["graph", "widgets", "kernels"].iter().take(1 + (key % 3) as usize).copied();
            let title = format!("Parallel {} number {key}", words.collect::<Vec<_>>().join(" "));
            w.upsert(key, &small(&format!("2401.{key:05}"), &title)).unwrap();
        }
        w.commit(size).unwrap();
    }
    assert_eq!(index.segment_count(), 6);
    let hits = |index: &KeywordIndex| {
        let q = KeywordQuery { typing: false, ..KeywordQuery::new("parallel graph widgets kernels", 50) };
        let mut hits: Vec<(String, u32)> =
            index.search(&q).unwrap().into_iter().map(|h| (h.id.to_string(), h.score.to_bits())).collect();
        hits.sort();
        hits
    };
    let before = hits(&index);
    assert_eq!(before.len(), 21);
    assert_eq!(w.merge_into(2).unwrap(), 6);
    assert_eq!((index.segment_count(), index.num_docs(), index.cursor().unwrap()), (2, 21, 6));
    assert_eq!(hits(&index), before);
    assert_eq!(segment_files(&dir.path().join("keyword")), 2, "the merged-away segments' files are removed");
    assert_eq!(w.merge_into(4).unwrap(), 2, "already fewer segments than parts: nothing to merge");
    assert_eq!(index.segment_count(), 2);
}

/// How many segments have files in an index directory (one `.idx` postings file each).
fn segment_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().flatten().filter(|e| e.path().extension().is_some_and(|x| x == "idx")).count()
}
