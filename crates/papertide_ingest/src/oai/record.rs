//! One OAI-PMH `<record>`: its header (identifier, deleted status) and its `arXiv` or
//! `arXivRaw` metadata, gathered while the response streams past, then emitted as a
//! [`Paper`] or a rejection.

use papertide_core::paper::collapse_whitespace;
use papertide_core::{ArxivId, PaperId, Source};

use super::arxiv_raw::{self, RawVersion};
use crate::authors::split_authors;
use crate::xml::Element;
use crate::{dates, emit_paper, reject, Emit, IngestError, Location, Paper};

/// The elements whose text is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Identifier,
    Id,
    Created,
    Updated,
    Title,
    Categories,
    Comments,
    JournalRef,
    Doi,
    ReportNo,
    License,
    Abstract,
    AuthorsText,
    Keyname,
    Forenames,
    Suffix,
    VersionDate,
}

/// One `<author>` of the `arXiv` format.
#[derive(Debug, Clone, Default)]
struct AuthorParts {
    keyname: String,
    forenames: String,
    suffix: String,
}

impl AuthorParts {
    /// `Forenames Keyname Suffix`; empty when no part holds a letter or digit.
    fn name(&self) -> String {
        let name = collapse_whitespace(&format!("{} {} {}", self.forenames, self.keyname, self.suffix));
        if name.chars().any(char::is_alphanumeric) {
            name
        } else {
            String::new()
        }
    }
}

/// The fields of one record, gathered as its elements stream past.
#[derive(Debug, Default)]
pub(super) struct Record {
    /// 1-based position among the response's records (deleted ones included).
    pub number: u64,
    /// Depth of the `<record>` element itself.
    depth: usize,
    /// Local names of the open elements below `<record>`.
    path: Vec<String>,
    deleted: bool,
    /// Local name of the element inside `<metadata>` (`arXiv`, `arXivRaw`, ...).
    format: Option<String>,
    values: Vec<(Field, String)>,
    authors: Vec<AuthorParts>,
    versions: Vec<RawVersion>,
    /// The field being read and the path length at its element.
    capture: Option<(Field, usize)>,
    text: String,
    /// The first damage seen inside the record.
    damage: Option<String>,
}

impl Record {
    /// A record whose `<record>` element is open at `depth`.
    pub fn new(number: u64, depth: usize) -> Record {
        Record { number, depth, ..Record::default() }
    }

    /// The depth of the `<record>` element.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// An element opened inside the record.
    pub fn open(&mut self, element: &Element) {
        self.path.push(element.name.clone());
        if self.capture.is_some() {
            return;
        }
        let raw = self.format.as_deref() == Some("arXivRaw");
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        let field = match path.as_slice() {
            ["header"] => {
                self.deleted |= element.attr("status") == Some("deleted");
                return;
            }
            ["header", "identifier"] => Field::Identifier,
            ["metadata", format] => {
                self.format.get_or_insert_with(|| format.to_string());
                return;
            }
            ["metadata", _, "authors"] if raw => Field::AuthorsText,
            ["metadata", _, "authors", "author"] => {
                self.authors.push(AuthorParts::default());
                return;
            }
            ["metadata", _, "authors", "author", part] => match *part {
                "keyname" => Field::Keyname,
                "forenames" => Field::Forenames,
                "suffix" => Field::Suffix,
                _ => return,
            },
            ["metadata", _, "version"] => {
                self.versions.push(RawVersion { label: element.attr("version").map(str::to_string), date: None });
                return;
            }
            ["metadata", _, "version", "date"] => Field::VersionDate,
            ["metadata", _, name] => match *name {
                "id" => Field::Id,
                "created" => Field::Created,
                "updated" => Field::Updated,
                "title" => Field::Title,
                "categories" => Field::Categories,
                "comments" => Field::Comments,
                "journal-ref" => Field::JournalRef,
                "doi" => Field::Doi,
                "report-no" => Field::ReportNo,
                "license" => Field::License,
                "abstract" => Field::Abstract,
                _ => return,
            },
            _ => return,
        };
        self.capture = Some((field, self.path.len()));
        self.text.clear();
    }

    /// Character data inside the record.
    pub fn text(&mut self, text: &str) {
        if self.capture.is_some() {
            self.text.push_str(text);
        }
    }

    /// The innermost open element below `<record>` closed.
    pub fn close(&mut self) {
        self.path.pop();
        let Some((field, at)) = self.capture else { return };
        if self.path.len() >= at {
            return;
        }
        self.capture = None;
        let text = std::mem::take(&mut self.text);
        match field {
            Field::Keyname | Field::Forenames | Field::Suffix => {
                if let Some(author) = self.authors.last_mut() {
                    match field {
                        Field::Keyname => author.keyname = text,
                        Field::Forenames => author.forenames = text,
                        _ => author.suffix = text,
                    }
                }
            }
            Field::VersionDate => {
                if let Some(version) = self.versions.last_mut() {
                    version.date.get_or_insert(text);
                }
            }
            _ if self.value(field).is_none() => self.values.push((field, text)),
            _ => {}
        }
    }

