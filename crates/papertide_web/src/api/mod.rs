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
//! - papertide's own API under `/api/v1`: [`papers`] (a paper, submit, upvote, comments,
//!   similar), [`search`] (every option, cursor paging), [`users`] (profiles, `/me`, exports);
//!   wire types in [`types`], paging cursors in [`cursor`], bearer tokens in [`auth`].
//!
//! Response types are separate from the store's rows: they are the wire format.

pub mod auth;
pub mod cursor;
pub mod docs;
pub mod hf;
pub mod http;
pub mod papers;
pub mod search;
pub mod types;
pub mod users;

use axum::http::{HeaderValue, StatusCode};
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

/// A JSON request body whose errors are JSON [`ApiError`]s naming the problem (axum's `Json`
/// answers them in plain text).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(AppError::bad_request(format!("request body: {}", e.body_text())).into()),
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
        self.0.add_headers(headers);
        // The Hub's error headers, which huggingface_hub turns into its own exception types
        // (a 404 becomes `EntryNotFoundError`).
        if status == StatusCode::NOT_FOUND {
            headers.insert("x-error-code", HeaderValue::from_static("EntryNotFound"));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers
                .insert(axum::http::header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"papertide\""));
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
            against this server. The `/api/v1` endpoints are papertide's own: reads are public; writes need a \
            personal API token with the `write` scope (`Authorization: Bearer pt_...`, created on your profile \
            page or with `papertide token create`). Errors are `{\"error\": {\"code\", \"message\"}}`; \
            lists page with `next_cursor`."
    ),
    paths(
        hf::daily_papers,
        hf::search,
        hf::paper,
        papers::paper,
        papers::submit,
        papers::upvote_state,
        papers::vote,
        papers::unvote_doc,
        papers::comments,
        papers::add_comment,
        papers::similar,
        search::search,
        users::profile,
        users::me,
        users::me_export,
        crate::pages::for_you::api,
        users::export_papers,
    ),
    components(schemas(hf::HubItem, hf::HubPaper, hf::HubAuthor, hf::HubUser, ErrorBody, ErrorDetail)),
    modifiers(&BearerToken),
    tags(
        (name = "hub", description = "Hugging Face Hub compatible paper endpoints"),
        (name = "papers", description = "Papers, upvotes and comments"),
        (name = "search", description = "Search"),
        (name = "users", description = "Profiles and your account"),
        (name = "export", description = "Data export"),
    )
)]
pub struct ApiDoc;

/// Declares the `token` security scheme: `Authorization: Bearer pt_...`.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token, `pt_...`, with the `read` or `write` scope"))
                    .build(),
            ),
        );
    }
}

/// `GET /openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}
