//! People and data export in papertide's own API: a user's public profile, the token owner's
//! own account (`/api/v1/me`) and everything they made (`/api/v1/me/export`: activity,
//! library, "not interested" marks), and the paper collection as a resumable change feed
//! (`/api/v1/export/papers`).

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use papertide_core::{SignalKind, TokenScope, UserName};
use papertide_store::UserActivity;
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::papers::checked_limit;
use super::types::{CommentOut, PaperOut, TokenOut, UserOut};
use super::{cursor, ApiError, ApiQuery, ErrorBody};
use crate::error::AppError;
use crate::state::AppState;

/// Entries of each kind on a profile.
pub const PROFILE_ENTRIES: usize = 50;
/// Entries of each kind in a personal export (all of them, in practice).
pub const EXPORT_ENTRIES: usize = 1_000_000;
/// Papers per export page when `limit` is not given.
pub const DEFAULT_EXPORT: usize = 500;
/// Most papers per export page.
pub const MAX_EXPORT: usize = 1_000;

/// A paper named in a list of activity.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaperRef {
    /// The paper id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// A paper a user put on the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmissionOut {
    /// The paper.
    pub paper: PaperRef,
    /// The feed day.
    pub feed_date: NaiveDate,
    /// When.
    pub submitted_at: DateTime<Utc>,
}

/// A paper a user upvoted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpvoteOut {
    /// The paper.
    pub paper: PaperRef,
    /// When.
    pub upvoted_at: DateTime<Utc>,
}

/// A user and what they did lately, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfileOut {
    /// The user.
    pub user: UserOut,
    /// Papers they put on the feed.
    pub submissions: Vec<SubmissionOut>,
    /// Papers they upvoted.
    pub upvoted: Vec<UpvoteOut>,
    /// Their visible comments.
    pub comments: Vec<CommentOut>,
}

impl ProfileOut {
    fn new(user: &papertide_core::User, a: &UserActivity) -> ProfileOut {
        let paper = |p: &papertide_core::Paper| PaperRef { id: p.id.to_string(), title: p.title.clone() };
        ProfileOut {
            user: UserOut::new(user),
            submissions: a
                .submissions
                .iter()
                .map(|s| SubmissionOut { paper: paper(&s.paper), feed_date: s.feed_date, submitted_at: s.submitted_at })
                .collect(),
            upvoted: a.upvoted.iter().map(|u| UpvoteOut { paper: paper(&u.paper), upvoted_at: u.upvoted_at }).collect(),
            comments: a.comments.iter().map(CommentOut::new).collect(),
        }
    }
}

/// The path of `/api/v1/users/{name}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// A user name.
    #[param(pattern = r"^[A-Za-z][A-Za-z0-9_-]{2,31}$")]
    pub name: String,
}

