//! The header block shared by arXiv `.abs` files and listing files: decoding an entry's bytes,
//! reading its `Key: value` lines, and turning it into a [`Paper`]. [`abs`](crate::abs) and
//! [`listing`](crate::listing) differ only in what they do around it.
//!
//! A header looks like this (continuation lines are indented):
//!
//! ```text
//! arXiv:hep-th/9901001                      (or `Paper: ID`, `Paper (*cross-listing*): ID`,
//! From: Yosuke Imamura <...>                 `arXiv:ID (*cross-listing*)`)
//! Date: Fri, 1 Jan 1999 01:01:10 GMT   (15kb)
//! Date (revised v2): Tue, 5 Jan 1999 21:36:42 GMT   (15kb)
//! replaced with revised version Thu, 8 Jun 2023 08:03:26 GMT   (daily listings only)
//!
//! Title: String Junctions and Their Duals in Heterotic String Theory
//! Authors: Yosuke Imamura
//! Categories: hep-th
//! Comments: / Report-no: / Journal-ref: / DOI: / License: / MSC-class: / ACM-class: ...
//! ```
//!
//! - `version` is the number of `Date` lines, at least the highest `(revised vN)`, at least 2
//!   after a `replaced with revised version` note, else 1. `published` is the first date,
//!   `updated` the last (or the replacement date).
//! - Without `Categories`, an old-style id gives its archive (`math.GT/0309136` → `math.GT`).
//! - MSC-class, ACM-class, Subj-class, From and Proxy are read past but not kept.
//! - Bytes are UTF-8; an entry that is not valid UTF-8 is decoded as Latin-1 (bytes
//!   0x80–0x9F as windows-1252, as browsers do), that entry only. Control characters are
//!   cleaned: arXiv's DEL-for-umlaut artefact becomes `\"`, others become spaces.

mod scan;

use papertide_core::{ArxivId, Paper, PaperId, Source};

pub(crate) use scan::{count_entry_starts, head_lines, is_blank, is_id_line, is_marker, is_separator};

use crate::{authors::split_authors, dates::parse_date, emit_paper, reject, Emit, IngestError, Location};

/// What [`parse_stream`] saw.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StreamSummary {
    /// Entries found (papers plus rejections).
    pub entries: u64,
    /// Whether the stream held any non-blank line.
    pub had_content: bool,
}

/// Parses every entry of a stream and emits a paper or a rejection for each.
pub(crate) fn parse_stream(
    reader: &mut dyn std::io::BufRead,
    origin: &str,
    source: Source,
    emit: Emit<'_>,
) -> Result<StreamSummary, IngestError> {
    let mut scanner = scan::Scanner::new(reader, origin);
    let mut entries = 0u64;
    while let Some(entry) = scanner.next_entry()? {
        entries += 1;
        let line = entry.line;
        if entry.oversized {
            let id = Header::parse(&decode(entry.header.get(..1).unwrap_or_default())).id;
            reject(
                Location::line(origin, line),
                id,
                "entry too large (over 1 MiB of abstract or 4 MiB of header)",
                emit,
            )?;
            continue;
        }
        // One decision for the whole entry: UTF-8, or Latin-1 if any line is not UTF-8.
        let utf8 = entry.header.iter().chain(&entry.body).all(|l| std::str::from_utf8(l).is_ok());
        let header = decode_as(&entry.header, utf8);
        let body = decode_as(&entry.body, utf8).join("\n");
        match build(&header, body, source) {
            Ok(paper) => emit_paper(paper, || Location::line(origin, line), emit)?,
            Err((id, reason)) => reject(Location::line(origin, line), id, reason, emit)?,
        }
    }
    Ok(StreamSummary { entries, had_content: scanner.seen_content() })
}

/// Decodes lines as UTF-8, or all of them as Latin-1 when any is not valid UTF-8, then cleans
/// control characters (see [`clean_controls`]).
pub(crate) fn decode(lines: &[Vec<u8>]) -> Vec<String> {
    decode_as(lines, lines.iter().all(|l| std::str::from_utf8(l).is_ok()))
}

