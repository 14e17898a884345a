//! Papers in papertide's own API (`/api/v1/papers…`): one paper with its counts, submitting a
//! paper to today's feed, upvotes, comments (cursor paged) and similar papers.
//!
//! Paper ids may hold a slash (`hep-th/9901001`), so one wildcard route per method takes
//! `/api/v1/papers/{*rest}` and [`split`] tells the paper from the sub-resource (`/comments`,
//! `/similar`, `/upvote`); each handler below carries its own OpenAPI path. Writes need a
//! `write` token ([`super::auth`]) and count against `[web] posts_per_minute` per user.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use papertide_core::{ArxivId, Comment, CommentBody, PaperId, SubmitOutcome, TokenScope, User};
use papertide_search::keyword::Filters;
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::types::{CommentOut, HitOut, PaperOut};
use super::{cursor, ApiError, ApiJson, ErrorBody};
use crate::error::AppError;
use crate::state::AppState;

/// Comments per page when `limit` is not given.
pub const DEFAULT_COMMENTS: usize = 50;
/// Most comments per page.
pub const MAX_COMMENTS: usize = 200;
/// Similar papers when `limit` is not given.
pub const DEFAULT_SIMILAR: usize = 10;
/// Most similar papers.
pub const MAX_SIMILAR: usize = 100;

/// What a `/api/v1/papers/{*rest}` path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    Paper,
    Comments,
    Similar,
    Upvote,
}

/// The paper id and sub-resource of a wildcard path.
fn split(rest: &str) -> Result<(PaperId, Sub), ApiError> {
    let (id, sub) = match rest.rsplit_once('/') {
        Some((id, "comments")) => (id, Sub::Comments),
        Some((id, "similar")) => (id, Sub::Similar),
        Some((id, "upvote")) => (id, Sub::Upvote),
        _ => (rest, Sub::Paper),
    };
    let id = id.trim().parse().map_err(|e| {
        AppError::bad_request(format!("`{id}` is not a paper id (like 2401.01234 or hep-th/9901001): {e}"))
    })?;
    Ok((id, sub))
}

/// The query of `uri` as `T`, or a `400` naming the parameter.
fn query<T: serde::de::DeserializeOwned>(uri: &Uri) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| AppError::bad_request(format!("query parameters: {}", e.body_text())).into())
}

/// `limit` checked against `1..=max`, `default` when absent.
pub fn checked_limit(limit: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    match limit.unwrap_or(default) {
        n if (1..=max).contains(&n) => Ok(n),
        n => Err(AppError::bad_request(format!("`limit` must be between 1 and {max}, not {n}")).into()),
    }
}

/// `GET /api/v1/papers/{*rest}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(rest): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (id, sub) = split(&rest)?;
    match sub {
        Sub::Paper => paper(state, id).await.map(IntoResponse::into_response),
        Sub::Comments => comments(state, id, query(&uri)?).await.map(IntoResponse::into_response),
        Sub::Similar => similar(state, id, query(&uri)?).await.map(IntoResponse::into_response),
        Sub::Upvote => upvote_state(state, caller, id).await.map(IntoResponse::into_response),
    }
}

/// `POST /api/v1/papers/{*rest}`: only `/comments`.
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    Path(rest): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    match split(&rest)? {
        (id, Sub::Comments) => {
            let body: CommentIn =
                serde_json::from_slice(&body).map_err(|e| AppError::bad_request(format!("request body: {e}")))?;
            add_comment(state, caller, id, body).await.map(IntoResponse::into_response)
        }
        (_, sub) => Err(method_not_allowed(sub)),
    }
}

/// `PUT /api/v1/papers/{*rest}`: only `/upvote`.
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(rest): Path<String>,
) -> Result<Json<VoteOut>, ApiError> {
    match split(&rest)? {
        (id, Sub::Upvote) => vote(state, caller, id, true).await,
        (_, sub) => Err(method_not_allowed(sub)),
    }
}

/// `DELETE /api/v1/papers/{*rest}`: only `/upvote`.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(rest): Path<String>,
) -> Result<Json<VoteOut>, ApiError> {
    match split(&rest)? {
        (id, Sub::Upvote) => vote(state, caller, id, false).await,
        (_, sub) => Err(method_not_allowed(sub)),
    }
}

/// The methods a path of the API answers, for `Allow` (answers to `OPTIONS` and `405`s).
pub fn allowed_methods(path: &str) -> &'static str {
    match path.strip_prefix("/api/v1/papers") {
        Some("" | "/") => "POST",
        Some(rest) => rest.strip_prefix('/').and_then(|r| split(r).ok()).map_or("GET", |(_, sub)| sub.allow()),
        None => "GET",
    }
}

