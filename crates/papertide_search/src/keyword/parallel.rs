//! Top-k by score over several segments at once, with one pruning threshold shared by all.
//!
//! tantivy's `TopDocs` visits segments one after the other, each with its own block-max WAND
//! threshold. On a large index one search is then one core's work, however many the machine
//! has. [`top_docs`] gives each of up to `threads` scoped threads a share of the segments
//! (balanced by document count) and lets every thread prune with the best threshold any of
//! them has reached: a thread's k-th best score is a lower bound of the global k-th best, so
//! a document that cannot beat it cannot enter the global top k either. With the index
//! merged into one segment per thread ([`super::KeywordWriter::merge_into`]), a long query
//! over millions of papers takes about half the time on two cores.
//!
//! The result is exactly what `TopDocs` returns (same documents, same scores, ties to the
//! lower address): a thread prunes with the other threads' threshold lowered by one ulp, so
//! a document tying with it is still collected, and the merge breaks ties by address.
//! Small indexes run on the calling thread alone: callers pass one thread below
//! [`MIN_PARALLEL_DOCS`] ([`threads_for`]), where a thread would cost more than it saves.
//! On one thread the threshold still carries from segment to segment, which `TopDocs` does
//! not do. A one-segment index goes straight to `TopDocs`.
//!
//! [`top_docs_by_terms`] shares the threads and the threshold the same way, but finds each
//! segment's best documents of a flat sum of boosted terms with MaxScore
//! ([`super::maxscore`]) instead of tantivy's block-max WAND: what phase one of a plain
//! query runs ([`super::rescore`]).

use std::cmp::{Ordering, Reverse};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering as AtomicOrdering};

use tantivy::collector::TopDocs;
use tantivy::query::{Bm25Weight, EnableScoring, Query, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, Term};

use super::maxscore;

use crate::vector::topk::{Scored, TopK};

/// Fewest documents in the index for a search to use more than one thread.
pub const MIN_PARALLEL_DOCS: u64 = 200_000;

/// How many threads a search of `searcher` should use when up to `threads` may: one below
/// [`MIN_PARALLEL_DOCS`] documents.
pub fn threads_for(searcher: &Searcher, threads: usize) -> usize {
    if searcher.num_docs() < MIN_PARALLEL_DOCS {
        1
    } else {
        threads
    }
}

/// The best `limit` documents after `offset` for `query`, searching segments on up to
/// `threads` threads (see the module doc). Same result as `TopDocs` ordered by score.
pub fn top_docs(
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
    offset: usize,
    threads: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let segments = searcher.segment_readers();
    if segments.len() < 2 || offset.saturating_add(limit) == 0 {
        let collector = TopDocs::with_limit(limit.max(1)).and_offset(offset).order_by_score();
        let mut top = searcher.search(query, &collector)?;
        top.truncate(limit);
        return Ok(top);
    }
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    across_segments(searcher, limit, offset, threads, &|reader, k, shared| {
        segment_top_k(weight.as_ref(), reader, k, shared)
    })
}

