//! One `<entry>` of an arXiv API Atom feed: collecting its fields while the feed streams
//! past, then turning it into a [`Paper`], a rejection, or an arXiv API error.

use papertide_core::paper::collapse_whitespace;
use papertide_core::{ArxivId, PaperId, Source};

use crate::xml::Element;
use crate::{dates, emit_paper, reject, Emit, IngestError, Location, Paper};

/// The entry children whose text is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Title,
    Summary,
    Published,
    Updated,
    Comment,
    JournalRef,
    Doi,
    AuthorName,
}

/// What one entry turned out to be.
pub(super) enum Outcome {
    /// A paper or a rejected record was emitted.
    Record,
    /// The entry was arXiv's way of reporting an error; the message.
    ApiError(String),
}

/// The fields of one entry, gathered as its elements stream past.
#[derive(Debug, Default)]
pub(super) struct Entry {
    /// 1-based position among the feed's entries.
    pub record: u64,
    /// Depth of the `<entry>` element itself.
    depth: usize,
    id: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    published: Option<String>,
    updated: Option<String>,
    comment: Option<String>,
    journal_ref: Option<String>,
    doi: Option<String>,
    authors: Vec<String>,
    primary: Option<String>,
    categories: Vec<String>,
    abs: Option<String>,
    pdf: Option<String>,
    /// Inside an `<author>` element.
    in_author: bool,
    /// The field being read and the depth of its element.
    capture: Option<(Field, usize)>,
    text: String,
    /// The first damage seen inside the entry.
    damage: Option<String>,
}

impl Entry {
    /// An entry whose `<entry>` element is open at `depth`.
    pub fn new(record: u64, depth: usize) -> Entry {
        Entry { record, depth, ..Entry::default() }
    }

    /// The depth of the `<entry>` element.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The id as written, for rejections.
    pub fn raw_id(&self) -> Option<String> {
        self.id.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
    }

    /// An element opened at `depth` inside the entry.
    pub fn open(&mut self, element: &Element, depth: usize) {
        if self.capture.is_some() {
            return;
        }
        let child = depth == self.depth + 1;
        let field = match element.name.as_str() {
            "id" if child => Field::Id,
            "title" if child => Field::Title,
            "summary" if child => Field::Summary,
            "published" if child => Field::Published,
            "updated" if child => Field::Updated,
            "comment" if child => Field::Comment,
            "journal_ref" if child => Field::JournalRef,
            "doi" if child => Field::Doi,
            "author" if child => {
                self.in_author = true;
                return;
            }
            "name" if self.in_author && depth == self.depth + 2 => Field::AuthorName,
            "primary_category" if child => {
                self.primary = self.primary.take().or_else(|| element.attr("term").map(str::to_string));
                return;
            }
            "category" if child => {
                self.categories.extend(element.attr("term").map(str::to_string));
                return;
            }
            "link" if child => {
                let href = element.attr("href").map(str::trim).filter(|h| !h.is_empty());
                if let Some(href) = href {
                    if element.attr("rel") == Some("alternate") && self.abs.is_none() {
                        self.abs = Some(href.to_string());
                    } else if element.attr("title") == Some("pdf") && self.pdf.is_none() {
                        self.pdf = Some(href.to_string());
                    }
                }
                return;
            }
            _ => return,
        };
        self.capture = Some((field, depth));
        self.text.clear();
    }

    /// Character data inside the entry.
    pub fn text(&mut self, text: &str) {
        if self.capture.is_some() {
            self.text.push_str(text);
        }
    }

    /// An element closed; `depth` is the depth after closing it.
    pub fn close(&mut self, depth: usize) {
        if depth <= self.depth {
            self.in_author = false;
        }
        let Some((field, at)) = self.capture else { return };
        if depth >= at {
            return;
        }
        self.capture = None;
        let text = std::mem::take(&mut self.text);
        let slot = match field {
            Field::AuthorName => {
                self.authors.push(text);
                return;
            }
            Field::Id => &mut self.id,
            Field::Title => &mut self.title,
            Field::Summary => &mut self.summary,
            Field::Published => &mut self.published,
            Field::Updated => &mut self.updated,
            Field::Comment => &mut self.comment,
            Field::JournalRef => &mut self.journal_ref,
            Field::Doi => &mut self.doi,
        };
        slot.get_or_insert(text);
    }

    /// Damage inside the entry; the first is kept.
    pub fn damage(&mut self, message: String) {
        self.damage.get_or_insert(message);
    }

    /// Emits the entry as a paper or a rejection, or reports the arXiv API error it carries.
    pub fn finish(self, origin: &str, emit: Emit<'_>) -> Result<Outcome, IngestError> {
        let location = || Location::record(origin, self.record);
        let raw_id = self.raw_id();
        if let Some(id) = raw_id.as_deref().filter(|id| is_api_error(id)) {
            let message = [&self.summary, &self.title]
                .into_iter()
                .flatten()
                .map(|s| collapse_whitespace(s))
                .find(|s| !s.is_empty())
                .unwrap_or_else(|| id.to_string());
            reject(location(), None, format!("arXiv API error: {message}"), emit)?;
            return Ok(Outcome::ApiError(message));
        }
        if let Some(damage) = &self.damage {
            reject(location(), raw_id, format!("invalid XML in entry: {damage}"), emit)?;
            return Ok(Outcome::Record);
        }
        let Some(raw_id) = raw_id else {
            reject(location(), None, "missing <id>", emit)?;
            return Ok(Outcome::Record);
        };
        let arxiv_id = match raw_id.parse::<ArxivId>() {
            Ok(id) => id,
            Err(_) => {
                reject(location(), Some(raw_id.clone()), format!("invalid arXiv id \"{raw_id}\""), emit)?;
                return Ok(Outcome::Record);
            }
        };
        let mut dates = [None, None];
        for (slot, (name, value)) in dates.iter_mut().zip([("published", &self.published), ("updated", &self.updated)])
        {
            let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else { continue };
            match dates::parse_date(value) {
                Some(date) => *slot = Some(date),
                None => {
                    reject(location(), Some(raw_id), format!("invalid date in <{name}>: \"{value}\""), emit)?;
                    return Ok(Outcome::Record);
                }
            }
        }
        let mut paper = Paper::new(PaperId::arxiv(&arxiv_id), self.title.unwrap_or_default(), Source::ArxivApi);
        paper.version = arxiv_id.version().unwrap_or(1);
        paper.abstract_text = self.summary.unwrap_or_default();
        paper.authors = self.authors;
        paper.categories = self.primary.into_iter().chain(self.categories).collect();
        [paper.published, paper.updated] = dates;
        paper.comment = self.comment;
        paper.journal_ref = self.journal_ref;
        paper.doi = self.doi;
        paper.links.abs = self.abs;
        paper.links.pdf = self.pdf;
        emit_paper(paper, location, emit)?;
        Ok(Outcome::Record)
    }
}

/// True for the ids arXiv gives its error entries (`http://arxiv.org/api/errors#...`).
fn is_api_error(id: &str) -> bool {
    id.to_ascii_lowercase().contains("arxiv.org/api/errors")
}
