//! The paper page (`/papers/ID`, old-style ids too: `/papers/hep-th/9901001`), its Markdown
//! form (`/papers/ID.md`), and the actions posted to it: `/papers/ID/upvote` and
//! `/papers/ID/comments`; comment edits, deletion and hiding at `/comments/{id}`. The library
//! actions (`/save`, `/unsave`, `/not-interested`) and the page's library panel are
//! [`super::library`]'s.

use axum::extract::{Form, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{html, Markup};
use papertide_core::{Comment, CommentBody, CommentId, Paper, PaperId};
use papertide_search::engine::{Hit, Mode};
use papertide_search::keyword::Filters;
use serde::Deserialize;

use crate::error::AppError;
use crate::layout::{self, page, Shell};
use crate::markdown;
use crate::pages::library::{self, PaperLibrary};
use crate::session::Viewer;
use crate::state::AppState;

/// Similar papers shown on a paper page.
const SIMILAR: usize = 6;

fn parse_id(text: &str) -> Result<PaperId, AppError> {
    text.parse().map_err(|e| AppError::bad_request(format!("`{text}` is not a paper id: {e}")))
}

/// `GET /papers/{*id}`: the page, or its Markdown when the path ends in `.md`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let (id_text, markdown) = match raw.strip_suffix(".md") {
        Some(id) => (id, true),
        None => (raw.as_str(), false),
    };
    let id = parse_id(id_text)?;
    let store = state.store().clone();
    let engine = state.search().clone();
    let caches = state.clone();
    let user = viewer.user().map(|u| u.id);
    let want = id.clone();
    let loaded = state
        .blocking(move || -> Result<_, AppError> {
            let Some(paper) = store.paper(&want)? else { return Ok(None) };
            let community = store.community(&want)?;
            if markdown {
                return Ok(Some((paper, community, Vec::new(), Vec::new(), false, None)));
            }
            let comments = store.comments(&want)?;
            let similar = match caches.caches().similar.get(&want, 0) {
                Some(hits) => hits,
                None => match engine.similar(&want, Mode::Hybrid, SIMILAR, &Filters::default()) {
                    Ok(r) => {
                        caches.caches().similar.put(want.clone(), 0, r.hits.clone());
                        r.hits
                    }
                    Err(e) => {
                        tracing::warn!(paper.id = %want, error = %e, "similar papers unavailable");
                        Vec::new()
                    }
                },
            };
            let voted = match user {
                Some(u) => store.has_upvoted(u, std::slice::from_ref(&want))?.contains(&want),
                None => false,
            };
            let library = user.map(|u| PaperLibrary::load(&*store, u, &paper.id)).transpose()?;
            Ok(Some((paper, community, comments, similar, voted, library)))
        })
        .await?;
    let Some((paper, community, comments, similar, voted, library)) = loaded else {
        return Err(AppError::not_found(format!("paper {id}")));
    };
    // Old URLs with a version or prefix go to the canonical one.
    if !markdown && id_text != paper.id.as_str() {
        return Ok(Redirect::permanent(&layout::paper_path(&paper)).into_response());
    }
    if markdown {
        let text = markdown::paper_markdown(&paper, &community, &state.config().base_url);
        return Ok(([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], text).into_response());
    }
    let shell = Shell { title: &paper.title, viewer: &viewer, query: "", description: Some(&paper.abstract_text) };
    let view = View { community: &community, comments: &comments, similar: &similar, voted, library: library.as_ref() };
    Ok(page(&shell, body(&paper, &view, &viewer)).into_response())
}

/// What a paper page shows besides the paper.
struct View<'a> {
    community: &'a papertide_core::Community,
    comments: &'a [Comment],
    similar: &'a [Hit],
    voted: bool,
    /// The viewer's library, when signed in.
    library: Option<&'a PaperLibrary>,
}

