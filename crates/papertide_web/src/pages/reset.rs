//! Forgotten passwords: `/reset` asks for a user name and mails a link to the account's
//! address; `/reset/password?token=` chooses a new password with it.
//!
//! - The link ([`Signer::reset_token`]) is valid for [`RESET_VALID_MINUTES`] and bound to the
//!   password hash it was made for, so it works once. Using it replaces the hash only if it is
//!   still that one and ends every session of the account in the same transaction
//!   (`Store::replace_password_hash`), then signs this browser in with a new session.
//! - The answer to a request is the same whether the account exists, has an address or not
//!   (no account probing), and the mail is sent after the answer, off the request path.
//! - Requests are limited per client address and per user name; the token page is never
//!   cached and sends no referrer.
//! - Without mail (`[mail] enabled = false`, no [`AppState::mailer`]) the page says so and
//!   points to `papertide user password NAME`.

use axum::extract::{Form, Query, State};
use axum::http::header::{CACHE_CONTROL, REFERRER_POLICY};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use maud::{html, Markup};
use papertide_core::{User, UserName};
use papertide_mail::link::Signer;
use papertide_mail::message::{render_password_reset, OutgoingMail, PasswordReset, RESET_VALID_MINUTES};
use serde::Deserialize;

use super::auth::{check_password_length, hash_password, start_session, MIN_PASSWORD_CHARS};
use super::subscribe::{mail_host, notice_page};
use crate::error::AppError;
use crate::layout::{page, Shell};
use crate::ratelimit::ClientIp;
use crate::session::Viewer;
use crate::state::AppState;

/// Reset mails one user name may be sent per minute, whoever asks.
const RESETS_PER_NAME_PER_MINUTE: u32 = 2;

/// The `/reset` form.
#[derive(Debug, Deserialize)]
pub struct RequestForm {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The account's user name.
    #[serde(default)]
    pub name: String,
}

/// `?token=` of a reset link.
#[derive(Debug, Deserialize)]
pub struct TokenParams {
    /// The signed token.
    #[serde(default)]
    pub token: String,
}

/// The `/reset/password` form.
#[derive(Debug, Deserialize)]
pub struct ChooseForm {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The signed token from the link.
    #[serde(default)]
    pub token: String,
    /// The new password.
    #[serde(default)]
    pub password: String,
}

fn request_page(viewer: &Viewer, mail_on: bool) -> Markup {
    let shell = Shell { title: "Forgot your password?", viewer, query: "", description: None };
    page(
        &shell,
        html! {
            h1 { "Forgot your password?" }
            @if mail_on {
                p { "Enter your user name. If the account has an email address, we send it a link to choose a new password (valid " (RESET_VALID_MINUTES) " minutes, once)." }
                form method="post" action="/reset" aria-label="Reset password" {
                    input type="hidden" name="csrf" value=(viewer.csrf());
                    label for="name" { "User name" }
                    input #name name="name" required autocomplete="username" minlength="3" maxlength="32";
                    p { button type="submit" { "Send me a link" } }
                }
            } @else {
                p.notice.error role="status" { "Password reset by email is off on this site (no mail server is set up)." }
                p { "Ask an administrator to set a new password with " code { "papertide user password NAME" } "." }
            }
            p { a href="/signin" { "Back to sign in" } }
        },
    )
}

/// `GET /reset`.
pub async fn request_form(State(state): State<AppState>, viewer: Viewer) -> Markup {
    request_page(&viewer, state.mailer().is_some())
}

/// `POST /reset`: mails a link when the account exists and has an address; answers the same
/// in every case.
pub async fn request(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Form(f): Form<RequestForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    state.rate_limit("reset", &client.to_string(), state.config().signin_per_minute).await?;
    let Some(mailer) = state.mailer().cloned() else {
        return Ok((StatusCode::SERVICE_UNAVAILABLE, request_page(&viewer, false)).into_response());
    };
    let name = f.name.trim().to_string();
    if let Ok(parsed) = name.parse::<UserName>() {
        state.rate_limit("reset-name", parsed.key(), RESETS_PER_NAME_PER_MINUTE).await?;
        let store = state.store().clone();
        let base = state.config().base_url.trim_end_matches('/').to_string();
        let mail = state.blocking(move || reset_mail(&*store, &parsed, &base)).await?;
        if let Some((user, mail)) = mail {
            // Sent after the answer: an existing account takes no longer to answer for.
            tokio::task::spawn_blocking(move || match mailer.send(&mail) {
                Ok(()) => tracing::info!(user.name = %user, "password reset mail sent"),
                Err(e) => tracing::warn!(user.name = %user, error = %e, "password reset mail not sent"),
            });
        }
    }
    Ok(notice_page(
        &viewer,
        "Check your inbox",
        StatusCode::OK,
        html! {
            p { "If the account " b { (name) } " has an email address, a link to choose a new password is on its way. It works for " (RESET_VALID_MINUTES) " minutes, once." }
            p { a href="/signin" { "Back to sign in" } }
        },
    ))
}

