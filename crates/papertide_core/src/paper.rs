//! The bibliographic record ([`Paper`]), its links, where it came from ([`Source`]), the
//! community data kept apart from it ([`Community`]), validation, and the merge rule used
//! when the same paper is imported again ([`Paper::merge`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::PaperId;

/// Where a record was first imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The arXiv API (Atom feeds).
    ArxivApi,
    /// An OAI-PMH harvest (metadataPrefix `arXiv` or `arXivRaw`).
    Oai,
    /// The Kaggle `arxiv-metadata-oai-snapshot` JSON Lines dump.
    Kaggle,
    /// An arXiv `.abs` file.
    Abs,
    /// An arXiv daily or monthly listing file.
    Listing,
    /// The daily-listing JSON Lines shape (one object per listed paper).
    DailyListing,
    /// Entered locally (CLI, web submission, benchmark corpora).
    Local,
}

impl Source {
    /// Every source, in a stable order.
    pub const ALL: [Source; 7] = [
        Source::ArxivApi,
        Source::Oai,
        Source::Kaggle,
        Source::Abs,
        Source::Listing,
        Source::DailyListing,
        Source::Local,
    ];

    /// The snake_case name used in the database and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::ArxivApi => "arxiv_api",
            Source::Oai => "oai",
            Source::Kaggle => "kaggle",
            Source::Abs => "abs",
            Source::Listing => "listing",
            Source::DailyListing => "daily_listing",
            Source::Local => "local",
        }
    }

    /// Parses the name written by [`Source::as_str`].
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Links of a paper. For arXiv papers `abs` and `pdf` are filled in from the id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Links {
    /// The abstract page.
    pub abs: Option<String>,
    /// The PDF.
    pub pdf: Option<String>,
    /// A code repository.
    pub code: Option<String>,
    /// A project page.
    pub project: Option<String>,
}

/// A paper's bibliographic record, as imported. Community data lives in [`Community`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paper {
    /// The store key: bare arXiv id or namespaced id.
    pub id: PaperId,
    /// Title, whitespace collapsed; may contain LaTeX.
    pub title: String,
    /// Abstract, whitespace collapsed; empty when the source has none (listings).
    #[serde(rename = "abstract", default)]
    pub abstract_text: String,
    /// Authors in order, one name each.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Categories, primary first (`cs.LG`, `stat.ML`).
    #[serde(default)]
    pub categories: Vec<String>,
    /// When version 1 appeared.
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// When the newest known version appeared.
    #[serde(default)]
    pub updated: Option<DateTime<Utc>>,
    /// The newest known version number (1 when the source does not say).
    #[serde(default = "one")]
    pub version: u32,
    /// The authors' comment (pages, figures, venue).
    #[serde(default)]
    pub comment: Option<String>,
    /// Journal reference.
    #[serde(default)]
    pub journal_ref: Option<String>,
    /// DOI, without the `https://doi.org/` prefix.
    #[serde(default)]
    pub doi: Option<String>,
    /// Report number.
    #[serde(default)]
    pub report_no: Option<String>,
    /// License URL.
    #[serde(default)]
    pub license: Option<String>,
    /// Links to the paper and its artefacts.
    #[serde(default)]
    pub links: Links,
    /// Where this record was first imported from.
    #[serde(default = "local")]
    pub source: Source,
}

fn one() -> u32 {
    1
}

fn local() -> Source {
    Source::Local
}

/// Most bytes a title may have.
pub const MAX_TITLE_BYTES: usize = 2_000;
/// Most bytes an abstract may have.
pub const MAX_ABSTRACT_BYTES: usize = 64 * 1024;
/// Most authors a paper may list (large collaborations list about 3,000).
pub const MAX_AUTHORS: usize = 10_000;
/// Most bytes any other text field may have.
pub const MAX_FIELD_BYTES: usize = 8 * 1024;

/// Why a record is not a valid paper. Each variant names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The title is empty after trimming.
    #[error("missing title")]
    MissingTitle,
    /// A field is larger than any real paper's.
    #[error("field `{field}` is too large ({bytes} bytes, at most {max})")]
    TooLarge {
        /// The field's name.
        field: &'static str,
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Too many authors.
    #[error("too many authors ({0}, at most {MAX_AUTHORS})")]
    TooManyAuthors(usize),
    /// A category is not of the form `archive` or `archive.CLASS`.
    #[error("invalid category `{0}`")]
    BadCategory(String),
    /// A field holds control characters.
    #[error("field `{0}` contains control characters")]
    ControlCharacters(&'static str),
    /// Version 0 does not exist.
    #[error("version must be at least 1")]
    BadVersion,
}

/// What [`Paper::merge`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The incoming record adds nothing: the stored one stays as it is.
    Unchanged,
    /// The incoming record describes an older version: the stored one stays as it is.
    Stale,
    /// The stored record must become this one.
    Updated(Box<Paper>),
}

