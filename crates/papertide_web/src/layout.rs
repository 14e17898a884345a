//! The page shell every HTML page shares: head (stylesheet, deferred scripts but for the tiny
//! `theme.js` that applies a saved theme before the first paint, no third-party
//! assets), header with the search box and account links, skip link and landmarks, footer.
//! Also the small view helpers pages share: dates, author lists, paper links.

use axum::http::StatusCode;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use papertide_core::Paper;

use crate::assets;
use crate::session::Viewer;

/// What the shell needs besides the page body.
pub struct Shell<'a> {
    /// The page title (without the site name).
    pub title: &'a str,
    /// Who is looking.
    pub viewer: &'a Viewer,
    /// Text for the header search box.
    pub query: &'a str,
    /// A `<meta name="description">`.
    pub description: Option<&'a str>,
}

/// A whole HTML page.
pub fn page(shell: &Shell<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (shell.title) " · papertide" }
                @if let Some(d) = shell.description { meta name="description" content=(d); }
                meta name="color-scheme" content="light dark";
                link rel="stylesheet" href=(assets::url("app.css"));
                link rel="stylesheet" href=(assets::url("katex/katex.min.css"));
                link rel="icon" type="image/svg+xml" href=(assets::url("favicon.svg"));
                link rel="alternate" type="application/atom+xml" title="papertide daily papers (Atom)" href="/feeds/daily.atom";
                link rel="alternate" type="application/rss+xml" title="papertide daily papers (RSS)" href="/feeds/daily.rss";
                script src=(assets::url("theme.js")) {}
                script defer src=(assets::url("katex/katex.min.js")) {}
                script defer src=(assets::url("katex/auto-render.min.js")) {}
                script defer src=(assets::url("app.js")) {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    div.bar {
                        a.brand href="/" { "papertide" }
                        form.search role="search" action="/search" method="get" {
                            label.sr-only for="site-q" { "Search papers" }
                            input #site-q type="search" name="q" value=(shell.query) placeholder="Search papers: words, a question, or an arXiv id";
                            button type="submit" { "Search" }
                        }
                        nav aria-label="Account" {
                            a href="/papers/submit" { "Submit" }
                            a href="/subscribe" title="Get trending papers in your email inbox" { "Subscribe" }
                            @match shell.viewer.user() {
                                Some(user) => {
                                    a href="/for-you" { "For you" }
                                    a href="/library" { "Library" }
                                    a href={ "/users/" (user.name) } { (user.name) }
                                    form.inline method="post" action="/signout" {
                                        input type="hidden" name="csrf" value=(shell.viewer.csrf());
                                        button.plain type="submit" { "Sign out" }
                                    }
                                }
                                None => {
                                    a href="/signin" { "Sign in" }
                                    a href="/signup" { "Sign up" }
                                }
                            }
                            button.plain #theme-toggle type="button" aria-pressed="false" title="Switch light/dark theme" { "◐" span.sr-only { "Toggle dark mode" } }
                        }
                    }
                }
                main #main { (body) }
                footer.site {
                    "papertide: a self-hosted research-paper feed and search. "
                    a href="/api/docs" { "API" }
                    " · "
                    "Daily papers as "
                    a href="/feeds/daily.atom" type="application/atom+xml" { "Atom" }
                    " / "
                    a href="/feeds/daily.rss" type="application/rss+xml" { "RSS" }
                    " · "
                    a href="/healthz" { "status" }
                }
            }
        }
    }
}

/// The page for an error: status, code and the user-facing message.
pub fn error_page(status: StatusCode, code: &str, message: &str) -> Markup {
    let viewer = Viewer::anonymous();
    let title = status.canonical_reason().unwrap_or("Error");
    page(
        &Shell { title, viewer: &viewer, query: "", description: None },
        html! {
            h1 { (status.as_u16()) " " (title) }
            p.notice.error data-code=(code) { (message) }
            p { a href="/" { "Back to the daily papers" } }
        },
    )
}

/// `YYYY-MM-DD` of an optional date, or "".
pub fn day(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// Up to `max` authors, then "and N more".
pub fn authors(paper: &Paper, max: usize) -> String {
    let n = paper.authors.len();
    if n <= max {
        paper.authors.join(", ")
    } else {
        format!("{} and {} more", paper.authors[..max].join(", "), n - max)
    }
}

/// The paper page's path.
pub fn paper_path(paper: &Paper) -> String {
    format!("/papers/{}", paper.id)
}

/// `url` when it is an absolute http(s) URL (imported links are data, not trusted).
pub fn safe_href(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.trim().to_string())
}

/// The arXiv links of a paper (abstract page and PDF), from its record or its id.
pub fn arxiv_links(paper: &Paper) -> (Option<String>, Option<String>) {
    let is_arxiv = paper.id.as_arxiv().is_some();
    let abs = paper
        .links
        .abs
        .as_deref()
        .and_then(safe_href)
        .or_else(|| is_arxiv.then(|| format!("https://arxiv.org/abs/{}", paper.id)));
    let pdf = paper
        .links
        .pdf
        .as_deref()
        .and_then(safe_href)
        .or_else(|| is_arxiv.then(|| format!("https://arxiv.org/pdf/{}", paper.id)));
    (abs, pdf)
}

/// Already-escaped HTML (from the highlighter) as markup.
pub fn trusted(html: &str) -> PreEscaped<&str> {
    PreEscaped(html)
}
