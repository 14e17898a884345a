//! A user's library (arxiv-sanity-lite's tags) and "not interested" clicks:
//!
//! - `/library` (one's own, signed in): one's tags with their counts as filters
//!   (`/library?tag=…`) and the saved papers, newest first, each with its tags;
//! - the panel of a paper page ([`panel`]): the paper's tags with remove buttons, the "Save to
//!   library" form, and whether the viewer marked it not interested (with an undo);
//! - the actions posted to a paper that [`super::paper::act`] hands over ([`act`]):
//!   `/papers/ID/save` and `/papers/ID/unsave` (field `tag`), `/papers/ID/not-interested`
//!   (`undo=1` takes it back), all CSRF-checked, back to `next` or the paper page.
//!
//! Saved papers and dismissals feed the "For you" model ([`super::for_you`]); a dismissed paper
//! is never recommended. A library holds at most [`MAX_LIBRARY`] (paper, tag) rows.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use papertide_core::{Paper, PaperId, Tag, User, UserId};
use papertide_store::Store;
use serde::Deserialize;

use super::paper::{local_path, PaperForm};
use crate::error::AppError;
use crate::layout::{self, page, Shell};
use crate::session::Viewer;
use crate::state::AppState;

/// Most (paper, tag) rows in one library.
pub const MAX_LIBRARY: usize = 5_000;
/// The tag the save form suggests.
pub const DEFAULT_TAG: &str = "reading list";
/// Papers per `/library` page.
const PAGE_SIZE: usize = 100;

fn parse_tag(text: &str) -> Result<Tag, AppError> {
    text.parse().map_err(|e| AppError::bad_request(format!("tag: {e}")))
}

/// What a paper page shows of its viewer's library.
#[derive(Debug, Default)]
pub struct PaperLibrary {
    /// The tags the paper is saved under, by name.
    pub tags: Vec<Tag>,
    /// All the viewer's tags, for the form's suggestions.
    pub all_tags: Vec<Tag>,
    /// True when the viewer marked the paper not interested.
    pub dismissed: bool,
}

impl PaperLibrary {
    /// Loads what `user`'s library says about `paper` (blocking).
    pub fn load(store: &dyn Store, user: UserId, paper: &PaperId) -> Result<PaperLibrary, AppError> {
        let (tags, dismissed) = store.paper_marks(user, paper)?;
        let all_tags = store.library_tags(user)?.into_iter().map(|(t, _)| t).collect();
        Ok(PaperLibrary { tags, all_tags, dismissed })
    }
}

/// A tag chip linking to its filter, with a button that takes `paper` out of it and returns
/// to `next`.
fn chip(viewer: &Viewer, paper: &Paper, tag: &Tag, next: &str) -> Markup {
    html! {
        span.chip {
            a href={ "/library?" (query(&[("tag", tag.as_str())])) } { (tag) }
            form method="post" action={ (layout::paper_path(paper)) "/unsave" } {
                input type="hidden" name="csrf" value=(viewer.csrf());
                input type="hidden" name="tag" value=(tag);
                input type="hidden" name="next" value=(next);
                button type="submit" title="Remove this tag" aria-label={ "Remove “" (paper.title) "” from “" (tag) "”" } { "×" }
            }
        }
    }
}

/// The library panel of a paper page (signed-in viewers).
pub fn panel(viewer: &Viewer, paper: &Paper, lib: &PaperLibrary) -> Markup {
    let here = format!("{}#library", layout::paper_path(paper));
    let default_taken = lib.tags.iter().any(|t| t.as_str() == DEFAULT_TAG);
    html! {
        div.library-panel #library {
            @if !lib.tags.is_empty() {
                // A div: the chips hold forms, which a <p> cannot.
                div.tags { "In your " a href="/library" { "library" } ": " @for t in &lib.tags { (chip(viewer, paper, t, &here)) " " } }
            }
            form.save method="post" action={ (layout::paper_path(paper)) "/save" } {
                input type="hidden" name="csrf" value=(viewer.csrf());
                label for="save-tag" { "Save to library" }
                input #save-tag name="tag" list="library-tags" required maxlength=(papertide_core::MAX_TAG_CHARS)
                    value=(if default_taken { "" } else { DEFAULT_TAG }) placeholder="tag, e.g. diffusion";
                datalist #library-tags { @for t in &lib.all_tags { option value=(t) {} } }
                button type="submit" { "Save" }
            }
            form.dismiss method="post" action={ (layout::paper_path(paper)) "/not-interested" } {
                input type="hidden" name="csrf" value=(viewer.csrf());
                input type="hidden" name="next" value=(here);
                @if lib.dismissed {
                    input type="hidden" name="undo" value="1";
                    span.muted { "You marked this not interested · " }
                    button.plain type="submit" aria-label="Undo: show this paper in For you again" { "Undo" }
                } @else {
                    button.plain type="submit" title="Never recommend this paper, and fewer like it" { "Not interested" }
                }
            }
        }
    }
}

