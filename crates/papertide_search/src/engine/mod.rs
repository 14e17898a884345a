//! The search engine: keyword index + embedder + vector index + fusion over one store.
//!
//! [`SearchEngine`] is what the CLI and the web app use:
//! - [`SearchEngine::search`]: `hybrid` (default), `keyword` or `semantic` search with filters
//!   and paging; an id or arXiv URL typed as the query goes straight to that paper.
//! - [`SearchEngine::similar`]: nearest neighbours of a paper's embedding, excluding itself.
//! - Index upkeep lives in [`sync`]: the keyword index follows the store's change feed (so
//!   papers are searchable by keyword as soon as they are imported), the embedding backlog is
//!   worked off in batches ([`SearchEngine::embed_backlog`]) and the vector index follows.
//! - Vectors computed elsewhere are stored and indexed by [`import`]
//!   ([`SearchEngine::import_vectors`], `papertide embed import`).
//! - Personal recommendations ("For you") are [`recommend`]; query embedding is [`batcher`].
//!
//! Without the model, search still works in keyword mode and [`SearchResponse::notice`] says
//! how to install it.

mod backlog;
pub mod batcher;
pub mod import;
pub mod recommend;
pub mod sync;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use papertide_core::{Paper, PaperId};
use papertide_store::Store;

use crate::embed::{model::ModelFiles, Embedder, MiniLmEmbedder};
use crate::fusion::{fuse, Fusion, Ranked};
use crate::keyword::{rescore, Filters, KeywordIndex, KeywordQuery};
use crate::vector::{AutoIndex, AutoIndexConfig, Element, VectorIndex};
use crate::SearchError;

/// Most candidates each list contributes to a hybrid ranking (unless
/// [`SearchEngine::with_fusion_depth`] says otherwise).
const FUSION_DEPTH: usize = 100;
/// How many times more semantic candidates to fetch when filters must be applied after.
const FILTER_OVERFETCH: usize = 20;

/// How to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Keyword and semantic results fused.
    #[default]
    Hybrid,
    /// BM25 over title, abstract and authors.
    Keyword,
    /// Nearest neighbours of the query's embedding.
    Semantic,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "hybrid" => Ok(Mode::Hybrid),
            "keyword" => Ok(Mode::Keyword),
            "semantic" => Ok(Mode::Semantic),
            other => Err(format!("unknown mode `{other}` (hybrid, keyword or semantic)")),
        }
    }
}

/// A search request.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// What the user typed.
    pub text: String,
    /// How to search.
    pub mode: Mode,
    /// Restrictions.
    pub filters: Filters,
    /// Hits wanted.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// The user is still typing (instant search): the last word also matches as a prefix.
    /// A submitted search (the default) treats every word as complete, which at a million
    /// papers is several times faster (docs/SEARCH.md).
    pub typing: bool,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The store's integer key.
    pub key: u64,
    /// Ranking score: higher is better, comparable within one response.
    pub score: f32,
    /// The paper.
    pub paper: Paper,
}

/// The results of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResponse {
    /// Hits, best first.
    pub hits: Vec<Hit>,
    /// The mode that actually ran (keyword when the model is missing).
    pub mode: Mode,
    /// Something the user should know, e.g. how to install the model.
    pub notice: Option<String>,
}

/// Where the engine keeps its files and what it loads.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The data directory; indexes go to `DIR/index/`.
    pub data_dir: PathBuf,
    /// The model directory; `None` runs keyword-only.
    pub model_dir: Option<PathBuf>,
    /// How hybrid rankings are fused.
    pub fusion: Fusion,
    /// How the vector index stores vectors once it is an HNSW graph (above 20,000): f32,
    /// or f16 / int8 for a half / a quarter of the memory at a small recall cost
    /// (docs/SEARCH.md, "Compact vectors"). A saved index of another type is re-encoded as
    /// it loads.
    pub vectors: Element,
    /// Threads one keyword search may use, one per index segment (0: one per core). A
    /// bulk load merges the keyword index into this many segments.
    pub keyword_threads: usize,
}

