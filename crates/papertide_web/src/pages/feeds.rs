//! Syndication feeds (Atom 1.0 and RSS 2.0) of the daily papers and of saved searches:
//!
//! - `/feeds/daily.atom|.rss`: the latest feed day (the same data as `/`), best first;
//! - `/feeds/category/{cat}.atom|.rss`: the same, restricted to a category (`cs.LG`) or an
//!   archive (`cs`, `cs.*`);
//! - `/feeds/search.atom|.rss?q=…&mode=&category=`: a search as an alert, newest papers first.
//!
//! Up to [`FEED_ITEMS`] entries each. The data comes from the feed and search caches; the XML
//! is written by [`super::syndication`]. The private "For you" feed is
//! [`super::feeds_for_you`].

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use papertide_core::{FeedQuery, FeedSort, FeedWindow};
use serde::Deserialize;

pub use super::syndication::Format;
use super::syndication::{render, Channel, Entry};
use crate::error::AppError;
use crate::pages::feed::{cached_feed, latest_day};
use crate::pages::search::{cached_search, SearchParams};
use crate::state::AppState;

/// Most entries in one feed.
pub const FEED_ITEMS: usize = 50;
/// `Cache-Control` of every feed.
const CACHE_CONTROL: &str = "public, max-age=300";

/// Query parameters of the search feed (ignored by the others).
#[derive(Debug, Default, Deserialize)]
pub struct FeedSearchParams {
    /// The query (required by the search feed).
    #[serde(default)]
    pub q: String,
    /// `hybrid` (default), `keyword` or `semantic`.
    #[serde(default)]
    pub mode: Option<String>,
    /// A category (`cs.LG`) or archive (`cs`).
    #[serde(default)]
    pub category: Option<String>,
}

/// `GET /feeds/{file}`: `daily.atom`, `daily.rss`, `search.atom`, `search.rss`.
pub async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(params): Query<FeedSearchParams>,
) -> Result<Response, AppError> {
    let (name, format) = Format::split(&file).ok_or_else(|| AppError::not_found("feed"))?;
    let channel = match name {
        "daily" => daily(&state, None, &file).await?,
        "search" => search(&state, &params, &file).await?,
        _ => return Err(AppError::not_found("feed")),
    };
    Ok(respond(&state, &channel, format))
}

/// `GET /feeds/category/{file}`: `cs.LG.atom`, `cs.rss`, `cs.*.atom`.
pub async fn category(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    let (cat, format) = Format::split(&file).ok_or_else(|| AppError::not_found("feed"))?;
    let cat = valid_category(cat)?;
    let channel = daily(&state, Some(cat), &format!("category/{file}")).await?;
    Ok(respond(&state, &channel, format))
}

/// `text` when it is a category (`cs.LG`, `hep-th`) or archive (`cs`, `cs.*`), else a 400.
fn valid_category(text: &str) -> Result<String, AppError> {
    if papertide_core::valid_category_filter(text) {
        Ok(text.to_string())
    } else {
        Err(AppError::bad_request("the category must look like cs.LG, or an archive like cs"))
    }
}

/// The latest feed day's papers, best first, optionally in one category.
async fn daily(state: &AppState, category: Option<String>, file: &str) -> Result<Channel, AppError> {
    let day = latest_day(state, false).await?;
    let query = FeedQuery {
        sort: FeedSort::Upvotes,
        window: FeedWindow::Day(day),
        category: category.clone(),
        submitter: None,
        cursor: None,
        limit: FEED_ITEMS,
    };
    let page = cached_feed(state, query, false).await?;
    let midnight = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default();
    let updated = page.items.iter().map(|i| i.submitted_at).max().unwrap_or(midnight);
    let entries = page.items.iter().map(|i| Entry::new(i.paper.clone(), i.submitted_at)).collect();
    let date = day.format("%B %-d, %Y");
    let (title, html_path) = match &category {
        None => (format!("papertide: daily papers of {date}"), "/".to_string()),
        Some(c) => (format!("papertide: {c} papers of {date}"), format!("/?{}", query_string(&[("category", c)]))),
    };
    let self_path = format!("/feeds/{file}");
    Ok(Channel { title, id_path: self_path.clone(), self_path, html_path, updated, entries })
}

/// The newest papers matching a search.
async fn search(state: &AppState, params: &FeedSearchParams, file: &str) -> Result<Channel, AppError> {
    let q = params.q.trim();
    if q.is_empty() {
        return Err(AppError::bad_request("`q` is required: the search this feed follows"));
    }
    let mode = params.mode.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let category = match params.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(valid_category(c)?),
        None => None,
    };
    let search_params = SearchParams {
        q: q.to_string(),
        mode: mode.map(str::to_string),
        category: category.clone(),
        ..SearchParams::default()
    };
    let request = search_params.request(FEED_ITEMS)?;
    let answer = cached_search(state, &request).await?;
    let epoch = DateTime::<Utc>::default();
    let mut entries: Vec<Entry> = answer.response.hits.iter().map(|h| Entry::new(h.paper.clone(), epoch)).collect();
    entries.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.paper.id.cmp(&b.paper.id)));
    let updated = entries.iter().map(|e| e.updated).max().unwrap_or_else(Utc::now);
    let mut pairs = vec![("q", q)];
    pairs.extend(mode.map(|m| ("mode", m)));
    pairs.extend(category.as_deref().map(|c| ("category", c)));
    let query = query_string(&pairs);
    let self_path = format!("/feeds/{file}?{query}");
    Ok(Channel {
        title: format!("papertide: search for {q}"),
        id_path: self_path.clone(),
        self_path,
        html_path: format!("/search?{query}"),
        updated,
        entries,
    })
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The feed as a response, with its content type and caching.
fn respond(state: &AppState, channel: &Channel, format: Format) -> Response {
    let body = render(channel, format, state.config().base_url.trim_end_matches('/'));
    ([(header::CONTENT_TYPE, format.content_type()), (header::CACHE_CONTROL, CACHE_CONTROL)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_checked() {
        for ok in ["cs", "cs.LG", "cs.*", "hep-th", "math-ph", "q-bio.NC"] {
            assert!(valid_category(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".*", "1cs", "<b>", "cs LG", "cs/LG", "cs.LG;drop", &"x".repeat(40)] {
            assert!(valid_category(bad).is_err(), "{bad}");
        }
    }
}
