//! "Get trending papers in your email inbox": subscribing (`/subscribe`), confirming
//! (`/subscribe/confirm?token=`, double opt-in) and one-click unsubscribing
//! (`/unsubscribe?token=`, RFC 8058).
//!
//! - Anyone may subscribe an address; nothing is sent to it but one confirmation mail (at most
//!   one an hour) until its owner follows the signed link in it (valid 48 hours). The answer
//!   is the same whether the address was known or not, so the form reveals no subscribers.
//! - Unsubscribing needs no account and no cookie: the signed link in every digest is the
//!   proof. `GET` shows a confirmation button; `POST` (the button, or a mail client's
//!   `List-Unsubscribe=One-Click`) unsubscribes at once.
//!
//! Messages are rendered by `papertide_mail` and queued in the outbox; `serve`'s mail worker
//! (or `papertide digest run`) sends them.

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use maud::{html, Markup};
use papertide_core::{check_email, Frequency, Topics};
use papertide_mail::link::{Purpose, Signer};
use papertide_mail::message::{render_confirmation, Confirmation};
use serde::Deserialize;

use crate::error::AppError;
use crate::layout::{page, Shell};
use crate::ratelimit::ClientIp;
use crate::session::Viewer;
use crate::state::AppState;

/// How long a confirmation link stays valid.
pub const CONFIRM_HOURS: i64 = 48;
/// Most entries in each topic list (categories, authors, searches).
const MAX_TOPIC_ENTRIES: usize = 20;

fn form_page(viewer: &Viewer, message: Option<(&str, bool)>, email: &str) -> Markup {
    let shell = Shell { title: "Subscribe", viewer, query: "", description: None };
    page(
        &shell,
        html! {
            h1 { "Get trending papers in your email inbox" }
            @if let Some((m, error)) = message { p.notice.error[error] role="status" { (m) } }
            p.muted { "A digest of the papers that matter to you, daily or weekly. No mail on days without new papers. Every mail has a one-click unsubscribe link." }
            form method="post" action="/subscribe" aria-label="Subscribe" {
                input type="hidden" name="csrf" value=(viewer.csrf());
                label for="sub-email" { "Email address" }
                input #sub-email type="email" name="email" required value=(email) size="40" autocomplete="email";
                label for="sub-frequency" { "How often" }
                select #sub-frequency name="frequency" {
                    option value="daily" selected { "Daily" }
                    option value="weekly" { "Weekly" }
                }
                label { input type="checkbox" name="trending" value="1" checked; " Trending papers" }
                @if viewer.user().is_some() {
                    label { input type="checkbox" name="for_you" value="1"; " Papers for you (from what you upvote)" }
                }
                label for="sub-categories" { "Categories (optional, comma separated)" }
                input #sub-categories name="categories" placeholder="cs.LG, cs.CL, stat" size="40";
                label for="sub-authors" { "Authors to follow (optional, comma separated)" }
                input #sub-authors name="authors" placeholder="Yoshua Bengio" size="40";
                label for="sub-queries" { "Alerts: searches (optional, one per line)" }
                textarea #sub-queries name="queries" rows="3" placeholder="kernelized attention" {}
                p { button type="submit" { "Subscribe" } }
            }
        },
    )
}

/// A page with a heading and a short text, never cached (it answers a form or a link).
pub(crate) fn notice_page(viewer: &Viewer, title: &str, status: StatusCode, text: Markup) -> Response {
    let shell = Shell { title, viewer, query: "", description: None };
    let mut r = (status, page(&shell, html! { h1 { (title) } (text) })).into_response();
    r.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    r
}

/// The host of the site's base URL, for Message-IDs (`localhost` when there is none).
pub(crate) fn mail_host(base_url: &str) -> &str {
    base_url
        .split("://")
        .nth(1)
        .unwrap_or(base_url)
        .split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost")
}

