//! Accounts: sign up, sign in, sign out. Passwords are hashed with Argon2id (the `argon2`
//! crate's defaults: 19 MiB, 2 passes), on a blocking thread. Sign-in attempts are limited per
//! IP address; a failed sign-in says only "wrong name or password". Every sign-in issues a new
//! session token (see [`crate::session`]).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Form, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use maud::{html, Markup};
use papertide_core::{Role, UserName};
use serde::Deserialize;

use crate::error::AppError;
use crate::layout::{page, Shell};
use crate::ratelimit::ClientIp;
use crate::session::{random_token, set_cookie, token_hash, Viewer, SESSION_COOKIE};
use crate::state::AppState;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (hashing cost is bounded).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks a new password's length ([`MIN_PASSWORD_CHARS`] to [`MAX_PASSWORD_CHARS`]
/// characters); the error is the form message.
pub fn check_password_length(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(format!("Password: use {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters."))
    }
}

/// Hashes a password with Argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))
}

/// True when `password` matches the stored PHC hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The sign-up and sign-in form fields.
#[derive(Debug, Deserialize)]
pub struct AccountForm {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// User name.
    #[serde(default)]
    pub name: String,
    /// Password.
    #[serde(default)]
    pub password: String,
    /// Email (sign-up, optional).
    #[serde(default)]
    pub email: Option<String>,
}

fn form(viewer: &Viewer, action: &str, title: &str, error: Option<&str>, name: &str, signup: bool) -> Markup {
    let shell = Shell { title, viewer, query: "", description: None };
    page(
        &shell,
        html! {
            h1 { (title) }
            @if let Some(e) = error { p.notice.error role="alert" { (e) } }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(viewer.csrf());
                label for="name" { "User name" }
                input #name name="name" required autocomplete="username" value=(name) minlength="3" maxlength="32";
                @if signup {
                    label for="email" { "Email (optional)" }
                    input #email name="email" type="email" autocomplete="email";
                }
                label for="password" { "Password" @if signup { " (at least " (MIN_PASSWORD_CHARS) " characters)" } }
                input #password name="password" type="password" required autocomplete=(if signup { "new-password" } else { "current-password" });
                p { button type="submit" { (title) } }
            }
            @if signup { p { "Have an account? " a href="/signin" { "Sign in" } } }
            @else {
                p { "New here? " a href="/signup" { "Sign up" } }
                p { a href="/reset" { "Forgot your password?" } }
            }
        },
    )
}

/// `GET /signup`.
pub async fn signup_form(viewer: Viewer) -> Markup {
    form(&viewer, "/signup", "Sign up", None, "", true)
}

/// `GET /signin`.
pub async fn signin_form(viewer: Viewer) -> Markup {
    form(&viewer, "/signin", "Sign in", None, "", false)
}

fn with_session(state: &AppState, token: &str) -> Response {
    let age = state.config().session_days * 86_400;
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, set_cookie(SESSION_COOKIE, token, Some(age), state.config().secure_cookies));
    response
}

/// Signs `user` in with a new session and redirects home.
pub(crate) async fn start_session(state: &AppState, user: papertide_core::UserId) -> Result<Response, AppError> {
    let token = random_token();
    let (hash, csrf) = (token_hash(&token), random_token());
    let expires = Utc::now() + Duration::days(state.config().session_days);
    let store = state.store().clone();
    state.blocking(move || store.create_session(&hash, user, &csrf, Utc::now(), expires)).await?;
    Ok(with_session(state, &token))
}

/// `POST /signup`.
pub async fn signup(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Form(f): Form<AccountForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    state.rate_limit("signup", &client.to_string(), state.config().signin_per_minute).await?;
    let again = |msg: &str| {
        (StatusCode::BAD_REQUEST, form(&viewer, "/signup", "Sign up", Some(msg), &f.name, true)).into_response()
    };
    let name: UserName = match f.name.trim().parse() {
        Ok(n) => n,
        Err(e) => return Ok(again(&format!("User name: {e}"))),
    };
    if let Err(msg) = check_password_length(&f.password) {
        return Ok(again(&msg));
    }
    let email = f.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string);
    if email.as_deref().is_some_and(|e| !e.contains('@') || e.len() > 254) {
        return Ok(again("Email: that does not look like an email address."));
    }
    let password = f.password.clone();
    let hash = state.blocking(move || hash_password(&password)).await?;
    let store = state.store().clone();
    let created = state.blocking(move || store.create_user(&name, email.as_deref(), &hash, Role::User)).await;
    match created {
        Ok(user) => start_session(&state, user.id).await,
        Err(AppError::Conflict { .. }) => Ok(again("User name: that name is taken.")),
        Err(e) => Err(e),
    }
}

/// `POST /signin`.
pub async fn signin(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Form(f): Form<AccountForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    state.rate_limit("signin", &client.to_string(), state.config().signin_per_minute).await?;
    let wrong = || {
        (StatusCode::UNAUTHORIZED, form(&viewer, "/signin", "Sign in", Some("Wrong name or password."), &f.name, false))
            .into_response()
    };
    let Ok(name) = f.name.trim().parse::<UserName>() else { return Ok(wrong()) };
    let store = state.store().clone();
    let found = state.blocking(move || store.password_hash_of(&name)).await?;
    let password = f.password.clone();
    let (user, ok) = match found {
        Some((user, hash)) => {
            let ok = state.blocking(move || Ok::<_, AppError>(verify_password(&password, &hash))).await?;
            (Some(user), ok)
        }
        None => {
            // Spend the same time as a real check, so names cannot be probed by timing.
            let _ = state.blocking(move || hash_password(&password)).await?;
            (None, false)
        }
    };
    match user {
        Some(user) if ok => start_session(&state, user.id).await,
        _ => Ok(wrong()),
    }
}

/// A form that carries only its CSRF token (sign-out, token revocation, feed links).
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /signout`.
pub async fn signout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    if let Some(hash) = viewer.session_hash().map(<[u8]>::to_vec) {
        let store = state.store().clone();
        state.blocking(move || store.delete_session(&hash)).await?;
    }
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0), state.config().secure_cookies));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "salted");
    }
}
