//! The keyword index's schema and text analysis: field names, the [`Fields`] handles, the two
//! analyzers (English-stemmed and plain), and how ids and categories become terms.
//!
//! Every place that turns text into terms (indexing in [`super::writer`], query building in
//! [`super::query`], highlighting in [`super::highlight`]) goes through the functions here, so
//! the three always agree. Where to look next: [`super::writer`] for what goes into a document.
//!
//! Analysis: `SimpleTokenizer` (splits on anything not alphanumeric, so LaTeX such as
//! `$\epsilon$-greedy` yields `epsilon`, `greedy`) → drop tokens over 40 bytes → lowercase →
//! ASCII-fold accents (`Schrödinger` → `schrodinger`) → English Porter2 stemmer for
//! [`STEMMED`] only. No stop words are removed at index time (phrases keep them).

use papertide_core::PaperId;
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
    FAST, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
    TokenizerManager,
};

/// Name of the English-stemmed analyzer (title, abstract).
pub const STEMMED: &str = "papertide_en_stem";
/// Name of the plain analyzer: same as [`STEMMED`] without stemming (authors, prefix fields).
pub const PLAIN: &str = "papertide_plain";
/// Tokens longer than this many bytes are dropped (base64 blobs, URLs glued together).
pub const MAX_TOKEN_BYTES: usize = 40;

/// Field names, as they appear in the tantivy schema.
pub mod names {
    /// The paper id as stored (`2401.01234`, `doi:10.1145/X`): raw string, stored, fast.
    pub const ID: &str = "id";
    /// The id lowercased, for case-insensitive lookup.
    pub const ID_NORM: &str = "id_norm";
    /// Title, stemmed, with positions, stored.
    pub const TITLE: &str = "title";
    /// Title, plain tokens, doc ids only: the target of prefix queries.
    pub const TITLE_WORDS: &str = "title_words";
    /// Abstract, stemmed, with positions, stored.
    pub const ABSTRACT: &str = "abstract";
    /// Abstract, plain tokens, doc ids only: the target of prefix queries.
    pub const ABSTRACT_WORDS: &str = "abstract_words";
    /// Authors, one value per author, plain tokens with positions, stored.
    pub const AUTHORS: &str = "authors";
    /// Categories lowercased, plus each category's archive (`cs.lg` and `cs`): raw, fast.
    pub const CATEGORIES: &str = "categories";
    /// Date of version 1 (seconds), indexed and fast, for range filters.
    pub const PUBLISHED: &str = "published";
    /// The store's integer key of the paper (fast u64), for joins with the vector index.
    pub const KEY: &str = "key";
}

/// Handles of every field of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// See [`names::ID`].
    pub id: Field,
    /// See [`names::ID_NORM`].
    pub id_norm: Field,
    /// See [`names::TITLE`].
    pub title: Field,
    /// See [`names::TITLE_WORDS`].
    pub title_words: Field,
    /// See [`names::ABSTRACT`].
    pub abstract_text: Field,
    /// See [`names::ABSTRACT_WORDS`].
    pub abstract_words: Field,
    /// See [`names::AUTHORS`].
    pub authors: Field,
    /// See [`names::CATEGORIES`].
    pub categories: Field,
    /// See [`names::PUBLISHED`].
    pub published: Field,
    /// See [`names::KEY`].
    pub key: Field,
}

fn text(analyzer: &str, record: IndexRecordOption, stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(record);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored {
        options.set_stored()
    } else {
        options
    }
}

/// Seconds within tantivy's date range (nanoseconds in an `i64`: years 1678 to 2261).
pub const DATE_LIMIT_SECS: i64 = 9_000_000_000;

/// `d` as an index date, clamped into the range tantivy can store (a year 0 or 9999 in the
/// data, or typed as a filter, must not overflow).
pub fn index_date(d: &chrono::DateTime<chrono::Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_secs(d.timestamp().clamp(-DATE_LIMIT_SECS, DATE_LIMIT_SECS))
}

/// Builds the schema and returns it with its field handles.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let positions = IndexRecordOption::WithFreqsAndPositions;
    let fields = Fields {
        id: b.add_text_field(names::ID, STRING | STORED | FAST),
        id_norm: b.add_text_field(names::ID_NORM, STRING),
        title: b.add_text_field(names::TITLE, text(STEMMED, positions, true)),
        title_words: b.add_text_field(names::TITLE_WORDS, text(PLAIN, IndexRecordOption::Basic, false)),
        abstract_text: b.add_text_field(names::ABSTRACT, text(STEMMED, positions, true)),
        abstract_words: b.add_text_field(names::ABSTRACT_WORDS, text(PLAIN, IndexRecordOption::Basic, false)),
        authors: b.add_text_field(names::AUTHORS, text(PLAIN, positions, true)),
        categories: b.add_text_field(names::CATEGORIES, STRING | FAST),
        published: b.add_date_field(
            names::PUBLISHED,
            DateOptions::default().set_indexed().set_fast().set_precision(DateTimePrecision::Seconds),
        ),
        key: b.add_u64_field(names::KEY, NumericOptions::default().set_fast()),
    };
    (b.build(), fields)
}

