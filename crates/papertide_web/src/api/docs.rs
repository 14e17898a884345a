//! `/api/docs`: the OpenAPI document as a page people can read (server-rendered from
//! [`super::ApiDoc`], no script), with a link to the raw `/openapi.json`.

use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{OpenApi, RefOr};

use crate::layout::{page, Shell};
use crate::session::Viewer;

fn location(p: &ParameterIn) -> &'static str {
    match p {
        ParameterIn::Path => "path",
        ParameterIn::Header => "header",
        ParameterIn::Cookie => "cookie",
        ParameterIn::Query => "query",
    }
}

fn operation(method: &str, path: &str, op: &Operation) -> Markup {
    html! {
        section.card id=(op.operation_id.as_deref().unwrap_or(path)) {
            div.body {
                h2 { code { (method) " " (path) } }
                @if let Some(s) = &op.summary { p { strong { (s) } } }
                @if let Some(d) = &op.description { p { (d) } }
                @if let Some(params) = op.parameters.as_ref().filter(|p| !p.is_empty()) {
                    table {
                        thead { tr { th { "Parameter" } th { "In" } th { "Description" } } }
                        tbody {
                            @for p in params {
                                tr {
                                    td { code { (p.name) } }
                                    td { (location(&p.parameter_in)) }
                                    td { (p.description.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
                ul {
                    @for (status, response) in &op.responses.responses {
                        li {
                            code { (status) } " "
                            @match response {
                                RefOr::T(r) => (r.description),
                                RefOr::Ref(r) => (r.ref_location),
                            }
                        }
                    }
                }
            }
        }
    }
}

fn body(doc: &OpenApi) -> Markup {
    html! {
        h1 { (doc.info.title) }
        @if let Some(d) = &doc.info.description { p { (d) } }
        p { "Machine-readable: " a href="/openapi.json" { "/openapi.json" } " (OpenAPI 3.1)." }
        @for (path, item) in &doc.paths.paths {
            @if let Some(op) = &item.get { (operation("GET", path, op)) }
            @if let Some(op) = &item.post { (operation("POST", path, op)) }
            @if let Some(op) = &item.delete { (operation("DELETE", path, op)) }
        }
    }
}

/// `GET /api/docs`.
pub async fn page_handler(viewer: Viewer) -> Response {
    let doc = <super::ApiDoc as utoipa::OpenApi>::openapi();
    let shell = Shell { title: "API", viewer: &viewer, query: "", description: Some("The papertide JSON API.") };
    page(&shell, body(&doc)).into_response()
}
