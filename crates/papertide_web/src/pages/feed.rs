//! The daily feed: `/` (today, or the latest day with papers), `/papers/date/YYYY-MM-DD`,
//! `/papers/week/YYYY-Www`, `/papers/month/YYYY-MM`; sorted by upvotes (default), trending
//! or newest; previous/next navigation; cursor paging.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{html, Markup};
use papertide_core::{FeedCursor, FeedItem, FeedPage, FeedQuery, FeedSort, FeedWindow};
use serde::Deserialize;

use crate::cache::Lookup;
use crate::error::AppError;
use crate::layout::{self, page, Shell};
use crate::session::Viewer;
use crate::state::AppState;

/// Query parameters of feed pages.
#[derive(Debug, Default, Deserialize)]
pub struct FeedParams {
    /// `upvotes` (default), `trending` or `newest`.
    #[serde(default)]
    pub sort: Option<String>,
    /// A category (`cs.LG`) or archive (`cs`).
    #[serde(default)]
    pub category: Option<String>,
    /// The paging cursor from the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `GET /`: today's feed, or the most recent day that has papers.
pub async fn today(state: State<AppState>, viewer: Viewer, params: Query<FeedParams>) -> Result<Response, AppError> {
    let day = latest_day(&state, viewer.wrote_recently()).await?;
    render(state, viewer, params, FeedWindow::Day(day), true).await
}

/// Today, or the most recent day up to today that has papers on the feed (cached unless
/// `fresh`).
pub async fn latest_day(state: &AppState, fresh: bool) -> Result<chrono::NaiveDate, AppError> {
    let today = Utc::now().date_naive();
    let cached = if fresh { Lookup::Miss } else { state.caches().latest_day.lookup(&today, 0) };
    let latest = match cached {
        Lookup::Fresh(latest) | Lookup::Stale(latest) => latest,
        Lookup::Miss => {
            let store = state.store().clone();
            // The latest day up to today that has papers (before tomorrow), else today.
            let tomorrow = today.succ_opt().unwrap_or(today);
            let (latest, _) = state.blocking(move || store.feed_dates_around(tomorrow)).await?;
            state.caches().latest_day.put(today, 0, latest);
            latest
        }
    };
    Ok(latest.filter(|d| *d <= today).unwrap_or(today))
}

/// `GET /papers/date/{day}`.
pub async fn by_day(
    state: State<AppState>,
    viewer: Viewer,
    Path(day): Path<String>,
    params: Query<FeedParams>,
) -> Result<Response, AppError> {
    let window = parse_window(&day, WindowKind::Day)?;
    render(state, viewer, params, window, false).await
}

/// `GET /papers/week/{week}`.
pub async fn by_week(
    state: State<AppState>,
    viewer: Viewer,
    Path(week): Path<String>,
    params: Query<FeedParams>,
) -> Result<Response, AppError> {
    let window = parse_window(&week, WindowKind::Week)?;
    render(state, viewer, params, window, false).await
}

/// `GET /papers/month/{month}`.
pub async fn by_month(
    state: State<AppState>,
    viewer: Viewer,
    Path(month): Path<String>,
    params: Query<FeedParams>,
) -> Result<Response, AppError> {
    let window = parse_window(&month, WindowKind::Month)?;
    render(state, viewer, params, window, false).await
}

/// The kind of window a feed URL or an API parameter names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    /// `YYYY-MM-DD`.
    Day,
    /// `YYYY-Www`.
    Week,
    /// `YYYY-MM`.
    Month,
}

impl WindowKind {
    /// `text` as a window of this kind, if it is one.
    pub fn parse(self, text: &str) -> Option<FeedWindow> {
        text.parse::<FeedWindow>().ok().filter(|w| {
            matches!(
                (self, w),
                (WindowKind::Day, FeedWindow::Day(_))
                    | (WindowKind::Week, FeedWindow::Week(..))
                    | (WindowKind::Month, FeedWindow::Month(..))
            )
        })
    }

    /// How a window of this kind is written, for error messages.
    pub fn expected(self) -> &'static str {
        match self {
            WindowKind::Day => "a day like 2026-03-05",
            WindowKind::Week => "a week like 2026-W10",
            WindowKind::Month => "a month like 2026-03",
        }
    }
}

fn parse_window(text: &str, kind: WindowKind) -> Result<FeedWindow, AppError> {
    kind.parse(text).ok_or_else(|| AppError::bad_request(format!("`{text}` is not {}", kind.expected())))
}

