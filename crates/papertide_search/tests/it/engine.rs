//! The search engine over a real store and the real model: modes, fallback without the model,
//! similar papers, embeddings stored once and reloaded on restart, resumable embedding, and
//! stale vectors after an abstract changes.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use papertide_core::{Paper, PaperId, Source};
use papertide_search::engine::{EngineOptions, Mode, SearchEngine, SearchRequest};
use papertide_search::fusion::Fusion;
use papertide_search::keyword::Filters;
use papertide_store::{SqliteStore, Store};

use crate::common::model_files;

/// (id, title, abstract, category, published day)
const PAPERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "2401.00001",
        "Pedestrian detection for self-driving cars from lidar point clouds",
        "We detect people walking near autonomous vehicles using sparse lidar returns.",
        "cs.CV",
        "2024-01-02",
    ),
    (
        "2401.00002",
        "Protein folding with geometric deep learning",
        "Graph networks predict three-dimensional structures of amino acid chains.",
        "q-bio.BM",
        "2024-01-03",
    ),
    (
        "2401.00003",
        "Kernelized attention with relative positional encoding",
        "Transformers whose attention uses kernel feature maps and relative positions scale linearly.",
        "cs.LG",
        "2024-01-04",
    ),
    (
        "2401.00004",
        "Linear-time transformers via random feature attention",
        "Random features approximate the softmax kernel so attention costs linear time in the sequence length.",
        "cs.LG",
        "2024-02-05",
    ),
    (
        "2401.00005",
        "Dark matter halos in dwarf galaxies",
        "Rotation curves of dwarf galaxies constrain the inner density profile of dark matter.",
        "astro-ph.GA",
        "2024-02-06",
    ),
    (
        "2401.00006",
        "Numerical stability of softmax in low precision",
        "Softmax overflows and collapses in half precision; we analyse when logits saturate.",
        "cs.LG",
        "2024-02-07",
    ),
    (
        "2401.00007",
        "Crop yield forecasting from satellite images",
        "Remote sensing imagery and weather data forecast harvests for farmers.",
        "cs.CV",
        "2024-03-08",
    ),
    (
        "2401.00008",
        "A survey of byzantine fault tolerant consensus",
        "We review agreement protocols that tolerate malicious replicas in distributed systems.",
        "cs.DC",
        "2024-03-09",
    ),
];

fn papers() -> Vec<Paper> {
    PAPERS
        .iter()
        .map(|&(id, title, abs, cat, day)| {
            let mut p = Paper::new(id.parse().unwrap(), title, Source::Local);
            p.abstract_text = abs.to_string();
            p.categories = vec![cat.to_string()];
            p.authors = vec!["Ada Lovelace".to_string()];
            p.published = format!("{day}T00:00:00Z").parse().ok();
            p.version = 1;
            p
        })
        .collect()
}

fn store_in(dir: &Path) -> Arc<SqliteStore> {
    let store = SqliteStore::open_dir(dir).unwrap();
    store.upsert_papers(&papers()).unwrap();
    Arc::new(store)
}

fn open(store: Arc<SqliteStore>, dir: &Path, with_model: bool) -> Option<SearchEngine> {
    let model_dir = if with_model { Some(model_files()?.dir) } else { None };
    let options = EngineOptions {
        data_dir: dir.to_path_buf(),
        model_dir,
        fusion: Fusion::default(),
        vectors: Default::default(),
        keyword_threads: 0,
    };
    let engine = SearchEngine::open(store, &options).unwrap();
    engine.sync(&mut |_| {}).unwrap();
    Some(engine)
}

