//! Top-k of a sum of BM25 term scores by MaxScore (Turtle & Flood 1995), for the long flat
//! unions of phase one ([`super::rescore`]).
//!
//! tantivy runs such a union with block-max WAND, which re-sorts and walks its term cursors
//! to find a pivot for every document it considers: with the 18 to 24 cursors of a six- to
//! eight-word title (three fields per word), that bookkeeping was 44% of a keyword search's
//! CPU at 2.7M papers (perf, docs/SCALE.md). MaxScore keeps the cursors in a fixed order,
//! by their largest possible score. The lowest ones, whose bounds summed cannot beat the
//! current k-th best score, are *non-essential*: a document is only a candidate when an
//! essential cursor (the rest) is on it, and the non-essential ones are then probed by
//! `seek`, best first, stopping as soon as the bound left cannot lift the document into the
//! top k. As the k-th best rises, more cursors become non-essential; for a long query the
//! common words' long postings end up only sought into, never walked.
//!
//! Same documents and scores as the union ([`super::parallel::top_docs`] on the boosted
//! term queries), up to float rounding: the sum adds the same terms in another order, always
//! the same one (by bound), so a search repeats itself exactly whatever the threads' timing.
//! Ties go to the lower document, as in `TopDocs`. Tested against `TopDocs` in
//! [`super::parallel`].

use tantivy::fastfield::AliveBitSet;
use tantivy::query::Scorer;
use tantivy::{DocId, Score, TERMINATED};

use super::parallel::SharedThreshold;
use crate::vector::topk::{Scored, TopK};

/// How much a bound is widened so that float rounding (the terms summed in another order
/// than the bound) can never prune a document that belongs in the top k.
const BOUND_SLACK: Score = 1.0 + 1e-5;

/// One term's postings in a segment: its scorer and the most it can score.
pub(crate) struct Cursor {
    /// The term's scorer in the segment (BM25, boost included).
    pub scorer: Box<dyn Scorer>,
    /// An upper bound of every score `scorer` gives.
    pub max_score: Score,
}

/// The `k` best documents of one segment (alive ones only) by the sum of the `cursors`'
/// scores, pruning with the better of this segment's k-th score and the `shared` threshold,
/// which it raises in turn. Best first; ties to the lower document.
pub(crate) fn top_k(
    cursors: Vec<Cursor>,
    k: usize,
    alive: Option<&AliveBitSet>,
    shared: &SharedThreshold,
) -> Vec<(Score, DocId)> {
    let mut cursors: Vec<Cursor> = cursors.into_iter().filter(|c| c.scorer.doc() != TERMINATED).collect();
    if k == 0 || cursors.is_empty() {
        return Vec::new();
    }
    // Lowest bound first; `bound[i]` is the most cursors 0..=i can add together.
    cursors.sort_by(|a, b| a.max_score.total_cmp(&b.max_score));
    let bound: Vec<Score> = cursors
        .iter()
        .scan(0.0, |sum: &mut Score, c| {
            *sum += c.max_score;
            Some(*sum * BOUND_SLACK)
        })
        .collect();
    let max: Vec<Score> = cursors.iter().map(|c| c.max_score * BOUND_SLACK).collect();
    let mut cursors: Vec<Box<dyn Scorer>> = cursors.into_iter().map(|c| c.scorer).collect();
    // Each cursor's current document, kept here so the loops below make no virtual calls.
    let mut docs: Vec<DocId> = cursors.iter().map(|c| c.doc()).collect();
    let n = cursors.len();
    let mut top = TopK::new(k);
    let mut local = Score::MIN;
    let mut threshold = shared.prune_below();
    // Cursors below `essential` cannot beat the threshold on their own.
    let mut essential = bound.partition_point(|&b| b <= threshold);
    // The essential cursors on the current document.
    let mut on_doc: Vec<usize> = Vec::with_capacity(n);
    // The (cursor, score) pairs of the document being scored.
    let mut matched: Vec<(usize, Score)> = Vec::with_capacity(n);
    while essential < n {
        let doc = docs[essential..].iter().copied().min().unwrap_or(TERMINATED);
        if doc == TERMINATED {
            break;
        }
        on_doc.clear();
        let mut most = if essential > 0 { bound[essential - 1] } else { 0.0 };
        for i in essential..n {
            if docs[i] == doc {
                on_doc.push(i);
                most += max[i];
            }
        }
        // Scored only if the terms it has could lift it above the threshold.
        let mut complete = most > threshold;
        let mut score: Score = 0.0;
        if complete {
            matched.clear();
            for &i in &on_doc {
                let s = cursors[i].score();
                matched.push((i, s));
                score += s;
            }
            for i in (0..essential).rev() {
                if score + bound[i] <= threshold {
                    complete = false;
                    break;
                }
                if docs[i] < doc {
                    docs[i] = cursors[i].seek(doc);
                }
                if docs[i] == doc {
                    let s = cursors[i].score();
                    matched.push((i, s));
                    score += s;
                }
            }
            if complete {
                // The final sum in cursor order, whichever were essential at the time, so
                // a document's score does not depend on how far the threshold had risen
                // (which varies with the threads' timing).
                matched.sort_unstable_by_key(|m| m.0);
                score = matched.iter().map(|m| m.1).sum();
            }
        }
        for &i in &on_doc {
            docs[i] = cursors[i].advance();
        }
        if complete && score > threshold && alive.is_none_or(|a| a.is_alive(doc)) {
            // Documents come in doc order, so a tie never displaces a kept (lower) one.
            top.push(Scored { score, key: u64::from(doc) });
            if let Some(kth) = top.kth_score() {
                local = kth;
                shared.publish(kth);
            }
        }
        threshold = local.max(shared.prune_below());
        while essential < n && bound[essential] <= threshold {
            essential += 1;
        }
    }
    top.into_sorted().into_iter().map(|(doc, score)| (score, doc as DocId)).collect()
}
