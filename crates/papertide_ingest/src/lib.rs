//! Reading arXiv metadata in every format it comes in, and fetching it from arXiv.
//!
//! - [`input`]: opens files or stdin, undoes gzip/xz, walks tar archives, detects the
//!   [`Format`] of each stream, and counts bytes for progress bars.
//! - One module per format, each with a `parse(reader, origin, emit)` function that streams
//!   [`Item`]s (a [`Paper`] or a [`RecordError`] naming the record and the reason):
//!   [`atom`] (arXiv API, 2016 and 2026 flavours), [`oai`] (OAI-PMH `arXiv` and `arXivRaw`),
//!   [`kaggle`] (the Kaggle snapshot), [`abs`] (`.abs` files), [`listing`] (daily and
//!   monthly listing files), [`daily`] (daily-listing JSON Lines) and [`export`]
//!   (papertide's own JSON Lines, which `papertide export` writes).
//! - [`harvest`]: the live OAI-PMH and arXiv API clients (rate limited, retrying, resumable).
//!
//! Parsers never panic on bad input and never stop at a bad record: they report it and go on.
//! Writing to the store is the caller's job (see the `papertide` binary's `import` command).

pub mod abs;
pub(crate) mod abs_header;
pub mod atom;
pub mod authors;
pub mod daily;
pub mod dates;
pub mod export;
pub mod harvest;
pub mod input;
pub mod kaggle;
pub mod listing;
pub mod oai;
mod xml;

use std::fmt;

pub use papertide_core::Paper;

/// Where a record sits in the input: which file (and archive member) and which line or
/// record number. Printed as `file:line` or `file#record`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name, with `archive.tar.gz:member/path` for archive members, `-` for stdin.
    pub origin: String,
    /// 1-based line number, where the format is line oriented.
    pub line: Option<u64>,
    /// 1-based record number within the stream, where lines mean little (XML).
    pub record: Option<u64>,
}

impl Location {
    /// A location at a line.
    pub fn line(origin: &str, line: u64) -> Location {
        Location { origin: origin.to_string(), line: Some(line), record: None }
    }

    /// A location at a record number.
    pub fn record(origin: &str, record: u64) -> Location {
        Location { origin: origin.to_string(), line: None, record: Some(record) }
    }

    /// The stream as a whole.
    pub fn stream(origin: &str) -> Location {
        Location { origin: origin.to_string(), line: None, record: None }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(record) = self.record {
            write!(f, " (record {record})")?;
        }
        Ok(())
    }
}

/// A record that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// Where it is.
    pub location: Location,
    /// The record's id when it could be read.
    pub id: Option<String>,
    /// Why it was rejected, e.g. `missing title` or `invalid arXiv id "12345"`.
    pub reason: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{}: {}: {}", self.location, id, self.reason),
            None => write!(f, "{}: {}", self.location, self.reason),
        }
    }
}

/// One thing a parser found: a paper, or a rejected record.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A valid, normalized paper.
    Paper(Box<Paper>),
    /// A record that could not be imported, or an error response in place of records.
    Rejected(RecordError),
}

/// Errors that stop reading a stream altogether.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The input could not be read.
    #[error("reading {origin}: {source}")]
    Io {
        /// The file.
        origin: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The format could not be recognised and none was given.
    #[error("{0}: cannot tell the format of this input; pass --format")]
    UnknownFormat(String),
    /// The consumer asked to stop (for example `--strict` after a rejected record, or Ctrl-C).
    #[error("stopped")]
    Stopped,
}

/// The function parsers hand their items to. Returning `Err(IngestError::Stopped)` stops the
/// parser at once.
pub type Emit<'a> = &'a mut dyn FnMut(Item) -> Result<(), IngestError>;

/// Validates a parsed paper and emits it, or emits the validation failure at `location`.
pub fn emit_paper(paper: Paper, location: impl FnOnce() -> Location, emit: Emit<'_>) -> Result<(), IngestError> {
    let paper = paper.normalized();
    match paper.validate() {
        Ok(()) => emit(Item::Paper(Box::new(paper))),
        Err(e) => emit(Item::Rejected(RecordError {
            location: location(),
            id: Some(paper.id.to_string()),
            reason: e.to_string(),
        })),
    }
}

/// Emits a rejection.
pub fn reject(
    location: Location,
    id: Option<String>,
    reason: impl Into<String>,
    emit: Emit<'_>,
) -> Result<(), IngestError> {
    emit(Item::Rejected(RecordError { location, id, reason: reason.into() }))
}

/// The input formats `papertide import` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// arXiv API Atom feed.
    Atom,
    /// OAI-PMH response (`arXiv` or `arXivRaw` metadata).
    Oai,
    /// Kaggle `arxiv-metadata-oai-snapshot` JSON Lines.
    Kaggle,
    /// arXiv `.abs` file.
    Abs,
    /// arXiv daily (`new.*`, `pastweek.*`) or monthly (`YYMM`) listing file.
    Listing,
    /// Daily-listing JSON Lines (`{id, title, authors[], categories[], abstract, listing_date}`).
    Daily,
    /// papertide's own JSON Lines export.
    Export,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 7] =
        [Format::Atom, Format::Oai, Format::Kaggle, Format::Abs, Format::Listing, Format::Daily, Format::Export];

    /// The name used by `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Oai => "oai",
            Format::Kaggle => "kaggle",
            Format::Abs => "abs",
            Format::Listing => "listing",
            Format::Daily => "daily",
            Format::Export => "export",
        }
    }

    /// Parses a `--format` name.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Runs this format's parser over a stream.
    pub fn parse(self, reader: &mut dyn std::io::BufRead, origin: &str, emit: Emit<'_>) -> Result<(), IngestError> {
        match self {
            Format::Atom => atom::parse(reader, origin, emit),
            Format::Oai => oai::parse(reader, origin, emit),
            Format::Kaggle => kaggle::parse(reader, origin, emit),
            Format::Abs => abs::parse(reader, origin, emit),
            Format::Listing => listing::parse(reader, origin, emit),
            Format::Daily => daily::parse(reader, origin, emit),
            Format::Export => export::parse(reader, origin, emit),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Maps an I/O error at `origin` to [`IngestError::Io`].
pub(crate) fn io_err(origin: &str) -> impl FnOnce(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io { origin: origin.to_string(), source }
}
