//! Two-phase keyword ranking for plain queries (see [`super::query::TwoPhase`]).
//!
//! Phase one finds the best `depth` documents of the flat BM25 sum with MaxScore
//! ([`super::maxscore`]): the postings of words that cannot lift a document into the current
//! top `depth` on their own are only sought into, so a five-word query over a million
//! abstracts touches a small part of its postings. Phase two scores the
//! bonus queries (most words matched, title phrase, author name) for those `depth`
//! candidates only, by seeking each bonus scorer to them segment by segment, and re-sorts.
//!
//! A candidate's final score is exactly what the single combined query gives it. What can
//! differ is which documents are candidates: one outside the base top `depth` whose bonuses
//! would have lifted it into the page is missed. [`depth`] keeps that margin wide (the eval
//! harness shows the same quality figures either way, see docs/SEARCH.md).

use std::collections::BTreeMap;

use tantivy::query::{BooleanQuery, BoostQuery, EnableScoring, Query, Scorer, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, Searcher, TERMINATED};

use super::parallel;
use super::query::TwoPhase;

/// Fewest base candidates rescored.
pub const MIN_DEPTH: usize = 200;

/// How many base candidates to rescore for a page ending at `end`: four times the page end,
/// at least [`MIN_DEPTH`].
pub fn depth(end: usize) -> usize {
    end.saturating_mul(4).max(MIN_DEPTH)
}

/// The best `limit` documents after `offset` by base score plus bonuses, among the best
/// `depth` by base score ([`depth`] of the page end is the usual margin; never fewer than the
/// page end); phase one searches the segments on up to `threads` threads ([`super::parallel`]).
pub fn search(
    searcher: &Searcher,
    two: &TwoPhase,
    limit: usize,
    offset: usize,
    depth: usize,
    threads: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let end = offset.saturating_add(limit);
    let depth = depth.max(end);
    let mut top = if two.maxscore {
        parallel::top_docs_by_terms(searcher, &two.base, depth, 0, threads)?
    } else {
        let union = BooleanQuery::union(
            two.base
                .iter()
                .map(|(term, boost)| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs));
                    Box::new(BoostQuery::new(q, *boost)) as Box<dyn Query>
                })
                .collect(),
        );
        parallel::top_docs(searcher, &union, depth, 0, threads)?
    };
    if !top.is_empty() && (two.most_boost > 0.0 || !two.bonuses.is_empty()) {
        add_bonuses(searcher, two, &mut top)?;
        top.sort_by(parallel::best_first);
    }
    Ok(top.into_iter().skip(offset).take(limit).collect())
}

/// Adds the bonuses to each candidate's base score. Every scorer used here is a term or
/// phrase scorer, whose `seek` skips through the postings (a `minimum_should_match` scorer
/// would walk them doc by doc, which is why "most words" is counted here instead).
fn add_bonuses(searcher: &Searcher, two: &TwoPhase, candidates: &mut [(Score, DocAddress)]) -> tantivy::Result<()> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let weights = two.bonuses.iter().map(|q| q.weight(scoring)).collect::<tantivy::Result<Vec<_>>>()?;
    let matching = EnableScoring::disabled_from_searcher(searcher);
    let word_weights = two
        .word_terms
        .iter()
        .map(|terms| terms.iter().map(|q| q.weight(matching)).collect::<tantivy::Result<Vec<_>>>())
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut by_segment: BTreeMap<u32, Vec<(DocId, usize)>> = BTreeMap::new();
    for (i, (_, address)) in candidates.iter().enumerate() {
        by_segment.entry(address.segment_ord).or_default().push((address.doc_id, i));
    }
    let mut words_matched = vec![0usize; candidates.len()];
    for (segment, mut docs) in by_segment {
        docs.sort_unstable();
        let reader = searcher.segment_reader(segment);
        if two.most_boost > 0.0 {
            for terms in &word_weights {
                let mut seen = vec![false; docs.len()];
                for weight in terms {
                    let mut scorer = weight.scorer(reader, 1.0)?;
                    for_each_match(scorer.as_mut(), &docs, |j, _| seen[j] = true);
                }
                for (j, &(_, i)) in docs.iter().enumerate() {
                    words_matched[i] += usize::from(seen[j]);
                }
            }
        }
        for weight in &weights {
            let mut scorer = weight.scorer(reader, 1.0)?;
            let mut extra = vec![0.0; docs.len()];
            for_each_match(scorer.as_mut(), &docs, |j, score| extra[j] = score);
            for (j, &(_, i)) in docs.iter().enumerate() {
                candidates[i].0 += extra[j];
            }
        }
    }
    if two.most_boost > 0.0 {
        for (candidate, matched) in candidates.iter_mut().zip(words_matched) {
            if matched >= two.most {
                // The base score is the sum of the words' scores, which is what the
                // single-query form scores the most-words clause.
                candidate.0 += two.most_boost * candidate.0;
            }
        }
    }
    Ok(())
}

/// Calls `found(j, score)` for each of the sorted `docs` (`(doc, _)` pairs) that `scorer`
/// matches, seeking forward only.
fn for_each_match(scorer: &mut dyn Scorer, docs: &[(DocId, usize)], mut found: impl FnMut(usize, Score)) {
    for (j, &(doc, _)) in docs.iter().enumerate() {
        if scorer.doc() == TERMINATED {
            break;
        }
        if scorer.doc() < doc {
            scorer.seek(doc);
        }
        if scorer.doc() == doc {
            found(j, scorer.score());
        }
    }
}
