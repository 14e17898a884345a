//! Hugging Face Hub compatible paper endpoints, in the shapes `huggingface_hub`'s `PaperInfo`
//! parses (see its `hf_api.py`: `list_daily_papers`, `list_papers`, `paper_info`; `read_paper`
//! is `/papers/{id}.md`, served by [`crate::pages::paper`]).
//!
//! - `GET /api/daily_papers?date=|week=|month=&submitter=&sort=publishedAt|trending&p=&limit=`:
//!   one page (`p` from 0, `limit` default 50, at most 100) of the feed of that window (the
//!   narrowest given; default: the latest day with papers), as items `{paper: {…},
//!   publishedAt, title, summary, upvotes, numComments, submittedBy}`. No `sort` ranks by
//!   upvotes; `publishedAt` is newest first.
//! - `GET /api/papers/search?q=&limit=`: hybrid search, items `{paper: {…}, title, summary, …}`.
//! - `GET /api/papers/{id}`: one paper, flat (`{id, authors, publishedAt, title, summary,
//!   upvotes, numComments, discussionId, submittedOnDailyAt, submittedOnDailyBy}`); 400 for a
//!   malformed id, 404 for an unknown one (with the Hub's `X-Error-Code: EntryNotFound`).
//!
//! Times are written as the Hub writes them (`2026-03-05T00:00:00.000Z`), which is the only
//! format the client parses.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use papertide_core::{Community, FeedItem, FeedQuery, FeedSort, FeedWindow, Paper, PaperId, UserName};

use crate::pages::feed::WindowKind;
use papertide_search::engine::{Mode, SearchRequest};
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiQuery};
use crate::error::AppError;
use crate::state::AppState;

/// Items per page of `/api/daily_papers` when `limit` is not given (as on the Hub).
pub const DEFAULT_LIMIT: usize = 50;
/// Hits of `/api/papers/search` when `limit` is not given.
pub const DEFAULT_SEARCH_LIMIT: usize = 20;
/// Most items per page.
pub const MAX_LIMIT: usize = 100;
/// Most pages one may skip to with `p`.
pub const MAX_PAGE: usize = 100;

/// A time as the Hub writes it.
fn hub_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A paper author.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HubAuthor {
    /// The name as printed on the paper.
    pub name: String,
    /// Always false: papertide hides no author.
    pub hidden: bool,
}

/// A user, as the Hub describes submitters.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HubUser {
    /// The user name.
    pub user: String,
    /// Display name (the user name: papertide keeps no other).
    pub fullname: String,
    /// No avatars here: empty.
    pub avatar_url: String,
    /// `user`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
}

impl HubUser {
    fn named(name: &str) -> HubUser {
        HubUser { user: name.to_string(), fullname: name.to_string(), avatar_url: String::new(), kind: "user" }
    }
}

/// A paper object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HubPaper {
    /// The arXiv id (or papertide's id for other papers).
    pub id: String,
    /// Authors in order.
    pub authors: Vec<HubAuthor>,
    /// First publication (version 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// Title.
    pub title: String,
    /// Abstract.
    pub summary: String,
    /// Upvotes on this site.
    pub upvotes: i64,
    /// Visible comments on this site.
    pub num_comments: i64,
    /// The id of its comment thread (the paper id: one thread per paper).
    pub discussion_id: String,
    /// When it was first put on the daily feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_at: Option<String>,
    /// Who put it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_by: Option<HubUser>,
    /// Code repository, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_repo: Option<String>,
}

impl HubPaper {
    fn new(p: &Paper, c: &Community) -> HubPaper {
        HubPaper {
            id: p.id.to_string(),
            authors: p.authors.iter().map(|a| HubAuthor { name: a.clone(), hidden: false }).collect(),
            published_at: p.published.map(hub_time),
            title: p.title.clone(),
            summary: p.abstract_text.clone(),
            upvotes: c.upvotes,
            num_comments: c.comment_count,
            discussion_id: p.id.to_string(),
            submitted_on_daily_at: c.submitted_at.map(hub_time),
            submitted_on_daily_by: c.submitted_by.as_deref().map(HubUser::named),
            github_repo: p.links.code.clone(),
        }
    }
}

/// An item of a list: the paper, and its feed facts at the top level (as the Hub lists them).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HubItem {
    /// The paper.
    pub paper: HubPaper,
    /// On `/api/daily_papers`: when it was submitted to this feed day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// Title.
    pub title: String,
    /// Abstract.
    pub summary: String,
    /// Upvotes.
    pub upvotes: i64,
    /// Visible comments.
    pub num_comments: i64,
    /// On `/api/daily_papers`: who submitted it (absent when an admin featured it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<HubUser>,
    /// Elsewhere: when it was first put on a daily feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_at: Option<String>,
    /// Elsewhere: who put it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_by: Option<HubUser>,
}

