//! The profile page `/users/NAME`: the user's submissions, upvotes and comments, and, on one's
//! own page, one's email digests ([`super::subscribe`]) and API tokens ([`super::tokens`]).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use papertide_core::UserName;

use crate::error::AppError;
use crate::layout::{self, page, Shell};
use crate::session::Viewer;
use crate::state::AppState;

/// `GET /users/{name}`.
pub async fn profile(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let name: UserName = name.parse().map_err(|_| AppError::not_found(format!("user {name}")))?;
    let store = state.store().clone();
    let wanted = name.clone();
    let me = viewer.user().filter(|u| u.name == name).map(|u| u.id);
    let found = state
        .blocking(move || -> Result<_, AppError> {
            let Some(user) = store.user_by_name(&wanted)? else { return Ok(None) };
            let activity = store.user_activity(user.id, 50)?;
            let tokens = me.map(|id| store.api_tokens(id)).transpose()?;
            let digests = match me {
                None => None,
                Some(id) => {
                    let signer = papertide_mail::link::Signer::from_store(&*store)?;
                    let subs = store.subscriptions_of(id)?;
                    let unsubscribe = papertide_mail::link::Purpose::Unsubscribe;
                    Some(
                        subs.into_iter()
                            .map(|s| {
                                let token = signer.token(unsubscribe, s.id, None);
                                (s, token)
                            })
                            .collect::<Vec<_>>(),
                    )
                }
            };
            Ok(Some((user, activity, tokens, digests)))
        })
        .await?;
    let Some((user, activity, tokens, digests)) = found else {
        return Err(AppError::not_found(format!("user {name}")));
    };
    let title = user.name.to_string();
    let shell = Shell { title: &title, viewer: &viewer, query: "", description: None };
    let body = html! {
        h1 { (user.name) @if user.role == papertide_core::Role::Admin { " " span.pill { "admin" } } }
        p.muted { "Member since " (user.created_at.format("%Y-%m-%d")) }
        section aria-labelledby="subs" {
            h2 #subs { "Submissions" }
            @if activity.submissions.is_empty() { p.muted { "None yet." } }
            ul { @for s in &activity.submissions {
                li { a.tex href=(layout::paper_path(&s.paper)) { (s.paper.title) } " " span.muted { "(" (s.feed_date) ")" } }
            } }
        }
        section aria-labelledby="votes" {
            h2 #votes { "Upvoted" }
            @if activity.upvoted.is_empty() { p.muted { "None yet." } }
            ul { @for u in &activity.upvoted { li { a.tex href=(layout::paper_path(&u.paper)) { (u.paper.title) } } } }
        }
        section aria-labelledby="comms" {
            h2 #comms { "Comments" }
            @if activity.comments.is_empty() { p.muted { "None yet." } }
            ul { @for c in &activity.comments {
                @if !c.deleted && !c.hidden {
                    li { a href={ "/papers/" (c.paper) "#comment-" (c.id.0) } { (c.paper) } ": " (truncate(&c.body_markdown, 200)) }
                }
            } }
        }
        @if let Some(digests) = &digests { (super::subscribe::profile_section(digests)) }
        @if let Some(tokens) = &tokens { (super::tokens::section(&viewer, tokens)) }
    };
    Ok(page(&shell, body).into_response())
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