fn embedded(store: Arc<SqliteStore>, dir: &Path) -> Option<SearchEngine> {
    let engine = open(store, dir, true)?;
    engine.embed_backlog(3, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    Some(engine)
}

fn ids(hits: &[papertide_search::engine::Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.paper.id.as_str()).collect()
}

fn search(engine: &SearchEngine, text: &str, mode: Mode) -> papertide_search::engine::SearchResponse {
    engine.search(&SearchRequest { text: text.into(), mode, limit: 5, ..Default::default() }).unwrap()
}

#[test]
fn without_the_model_search_runs_by_keyword_and_says_how_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let options = EngineOptions {
        data_dir: dir.path().to_path_buf(),
        model_dir: Some(dir.path().join("no-model-here")),
        fusion: Fusion::default(),
        vectors: Default::default(),
        keyword_threads: 0,
    };
    let engine = SearchEngine::open(store_in(dir.path()), &options).unwrap();
    engine.sync(&mut |_| {}).unwrap();
    let r = search(&engine, "dark matter", Mode::Hybrid);
    assert_eq!(r.mode, Mode::Keyword);
    assert_eq!(ids(&r.hits), ["2401.00005"]);
    let notice = r.notice.expect("a notice");
    assert!(notice.contains("papertide model install"), "{notice}");
    let similar = engine.similar(&"2401.00003".parse().unwrap(), Mode::Hybrid, 3, &Filters::default()).unwrap();
    assert_eq!(similar.mode, Mode::Keyword);
    assert!(!ids(&similar.hits).contains(&"2401.00003"));
}

#[test]
fn papers_are_searchable_by_keyword_before_they_are_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = open(store_in(dir.path()), dir.path(), true) else { return };
    assert_eq!(engine.embedding_backlog().unwrap(), PAPERS.len() as u64);
    let r = search(&engine, "byzantine consensus", Mode::Keyword);
    assert_eq!(ids(&r.hits), ["2401.00008"]);
}

#[test]
fn semantic_and_hybrid_find_papers_by_meaning() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = embedded(store_in(dir.path()), dir.path()) else { return };
    // No word in common with the paper's text, even after stemming.
    let query = "robotaxis noticing humans crossing streets";
    let keyword = search(&engine, query, Mode::Keyword);
    assert!(!ids(&keyword.hits).contains(&"2401.00001"), "{:?}", ids(&keyword.hits));
    for mode in [Mode::Semantic, Mode::Hybrid] {
        let r = search(&engine, query, mode);
        assert_eq!(r.mode, mode);
        assert_eq!(r.notice, None);
        assert_eq!(ids(&r.hits)[0], "2401.00001", "{mode:?}");
    }
    let r = search(&engine, "why does softmax collapse at the edge of numerical stability", Mode::Hybrid);
    assert_eq!(ids(&r.hits)[0], "2401.00006");
    let scores: Vec<f32> = r.hits.iter().map(|h| h.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
}

#[test]
fn a_fusion_depth_shallower_than_the_page_still_fills_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = embedded(store_in(dir.path()), dir.path()) else { return };
    let query = "kernel attention for transformers";
    let deep = search(&engine, query, Mode::Hybrid);
    let engine = engine.with_fusion_depth(1);
    let shallow = search(&engine, query, Mode::Hybrid);
    assert_eq!(shallow.hits.len(), 5, "{:?}", ids(&shallow.hits));
    assert_eq!(ids(&shallow.hits)[0], ids(&deep.hits)[0]);
}

/// The same hybrid search twice gives the same hits with bit-identical scores; however few
/// keyword candidates it is told to rank from, the page still fills.
#[test]
fn hybrid_search_repeats_itself_and_fills_the_page_from_few_keyword_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = embedded(store_in(dir.path()), dir.path()) else { return };
    let query = "kernel attention for transformers";
    let first = search(&engine, query, Mode::Hybrid);
    let again = search(&engine, query, Mode::Hybrid);
    let scored = |r: &papertide_search::engine::SearchResponse| -> Vec<(u64, u32)> {
        r.hits.iter().map(|h| (h.key, h.score.to_bits())).collect()
    };
    assert_eq!(scored(&first), scored(&again));
    let engine = engine.with_fused_keyword_candidates(1);
    let few = search(&engine, query, Mode::Hybrid);
    assert_eq!(few.hits.len(), first.hits.len(), "{:?}", ids(&few.hits));
}