impl HubItem {
    /// The item of `paper`, with its title, abstract and counts repeated at the top.
    fn of(paper: HubPaper) -> HubItem {
        HubItem {
            published_at: None,
            title: paper.title.clone(),
            summary: paper.summary.clone(),
            upvotes: paper.upvotes,
            num_comments: paper.num_comments,
            submitted_by: None,
            submitted_on_daily_at: None,
            submitted_on_daily_by: None,
            paper,
        }
    }

    fn daily(item: &FeedItem) -> HubItem {
        let community = Community {
            submitted_at: Some(item.submitted_at),
            submitted_by: item.submitted_by.as_ref().map(|u| u.to_string()),
            upvotes: item.upvotes,
            comment_count: item.comment_count,
        };
        HubItem {
            published_at: Some(hub_time(item.submitted_at)),
            submitted_by: community.submitted_by.as_deref().map(HubUser::named),
            ..HubItem::of(HubPaper::new(&item.paper, &community))
        }
    }

    fn found(p: &Paper, c: &Community) -> HubItem {
        let paper = HubPaper::new(p, c);
        HubItem {
            submitted_on_daily_at: paper.submitted_on_daily_at.clone(),
            submitted_on_daily_by: c.submitted_by.as_deref().map(HubUser::named),
            ..HubItem::of(paper)
        }
    }
}

/// Query parameters of `/api/daily_papers`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyParams {
    /// A day, `YYYY-MM-DD` (years 1000 to 9999). Of `date`, `week` and `month`, the narrowest
    /// given wins.
    #[param(format = Date, pattern = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub date: Option<String>,
    /// An ISO week, `YYYY-Www`.
    #[param(pattern = r"^[1-9][0-9]{3}-W(0[1-9]|[1-4][0-9]|5[0-2])$")]
    pub week: Option<String>,
    /// A month, `YYYY-MM`.
    #[param(pattern = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
    /// Only papers submitted by this user.
    #[param(pattern = r"^[A-Za-z][A-Za-z0-9_-]{2,31}$")]
    pub submitter: Option<String>,
    /// `publishedAt` (newest submission first) or `trending`; absent: most upvoted first.
    #[param(pattern = r"^(publishedAt|trending)$")]
    pub sort: Option<String>,
    /// Page number from 0.
    #[param(maximum = 100)]
    pub p: Option<usize>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// The path of `/api/papers/{id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PaperPath {
    /// An arXiv id: `2401.01234`, `0704.0001`, `hep-th/9901001`, optionally with `arXiv:` in
    /// front and a version (`v2`) behind. (URLs and `doi:` ids are accepted too.)
    #[param(
        pattern = r"^(arXiv:)?((07(0[4-9]|1[0-2])|(0[89]|1[0-3])(0[1-9]|1[0-2])|14(0[1-9]|1[0-2]))\.[0-9]{4}|(1[5-9]|[2-9][0-9])(0[1-9]|1[0-2])\.[0-9]{5}|[a-z][a-z-]{0,14}[a-z]/[0-9]{2}(0[1-9]|1[0-2])[0-9]{3})(v[1-9][0-9]{0,2})?$"
    )]
    pub id: String,
}

/// `limit` checked against 1..=[`MAX_LIMIT`], `default` when absent.
fn checked_limit(limit: Option<usize>, default: usize) -> Result<usize, AppError> {
    match limit.unwrap_or(default) {
        n @ 1..=MAX_LIMIT => Ok(n),
        n => Err(AppError::bad_request(format!("`limit` must be between 1 and {MAX_LIMIT}, not {n}"))),
    }
}

