//! The search page (`/search?q=…`, also `/papers?q=…`): hits with the title and the full
//! abstract, matched words highlighted, filters (category, dates), the hybrid / keyword /
//! semantic switch and paging.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{html, Markup};
use papertide_search::engine::{Mode, SearchRequest, SearchResponse};
use papertide_search::keyword::{Filters, Highlighted, Highlighter};
use serde::Deserialize;

use crate::cache::Lookup;
use crate::error::AppError;
use crate::layout::{self, page, Shell};
use crate::session::Viewer;
use crate::state::AppState;

/// Most pages one may page to.
const MAX_PAGE: usize = 50;

/// Query parameters of the search page.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    /// The query.
    #[serde(default)]
    pub q: String,
    /// `hybrid` (default), `keyword` or `semantic`.
    #[serde(default)]
    pub mode: Option<String>,
    /// A category (`cs.LG`) or archive (`cs`).
    #[serde(default)]
    pub category: Option<String>,
    /// First day, `YYYY-MM-DD`.
    #[serde(default)]
    pub since: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default)]
    pub until: Option<String>,
    /// Page number from 1.
    #[serde(default)]
    pub page: Option<usize>,
}

fn day(field: &str, value: &Option<String>) -> Result<Option<NaiveDate>, AppError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::bad_request(format!("`{field}` must be a date like 2026-01-31, not `{v}`"))),
    }
}

impl SearchParams {
    /// The engine request for this page.
    pub fn request(&self, page_size: usize) -> Result<SearchRequest, AppError> {
        let mode = match self.mode.as_deref().filter(|m| !m.is_empty()) {
            None => Mode::Hybrid,
            Some(m) => m.parse().map_err(|e: String| AppError::bad_request(format!("`mode`: {e}")))?,
        };
        let page = self.page.unwrap_or(1).clamp(1, MAX_PAGE);
        let filters = Filters {
            categories: self.category.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect(),
            since: day("since", &self.since)?.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()),
            until: day("until", &self.until)?.and_then(|d| d.and_hms_opt(23, 59, 59)).map(|t| t.and_utc()),
            author: None,
        };
        Ok(SearchRequest {
            text: self.q.clone(),
            mode,
            filters,
            limit: page_size,
            offset: (page - 1) * page_size,
            typing: false,
        })
    }

    fn link(&self, page: usize) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("q", self.q.clone())];
        for (k, v) in
            [("mode", &self.mode), ("category", &self.category), ("since", &self.since), ("until", &self.until)]
        {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                pairs.push((k, v.clone()));
            }
        }
        pairs.push(("page", page.to_string()));
        format!("/search?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    }
}

/// `GET /search` and `GET /papers?q=`.
pub async fn search_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<SearchParams>,
) -> Result<Response, AppError> {
    let size = state.config().search_page_size;
    let request = params.request(size)?;
    let response = if params.q.trim().is_empty() { None } else { Some(cached_search(&state, &request).await?) };
    // A query that is exactly one paper's id or URL opens that paper.
    if let Some(r) = response.as_deref().map(|a| &a.response) {
        if r.hits.len() == 1
            && params.q.trim().parse::<papertide_core::PaperId>().is_ok_and(|id| id == r.hits[0].paper.id)
        {
            return Ok(Redirect::to(&layout::paper_path(&r.hits[0].paper)).into_response());
        }
    }
    let title =
        if params.q.trim().is_empty() { "Search".to_string() } else { format!("{} – search", params.q.trim()) };
    let shell = Shell { title: &title, viewer: &viewer, query: &params.q, description: None };
    Ok(page(&shell, body(&params, &request, response.as_deref(), size)).into_response())
}

/// A search answer with its hits' highlighted title and abstract (the same for every viewer,
/// and most of a results page's CPU time: every word of twenty abstracts is stemmed).
#[derive(Debug)]
pub struct Answer {
    /// The engine's response.
    pub response: SearchResponse,
    /// Per hit, in order: escaped HTML with the query's words marked.
    pub highlighted: Vec<Highlighted>,
}

