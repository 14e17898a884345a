//! Personal API tokens on the profile page: the owner sees their tokens (name, hint, scope,
//! last use) with a revoke button each, and a form to create one; a new token's secret is
//! shown once, on the page the form leads to (`POST /settings/tokens`), never again.
//! Revoking is `POST /settings/tokens/{id}/revoke`. Both forms are CSRF-checked.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{html, Markup};
use papertide_core::{token_name, ApiToken, TokenId, TokenScope, User};
use serde::Deserialize;

use crate::api::auth::Minted;
use crate::error::AppError;
use crate::layout::{page, Shell};
use crate::session::Viewer;
use crate::state::AppState;

/// Most tokens one user may hold.
pub const MAX_TOKENS: usize = 50;

/// The tokens section of the owner's own profile page.
pub fn section(viewer: &Viewer, tokens: &[ApiToken]) -> Markup {
    html! {
        section #api-tokens aria-labelledby="tokens-h" {
            h2 #tokens-h { "API tokens" }
            p.muted {
                "Tokens let scripts use the " a href="/api/docs" { "JSON API" } " as you. "
                "Send one as " code { "Authorization: Bearer pt_…" } ". A " b { "read" } " token reads; a "
                b { "write" } " token also submits, upvotes and comments."
            }
            @if tokens.is_empty() { p.muted { "No tokens yet." } } @else {
                table.tokens {
                    thead { tr { th { "Name" } th { "Token" } th { "Scope" } th { "Created" } th { "Last used" } th {} } }
                    tbody { @for t in tokens {
                        tr {
                            td { (t.name) }
                            td { code { (t.hint) "…" } }
                            td { (t.scope) }
                            td { (t.created_at.format("%Y-%m-%d")) }
                            td { @match t.last_used_at { Some(at) => (at.format("%Y-%m-%d %H:%M")), None => "never" } }
                            td { form method="post" action={ "/settings/tokens/" (t.id) "/revoke" } {
                                input type="hidden" name="csrf" value=(viewer.csrf());
                                button type="submit" aria-label={ "Revoke token " (t.name) } { "Revoke" }
                            } }
                        }
                    } }
                }
            }
            form method="post" action="/settings/tokens" aria-label="Create an API token" {
                input type="hidden" name="csrf" value=(viewer.csrf());
                label for="token-name" { "Name" }
                input #token-name name="name" required maxlength="64" placeholder="laptop script";
                label for="token-scope" { "Scope" }
                select #token-scope name="scope" {
                    option value="read" selected { "read" }
                    option value="write" { "write" }
                }
                button type="submit" { "Create token" }
            }
        }
    }
}

/// The create form.
#[derive(Debug, Deserialize)]
pub struct CreateForm {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// A name for the token.
    #[serde(default)]
    pub name: String,
    /// `read` or `write`.
    #[serde(default)]
    pub scope: String,
}

/// `POST /settings/tokens`: creates a token and shows its secret once.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    let user = viewer.require_user()?;
    let scope: TokenScope = form.scope.parse().map_err(|e| AppError::bad_request(format!("{e}")))?;
    let (token, minted) = create_token(&state, user, &form.name, scope).await?;
    let shell = Shell { title: "New API token", viewer: &viewer, query: "", description: None };
    let profile = format!("/users/{}", user.name);
    let body = html! {
        h1 { "New API token" }
        p.notice role="status" { "Copy this token now: it will not be shown again." }
        p { "Name: " b { (token.name) } " · scope: " b { (token.scope) } }
        p { input #new-token readonly size="56" value=(minted.secret) aria-label="Your new API token"; }
        p { "Use it as " code { "Authorization: Bearer " (minted.secret) } }
        p { a href={ (profile) "#api-tokens" } { "Back to your profile" } }
    };
    let mut response = (StatusCode::CREATED, page(&shell, body)).into_response();
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Creates a token named `name` for `user` (at most [`MAX_TOKENS`] each, posts rate-limited):
/// the stored record, and the secret to show once. Also used by the "For you" feed link
/// ([`super::feeds_for_you`]).
pub(crate) async fn create_token(
    state: &AppState,
    user: &User,
    name: &str,
    scope: TokenScope,
) -> Result<(ApiToken, Minted), AppError> {
    state.rate_limit("post", &user.id.0.to_string(), state.config().posts_per_minute).await?;
    let name = token_name(name).map_err(AppError::bad_request)?;
    let minted = crate::api::auth::mint();
    let store = state.store().clone();
    let (owner, hash, hint) = (user.id, minted.hash.clone(), minted.hint.clone());
    let token = state
        .blocking(move || -> Result<ApiToken, AppError> {
            if store.api_tokens(owner)?.len() >= MAX_TOKENS {
                return Err(AppError::Conflict {
                    message: format!("you have {MAX_TOKENS} tokens already; revoke one on your profile page first"),
                });
            }
            Ok(store.create_api_token(owner, &name, &hash, &hint, scope, Utc::now())?)
        })
        .await?;
    tracing::info!(user = %user.name, token.id = %token.id, scope = %token.scope, "API token created");
    Ok((token, minted))
}

/// `POST /settings/tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<super::auth::CsrfForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    let user = viewer.require_user()?.clone();
    let store = state.store().clone();
    let owner = user.id;
    if !state.blocking(move || store.revoke_api_token(owner, TokenId(id))).await? {
        return Err(AppError::not_found(format!("token {id}")));
    }
    tracing::info!(user = %user.name, token.id = id, "API token revoked");
    Ok(Redirect::to(&format!("/users/{}#api-tokens", user.name)).into_response())
}
