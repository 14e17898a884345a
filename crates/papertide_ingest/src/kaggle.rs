//! The Kaggle `arxiv-metadata-oai-snapshot` JSON Lines dump (2.7 million lines, 4.5 GB):
//! one object per line with `id`, `submitter`, `authors` (one string), `title`, `comments`,
//! `journal-ref`, `doi`, `report-no`, `categories` (space separated, primary first),
//! `license`, `abstract`, `versions` (`[{version: "v1", created: RFC 2822}]`), `update_date`
//! and `authors_parsed` (`[[last, first, suffix, affiliation?], ...]`).
//!
//! Lines are streamed (see the shared loop in [`crate::export`]) and deserialized into a
//! struct that borrows from the line. Mapping:
//! - authors come from `authors_parsed` as `First Last Suffix`; the `authors` string is split
//!   only when `authors_parsed` is missing or empty (by [`crate::authors::split_authors`]). Kaggle already decoded LaTeX accents in
//!   `authors_parsed` (`Balázs`, while `authors` says `Bal\'azs`), and papertide keeps any
//!   LaTeX as the source wrote it (titles, abstracts, the fallback split): no accent
//!   conversion happens here.
//! - `version` is the highest `vN`, `published` the date of the lowest version (v1),
//!   `updated` the date of the highest, or `update_date` when there are no versions.
//! - Every date present must parse: a bad `versions[i].created` or `update_date` rejects
//!   the record.
//!
//! Format detection is in [`crate::input`].

use chrono::{DateTime, Utc};
use papertide_core::{ArxivId, PaperId, Source};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::authors::split_authors;
use crate::dates::parse_date;
use crate::export::{
    check, check_items, each_line, explain, finish, id_problem, invalid_id, quoted, title_problem, Bad, Text,
};
use crate::{Emit, IngestError, Paper};

/// One line of the snapshot, borrowing from it where it can. Unknown fields are ignored.
#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(borrow, default)]
    title: Option<Text<'a>>,
    #[serde(borrow, default)]
    authors: Option<Text<'a>>,
    #[serde(borrow, default)]
    comments: Option<Text<'a>>,
    #[serde(borrow, default, rename = "journal-ref")]
    journal_ref: Option<Text<'a>>,
    #[serde(borrow, default)]
    doi: Option<Text<'a>>,
    #[serde(borrow, default, rename = "report-no")]
    report_no: Option<Text<'a>>,
    #[serde(borrow, default)]
    categories: Option<Text<'a>>,
    #[serde(borrow, default)]
    license: Option<Text<'a>>,
    #[serde(borrow, default, rename = "abstract")]
    abstract_text: Option<Text<'a>>,
    #[serde(borrow, default)]
    versions: Option<Vec<RawVersion<'a>>>,
    #[serde(borrow, default)]
    update_date: Option<Text<'a>>,
    #[serde(borrow, default)]
    authors_parsed: Option<Vec<Vec<Text<'a>>>>,
}

#[derive(Deserialize)]
struct RawVersion<'a> {
    #[serde(borrow, default)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    created: Text<'a>,
}

/// The owned shape of a version, for diagnosing bad lines.
#[derive(Deserialize)]
#[allow(dead_code)]
struct OwnedVersion {
    version: Option<String>,
    created: String,
}

/// Parses one stream of the Kaggle snapshot.
pub fn parse(reader: &mut dyn std::io::BufRead, origin: &str, emit: Emit<'_>) -> Result<(), IngestError> {
    each_line(reader, origin, emit, |line, n, emit| {
        let result = match serde_json::from_str::<Raw<'_>>(line) {
            Ok(raw) => convert(raw),
            Err(e) => Err(explain(line, &e, diagnose)),
        };
        finish(result, origin, n, emit)
    })
}

/// Finds the field that made a snapshot line fail to deserialize.
fn diagnose(obj: &Map<String, Value>) -> Option<String> {
    id_problem(obj, |s| s.parse::<ArxivId>().map(drop).map_err(|e| e.to_string()))
        .or_else(|| title_problem(obj))
        .or_else(|| {
            [
                "authors",
                "comments",
                "journal-ref",
                "doi",
                "report-no",
                "categories",
                "license",
                "abstract",
                "update_date",
            ]
            .into_iter()
            .find_map(|field| check::<Option<String>>(obj, field))
        })
        .or_else(|| check_items::<OwnedVersion>(obj, "versions"))
        .or_else(|| check_items::<Vec<String>>(obj, "authors_parsed"))
}

fn text(t: Option<Text<'_>>) -> Option<String> {
    t.map(|t| t.0.into_owned())
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

    let mut oldest: Option<(u32, DateTime<Utc>)> = None;
    let mut newest: Option<(u32, DateTime<Utc>)> = None;
    for (i, v) in raw.versions.iter().flatten().enumerate() {
        let number = match &v.version {
            Some(label) => version_number(label.trimmed())
                .ok_or_else(|| bad(format!("bad version in versions[{i}].version: {}", quoted(&label.0))))?,
            None => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        let date = parse_date(&v.created.0)
            .ok_or_else(|| bad(format!("bad date in versions[{i}].created: {}", quoted(&v.created.0))))?;
        if oldest.is_none_or(|(n, _)| number < n) {
            oldest = Some((number, date));
        }
        if newest.is_none_or(|(n, _)| number >= n) {
            newest = Some((number, date));
        }
    }
    let update_date = match raw.update_date.as_ref().map(Text::trimmed).filter(|s| !s.is_empty()) {
        Some(s) => Some(parse_date(s).ok_or_else(|| bad(format!("bad date in update_date: {}", quoted(s))))?),
        None => None,
    };

    let mut authors: Vec<String> = raw.authors_parsed.iter().flatten().map(|parts| parsed_name(parts)).collect();
    authors.retain(|a| !a.is_empty());
    if authors.is_empty() {
        authors = raw.authors.as_ref().map(|a| split_authors(&a.0)).unwrap_or_default();
    }

    let mut paper = Paper::new(id, title, Source::Kaggle);
    paper.abstract_text = text(raw.abstract_text).unwrap_or_default();
    paper.authors = authors;
    paper.categories =
        raw.categories.as_ref().map(|c| c.0.split_whitespace().map(String::from).collect()).unwrap_or_default();
    paper.published = oldest.map(|(_, d)| d);
    paper.updated = newest.map(|(_, d)| d).or(update_date);
    paper.version = newest.map(|(n, _)| n).or(arxiv.version()).unwrap_or(1);
    paper.comment = text(raw.comments);
    paper.journal_ref = text(raw.journal_ref);
    paper.doi = text(raw.doi);
    paper.report_no = text(raw.report_no);
    paper.license = text(raw.license);
    Ok(paper)
}

/// `v3` → 3.
fn version_number(label: &str) -> Option<u32> {
    let digits = label.strip_prefix('v').or_else(|| label.strip_prefix('V')).unwrap_or(label);
    digits.parse().ok().filter(|&n| n >= 1)
}

/// `[last, first, suffix, affiliation...]` → `First Last Suffix`.
fn parsed_name(parts: &[Text<'_>]) -> String {
    let mut name = String::new();
    for part in [parts.get(1), parts.first(), parts.get(2)].into_iter().flatten() {
        let part = part.trimmed();
        if !part.is_empty() {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(part);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_labels() {
        assert_eq!(version_number("v12"), Some(12));
        assert_eq!(version_number("v0"), None);
        assert_eq!(version_number("x"), None);
    }
}