/// The stemmed analyzer (see the module doc).
pub fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The plain analyzer: [`stemmed_analyzer`] without the stemmer.
pub fn plain_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers both analyzers under [`STEMMED`] and [`PLAIN`] (needed on every open: tantivy
/// does not persist custom tokenizers).
pub fn register_analyzers(manager: &TokenizerManager) {
    manager.register(STEMMED, stemmed_analyzer());
    manager.register(PLAIN, plain_analyzer());
}

/// One token of analysed text: its normalised form and its byte range in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    /// Lowercased, ASCII-folded, and stemmed when the analyzer stems.
    pub text: String,
    /// Byte offset of the first byte in the input.
    pub from: usize,
    /// Byte offset one past the last byte in the input.
    pub to: usize,
}

/// Runs an analyzer over `text` and collects its tokens.
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(Tok { text: t.text.clone(), from: t.offset_from, to: t.offset_to });
    }
    out
}

/// Stems one plain token (the output of [`plain_analyzer`]) with the English stemmer.
pub fn stem(stemmer: &mut TextAnalyzer, plain_token: &str) -> String {
    let mut stream = stemmer.token_stream(plain_token);
    if stream.advance() {
        stream.token().text.clone()
    } else {
        plain_token.to_string()
    }
}

/// The lookup form of an id: lowercased (DOIs and old-style arXiv classes are case-insensitive).
pub fn normalized_id(id: &PaperId) -> String {
    id.as_str().to_lowercase()
}

/// The category terms of a paper: each category lowercased and, when it has a subject class,
/// its archive too (`cs.LG` → `cs.lg`, `cs`; `hep-th` → `hep-th`), without duplicates.
pub fn category_terms(categories: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(categories.len() * 2);
    for c in categories {
        let c = c.trim().to_lowercase();
        if c.is_empty() {
            continue;
        }
        let archive = c.split_once('.').map(|(a, _)| a.to_string());
        for term in std::iter::once(c).chain(archive) {
            if !term.is_empty() && !out.contains(&term) {
                out.push(term);
            }
        }
    }
    out
}

/// The term a category filter looks for: the filter lowercased and trimmed, so `cs` matches
/// every `cs.*` paper and `cs.LG` only `cs.LG` papers. Empty filters give `None`.
pub fn category_filter_term(filter: &str) -> Option<String> {
    let c = filter.trim().trim_end_matches(".*").trim_end_matches('.').to_lowercase();
    (!c.is_empty()).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyzers_fold_case_accents_and_latex() {
        let toks = analyze(&mut plain_analyzer(), r"Schrödinger's $\epsilon$-Greedy <b>");
        let words: Vec<&str> = toks.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["schrodinger", "s", "epsilon", "greedy", "b"]);
        let stems = analyze(&mut stemmed_analyzer(), "Transformers attention");
        let words: Vec<&str> = stems.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["transform", "attent"]);
        assert_eq!(stem(&mut stemmed_analyzer(), "transformers"), "transform");
        let long = "x".repeat(MAX_TOKEN_BYTES + 1);
        assert!(analyze(&mut plain_analyzer(), &long).is_empty());
    }

    #[test]
    fn offsets_point_into_the_input() {
        let input = "Über $\\alpha$";
        for t in analyze(&mut stemmed_analyzer(), input) {
            assert!(input.is_char_boundary(t.from) && input.is_char_boundary(t.to));
        }
    }

    #[test]
    fn categories_add_their_archive() {
        let cats = vec!["cs.LG".to_string(), "cs.AI".into(), "hep-th".into(), "cs.LG".into()];
        assert_eq!(category_terms(&cats), ["cs.lg", "cs", "cs.ai", "hep-th"]);
        assert_eq!(category_filter_term(" CS.* ").as_deref(), Some("cs"));
        assert_eq!(category_filter_term("cs.LG").as_deref(), Some("cs.lg"));
        assert_eq!(category_filter_term("  "), None);
    }
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn dates_outside_tantivys_range_are_clamped_not_overflowed() {
        let far: chrono::DateTime<chrono::Utc> = "9999-12-31T00:00:00Z".parse().unwrap();
        let early: chrono::DateTime<chrono::Utc> = "0001-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(index_date(&far).into_timestamp_secs(), DATE_LIMIT_SECS);
        assert_eq!(index_date(&early).into_timestamp_secs(), -DATE_LIMIT_SECS);
        let now: chrono::DateTime<chrono::Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
        assert_eq!(index_date(&now).into_timestamp_secs(), now.timestamp());
    }
}
