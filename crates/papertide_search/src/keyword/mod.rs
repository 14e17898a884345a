//! Keyword search: the BM25 half of papertide's hybrid search, on a tantivy index.
//!
//! - [`KeywordIndex`] ([`index`]): open or create the index (`DATA_DIR/index/keyword` in the
//!   app, or [`KeywordIndex::in_ram`]), search it, look a paper up by id or URL, highlight.
//! - [`KeywordWriter`] ([`writer`]): upsert and delete papers, commit with the store's change
//!   cursor so indexing resumes where it stopped after a restart.
//! - [`KeywordQuery`], [`Filters`], [`KeywordHit`]: what a search takes and returns; hits carry
//!   the caller's integer `key` for the join with the vector index. [`Filters::matches`] applies
//!   the same filters to a paper in hand (vector-search candidates).
//! - [`Highlighter`] / [`Highlighted`] ([`highlight`]): escaped HTML with `<mark>`ed words.
//! - [`Tuning`]: field boosts and the multi-word match mode, to be tuned on CACM.
//!
//! The schema and text analysis are in [`schema`], the lenient query syntax in [`parse`], the
//! shape of the tantivy query in [`query`], two-phase ranking of plain queries in [`rescore`]
//! (phase one by MaxScore, [`maxscore`]), searching segments on several threads in
//! [`parallel`]. Category filters match a category exactly or by its
//! archive: `cs` matches every `cs.*` paper, `cs.LG` only cs.LG (both case-insensitive).

pub mod highlight;
pub mod index;
mod maxscore;
pub mod parallel;
pub mod parse;
pub mod query;
pub mod rescore;
pub mod schema;
pub mod writer;

use chrono::{DateTime, Utc};
use papertide_core::{Paper, PaperId};

pub use highlight::{escape_html, Highlighted, Highlighter};
pub use index::{KeywordIndex, MAX_RESULTS};
pub use writer::{KeywordWriter, MIN_WRITER_HEAP};

/// Boost of title matches.
pub const TITLE_BOOST: f32 = 3.0;
/// Boost of author-name matches.
pub const AUTHORS_BOOST: f32 = 1.5;
/// Boost of abstract matches.
pub const ABSTRACT_BOOST: f32 = 1.0;

/// Ranking knobs. [`Default`] is the tuned configuration; the eval harness varies the fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    /// Multiplies title scores ([`TITLE_BOOST`]).
    pub title_boost: f32,
    /// Multiplies author scores ([`AUTHORS_BOOST`]).
    pub authors_boost: f32,
    /// Multiplies abstract scores ([`ABSTRACT_BOOST`]).
    pub abstract_boost: f32,
    /// Score of a prefix match of the word being typed, before the field boost (BM25 term scores
    /// are typically 2–10).
    pub prefix_score: f32,
    /// Weight of the second scoring of documents that match most words (see
    /// [`query::min_should_match`]); 0 turns it off.
    pub most_terms_boost: f32,
    /// Only documents matching most words match at all (instead of any word).
    pub require_most_terms: bool,
    /// Boost of the title phrase made of all bare words; 0 turns it off.
    pub title_phrase_boost: f32,
    /// How many positions the title phrase's words may be apart.
    pub title_phrase_slop: u32,
    /// Boost of the author-name phrase made of the bare words (2 to 5 of them); 0 turns it off.
    pub author_phrase_boost: f32,
    /// Run plain queries in two phases ([`rescore`]): same scores, much faster on large
    /// indexes. Off: one combined query (for comparison).
    pub two_phase: bool,
    /// Phase one finds its candidates with MaxScore ([`maxscore`]); off: with tantivy's
    /// block-max WAND over the union of the term queries, as before 2026-12-02 (same
    /// candidates, for comparison: `search_bench` with `PT_TUNING=wand`).
    pub maxscore: bool,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            title_boost: TITLE_BOOST,
            authors_boost: AUTHORS_BOOST,
            abstract_boost: ABSTRACT_BOOST,
            prefix_score: 1.0,
            most_terms_boost: 1.0,
            require_most_terms: false,
            title_phrase_boost: 2.0,
            title_phrase_slop: 1,
            author_phrase_boost: 4.0,
            two_phase: true,
            maxscore: true,
        }
    }
}

