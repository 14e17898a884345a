//! The private "For you" feed: `/feeds/for-you.atom` and `/feeds/for-you.rss`, a user's
//! [`for_user`] list as Atom or RSS, each entry's summary opening with why the paper was picked
//! ("Similar to “X”, which you upvoted"), then its abstract.
//!
//! Feed readers send neither cookies nor headers, so the feed URL carries a personal API token
//! (`?token=pt_…`, the `read` scope suffices), checked as the JSON API checks bearer tokens
//! ([`crate::api::auth::token_owner`]). A missing, malformed, unknown or revoked token is a
//! plain-text `401` (never a page, so never a cookie); every answer is
//! `Cache-Control: private, no-cache` and `X-Robots-Tag: noindex`. Fetches count against the
//! owner's `[web] api_per_minute`.
//!
//! The link is made on `/for-you` ([`reader_section`]): `POST /for-you/feed` (CSRF-checked)
//! mints a `read` token named "For you feed" and shows the two URLs once
//! (`Cache-Control: no-store`); it is revoked on the profile page like any other token.

use axum::extract::{Form, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{html, Markup};
use papertide_core::{Paper, Source, TokenScope, User};
use serde::Deserialize;

use super::feeds::FEED_ITEMS;
use super::for_you::{for_user, Pick};
use super::syndication::{render, Channel, Entry, Format};
use crate::api::auth::token_owner;
use crate::error::AppError;
use crate::layout::{page, Shell};
use crate::session::Viewer;
use crate::state::AppState;

/// The name of the tokens minted for feed links.
pub const FEED_TOKEN_NAME: &str = "For you feed";
/// `Cache-Control` of every answer of the feed, errors included.
const CACHE_CONTROL: &str = "private, no-cache";

/// The query of a feed URL.
#[derive(Debug, Default, Deserialize)]
struct FeedParams {
    #[serde(default)]
    token: Option<String>,
}

/// `GET /feeds/for-you.atom?token=…`.
pub async fn atom(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    respond(&state, query.as_deref(), Format::Atom).await
}

/// `GET /feeds/for-you.rss?token=…`.
pub async fn rss(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    respond(&state, query.as_deref(), Format::Rss).await
}

/// The feed, or the error in plain text; with the private caching headers either way.
async fn respond(state: &AppState, query: Option<&str>, format: Format) -> Response {
    // Parsed by hand: a malformed query is a missing token, not axum's rejection.
    let params: FeedParams = query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let token = params.token.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let mut response = match channel(state, token, format).await {
        Ok(channel) => {
            let body = render(&channel, format, state.config().base_url.trim_end_matches('/'));
            ([(header::CONTENT_TYPE, format.content_type())], body).into_response()
        }
        Err(e) => plain_error(e),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    response
}

/// The token owner's "For you" list as a channel.
async fn channel(state: &AppState, token: Option<&str>, format: Format) -> Result<Channel, AppError> {
    let secret = token.ok_or(AppError::Unauthorized)?;
    let (user, api_token) = token_owner(state, secret).await?;
    if !api_token.scope.allows(TokenScope::Read) {
        return Err(AppError::InsufficientScope { have: api_token.scope, needed: TokenScope::Read });
    }
    state.rate_limit("feed", &user.id.0.to_string(), state.config().api_per_minute).await?;
    let list = for_user(state, user.id, FEED_ITEMS).await?;
    let now = Utc::now();
    let entries =
        list.papers.iter().filter_map(|pick| Some(Entry::new(paper_of(pick)?, now).with_note(pick.reason.clone())));
    Ok(Channel {
        title: format!("papertide: For you ({})", user.name),
        self_path: feed_path(format, secret),
        id_path: format!("/users/{}#for-you", user.name),
        html_path: "/for-you".to_string(),
        updated: now,
        entries: entries.collect(),
    })
}

/// The paper of a pick, with what the feed shows of it.
fn paper_of(pick: &Pick) -> Option<Paper> {
    let hit = &pick.paper;
    let mut paper = Paper::new(hit.id.parse().ok()?, hit.title.clone(), Source::Local);
    paper.abstract_text = hit.abstract_text.clone();
    paper.authors = hit.authors.clone();
    paper.categories = hit.categories.clone();
    paper.published = hit.published;
    Some(paper)
}

/// The path and query of the feed in `format` with `secret`.
fn feed_path(format: Format, secret: &str) -> String {
    let file = match format {
        Format::Atom => "for-you.atom",
        Format::Rss => "for-you.rss",
    };
    let query = serde_urlencoded::to_string([("token", secret)]).unwrap_or_default();
    format!("/feeds/{file}?{query}")
}

/// An error as plain text: a feed reader shows it as is, and no page means no cookie.
fn plain_error(e: AppError) -> Response {
    let (_, status) = e.code_and_status();
    if let AppError::Internal(cause) = &e {
        tracing::error!(error = %cause, "For you feed failed");
    }
    let message = match &e {
        AppError::Unauthorized => {
            "this feed needs its token: /feeds/for-you.atom?token=pt_…; make a feed link on /for-you".into()
        }
        AppError::InvalidToken => {
            "the feed token is invalid or has been revoked; make a new feed link on /for-you".into()
        }
        other => other.to_string(),
    };
    let mut response =
        (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{message}\n")).into_response();
    e.add_headers(response.headers_mut());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"papertide\""));
    }
    response
}

