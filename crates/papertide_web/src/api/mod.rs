//! The JSON API.
//!
//! - [`hf`]: the endpoints the Hugging Face Hub serves for papers (`/api/daily_papers`,
//!   `/api/papers/search`, `/api/papers/{id}`), in the Hub's shapes, so the official
//!   `huggingface_hub` client and its `hf papers` CLI work against papertide unchanged.
//! - [`ApiError`]: every API error as `{"error": {"code": "snake_case", "message": "…"}}` with
//!   the status from [`AppError`]'s table (and `Retry-After` when rate limited).
//!
//! - [`http`]: ETag / `304`, `Cache-Control` and configurable CORS on the read endpoints.
//! - [`ApiDoc`]: the OpenAPI 3.1 document, generated from the handlers' annotations, served at
//!   `/openapi.json` and browsable at `/api/docs` ([`docs`]).
//!
//! Response types are separate from the store's rows: they are the wire format.

pub mod docs;
pub mod hf;
pub mod http;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::AppError;

/// Query parameters whose parse errors are JSON [`ApiError`]s (axum's `Query` answers them
/// in plain text).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(AppError::bad_request(format!("query parameters: {}", e.body_text())).into()),
        }
    }
}

/// An [`AppError`] answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

/// The body of an API error.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code (`not_found`, `bad_request`, …).
    #[schema(value_type = String)]
    pub code: &'static str,
    /// A message for people, naming the field or record.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, status) = self.0.code_and_status();
        if let AppError::Internal(cause) = &self.0 {
            tracing::error!(error = %cause, "API request failed");
        }
        let message = self.0.to_string();
        let mut response =
            (status, Json(ErrorBody { error: ErrorDetail { code, message: message.clone() } })).into_response();
        let headers = response.headers_mut();
        if let AppError::RateLimited { retry_after } = self.0 {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        // The Hub's error headers, which huggingface_hub turns into its own exception types
        // (a 404 becomes `EntryNotFoundError`).
        if status == StatusCode::NOT_FOUND {
            headers.insert("x-error-code", HeaderValue::from_static("EntryNotFound"));
        }
        if let Ok(v) = HeaderValue::from_str(&message) {
            headers.insert("x-error-message", v);
        }
        response
    }
}

/// The OpenAPI document of the JSON API.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "papertide API",
        description = "The JSON API of a papertide server. The `hub` endpoints answer as the Hugging Face \
            Hub does, so `huggingface_hub` (`HfApi(endpoint=...)`, `HF_ENDPOINT=... hf papers ...`) works \
            against this server. Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(hf::daily_papers, hf::search, hf::paper),
    components(schemas(hf::HubItem, hf::HubPaper, hf::HubAuthor, hf::HubUser, ErrorBody, ErrorDetail)),
    tags((name = "hub", description = "Hugging Face Hub compatible paper endpoints"))
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}