#[test]
fn semantic_results_obey_filters() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = embedded(store_in(dir.path()), dir.path()) else { return };
    let filters =
        Filters { categories: vec!["cs.LG".into()], since: "2024-02-01T00:00:00Z".parse().ok(), ..Default::default() };
    let req =
        SearchRequest { text: "attention".into(), mode: Mode::Semantic, filters, limit: 10, offset: 0, typing: false };
    let r = engine.search(&req).unwrap();
    let mut got = ids(&r.hits);
    got.sort();
    assert_eq!(got, ["2401.00004", "2401.00006"]);
    // Regression: a year outside tantivy's date range overflowed (panicked in debug builds).
    for (since, until) in [("9999-01-01T00:00:00Z", None), ("0001-01-01T00:00:00Z", Some("0002-01-01T00:00:00Z"))] {
        let filters =
            Filters { since: since.parse().ok(), until: until.and_then(|u| u.parse().ok()), ..Default::default() };
        for mode in [Mode::Keyword, Mode::Semantic, Mode::Hybrid] {
            let req = SearchRequest {
                text: "attention".into(),
                mode,
                filters: filters.clone(),
                limit: 10,
                offset: 0,
                typing: false,
            };
            assert!(engine.search(&req).unwrap().hits.is_empty());
        }
    }
}

#[test]
fn similar_papers_exclude_the_paper_itself() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = embedded(store_in(dir.path()), dir.path()) else { return };
    let id: PaperId = "arXiv:2401.00003v2".parse().unwrap();
    for mode in [Mode::Semantic, Mode::Hybrid, Mode::Keyword] {
        let r = engine.similar(&id, mode, 3, &Filters::default()).unwrap();
        assert_eq!(r.mode, mode);
        let got = ids(&r.hits);
        assert!(!got.contains(&"2401.00003"), "{mode:?}: {got:?}");
        assert_eq!(got[0], "2401.00004", "{mode:?}: the other linear-attention paper");
    }
    let unknown = engine.similar(&"2401.09999".parse().unwrap(), Mode::Hybrid, 3, &Filters::default());
    assert!(unknown.unwrap_err().to_string().contains("2401.09999"));
}

#[test]
fn embeddings_are_stored_once_and_reloaded_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let Some(engine) = embedded(store.clone(), dir.path()) else { return };
    let before = search(&engine, "galaxy rotation", Mode::Semantic);
    drop(engine);
    // A restart: the vector index comes back from its file, nothing is embedded again.
    let engine = open(store.clone(), dir.path(), true).unwrap();
    assert_eq!(engine.embedding_backlog().unwrap(), 0);
    assert_eq!(engine.vector_count(), PAPERS.len());
    assert_eq!(engine.embed_backlog(8, &mut |_| {}, &AtomicBool::new(false)).unwrap(), 0);
    assert_eq!(search(&engine, "galaxy rotation", Mode::Semantic), before);
    drop(engine);
    // A lost index file is rebuilt from the stored embeddings, still without embedding.
    for entry in std::fs::read_dir(dir.path().join("index")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::remove_file(path).unwrap();
        }
    }
    let engine = open(store, dir.path(), true).unwrap();
    assert_eq!(engine.vector_count(), PAPERS.len());
    assert_eq!(search(&engine, "galaxy rotation", Mode::Semantic), before);
}

