//! "For you" (`/for-you`, and `GET /api/v1/me/recommendations`): papers picked for the
//! signed-in user from what they upvoted and saved ([`papertide_search::engine::recommend`]),
//! each with the paper it is closest to. Without any (cold start), the week's trending
//! papers, said so.
//!
//! Each card has a "Not interested" button (`POST /papers/ID/not-interested`, handled by
//! [`super::library`]) that comes back here with an undo notice (`?dismissed=ID`); the page
//! also offers the list as a private feed ([`super::feeds_for_you`]).

use std::collections::HashSet;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use maud::{html, Markup};
use papertide_core::{FeedQuery, FeedSort, FeedWindow, Paper, PaperId, TokenScope, UserId};
use papertide_search::engine::recommend::SIGNALS;
use papertide_search::keyword::Filters;
use serde::{Deserialize, Serialize};

use crate::api::auth::Caller;
use crate::api::types::HitOut;
use crate::api::{ApiError, ErrorBody};
use crate::error::AppError;
use crate::layout::{self, page, Shell};
use crate::session::Viewer;
use crate::state::AppState;

/// Papers on the page.
pub const FOR_YOU: usize = 30;

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

/// Computes a user's list: recommendations from their upvotes and saved papers, or on a cold
/// start this week's trending papers (in the first category they subscribed to, if any).
pub async fn for_user(state: &AppState, user: UserId, limit: usize) -> Result<ForYou, AppError> {
    let store = state.store().clone();
    let engine = state.search().clone();
    state
        .blocking(move || -> Result<ForYou, AppError> {
            let now = Utc::now();
            let recs = engine.recommend_for_user(user, &Filters::default(), limit, now)?;
            if !recs.is_empty() {
                let papers = recs
                    .into_iter()
                    .map(|r| Pick {
                        reason: r.reason(),
                        because: r.because.map(|s| PaperRef { id: s.paper.to_string(), title: s.title }),
                        paper: HitOut::new(&r.hit),
                    })
                    .collect();
                return Ok(ForYou { papers, cold_start: false });
            }
            // Cold start: the trending papers of the week with the latest feed day.
            let (before, _) = store.feed_dates_around(now.date_naive() + chrono::Duration::days(1))?;
            let day = before.unwrap_or_else(|| now.date_naive());
            let iso = chrono::Datelike::iso_week(&day);
            let category =
                store.subscriptions_of(user)?.into_iter().find_map(|s| s.topics.categories.into_iter().next());
            let trending = |category: Option<String>| -> Result<Vec<papertide_core::FeedItem>, AppError> {
                let query = FeedQuery {
                    sort: FeedSort::Trending,
                    window: FeedWindow::Week(iso.year(), iso.week()),
                    category,
                    submitter: None,
                    cursor: None,
                    limit,
                };
                Ok(store.feed(&query, now)?.items)
            };
            let (mut items, mut reason) = (Vec::new(), "Trending this week".to_string());
            if let Some(c) = category {
                items = trending(Some(c.clone()))?;
                reason = format!("Trending this week in {c}");
            }
            if items.is_empty() {
                items = trending(None)?;
                reason = "Trending this week".to_string();
            }
            let dismissed: HashSet<_> = store.signals(user, SIGNALS)?.into_iter().map(|s| s.paper).collect();
            let papers = items
                .iter()
                .filter(|i| !dismissed.contains(&i.paper.id))
                .map(|i| Pick {
                    paper: HitOut::scored(&i.paper, i.upvotes as f32),
                    reason: reason.clone(),
                    because: None,
                })
                .collect();
            Ok(ForYou { papers, cold_start: true })
        })
        .await
}

/// Query parameters of `/for-you`.
#[derive(Debug, Default, Deserialize)]
pub struct ForYouParams {
    /// The paper just marked not interested, for the undo notice.
    #[serde(default)]
    pub dismissed: Option<String>,
}

/// `GET /for-you`.
pub async fn page_handler(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ForYouParams>,
) -> Result<Response, AppError> {
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
    let dismissed = match params.dismissed.as_deref().and_then(|d| d.parse::<PaperId>().ok()) {
        Some(id) => {
            let store = state.store().clone();
            state.blocking(move || store.paper(&id)).await?
        }
        None => None,
    };
    Ok(page(&shell, html! {
        h1 { "For you" }
        @if let Some(p) = &dismissed { (undo_notice(&viewer, p)) }
        @if list.cold_start {
            p.notice role="status" { "Upvote papers you like and this page learns from them. Meanwhile: this week's trending papers." }
        }
        @if list.papers.is_empty() { p.muted { "Nothing yet." } }
        ol.cards { @for p in &list.papers {
            li.card id={ "paper-" (p.paper.id) } { div.body {
                h3 { a.tex href={ "/papers/" (p.paper.id) } { (p.paper.title) } }
                p.muted { (p.paper.authors.iter().take(6).cloned().collect::<Vec<_>>().join(", "))
                    @if p.paper.authors.len() > 6 { " et al." } }
                p.reason { (p.reason) }
                p.abstract.tex { (papertide_mail::message::excerpt(&p.paper.abstract_text, 400)) }
                form.actions method="post" action={ "/papers/" (p.paper.id) "/not-interested" } {
                    input type="hidden" name="csrf" value=(viewer.csrf());
                    input type="hidden" name="next" value={ "/for-you?" (serde_urlencoded::to_string([("dismissed", &p.paper.id)]).unwrap_or_default()) };
                    button.plain type="submit" title="Never recommend this paper, and fewer like it" aria-label={ "Not interested in " (p.paper.title) } { "Not interested" }
                }
            } }
        } }
        (super::feeds_for_you::reader_section(&viewer, user))
    })
    .into_response())
}

/// "“Title” won't be recommended again · Undo", after a "Not interested" click.
fn undo_notice(viewer: &Viewer, paper: &Paper) -> Markup {
    html! {
        div.notice role="status" {
            "You won't see “" a.tex href=(layout::paper_path(paper)) { (paper.title) } "” here again. "
            form.inline method="post" action={ (layout::paper_path(paper)) "/not-interested" } {
                input type="hidden" name="csrf" value=(viewer.csrf());
                input type="hidden" name="undo" value="1";
                input type="hidden" name="next" value="/for-you";
                button.plain type="submit" { "Undo" }
            }
        }
    }
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
