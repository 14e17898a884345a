//! Submitting a paper to today's feed (`/papers/submit`): a signed-in user pastes an arXiv id
//! or URL; a paper not in the database yet is fetched from arXiv (and indexed by the
//! background worker); a paper already on today's feed is refused politely.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{html, Markup};
use papertide_core::{ArxivId, PaperId, SubmitOutcome};
use serde::Deserialize;

use crate::error::AppError;
use crate::layout::{page, Shell};
use crate::session::Viewer;
use crate::state::AppState;

fn view(viewer: &Viewer, message: Option<(&str, bool)>, value: &str) -> Markup {
    let shell = Shell { title: "Submit a paper", viewer, query: "", description: None };
    page(
        &shell,
        html! {
            h1 { "Submit a paper" }
            @if let Some((m, error)) = message { p.notice.error[error] role="status" { (m) } }
            @if viewer.user().is_none() {
                p { a href="/signin" { "Sign in" } " to submit papers to the daily feed." }
            } @else {
                form method="post" action="/papers/submit" {
                    input type="hidden" name="csrf" value=(viewer.csrf());
                    label for="paper" { "arXiv id or URL" }
                    input #paper name="paper" required value=(value) placeholder="2401.01234 or https://arxiv.org/abs/2401.01234" size="50";
                    p { button type="submit" { "Submit to today's feed" } }
                }
            }
        },
    )
}

/// `GET /papers/submit`.
pub async fn form(viewer: Viewer) -> Markup {
    view(&viewer, None, "")
}

/// The submit form.
#[derive(Debug, Deserialize)]
pub struct SubmitForm {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// An arXiv id or URL.
    #[serde(default)]
    pub paper: String,
}

/// `POST /papers/submit`.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<SubmitForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    let user = viewer.require_user()?.clone();
    state.rate_limit("post", &user.id.0.to_string(), state.config().posts_per_minute).await?;
    let Ok(arxiv) = f.paper.trim().parse::<ArxivId>() else {
        let msg = format!("`{}` is not an arXiv id or URL (for example 2401.01234).", f.paper.trim());
        return Ok((StatusCode::BAD_REQUEST, view(&viewer, Some((&msg, true)), &f.paper)).into_response());
    };
    let id = PaperId::arxiv(&arxiv.without_version());
    let outcome = submit_paper(&state, user.id, &arxiv).await;
    match outcome {
        Ok(Some(SubmitOutcome::Submitted)) => Ok(Redirect::to(&format!("/papers/{id}")).into_response()),
        Ok(Some(SubmitOutcome::AlreadyOnFeed { by })) => {
            let who = by.map(|b| format!(" by {b}")).unwrap_or_default();
            let msg = format!("{id} is already on today's feed (submitted{who}). Upvote it instead!");
            Ok((StatusCode::CONFLICT, view(&viewer, Some((&msg, false)), &f.paper)).into_response())
        }
        Ok(None) => {
            let msg = format!("arXiv has no paper {id}.");
            Ok((StatusCode::NOT_FOUND, view(&viewer, Some((&msg, true)), &f.paper)).into_response())
        }
        Err(AppError::Unavailable { message }) => {
            Ok((StatusCode::SERVICE_UNAVAILABLE, view(&viewer, Some((&message, true)), &f.paper)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Puts the paper `arxiv` (any version) on today's feed as `user`, fetching it from arXiv
/// first when it is not in the database. `Ok(None)`: arXiv has no such paper;
/// [`AppError::Unavailable`]: arXiv could not be reached. Used by this page and the API.
pub async fn submit_paper(
    state: &AppState,
    user: papertide_core::UserId,
    arxiv: &ArxivId,
) -> Result<Option<SubmitOutcome>, AppError> {
    let arxiv = arxiv.without_version();
    let id = PaperId::arxiv(&arxiv);
    let store = state.store().clone();
    let fetcher = state.fetcher().clone();
    let today = Utc::now().date_naive();
    state
        .blocking(move || -> Result<Option<SubmitOutcome>, AppError> {
            if store.paper(&id)?.is_none() {
                let fetched = fetcher.fetch(&arxiv).map_err(|e| {
                    tracing::warn!(paper.id = %arxiv, error = %e, "fetching a submitted paper failed");
                    AppError::Unavailable {
                        message: format!("arXiv could not be reached to fetch {arxiv}; try again later"),
                    }
                })?;
                let Some(paper) = fetched else { return Ok(None) };
                store.upsert_papers(&[paper])?;
            }
            Ok(Some(store.submit(&id, today, Some(user), false, Utc::now())?))
        })
        .await
}