/// The best `limit` documents after `offset` by the sum of the BM25 scores of `terms` (each
/// with its boost), found by MaxScore ([`super::maxscore`]) on up to `threads` threads: the
/// documents and scores (up to float rounding) of [`top_docs`] on the union of the boosted
/// term queries, at a fraction of the cost for long queries.
pub fn top_docs_by_terms(
    searcher: &Searcher,
    terms: &[(Term, Score)],
    limit: usize,
    offset: usize,
    threads: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let mut weights = Vec::with_capacity(terms.len());
    for (term, boost) in terms {
        let weight = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs).specialized_weight(scoring)?;
        let max_score = Bm25Weight::for_terms(searcher, std::slice::from_ref(term))?.boost_by(*boost).max_score();
        weights.push((weight, *boost, max_score));
    }
    across_segments(searcher, limit, offset, threads, &|reader, k, shared| {
        let cursors = weights
            .iter()
            .map(|(weight, boost, max_score)| {
                Ok(maxscore::Cursor { scorer: weight.scorer(reader, *boost)?, max_score: *max_score })
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(maxscore::top_k(cursors, k, reader.alive_bitset(), shared))
    })
}

/// One segment's best `k` documents, pruning with (and raising) a threshold shared by all.
type SegmentSearch<'a> =
    dyn Fn(&SegmentReader, usize, &SharedThreshold) -> tantivy::Result<Vec<(Score, DocId)>> + Sync + 'a;

/// The best `limit` documents after `offset`, each segment's best `offset + limit` found by
/// `segment` on up to `threads` threads sharing one threshold (largest segments first).
fn across_segments(
    searcher: &Searcher,
    limit: usize,
    offset: usize,
    threads: usize,
    segment: &SegmentSearch<'_>,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let segments = searcher.segment_readers();
    let k = offset.saturating_add(limit);
    if segments.is_empty() || k == 0 {
        return Ok(Vec::new());
    }
    let workers = threads.clamp(1, segments.len());
    // Largest segments first, so the shares even out.
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by_key(|&s| Reverse(segments[s].max_doc()));
    let next = AtomicUsize::new(0);
    let shared = SharedThreshold::default();
    let found: Vec<tantivy::Result<Vec<(Score, DocAddress)>>> = std::thread::scope(|scope| {
        let work = || -> tantivy::Result<Vec<(Score, DocAddress)>> {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, AtomicOrdering::Relaxed);
                let Some(&s) = order.get(i) else { return Ok(out) };
                let top = segment(&segments[s], k, &shared)?;
                out.extend(top.into_iter().map(|(score, doc)| (score, DocAddress::new(s as u32, doc))));
            }
        };
        let helpers: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mut all = vec![work()];
        all.extend(helpers.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(panicked()))));
        all
    });
    let mut merged = Vec::new();
    for part in found {
        merged.extend(part?);
    }
    merged.sort_by(best_first);
    Ok(merged.into_iter().skip(offset).take(limit).collect())
}

fn panicked() -> tantivy::TantivyError {
    tantivy::TantivyError::InternalError("a keyword search thread panicked".into())
}

/// The highest k-th best score any thread has seen, as f32 bits (scores are never negative,
/// so their bit patterns order as the numbers do); 0.0 until a thread has k documents.
#[derive(Default)]
pub(crate) struct SharedThreshold(AtomicU32);

impl SharedThreshold {
    pub(crate) fn publish(&self, score: Score) {
        if score > 0.0 {
            self.0.fetch_max(score.to_bits(), AtomicOrdering::Relaxed);
        }
    }

    /// The threshold another thread may prune with: one ulp under the shared k-th best, so
    /// a document that ties with it is still collected (and the merge orders ties).
    pub(crate) fn prune_below(&self) -> Score {
        match self.0.load(AtomicOrdering::Relaxed) {
            0 => Score::MIN,
            bits => Score::from_bits(bits).next_down(),
        }
    }
}

/// The `k` best documents of one segment (alive ones only), pruning with the better of
/// this segment's k-th score and the shared threshold.
fn segment_top_k(
    weight: &dyn Weight,
    reader: &SegmentReader,
    k: usize,
    shared: &SharedThreshold,
) -> tantivy::Result<Vec<(Score, DocId)>> {
    let mut top = TopK::new(k);
    let alive = reader.alive_bitset();
    let mut local = Score::MIN;
    weight.for_each_pruning(shared.prune_below(), reader, &mut |doc, score| {
        if alive.is_none_or(|a| a.is_alive(doc)) {
            // Documents come in doc order, so a tie never displaces a kept (lower) doc.
            top.push(Scored { score, key: u64::from(doc) });
            if let Some(kth) = top.kth_score() {
                local = kth;
                shared.publish(kth);
            }
        }
        local.max(shared.prune_below())
    })?;
    Ok(top.into_sorted().into_iter().map(|(doc, score)| (score, doc as DocId)).collect())
}