/// The answer to `request`, from the search cache when fresh (60 s: a repeated query, or a
/// reload, costs no query embedding, index work or highlighting).
pub async fn cached_search(state: &AppState, request: &SearchRequest) -> Result<Arc<Answer>, AppError> {
    // The request's Debug form names every field, so it is a complete key.
    let key = format!("{request:?}");
    // Kept per index version: a paper is findable as soon as this replica has indexed it.
    let version = state.search().version();
    if let Lookup::Fresh(answer) | Lookup::Stale(answer) = state.caches().search.lookup(&key, version) {
        return Ok(answer);
    }
    let engine = state.search().clone();
    let req = request.clone();
    let answer = state
        .blocking(move || -> Result<Answer, AppError> {
            let response = engine.search(&req)?;
            let highlighter = Highlighter::new(&req.text);
            let highlighted = response
                .hits
                .iter()
                .map(|h| highlighter.highlight_paper(&h.paper.title, &h.paper.abstract_text))
                .collect();
            Ok(Answer { response, highlighted })
        })
        .await?;
    let answer = Arc::new(answer);
    state.caches().search.put(key, version, answer.clone());
    Ok(answer)
}

fn body(params: &SearchParams, request: &SearchRequest, answer: Option<&Answer>, size: usize) -> Markup {
    let page_no = request.offset / size.max(1) + 1;
    let mode = request.mode;
    html! {
        h1 { "Search papers" }
        form.filters method="get" action="/search" aria-label="Search filters" {
            div { label for="q" { "Query" } input #q type="search" name="q" value=(params.q) size="40"; }
            div {
                label for="mode" { "Mode" }
                select #mode name="mode" {
                    @for (value, label) in [("hybrid", "Hybrid"), ("keyword", "Keyword"), ("semantic", "Semantic")] {
                        option value=(value) selected[format!("{mode:?}").eq_ignore_ascii_case(value)] { (label) }
                    }
                }
            }
            div { label for="category" { "Category" } input #category name="category" placeholder="cs.LG or cs" value=(params.category.as_deref().unwrap_or("")) size="10"; }
            div { label for="since" { "From" } input #since type="date" name="since" value=(params.since.as_deref().unwrap_or("")); }
            div { label for="until" { "To" } input #until type="date" name="until" value=(params.until.as_deref().unwrap_or("")); }
            div { button type="submit" { "Search" } }
        }
        @match answer {
            None => p.muted { "Type words, a question (\"why does softmax collapse in low precision\"), a \"quoted phrase\", or an arXiv id." }
            Some(a) => {
                @let r = &a.response;
                @if let Some(notice) = &r.notice { p.notice role="status" { (notice) } }
                @if r.hits.is_empty() {
                    p { "No papers match. Try fewer words, another mode, or fewer filters." }
                } @else {
                    p.muted { "Results " (request.offset + 1) "–" (request.offset + r.hits.len()) " · " (format!("{:?}", r.mode).to_lowercase()) " search" }
                    (hits(a))
                    nav.pager aria-label="Pages" {
                        @if page_no > 1 { a rel="prev" href=(params.link(page_no - 1)) { "← Previous" } } @else { span {} }
                        @if r.hits.len() == size && page_no < MAX_PAGE { a rel="next" href=(params.link(page_no + 1)) { "Next →" } }
                    }
                }
            }
        }
    }
}

fn hits(a: &Answer) -> Markup {
    html! {
        ol.cards {
            @for (hit, h) in a.response.hits.iter().zip(&a.highlighted) {
                @let p = &hit.paper;
                li.card {
                    div.body {
                        h2.tex { a href=(layout::paper_path(p)) { (layout::trusted(&h.title_html)) } }
                        div.authors { (layout::authors(p, 8)) }
                        div.meta {
                            span { (p.id) }
                            span { (layout::day(p.published)) }
                            @if let Some(c) = p.primary_category() { span.pill { (c) } }
                        }
                        p.abstract.tex { (layout::trusted(&h.abstract_html)) }
                    }
                }
            }
        }
    }
}