fn body(paper: &Paper, view: &View<'_>, viewer: &Viewer) -> Markup {
    let &View { community, comments, similar, voted, library } = view;
    let (abs, pdf) = layout::arxiv_links(paper);
    html! {
        div.layout2 {
            article {
                h1.tex { (paper.title) }
                p.authors { (paper.authors.join(", ")) }
                div.meta {
                    span { (paper.id) @if paper.version > 0 { " v" (paper.version) } }
                    @if let Some(d) = paper.published { span { "Published " (d.format("%Y-%m-%d")) } }
                    @if let Some(d) = paper.updated { span { "Updated " (d.format("%Y-%m-%d")) } }
                    @for c in &paper.categories { span.pill { (c) } }
                }
                div.meta {
                    @if let Some(a) = abs { a href=(a) rel="noopener" { "arXiv page" } }
                    @if let Some(p) = pdf { a href=(p) rel="noopener" { "PDF" } }
                    @if let Some(code) = paper.links.code.as_deref().and_then(layout::safe_href) { a href=(code) rel="noopener nofollow" { "Code" } }
                    a href={ (layout::paper_path(paper)) ".md" } { "Markdown" }
                }
                form method="post" action={ (layout::paper_path(paper)) "/upvote" } {
                    input type="hidden" name="csrf" value=(viewer.csrf());
                    input type="hidden" name="undo" value=(if voted { "1" } else { "0" });
                    button type="submit" aria-pressed=(if voted { "true" } else { "false" }) {
                        "▲ " (if voted { "Upvoted" } else { "Upvote" }) " · " (community.upvotes)
                    }
                }
                @if let Some(lib) = library { (library::panel(viewer, paper, lib)) }
                @if let Some(by) = &community.submitted_by {
                    p.muted { "Submitted by " a href={ "/users/" (by) } { (by) }
                        @if let Some(at) = community.submitted_at { " on " (at.format("%Y-%m-%d")) } }
                }
                h2 { "Abstract" }
                p.abstract.tex { (paper.abstract_text) }
                @if let Some(comment) = &paper.comment { p.muted { "Comments: " (comment) } }
                @if let Some(j) = &paper.journal_ref { p.muted { "Journal reference: " (j) } }
                @if let Some(doi) = &paper.doi { p.muted { "DOI: " a href={ "https://doi.org/" (doi) } rel="noopener" { (doi) } } }
                section #comments aria-labelledby="comments-h" {
                    h2 #comments-h { "Comments (" (community.comment_count) ")" }
                    (comment_list(comments, viewer))
                    @if viewer.user().is_some() {
                        form method="post" action={ (layout::paper_path(paper)) "/comments" } {
                            input type="hidden" name="csrf" value=(viewer.csrf());
                            label for="comment-body" { "Add a comment (Markdown)" }
                            textarea #comment-body name="body" required maxlength="10000" {}
                            button type="submit" { "Comment" }
                        }
                    } @else {
                        p { a href="/signin" { "Sign in" } " to comment." }
                    }
                }
            }
            aside aria-labelledby="similar-h" {
                h2 #similar-h { "Similar papers" }
                @if similar.is_empty() { p.muted { "None yet." } }
                ol.cards {
                    @for hit in similar {
                        li.card { div.body {
                            h3.tex { a href=(layout::paper_path(&hit.paper)) { (hit.paper.title) } }
                            div.authors { (layout::authors(&hit.paper, 3)) }
                        } }
                    }
                }
            }
        }
    }
}