/// Keyword index, vector index and embedder over one store.
pub struct SearchEngine {
    store: Arc<dyn Store>,
    keyword: KeywordIndex,
    vectors: RwLock<AutoIndex>,
    /// How a new or rebuilt vector index is configured.
    vector_config: AutoIndexConfig,
    vector_path: Option<PathBuf>,
    embedder: Option<Arc<dyn Embedder>>,
    model_problem: Option<String>,
    model_name: String,
    fusion: Fusion,
    /// Most candidates each list contributes to a hybrid ranking ([`FUSION_DEPTH`]).
    fusion_depth: usize,
    /// Phase-one candidates of the keyword list a hybrid search fuses; `None`: as many as a
    /// keyword page of the same end rescores ([`crate::keyword::rescore::depth`]).
    fused_keyword_candidates: Option<usize>,
    /// Embeds search queries, one worker per core, batching queries that arrive together
    /// ([`batcher`]). Bulk embedding uses the embedder directly, on all threads.
    queries: Option<batcher::QueryBatcher>,
    /// Moves on whenever the indexes change (papers indexed, vectors added): cached search
    /// results are kept per version ([`SearchEngine::version`]).
    version: std::sync::atomic::AtomicU64,
    /// How far the vector index has followed embeddings stored by other processes.
    vectors_seen: std::sync::Mutex<Option<sync::VectorsSeen>>,
    /// A sync at least this many changes behind runs as a bulk load
    /// ([`sync::MERGE_AFTER`] unless [`SearchEngine::with_bulk_after`] says otherwise).
    bulk_after: u64,
    /// Held while the vector index file is written (the indexer and the embedder threads of
    /// `serve` both save it; the temporary file name is per process).
    save_lock: std::sync::Mutex<()>,
}

fn query_batcher(embedder: &Option<Arc<dyn Embedder>>) -> Option<batcher::QueryBatcher> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    embedder.as_ref().map(|e| batcher::QueryBatcher::start(e.clone(), workers))
}

impl std::fmt::Debug for SearchEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchEngine").field("model", &self.model_name).finish_non_exhaustive()
    }
}

/// The model name vectors are stored under.
pub const MODEL_NAME: &str = crate::embed::model::MODEL_NAME;

/// The model's embedding dimension.
pub const DIM: usize = 384;

fn vector_file(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("vectors-all-MiniLM-L6-v2.bin")
}

