//! The Atom 1.0 and RSS 2.0 writers that the public feeds ([`super::feeds`]) and the private
//! "For you" feed ([`super::feeds_for_you`]) share: a [`Channel`] of [`Entry`]s in, a document
//! out ([`render`]). A small writer ([`Xml`]) escapes every text and attribute and drops the
//! characters XML 1.0 forbids (imported metadata sometimes carries control characters).

use chrono::{DateTime, SecondsFormat, Utc};
use papertide_core::text::{escape_xml as escape, push_escaped_xml as escape_into};
use papertide_core::Paper;

/// Most authors listed per entry (large collaborations list thousands); the rest are counted.
const MAX_ENTRY_AUTHORS: usize = 100;

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

/// A feed, whatever its format: what the writers need.
pub(crate) struct Channel {
    pub title: String,
    /// Path and query of this feed on the site (the `self` link).
    pub self_path: String,
    /// Path of the Atom feed id: the `self_path` of public feeds; a private feed's id leaves
    /// its secret out.
    pub id_path: String,
    /// Path and query of the HTML page showing the same papers.
    pub html_path: String,
    pub updated: DateTime<Utc>,
    pub entries: Vec<Entry>,
}

/// One paper in a feed, with the dates it is shown under.
pub(crate) struct Entry {
    pub paper: Paper,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// A line shown before the abstract ("Similar to … you upvoted").
    pub note: Option<String>,
}

impl Entry {
    /// `fallback` stands in for the dates a record lacks.
    pub fn new(paper: Paper, fallback: DateTime<Utc>) -> Entry {
        let published = paper.published.or(paper.updated).unwrap_or(fallback);
        let updated = paper.updated.unwrap_or(published).max(published);
        Entry { paper, published, updated, note: None }
    }

    /// The entry with `note` shown before its abstract.
    pub fn with_note(self, note: String) -> Entry {
        Entry { note: Some(note), ..self }
    }

    /// The plain-text summary: the note, a blank line, the abstract.
    fn summary(&self) -> String {
        match &self.note {
            Some(note) => format!("{note}\n\n{}", self.paper.abstract_text),
            None => self.paper.abstract_text.clone(),
        }
    }

    /// The RSS description, entity-encoded HTML: the note, a paragraph break, the abstract.
    fn description(&self) -> String {
        // Escape as HTML first, so that readers show the text as the text it is.
        match &self.note {
            Some(note) => format!("{}<br><br>{}", escape(note), escape(&self.paper.abstract_text)),
            None => escape(&self.paper.abstract_text),
        }
    }
}

/// The document of `channel` in `format`; links are absolute, under `base` (no trailing `/`).
pub(crate) fn render(channel: &Channel, format: Format, base: &str) -> String {
    match format {
        Format::Atom => atom(channel, base),
        Format::Rss => rss(channel, base),
    }
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
    x.text("id", &[], &format!("{base}{}", channel.id_path));
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
        x.text("summary", &[("type", "text")], &e.summary());
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
        x.text("description", &[], &e.description());
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
    fn formats_split_by_extension() {
        assert_eq!(Format::split("cs.LG.atom"), Some(("cs.LG", Format::Atom)));
        assert_eq!(Format::split("daily.rss"), Some(("daily", Format::Rss)));
        assert_eq!(Format::split("daily.json"), None);
    }

    #[test]
    fn notes_come_before_the_abstract() {
        let mut paper = Paper::new("2401.00001".parse().unwrap(), "T", papertide_core::Source::Local);
        paper.abstract_text = "We <b>show</b>.".into();
        let entry = Entry::new(paper, DateTime::<Utc>::default()).with_note("Because “X” & more".into());
        assert_eq!(entry.summary(), "Because “X” & more\n\nWe <b>show</b>.");
        assert_eq!(entry.description(), "Because “X” &amp; more<br><br>We &lt;b&gt;show&lt;/b&gt;.");
        let channel = Channel {
            title: "t".into(),
            self_path: "/feeds/x.atom?token=secret".into(),
            id_path: "/feeds/x.atom".into(),
            html_path: "/".into(),
            updated: DateTime::<Utc>::default(),
            entries: vec![entry],
        };
        let doc = render(&channel, Format::Atom, "https://example.org");
        assert!(doc.contains("<id>https://example.org/feeds/x.atom</id>"), "{doc}");
        assert!(doc.contains("<summary type=\"text\">Because “X” &amp; more\n\nWe &lt;b&gt;show&lt;/b&gt;.</summary>"));
    }
}
