//! Builds the tantivy query for a [`ParsedText`] and [`Filters`].
//!
//! Shape (boosts and modes come from [`Tuning`]):
//! - one clause per distinct word: `title:stem^3 OR authors:plain^1.5 OR abstract:stem`, plus for
//!   the word still being typed the same fields' plain words as a prefix (a constant score);
//! - the word clauses are OR-ed (BM25 sums what matches); documents matching most of them get
//!   that score again ([`Tuning::most_terms_boost`], "most" is [`min_should_match`]), or, with
//!   [`Tuning::require_most_terms`], only those documents match;
//! - quoted phrases are required, as phrases over title, abstract and authors;
//! - two or more bare words also form an optional sloppy title phrase (known-item searches)
//!   and, up to [`MAX_NAME_WORDS`], an optional exact author-name phrase (`Yang Liu`);
//! - exclusions are `MustNot`, filters are zero-scoring `Must` clauses.
//!
//! Where to look next: [`super::index`] runs the query; [`super::parse`] makes the input.

use std::ops::Bound;

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Term};

use super::parse::{Analyzers, ParsedText, Word};
use super::schema::{category_filter_term, Fields};
use super::{Filters, Tuning};

type Clause = (Occur, Box<dyn Query>);

/// Longest text (in words) also tried as an author's name.
pub const MAX_NAME_WORDS: usize = 5;

/// How many of `n` word clauses "most" is: all of 1 or 2, all but one of 3 or 4, two thirds
/// (rounded up) of more.
pub fn min_should_match(n: usize) -> usize {
    match n {
        0..=2 => n,
        3..=4 => n - 1,
        _ => (2 * n).div_ceil(3),
    }
}

fn term(field: Field, text: &str, record: IndexRecordOption) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), record))
}

fn boost(query: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    if (by - 1.0).abs() < f32::EPSILON {
        query
    } else {
        Box::new(BoostQuery::new(query, by))
    }
}

fn union(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::union(queries))
}

/// The terms a word is searched as: (field, indexed form, boost) for title, authors and
/// abstract. The single query ([`word_clause`]) and the two-phase one ([`build_two_phase`])
/// both take them from here, so they score alike.
fn word_terms<'w>(f: &Fields, t: &Tuning, w: &'w Word) -> [(Field, &'w str, f32); 3] {
    [
        (f.title, &w.stem, t.title_boost),
        (f.authors, &w.plain, t.authors_boost),
        (f.abstract_text, &w.stem, t.abstract_boost),
    ]
}

/// A word over title, authors and abstract; with `prefix`, also as a prefix of their plain words.
fn word_clause(f: &Fields, t: &Tuning, w: &Word, prefix: bool) -> Box<dyn Query> {
    let freqs = IndexRecordOption::WithFreqs;
    let mut parts: Vec<Box<dyn Query>> =
        word_terms(f, t, w).into_iter().map(|(field, text, by)| boost(term(field, text, freqs), by)).collect();
    if prefix {
        for (field, by) in
            [(f.title_words, t.title_boost), (f.authors, t.authors_boost), (f.abstract_words, t.abstract_boost)]
        {
            let q = FuzzyTermQuery::new_prefix(Term::from_field_text(field, &w.plain), 0, true);
            parts.push(boost(Box::new(q), by * t.prefix_score));
        }
    }
    union(parts)
}

fn phrase(field: Field, words: impl Iterator<Item = String>, slop: u32) -> Box<dyn Query> {
    let terms: Vec<(usize, Term)> = words.enumerate().map(|(i, w)| (i, Term::from_field_text(field, &w))).collect();
    Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop))
}

/// A phrase over title, abstract and authors (a one-word phrase is a plain word clause).
fn phrase_clause(f: &Fields, t: &Tuning, words: &[Word]) -> Box<dyn Query> {
    if let [w] = words {
        return word_clause(f, t, w, false);
    }
    let stems = || words.iter().map(|w| w.stem.clone());
    union(vec![
        boost(phrase(f.title, stems(), 0), t.title_boost),
        boost(phrase(f.authors, words.iter().map(|w| w.plain.clone()), 0), t.authors_boost),
        boost(phrase(f.abstract_text, stems(), 0), t.abstract_boost),
    ])
}

/// The zero-scoring filter clauses.
pub(super) fn filter_clauses(f: &Fields, filters: &Filters, analyzers: &mut Analyzers) -> Vec<Clause> {
    let mut out: Vec<Clause> = Vec::new();
    let mut add = |q: Box<dyn Query>| out.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>));
    let cats: Vec<Box<dyn Query>> = filters
        .categories
        .iter()
        .filter_map(|c| category_filter_term(c))
        .map(|c| term(f.categories, &c, IndexRecordOption::Basic))
        .collect();
    if !cats.is_empty() {
        add(union(cats));
    }
    if filters.since.is_some() || filters.until.is_some() {
        let bound = |d: Option<chrono::DateTime<chrono::Utc>>| match d {
            Some(d) => Bound::Included(Term::from_field_date_for_search(f.published, super::schema::index_date(&d))),
            None => Bound::Unbounded,
        };
        add(Box::new(RangeQuery::new(bound(filters.since), bound(filters.until))));
    }
    if let Some(author) = &filters.author {
        let words = analyzers.words(author);
        if !words.is_empty() {
            add(Box::new(BooleanQuery::intersection(
                words.iter().map(|w| term(f.authors, &w.plain, IndexRecordOption::Basic)).collect(),
            )));
        }
    }
    out
}