/// The feed query of a page.
pub fn feed_query(window: FeedWindow, params: &FeedParams, limit: usize) -> Result<FeedQuery, AppError> {
    let sort = match params.sort.as_deref().filter(|s| !s.is_empty()) {
        None => FeedSort::default(),
        Some(s) => s
            .parse()
            .map_err(|_| AppError::bad_request(format!("`sort` must be upvotes, trending or newest, not `{s}`")))?,
    };
    let cursor = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse::<FeedCursor>().map_err(|_| AppError::bad_request("`cursor` is not a cursor from this feed"))?,
        ),
    };
    let category = params.category.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    Ok(FeedQuery { sort, window, category, submitter: None, cursor, limit })
}

fn window_path(w: &FeedWindow) -> String {
    match w {
        FeedWindow::Day(_) => format!("/papers/date/{w}"),
        FeedWindow::Week(..) => format!("/papers/week/{w}"),
        FeedWindow::Month(..) => format!("/papers/month/{w}"),
    }
}

async fn render(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<FeedParams>,
    window: FeedWindow,
    home: bool,
) -> Result<Response, AppError> {
    let query = feed_query(window, &params, state.config().feed_page_size)?;
    let feed = cached_feed(&state, query, viewer.wrote_recently()).await?;
    let voted = match viewer.user().map(|u| u.id) {
        Some(user) if !feed.items.is_empty() => {
            let store = state.store().clone();
            let ids: Vec<_> = feed.items.iter().map(|i| i.paper.id.clone()).collect();
            state.blocking(move || store.has_upvoted(user, &ids)).await?
        }
        _ => Default::default(),
    };
    let title = match window {
        FeedWindow::Day(d) if home => format!("Daily papers · {}", d.format("%B %-d, %Y")),
        FeedWindow::Day(d) => format!("Papers of {}", d.format("%B %-d, %Y")),
        FeedWindow::Week(y, w) => format!("Papers of week {w}, {y}"),
        FeedWindow::Month(..) => format!("Papers of {}", window.first_day().format("%B %Y")),
    };
    let shell = Shell {
        title: &title,
        viewer: &viewer,
        query: "",
        description: Some("Trending research papers, voted by the community."),
    };
    let body = html! {
        div.feedhead {
            h1 { (title) }
            nav.tabs aria-label="Window" {
                a href=(window_path(&FeedWindow::Day(window.first_day()))) aria-current=[matches!(window, FeedWindow::Day(_)).then_some("page")] { "Day" }
                a href=(window_path(&FeedWindow::week_of(window.first_day()))) aria-current=[matches!(window, FeedWindow::Week(..)).then_some("page")] { "Week" }
                a href=(window_path(&FeedWindow::month_of(window.first_day()))) aria-current=[matches!(window, FeedWindow::Month(..)).then_some("page")] { "Month" }
            }
        }
        nav.tabs aria-label="Sort" {
            @for (value, label) in [("upvotes", "Most upvoted"), ("trending", "Trending"), ("newest", "Newest")] {
                @let current = query_sort_is(&params, value);
                a href={ (window_path(&window)) "?sort=" (value) } aria-current=[current.then_some("page")] { (label) }
            }
        }
        (cards(&feed, &voted, &viewer, &here(&window, &params, home)))
        nav.pager aria-label="Days" {
            @if let Some(prev) = window.prev() { a rel="prev" href=(window_path(&prev)) { "← Previous" } } @else { span {} }
            @if let Some(cursor) = &feed.next_cursor {
                a href={ (window_path(&window)) "?" (serde_urlencoded::to_string([("sort", params.sort.clone().unwrap_or_default()), ("cursor", cursor.to_string())]).unwrap_or_default()) } { "More papers" }
            }
            @if let Some(next) = window.next().filter(|n| n.first_day() <= Utc::now().date_naive()) { a rel="next" href=(window_path(&next)) { "Next →" } } @else { span {} }
        }
    };
    Ok(page(&shell, body).into_response())
}