#[test]
fn embedding_stops_between_batches_and_resumes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let Some(engine) = open(store.clone(), dir.path(), true) else { return };
    let stop = AtomicBool::new(false);
    let first = engine.embed_backlog(1, &mut |_| stop.store(true, Ordering::SeqCst), &stop).unwrap();
    // Stopped after the first stored batch (of one paper): what was embedded by then is still
    // stored -- at most the batch being embedded and the two queued for the writer -- and
    // batches read but not embedded are left for the next run.
    assert!((1..=4).contains(&first), "stopped after 1 to 4 one-paper batches, not {first}");
    assert_eq!(engine.embedding_backlog().unwrap(), PAPERS.len() as u64 - first);
    drop(engine);
    let engine = open(store, dir.path(), true).unwrap();
    let rest = engine.embed_backlog(3, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(first + rest, PAPERS.len() as u64);
    assert_eq!(engine.embedding_backlog().unwrap(), 0);
    assert_eq!(engine.vector_count(), PAPERS.len());
}

#[test]
fn a_changed_abstract_is_embedded_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let Some(engine) = embedded(store.clone(), dir.path()) else { return };
    let mut v2 = papers().remove(6);
    v2.version = 2;
    v2.title = "Volcanic eruptions forecast from seismic tremor".into();
    v2.abstract_text = "Seismometers near volcanoes predict eruptions days ahead.".into();
    store.upsert_papers(&[v2]).unwrap();
    engine.sync(&mut |_| {}).unwrap();
    assert_eq!(engine.embedding_backlog().unwrap(), 1);
    assert_eq!(engine.embed_backlog(8, &mut |_| {}, &AtomicBool::new(false)).unwrap(), 1);
    let r = search(&engine, "predicting volcano eruptions", Mode::Semantic);
    assert_eq!(ids(&r.hits)[0], "2401.00007");
    assert_eq!(r.hits[0].paper.version, 2);
    assert_eq!(engine.vector_count(), PAPERS.len());
}

