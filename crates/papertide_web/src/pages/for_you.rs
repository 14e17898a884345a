//! "For you" (`/for-you`, and `GET /api/v1/me/recommendations`): papers picked for the
//! signed-in user from what they upvoted ([`papertide_search::engine::recommend`]), each
//! with the upvoted paper it is closest to. Without upvotes (cold start), the week's
//! trending papers, said so.

use std::collections::HashSet;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use maud::html;
use papertide_core::{FeedQuery, FeedSort, FeedWindow, Paper, TokenScope, UserId};
use papertide_search::engine::recommend::{Feedback, RecommendOptions};
use serde::Serialize;

use crate::api::auth::Caller;
use crate::api::types::HitOut;
use crate::api::{ApiError, ErrorBody};
use crate::error::AppError;
use crate::layout::{page, Shell};
use crate::session::Viewer;
use crate::state::AppState;

/// Papers on the page.
pub const FOR_YOU: usize = 30;
/// Upvotes (most recent) the model reads.
const SIGNALS: usize = 500;

/// One recommended paper and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Pick {
    /// The paper (`score`: its similarity to the user's taste).
    #[serde(flatten)]
    pub paper: HitOut,
    /// "Similar to … you upvoted", or "Trending this week" when there is no taste yet.
    pub reason: String,
    /// The upvoted paper it is closest to.
    pub because: Option<PaperRef>,
}

/// A paper named as a reason.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaperRef {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// The "For you" list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ForYou {
    /// Best first.
    pub papers: Vec<Pick>,
    /// True when these are trending papers because the user has no upvotes with embeddings yet.
    pub cold_start: bool,
}

/// Computes a user's list: recommendations, or this week's trending papers on a cold start.
pub async fn for_user(state: &AppState, user: UserId, limit: usize) -> Result<ForYou, AppError> {
    let store = state.store().clone();
    let engine = state.search().clone();
    state
        .blocking(move || -> Result<ForYou, AppError> {
            let now = Utc::now();
            let upvoted = store.user_activity(user, SIGNALS)?.upvoted;
            let mut feedback = Vec::new();
            let mut titles = std::collections::HashMap::new();
            for u in &upvoted {
                if let Some(key) = store.key_of(&u.paper.id)? {
                    feedback.push(Feedback { key, at: u.upvoted_at, liked: true });
                    titles.insert(key, u.paper.clone());
                }
            }
            let recs = engine.recommend(&feedback, &HashSet::new(), limit, now, &RecommendOptions::default())?;
            if !recs.is_empty() {
                let papers = recs
                    .into_iter()
                    .map(|r| {
                        let because = r.because.and_then(|k| titles.get(&k));
                        Pick {
                            reason: match because {
                                Some(p) => format!("Similar to “{}”, which you upvoted", p.title),
                                None => "Close to what you upvoted".to_string(),
                            },
                            because: because.map(|p: &Paper| PaperRef { id: p.id.to_string(), title: p.title.clone() }),
                            paper: HitOut::new(&r.hit),
                        }
                    })
                    .collect();
                return Ok(ForYou { papers, cold_start: false });
            }
            // Cold start: the trending papers of the week with the latest feed day.
            let (before, _) = store.feed_dates_around(now.date_naive() + chrono::Duration::days(1))?;
            let day = before.unwrap_or_else(|| now.date_naive());
            let iso = chrono::Datelike::iso_week(&day);
            let query = FeedQuery {
                sort: FeedSort::Trending,
                window: FeedWindow::Week(iso.year(), iso.week()),
                category: None,
                submitter: None,
                cursor: None,
                limit,
            };
            let items = store.feed(&query, now)?.items;
            let voted: HashSet<_> = upvoted.iter().map(|u| u.paper.id.clone()).collect();
            let papers = items
                .iter()
                .filter(|i| !voted.contains(&i.paper.id))
                .map(|i| Pick {
                    paper: HitOut::new(&papertide_search::engine::Hit {
                        key: 0,
                        score: i.upvotes as f32,
                        paper: i.paper.clone(),
                    }),
                    reason: "Trending this week".to_string(),
                    because: None,
                })
                .collect();
            Ok(ForYou { papers, cold_start: true })
        })
        .await
}

/// `GET /for-you`.
pub async fn page_handler(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let shell = Shell { title: "For you", viewer: &viewer, query: "", description: None };
    let Some(user) = viewer.user() else {
        return Ok(page(
            &shell,
            html! {
                h1 { "For you" }
                p { a href="/signin" { "Sign in" } " and upvote papers: this page then picks new ones like them." }
            },
        )
        .into_response());
    };
    let list = for_user(&state, user.id, FOR_YOU).await?;
    Ok(page(&shell, html! {
        h1 { "For you" }
        @if list.cold_start {
            p.notice role="status" { "Upvote papers you like and this page learns from them. Meanwhile: this week's trending papers." }
        }
        @if list.papers.is_empty() { p.muted { "Nothing yet." } }
        ol.cards { @for p in &list.papers {
            li.card { div {
                h3 { a.tex href={ "/papers/" (p.paper.id) } { (p.paper.title) } }
                p.muted { (p.paper.authors.iter().take(6).cloned().collect::<Vec<_>>().join(", "))
                    @if p.paper.authors.len() > 6 { " et al." } }
                p.reason { (p.reason) }
                p.abstract.tex { (papertide_mail::message::excerpt(&p.paper.abstract_text, 400)) }
            } }
        } }
    })
    .into_response())
}

/// `GET /api/v1/me/recommendations`.
#[utoipa::path(
    get,
    path = "/api/v1/me/recommendations",
    operation_id = "recommendations",
    tag = "users",
    summary = "Papers for the token's owner, from what they upvoted",
    description = "Each paper says why it was picked. With no upvotes yet (`cold_start`), the week's trending papers.",
    security(("token" = ["read"])),
    responses(
        (status = 200, description = "The list", body = ForYou),
        (status = 401, description = "No token, or an invalid one", body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    )
)]
pub async fn api(State(state): State<AppState>, caller: Caller) -> Result<Json<ForYou>, ApiError> {
    let user = caller.require(TokenScope::Read)?.id;
    Ok(Json(for_user(&state, user, FOR_YOU).await?))
}