/// Collapses every run of whitespace (and control characters, which real feeds sometimes
/// carry in mis-encoded text) into one space and trims the ends.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn clean_opt(v: Option<String>) -> Option<String> {
    v.map(|s| collapse_whitespace(&s)).filter(|s| !s.is_empty())
}

/// True when `c` can be an arXiv category (`cs.LG`, `hep-th`, `math-ph`): 1 to 32 ASCII
/// letters, digits, `.`, `-` or `_`, starting with a letter.
pub fn valid_category(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= 32
        && c.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

/// True when `text` can filter by category: a category (`cs.LG`), an archive (`cs`), or an
/// archive written as `cs.*`.
pub fn valid_category_filter(text: &str) -> bool {
    valid_category(text.strip_suffix(".*").unwrap_or(text))
}

impl Paper {
    /// A paper with the given id and title and every other field empty.
    pub fn new(id: PaperId, title: impl Into<String>, source: Source) -> Paper {
        Paper {
            id,
            title: title.into(),
            abstract_text: String::new(),
            authors: Vec::new(),
            categories: Vec::new(),
            published: None,
            updated: None,
            version: 1,
            comment: None,
            journal_ref: None,
            doi: None,
            report_no: None,
            license: None,
            links: Links::default(),
            source,
        }
    }

    /// The primary category, if any.
    pub fn primary_category(&self) -> Option<&str> {
        self.categories.first().map(String::as_str)
    }

    /// Collapses whitespace, drops empty and duplicate authors and categories, and fills in
    /// arXiv links. Parsers call this before [`Paper::validate`].
    pub fn normalized(mut self) -> Paper {
        self.title = collapse_whitespace(&self.title);
        self.abstract_text = collapse_whitespace(&self.abstract_text);
        self.authors = self.authors.iter().map(|a| collapse_whitespace(a)).filter(|a| !a.is_empty()).collect();
        let mut cats: Vec<String> = Vec::with_capacity(self.categories.len());
        for c in &self.categories {
            let c = c.trim();
            if !c.is_empty() && !cats.iter().any(|x| x == c) {
                cats.push(c.to_string());
            }
        }
        self.categories = cats;
        self.comment = clean_opt(self.comment);
        self.journal_ref = clean_opt(self.journal_ref);
        self.report_no = clean_opt(self.report_no);
        self.license = clean_opt(self.license);
        self.doi = clean_opt(self.doi.map(|d| {
            let mut d = d.trim();
            for prefix in ["https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"] {
                d = d.strip_prefix(prefix).unwrap_or(d);
            }
            d.to_string()
        }));
        self.links.code = clean_opt(self.links.code);
        self.links.project = clean_opt(self.links.project);
        if let Some(ax) = self.id.as_arxiv() {
            self.links.abs.get_or_insert_with(|| ax.abs_url());
            self.links.pdf.get_or_insert_with(|| ax.pdf_url());
        }
        if let (Some(p), Some(u)) = (self.published, self.updated) {
            if u < p {
                self.updated = Some(p);
            }
        }
        self
    }

    /// Checks the record: a title, sane sizes, valid categories, no control characters.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.title.trim().is_empty() {
            return Err(ValidationError::MissingTitle);
        }
        let sized: [(&'static str, usize, usize); 2] =
            [("title", self.title.len(), MAX_TITLE_BYTES), ("abstract", self.abstract_text.len(), MAX_ABSTRACT_BYTES)];
        for (field, bytes, max) in sized {
            if bytes > max {
                return Err(ValidationError::TooLarge { field, bytes, max });
            }
        }
        let optional = [
            ("comment", &self.comment),
            ("journal_ref", &self.journal_ref),
            ("doi", &self.doi),
            ("report_no", &self.report_no),
            ("license", &self.license),
            ("links.abs", &self.links.abs),
            ("links.pdf", &self.links.pdf),
            ("links.code", &self.links.code),
            ("links.project", &self.links.project),
        ];
        for (field, value) in optional {
            if let Some(v) = value {
                if v.len() > MAX_FIELD_BYTES {
                    return Err(ValidationError::TooLarge { field, bytes: v.len(), max: MAX_FIELD_BYTES });
                }
                if v.chars().any(char::is_control) {
                    return Err(ValidationError::ControlCharacters(field));
                }
            }
        }
        if self.authors.len() > MAX_AUTHORS {
            return Err(ValidationError::TooManyAuthors(self.authors.len()));
        }
        let author_bytes: usize = self.authors.iter().map(String::len).sum();
        if author_bytes > MAX_ABSTRACT_BYTES * 4 {
            return Err(ValidationError::TooLarge {
                field: "authors",
                bytes: author_bytes,
                max: MAX_ABSTRACT_BYTES * 4,
            });
        }
        if let Some(c) = self.categories.iter().find(|c| !valid_category(c)) {
            return Err(ValidationError::BadCategory(c.clone()));
        }
        let texts = [("title", &self.title), ("abstract", &self.abstract_text)];
        for (field, v) in texts {
            if v.chars().any(|c| c.is_control() && c != '\n') {
                return Err(ValidationError::ControlCharacters(field));
            }
        }
        if self.authors.iter().any(|a| a.chars().any(char::is_control)) {
            return Err(ValidationError::ControlCharacters("authors"));
        }
        if self.version == 0 {
            return Err(ValidationError::BadVersion);
        }
        Ok(())
    }

    /// Combines this stored record with a newly imported one of the same id.
    ///
    /// - An incoming record is newer when its version is higher, or when it was updated later
    ///   (OAI-PMH `arXiv` records carry dates but no version number); the version kept is the
    ///   highest seen. An incoming record that is neither newer nor of the same version is
    ///   [`MergeOutcome::Stale`].
    /// - A newer record replaces every field it has (non-empty); fields it lacks are kept.
    /// - The same version only fills fields the stored record lacks (a listing without
    ///   abstract, then the full record): the first complete source wins, so importing
    ///   several sources that disagree in details converges instead of flip-flopping.
    /// - `published` is the earliest known date, `updated` the latest, `source` the first.
    /// - If that changes nothing, the result is [`MergeOutcome::Unchanged`], so re-importing
    ///   the same data is a no-op.
    pub fn merge(&self, incoming: &Paper) -> MergeOutcome {
        let updated_later = matches!((incoming.updated, self.updated), (Some(a), Some(b)) if a > b);
        let newer = incoming.version > self.version || updated_later;
        if !newer && incoming.version < self.version {
            return MergeOutcome::Stale;
        }
        let pick = |new: &Option<String>, old: &Option<String>| -> Option<String> {
            if newer {
                new.clone().or_else(|| old.clone())
            } else {
                old.clone().or_else(|| new.clone())
            }
        };
        let text = |new: &str, old: &str| -> String {
            if (newer && !new.is_empty()) || old.is_empty() { new } else { old }.to_string()
        };
        let list = |new: &[String], old: &[String]| -> Vec<String> {
            if (newer && !new.is_empty()) || old.is_empty() { new } else { old }.to_vec()
        };
        let merged = Paper {
            id: self.id.clone(),
            title: text(&incoming.title, &self.title),
            abstract_text: text(&incoming.abstract_text, &self.abstract_text),
            authors: list(&incoming.authors, &self.authors),
            categories: list(&incoming.categories, &self.categories),
            published: match (self.published, incoming.published) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            updated: match (self.updated, incoming.updated) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            version: incoming.version.max(self.version),
            comment: pick(&incoming.comment, &self.comment),
            journal_ref: pick(&incoming.journal_ref, &self.journal_ref),
            doi: pick(&incoming.doi, &self.doi),
            report_no: pick(&incoming.report_no, &self.report_no),
            license: pick(&incoming.license, &self.license),
            links: Links {
                abs: pick(&incoming.links.abs, &self.links.abs),
                pdf: pick(&incoming.links.pdf, &self.links.pdf),
                code: pick(&incoming.links.code, &self.links.code),
                project: pick(&incoming.links.project, &self.links.project),
            },
            source: self.source,
        };
        if &merged == self {
            MergeOutcome::Unchanged
        } else {
            MergeOutcome::Updated(Box::new(merged))
        }
    }
}

/// Community data of a paper, kept apart from its record so that re-imports never touch it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Community {
    /// When the paper was put on the daily feed.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who put it there (a user name).
    pub submitted_by: Option<String>,
    /// Number of upvotes.
    pub upvotes: i64,
    /// Number of visible comments.
    pub comment_count: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn paper(version: u32) -> Paper {
        let mut p = Paper::new("2401.01234".parse().unwrap(), "  A   title\n  wrapped ", Source::Kaggle);
        p.version = version;
        p.abstract_text = "An abstract.".into();
        p.authors = vec!["Ada Lovelace".into(), " ".into()];
        p.categories = vec!["cs.LG".into(), "stat.ML".into(), "cs.LG".into()];
        p.normalized()
    }

    #[test]
    fn normalizes() {
        let p = paper(1);
        assert_eq!(p.title, "A title wrapped");
        assert_eq!(p.authors, vec!["Ada Lovelace"]);
        assert_eq!(p.categories, vec!["cs.LG", "stat.ML"]);
        assert_eq!(p.links.abs.as_deref(), Some("https://arxiv.org/abs/2401.01234"));
        assert_eq!(p.primary_category(), Some("cs.LG"));
        assert!(p.validate().is_ok());
    }

    #[test]
    fn validation_names_the_field() {
        let mut p = paper(1);
        p.title = " ".into();
        assert_eq!(p.validate(), Err(ValidationError::MissingTitle));
        let mut p = paper(1);
        p.abstract_text = "x".repeat(MAX_ABSTRACT_BYTES + 1);
        assert!(matches!(p.validate(), Err(ValidationError::TooLarge { field: "abstract", .. })));
        let mut p = paper(1);
        p.categories = vec!["cs LG".into()];
        assert!(matches!(p.validate(), Err(ValidationError::BadCategory(_))));
    }

    #[test]
    fn merge_rules() {
        let v1 = paper(1);
        assert_eq!(v1.merge(&v1), MergeOutcome::Unchanged);
        let mut v2 = paper(2);
        v2.title = "New title".into();
        v2.abstract_text = String::new();
        v2.updated = Some(Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap());
        let MergeOutcome::Updated(m) = v1.merge(&v2) else { panic!("expected update") };
        assert_eq!(m.title, "New title");
        assert_eq!(m.abstract_text, "An abstract.", "missing fields are kept");
        assert_eq!(m.version, 2);
        assert_eq!(m.merge(&v2), MergeOutcome::Unchanged);
        assert_eq!(m.merge(&v1), MergeOutcome::Stale);
    }

    #[test]
    fn same_version_sources_converge() {
        let full = paper(1);
        let mut listing = Paper::new(full.id.clone(), "A title (listing)", Source::Listing);
        listing.authors = vec!["A. Lovelace".into()];
        let listing = listing.normalized();
        // Listing first, then the full record: gaps are filled, the listing's title stays.
        let MergeOutcome::Updated(m) = listing.merge(&full) else { panic!("expected update") };
        assert_eq!(m.abstract_text, "An abstract.");
        assert_eq!(m.title, "A title (listing)");
        // Importing both again in any order changes nothing.
        assert_eq!(m.merge(&listing), MergeOutcome::Unchanged);
        assert_eq!(m.merge(&full), MergeOutcome::Unchanged);
    }

    #[test]
    fn a_later_update_without_version_number_is_newer() {
        let mut v3 = paper(3);
        v3.updated = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        let mut oai = paper(1);
        oai.title = "Title from OAI".into();
        oai.updated = Some(Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap());
        let MergeOutcome::Updated(m) = v3.merge(&oai) else { panic!("expected update") };
        assert_eq!((m.title.as_str(), m.version), ("Title from OAI", 3));
        assert_eq!(m.merge(&v3), MergeOutcome::Unchanged);
        assert_eq!(m.merge(&oai), MergeOutcome::Stale);
    }

    #[test]
    fn normalizing_is_idempotent_for_doi_urls() {
        for doi in ["https://doi.org/", "https://doi.org/ x", " doi:10.1/x ", "10.1/x"] {
            let mut p = paper(1);
            p.doi = Some(doi.into());
            let once = p.normalized();
            assert_eq!(once.clone().normalized(), once, "{doi}");
        }
    }

    #[test]
    fn control_characters_are_cleaned() {
        let mut p = paper(1);
        p.title = "Mis\u{85}encoded\u{0}title".into();
        let p = p.normalized();
        assert_eq!(p.title, "Mis encoded title");
        assert!(p.validate().is_ok());
    }

    #[test]
    fn export_json_round_trips() {
        let p = paper(3);
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"abstract\":\"An abstract.\""));
        let back: Paper = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }
}