/// The reset mail for `name`, when the account exists and has a valid address.
fn reset_mail(
    store: &dyn papertide_store::Store,
    name: &UserName,
    base: &str,
) -> Result<Option<(UserName, OutgoingMail)>, AppError> {
    let Some((user, hash)) = store.password_hash_of(name)? else { return Ok(None) };
    let Some(to) = user.email.clone() else { return Ok(None) };
    let now = Utc::now();
    let token =
        Signer::from_store(store)?.reset_token(user.id, &hash, now + Duration::minutes(i64::from(RESET_VALID_MINUTES)));
    let mail = render_password_reset(&PasswordReset {
        to,
        name: user.name.to_string(),
        reset_url: format!("{base}/reset/password?token={token}"),
        base_url: base.to_string(),
        message_id: format!("<reset.{}.{}@{}>", user.id, now.timestamp_micros(), mail_host(base)),
    });
    match mail {
        Ok(mail) => Ok(Some((user.name, mail))),
        Err(e) => {
            tracing::warn!(user.name = %user.name, error = %e, "no password reset mail for this account");
            Ok(None)
        }
    }
}

/// The account a reset token is for, with the password hash it was made for, when the token
/// is genuine, unexpired and unused.
async fn check(state: &AppState, token: &str) -> Result<Option<(User, String)>, AppError> {
    let Some(id) = Signer::reset_token_user(token) else { return Ok(None) };
    let (store, token) = (state.store().clone(), token.to_string());
    state
        .blocking(move || -> Result<_, AppError> {
            let Some(user) = store.user_by_id(id)? else { return Ok(None) };
            let Some((user, hash)) = store.password_hash_of(&user.name)? else { return Ok(None) };
            let genuine = Signer::from_store(&*store)?.check_reset(&token, user.id, &hash, Utc::now());
            Ok(genuine.then_some((user, hash)))
        })
        .await
}

/// Never cached, never sent on as a referrer: the page's URL holds the token.
fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn choose_page(viewer: &Viewer, token: &str, name: &UserName, error: Option<&str>) -> Markup {
    let shell = Shell { title: "Choose a new password", viewer, query: "", description: None };
    page(
        &shell,
        html! {
            h1 { "Choose a new password" }
            @if let Some(e) = error { p.notice.error role="alert" { (e) } }
            p { "For " b { (name) } ". Every other session of this account will be signed out." }
            form method="post" action="/reset/password" aria-label="Choose a new password" {
                input type="hidden" name="csrf" value=(viewer.csrf());
                input type="hidden" name="token" value=(token);
                input type="hidden" name="username" autocomplete="username" value=(name);
                label for="password" { "New password (at least " (MIN_PASSWORD_CHARS) " characters)" }
                input #password name="password" type="password" required autocomplete="new-password" minlength=(MIN_PASSWORD_CHARS);
                p { button type="submit" { "Set password and sign in" } }
            }
        },
    )
}

fn expired(viewer: &Viewer) -> Response {
    private(notice_page(
        viewer,
        "This link does not work any more",
        StatusCode::BAD_REQUEST,
        html! {
            p { "Password reset links work for " (RESET_VALID_MINUTES) " minutes, and only once." }
            p { a href="/reset" { "Ask for a new link" } }
        },
    ))
}

/// `GET /reset/password?token=`.
pub async fn choose_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<TokenParams>,
) -> Result<Response, AppError> {
    Ok(match check(&state, &p.token).await? {
        Some((user, _)) => private(choose_page(&viewer, &p.token, &user.name, None).into_response()),
        None => expired(&viewer),
    })
}

/// `POST /reset/password`: sets the new password, ends every session of the account, and
/// signs this browser in.
pub async fn choose(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Form(f): Form<ChooseForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    state.rate_limit("reset", &client.to_string(), state.config().signin_per_minute).await?;
    let Some((user, old)) = check(&state, &f.token).await? else { return Ok(expired(&viewer)) };
    if let Err(msg) = check_password_length(&f.password) {
        let page = choose_page(&viewer, &f.token, &user.name, Some(&msg));
        return Ok(private((StatusCode::BAD_REQUEST, page).into_response()));
    }
    let password = f.password;
    let hash = state.blocking(move || hash_password(&password)).await?;
    let store = state.store().clone();
    let replaced = state.blocking(move || store.replace_password_hash(user.id, &old, &hash)).await?;
    if !replaced {
        // Used by another request between the check and now.
        return Ok(expired(&viewer));
    }
    tracing::info!(user.name = %user.name, "password reset: new password set, sessions ended");
    start_session(&state, user.id).await
}