/// Decodes lines as UTF-8 (invalid sequences replaced) or as Latin-1, then cleans them.
fn decode_as(lines: &[Vec<u8>], utf8: bool) -> Vec<String> {
    let text = lines.iter().map(|l| {
        if utf8 {
            String::from_utf8_lossy(l).into_owned()
        } else {
            l.iter().map(|&b| latin1(b)).collect()
        }
    });
    text.map(clean_controls).collect()
}

/// Removes control characters, which would make the record invalid.
///
/// arXiv's old metadata has DEL (0x7F) where a TeX diaeresis was lost: `Str<DEL>omgren`,
/// `T<DEL>or<DEL>ok`, and sometimes `S<DEL>\"am` beside the kept `\"`. A DEL before a letter
/// becomes `\"` (`Str\"omgren`), any other DEL is dropped; other control characters become
/// spaces.
fn clean_controls(line: String) -> String {
    // Fast path on bytes: C0 controls, DEL, and 0xC2 (which starts the C1 controls in UTF-8).
    if !line.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7F || b == 0xC2) {
        return line;
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{7F}' if chars.peek().is_some_and(char::is_ascii_alphabetic) => out.push_str("\\\""),
            '\u{7F}' => {}
            '\t' => out.push('\t'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// One byte as Latin-1, with 0x80–0x9F read as windows-1252 (its five holes become U+FFFD).
fn latin1(b: u8) -> char {
    const CP1252: [char; 32] = [
        '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž', '\u{FFFD}',
        '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => CP1252.get(usize::from(b - 0x80)).copied().unwrap_or('\u{FFFD}'),
        _ => char::from(b),
    }
}

/// The fields of one header, as written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub id: Option<String>,
    pub cross_listing: bool,
    pub replaced: Option<String>,
    pub dates: Vec<String>,
    pub max_revision: u32,
    pub title: Option<String>,
    pub authors: Option<String>,
    pub categories: Option<String>,
    pub comments: Option<String>,
    pub report_no: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    pub license: Option<String>,
}

/// The field continuation lines go to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Authors,
    Categories,
    Comments,
    ReportNo,
    JournalRef,
    Doi,
    License,
    Ignored,
}

impl Header {
    /// Reads header lines (the id line first).
    pub(crate) fn parse(lines: &[String]) -> Header {
        let mut h = Header::default();
        let mut current = Field::Ignored;
        for line in lines {
            if line.trim().is_empty() {
                current = Field::Ignored;
            } else if line.starts_with(char::is_whitespace) {
                h.append(current, line.trim());
            } else if let Some(date) = strip_prefix_ci(line, "replaced with revised version") {
                h.replaced.get_or_insert_with(|| date.trim().to_string());
                current = Field::Ignored;
            } else if let Some((name, paren, value)) = split_key(line) {
                current = h.set(&name.to_ascii_lowercase(), paren, value);
            } else {
                // An unindented line that is no `Key:` line: a sloppy continuation.
                h.append(current, line.trim());
            }
        }
        h
    }

    /// Handles one `Key: value` line and says where its continuation lines go.
    fn set(&mut self, name: &str, paren: &str, value: &str) -> Field {
        let field = match name {
            "arxiv" | "paper" => {
                if self.id.is_none() {
                    self.id = id_token(value);
                    self.cross_listing = paren.to_ascii_lowercase().contains("cross")
                        || value.to_ascii_lowercase().contains("cross-list");
                }
                return Field::Ignored;
            }
            "date" => {
                self.dates.push(value.to_string());
                let lower = paren.to_ascii_lowercase();
                if let Some(v) = lower.split_once("revised v").and_then(|(_, v)| leading_number(v)) {
                    self.max_revision = self.max_revision.max(v);
                }
                return Field::Ignored;
            }
            "title" => Field::Title,
            "authors" | "author" => Field::Authors,
            "categories" => Field::Categories,
            "comments" | "comment" => Field::Comments,
            "report-no" => Field::ReportNo,
            "journal-ref" => Field::JournalRef,
            "doi" => Field::Doi,
            "license" => Field::License,
            _ => return Field::Ignored,
        };
        match self.slot(field) {
            Some(slot) if slot.is_none() => {
                *slot = Some(value.to_string());
                field
            }
            _ => Field::Ignored, // a repeated key: the first one wins
        }
    }