/// The "Read this in a feed reader" section of `/for-you`.
pub fn reader_section(viewer: &Viewer, user: &User) -> Markup {
    html! {
        section #feed-reader aria-labelledby="feed-reader-h" {
            h2 #feed-reader-h { "Read this in a feed reader" }
            p.muted {
                "Follow these recommendations as a private Atom or RSS feed. Its link holds a read-only "
                "API token: keep it to yourself, and revoke it (“" (FEED_TOKEN_NAME) "”) under API tokens on "
                a href={ "/users/" (user.name) "#api-tokens" } { "your profile" } " whenever you like."
            }
            form method="post" action="/for-you/feed" {
                input type="hidden" name="csrf" value=(viewer.csrf());
                button.plain type="submit" { "Make a private feed link" }
            }
        }
    }
}

/// `POST /for-you/feed`: mints a feed token and shows the feed's links once.
pub async fn create_link(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<super::auth::CsrfForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    let user = viewer.require_user()?;
    let (token, minted) = super::tokens::create_token(&state, user, FEED_TOKEN_NAME, TokenScope::Read).await?;
    let base = state.config().base_url.trim_end_matches('/');
    let atom = format!("{base}{}", feed_path(Format::Atom, &minted.secret));
    let rss = format!("{base}{}", feed_path(Format::Rss, &minted.secret));
    let shell = Shell { title: "Your For you feed", viewer: &viewer, query: "", description: None };
    let body = html! {
        h1 { "Your For you feed" }
        p.notice role="status" { "Copy a link now: they hold a secret token and will not be shown again." }
        div.feed-links {
            label for="feed-atom" { "Atom" }
            input #feed-atom readonly value=(atom);
            label for="feed-rss" { "RSS" }
            input #feed-rss readonly value=(rss);
        }
        p {
            "Add either to your feed reader. Anyone with the link can read your recommendations: to stop it, "
            "revoke the token “" (token.name) "” (" code { (token.hint) "…" } ") under API tokens on "
            a href={ "/users/" (user.name) "#api-tokens" } { "your profile page" } "."
        }
        p { a href="/for-you" { "Back to For you" } }
    };
    let mut response = (StatusCode::CREATED, page(&shell, body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_paths_carry_the_token() {
        assert_eq!(feed_path(Format::Atom, "pt_a-b_c"), "/feeds/for-you.atom?token=pt_a-b_c");
        assert_eq!(feed_path(Format::Rss, "pt_x"), "/feeds/for-you.rss?token=pt_x");
    }

    #[test]
    fn errors_are_plain_text_with_a_challenge() {
        let r = plain_error(AppError::InvalidToken);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
        let r = plain_error(AppError::RateLimited { retry_after: 7 });
        assert_eq!(
            (r.status(), &r.headers()[header::RETRY_AFTER]),
            (StatusCode::TOO_MANY_REQUESTS, &HeaderValue::from(7))
        );
    }
}