impl Sub {
    /// The methods this kind of path answers.
    fn allow(self) -> &'static str {
        match self {
            Sub::Paper | Sub::Similar => "GET",
            Sub::Comments => "GET, POST",
            Sub::Upvote => "GET, PUT, DELETE",
        }
    }
}

fn method_not_allowed(sub: Sub) -> ApiError {
    AppError::MethodNotAllowed { allow: sub.allow() }.into()
}

/// The owner of a `write` token, counted against the per-user post limit.
async fn writer(state: &AppState, caller: &Caller) -> Result<User, ApiError> {
    let user = caller.require(TokenScope::Write)?.clone();
    state.rate_limit("post", &user.id.0.to_string(), state.config().posts_per_minute).await?;
    Ok(user)
}

/// `GET /api/v1/papers/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/papers/{id}",
    operation_id = "get_paper",
    tag = "papers",
    summary = "One paper with its upvotes and comment count",
    params(super::hf::PaperPath),
    responses(
        (status = 200, description = "The paper", body = PaperOut),
        (status = 400, description = "Not a paper id", body = ErrorBody),
        (status = 404, description = "No such paper here", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn paper(state: AppState, id: PaperId) -> Result<Json<PaperOut>, ApiError> {
    let store = state.store().clone();
    let base = state.config().base_url.clone();
    let found = state
        .blocking(move || -> Result<Option<PaperOut>, AppError> {
            let Some(paper) = store.paper(&id)? else { return Ok(None) };
            Ok(Some(PaperOut::new(&paper, &store.community(&id)?, &base)))
        })
        .await?;
    found.map(Json).ok_or_else(|| AppError::not_found("paper").into())
}

/// The body of `POST /api/v1/papers`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitIn {
    /// An arXiv id or URL (`2401.01234`, `https://arxiv.org/abs/2401.01234v2`).
    pub id: String,
}

/// The answer to a submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmitOut {
    /// `submitted`.
    #[schema(value_type = String)]
    pub outcome: &'static str,
    /// The paper, as it now stands.
    pub paper: PaperOut,
}

/// `POST /api/v1/papers`.
#[utoipa::path(
    post,
    path = "/api/v1/papers",
    operation_id = "submit_paper",
    tag = "papers",
    summary = "Submit a paper to today's feed",
    description = "Puts an arXiv paper on today's feed as the token's owner, fetching it from arXiv first when \
        it is not in the database. Needs a `write` token.",
    request_body = SubmitIn,
    security(("token" = ["write"])),
    responses(
        (status = 201, description = "Submitted", body = SubmitOut),
        (status = 400, description = "Not an arXiv id, or a malformed body", body = ErrorBody),
        (status = 401, description = "No token, or an invalid one", body = ErrorBody),
        (status = 403, description = "A `read` token", body = ErrorBody),
        (status = 404, description = "arXiv has no such paper", body = ErrorBody),
        (status = 409, description = "Already on today's feed", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
        (status = 503, description = "arXiv could not be reached", body = ErrorBody),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SubmitIn>,
) -> Result<(StatusCode, Json<SubmitOut>), ApiError> {
    let user = writer(&state, &caller).await?;
    let arxiv: ArxivId = body.id.trim().parse().map_err(|e| {
        AppError::bad_request(format!("`id`: `{}` is not an arXiv id or URL (like 2401.01234): {e}", body.id.trim()))
    })?;
    let id = PaperId::arxiv(&arxiv.without_version());
    match crate::pages::submit::submit_paper(&state, user.id, &arxiv).await? {
        Some(SubmitOutcome::Submitted) => {
            let Json(paper) = paper(state, id).await?;
            Ok((StatusCode::CREATED, Json(SubmitOut { outcome: "submitted", paper })))
        }
        Some(SubmitOutcome::AlreadyOnFeed { by }) => {
            let who = by.map(|b| format!(" by {b}")).unwrap_or_default();
            Err(AppError::Conflict { message: format!("{id} is already on today's feed (submitted{who})") }.into())
        }
        None => Err(AppError::not_found(format!("arXiv paper {id}")).into()),
    }
}

/// Whether the caller upvoted a paper, and its upvotes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VoteOut {
    /// The paper id.
    pub paper: String,
    /// True when the token's owner has upvoted it.
    pub upvoted: bool,
    /// Its upvotes now.
    pub upvotes: i64,
}