    fn slot(&mut self, field: Field) -> Option<&mut Option<String>> {
        Some(match field {
            Field::Title => &mut self.title,
            Field::Authors => &mut self.authors,
            Field::Categories => &mut self.categories,
            Field::Comments => &mut self.comments,
            Field::ReportNo => &mut self.report_no,
            Field::JournalRef => &mut self.journal_ref,
            Field::Doi => &mut self.doi,
            Field::License => &mut self.license,
            Field::Ignored => return None,
        })
    }

    fn append(&mut self, field: Field, text: &str) {
        if let Some(Some(value)) = self.slot(field) {
            value.push(' ');
            value.push_str(text);
        }
    }
}

/// Splits `Name (paren): value`; `None` when the line is no header line.
fn split_key(line: &str) -> Option<(&str, &str, &str)> {
    let (key, value) = line.split_once(':')?;
    let (name, paren) = match key.split_once('(') {
        Some((name, _)) => (name.trim_end(), key.get(name.len()..).unwrap_or("").trim()),
        None => (key, ""),
    };
    let name_ok = (1..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
    let paren_ok = paren.is_empty() || paren.ends_with(')');
    (name_ok && paren_ok).then_some((name, paren, value.trim()))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| s.get(prefix.len()..)).flatten()
}

fn leading_number(s: &str) -> Option<u32> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).take(6).collect();
    digits.parse().ok()
}

/// The id in an id line's value (`2306.77777 (*cross-listing*)` gives `2306.77777`).
fn id_token(value: &str) -> Option<String> {
    let value = value.trim();
    let value = strip_prefix_ci(value, "arXiv:").or_else(|| strip_prefix_ci(value, "Paper:")).unwrap_or(value);
    value.split_whitespace().next().map(|t| t.trim_end_matches(',').to_string())
}

/// A rejected entry: its id when known, and why.
pub(crate) type Rejection = (Option<String>, String);

/// Turns a decoded header and abstract into a paper (not yet normalized or validated).
pub(crate) fn build(lines: &[String], abstract_text: String, source: Source) -> Result<Paper, Rejection> {
    let h = Header::parse(lines);
    let raw_id = h.id.clone().unwrap_or_default();
    if raw_id.is_empty() {
        return Err((None, "missing arXiv id".to_string()));
    }
    let arxiv: ArxivId = match raw_id.parse() {
        Ok(id) => id,
        Err(_) => return Err((Some(raw_id.clone()), format!("invalid arXiv id \"{raw_id}\""))),
    };
    let title = h.title.clone().unwrap_or_default();
    if title.trim().is_empty() {
        return Err((Some(arxiv.base().to_string()), "missing title".to_string()));
    }
    let mut paper = Paper::new(PaperId::arxiv(&arxiv), title, source);
    paper.abstract_text = abstract_text;
    paper.authors = h.authors.as_deref().map(split_authors).unwrap_or_default();
    paper.categories = match h.categories.as_deref().map(str::split_whitespace) {
        Some(cats) => cats.map(str::to_string).collect(),
        None => archive_of(&arxiv).into_iter().collect(),
    };
    let first = h.dates.first().and_then(|d| parse_date(d));
    let last = h.dates.last().and_then(|d| parse_date(d));
    let replaced = h.replaced.as_deref().and_then(parse_date);
    paper.published = first;
    paper.updated = replaced.or(last);
    let dated = u32::try_from(h.dates.len()).unwrap_or(u32::MAX);
    let mut version = dated.max(h.max_revision).max(arxiv.version().unwrap_or(1)).max(1);
    if h.replaced.is_some() {
        version = version.max(2);
    }
    paper.version = version;
    paper.comment = h.comments;
    paper.report_no = h.report_no;
    paper.journal_ref = h.journal_ref;
    paper.doi = h.doi;
    paper.license = h.license;
    Ok(paper)
}

/// The archive of an old-style id (`hep-th/9901001` → `hep-th`, `math.GT/0309136` → `math.GT`).
fn archive_of(id: &ArxivId) -> Option<String> {
    id.base().split_once('/').map(|(archive, _)| archive.to_string())
}

#[cfg(test)]
mod tests;
