//! [`AppState`]: what every handler shares (store, search engine, settings, metrics, rate
//! limits, the arXiv client for submissions), cheap to clone.

use std::sync::Arc;

use papertide_search::engine::SearchEngine;
use papertide_store::Store;

use crate::error::AppError;
use crate::fetch::PaperFetcher;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;

/// Web settings (the `[web]` section of the config; `PAPERTIDE_WEB__SECURE_COOKIES=true`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// The public URL of the site, for links in Markdown exports and feeds.
    pub base_url: String,
    /// Mark cookies `Secure` (set when the site is served over https).
    pub secure_cookies: bool,
    /// Days a session lasts without use.
    pub session_days: i64,
    /// Sign-in attempts per IP address per minute.
    pub signin_per_minute: u32,
    /// Posts (comments, submissions, votes) per user per minute.
    pub posts_per_minute: u32,
    /// Papers per feed page.
    pub feed_page_size: usize,
    /// Hits per search page.
    pub search_page_size: usize,
    /// Papers embedded per batch by the background embedder in `serve`.
    pub embed_batch: usize,
    /// Newly imported or harvested papers in these categories (or archives, `cs`) are put on
    /// the day's feed automatically. Empty (the default): off.
    pub auto_feature_categories: Vec<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            base_url: "http://127.0.0.1:8000".to_string(),
            secure_cookies: false,
            session_days: 30,
            signin_per_minute: 10,
            posts_per_minute: 30,
            feed_page_size: 30,
            search_page_size: 20,
            embed_batch: 32,
            auto_feature_categories: Vec::new(),
        }
    }
}

/// Papers kept in the similar-papers cache before it is emptied.
const SIMILAR_CACHE_CAP: usize = 20_000;
/// How long a cached similar-papers list is used.
const SIMILAR_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// Similar papers per paper, computed once and reused for [`SIMILAR_TTL`]: they change only
/// as new papers arrive, and computing them (embedding lookup, BM25 more-like-this, fusion)
/// is most of a paper page's cost.
#[derive(Default)]
pub struct SimilarCache {
    entries: std::sync::Mutex<
        std::collections::HashMap<papertide_core::PaperId, (std::time::Instant, Vec<papertide_search::engine::Hit>)>,
    >,
}

impl SimilarCache {
    /// The cached list for `id`, if fresh.
    pub fn get(&self, id: &papertide_core::PaperId) -> Option<Vec<papertide_search::engine::Hit>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(id).filter(|(at, _)| at.elapsed() < SIMILAR_TTL).map(|(_, hits)| hits.clone())
    }

    /// Stores the list for `id` (emptying the cache when it is full).
    pub fn put(&self, id: papertide_core::PaperId, hits: Vec<papertide_search::engine::Hit>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= SIMILAR_CACHE_CAP {
            entries.clear();
        }
        entries.insert(id, (std::time::Instant::now(), hits));
    }
}

struct Inner {
    similar: Arc<SimilarCache>,
    store: Arc<dyn Store>,
    search: Arc<SearchEngine>,
    config: WebConfig,
    metrics: Metrics,
    limiter: RateLimiter,
    fetcher: Arc<dyn PaperFetcher>,
}

/// Shared application state.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("config", &self.0.config).finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state.
    pub fn new(
        store: Arc<dyn Store>,
        search: Arc<SearchEngine>,
        fetcher: Arc<dyn PaperFetcher>,
        config: WebConfig,
    ) -> AppState {
        AppState(Arc::new(Inner {
            similar: Arc::new(SimilarCache::default()),
            store,
            search,
            config,
            metrics: Metrics::default(),
            limiter: RateLimiter::default(),
            fetcher,
        }))
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    /// The search engine.
    pub fn search(&self) -> &Arc<SearchEngine> {
        &self.0.search
    }

    /// The similar-papers cache.
    pub fn similar_cache(&self) -> &Arc<SimilarCache> {
        &self.0.similar
    }

    /// Settings.
    pub fn config(&self) -> &WebConfig {
        &self.0.config
    }

    /// Request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// Rate limits.
    pub fn limiter(&self) -> &RateLimiter {
        &self.0.limiter
    }

    /// The arXiv client used to fetch submitted papers that are not in the database yet.
    pub fn fetcher(&self) -> &Arc<dyn PaperFetcher> {
        &self.0.fetcher
    }

    /// Runs blocking work (the store and the search engine are synchronous) off the async
    /// threads.
    pub async fn blocking<T, E>(&self, f: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, AppError>
    where
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        match tokio::task::spawn_blocking(f).await {
            Ok(r) => r.map_err(Into::into),
            Err(e) => Err(AppError::internal(e)),
        }
    }
}
