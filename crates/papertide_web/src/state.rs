//! [`AppState`]: what every handler shares (store, search engine, settings, metrics, rate
//! limits, the arXiv client for submissions, the mailer for account mails, the
//! [`crate::cache`] caches), cheap to clone.

use std::sync::{Arc, OnceLock};

use papertide_mail::smtp::Mailer;

use papertide_search::engine::SearchEngine;
use papertide_store::Store;

use crate::cache::TtlCache;
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
    /// JSON API requests per client IP address per minute (beyond: 429 with `Retry-After`).
    pub api_per_minute: u32,
    /// Addresses of reverse proxies / load balancers in front of the site (e.g.
    /// `["127.0.0.1"]` behind a local nginx). Requests from them are attributed to the client
    /// address they put in `X-Forwarded-For` (for rate limits); from anyone else the header
    /// is ignored. Empty (the default): the connecting address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Count rate limits in the database, shared by every replica, instead of in this
    /// process. `papertide serve` turns it on with PostgreSQL unless set.
    pub shared_rate_limits: Option<bool>,
    /// Origins allowed to call the JSON API from a browser (CORS), e.g.
    /// `["https://lab.example"]`, or `["*"]` for any. Empty (the default): no CORS headers.
    pub cors_origins: Vec<String>,
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
            api_per_minute: 600,
            trusted_proxies: Vec::new(),
            shared_rate_limits: None,
            cors_origins: Vec::new(),
        }
    }
}

/// The caches of [`crate::cache`], one per kind of data.
pub struct Caches {
    /// Similar papers per paper (10 minutes; they change only as new papers arrive, and
    /// computing them is most of a paper page's cost). Not tied to the write generation.
    pub similar: TtlCache<papertide_core::PaperId, Vec<papertide_search::engine::Hit>>,
    /// Feed pages by query (5 seconds; a browser that just wrote skips it).
    pub feed: TtlCache<String, Arc<papertide_core::FeedPage>>,
    /// The latest feed day up to a date, for `/` (5 seconds; a browser that just wrote skips it).
    pub latest_day: TtlCache<chrono::NaiveDate, Option<chrono::NaiveDate>>,
    /// Search results with their highlighting, by request (60 seconds, and until the search
    /// engine's index version moves on: new papers are found as soon as they are indexed).
    pub search: TtlCache<String, Arc<crate::pages::search::Answer>>,
}

impl Default for Caches {
    fn default() -> Self {
        let secs = std::time::Duration::from_secs;
        Caches {
            similar: TtlCache::new(secs(600), 20_000),
            feed: TtlCache::new(secs(5), 2_000),
            latest_day: TtlCache::new(secs(5), 16),
            search: TtlCache::new(secs(60), 2_000),
        }
    }
}

struct Inner {
    caches: Caches,
    store: Arc<dyn Store>,
    search: Arc<SearchEngine>,
    config: WebConfig,
    metrics: Metrics,
    limiter: RateLimiter,
    fetcher: Arc<dyn PaperFetcher>,
    mailer: OnceLock<Arc<dyn Mailer>>,
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
            caches: Caches::default(),
            store,
            search,
            config,
            metrics: Metrics::default(),
            limiter: RateLimiter::default(),
            fetcher,
            mailer: OnceLock::new(),
        }))
    }

    /// Sends account mails (password reset links) with `mailer`; without one (mail is off)
    /// the reset page says to ask an administrator. Set once, at start-up; later calls are
    /// ignored.
    pub fn set_mailer(&self, mailer: Arc<dyn Mailer>) {
        let _ = self.0.mailer.set(mailer);
    }

    /// The mailer for account mails, when mail is on.
    pub fn mailer(&self) -> Option<&Arc<dyn Mailer>> {
        self.0.mailer.get()
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    /// The search engine.
    pub fn search(&self) -> &Arc<SearchEngine> {
        &self.0.search
    }

    /// The caches of feed pages, search results and similar papers.
    pub fn caches(&self) -> &Caches {
        &self.0.caches
    }

    /// Settings.
    pub fn config(&self) -> &WebConfig {
        &self.0.config
    }

    /// Request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// Counts one `action` by `key` against `limit` per minute: in the database when rate
    /// limits are shared by several replicas, else in this process.
    pub async fn rate_limit(&self, action: &'static str, key: &str, limit: u32) -> Result<(), AppError> {
        if self.0.config.shared_rate_limits != Some(true) {
            return self.0.limiter.hit(action, key, limit);
        }
        let (start, left) = crate::ratelimit::window(chrono::Utc::now());
        let (store, key) = (self.0.store.clone(), key.to_string());
        let hits = self.blocking(move || store.rate_limit_hit(action, &key, start)).await?;
        if hits > u64::from(limit) {
            return Err(AppError::RateLimited { retry_after: left });
        }
        Ok(())
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
