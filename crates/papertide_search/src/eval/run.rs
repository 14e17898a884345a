//! Running the benchmarks through the real engine: what `papertide eval` prints.
//!
//! Each benchmark corpus is imported into a scratch SQLite store, indexed by keyword, embedded
//! (when the model is loaded) and searched through [`SearchEngine`], exactly the code path of
//! `papertide search` and `papertide similar`:
//! - CACM: every judged query through [`SearchEngine::search`] in keyword, semantic and hybrid
//!   mode (rankings 1,000 deep), scored with MAP and nDCG@10.
//! - CSFCube: every query paper through [`SearchEngine::similar`] in keyword (BM25 "more like
//!   this"), semantic and hybrid mode, each ranking restricted to the judged pool, scored with
//!   nDCG@20 per facet and overall (official fold averaging). One more row embeds only the
//!   query's sentences of the judged facet, to show what faceted queries could add.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use papertide_core::{Paper, PaperId};
use papertide_store::{SqliteStore, Store};

use super::{cacm, csfcube, run_facets, run_keyword, Facet, FacetScores, Scores, Table};
use crate::embed::Embedder;
use crate::engine::recommend::{Feedback, RecommendOptions};
use crate::engine::{Mode, SearchEngine, SearchRequest, MODEL_NAME};
use crate::fusion::Fusion;
use crate::keyword::Filters;
use crate::SearchError;

/// Ranking depth of the CACM runs (MAP looks at the whole ranking).
pub const CACM_DEPTH: usize = 1_000;

/// Where the benchmarks are and what to run them with.
pub struct EvalOptions {
    /// `shared/data/benchmarks`: holds `cacm/` and `csfcube/`.
    pub benchmarks: PathBuf,
    /// The embedder; `None` runs the keyword rows only.
    pub embedder: Option<Arc<dyn Embedder>>,
    /// How hybrid rankings are fused.
    pub fusion: Fusion,
    /// Keep the benchmark stores here (and reuse their embeddings on the next run) instead of
    /// a temporary directory.
    pub work_dir: Option<PathBuf>,
}

/// The scores of every method on both benchmarks.
#[derive(Debug, Clone)]
pub struct EvalReport {
    /// CACM rows: method name → scores.
    pub cacm: Vec<(String, Scores)>,
    /// CSFCube rows: method name → scores.
    pub csfcube: Vec<(String, FacetScores)>,
    /// What was skipped and why.
    pub notes: Vec<String>,
}

impl EvalReport {
    /// Both tables as Markdown (CSFCube with the official fold averaging).
    pub fn to_markdown(&self) -> String {
        let mut cacm = Table::keyword();
        for (name, s) in &self.cacm {
            cacm.push_keyword(name, s);
        }
        let mut facets = Table::facets();
        for (name, s) in &self.csfcube {
            facets.push_facets(name, &s.official);
        }
        let mut out = format!("CACM (52 queries, 3,204 articles)\n\n{cacm}\nCSFCube nDCG@20 (50 queries)\n\n{facets}");
        for note in &self.notes {
            out.push_str(&format!("\nnote: {note}\n"));
        }
        out
    }

    /// The report as JSON: `{cacm: {method: {map, ndcg_at_10}}, csfcube: {method: {background,
    /// method, result, all}}, notes}`.
    pub fn to_json(&self) -> serde_json::Value {
        let cacm: serde_json::Map<String, serde_json::Value> = self
            .cacm
            .iter()
            .map(|(n, s)| (n.clone(), serde_json::json!({"map": s.map, "ndcg_at_10": s.ndcg_at_10})))
            .collect();
        let csfcube: serde_json::Map<String, serde_json::Value> = self
            .csfcube
            .iter()
            .map(|(n, s)| {
                let o = &s.official;
                let v = serde_json::json!({"background": o.background, "method": o.method, "result": o.result, "all": o.all});
                (n.clone(), v)
            })
            .collect();
        serde_json::json!({"cacm": cacm, "csfcube": csfcube, "notes": self.notes})
    }
}