/// `GET /api/v1/users/{name}`.
#[utoipa::path(
    get,
    path = "/api/v1/users/{name}",
    operation_id = "user_profile",
    tag = "users",
    summary = "A user's public profile and recent activity",
    params(UserPath),
    responses(
        (status = 200, description = "The profile", body = ProfileOut),
        (status = 400, description = "Not a user name", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn profile(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<ProfileOut>, ApiError> {
    let name: UserName =
        name.parse().map_err(|e| AppError::bad_request(format!("`{name}` is not a user name: {e}")))?;
    let store = state.store().clone();
    let out = state
        .blocking(move || -> Result<ProfileOut, AppError> {
            let user = store.user_by_name(&name)?.ok_or_else(|| AppError::not_found(format!("user {name}")))?;
            Ok(ProfileOut::new(&user, &store.user_activity(user.id, PROFILE_ENTRIES)?))
        })
        .await?;
    Ok(Json(out))
}

/// The token owner's own account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeOut {
    /// The user.
    pub user: UserOut,
    /// Their e-mail address, if given.
    pub email: Option<String>,
    /// The scope of the token this call came with.
    pub scope: String,
    /// Their tokens (never the secrets).
    pub tokens: Vec<TokenOut>,
}

/// `GET /api/v1/me`.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "me",
    tag = "users",
    summary = "The token owner's account and tokens",
    security(("token" = ["read"])),
    responses(
        (status = 200, description = "The account", body = MeOut),
        (status = 401, description = "No token, or an invalid one", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<MeOut>, ApiError> {
    let user = caller.require(TokenScope::Read)?.clone();
    let scope = caller.scope().map(|s| s.as_str()).unwrap_or_default().to_string();
    let store = state.store().clone();
    let id = user.id;
    let tokens = state.blocking(move || store.api_tokens(id)).await?;
    Ok(Json(MeOut {
        email: user.email.clone(),
        user: UserOut::new(&user),
        scope,
        tokens: tokens.iter().map(TokenOut::new).collect(),
    }))
}

/// A paper in the owner's library, under one tag.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LibraryEntryOut {
    /// The paper.
    pub paper: PaperRef,
    /// The tag it is saved under (one entry per paper and tag).
    pub tag: String,
    /// When it was saved under that tag.
    pub added_at: DateTime<Utc>,
}

/// A paper the owner marked "not interested".
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotInterestedOut {
    /// The paper.
    pub paper: PaperRef,
    /// When they marked it.
    pub at: DateTime<Utc>,
}

/// Everything the token owner made, for keeping or moving elsewhere.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeExport {
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The account.
    pub me: MeOut,
    /// Everything they did, newest first.
    pub activity: ProfileOut,
    /// Their library, newest first.
    pub library: Vec<LibraryEntryOut>,
    /// The papers they marked "not interested", newest first.
    pub not_interested: Vec<NotInterestedOut>,
}

/// `GET /api/v1/me/export`.
#[utoipa::path(
    get,
    path = "/api/v1/me/export",
    operation_id = "export_me",
    tag = "export",
    summary = "Everything the token owner made: account, submissions, upvotes, comments, library, not-interested marks",
    security(("token" = ["read"])),
    responses(
        (status = 200, description = "The export", body = MeExport),
        (status = 401, description = "No token, or an invalid one", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn me_export(State(state): State<AppState>, caller: Caller) -> Result<Json<MeExport>, ApiError> {
    let user = caller.require(TokenScope::Read)?.clone();
    let Json(me) = me(State(state.clone()), caller).await?;
    let store = state.store().clone();
    let (activity, library, not_interested) = state
        .blocking(move || -> Result<_, AppError> {
            let activity = ProfileOut::new(&user, &store.user_activity(user.id, EXPORT_ENTRIES)?);
            let library = store
                .library(user.id, None, EXPORT_ENTRIES)?
                .into_iter()
                .map(|i| LibraryEntryOut {
                    paper: PaperRef { id: i.paper.id.to_string(), title: i.paper.title },
                    tag: i.tag.to_string(),
                    added_at: i.added_at,
                })
                .collect();
            let not_interested = store
                .signals(user.id, EXPORT_ENTRIES)?
                .into_iter()
                .filter(|s| s.kind == SignalKind::NotInterested)
                .map(|s| NotInterestedOut { paper: PaperRef { id: s.paper.to_string(), title: s.title }, at: s.at })
                .collect();
            Ok((activity, library, not_interested))
        })
        .await?;
    Ok(Json(MeExport { exported_at: Utc::now(), me, activity, library, not_interested }))
}

/// Query parameters of the paper export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `next_cursor` of the previous page (empty: the start); keep the last one to fetch only
    /// later changes.
    pub cursor: Option<String>,
    /// Papers per page (default 500).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// One page of the paper export.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportPage {
    /// Papers in the order they last changed.
    pub papers: Vec<PaperOut>,
    /// Pass as `cursor` for what follows. Absent when nothing has changed since the start;
    /// on the last page it is still given, so a later call returns only newer changes.
    pub next_cursor: Option<String>,
    /// True when more papers follow now.
    pub more: bool,
}

/// `GET /api/v1/export/papers`.
#[utoipa::path(
    get,
    path = "/api/v1/export/papers",
    tag = "export",
    summary = "Every paper, as a resumable change feed",
    description = "Papers in the order they were last imported or changed, with their community counts. Follow \
        `next_cursor` while `more` is true; keep the last cursor and call again later to receive only the \
        papers that changed since. A paper changed while you page appears again, later.",
    params(ExportParams),
    responses(
        (status = 200, description = "One page", body = ExportPage),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn export_papers(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Json<ExportPage>, ApiError> {
    let limit = checked_limit(params.limit, DEFAULT_EXPORT, MAX_EXPORT)?;
    let after = params
        .cursor
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| cursor::decode(c, "papers", "all"))
        .transpose()?
        .unwrap_or(0);
    let store = state.store().clone();
    let base = state.config().base_url.clone();
    let (papers, last, more) = state
        .blocking(move || -> Result<(Vec<PaperOut>, Option<u64>, bool), AppError> {
            let mut changed = store.papers_changed_since(after, limit + 1)?;
            let more = changed.len() > limit;
            changed.truncate(limit);
            let last = changed.last().map(|c| c.seq);
            let papers = changed
                .iter()
                .map(|c| Ok(PaperOut::new(&c.paper, &store.community(&c.paper.id)?, &base)))
                .collect::<Result<_, AppError>>()?;
            Ok((papers, last, more))
        })
        .await?;
    let position = last.or((after > 0).then_some(after));
    Ok(Json(ExportPage { papers, next_cursor: position.map(|p| cursor::encode("papers", p, "all")), more }))
}
