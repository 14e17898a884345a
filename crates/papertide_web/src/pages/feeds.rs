//! Syndication feeds (Atom 1.0 and RSS 2.0) of the daily papers and of saved searches:
//!
//! - `/feeds/daily.atom|.rss`: the latest feed day (the same data as `/`), best first;
//! - `/feeds/category/{cat}.atom|.rss`: the same, restricted to a category (`cs.LG`) or an
//!   archive (`cs`, `cs.*`);
//! - `/feeds/search.atom|.rss?q=…&mode=&category=`: a search as an alert, newest papers first.
//!
//! Up to [`FEED_ITEMS`] entries each. The data comes from the feed and search caches; the XML
//! is written here by a small writer ([`Xml`]) that escapes every text and attribute and drops
//! the characters XML 1.0 forbids (imported metadata sometimes carries control characters).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use papertide_core::{FeedQuery, FeedSort, FeedWindow, Paper};
use serde::Deserialize;

use crate::error::AppError;
use crate::pages::feed::{cached_feed, latest_day};
use crate::pages::search::{cached_search, SearchParams};
use crate::state::AppState;
use papertide_core::text::{escape_xml as escape, push_escaped_xml as escape_into};

/// Most entries in one feed.
pub const FEED_ITEMS: usize = 50;
/// Most authors listed per entry (large collaborations list thousands); the rest are counted.
const MAX_ENTRY_AUTHORS: usize = 100;
/// `Cache-Control` of every feed.
const CACHE_CONTROL: &str = "public, max-age=300";

/// The two syndication formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Atom 1.0 (RFC 4287), `.atom`.
    Atom,
    /// RSS 2.0, `.rss`.
    Rss,
}

impl Format {
    /// Splits `daily.atom` into `("daily", Atom)`; `None` for any other extension.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(name) = file.strip_suffix(".atom") {
            Some((name, Format::Atom))
        } else {
            file.strip_suffix(".rss").map(|name| (name, Format::Rss))
        }
    }

    /// The `Content-Type` of a feed in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Rss => "application/rss+xml; charset=utf-8",
        }
    }
}

/// Query parameters of the search feed (ignored by the others).
#[derive(Debug, Default, Deserialize)]
pub struct FeedSearchParams {
    /// The query (required by the search feed).
    #[serde(default)]
    pub q: String,
    /// `hybrid` (default), `keyword` or `semantic`.
    #[serde(default)]
    pub mode: Option<String>,
    /// A category (`cs.LG`) or archive (`cs`).
    #[serde(default)]
    pub category: Option<String>,
}

/// A feed, whatever its format: what the writers need.
struct Channel {
    title: String,
    /// Path and query of this feed on the site (the `self` link and the Atom id).
    self_path: String,
    /// Path and query of the HTML page showing the same papers.
    html_path: String,
    updated: DateTime<Utc>,
    entries: Vec<Entry>,
}

/// One paper in a feed, with the dates it is shown under.
struct Entry {
    paper: Paper,
    published: DateTime<Utc>,
    updated: DateTime<Utc>,
}

impl Entry {
    /// `fallback` stands in for the dates a record lacks.
    fn new(paper: Paper, fallback: DateTime<Utc>) -> Entry {
        let published = paper.published.or(paper.updated).unwrap_or(fallback);
        let updated = paper.updated.unwrap_or(published).max(published);
        Entry { paper, published, updated }
    }
}

/// `GET /feeds/{file}`: `daily.atom`, `daily.rss`, `search.atom`, `search.rss`.
pub async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(params): Query<FeedSearchParams>,
) -> Result<Response, AppError> {
    let (name, format) = Format::split(&file).ok_or_else(|| AppError::not_found("feed"))?;
    let channel = match name {
        "daily" => daily(&state, None, &file).await?,
        "search" => search(&state, &params, &file).await?,
        _ => return Err(AppError::not_found("feed")),
    };
    Ok(respond(&state, &channel, format))
}

/// `GET /feeds/category/{file}`: `cs.LG.atom`, `cs.rss`, `cs.*.atom`.
pub async fn category(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    let (cat, format) = Format::split(&file).ok_or_else(|| AppError::not_found("feed"))?;
    let cat = valid_category(cat)?;
    let channel = daily(&state, Some(cat), &format!("category/{file}")).await?;
    Ok(respond(&state, &channel, format))
}

