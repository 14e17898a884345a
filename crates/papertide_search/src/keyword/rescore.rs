//! Two-phase keyword ranking for plain queries (see [`super::query::TwoPhase`]).
//!
//! Phase one runs the flat BM25 union with block-max WAND: tantivy skips every block of
//! postings whose best possible score cannot enter the current top `depth`, so a five-word
//! query over a million abstracts touches a small part of its postings. Phase two scores the
//! bonus queries (most words matched, title phrase, author name) for those `depth`
//! candidates only, by seeking each bonus scorer to them segment by segment, and re-sorts.
//!
//! A candidate's final score is exactly what the single combined query gives it. What can
//! differ is which documents are candidates: one outside the base top `depth` whose bonuses
//! would have lifted it into the page is missed. [`depth`] keeps that margin wide (the eval
//! harness shows the same quality figures either way, see docs/SEARCH.md).

use std::collections::BTreeMap;

use tantivy::collector::TopDocs;
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, TERMINATED};

/// Fewest base candidates rescored.
pub const MIN_DEPTH: usize = 200;

/// How many base candidates to rescore for a page ending at `end`: four times the page end,
/// at least [`MIN_DEPTH`].
pub fn depth(end: usize) -> usize {
    end.saturating_mul(4).max(MIN_DEPTH)
}

/// The best `limit` documents after `offset` by base score plus bonuses.
pub fn search(
    searcher: &Searcher,
    base: &dyn Query,
    bonuses: &[Box<dyn Query>],
    limit: usize,
    offset: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let end = offset.saturating_add(limit);
    let mut top = searcher.search(base, &TopDocs::with_limit(depth(end)).order_by_score())?;
    if !bonuses.is_empty() && !top.is_empty() {
        add_bonuses(searcher, bonuses, &mut top)?;
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    }
    Ok(top.into_iter().skip(offset).take(limit).collect())
}

/// Adds to each candidate's score what each bonus query scores it (0 where it does not match).
fn add_bonuses(
    searcher: &Searcher,
    bonuses: &[Box<dyn Query>],
    candidates: &mut [(Score, DocAddress)],
) -> tantivy::Result<()> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let weights = bonuses.iter().map(|q| q.weight(scoring)).collect::<tantivy::Result<Vec<_>>>()?;
    let mut by_segment: BTreeMap<u32, Vec<(DocId, usize)>> = BTreeMap::new();
    for (i, (_, address)) in candidates.iter().enumerate() {
        by_segment.entry(address.segment_ord).or_default().push((address.doc_id, i));
    }
    for (segment, mut docs) in by_segment {
        docs.sort_unstable();
        let reader = searcher.segment_reader(segment);
        for weight in &weights {
            let mut scorer = weight.scorer(reader, 1.0)?;
            for &(doc, i) in &docs {
                if scorer.doc() == TERMINATED {
                    break;
                }
                if scorer.doc() < doc {
                    scorer.seek(doc);
                }
                if scorer.doc() == doc {
                    candidates[i].0 += scorer.score();
                }
            }
        }
    }
    Ok(())
}