/// Restrictions on which papers match; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Any of these categories (`cs.LG`), or archives (`cs` matches `cs.*`). Empty: any.
    pub categories: Vec<String>,
    /// Published (version 1) at or after this instant. Papers without a date never match.
    pub since: Option<DateTime<Utc>>,
    /// Published at or before this instant (to the second). Papers without a date never match.
    pub until: Option<DateTime<Utc>>,
    /// Every word of this (`Hinton`, `G. Hinton`) is a word of the paper's author names (whole
    /// words, case- and accent-insensitive; not necessarily of one author). Blank: any.
    pub author: Option<String>,
}

impl Filters {
    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        self == &Filters::default()
    }

    /// True when `paper` passes these filters exactly as the index applies them (for lists that
    /// do not come from the index, such as vector-search candidates): category terms as in
    /// [`schema::category_terms`], dates compared in whole seconds, author words analysed like
    /// the index's author field. Blank category and author filters are no filters.
    pub fn matches(&self, paper: &Paper) -> bool {
        let wanted: Vec<String> = self.categories.iter().filter_map(|c| schema::category_filter_term(c)).collect();
        let categories_ok = wanted.is_empty() || {
            let have = schema::category_terms(&paper.categories);
            wanted.iter().any(|w| have.contains(w))
        };
        let secs = paper.published.map(|p| p.timestamp());
        let since_ok = self.since.is_none_or(|s| secs.is_some_and(|p| p >= s.timestamp()));
        let until_ok = self.until.is_none_or(|u| secs.is_some_and(|p| p <= u.timestamp()));
        let author_ok = self.author.as_ref().is_none_or(|author| {
            let mut analyzers = parse::Analyzers::new();
            let wanted = analyzers.words(author);
            let have: Vec<String> = paper.authors.iter().flat_map(|a| analyzers.words(a)).map(|w| w.plain).collect();
            wanted.iter().all(|w| have.contains(&w.plain))
        });
        categories_ok && since_ok && until_ok && author_ok
    }
}

/// A keyword search: user text (any string: see [`parse`]), filters and a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordQuery {
    /// What the user typed.
    pub text: String,
    /// Restrictions.
    pub filters: Filters,
    /// Most hits to return (at most [`MAX_RESULTS`] minus `offset`).
    pub limit: usize,
    /// Hits to skip (for pages).
    pub offset: usize,
    /// The text may still be being typed: its last word, unless followed by whitespace, also
    /// matches as a prefix (see [`parse::parse_with`]). False for a submitted search.
    pub typing: bool,
    /// For plain queries, how many phase-one candidates get their bonuses added before the
    /// best are kept ([`rescore`]); `None`: [`rescore::depth`] of the page end. Never fewer
    /// than the page end. Hybrid search sets it so the keyword list it fuses is ranked from
    /// the same candidates as a keyword page ([`crate::engine`]).
    pub candidates: Option<usize>,
}

impl KeywordQuery {
    /// The first `limit` hits for `text` as typed, no filters.
    pub fn new(text: impl Into<String>, limit: usize) -> KeywordQuery {
        KeywordQuery {
            text: text.into(),
            filters: Filters::default(),
            limit,
            offset: 0,
            typing: true,
            candidates: None,
        }
    }

    /// The same query with these filters.
    pub fn with_filters(mut self, filters: Filters) -> KeywordQuery {
        self.filters = filters;
        self
    }
}

/// One result, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordHit {
    /// The paper.
    pub id: PaperId,
    /// The store's integer key given to [`KeywordWriter::upsert`].
    pub key: u64,
    /// BM25-based score: higher is better; only comparable within one search.
    pub score: f32,
}