/// The optional scoring clauses: the second scoring of documents that match most words, the
/// sloppy title phrase and the author-name phrase.
fn bonuses(f: &Fields, tuning: &Tuning, parsed: &ParsedText, words: &[Box<dyn Query>]) -> Vec<Box<dyn Query>> {
    let mut out = Vec::new();
    let n = words.len();
    if !tuning.require_most_terms && n >= 2 && tuning.most_terms_boost > 0.0 {
        let should: Vec<Clause> = words.iter().map(|q| (Occur::Should, q.box_clone())).collect();
        let most_q = Box::new(BooleanQuery::with_minimum_required_clauses(should, min_should_match(n)));
        out.push(boost(most_q, tuning.most_terms_boost));
    }
    // In the title phrase, a word still being typed is left out: it is probably incomplete.
    let mut seq: Vec<&Word> = parsed.sequence.iter().collect();
    if parsed.prefix.is_some() && seq.len() > 2 {
        seq.pop();
    }
    if seq.len() >= 2 && tuning.title_phrase_boost > 0.0 {
        let q = phrase(f.title, seq.iter().map(|w| w.stem.clone()), tuning.title_phrase_slop);
        out.push(boost(q, tuning.title_phrase_boost));
    }
    if (2..=MAX_NAME_WORDS).contains(&seq.len()) && tuning.author_phrase_boost > 0.0 {
        out.push(boost(phrase(f.authors, seq.iter().map(|w| w.plain.clone()), 0), tuning.author_phrase_boost));
    }
    out
}

/// A query of bare words split in two phases (see [`super::rescore`]): `base` is a flat sum
/// of one boosted term score per word and field, whose best documents MaxScore finds
/// ([`super::parallel::top_docs_by_terms`]); the bonuses are scored afterwards for the base's
/// best documents only. Together they score as [`build`]'s single query (up to float
/// rounding).
pub struct TwoPhase {
    /// The first phase: BM25 over title, authors and abstract, as (term, boost) pairs.
    pub base: Vec<(Term, f32)>,
    /// Phase one by MaxScore ([`Tuning::maxscore`]), else block-max WAND over the union.
    pub maxscore: bool,
    /// Per word, its term queries (one per field): a document matches the word when it
    /// matches any of them.
    pub word_terms: Vec<Vec<Box<dyn Query>>>,
    /// How many words "most" is ([`min_should_match`]).
    pub most: usize,
    /// A document matching `most` words gets its base score again times this (0: never).
    pub most_boost: f32,
    /// Phrase bonuses, added to the score of each candidate that matches them.
    pub bonuses: Vec<Box<dyn Query>>,
}

/// The two-phase form of `parsed`, when it has one: bare words only (no quoted phrase,
/// exclusion, filter or word still being typed) and words not required.
pub fn build_two_phase(parsed: &ParsedText, filters: &Filters, fields: &Fields, tuning: &Tuning) -> Option<TwoPhase> {
    let plain = parsed.phrases.is_empty() && parsed.excluded.is_empty() && parsed.prefix.is_none();
    if !tuning.two_phase
        || !plain
        || parsed.terms.is_empty()
        || *filters != Filters::default()
        || tuning.require_most_terms
    {
        return None;
    }
    let f = fields;
    let mut base: Vec<(Term, f32)> = Vec::with_capacity(3 * parsed.terms.len());
    let mut matching = Vec::with_capacity(parsed.terms.len());
    for w in &parsed.terms {
        let terms = word_terms(f, tuning, w);
        base.extend(terms.iter().map(|&(field, text, by)| (Term::from_field_text(field, text), by)));
        matching.push(terms.iter().map(|&(field, text, _)| term(field, text, IndexRecordOption::Basic)).collect());
    }
    let n = parsed.terms.len();
    let most_boost = if n >= 2 { tuning.most_terms_boost.max(0.0) } else { 0.0 };
    Some(TwoPhase {
        base,
        maxscore: tuning.maxscore,
        word_terms: matching,
        most: min_should_match(n),
        most_boost,
        // No word clauses given: only the phrase bonuses (most words are counted in rescoring).
        bonuses: bonuses(f, tuning, parsed, &[]),
    })
}

/// The query for `parsed` under `filters`; `None` when there is nothing positive to search for.
pub fn build(
    parsed: &ParsedText,
    filters: &Filters,
    fields: &Fields,
    tuning: &Tuning,
    analyzers: &mut Analyzers,
) -> Option<Box<dyn Query>> {
    if parsed.is_empty() {
        return None;
    }
    let f = fields;
    let words: Vec<Box<dyn Query>> = parsed
        .terms
        .iter()
        .map(|w| word_clause(f, tuning, w, parsed.prefix.as_ref().is_some_and(|p| p.stem == w.stem)))
        .collect();
    let n = words.len();
    let mut clauses: Vec<Clause> = Vec::new();
    for p in &parsed.phrases {
        clauses.push((Occur::Must, phrase_clause(f, tuning, p)));
    }
    let extra = bonuses(f, tuning, parsed, &words);
    if tuning.require_most_terms && n > 0 {
        let should = words.into_iter().map(|q| (Occur::Should, q)).collect();
        clauses.push((Occur::Must, Box::new(BooleanQuery::with_minimum_required_clauses(should, min_should_match(n)))));
    } else if n > 0 {
        clauses.push((Occur::Must, union(words)));
    }
    clauses.extend(extra.into_iter().map(|q| (Occur::Should, q)));
    for words in &parsed.excluded {
        let q =
            if words.len() == 1 { word_clause(f, tuning, &words[0], false) } else { phrase_clause(f, tuning, words) };
        clauses.push((Occur::MustNot, q));
    }
    clauses.extend(filter_clauses(f, filters, analyzers));
    Some(Box::new(BooleanQuery::new(clauses)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_terms() {
        let got: Vec<usize> = (0..=10).map(min_should_match).collect();
        assert_eq!(got, [0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7]);
    }
}