#[test]
fn recommendations_follow_upvotes_decay_with_age_and_say_why() {
    use papertide_search::engine::recommend::{Feedback, RecommendOptions};
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = embedded(store_in(dir.path()), dir.path()) else { return };
    let store = engine.store().clone();
    let key = |id: &str| store.key_of(&id.parse().unwrap()).unwrap().unwrap();
    let now: chrono::DateTime<chrono::Utc> = "2026-03-05T00:00:00Z".parse().unwrap();
    let options = RecommendOptions::default();
    let none = engine.recommend(&[], &Default::default(), 3, now, &options).unwrap();
    assert!(none.is_empty(), "no upvotes: cold start");

    // Liked: kernelized attention (recent). The other attention paper comes first, with why.
    let attention = Feedback { key: key("2401.00003"), at: now, liked: true };
    let recs = engine.recommend(&[attention], &Default::default(), 3, now, &options).unwrap();
    let first = &recs[0];
    assert_eq!(
        first.hit.paper.id.as_str(),
        "2401.00004",
        "{:?}",
        recs.iter().map(|r| r.hit.paper.id.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(first.because, Some(key("2401.00003")));
    assert!(recs.iter().all(|r| r.hit.paper.id.as_str() != "2401.00003"), "never what was upvoted");

    // An old vote on galaxies counts far less than a fresh one on attention.
    let old_galaxies = Feedback { key: key("2401.00005"), at: now - chrono::Duration::days(720), liked: true };
    let recs = engine.recommend(&[attention, old_galaxies], &Default::default(), 1, now, &options).unwrap();
    assert_eq!(recs[0].hit.paper.id.as_str(), "2401.00004");
    let fresh_galaxies = Feedback { at: now, ..old_galaxies };
    let recs = engine.recommend(&[fresh_galaxies], &Default::default(), 7, now, &options).unwrap();
    assert_eq!(recs[0].because, Some(key("2401.00005")));

    // "Not interested" pushes a direction away.
    let not_softmax = Feedback { key: key("2401.00006"), at: now, liked: false };
    let with = engine.recommend(&[attention, not_softmax], &Default::default(), 7, now, &options).unwrap();
    let rank = |recs: &[papertide_search::engine::recommend::Recommendation], id: &str| {
        recs.iter().position(|r| r.hit.paper.id.as_str() == id)
    };
    assert_eq!(rank(&with, "2401.00006"), None, "a paper marked not interested is never recommended");

    // Within a window (a digest's period): only the window's papers, scored exactly.
    let january = papertide_search::keyword::Filters {
        since: "2024-01-01T00:00:00Z".parse().ok(),
        until: "2024-01-31T23:59:59Z".parse().ok(),
        ..Default::default()
    };
    let windowed = engine.recommend(&[attention], &january, 7, now, &options).unwrap();
    assert_eq!(rank(&windowed, "2401.00004"), None, "published in February");
    assert!(!windowed.is_empty());
    for r in &windowed {
        assert!(january.matches(&r.hit.paper), "{} is outside the window", r.hit.paper.id);
        assert_eq!(r.because, Some(key("2401.00003")));
    }
    let scores: Vec<f32> = windowed.iter().map(|r| r.hit.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
}

#[test]
fn without_the_model_recommendations_come_from_keywords_and_authors() {
    use papertide_search::engine::recommend::{Feedback, RecommendOptions};
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let engine = open(store.clone(), dir.path(), false).unwrap();
    engine.sync(&mut |_| {}).unwrap();
    let key = |id: &str| store.key_of(&id.parse().unwrap()).unwrap().unwrap();
    let now: chrono::DateTime<chrono::Utc> = "2026-03-05T00:00:00Z".parse().unwrap();
    let attention = Feedback { key: key("2401.00003"), at: now, liked: true };
    let recs = engine.recommend(&[attention], &Default::default(), 3, now, &RecommendOptions::default()).unwrap();
    assert_eq!(recs[0].hit.paper.id.as_str(), "2401.00004", "shares `attention`, `kernel`, `linear`");
    assert!(recs.iter().all(|r| r.because.is_none() && r.hit.paper.id.as_str() != "2401.00003"));
    let off = RecommendOptions { keyword: false, ..Default::default() };
    assert!(engine.recommend(&[attention], &Default::default(), 3, now, &off).unwrap().is_empty(), "nothing to go on");
}

#[test]
fn papers_by_liked_authors_are_recommended() {
    use papertide_search::engine::recommend::{Feedback, RecommendOptions};
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut extra = Vec::new();
    for (id, title, author) in [
        ("2402.00001", "Optimizing compilers for register allocation", "Grace Hopper"),
        ("2402.00002", "Migratory birds across the Atlantic", "Grace Hopper"),
        ("2402.00003", "Register allocation in optimizing compilers revisited", "Alan Turing"),
        ("2402.00004", "Radium chemistry", "Marie Curie"),
    ] {
        let mut p = Paper::new(id.parse().unwrap(), title, Source::Local);
        p.abstract_text = format!("{title}.");
        p.authors = vec![author.to_string()];
        p.categories = vec!["cs.PL".to_string()];
        p.published = "2024-02-10T00:00:00Z".parse().ok();
        extra.push(p);
    }
    store.upsert_papers(&extra).unwrap();
    let engine = open(store.clone(), dir.path(), false).unwrap();
    engine.sync(&mut |_| {}).unwrap();
    let key = |id: &str| store.key_of(&id.parse().unwrap()).unwrap().unwrap();
    let now: chrono::DateTime<chrono::Utc> = "2026-03-05T00:00:00Z".parse().unwrap();
    let liked = [Feedback { key: key("2402.00001"), at: now, liked: true }];
    let rank = |authors: bool| {
        let options = RecommendOptions { authors, ..Default::default() };
        let recs = engine.recommend(&liked, &Default::default(), 20, now, &options).unwrap();
        recs.iter().position(|r| r.hit.paper.id.as_str() == "2402.00002")
    };
    let with = rank(true).expect("the liked author's other paper is recommended");
    assert!(with <= 1, "near the top: {with}");
    assert!(rank(false).is_none_or(|without| without > with), "the author feature lifts it");
}

/// A replica picks up vectors another process (the replica holding the embedder lease)
/// stored, by time, without rescanning every embedding: new ones, and changed ones, once.
#[test]
fn a_replica_follows_embeddings_stored_by_another_process() {
    let (data, replica) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let store = store_in(data.path());
    let engine = open(store.clone(), replica.path(), false).unwrap();
    assert_eq!(engine.vector_count(), 0);
    let unit = |i: usize| {
        let mut v = vec![0.0f32; 384];
        v[i] = 1.0;
        v
    };
    let keys: Vec<u64> = papers().iter().map(|p| store.key_of(&p.id).unwrap().unwrap()).collect();
    // The other process embeds two papers.
    store.put_embeddings(papertide_search::engine::MODEL_NAME, &[(keys[0], unit(0)), (keys[1], unit(1))]).unwrap();
    assert_eq!(engine.sync(&mut |_| {}).unwrap().vectors_loaded, 2);
    assert_eq!(engine.vector_count(), 2);
    assert_eq!(engine.sync(&mut |_| {}).unwrap().vectors_loaded, 0, "already loaded: not again");
    // It re-embeds one (a changed abstract) and embeds a third.
    store.put_embeddings(papertide_search::engine::MODEL_NAME, &[(keys[0], unit(5)), (keys[2], unit(2))]).unwrap();
    assert_eq!(engine.sync(&mut |_| {}).unwrap().vectors_loaded, 2);
    assert_eq!(engine.vector_count(), 3);
    let similar = engine.similar(&papers()[2].id, Mode::Semantic, 5, &Filters::default()).unwrap();
    assert!(similar.hits.iter().all(|h| h.paper.id != papers()[2].id));
}

#[test]
fn a_bulk_sync_adds_every_paper_once_into_one_segment_and_later_changes_replace() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
    let many: Vec<Paper> = (1..=300)
        .map(|i| {
            let mut p =
                Paper::new(format!("2402.{i:05}").parse().unwrap(), format!("Bulk paper {i} on graphs"), Source::Local);
            p.abstract_text = format!("Abstract number {i}.");
            p.version = 1;
            p
        })
        .collect();
    store.upsert_papers(&many).unwrap();
    let options = EngineOptions {
        data_dir: dir.path().to_path_buf(),
        model_dir: None,
        fusion: Fusion::default(),
        vectors: Default::default(),
        keyword_threads: 1,
    };
    let engine = SearchEngine::open(store.clone(), &options).unwrap().with_bulk_after(100);
    assert_eq!(engine.sync(&mut |_| {}).unwrap().keyword_indexed, 300);
    let kw = engine.keyword();
    assert_eq!((kw.num_docs(), kw.segment_count(), kw.cursor().unwrap()), (300, 1, store.max_seq().unwrap()));

    // A new version with a new title replaces the paper's document (a small sync, not bulk).
    let mut changed = many[6].clone();
    changed.title = "Quasicrystal tilings".into();
    changed.version = 2;
    store.upsert_papers(&[changed]).unwrap();
    assert_eq!(engine.sync(&mut |_| {}).unwrap().keyword_indexed, 1);
    assert_eq!(engine.keyword().num_docs(), 300);
    assert_eq!(ids(&search(&engine, "quasicrystal", Mode::Keyword).hits), ["2402.00007"]);
    assert!(search(&engine, "\"Bulk paper 7 on\"", Mode::Keyword)
        .hits
        .iter()
        .all(|h| h.paper.id.as_str() != "2402.00007"));

    // A reindex empties the index and loads it in bulk again: the same documents, once each.
    assert_eq!(engine.reindex(&mut |_| {}).unwrap().keyword_indexed, 300);
    assert_eq!((engine.keyword().num_docs(), engine.keyword().segment_count()), (300, 1));
    assert_eq!(ids(&search(&engine, "quasicrystal", Mode::Keyword).hits), ["2402.00007"]);
}