    /// Damage inside the record; the first is kept.
    pub fn damage(&mut self, message: String) {
        self.damage.get_or_insert(message);
    }

    fn value(&self, field: Field) -> Option<&str> {
        self.values.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())
    }

    fn take(&mut self, field: Field) -> Option<String> {
        let pos = self.values.iter().position(|(f, _)| *f == field)?;
        Some(self.values.swap_remove(pos).1)
    }

    /// The id for rejections: the metadata's, else the header's, as written.
    pub fn raw_id(&self) -> Option<String> {
        let identifier = self.identifier_text();
        let id = self.value(Field::Id).map(str::trim).filter(|s| !s.is_empty());
        id.or(identifier.as_deref()).map(str::to_string)
    }

    fn identifier_text(&self) -> Option<String> {
        let id = self.value(Field::Identifier)?.trim();
        let id = id.strip_prefix("oai:arXiv.org:").unwrap_or(id);
        (!id.is_empty()).then(|| id.to_string())
    }

    /// Emits the record as a paper or a rejection; `false` for a deleted record (skipped).
    pub fn finish(mut self, origin: &str, emit: Emit<'_>) -> Result<bool, IngestError> {
        if self.deleted {
            return Ok(false);
        }
        let number = self.number;
        let location = || Location::record(origin, number);
        let raw_id = self.raw_id();
        if let Some(damage) = &self.damage {
            reject(location(), raw_id, format!("invalid XML in record: {damage}"), emit)?;
            return Ok(true);
        }
        let raw = match self.format.as_deref() {
            Some("arXivRaw") => true,
            Some("arXiv") => false,
            Some(other) => {
                let reason = format!("unsupported metadata format <{other}> (expected arXiv or arXivRaw)");
                reject(location(), raw_id, reason, emit)?;
                return Ok(true);
            }
            None => {
                reject(location(), raw_id, "record without <metadata>", emit)?;
                return Ok(true);
            }
        };
        let Some(raw_id) = raw_id else {
            reject(location(), None, "missing <id>", emit)?;
            return Ok(true);
        };
        let Ok(arxiv_id) = raw_id.parse::<ArxivId>() else {
            reject(location(), Some(raw_id.clone()), format!("invalid arXiv id \"{raw_id}\""), emit)?;
            return Ok(true);
        };
        let title = self.take(Field::Title).unwrap_or_default();
        let mut paper = Paper::new(PaperId::arxiv(&arxiv_id), title, Source::Oai);
        let dated = if raw { self.raw_versions(&mut paper) } else { self.arxiv_dates(&mut paper, &arxiv_id) };
        if let Err(reason) = dated {
            reject(location(), Some(raw_id), reason, emit)?;
            return Ok(true);
        }
        paper.authors = match self.take(Field::AuthorsText) {
            Some(text) if raw => split_authors(&text),
            _ => self.authors.iter().map(AuthorParts::name).collect(),
        };
        paper.categories =
            self.take(Field::Categories).unwrap_or_default().split_whitespace().map(str::to_string).collect();
        paper.abstract_text = self.take(Field::Abstract).unwrap_or_default();
        paper.comment = self.take(Field::Comments);
        paper.journal_ref = self.take(Field::JournalRef);
        paper.doi = self.take(Field::Doi);
        paper.report_no = self.take(Field::ReportNo);
        paper.license = self.take(Field::License);
        emit_paper(paper, location, emit)?;
        Ok(true)
    }

    /// `arXiv` format: `<created>` and `<updated>` dates; the version only if the id has one.
    fn arxiv_dates(&mut self, paper: &mut Paper, id: &ArxivId) -> Result<(), String> {
        paper.version = id.version().unwrap_or(1);
        for (field, name) in [(Field::Created, "created"), (Field::Updated, "updated")] {
            let Some(text) = self.take(field) else { continue };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let date = dates::parse_date(text).ok_or_else(|| format!("invalid date in <{name}>: \"{text}\""))?;
            match field {
                Field::Created => paper.published = Some(date),
                _ => paper.updated = Some(date),
            }
        }
        Ok(())
    }

    /// `arXivRaw` format: dates and version from the `<version>` list.
    fn raw_versions(&mut self, paper: &mut Paper) -> Result<(), String> {
        let versions = arxiv_raw::resolve(&self.versions)?;
        paper.published = versions.published;
        paper.updated = versions.updated;
        paper.version = versions.version;
        Ok(())
    }
}