/// `text` when it is a category (`cs.LG`, `hep-th`) or archive (`cs`, `cs.*`), else a 400.
fn valid_category(text: &str) -> Result<String, AppError> {
    if papertide_core::valid_category_filter(text) {
        Ok(text.to_string())
    } else {
        Err(AppError::bad_request("the category must look like cs.LG, or an archive like cs"))
    }
}

/// The latest feed day's papers, best first, optionally in one category.
async fn daily(state: &AppState, category: Option<String>, file: &str) -> Result<Channel, AppError> {
    let day = latest_day(state).await?;
    let query = FeedQuery {
        sort: FeedSort::Upvotes,
        window: FeedWindow::Day(day),
        category: category.clone(),
        submitter: None,
        cursor: None,
        limit: FEED_ITEMS,
    };
    let page = cached_feed(state, query).await?;
    let midnight = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default();
    let updated = page.items.iter().map(|i| i.submitted_at).max().unwrap_or(midnight);
    let entries = page.items.iter().map(|i| Entry::new(i.paper.clone(), i.submitted_at)).collect();
    let date = day.format("%B %-d, %Y");
    let (title, html_path) = match &category {
        None => (format!("papertide: daily papers of {date}"), "/".to_string()),
        Some(c) => (format!("papertide: {c} papers of {date}"), format!("/?{}", query_string(&[("category", c)]))),
    };
    Ok(Channel { title, self_path: format!("/feeds/{file}"), html_path, updated, entries })
}

/// The newest papers matching a search.
async fn search(state: &AppState, params: &FeedSearchParams, file: &str) -> Result<Channel, AppError> {
    let q = params.q.trim();
    if q.is_empty() {
        return Err(AppError::bad_request("`q` is required: the search this feed follows"));
    }
    let mode = params.mode.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let category = match params.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(valid_category(c)?),
        None => None,
    };
    let search_params = SearchParams {
        q: q.to_string(),
        mode: mode.map(str::to_string),
        category: category.clone(),
        ..SearchParams::default()
    };
    let request = search_params.request(FEED_ITEMS)?;
    let answer = cached_search(state, &request).await?;
    let epoch = DateTime::<Utc>::default();
    let mut entries: Vec<Entry> = answer.response.hits.iter().map(|h| Entry::new(h.paper.clone(), epoch)).collect();
    entries.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.paper.id.cmp(&b.paper.id)));
    let updated = entries.iter().map(|e| e.updated).max().unwrap_or_else(Utc::now);
    let mut pairs = vec![("q", q)];
    pairs.extend(mode.map(|m| ("mode", m)));
    pairs.extend(category.as_deref().map(|c| ("category", c)));
    let query = query_string(&pairs);
    Ok(Channel {
        title: format!("papertide: search for {q}"),
        self_path: format!("/feeds/{file}?{query}"),
        html_path: format!("/search?{query}"),
        updated,
        entries,
    })
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The feed as a response, with its content type and caching.
fn respond(state: &AppState, channel: &Channel, format: Format) -> Response {
    let base = state.config().base_url.trim_end_matches('/');
    let body = match format {
        Format::Atom => atom(channel, base),
        Format::Rss => rss(channel, base),
    };
    ([(header::CONTENT_TYPE, format.content_type()), (header::CACHE_CONTROL, CACHE_CONTROL)], body).into_response()
}

fn paper_url(base: &str, paper: &Paper) -> String {
    format!("{base}/papers/{}", paper.id)
}

/// The first [`MAX_ENTRY_AUTHORS`] authors, then how many more there are.
fn entry_authors(paper: &Paper) -> impl Iterator<Item = String> + '_ {
    let more = paper.authors.len().saturating_sub(MAX_ENTRY_AUTHORS);
    let rest = (more > 0).then(|| format!("and {more} more"));
    paper.authors.iter().take(MAX_ENTRY_AUTHORS).cloned().chain(rest)
}