/// Builds a search engine over `docs` in a scratch store under `dir`, indexed and embedded.
pub fn engine_over(
    docs: &[Paper],
    embedder: Option<Arc<dyn Embedder>>,
    fusion: Fusion,
    dir: &Path,
) -> Result<(Arc<SqliteStore>, SearchEngine), SearchError> {
    let store = Arc::new(SqliteStore::open(&dir.join("eval.db")).map_err(SearchError::store)?);
    for chunk in docs.chunks(1_000) {
        store.upsert_papers(chunk).map_err(SearchError::store)?;
    }
    let engine = SearchEngine::in_memory(store.clone(), embedder.clone(), fusion)?;
    engine.sync(&mut |_| {})?;
    if embedder.is_some() {
        engine.embed_backlog(64, &mut |_| {}, &AtomicBool::new(false))?;
    }
    Ok((store, engine))
}

fn ids(hits: Vec<crate::engine::Hit>) -> Vec<PaperId> {
    hits.into_iter().map(|h| h.paper.id).collect()
}

/// Runs both benchmarks. `progress` gets a line per stage.
pub fn evaluate(options: &EvalOptions, progress: &mut dyn FnMut(&str)) -> Result<EvalReport, SearchError> {
    let semantic = options.embedder.is_some();
    let modes: &[(Mode, &str)] = if semantic {
        &[(Mode::Keyword, "keyword (BM25)"), (Mode::Semantic, "semantic"), (Mode::Hybrid, "hybrid")]
    } else {
        &[(Mode::Keyword, "keyword (BM25)")]
    };
    let mut notes = Vec::new();
    if !semantic {
        notes.push(format!("semantic and hybrid rows skipped: {}", crate::embed::model::INSTALL_HINT));
    }
    let temp;
    let scratch: &Path = match &options.work_dir {
        Some(dir) => dir,
        None => {
            temp = tempfile::tempdir().map_err(|source| SearchError::Io { path: std::env::temp_dir(), source })?;
            temp.path()
        }
    };

    progress("CACM: loading, indexing and embedding 3,204 articles");
    let bench = cacm::load(&options.benchmarks.join("cacm")).map_err(|e| SearchError::Eval(e.to_string()))?;
    let cacm_dir = scratch.join("cacm");
    std::fs::create_dir_all(&cacm_dir).map_err(|source| SearchError::Io { path: cacm_dir.clone(), source })?;
    let (_, engine) = engine_over(&bench.docs, options.embedder.clone(), options.fusion, &cacm_dir)?;
    let mut cacm_rows = Vec::new();
    for &(mode, name) in modes {
        progress(&format!("CACM: {name}"));
        let scores = run_keyword(&bench, &mut |q| {
            let req = SearchRequest { text: q.text.clone(), mode, limit: CACM_DEPTH, ..Default::default() };
            engine.search(&req).map(|r| ids(r.hits))
        })?;
        cacm_rows.push((name.to_string(), scores));
    }
    drop(engine);

    progress("CSFCube: loading, indexing and embedding 4,205 papers");
    let bench = csfcube::load(&options.benchmarks.join("csfcube")).map_err(|e| SearchError::Eval(e.to_string()))?;
    let csf_dir = scratch.join("csfcube");
    std::fs::create_dir_all(&csf_dir).map_err(|source| SearchError::Io { path: csf_dir.clone(), source })?;
    let (store, engine) = engine_over(&bench.docs, options.embedder.clone(), options.fusion, &csf_dir)?;
    let all = bench.docs.len();
    let mut csf_rows = Vec::new();
    for &(mode, name) in modes {
        progress(&format!("CSFCube: similar, {name}"));
        let mut cache: HashMap<PaperId, Vec<PaperId>> = HashMap::new();
        let scores = run_facets(&bench, &mut |q, _pool| {
            if let Some(r) = cache.get(&q.paper) {
                return Ok::<_, SearchError>(r.clone());
            }
            let r = ids(engine.similar(&q.paper, mode, all, &Filters::default())?.hits);
            cache.insert(q.paper.clone(), r.clone());
            Ok(r)
        })?;
        csf_rows.push((format!("similar, {name}"), scores));
    }
    if options.embedder.is_some() {
        // A user whose one upvote is the query paper: what "For you" ranks first, with the
        // embeddings alone, the keyword features, and the author feature too (the default).
        let variants =
            [("embeddings", false, false), ("+ keywords", true, false), ("+ keywords + authors", true, true)];
        for (name, keyword, authors) in variants {
            progress(&format!("CSFCube: for you ({name}), the query paper as the one upvote"));
            let now = chrono::Utc::now();
            let options = RecommendOptions { keyword, authors, ..Default::default() };
            let mut cache: HashMap<PaperId, Vec<PaperId>> = HashMap::new();
            let scores = run_facets(&bench, &mut |q, _pool| {
                if let Some(r) = cache.get(&q.paper) {
                    return Ok::<_, SearchError>(r.clone());
                }
                let Some(key) = store.key_of(&q.paper).map_err(SearchError::store)? else { return Ok(Vec::new()) };
                let liked = [Feedback { key, at: now, liked: true }];
                let recs = engine.recommend(&liked, &Default::default(), all, now, &options)?;
                let r: Vec<PaperId> = recs.into_iter().map(|r| r.hit.paper.id).collect();
                cache.insert(q.paper.clone(), r.clone());
                Ok(r)
            })?;
            csf_rows.push((format!("for you ({name}), the query paper as the one upvote"), scores));
        }
    }
    if let Some(embedder) = &options.embedder {
        progress("CSFCube: semantic on the facet's sentences");
        let scores = run_facets(&bench, &mut |q, pool| {
            let text = facet_text(&bench, &q.paper, q.facet);
            let query = embedder.embed(&[text.as_str()]).map_err(|e| SearchError::Embed(e.to_string()))?;
            let query = query.into_iter().next().unwrap_or_default();
            let mut scored = Vec::with_capacity(pool.len());
            for id in pool {
                let Some(key) = store.key_of(id).map_err(SearchError::store)? else { continue };
                let Some(v) = store.embedding(MODEL_NAME, key).map_err(SearchError::store)? else { continue };
                scored.push((id.clone(), query.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>()));
            }
            scored.sort_by(|a, b| b.1.total_cmp(&a.1));
            Ok(scored.into_iter().map(|s| s.0).collect())
        })?;
        csf_rows.push(("semantic, facet sentences only".to_string(), scores));
    }
    Ok(EvalReport { cacm: cacm_rows, csfcube: csf_rows, notes })
}

/// The query paper's title and its sentences labelled with `facet` (background includes the
/// objective sentences, as in the CSFCube paper); the whole abstract when none is labelled.
fn facet_text(bench: &super::FacetBenchmark, paper: &PaperId, facet: Facet) -> String {
    let labels: &[&str] = match facet {
        Facet::Background => &["background_label", "objective_label"],
        Facet::Method => &["method_label"],
        Facet::Result => &["result_label"],
    };
    let doc = bench.docs.iter().find(|d| &d.id == paper);
    let title = doc.map(|d| d.title.as_str()).unwrap_or_default();
    let picked: Vec<&str> = bench
        .sentences
        .get(paper)
        .into_iter()
        .flatten()
        .filter(|s| labels.contains(&s.label.as_str()))
        .map(|s| s.text.as_str())
        .collect();
    if picked.is_empty() {
        format!("{title}. {}", doc.map(|d| d.abstract_text.as_str()).unwrap_or_default())
    } else {
        format!("{title}. {}", picked.join(" "))
    }
}