impl SearchEngine {
    /// Opens (creating) the indexes under `options.data_dir` and loads the model if it is
    /// installed. Call [`SearchEngine::sync`] to catch the indexes up with the store.
    pub fn open(store: Arc<dyn Store>, options: &EngineOptions) -> Result<SearchEngine, SearchError> {
        let mut keyword = KeywordIndex::open(&options.data_dir.join("index").join("keyword"))?;
        if options.keyword_threads > 0 {
            keyword = keyword.with_threads(options.keyword_threads);
        }
        let path = vector_file(&options.data_dir);
        let mut vector_config = AutoIndexConfig::default();
        vector_config.hnsw.element = options.vectors;
        let vectors = if path.exists() {
            match AutoIndex::load_with(&path, vector_config.clone()) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "vector index unreadable; rebuilding it from the store");
                    AutoIndex::with_config(DIM, vector_config.clone())?
                }
            }
        } else {
            AutoIndex::with_config(DIM, vector_config.clone())?
        };
        let (embedder, model_problem) = match &options.model_dir {
            Some(dir) => match MiniLmEmbedder::load(&ModelFiles::new(dir)) {
                Ok(e) => (Some(Arc::new(e) as Arc<dyn Embedder>), None),
                Err(e) => (None, Some(e.to_string())),
            },
            None => (None, Some(format!("no embedding model configured; {}", crate::embed::model::INSTALL_HINT))),
        };
        Ok(SearchEngine {
            store,
            keyword,
            vectors: RwLock::new(vectors),
            vector_config,
            vector_path: Some(path),
            model_problem,
            model_name: MODEL_NAME.to_string(),
            fusion: options.fusion,
            fusion_depth: FUSION_DEPTH,
            fused_keyword_candidates: None,
            queries: query_batcher(&embedder),
            embedder,
            version: Default::default(),
            vectors_seen: Default::default(),
            bulk_after: sync::MERGE_AFTER,
            save_lock: Default::default(),
        })
    }

    /// A number that changes whenever what searches can find changes (a sync indexed papers,
    /// vectors were added): a web replica caches search results under it, so a paper becomes
    /// findable as soon as its replica has indexed it.
    pub fn version(&self) -> u64 {
        self.version.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn bump_version(&self) {
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// An engine over in-memory indexes (tests, benchmarks, `papertide eval`).
    pub fn in_memory(
        store: Arc<dyn Store>,
        embedder: Option<Arc<dyn Embedder>>,
        fusion: Fusion,
    ) -> Result<SearchEngine, SearchError> {
        Ok(SearchEngine {
            store,
            keyword: KeywordIndex::in_ram()?,
            vectors: RwLock::new(AutoIndex::new(DIM)?),
            vector_config: AutoIndexConfig::default(),
            vector_path: None,
            model_problem: embedder.is_none().then(|| "no embedding model loaded".to_string()),
            queries: query_batcher(&embedder),
            embedder,
            model_name: MODEL_NAME.to_string(),
            fusion,
            fusion_depth: FUSION_DEPTH,
            fused_keyword_candidates: None,
            version: Default::default(),
            vectors_seen: Default::default(),
            bulk_after: sync::MERGE_AFTER,
            save_lock: Default::default(),
        })
    }

    /// Sets how far behind a sync must be to run as a bulk load (no background merges, a
    /// commit every 100,000 papers, one segment at the end); for tests and tuning.
    pub fn with_bulk_after(mut self, changes: u64) -> SearchEngine {
        self.bulk_after = changes.max(1);
        self
    }

    /// The same engine with other keyword ranking knobs (benchmarks and the eval harness).
    pub fn with_keyword_tuning(mut self, tuning: crate::keyword::Tuning) -> SearchEngine {
        self.keyword = self.keyword.with_tuning(tuning);
        self
    }

    /// The same engine with each list of a hybrid ranking cut to `depth` candidates instead
    /// of [`FUSION_DEPTH`] (benchmarks: a shallower keyword list is cheaper, and can change
    /// the fused top 10). A page deeper than `depth` still gets all it asks for.
    pub fn with_fusion_depth(mut self, depth: usize) -> SearchEngine {
        self.fusion_depth = depth.max(1);
        self
    }

    /// The same engine with the keyword list of a hybrid search ranked from `candidates`
    /// phase-one candidates instead of as many as a keyword page rescores (benchmarks: 400
    /// was the depth before it was tied to the page, see docs/SCALE.md).
    pub fn with_fused_keyword_candidates(mut self, candidates: usize) -> SearchEngine {
        self.fused_keyword_candidates = Some(candidates);
        self
    }

    /// The store the engine reads papers from.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The embedder, when the model is installed.
    pub fn embedder(&self) -> Option<&Arc<dyn Embedder>> {
        self.embedder.as_ref()
    }

    /// Why semantic search is unavailable, if it is.
    pub fn model_problem(&self) -> Option<&str> {
        self.model_problem.as_deref()
    }

    /// The keyword index.
    pub fn keyword(&self) -> &KeywordIndex {
        &self.keyword
    }

    /// Number of vectors in the vector index.
    pub fn vector_count(&self) -> usize {
        self.vectors.read().map(|v| v.len()).unwrap_or(0)
    }

    /// Searches. Never fails on what the user typed; fails only on index or store errors.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let want = req.offset + req.limit;
        let mut notice = None;
        let mode = match (req.mode, &self.embedder) {
            (Mode::Keyword, _) => Mode::Keyword,
            (m, Some(_)) => m,
            (_, None) => {
                notice = Some(format!(
                    "semantic search is unavailable ({}); showing keyword results",
                    self.model_problem.as_deref().unwrap_or("no model")
                ));
                Mode::Keyword
            }
        };
        // An id or URL goes straight to the paper.
        if let Some(hit) = self.keyword.lookup_id(req.text.trim())? {
            let hits = self.hydrate(&[(hit.key, 1.0)])?;
            return Ok(SearchResponse { hits, mode, notice });
        }
        let depth = want.max(self.fusion_depth);
        let ranked: Vec<(u64, f32)> = match mode {
            Mode::Keyword => self.keyword_ranking(&req.text, req.typing, &req.filters, want, None)?,
            Mode::Semantic => self.semantic_ranking(&req.text, &req.filters, want)?,
            Mode::Hybrid => {
                // The keyword list is ranked from the candidates a keyword page ending at
                // `want` rescores, so its head is that page, rather than from four times
                // the fusion depth: a paper that bonuses would lift from below them could
                // only reach the list's tail, where it weighs little in the fused ranking,
                // and the deeper phase one made the keyword side of a hybrid search slower
                // than a keyword search (docs/SCALE.md). The keyword search runs while the
                // query is embedded.
                let candidates = self.fused_keyword_candidates.unwrap_or_else(|| rescore::depth(want));
                let (kw, sem) = std::thread::scope(|scope| {
                    let kw = scope
                        .spawn(|| self.keyword_ranking(&req.text, req.typing, &req.filters, depth, Some(candidates)));
                    let sem = self.semantic_ranking(&req.text, &req.filters, depth);
                    (kw.join(), sem)
                });
                let kw = kw.map_err(|_| SearchError::Poisoned)??;
                let sem = sem?;
                fuse(self.fusion, &[Ranked { hits: &kw, weight: 1.0 }, Ranked { hits: &sem, weight: 1.0 }])
            }
        };
        let page: Vec<(u64, f32)> = ranked.into_iter().skip(req.offset).take(req.limit).collect();
        let hits = self.hydrate(&page)?;
        Ok(SearchResponse { hits, mode, notice })
    }

    fn keyword_ranking(
        &self,
        text: &str,
        typing: bool,
        filters: &Filters,
        n: usize,
        candidates: Option<usize>,
    ) -> Result<Vec<(u64, f32)>, SearchError> {
        let q = KeywordQuery { typing, candidates, ..KeywordQuery::new(text, n).with_filters(filters.clone()) };
        self.keyword.search_keys(&q)
    }

    fn semantic_ranking(&self, text: &str, filters: &Filters, n: usize) -> Result<Vec<(u64, f32)>, SearchError> {
        let Some(queries) = &self.queries else { return Ok(Vec::new()) };
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let query = queries.embed(text).map_err(|e| SearchError::Embed(e.to_string()))?;
        self.nearest(&query, filters, n, None)
    }

    /// The `n` nearest vectors to `query` that pass `filters`, leaving out `exclude`.
    fn nearest(
        &self,
        query: &[f32],
        filters: &Filters,
        n: usize,
        exclude: Option<u64>,
    ) -> Result<Vec<(u64, f32)>, SearchError> {
        let vectors = self.vectors.read().map_err(|_| SearchError::Poisoned)?;
        let not_excluded = |k: u64| Some(k) != exclude;
        if filters.is_empty() {
            return vectors.search(query, n, Some(&not_excluded));
        }
        // Filters are checked on the papers themselves: fetch more, keep those that pass.
        let candidates = vectors.search(query, n.saturating_mul(FILTER_OVERFETCH), Some(&not_excluded))?;
        drop(vectors);
        let keys: Vec<u64> = candidates.iter().map(|c| c.0).collect();
        let papers = self.store.papers_by_keys(&keys).map_err(SearchError::store)?;
        let pass: std::collections::HashSet<u64> =
            papers.iter().filter(|(_, p)| filters.matches(p)).map(|(k, _)| *k).collect();
        Ok(candidates.into_iter().filter(|c| pass.contains(&c.0)).take(n).collect())
    }

    /// Papers most similar to `id`, best first, excluding the paper itself (and so its other
    /// versions, which share its id). `semantic` ranks by the paper's embedding (embedded on the
    /// fly, without storing, when it has none yet); `keyword` by the paper's most distinctive
    /// words ([`KeywordIndex::more_like_this`]); `hybrid` fuses both. Without the model and
    /// without a stored embedding, it runs in keyword mode and says so in the notice.
    pub fn similar(
        &self,
        id: &PaperId,
        mode: Mode,
        limit: usize,
        filters: &Filters,
    ) -> Result<SearchResponse, SearchError> {
        let Some(key) = self.store.key_of(id).map_err(SearchError::store)? else {
            return Err(SearchError::UnknownPaper(id.to_string()));
        };
        let mut notice = None;
        let vector = if mode == Mode::Keyword { None } else { self.paper_vector(key)? };
        let mode = match (mode, &vector) {
            (Mode::Keyword, _) => Mode::Keyword,
            (m, Some(_)) => m,
            (_, None) => {
                notice = Some(format!(
                    "semantic similarity is unavailable ({}); showing keyword results",
                    self.model_problem.as_deref().unwrap_or("no model")
                ));
                Mode::Keyword
            }
        };
        let depth = limit.max(self.fusion_depth);
        let keyword =
            |n: usize| -> Result<Vec<(u64, f32)>, SearchError> { self.keyword.more_like_this_keys(id, n, filters) };
        let ranked = match (mode, &vector) {
            (Mode::Semantic, Some(v)) => self.nearest(v, filters, limit, Some(key))?,
            (Mode::Hybrid, Some(v)) => {
                let kw = keyword(depth)?;
                let sem = self.nearest(v, filters, depth, Some(key))?;
                fuse(self.fusion, &[Ranked { hits: &kw, weight: 1.0 }, Ranked { hits: &sem, weight: 1.0 }])
            }
            _ => keyword(limit)?,
        };
        let page: Vec<(u64, f32)> = ranked.into_iter().take(limit).collect();
        let hits = self.hydrate(&page)?;
        Ok(SearchResponse { hits, mode, notice })
    }

    /// The embedding of the paper with this key: from the vector index, else the store, else
    /// computed now (not stored). `None` when it has none and the model is missing.
    fn paper_vector(&self, key: u64) -> Result<Option<Vec<f32>>, SearchError> {
        if let Some(v) = self.vectors.read().map_err(|_| SearchError::Poisoned)?.get(key) {
            return Ok(Some(v));
        }
        if let Some(v) = self.store.embedding(&self.model_name, key).map_err(SearchError::store)? {
            return Ok(Some(v));
        }
        let Some(embedder) = &self.embedder else { return Ok(None) };
        let papers = self.store.papers_by_keys(&[key]).map_err(SearchError::store)?;
        let Some((_, paper)) = papers.first() else { return Ok(None) };
        let text = sync::embedding_text(paper);
        let mut out = embedder.embed(&[text.as_str()]).map_err(|e| SearchError::Embed(e.to_string()))?;
        Ok(out.pop())
    }

    /// Loads the papers of ranked keys, keeping the order and scores (filters were applied
    /// when ranking).
    fn hydrate(&self, ranked: &[(u64, f32)]) -> Result<Vec<Hit>, SearchError> {
        let keys: Vec<u64> = ranked.iter().map(|r| r.0).collect();
        let papers = self.store.papers_by_keys(&keys).map_err(SearchError::store)?;
        let mut by_key: std::collections::HashMap<u64, Paper> = papers.into_iter().collect();
        Ok(ranked
            .iter()
            .filter_map(|&(key, score)| by_key.remove(&key).map(|paper| Hit { key, score, paper }))
            .collect())
    }
}
