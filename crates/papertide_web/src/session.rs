//! Who is looking, and proof that a form came from our own page.
//!
//! - Sessions: a random 256-bit token in the `pt_session` cookie (HttpOnly, SameSite=Lax,
//!   Secure when the site is served over https); the database keeps only its SHA-256, so a
//!   leaked database does not leak sessions. A new token is issued at every sign-in (no
//!   session fixation) and deleted at sign-out.
//! - CSRF: every form carries a `csrf` field. Signed-in, it must equal the session's own token
//!   (stored with the session); anonymous (sign-in and sign-up forms), it must equal the
//!   `pt_csrf` cookie ([`ensure_csrf_cookie`] sets one on first visit: double submit).
//!   Comparison is constant-time. A mismatch is [`AppError::Csrf`].
//!
//! [`Viewer`] is the extractor handlers take.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use papertide_core::User;
use sha2::Digest;

use crate::error::AppError;
use crate::state::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "pt_session";
/// The anonymous CSRF cookie.
pub const CSRF_COOKIE: &str = "pt_csrf";

/// A random url-safe token of 32 bytes.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a session token, as stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    sha2::Sha256::digest(token.as_bytes()).to_vec()
}

/// Constant-time equality of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value. `max_age` `None` is a browser-session cookie; `Some(0)` deletes.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("pt_invalid=1; Max-Age=0"))
}

/// The CSRF token minted for this request when it came without a `pt_csrf` cookie.
#[derive(Debug, Clone)]
struct FreshCsrf(String);

/// Middleware: gives every visitor a `pt_csrf` cookie with their first HTML page, so its
/// forms already carry a token that the next POST can match.
pub async fn ensure_csrf_cookie(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let fresh = cookie(&parts, CSRF_COOKIE).is_none_or(str::is_empty).then(random_token);
    if let Some(token) = &fresh {
        parts.extensions.insert(FreshCsrf(token.clone()));
    }
    request = Request::from_parts(parts, body);
    let mut response = next.run(request).await;
    // Only pages carry forms. JSON, feeds and assets may sit in shared caches
    // (`Cache-Control: public`), which must never hand one visitor's cookie to another.
    let is_page = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if let Some(token) = fresh.filter(|_| is_page) {
        response.headers_mut().append(SET_COOKIE, set_cookie(CSRF_COOKIE, &token, None, state.config().secure_cookies));
    }
    response
}

/// Who is making the request: a signed-in user or an anonymous visitor, and the CSRF token
/// their forms must carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    user: Option<User>,
    csrf: String,
    session_hash: Option<Vec<u8>>,
    /// This browser wrote something a few seconds ago ([`crate::cache::WROTE_COOKIE`]): its
    /// pages skip the caches, so it sees its own vote or comment at once.
    wrote_recently: bool,
}

impl Viewer {
    /// Nobody (error pages).
    pub fn anonymous() -> Viewer {
        Viewer { user: None, csrf: String::new(), session_hash: None, wrote_recently: false }
    }

    /// Whether this viewer wrote something in the last few seconds (read your own writes:
    /// cached feed pages are bypassed).
    pub fn wrote_recently(&self) -> bool {
        self.wrote_recently
    }

    /// The signed-in user.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// The signed-in user, or [`AppError::Unauthorized`].
    pub fn require_user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }

    /// The signed-in admin, or an error.
    pub fn require_admin(&self) -> Result<&User, AppError> {
        let user = self.require_user()?;
        if user.role == papertide_core::Role::Admin {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The token this viewer's forms carry.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// The stored hash of the session token, when signed in.
    pub fn session_hash(&self) -> Option<&[u8]> {
        self.session_hash.as_deref()
    }

    /// Checks a submitted form token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if same_token(&self.csrf, submitted) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, AppError> {
        let anonymous_csrf = parts
            .extensions
            .get::<FreshCsrf>()
            .map(|f| f.0.clone())
            .or_else(|| cookie(parts, CSRF_COOKIE).map(str::to_string))
            .unwrap_or_default();
        let wrote_recently = cookie(parts, crate::cache::WROTE_COOKIE).is_some();
        let Some(token) = cookie(parts, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Ok(Viewer { user: None, csrf: anonymous_csrf, session_hash: None, wrote_recently });
        };
        let hash = token_hash(token);
        let store = state.store().clone();
        let lookup = hash.clone();
        let found = state.blocking(move || store.session(&lookup, chrono::Utc::now())).await?;
        Ok(match found {
            Some((user, session)) => {
                Viewer { user: Some(user), csrf: session.csrf, session_hash: Some(hash), wrote_recently }
            }
            None => Viewer { user: None, csrf: anonymous_csrf, session_hash: None, wrote_recently },
        })
    }
}
