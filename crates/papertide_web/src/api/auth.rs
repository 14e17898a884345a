//! Personal API tokens on the wire: minting them ([`mint`]), the [`Caller`] extractor that
//! reads `Authorization: Bearer pt_…`, and [`token_owner`], the lookup it shares with the
//! private "For you" feed (whose readers can only send the token in the URL).
//!
//! - A token is `pt_` and 43 url-safe characters (256 random bits). The store keeps its
//!   SHA-256 and a short hint (`pt_AbCd`), never the secret, which its owner sees once.
//! - Reads are public: a call without a token is anonymous. A token that is unknown, revoked
//!   or malformed is `401 invalid_token` (never silently anonymous, so a script notices).
//! - A write needs a `write` token: none is `401 unauthorized`, a `read` one
//!   `403 insufficient_scope`. Browsers never send bearer tokens by themselves, so token
//!   calls need no CSRF check; session cookies are not accepted here.
//!
//! Tokens are created on the profile page ([`crate::pages::tokens`]) and with
//! `papertide token create`.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use papertide_core::{ApiToken, TokenScope, User, TOKEN_PREFIX};

use super::ApiError;
use crate::error::AppError;
use crate::session::{random_token, token_hash};
use crate::state::AppState;

/// Characters of the secret kept as its hint (`pt_` and four more).
const HINT_CHARS: usize = 7;

/// A new token: the secret to show once, its hash and its hint to store.
#[derive(Clone)]
pub struct Minted {
    /// `pt_…`: shown to the owner once.
    pub secret: String,
    /// SHA-256 of the secret, as stored.
    pub hash: Vec<u8>,
    /// The first characters, for lists.
    pub hint: String,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted").field("secret", &"<masked>").field("hint", &self.hint).finish_non_exhaustive()
    }
}

/// Mints a new token secret.
pub fn mint() -> Minted {
    let secret = format!("{TOKEN_PREFIX}{}", random_token());
    Minted { hash: token_hash(&secret), hint: secret.chars().take(HINT_CHARS).collect(), secret }
}

/// Who is calling the API: a token's owner with its scope, or nobody.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    token: Option<(User, ApiToken)>,
}

impl Caller {
    /// The token's owner, if a token came.
    pub fn user(&self) -> Option<&User> {
        self.token.as_ref().map(|(u, _)| u)
    }

    /// The scope of the token the call came with.
    pub fn scope(&self) -> Option<TokenScope> {
        self.token.as_ref().map(|(_, t)| t.scope)
    }

    /// True when the call came with a token (answers are then private to it).
    pub fn is_authenticated(&self) -> bool {
        self.token.is_some()
    }

    /// The owner of a token that allows `needed`, or the error to answer.
    pub fn require(&self, needed: TokenScope) -> Result<&User, ApiError> {
        match &self.token {
            None => Err(AppError::Unauthorized.into()),
            Some((_, token)) if !token.scope.allows(needed) => {
                Err(AppError::InsufficientScope { have: token.scope, needed }.into())
            }
            Some((user, _)) => Ok(user),
        }
    }
}

/// The secret of an `Authorization: Bearer` header: `Ok(None)` without the header, an error
/// for any other scheme or a value that cannot be one of our tokens.
fn bearer(parts: &Parts) -> Result<Option<&str>, AppError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else { return Ok(None) };
    let text = value.to_str().map_err(|_| AppError::InvalidToken)?.trim();
    let (scheme, secret) = text.split_once(' ').ok_or(AppError::InvalidToken)?;
    let secret = secret.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || !could_be_token(secret) {
        return Err(AppError::InvalidToken);
    }
    Ok(Some(secret))
}

/// True when `secret` has the shape of one of our tokens (`pt_…`, not absurdly long).
fn could_be_token(secret: &str) -> bool {
    secret.starts_with(TOKEN_PREFIX) && secret.len() <= 128
}

/// The owner of the live token `secret` and the token, looked up by its hash (and its use
/// recorded); [`AppError::InvalidToken`] when it is malformed, unknown or revoked. Also used by
/// the private feeds, whose readers send the token in the URL ([`crate::pages::feeds_for_you`]).
pub(crate) async fn token_owner(state: &AppState, secret: &str) -> Result<(User, ApiToken), AppError> {
    if !could_be_token(secret) {
        return Err(AppError::InvalidToken);
    }
    let hash = token_hash(secret);
    let store = state.store().clone();
    state.blocking(move || store.api_token(&hash, chrono::Utc::now())).await?.ok_or(AppError::InvalidToken)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let Some(secret) = bearer(parts)? else { return Ok(Caller::default()) };
        Ok(Caller { token: Some(token_owner(state, secret).await?) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_prefixed_random_and_masked() {
        let a = mint();
        let b = mint();
        assert!(a.secret.starts_with("pt_") && a.secret.len() == 46, "{}", a.secret.len());
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.hash, token_hash(&a.secret));
        assert_eq!(a.hint, a.secret[..7]);
        assert!(!format!("{a:?}").contains(&a.secret), "Debug masks the secret");
    }

    fn parts(auth: Option<&str>) -> Parts {
        let mut b = axum::http::Request::builder();
        if let Some(v) = auth {
            b = b.header(AUTHORIZATION, v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn bearer_headers_are_checked() {
        assert_eq!(bearer(&parts(None)).unwrap(), None);
        assert_eq!(bearer(&parts(Some("Bearer pt_abc"))).unwrap(), Some("pt_abc"));
        assert_eq!(bearer(&parts(Some("bearer   pt_abc "))).unwrap(), Some("pt_abc"));
        for bad in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer hf_abc", "pt_abc"] {
            assert!(matches!(bearer(&parts(Some(bad))), Err(AppError::InvalidToken)), "{bad}");
        }
    }
}