/// `POST /papers/{id}/save`, `/unsave` and `/not-interested`, after [`super::paper::act`]
/// checked the CSRF token, the user and the rate limit.
pub async fn act(
    state: &AppState,
    user: &User,
    id: PaperId,
    action: &str,
    form: PaperForm,
) -> Result<Response, AppError> {
    let back = local_path(form.next.as_deref(), format!("/papers/{id}#library"));
    let store = state.store().clone();
    let (owner, target) = (user.id, id.clone());
    let exists = move |store: &dyn Store| -> Result<(), AppError> {
        match store.paper(&target)? {
            Some(_) => Ok(()),
            None => Err(AppError::not_found(format!("paper {target}"))),
        }
    };
    match action {
        "save" => {
            let tag = parse_tag(form.tag.as_deref().unwrap_or(""))?;
            state
                .blocking(move || -> Result<bool, AppError> {
                    exists(&*store)?;
                    let rows: u64 = store.library_tags(owner)?.iter().map(|(_, n)| n).sum();
                    if rows >= MAX_LIBRARY as u64 {
                        return Err(AppError::Conflict {
                            message: format!(
                                "your library is full ({MAX_LIBRARY} saved papers and tags); remove some on /library first"
                            ),
                        });
                    }
                    Ok(store.tag_paper(owner, &id, &tag, Utc::now())?)
                })
                .await?;
        }
        "unsave" => {
            let tag = parse_tag(form.tag.as_deref().unwrap_or(""))?;
            state
                .blocking(move || -> Result<bool, AppError> {
                    exists(&*store)?;
                    Ok(store.untag_paper(owner, &id, Some(&tag))?)
                })
                .await?;
        }
        "not-interested" => {
            let on = form.undo.as_deref() != Some("1");
            state
                .blocking(move || -> Result<bool, AppError> {
                    exists(&*store)?;
                    Ok(store.set_not_interested(owner, &id, on, Utc::now())?)
                })
                .await?;
        }
        _ => return Err(AppError::not_found("page")),
    }
    Ok(Redirect::to(&back).into_response())
}

/// Query parameters of `/library`.
#[derive(Debug, Default, Deserialize)]
pub struct LibraryParams {
    /// Only the papers under this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// The page, from 1.
    #[serde(default)]
    pub page: Option<String>,
}

/// A saved paper with its tags (and when it was saved under each), as `/library` lists it.
struct Saved {
    paper: Paper,
    tags: Vec<(Tag, DateTime<Utc>)>,
    /// When it was saved (under the filter's tag, if any; else its latest save).
    shown_at: DateTime<Utc>,
}

/// What a tag filter asked for.
enum Filter {
    All,
    Tag(Tag),
    /// Not a tag at all: the text and why.
    Invalid(String, String),
}