/// A time as Atom writes it (RFC 3339, UTC, whole seconds).
fn atom_date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn atom(channel: &Channel, base: &str) -> String {
    let self_url = format!("{base}{}", channel.self_path);
    let mut x = Xml::new();
    x.open("feed", &[("xmlns", "http://www.w3.org/2005/Atom")]);
    x.text("title", &[], &channel.title);
    x.text("subtitle", &[], "Research papers from papertide.");
    x.text("id", &[], &self_url);
    x.empty("link", &[("rel", "self"), ("type", "application/atom+xml"), ("href", &self_url)]);
    x.empty("link", &[("rel", "alternate"), ("type", "text/html"), ("href", &format!("{base}{}", channel.html_path))]);
    x.text("updated", &[], &atom_date(channel.updated));
    // An author for the feed, so that entries of papers without authors stay valid Atom.
    x.open("author", &[]);
    x.text("name", &[], "papertide");
    x.close("author");
    x.text(
        "generator",
        &[("uri", "https://github.com/papertide/papertide"), ("version", env!("CARGO_PKG_VERSION"))],
        "papertide",
    );
    for e in &channel.entries {
        let p = &e.paper;
        let url = paper_url(base, p);
        x.open("entry", &[]);
        x.text("title", &[("type", "text")], &p.title);
        x.empty("link", &[("rel", "alternate"), ("type", "text/html"), ("href", &url)]);
        x.text("id", &[], &url);
        x.text("published", &[], &atom_date(e.published));
        x.text("updated", &[], &atom_date(e.updated));
        for name in entry_authors(p) {
            x.open("author", &[]);
            x.text("name", &[], &name);
            x.close("author");
        }
        for c in &p.categories {
            x.empty("category", &[("term", c)]);
        }
        x.text("summary", &[("type", "text")], &p.abstract_text);
        x.close("entry");
    }
    x.close("feed");
    x.finish()
}

fn rss(channel: &Channel, base: &str) -> String {
    let self_url = format!("{base}{}", channel.self_path);
    let mut x = Xml::new();
    x.open(
        "rss",
        &[
            ("version", "2.0"),
            ("xmlns:atom", "http://www.w3.org/2005/Atom"),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
        ],
    );
    x.open("channel", &[]);
    x.text("title", &[], &channel.title);
    x.text("link", &[], &format!("{base}{}", channel.html_path));
    x.text("description", &[], "Research papers from papertide.");
    x.empty("atom:link", &[("rel", "self"), ("type", "application/rss+xml"), ("href", &self_url)]);
    x.text("language", &[], "en");
    x.text("lastBuildDate", &[], &channel.updated.to_rfc2822());
    x.text("generator", &[], concat!("papertide ", env!("CARGO_PKG_VERSION")));
    x.text("docs", &[], "https://www.rssboard.org/rss-specification");
    x.text("ttl", &[], "5");
    for e in &channel.entries {
        let p = &e.paper;
        let url = paper_url(base, p);
        x.open("item", &[]);
        x.text("title", &[], &p.title);
        x.text("link", &[], &url);
        x.text("guid", &[("isPermaLink", "true")], &url);
        x.text("pubDate", &[], &e.published.to_rfc2822());
        for name in entry_authors(p) {
            x.text("dc:creator", &[], &name);
        }
        for c in &p.categories {
            x.text("category", &[], c);
        }
        // RSS descriptions are entity-encoded HTML: escape the abstract as HTML first, so that
        // readers show it as the text it is.
        x.text("description", &[], &escape(&p.abstract_text));
        x.close("item");
    }
    x.close("channel");
    x.close("rss");
    x.finish()
}

/// A minimal XML writer: element and attribute names are the caller's constants; every
/// attribute value and text goes through [`escape`].
struct Xml {
    out: String,
}

impl Xml {
    /// A document with its XML declaration.
    fn new() -> Xml {
        Xml { out: String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n") }
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v);
            self.out.push('"');
        }
    }

    /// `<name attrs>`.
    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start(name, attrs);
        self.out.push_str(">\n");
    }

    /// `</name>`.
    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<name attrs/>`.
    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start(name, attrs);
        self.out.push_str("/>\n");
    }

    /// `<name attrs>text</name>`, the text escaped.
    fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(name, attrs);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// The document.
    fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_illegal_characters() {
        assert_eq!(escape("a<b>&\"c'\u{1}\u{8}\u{1b}\u{7f}\u{85}\u{fffe}\td\n"), "a&lt;b&gt;&amp;&quot;c&#39;\td\n");
        assert_eq!(escape("$O(n\\log n)$ ü 𝔽"), "$O(n\\log n)$ ü 𝔽");
    }

    #[test]
    fn categories_and_formats() {
        for ok in ["cs", "cs.LG", "cs.*", "hep-th", "math-ph", "q-bio.NC"] {
            assert!(valid_category(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".*", "1cs", "<b>", "cs LG", "cs/LG", "cs.LG;drop", &"x".repeat(40)] {
            assert!(valid_category(bad).is_err(), "{bad}");
        }
        assert_eq!(Format::split("cs.LG.atom"), Some(("cs.LG", Format::Atom)));
        assert_eq!(Format::split("daily.rss"), Some(("daily", Format::Rss)));
        assert_eq!(Format::split("daily.json"), None);
    }
}
