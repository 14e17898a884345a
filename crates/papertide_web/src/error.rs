//! [`AppError`]: every way a request can fail, with its code, HTTP status and the message the
//! user sees. Internal errors are logged once here, with their cause, and shown as a generic
//! message: internals never leak into pages or JSON.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist (`what` is shown: "paper 2401.00001").
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// The request is malformed (`message` names the field).
    #[error("{message}")]
    BadRequest {
        /// What is wrong, naming the field.
        message: String,
    },
    /// Signing in is required.
    #[error("please sign in first")]
    Unauthorized,
    /// Signed in, but not allowed.
    #[error("you are not allowed to do that")]
    Forbidden,
    /// The form's CSRF token is missing or wrong (a stale page, or a forged request).
    #[error("this form has expired; reload the page and try again")]
    Csrf,
    /// The action conflicts with existing data (`message` says how).
    #[error("{message}")]
    Conflict {
        /// What conflicts.
        message: String,
    },
    /// The resource exists but not with this HTTP method.
    #[error("this method is not allowed here (allowed: {allow})")]
    MethodNotAllowed {
        /// The methods that are, for the `Allow` header (`GET, POST`).
        allow: &'static str,
    },
    /// The API token in `Authorization: Bearer` is unknown, revoked or malformed.
    #[error("the API token is invalid or revoked")]
    InvalidToken,
    /// The API token's scope does not allow this call (a `read` token that tried to write).
    #[error("this API token's scope is `{have}`; this call needs `{needed}`")]
    InsufficientScope {
        /// The token's scope.
        have: papertide_core::TokenScope,
        /// The scope the call needs.
        needed: papertide_core::TokenScope,
    },
    /// A service the request depends on (arXiv) cannot be reached; try again later.
    #[error("{message}")]
    Unavailable {
        /// What is unavailable.
        message: String,
    },
    /// Too many requests; retry after this many seconds.
    #[error("too many requests; try again in {retry_after} s")]
    RateLimited {
        /// Seconds until the limit resets.
        retry_after: u64,
    },
    /// Anything else: logged with its cause, shown as a generic message.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// Wraps an internal error (store, search, I/O).
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> AppError {
        AppError::Internal(Box::new(e))
    }

    /// A bad request naming the problem.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::BadRequest { message: message.into() }
    }

    /// Not found.
    pub fn not_found(what: impl Into<String>) -> AppError {
        AppError::NotFound { what: what.into() }
    }

    /// Adds the headers the error calls for, HTML or JSON: `Retry-After` when rate limited,
    /// `Allow` for a method not allowed.
    pub fn add_headers(&self, headers: &mut axum::http::HeaderMap) {
        use axum::http::{header, HeaderValue};
        match self {
            AppError::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            AppError::MethodNotAllowed { allow } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            _ => {}
        }
    }

    /// The table: (code, status) of each variant.
    pub fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            AppError::NotFound { .. } => ("not_found", StatusCode::NOT_FOUND),
            AppError::BadRequest { .. } => ("bad_request", StatusCode::BAD_REQUEST),
            AppError::Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED),
            AppError::Forbidden => ("forbidden", StatusCode::FORBIDDEN),
            AppError::Csrf => ("csrf_failed", StatusCode::FORBIDDEN),
            AppError::Conflict { .. } => ("conflict", StatusCode::CONFLICT),
            AppError::MethodNotAllowed { .. } => ("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED),
            AppError::InvalidToken => ("invalid_token", StatusCode::UNAUTHORIZED),
            AppError::InsufficientScope { .. } => ("insufficient_scope", StatusCode::FORBIDDEN),
            AppError::Unavailable { .. } => ("unavailable", StatusCode::SERVICE_UNAVAILABLE),
            AppError::RateLimited { .. } => ("rate_limited", StatusCode::TOO_MANY_REQUESTS),
            AppError::Internal(_) => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl From<papertide_store::StoreError> for AppError {
    fn from(e: papertide_store::StoreError) -> Self {
        use papertide_store::StoreError;
        match e {
            StoreError::NotFound { what } => AppError::NotFound { what },
            StoreError::Conflict { what } => AppError::Conflict { message: what },
            StoreError::Forbidden { .. } => AppError::Forbidden,
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "the database is unavailable");
                AppError::Unavailable { message: "the database is unavailable; try again in a few seconds".into() }
            }
            other => AppError::internal(other),
        }
    }
}

impl From<papertide_search::SearchError> for AppError {
    fn from(e: papertide_search::SearchError) -> Self {
        match e {
            papertide_search::SearchError::UnknownPaper(id) => AppError::not_found(format!("paper {id}")),
            other => AppError::internal(other),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (code, status) = self.code_and_status();
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = %cause, "request failed");
        }
        let message = self.to_string();
        let mut response = (status, crate::layout::error_page(status, code, &message)).into_response();
        self.add_headers(response.headers_mut());
        response
    }
}