fn comment_list(comments: &[Comment], viewer: &Viewer) -> Markup {
    let me = viewer.user();
    let admin = me.is_some_and(|u| u.role == papertide_core::Role::Admin);
    html! {
        ol.comments {
            @for c in comments {
                li #{ "comment-" (c.id.0) } {
                    div.meta {
                        a href={ "/users/" (c.author) } { (c.author) }
                        span { (c.created_at.format("%Y-%m-%d %H:%M")) " UTC" }
                        @if c.edited_at.is_some() { span { "(edited)" } }
                    }
                    @if c.deleted { p.muted { "[deleted]" } }
                    @else if c.hidden && !admin { p.muted { "[hidden by a moderator]" } }
                    @else { div { (maud::PreEscaped(markdown::render_comment(&c.body_markdown))) } }
                    @if !c.deleted {
                        @if me.is_some_and(|u| u.id == c.author_id) {
                            details { summary { "Edit" }
                                form method="post" action={ "/comments/" (c.id.0) } {
                                    input type="hidden" name="csrf" value=(viewer.csrf());
                                    input type="hidden" name="action" value="edit";
                                    label for={ "edit-" (c.id.0) } { "Comment" }
                                    textarea id={ "edit-" (c.id.0) } name="body" required maxlength="10000" { (c.body_markdown) }
                                    button type="submit" { "Save" }
                                }
                            }
                            form.inline method="post" action={ "/comments/" (c.id.0) } {
                                input type="hidden" name="csrf" value=(viewer.csrf());
                                input type="hidden" name="action" value="delete";
                                button.plain type="submit" { "Delete" }
                            }
                        }
                        @if admin {
                            form.inline method="post" action={ "/comments/" (c.id.0) } {
                                input type="hidden" name="csrf" value=(viewer.csrf());
                                input type="hidden" name="action" value=(if c.hidden { "unhide" } else { "hide" });
                                button.plain type="submit" { (if c.hidden { "Unhide" } else { "Hide" }) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A form posted to a paper: upvote or not interested (`undo=1` takes either back), a
/// comment, a library tag.
#[derive(Debug, Deserialize)]
pub struct PaperForm {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// `1` to remove an upvote.
    #[serde(default)]
    pub undo: Option<String>,
    /// A comment's Markdown.
    #[serde(default)]
    pub body: Option<String>,
    /// A library tag (save, unsave).
    #[serde(default)]
    pub tag: Option<String>,
    /// The feed date a submission is removed from (`YYYY-MM-DD`, admins).
    #[serde(default)]
    pub date: Option<String>,
    /// Where to go back to after an upvote or a removal (a path on this site, such as the feed page the
    /// vote was cast on); anything else is ignored.
    #[serde(default)]
    pub next: Option<String>,
}

/// `next` if it is a path on this site (`/…`, not `//host` or `/\host`), else `fallback`:
/// never an open redirect.
pub fn local_path(next: Option<&str>, fallback: String) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => fallback,
    }
}

/// `POST /papers/{*id}/upvote`, `POST /papers/{*id}/comments`, (admins)
/// `POST /papers/{*id}/remove` to take a submission off a day's feed, and the library actions
/// `save`, `unsave` and `not-interested` ([`library::act`]).
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(form): Form<PaperForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    let user = viewer.require_user()?.clone();
    let (id_text, action) = raw.rsplit_once('/').ok_or_else(|| AppError::not_found("page"))?;
    let id = parse_id(id_text)?;
    state.rate_limit("post", &user.id.0.to_string(), state.config().posts_per_minute).await?;
    let store = state.store().clone();
    let target = id.clone();
    match action {
        "upvote" => {
            let undo = form.undo.as_deref() == Some("1");
            state
                .blocking(move || -> Result<(), AppError> {
                    if store.paper(&target)?.is_none() {
                        return Err(AppError::not_found(format!("paper {target}")));
                    }
                    if undo {
                        store.remove_upvote(user.id, &target)?;
                    } else {
                        store.upvote(user.id, &target, Utc::now())?;
                    }
                    Ok(())
                })
                .await?;
            Ok(Redirect::to(&local_path(form.next.as_deref(), format!("/papers/{id}"))).into_response())
        }
        "comments" => {
            let body = CommentBody::new(form.body.unwrap_or_default())
                .map_err(|e| AppError::bad_request(format!("comment: {e}")))?;
            let comment = state
                .blocking(move || -> Result<Comment, AppError> {
                    if store.paper(&target)?.is_none() {
                        return Err(AppError::not_found(format!("paper {target}")));
                    }
                    Ok(store.add_comment(user.id, &target, &body, Utc::now())?)
                })
                .await?;
            Ok(Redirect::to(&format!("/papers/{id}#comment-{}", comment.id.0)).into_response())
        }
        "remove" => {
            viewer.require_admin()?;
            let date = form.date.as_deref().unwrap_or("");
            let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| AppError::bad_request(format!("`date` must be a day like 2026-03-05, not `{date}`")))?;
            let removed = state.blocking(move || store.remove_submission(&target, date, Utc::now())).await?;
            if !removed {
                return Err(AppError::not_found(format!("paper {id} on the feed of {date}")));
            }
            tracing::info!(paper.id = %id, %date, admin = %user.name, "submission removed from the feed");
            Ok(Redirect::to(&local_path(form.next.as_deref(), format!("/papers/date/{date}"))).into_response())
        }
        "save" | "unsave" | "not-interested" => library::act(&state, &user, id, action, form).await,
        _ => Err(AppError::not_found("page")),
    }
}

/// A form posted to a comment.
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// `edit`, `delete`, `hide` or `unhide`.
    pub action: String,
    /// The new Markdown (edit).
    #[serde(default)]
    pub body: Option<String>,
}

/// `POST /comments/{id}`: edit or delete one's own comment; hide or unhide (admins).
pub async fn comment_action(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&form.csrf)?;
    let user = viewer.require_user()?.clone();
    let id = CommentId(id);
    let store = state.store().clone();
    let action = form.action.clone();
    if matches!(action.as_str(), "hide" | "unhide") {
        viewer.require_admin()?;
    }
    let body = match action.as_str() {
        "edit" => Some(
            CommentBody::new(form.body.unwrap_or_default())
                .map_err(|e| AppError::bad_request(format!("comment: {e}")))?,
        ),
        "delete" | "hide" | "unhide" => None,
        other => {
            return Err(AppError::bad_request(format!("`action` must be edit, delete, hide or unhide, not `{other}`")))
        }
    };
    let paper = state
        .blocking(move || -> Result<PaperId, AppError> {
            let comment = store.comment(id)?.ok_or_else(|| AppError::not_found(format!("comment {}", id.0)))?;
            match (action.as_str(), body) {
                ("edit", Some(body)) => {
                    store.edit_comment(id, user.id, &body, Utc::now())?;
                }
                ("delete", _) => store.delete_comment(id, user.id)?,
                (a, _) => store.set_comment_hidden(id, a == "hide")?,
            }
            Ok(comment.paper)
        })
        .await?;
    Ok(Redirect::to(&format!("/papers/{paper}#comment-{}", id.0)).into_response())
}
