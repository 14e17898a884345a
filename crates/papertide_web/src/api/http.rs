//! HTTP caching, rate limits and CORS for the read endpoints of the JSON API (`/api/...`,
//! `/openapi.json`).
//!
//! - Each client IP address may make `[web] api_per_minute` requests a minute (default 600);
//!   beyond that: `429` with `Retry-After` and a JSON error.
//! - Calls made with a token (`Authorization`) get `Cache-Control: private, no-cache` instead,
//!   and every answer `Vary: Authorization`.
//! - Every successful `GET` answer gets a strong `ETag` (SHA-256 of the body) and
//!   `Cache-Control: public, max-age=30` (feeds move with votes; thirty seconds is what a
//!   polling script can live with). A request whose `If-None-Match` names the current ETag gets
//!   `304 Not Modified` without a body.
//! - CORS is off by default. With `[web] cors_origins = ["https://lab.example"]` (or `["*"]`),
//!   a request from a listed `Origin` gets `Access-Control-Allow-Origin` and `Vary: Origin`,
//!   and a preflight `OPTIONS` is answered with the allowed methods and headers.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};

use crate::ratelimit::client_ip;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::Digest;

use super::ApiError;
use crate::state::AppState;

/// Largest body given an ETag (bigger ones are passed through untouched).
const MAX_TAGGED_BODY: usize = 8 * 1024 * 1024;

/// How long clients and proxies may reuse an API answer.
pub const CACHE_CONTROL: &str = "public, max-age=30";

/// `Cache-Control` of answers to calls made with a token.
pub const PRIVATE_CACHE_CONTROL: &str = "private, no-cache";

/// The `Access-Control-Allow-Origin` value for `origin`, if it is allowed.
fn allowed_origin(state: &AppState, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
    let origins = &state.config().cors_origins;
    let origin = origin?;
    if origins.iter().any(|o| o == "*") {
        return Some(HeaderValue::from_static("*"));
    }
    let text = origin.to_str().ok()?;
    origins.iter().any(|o| o.eq_ignore_ascii_case(text)).then(|| origin.clone())
}

/// Middleware for the API routes: ETag / 304, Cache-Control, CORS.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let cors = allowed_origin(&state, request.headers().get(header::ORIGIN));
    if request.method() == Method::OPTIONS {
        let allow = HeaderValue::from_static(super::papers::allowed_methods(request.uri().path()));
        let mut response = StatusCode::NO_CONTENT.into_response();
        response.headers_mut().insert(header::ALLOW, allow.clone());
        if let Some(origin) = cors {
            let h = response.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, allow);
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            h.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        return response;
    }
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(peer) = peer {
        let ip = client_ip(peer, request.headers(), &state.config().trusted_proxies).to_string();
        if let Err(e) = state.rate_limit("api", &ip, state.config().api_per_minute).await {
            let mut limited = ApiError(e).into_response();
            if let Some(origin) = cors {
                limited.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            }
            return limited;
        }
    }
    let is_get = request.method() == Method::GET;
    let private = request.headers().contains_key(header::AUTHORIZATION);
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let mut response = next.run(request).await;
    if let Some(origin) = cors {
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        response.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if !is_get || response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TAGGED_BODY).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "API body too large or unreadable for an ETag");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let digest = sha2::Sha256::digest(&bytes);
    let tag = format!("\"{}\"", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
    if let Ok(v) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    // An answer to a token may hold the owner's data: only their own client may keep it.
    let cache_control = if private { PRIVATE_CACHE_CONTROL } else { CACHE_CONTROL };
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    parts.headers.append(header::VARY, HeaderValue::from_static("Authorization"));
    let matches = if_none_match.as_ref().and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').map(str::trim).any(|t| t == tag || t == "*" || t.strip_prefix("W/") == Some(&tag))
    });
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}
