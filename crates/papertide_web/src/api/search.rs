//! `GET /api/v1/search`: search with every option (mode, category, dates, author) and cursor
//! paging, each hit with its title and abstract highlighted.
//!
//! Answers come from the same 60-second cache as the search page
//! ([`crate::pages::search::cached_search`]). Paging reaches [`MAX_DEPTH`] hits deep: past
//! that, refine the query.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use papertide_search::engine::{Mode, SearchRequest};
use papertide_search::keyword::Filters;
use serde::{Deserialize, Serialize};

use super::papers::checked_limit;
use super::types::HitOut;
use super::{cursor, ApiError, ApiQuery, ErrorBody};
use crate::error::AppError;
use crate::state::AppState;

/// Hits per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 20;
/// Most hits per page.
pub const MAX_LIMIT: usize = 100;
/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;
/// Deepest hit a cursor reaches.
pub const MAX_DEPTH: usize = 500;

/// A `mode` parameter: absent is hybrid.
pub fn mode(text: Option<&str>) -> Result<Mode, ApiError> {
    match text.map(str::trim) {
        None => Ok(Mode::Hybrid),
        Some(m) => m.parse().map_err(|e: String| AppError::bad_request(format!("`mode`: {e}")).into()),
    }
}

/// The name of a mode on the wire.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Hybrid => "hybrid",
        Mode::Keyword => "keyword",
        Mode::Semantic => "semantic",
    }
}

/// Query parameters of `/api/v1/search`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query: words, `"phrases"`, or a paper id or URL (which finds that paper).
    #[param(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub q: String,
    /// `hybrid` (default), `keyword` or `semantic`.
    #[param(pattern = "^(hybrid|keyword|semantic)$")]
    pub mode: Option<String>,
    /// A category (`cs.LG`) or archive (`cs`).
    #[param(pattern = r"^[A-Za-z][A-Za-z0-9._-]{0,31}$")]
    pub category: Option<String>,
    /// Published on or after this day.
    #[param(format = Date, pattern = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub since: Option<String>,
    /// Published on or before this day.
    #[param(format = Date, pattern = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub until: Option<String>,
    /// Every word of this is a word of the authors' names (`Hinton`, `G. Hinton`).
    #[param(max_length = 200)]
    pub author: Option<String>,
    /// Hits per page (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page (empty: the first page).
    pub cursor: Option<String>,
}

/// A hit with its highlighting.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// The paper.
    #[serde(flatten)]
    pub hit: HitOut,
    /// The title as escaped HTML, the query's words in `<mark>`.
    pub title_html: String,
    /// The abstract as escaped HTML, the query's words in `<mark>`.
    pub abstract_html: String,
}

/// One page of search results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    /// Hits, best first.
    pub hits: Vec<SearchHit>,
    /// The mode that ran (`keyword` when the model is not installed).
    pub mode: String,
    /// Something to know, such as how to install the model.
    pub notice: Option<String>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn day(field: &str, value: &Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    match value.as_deref().map(str::trim) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::bad_request(format!("`{field}` must be a day like 2026-01-31, not `{v}`")).into()),
    }
}

/// `GET /api/v1/search`.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    operation_id = "search_papers",
    tag = "search",
    summary = "Search papers with every option and cursor paging",
    description = "Hybrid (keyword + semantic, the default), keyword or semantic search, filtered by category, \
        publication days and author. Pages follow `next_cursor`, up to 500 hits deep.",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of hits", body = SearchPage),
        (status = 400, description = "A malformed parameter, named in the message", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchPage>, ApiError> {
    let text = params.q.trim();
    if text.is_empty() {
        return Err(AppError::bad_request("`q` is empty").into());
    }
    let chars = params.q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(
            AppError::bad_request(format!("`q` is too long ({chars} characters, at most {MAX_QUERY_CHARS})")).into()
        );
    }
    let mode = mode(params.mode.as_deref())?;
    let limit = checked_limit(params.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let since = day("since", &params.since)?;
    let until = day("until", &params.until)?;
    let category = params.category.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    if let Some(c) = category.as_deref().filter(|c| !papertide_core::valid_category_filter(c)) {
        return Err(AppError::bad_request(format!(
            "`category` must be a category like cs.LG or an archive like cs, not `{c}`"
        ))
        .into());
    }
    let author = params.author.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_string);
    let print = cursor::fingerprint(&[
        text,
        mode_name(mode),
        category.as_deref().unwrap_or(""),
        params.since.as_deref().unwrap_or(""),
        params.until.as_deref().unwrap_or(""),
        author.as_deref().unwrap_or(""),
        &limit.to_string(),
    ]);
    let offset = match params.cursor.as_deref().filter(|c| !c.trim().is_empty()) {
        None => 0,
        Some(c) => cursor::decode(c, "search", &print)? as usize,
    };
    if offset >= MAX_DEPTH {
        return Err(AppError::bad_request(format!("`cursor` goes past the {MAX_DEPTH}th hit")).into());
    }
    let filters = Filters {
        categories: category.into_iter().collect(),
        since: since.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()),
        until: until.and_then(|d| d.and_hms_opt(23, 59, 59)).map(|t| t.and_utc()),
        author,
    };
    // One more than asked tells whether there is a next page.
    let request = SearchRequest { text: text.to_string(), mode, filters, limit: limit + 1, offset, typing: false };
    let answer = crate::pages::search::cached_search(&state, &request).await?;
    let response = &answer.response;
    let more = response.hits.len() > limit && offset + limit < MAX_DEPTH;
    let hits = response
        .hits
        .iter()
        .zip(&answer.highlighted)
        .take(limit)
        .map(|(h, hl)| SearchHit {
            hit: HitOut::new(h),
            title_html: hl.title_html.clone(),
            abstract_html: hl.abstract_html.clone(),
        })
        .collect();
    Ok(Json(SearchPage {
        hits,
        mode: mode_name(response.mode).to_string(),
        notice: response.notice.clone(),
        next_cursor: more.then(|| cursor::encode("search", (offset + limit) as u64, &print)),
    }))
}