/// The page of `query`, from the feed cache unless `fresh` is asked for (see
/// [`crate::cache`]); a page read fresh is cached for the others.
pub async fn cached_feed(state: &AppState, query: FeedQuery, fresh: bool) -> Result<Arc<FeedPage>, AppError> {
    let key = feed_key(&query);
    if !fresh {
        if let Lookup::Fresh(page) | Lookup::Stale(page) = state.caches().feed.lookup(&key, 0) {
            return Ok(page);
        }
    }
    let store = state.store().clone();
    let page = Arc::new(state.blocking(move || store.feed(&query, Utc::now())).await?);
    state.caches().feed.put(key, 0, page.clone());
    Ok(page)
}

/// The cache key of a feed query: every field, in their canonical text forms.
fn feed_key(q: &FeedQuery) -> String {
    format!(
        "{:?}|{}|{}|{}|{}|{}",
        q.sort,
        q.window,
        q.category.as_deref().unwrap_or(""),
        q.submitter.as_ref().map(|u| u.key()).unwrap_or_default(),
        q.cursor.as_ref().map(|c| c.to_string()).unwrap_or_default(),
        q.limit
    )
}

fn query_sort_is(params: &FeedParams, value: &str) -> bool {
    params.sort.as_deref().filter(|s| !s.is_empty()).unwrap_or("upvotes") == value
}

/// The path of this feed page (window, sort, category, cursor), where votes cast on it return.
fn here(window: &FeedWindow, params: &FeedParams, home: bool) -> String {
    let path = if home { "/".to_string() } else { window_path(window) };
    let pairs: Vec<(&str, &str)> = [("sort", &params.sort), ("category", &params.category), ("cursor", &params.cursor)]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
    match serde_urlencoded::to_string(&pairs) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path,
    }
}

/// The cards of a feed page; `return_to` is where an upvote cast on a card comes back to.
pub fn cards(
    feed: &FeedPage,
    voted: &std::collections::HashSet<papertide_core::PaperId>,
    viewer: &Viewer,
    return_to: &str,
) -> Markup {
    html! {
        @if feed.items.is_empty() {
            p.notice { "No papers on this feed yet. " a href="/papers/submit" { "Submit one" } "." }
        }
        ol.cards {
            @for item in &feed.items { (card(item, voted.contains(&item.paper.id), viewer, return_to)) }
        }
    }
}

/// One paper card: upvote button, title, authors, category, counts, submitter, links.
pub fn card(item: &FeedItem, voted: bool, viewer: &Viewer, return_to: &str) -> Markup {
    let p = &item.paper;
    let (abs, pdf) = layout::arxiv_links(p);
    html! {
        li.card id={ "paper-" (p.id) } {
            div.vote {
                form method="post" action={ (layout::paper_path(p)) "/upvote" } {
                    input type="hidden" name="csrf" value=(viewer.csrf());
                    input type="hidden" name="undo" value=(if voted { "1" } else { "0" });
                    input type="hidden" name="next" value={ (return_to) "#paper-" (p.id) };
                    button type="submit" aria-pressed=(if voted { "true" } else { "false" }) aria-label={ (if voted { "Remove upvote from " } else { "Upvote " }) (p.title) } { "▲" }
                }
                span.count aria-label="upvotes" { (item.upvotes) }
            }
            div.body {
                h2.tex { a href=(layout::paper_path(p)) { (p.title) } }
                div.authors { (layout::authors(p, 6)) }
                div.meta {
                    @if let Some(c) = p.primary_category() { span.pill { (c) } }
                    a href={ (layout::paper_path(p)) "#comments" } { (item.comment_count) (if item.comment_count == 1 { " comment" } else { " comments" }) }
                    @if let Some(by) = &item.submitted_by { span { "submitted by " a href={ "/users/" (by) } { (by) } } }
                    @if let Some(a) = abs { a href=(a) rel="noopener" { "arXiv" } }
                    @if let Some(pdf) = pdf { a href=(pdf) rel="noopener" { "PDF" } }
                    @if let Some(code) = p.links.code.as_deref().and_then(layout::safe_href) { a href=(code) rel="noopener nofollow" { "Code" } }
                    @if viewer.user().is_some_and(|u| u.role == papertide_core::Role::Admin) {
                        form.inline method="post" action={ (layout::paper_path(p)) "/remove" } {
                            input type="hidden" name="csrf" value=(viewer.csrf());
                            input type="hidden" name="date" value=(item.feed_date);
                            input type="hidden" name="next" value=(return_to);
                            button.plain type="submit" aria-label={ "Remove " (p.title) " from the feed of " (item.feed_date) } { "Remove from feed" }
                        }
                    }
                }
            }
        }
    }
}