/// `GET /library`: the viewer's library; signed out, the sign-in page.
pub async fn page_handler(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<LibraryParams>,
) -> Result<Response, AppError> {
    let Some(user) = viewer.user() else { return Ok(Redirect::to("/signin").into_response()) };
    let filter = match params.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Filter::All,
        Some(text) => match text.parse::<Tag>() {
            Ok(tag) => Filter::Tag(tag),
            Err(e) => Filter::Invalid(text.to_string(), e.to_string()),
        },
    };
    let store = state.store().clone();
    let owner = user.id;
    let (items, tags) = state
        .blocking(move || -> Result<_, AppError> {
            Ok((store.library(owner, None, MAX_LIBRARY + 1)?, store.library_tags(owner)?))
        })
        .await?;
    // One entry per paper, in the store's order (newest save first).
    let mut saved: Vec<Saved> = Vec::new();
    let mut index: HashMap<PaperId, usize> = HashMap::new();
    for item in items {
        match index.get(&item.paper.id) {
            Some(&i) => saved[i].tags.push((item.tag, item.added_at)),
            None => {
                index.insert(item.paper.id.clone(), saved.len());
                saved.push(Saved { shown_at: item.added_at, tags: vec![(item.tag, item.added_at)], paper: item.paper });
            }
        }
    }
    let total = saved.len();
    match &filter {
        Filter::All => {}
        Filter::Tag(tag) => {
            saved.retain(|s| s.tags.iter().any(|(t, _)| t == tag));
            for s in &mut saved {
                s.shown_at = s.tags.iter().find(|(t, _)| t == tag).map(|(_, at)| *at).unwrap_or(s.shown_at);
            }
            saved.sort_by_key(|s| std::cmp::Reverse(s.shown_at));
        }
        Filter::Invalid(..) => saved.clear(),
    }
    for s in &mut saved {
        s.tags.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let pages = saved.len().div_ceil(PAGE_SIZE).max(1);
    let page_no = params.page.as_deref().and_then(|p| p.trim().parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
    let shown = saved.iter().skip((page_no - 1) * PAGE_SIZE).take(PAGE_SIZE);
    let current = match &filter {
        Filter::Tag(t) => Some(t),
        _ => None,
    };
    let path = |page_no: usize| {
        let mut pairs = Vec::new();
        let page_text = page_no.to_string();
        if let Some(t) = current {
            pairs.push(("tag", t.as_str()));
        }
        if page_no > 1 {
            pairs.push(("page", page_text.as_str()));
        }
        match query(&pairs) {
            q if q.is_empty() => "/library".to_string(),
            q => format!("/library?{q}"),
        }
    };
    let here = path(page_no);
    let shell = Shell { title: "Your library", viewer: &viewer, query: "", description: None };
    let body = html! {
        h1 { "Your library" }
        p.muted {
            "Papers you saved, under tags of your choosing. What you save also tunes your "
            a href="/for-you" { "For you" } " page."
        }
        @if !tags.is_empty() {
            nav.tabs aria-label="Tags" {
                a href="/library" aria-current=[current.is_none().then_some("page")] { "All · " (total) }
                @for (t, n) in &tags {
                    a href={ "/library?" (query(&[("tag", t.as_str())])) } aria-current=[(current == Some(t)).then_some("page")] { (t) " · " (n) }
                }
            }
        }
        @match &filter {
            Filter::Invalid(text, why) => {
                p.notice.error role="status" { "“" (text) "” is not a tag: " (why) "." }
            }
            Filter::Tag(t) if saved.is_empty() => {
                p.notice role="status" { "No papers tagged “" (t) "”. " a href="/library" { "Show all" } }
            }
            _ => {}
        }
        @if total == 0 {
            p.notice {
                "Your library is empty. Open any paper and use " b { "Save to library" }
                " to keep it under a tag (“" (DEFAULT_TAG) "” unless you name another, such as “diffusion” or “to cite”). "
                "Your tags then show here as filters."
            }
        }
        ol.cards {
            @for s in shown {
                li.card id={ "saved-" (s.paper.id) } { div.body {
                    h2.tex { a href=(layout::paper_path(&s.paper)) { (s.paper.title) } }
                    div.authors { (layout::authors(&s.paper, 6)) }
                    div.meta {
                        span { "Added " (s.shown_at.format("%Y-%m-%d")) }
                        span.tags { @for (t, _) in &s.tags { (chip(&viewer, &s.paper, t, &here)) " " } }
                    }
                } }
            }
        }
        @if pages > 1 {
            nav.pager aria-label="Pages" {
                @if page_no > 1 { a rel="prev" href=(path(page_no - 1)) { "← Newer" } } @else { span {} }
                span.muted { "Page " (page_no) " of " (pages) }
                @if page_no < pages { a rel="next" href=(path(page_no + 1)) { "Older →" } } @else { span {} }
            }
        }
    };
    Ok(page(&shell, body).into_response())
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}