/// The "Email digests" section of the owner's profile page: their subscriptions (made while
/// signed in) with what they receive and an unsubscribe button each (`tokens`: each
/// subscription's signed unsubscribe token).
pub fn profile_section(subs: &[(papertide_core::Subscription, String)]) -> Markup {
    html! {
        section #email-digests aria-labelledby="digests-h" {
            h2 #digests-h { "Email digests" }
            @if subs.is_empty() {
                p.muted { "None. " a href="/subscribe" { "Get trending papers in your email inbox" } "." }
            }
            ul { @for (s, token) in subs {
                li {
                    b { (s.email) } " · " (s.frequency.as_str()) " · "
                    @if s.disabled_at.is_some() { "stopped after delivery failures" }
                    @else if s.unsubscribed_at.is_some() { "unsubscribed" }
                    @else if s.confirmed_at.is_none() { "waiting for confirmation" }
                    @else { "active" }
                    @let t = &s.topics;
                    @if !t.categories.is_empty() { " · categories: " (t.categories.join(", ")) }
                    @if !t.authors.is_empty() { " · authors: " (t.authors.join(", ")) }
                    @if !t.queries.is_empty() { " · alerts: " (t.queries.join("; ")) }
                    @if s.unsubscribed_at.is_none() && s.disabled_at.is_none() {
                        form.inline method="post" action={ "/unsubscribe?token=" (token) } {
                            button.plain type="submit" aria-label={ "Unsubscribe " (s.email) } { "Unsubscribe" }
                        }
                    }
                }
            } }
            p { a href="/subscribe" { "Subscribe or change what you receive" } }
        }
    }
}

/// `GET /subscribe`.
pub async fn form(viewer: Viewer) -> Markup {
    let email = viewer.user().and_then(|u| u.email.clone()).unwrap_or_default();
    form_page(&viewer, None, &email)
}

/// The subscribe form.
#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The address.
    #[serde(default)]
    pub email: String,
    /// `daily` or `weekly`.
    #[serde(default)]
    pub frequency: String,
    /// `1` for the trending feed.
    #[serde(default)]
    pub trending: Option<String>,
    /// `1` for personal recommendations (signed-in subscribers).
    #[serde(default)]
    pub for_you: Option<String>,
    /// Comma-separated categories.
    #[serde(default)]
    pub categories: String,
    /// Comma-separated authors.
    #[serde(default)]
    pub authors: String,
    /// One search per line.
    #[serde(default)]
    pub queries: String,
}

fn list(field: &str, text: &str, separator: char) -> Result<Vec<String>, AppError> {
    let items: Vec<String> =
        text.split(separator).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    if items.len() > MAX_TOPIC_ENTRIES {
        return Err(AppError::bad_request(format!("`{field}`: at most {MAX_TOPIC_ENTRIES} entries")));
    }
    if let Some(long) = items.iter().find(|s| s.chars().count() > 200 || s.chars().any(char::is_control)) {
        return Err(AppError::bad_request(format!("`{field}`: `{long}` is too long or holds control characters")));
    }
    Ok(items)
}

impl SubscribeForm {
    fn topics(&self, signed_in: bool) -> Result<Topics, AppError> {
        let categories = list("categories", &self.categories, ',')?;
        if let Some(bad) = categories.iter().find(|c| !papertide_core::valid_category_filter(c)) {
            return Err(AppError::bad_request(format!("`categories`: `{bad}` is not a category like cs.LG")));
        }
        Ok(Topics {
            trending: self.trending.as_deref() == Some("1"),
            for_you: signed_in && self.for_you.as_deref() == Some("1"),
            queries: list("queries", &self.queries, '\n')?,
            categories,
            authors: list("authors", &self.authors, ',')?,
        })
    }
}