/// `GET /api/daily_papers`.
#[utoipa::path(
    get,
    path = "/api/daily_papers",
    tag = "hub",
    summary = "One page of the daily feed (Hugging Face Hub compatible)",
    description = "Papers on the feed of a day, an ISO week or a month (at most one; default: the latest day \
        with papers), most upvoted first, or newest (`sort=publishedAt`) or trending first. `p` pages from 0.",
    params(DailyParams),
    responses(
        (status = 200, description = "The page", body = Vec<HubItem>),
        (status = 400, description = "A malformed parameter, named in the message", body = super::ErrorBody),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = super::ErrorBody),
    )
)]
pub async fn daily_papers(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<DailyParams>,
) -> Result<Json<Vec<HubItem>>, ApiError> {
    // A parameter given empty is an error, not absent (the Hub client never sends one).
    let given = |name: &str, v: &Option<String>| -> Result<Option<String>, AppError> {
        match v.as_deref().map(str::trim) {
            None => Ok(None),
            Some("") => Err(AppError::bad_request(format!("`{name}` is empty"))),
            Some(v) => Ok(Some(v.to_string())),
        }
    };
    let parse = |name: &str, value: &Option<String>, kind: WindowKind| -> Result<Option<FeedWindow>, AppError> {
        given(name, value)?
            .map(|v| {
                kind.parse(&v)
                    .ok_or_else(|| AppError::bad_request(format!("`{name}` must be {}, not `{v}`", kind.expected())))
            })
            .transpose()
    };
    // Every window given must be valid; the narrowest wins (the Hub takes one of them).
    let day = parse("date", &params.date, WindowKind::Day)?;
    let week = parse("week", &params.week, WindowKind::Week)?;
    let month = parse("month", &params.month, WindowKind::Month)?;
    let window = match day.or(week).or(month) {
        Some(w) => w,
        None => FeedWindow::Day(crate::pages::feed::latest_day(&state, false).await?),
    };
    let sort = match given("sort", &params.sort)?.as_deref() {
        None => FeedSort::Upvotes,
        Some("publishedAt") => FeedSort::Newest,
        Some("trending") => FeedSort::Trending,
        Some(other) => {
            return Err(AppError::bad_request(format!("`sort` must be publishedAt or trending, not `{other}`")).into())
        }
    };
    let submitter = match given("submitter", &params.submitter)? {
        None => None,
        Some(name) => Some(
            name.parse::<UserName>()
                .map_err(|e| AppError::bad_request(format!("`submitter` is not a user name: {e}")))?,
        ),
    };
    let limit = checked_limit(params.limit, DEFAULT_LIMIT)?;
    let page = params.p.unwrap_or(0);
    if page > MAX_PAGE {
        return Err(AppError::bad_request(format!("`p` must be at most {MAX_PAGE}, not {page}")).into());
    }
    let store = state.store().clone();
    let items = state
        .blocking(move || -> Result<Vec<FeedItem>, AppError> {
            // Pages are walked with the feed's cursors (stable under concurrent votes).
            let mut query = FeedQuery { sort, window, category: None, submitter, cursor: None, limit };
            let now = Utc::now();
            for _ in 0..page {
                let skipped = store.feed(&query, now)?;
                match skipped.next_cursor {
                    Some(cursor) => query.cursor = Some(cursor),
                    None => return Ok(Vec::new()),
                }
            }
            Ok(store.feed(&query, now)?.items)
        })
        .await?;
    Ok(Json(items.iter().map(HubItem::daily).collect()))
}

/// Query parameters of `/api/papers/search`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query.
    #[serde(default)]
    pub q: String,
    /// Most hits (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// `GET /api/papers/search`: hybrid search (keyword alone when the model is not installed).
#[utoipa::path(
    get,
    path = "/api/papers/search",
    tag = "hub",
    summary = "Search papers (Hugging Face Hub compatible)",
    description = "Hybrid keyword + semantic search, best first. An empty query gives an empty list.",
    params(SearchParams),
    responses(
        (status = 200, description = "The hits", body = Vec<HubItem>),
        (status = 400, description = "A malformed parameter", body = super::ErrorBody),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = super::ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<Vec<HubItem>>, ApiError> {
    let limit = checked_limit(params.limit, DEFAULT_SEARCH_LIMIT)?;
    if params.q.trim().is_empty() {
        return Ok(Json(Vec::new()));
    }
    let request = SearchRequest { text: params.q.clone(), mode: Mode::Hybrid, limit, ..Default::default() };
    let answer = crate::pages::search::cached_search(&state, &request).await?;
    let store = state.store().clone();
    let items = state
        .blocking(move || -> Result<Vec<HubItem>, AppError> {
            let papers = answer.response.hits.iter().map(|h| &h.paper);
            papers.map(|p| Ok(HubItem::found(p, &store.community(&p.id)?))).collect()
        })
        .await?;
    Ok(Json(items))
}

/// `GET /api/papers/{id}`.
#[utoipa::path(
    get,
    path = "/api/papers/{id}",
    tag = "hub",
    summary = "One paper (Hugging Face Hub compatible)",
    params(PaperPath),
    responses(
        (status = 200, description = "The paper", body = HubPaper),
        (status = 400, description = "Not a paper id", body = super::ErrorBody),
        (status = 404, description = "No such paper here", body = super::ErrorBody),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = super::ErrorBody),
    )
)]
pub async fn paper(State(state): State<AppState>, Path(raw): Path<String>) -> Result<Json<HubPaper>, ApiError> {
    let id: PaperId = raw
        .trim()
        .parse()
        .map_err(|e| AppError::bad_request(format!("`{raw}` is not a paper id (like 2401.01234): {e}")))?;
    let store = state.store().clone();
    let found = state
        .blocking(move || -> Result<Option<HubPaper>, AppError> {
            let Some(paper) = store.paper(&id)? else { return Ok(None) };
            Ok(Some(HubPaper::new(&paper, &store.community(&id)?)))
        })
        .await?;
    found.map(Json).ok_or_else(|| AppError::not_found(format!("paper {raw}")).into())
}