/// `GET /api/v1/papers/{id}/upvote`.
#[utoipa::path(
    get,
    path = "/api/v1/papers/{id}/upvote",
    operation_id = "get_upvote",
    tag = "papers",
    summary = "Whether the token's owner upvoted a paper",
    params(super::hf::PaperPath),
    security(("token" = ["read"])),
    responses(
        (status = 200, description = "The vote", body = VoteOut),
        (status = 400, description = "Not a paper id", body = ErrorBody),
        (status = 401, description = "No token, or an invalid one", body = ErrorBody),
        (status = 404, description = "No such paper here", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn upvote_state(state: AppState, caller: Caller, id: PaperId) -> Result<Json<VoteOut>, ApiError> {
    let user = caller.require(TokenScope::Read)?.id;
    let store = state.store().clone();
    let out = state
        .blocking(move || -> Result<VoteOut, AppError> {
            if store.paper(&id)?.is_none() {
                return Err(AppError::not_found("paper"));
            }
            let upvoted = store.has_upvoted(user, std::slice::from_ref(&id))?.contains(&id);
            Ok(VoteOut { upvotes: store.community(&id)?.upvotes, paper: id.to_string(), upvoted })
        })
        .await?;
    Ok(Json(out))
}

/// `PUT` / `DELETE /api/v1/papers/{id}/upvote`: idempotent.
#[utoipa::path(
    put,
    path = "/api/v1/papers/{id}/upvote",
    operation_id = "upvote",
    tag = "papers",
    summary = "Upvote a paper (again: no change)",
    params(super::hf::PaperPath),
    security(("token" = ["write"])),
    responses(
        (status = 200, description = "Upvoted", body = VoteOut),
        (status = 400, description = "Not a paper id", body = ErrorBody),
        (status = 401, description = "No token, or an invalid one", body = ErrorBody),
        (status = 403, description = "A `read` token", body = ErrorBody),
        (status = 404, description = "No such paper here", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn vote(state: AppState, caller: Caller, id: PaperId, up: bool) -> Result<Json<VoteOut>, ApiError> {
    let user = writer(&state, &caller).await?.id;
    let store = state.store().clone();
    let out = state
        .blocking(move || -> Result<VoteOut, AppError> {
            if store.paper(&id)?.is_none() {
                return Err(AppError::not_found("paper"));
            }
            if up {
                store.upvote(user, &id, Utc::now())?;
            } else {
                store.remove_upvote(user, &id)?;
            }
            Ok(VoteOut { upvotes: store.community(&id)?.upvotes, paper: id.to_string(), upvoted: up })
        })
        .await?;
    Ok(Json(out))
}

/// The `DELETE` twin of [`vote`], for the OpenAPI document.
#[utoipa::path(
    delete,
    path = "/api/v1/papers/{id}/upvote",
    operation_id = "remove_upvote",
    tag = "papers",
    summary = "Take an upvote back (none: no change)",
    params(super::hf::PaperPath),
    security(("token" = ["write"])),
    responses(
        (status = 200, description = "Not upvoted", body = VoteOut),
        (status = 400, description = "Not a paper id", body = ErrorBody),
        (status = 401, description = "No token, or an invalid one", body = ErrorBody),
        (status = 403, description = "A `read` token", body = ErrorBody),
        (status = 404, description = "No such paper here", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn unvote_doc() {}

/// Query parameters of the comment list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommentParams {
    /// `next_cursor` of the previous page (empty: the first page).
    pub cursor: Option<String>,
    /// Comments per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// One page of a paper's comments, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommentPage {
    /// The comments.
    pub comments: Vec<CommentOut>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/papers/{id}/comments`.
#[utoipa::path(
    get,
    path = "/api/v1/papers/{id}/comments",
    operation_id = "list_comments",
    tag = "papers",
    summary = "A paper's comments, oldest first, cursor paged",
    description = "Hidden and deleted comments keep their place in the thread, flagged, without a body.",
    params(super::hf::PaperPath, CommentParams),
    responses(
        (status = 200, description = "One page", body = CommentPage),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 404, description = "No such paper here", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn comments(state: AppState, id: PaperId, params: CommentParams) -> Result<Json<CommentPage>, ApiError> {
    let limit = checked_limit(params.limit, DEFAULT_COMMENTS, MAX_COMMENTS)?;
    let print = cursor::fingerprint(&[id.as_str()]);
    let after = params
        .cursor
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| cursor::decode(c, "comments", &print))
        .transpose()?
        .unwrap_or(0);
    let store = state.store().clone();
    let all = state
        .blocking(move || -> Result<Vec<Comment>, AppError> {
            if store.paper(&id)?.is_none() {
                return Err(AppError::not_found("paper"));
            }
            Ok(store.comments(&id)?)
        })
        .await?;
    let mut page: Vec<&Comment> = all.iter().filter(|c| c.id.0 as u64 > after).take(limit + 1).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next_cursor = more.then(|| page.last().map(|c| cursor::encode("comments", c.id.0 as u64, &print))).flatten();
    Ok(Json(CommentPage { comments: page.into_iter().map(CommentOut::new).collect(), next_cursor }))
}

/// The body of a new comment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    /// Markdown (a safe subset; raw HTML is shown as text), 1 to 10,000 characters, not all
    /// blank, no control characters but tabs and line breaks.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub body: String,
}

/// `POST /api/v1/papers/{id}/comments`.
#[utoipa::path(
    post,
    path = "/api/v1/papers/{id}/comments",
    operation_id = "add_comment",
    tag = "papers",
    summary = "Comment on a paper",
    params(super::hf::PaperPath),
    request_body = CommentIn,
    security(("token" = ["write"])),
    responses(
        (status = 201, description = "The new comment", body = CommentOut),
        (status = 400, description = "An empty or too long body, or a malformed request", body = ErrorBody),
        (status = 401, description = "No token, or an invalid one", body = ErrorBody),
        (status = 403, description = "A `read` token", body = ErrorBody),
        (status = 404, description = "No such paper here", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn add_comment(
    state: AppState,
    caller: Caller,
    id: PaperId,
    body: CommentIn,
) -> Result<(StatusCode, Json<CommentOut>), ApiError> {
    let user = writer(&state, &caller).await?.id;
    let body = CommentBody::new(body.body).map_err(|e| AppError::bad_request(format!("`body`: {e}")))?;
    let store = state.store().clone();
    let comment = state
        .blocking(move || -> Result<Comment, AppError> {
            if store.paper(&id)?.is_none() {
                return Err(AppError::not_found("paper"));
            }
            Ok(store.add_comment(user, &id, &body, Utc::now())?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(CommentOut::new(&comment))))
}

/// Query parameters of similar papers.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// `hybrid` (default), `keyword` or `semantic`.
    #[param(pattern = "^(hybrid|keyword|semantic)$")]
    pub mode: Option<String>,
    /// Most papers (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// Similar papers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimilarOut {
    /// The papers, most similar first (never the paper itself or its other versions).
    pub hits: Vec<HitOut>,
    /// The mode that ran (`keyword` when the model is not installed).
    pub mode: String,
    /// Something to know, such as how to install the model.
    pub notice: Option<String>,
}

/// `GET /api/v1/papers/{id}/similar`.
#[utoipa::path(
    get,
    path = "/api/v1/papers/{id}/similar",
    operation_id = "similar_papers",
    tag = "papers",
    summary = "Papers similar to a paper",
    params(super::hf::PaperPath, SimilarParams),
    responses(
        (status = 200, description = "The papers", body = SimilarOut),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 404, description = "No such paper here", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn similar(state: AppState, id: PaperId, params: SimilarParams) -> Result<Json<SimilarOut>, ApiError> {
    let limit = checked_limit(params.limit, DEFAULT_SIMILAR, MAX_SIMILAR)?;
    let mode = super::search::mode(params.mode.as_deref())?;
    let engine = state.search().clone();
    let found = state.blocking(move || engine.similar(&id, mode, limit, &Filters::default())).await?;
    Ok(Json(SimilarOut {
        hits: found.hits.iter().map(HitOut::new).collect(),
        mode: super::search::mode_name(found.mode).to_string(),
        notice: found.notice,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_paths_split_into_paper_and_sub_resource() {
        let ok = |s: &str| split(s).map_err(|e| e.0.to_string()).unwrap();
        assert_eq!(ok("2401.01234"), ("2401.01234".parse().unwrap(), Sub::Paper));
        assert_eq!(ok("hep-th/9901001"), ("hep-th/9901001".parse().unwrap(), Sub::Paper));
        assert_eq!(ok("hep-th/9901001/comments"), ("hep-th/9901001".parse().unwrap(), Sub::Comments));
        assert_eq!(ok("2401.01234/similar"), ("2401.01234".parse().unwrap(), Sub::Similar));
        assert_eq!(ok("2401.01234/upvote"), ("2401.01234".parse().unwrap(), Sub::Upvote));
        assert!(split("2401.01234/nonsense").is_err());
        assert!(split("").is_err());
    }
}
