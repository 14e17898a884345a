//! Static files compiled into the binary (`assets/`, listed by `build.rs`): the stylesheet,
//! the small script (dark-mode toggle, KaTeX start-up) and the vendored KaTeX (from npm, see
//! `scripts/vendor-katex`). Served at `/assets/...` with a long cache lifetime: URLs carry a
//! `?v=` content hash ([`url`]), so a new build never serves stale files.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

mod files {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// A hash of every asset together (computed at build time), appended to asset URLs.
pub fn version() -> &'static str {
    files::VERSION
}

/// The URL of an asset: `/assets/PATH?v=HASH`.
pub fn url(path: &str) -> String {
    format!("/assets/{path}?v={}", version())
}

/// `GET /favicon.ico`, for clients that ask before reading the page's `<link rel="icon">`.
pub async fn favicon() -> Response {
    serve(Path("favicon.svg".to_string())).await
}

/// `GET /assets/{*path}`.
pub async fn serve(Path(path): Path<String>) -> Response {
    match files::FILES.binary_search_by(|(p, _, _)| (*p).cmp(path.as_str())) {
        Ok(i) => {
            let (_, bytes, content_type) = files::FILES[i];
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                    (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