/// `POST /subscribe`.
pub async fn subscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Form(f): Form<SubscribeForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    state.rate_limit("subscribe", &client.to_string(), state.config().signin_per_minute).await?;
    let email = match check_email(&f.email) {
        Ok(e) => e,
        Err(msg) => {
            return Ok((StatusCode::BAD_REQUEST, form_page(&viewer, Some((&msg, true)), &f.email)).into_response())
        }
    };
    let frequency: Frequency = f.frequency.parse().map_err(|e| AppError::bad_request(format!("`frequency`: {e}")))?;
    let topics = f.topics(viewer.user().is_some())?;
    let user = viewer.user().map(|u| u.id);
    let store = state.store().clone();
    let base = state.config().base_url.trim_end_matches('/').to_string();
    let to = email.clone();
    state
        .blocking(move || -> Result<(), AppError> {
            let now = Utc::now();
            let (sub, needs_confirmation) = store.subscribe(&to, user, frequency, &topics, now)?;
            if !needs_confirmation {
                return Ok(());
            }
            let signer = Signer::from_store(&*store)?;
            let token = signer.token(Purpose::Confirm, sub.id, Some(now + Duration::hours(CONFIRM_HOURS)));
            let host = mail_host(&base);
            let mail = render_confirmation(&Confirmation {
                to: sub.email.clone(),
                confirm_url: format!("{base}/subscribe/confirm?token={token}"),
                base_url: base.clone(),
                message_id: format!("<confirm.{}.{}@{host}>", sub.id, now.timestamp()),
            })
            .map_err(AppError::internal)?;
            let json = serde_json::to_string(&mail).map_err(AppError::internal)?;
            // At most one confirmation an hour per address, whoever asks.
            store.enqueue_mail(sub.id, "confirm", &now.format("%Y-%m-%dT%H").to_string(), &json, now)?;
            Ok(())
        })
        .await?;
    tracing::info!(subscription.email = %email, "subscription requested");
    Ok(notice_page(
        &viewer,
        "Check your inbox",
        StatusCode::OK,
        html! {
            p { "If " b { (email) } " is not subscribed yet, a confirmation mail is on its way: follow its link (valid " (CONFIRM_HOURS) " hours) to start receiving digests. Already confirmed addresses keep their subscription, now with these choices." }
        },
    ))
}

/// `?token=` of the confirm and unsubscribe links.
#[derive(Debug, Deserialize)]
pub struct TokenParams {
    /// The signed token.
    #[serde(default)]
    pub token: String,
}

async fn check_token(
    state: &AppState,
    purpose: Purpose,
    token: String,
) -> Result<Option<papertide_core::SubscriptionId>, AppError> {
    let store = state.store().clone();
    state
        .blocking(move || -> Result<_, AppError> {
            Ok(Signer::from_store(&*store)?.check(purpose, &token, Utc::now()))
        })
        .await
}

/// `GET /subscribe/confirm?token=`.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<TokenParams>,
) -> Result<Response, AppError> {
    let Some(id) = check_token(&state, Purpose::Confirm, p.token).await? else {
        return Ok(notice_page(
            &viewer,
            "This link has expired",
            StatusCode::BAD_REQUEST,
            html! {
                p { "Confirmation links work for " (CONFIRM_HOURS) " hours. " a href="/subscribe" { "Subscribe again" } " to get a new one." }
            },
        ));
    };
    let store = state.store().clone();
    let sub = state
        .blocking(move || -> Result<_, AppError> {
            store.confirm_subscription(id, Utc::now())?;
            Ok(store.subscription(id)?)
        })
        .await?
        .ok_or_else(|| AppError::not_found("subscription"))?;
    tracing::info!(subscription.id = %sub.id, "subscription confirmed");
    Ok(notice_page(
        &viewer,
        "You are subscribed",
        StatusCode::OK,
        html! {
            p { "Digests go to " b { (sub.email) } ", " (sub.frequency.as_str()) ". Every mail has a one-click unsubscribe link." }
        },
    ))
}

/// `GET /unsubscribe?token=`: a page with the button.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<TokenParams>,
) -> Result<Response, AppError> {
    if check_token(&state, Purpose::Unsubscribe, p.token.clone()).await?.is_none() {
        return Err(AppError::bad_request("this unsubscribe link is not valid"));
    }
    Ok(notice_page(
        &viewer,
        "Unsubscribe",
        StatusCode::OK,
        html! {
            form method="post" action={ "/unsubscribe?token=" (p.token) } {
                p { "Stop all papertide digests to this address?" }
                button type="submit" { "Unsubscribe" }
            }
        },
    ))
}

/// `POST /unsubscribe?token=`: unsubscribes at once (the page's button, or a mail client's
/// RFC 8058 one-click `List-Unsubscribe=One-Click` post, which carries no cookie).
pub async fn unsubscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<TokenParams>,
) -> Result<Response, AppError> {
    let Some(id) = check_token(&state, Purpose::Unsubscribe, p.token).await? else {
        return Err(AppError::bad_request("this unsubscribe link is not valid"));
    };
    let store = state.store().clone();
    state.blocking(move || store.unsubscribe(id, Utc::now())).await?;
    tracing::info!(subscription.id = %id, "unsubscribed");
    Ok(notice_page(
        &viewer,
        "You are unsubscribed",
        StatusCode::OK,
        html! {
            p { "No more digests will be sent. " a href="/subscribe" { "Subscribe again" } " any time." }
        },
    ))
}
