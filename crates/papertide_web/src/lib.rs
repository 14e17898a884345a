//! The papertide web application: an axum router of server-rendered pages.
//!
//! - [`router`] wires the routes; [`serve`] runs them on a TCP listener until shutdown.
//! - [`state::AppState`]: what handlers share (store, search engine, settings, metrics).
//! - [`pages`]: one module per page (feed, paper, search, accounts, profile, submit, For you,
//!   library), and the Atom and RSS feeds (`pages::feeds`; the private For-you feed in
//!   `pages::feeds_for_you`; their XML writers in `pages::syndication`).
//! - [`layout`]: the page shell and view helpers (maud templates: everything escaped unless
//!   explicitly trusted, such as the highlighter's already-escaped HTML).
//! - [`session`]: sessions, CSRF; [`ratelimit`]: per-action limits; [`error::AppError`]: the
//!   one error type, with its code/status/message table.
//! - [`metrics`]: `/metrics` in the Prometheus text format; [`assets`]: CSS, JS and the
//!   vendored KaTeX compiled into the binary.
//! - [`api`]: the JSON API (Hugging Face Hub compatible paper endpoints first).
//! - [`cache`]: short-lived caches of feed pages, search results and similar papers.
//! - [`markdown`]: the safe Markdown subset of comments, and the `/papers/ID.md` export.
//!
//! Handlers stay thin: typed parameters → store / search (on a blocking thread) → view.

pub mod api;
pub mod assets;
pub mod cache;
pub mod error;
pub mod fetch;
pub mod layout;
pub mod markdown;
pub mod metrics;
pub mod pages;
pub mod ratelimit;
pub mod session;
pub mod state;

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

pub use error::AppError;
pub use state::{AppState, WebConfig};

/// All routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::feed::today))
        .route("/papers/date/{day}", get(pages::feed::by_day))
        .route("/papers/week/{week}", get(pages::feed::by_week))
        .route("/papers/month/{month}", get(pages::feed::by_month))
        .route("/feeds/for-you.atom", get(pages::feeds_for_you::atom))
        .route("/feeds/for-you.rss", get(pages::feeds_for_you::rss))
        .route("/feeds/{file}", get(pages::feeds::feed))
        .route("/feeds/category/{file}", get(pages::feeds::category))
        .route("/papers", get(pages::search::search_page))
        .route("/search", get(pages::search::search_page))
        .route("/papers/submit", get(pages::submit::form).post(pages::submit::submit))
        .route("/papers/{*id}", get(pages::paper::show).post(pages::paper::act))
        .route("/signup", get(pages::auth::signup_form).post(pages::auth::signup))
        .route("/signin", get(pages::auth::signin_form).post(pages::auth::signin))
        .route("/signout", post(pages::auth::signout))
        .route("/reset", get(pages::reset::request_form).post(pages::reset::request))
        .route("/reset/password", get(pages::reset::choose_form).post(pages::reset::choose))
        .route("/users/{name}", get(pages::user::profile))
        .route("/for-you", get(pages::for_you::page_handler))
        .route("/for-you/feed", post(pages::feeds_for_you::create_link))
        .route("/library", get(pages::library::page_handler))
        .route("/subscribe", get(pages::subscribe::form).post(pages::subscribe::subscribe))
        .route("/subscribe/confirm", get(pages::subscribe::confirm))
        .route("/unsubscribe", get(pages::subscribe::unsubscribe_page).post(pages::subscribe::unsubscribe))
        .route("/settings/tokens", post(pages::tokens::create))
        .route("/settings/tokens/{id}/revoke", post(pages::tokens::revoke))
        .route("/comments/{id}", post(pages::paper::comment_action))
        .route("/api/docs", get(api::docs::page_handler))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/assets/{*path}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .merge(api_routes(state.clone()))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), cache::mark_writers))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), session::ensure_csrf_cookie))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}

/// The Content-Security-Policy of every response: scripts, styles, fonts and images from this
/// site only (KaTeX sets inline `style` attributes, hence `'unsafe-inline'` for styles alone;
/// no inline script runs), no framing, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers (CSP, no MIME sniffing, no framing, same-origin referrers).
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, header::HeaderValue::from_static(value));
        }
    }
    response
}

/// The JSON API's routes, with their caching and CORS layer.
fn api_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(api::openapi_json))
        .route("/api/daily_papers", get(api::hf::daily_papers))
        .route("/api/papers/search", get(api::hf::search))
        .route("/api/papers/{*id}", get(api::hf::paper))
        .route("/api/v1/papers", post(api::papers::submit))
        .route(
            "/api/v1/papers/{*rest}",
            get(api::papers::get).post(api::papers::post).put(api::papers::put).delete(api::papers::delete),
        )
        .route("/api/v1/search", get(api::search::search))
        .route("/api/v1/users/{name}", get(api::users::profile))
        .route("/api/v1/me", get(api::users::me))
        .route("/api/v1/me/export", get(api::users::me_export))
        .route("/api/v1/me/recommendations", get(pages::for_you::api))
        .route("/api/v1/export/papers", get(api::users::export_papers))
        .layer(axum::middleware::from_fn_with_state(state, api::http::layer))
}

async fn not_found() -> AppError {
    AppError::not_found("page")
}

/// `GET /healthz`: 200 `ok` when the database answers.
async fn healthz(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let store = state.store().clone();
    let papers = state.blocking(move || store.count_papers()).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], format!("ok\npapers {papers}\n")))
}

/// `GET /metrics`.
async fn metrics_text(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let store = state.store().clone();
    let engine = state.search().clone();
    let (papers, backlog) = state
        .blocking(move || -> Result<(u64, u64), AppError> { Ok((store.count_papers()?, engine.embedding_backlog()?)) })
        .await?;
    let vectors = state.search().vector_count() as f64;
    let text = state.metrics().render(&[
        ("papertide_papers", "Papers in the database.", papers as f64),
        ("papertide_embedding_backlog", "Papers waiting to be embedded.", backlog as f64),
        ("papertide_vectors", "Vectors in the search index.", vectors),
    ]);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text))
}

/// Serves `router(state)` on `addr` until `shutdown` completes; returns the bound address
/// through `bound` first (useful with port 0).
pub async fn serve(
    addr: SocketAddr,
    state: AppState,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    bound(listener.local_addr()?);
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