/// Best first: higher score, then the lower address (how `TopDocs` breaks ties). The
/// rescored candidates of [`super::rescore`] are ordered the same way.
pub fn best_first(a: &(Score, DocAddress), b: &(Score, DocAddress)) -> Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tantivy::query::{BooleanQuery, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{doc, Index, Term};

    use super::*;

    const WORDS: [&str; 6] = ["graph", "neural", "attention", "kernel", "quantum", "robot"];

    /// An index of `segments` (each a list of documents, each a list of word numbers), one
    /// commit per segment, with every `delete_every`-th document deleted afterwards (0: none).
    fn index_of(segments: &[Vec<Vec<usize>>], delete_every: usize) -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let serial = schema.add_u64_field("serial", tantivy::schema::INDEXED);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let mut n = 0u64;
        for docs in segments {
            for words in docs {
                let body: Vec<&str> = words.iter().map(|&w| WORDS[w % WORDS.len()]).collect();
                writer.add_document(doc!(text => body.join(" "), serial => n)).unwrap();
                n += 1;
            }
            writer.commit().unwrap();
        }
        if delete_every > 0 {
            for i in (0..n).step_by(delete_every) {
                writer.delete_term(Term::from_field_u64(serial, i));
            }
            writer.commit().unwrap();
        }
        (index, text)
    }

    fn union_of(field: tantivy::schema::Field, words: &[usize]) -> BooleanQuery {
        BooleanQuery::union(
            words
                .iter()
                .map(|&w| {
                    let term = Term::from_field_text(field, WORDS[w % WORDS.len()]);
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>
                })
                .collect(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any split into segments, deletions, page and thread count: exactly what TopDocs
        /// gives (documents repeat, so there are many ties at the page boundary).
        #[test]
        fn same_as_top_docs(
            segments in prop::collection::vec(
                prop::collection::vec(prop::collection::vec(0usize..6, 1..5), 1..40), 1..6),
            query in prop::collection::vec(0usize..6, 1..4),
            limit in 1usize..30,
            offset in 0usize..10,
            threads in 1usize..5,
            delete_every in 0usize..4,
        ) {
            let (index, field) = index_of(&segments, delete_every);
            let searcher = index.reader().unwrap().searcher();
            let q = union_of(field, &query);
            let want = searcher
                .search(&q, &TopDocs::with_limit(limit).and_offset(offset).order_by_score())
                .unwrap();
            let got = top_docs(&searcher, &q, limit, offset, threads).unwrap();
            prop_assert_eq!(got, want);
        }

        /// MaxScore over boosted terms: the documents and scores of TopDocs on the union of
        /// the boosted term queries, up to float rounding (the sums add in another order, so
        /// among documents whose scores tie within rounding either may be kept).
        #[test]
        fn by_terms_same_as_top_docs(
            segments in prop::collection::vec(
                prop::collection::vec(prop::collection::vec(0usize..6, 1..6), 1..60), 1..5),
            query in prop::collection::vec((0usize..6, 0usize..3), 1..8),
            limit in 1usize..30,
            offset in 0usize..10,
            threads in 1usize..4,
            delete_every in 0usize..4,
        ) {
            let (index, field) = index_of(&segments, delete_every);
            let searcher = index.reader().unwrap().searcher();
            let boosts = [1.0, 1.5, 3.0];
            let terms: Vec<(Term, Score)> = query
                .iter()
                .map(|&(w, b)| (Term::from_field_text(field, WORDS[w]), boosts[b]))
                .collect();
            let q = BooleanQuery::union(
                terms
                    .iter()
                    .map(|(t, b)| {
                        let q = Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs)) as Box<dyn Query>;
                        Box::new(tantivy::query::BoostQuery::new(q, *b)) as Box<dyn Query>
                    })
                    .collect(),
            );
            let want = searcher
                .search(&q, &TopDocs::with_limit(limit).and_offset(offset).order_by_score())
                .unwrap();
            let got = top_docs_by_terms(&searcher, &terms, limit, offset, threads).unwrap();
            prop_assert_eq!(got.len(), want.len());
            let close = |a: Score, b: Score| (a - b).abs() <= 1e-4 * a.abs().max(1.0);
            for (g, w) in got.iter().zip(&want) {
                prop_assert!(close(g.0, w.0), "{:?} vs {:?}", got, want);
            }
            // A document clearly inside the page (not tying with its edges) is in both.
            let (lo, hi) = match (want.last(), want.first()) {
                (Some(l), Some(h)) => (l.0, h.0),
                _ => (0.0, 0.0),
            };
            let inside = |score: Score| score > lo && !close(score, lo) && (offset == 0 || (score < hi && !close(score, hi)));
            let docs = |hits: &[(Score, DocAddress)]| {
                let mut v: Vec<DocAddress> = hits.iter().filter(|h| inside(h.0)).map(|h| h.1).collect();
                v.sort();
                v
            };
            prop_assert_eq!(docs(&got), docs(&want));
            // Exactly the same on one thread: a document's score never depends on timing.
            prop_assert_eq!(top_docs_by_terms(&searcher, &terms, limit, offset, 1).unwrap(), got);
        }
    }

    #[test]
    fn shared_threshold_only_rises_and_lets_ties_through() {
        let shared = SharedThreshold::default();
        assert_eq!(shared.prune_below(), Score::MIN, "nothing pruned before any thread is full");
        shared.publish(3.0);
        shared.publish(2.0);
        assert!(shared.prune_below() < 3.0 && shared.prune_below() > 2.9999);
    }
}
