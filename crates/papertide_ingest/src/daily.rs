//! The daily-listing JSON Lines shape (as built from the `daily-arXiv-ai-enhanced` data):
//! one object per listed paper, `{id, title, authors[], categories[], comment, abstract,
//! listing_date}`.
//!
//! Mapping: `published` is the `listing_date` at midnight UTC (the day arXiv announced the
//! paper, a day or so after its submission), unless the record carries a `published`
//! timestamp of its own, which then wins; `updated` stays unknown; `version` comes from the
//! id when it names one, else 1. LaTeX in titles and abstracts is kept as written.
//!
//! The line loop and the rejection rules are shared with the other JSON Lines formats, see
//! [`crate::export`]; format detection is in [`crate::input`].

use papertide_core::{ArxivId, PaperId, Source};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::dates::parse_date;
use crate::export::{check, each_line, explain, finish, id_problem, invalid_id, quoted, title_problem, Bad, Text};
use crate::{Emit, IngestError, Paper};

/// One listed paper, borrowing from the line where it can. Unknown fields are ignored.
#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(borrow, default)]
    title: Option<Text<'a>>,
    #[serde(default)]
    authors: Option<Vec<String>>,
    #[serde(default)]
    categories: Option<Vec<String>>,
    #[serde(borrow, default)]
    comment: Option<Text<'a>>,
    #[serde(borrow, default, rename = "abstract")]
    abstract_text: Option<Text<'a>>,
    #[serde(borrow, default)]
    listing_date: Option<Text<'a>>,
    #[serde(borrow, default)]
    published: Option<Text<'a>>,
}

/// Parses one stream of daily-listing JSON Lines.
pub fn parse(reader: &mut dyn std::io::BufRead, origin: &str, emit: Emit<'_>) -> Result<(), IngestError> {
    each_line(reader, origin, emit, |line, n, emit| {
        let result = match serde_json::from_str::<Raw<'_>>(line) {
            Ok(raw) => convert(raw),
            Err(e) => Err(explain(line, &e, diagnose)),
        };
        finish(result, origin, n, emit)
    })
}

/// Finds the field that made a line fail to deserialize.
fn diagnose(obj: &Map<String, Value>) -> Option<String> {
    id_problem(obj, |s| s.parse::<ArxivId>().map(drop).map_err(|e| e.to_string()))
        .or_else(|| title_problem(obj))
        .or_else(|| check::<Option<Vec<String>>>(obj, "authors"))
        .or_else(|| check::<Option<Vec<String>>>(obj, "categories"))
        .or_else(|| {
            ["comment", "abstract", "listing_date", "published"]
                .into_iter()
                .find_map(|field| check::<Option<String>>(obj, field))
        })
}

fn convert(raw: Raw<'_>) -> Result<Paper, Bad> {
    let raw_id = raw.id.as_ref().map(Text::trimmed).unwrap_or_default();
    if raw_id.is_empty() {
        return Err(Bad::new(None, "missing id"));
    }
    let arxiv: ArxivId =
        raw_id.parse().map_err(|e: papertide_core::IdError| Bad::new(None, invalid_id(raw_id, &e.to_string())))?;
    let id = PaperId::arxiv(&arxiv);
    let bad = |reason: String| Bad::new(Some(id.to_string()), reason);
    let title = raw.title.as_ref().map(Text::trimmed).unwrap_or_default();
    if title.is_empty() {
        return Err(bad("missing title".into()));
    }
    let date = |field: &str, value: &Option<Text<'_>>| match value.as_ref().map(Text::trimmed).filter(|s| !s.is_empty())
    {
        Some(s) => parse_date(s).map(Some).ok_or_else(|| bad(format!("bad date in {field}: {}", quoted(s)))),
        None => Ok(None),
    };
    let listed = date("listing_date", &raw.listing_date)?;
    let published = date("published", &raw.published)?;

    let mut paper = Paper::new(id, title, Source::DailyListing);
    paper.abstract_text = raw.abstract_text.map(|t| t.0.into_owned()).unwrap_or_default();
    paper.authors = raw.authors.unwrap_or_default();
    paper.categories = raw.categories.unwrap_or_default();
    paper.comment = raw.comment.map(|t| t.0.into_owned());
    paper.published = published.or(listed);
    paper.version = arxiv.version().unwrap_or(1);
    Ok(paper)
}
