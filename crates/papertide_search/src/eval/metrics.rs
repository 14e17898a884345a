//! Ranking metrics: [`average_precision`], [`ndcg_at`], [`recall_at`], [`precision_at`] and
//! [`mean`], all over a ranking of [`PaperId`]s and a map of graded judgements.
//!
//! Shared conventions:
//! - A paper is *relevant* when its grade is above 0. Papers without a judgement count as
//!   grade 0 (the official CSFCube script raises a `KeyError` on them instead; the runners in
//!   [`super`] never rank such papers).
//! - A paper repeated in a ranking counts only where it first appears; later copies score 0.
//!
//! [`ndcg_at`] replicates `ndcg_at_k(r, k)` of CSFCube's `eval_scripts/rank_metrics.py`
//! (called as `rm.ndcg_at_k(graded_judgements, 20)` by `ranking_eval.py`); see its docs.
//! The runners that apply these metrics to a benchmark are in [`super`] (`eval/mod.rs`).

use std::collections::{HashMap, HashSet};

use papertide_core::PaperId;

/// The grade of each ranked paper, in rank order; repeats of an earlier paper get 0.
fn gains(ranking: &[PaperId], judgements: &HashMap<PaperId, u32>) -> Vec<u32> {
    let mut seen = HashSet::with_capacity(ranking.len());
    ranking.iter().map(|id| if seen.insert(id) { judgements.get(id).copied().unwrap_or(0) } else { 0 }).collect()
}

/// How many judged papers are relevant (grade > 0).
fn relevant_count(judgements: &HashMap<PaperId, u32>) -> usize {
    judgements.values().filter(|&&g| g > 0).count()
}

/// Average precision with binary relevance (grade > 0), over the whole ranking.
///
/// The sum of precision@i over the ranks i that hold a relevant paper, divided by the number
/// of relevant papers in `relevant` (retrieved or not), as `trec_eval`'s `map` does. 0 when
/// nothing is relevant. (CSFCube's `rank_metrics.average_precision` divides by the relevant
/// papers *retrieved* instead; the two agree when the ranking holds every relevant paper.)
pub fn average_precision(ranking: &[PaperId], relevant: &HashMap<PaperId, u32>) -> f64 {
    let total = relevant_count(relevant);
    if total == 0 {
        return 0.0;
    }
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (i, g) in gains(ranking, relevant).into_iter().enumerate() {
        if g > 0 {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    sum / total as f64
}

/// The discount of 1-based rank `rank`: `rank_metrics.dcg_at_k(method=0)` weights
/// `[1.0, 1.0, 0.6309, 0.5, 0.4307, …]`, i.e. 1 for rank 1 and `1 / log2(rank)` after.
fn discount(rank: usize) -> f64 {
    if rank <= 1 {
        1.0
    } else {
        1.0 / (rank as f64).log2()
    }
}

/// DCG of grades in rank order, cut at `k`, with linear gains and [`discount`].
fn dcg(grades: impl Iterator<Item = u32>, k: usize) -> f64 {
    grades.take(k).enumerate().map(|(i, g)| f64::from(g) * discount(i + 1)).sum()
}

/// Normalised discounted cumulative gain at `k`, exactly as CSFCube's `rank_metrics.py`.
///
/// - **Gain** is the grade itself (linear: 0, 1, 2, 3), not `2^grade - 1`.
/// - **Discount** is `dcg_at_k`'s default `method=0`: rank 1 weighs 1, rank `i >= 2` weighs
///   `1 / log2(i)` (so ranks 1 and 2 both weigh 1; `trec_eval` uses `1 / log2(i + 1)`).
/// - **Unjudged papers** gain 0 (the official script fails on them).
/// - **Ideal DCG** is the DCG at `k` of *all* grades in `judgements`, sorted descending.
///   `rank_metrics.ndcg_at_k` sorts the grades of the ranked list itself; that is the same
///   thing when the ranking is a permutation of the judged pool, which is what the official
///   eval scores and what [`super::run_facets`] guarantees (it completes every ranking to
///   its pool and restricts the judgements to the pool).
/// - 0 when the ideal DCG is 0 (nothing relevant) or `k` is 0.
///
/// For CACM nDCG@10, [`super::run_keyword`] calls this with binary grades (0 or 1).
pub fn ndcg_at(ranking: &[PaperId], judgements: &HashMap<PaperId, u32>, k: usize) -> f64 {
    let mut ideal: Vec<u32> = judgements.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let ideal = dcg(ideal.into_iter(), k);
    if ideal <= 0.0 {
        return 0.0;
    }
    dcg(gains(ranking, judgements).into_iter(), k) / ideal
}

/// Share of the relevant papers (grade > 0) found in the top `k`; 0 when none is relevant.
pub fn recall_at(ranking: &[PaperId], judgements: &HashMap<PaperId, u32>, k: usize) -> f64 {
    let total = relevant_count(judgements);
    if total == 0 {
        return 0.0;
    }
    let found = gains(ranking, judgements).into_iter().take(k).filter(|&g| g > 0).count();
    found as f64 / total as f64
}

/// Share of the top `k` that is relevant (grade > 0). A ranking shorter than `k` counts its
/// missing ranks as not relevant; 0 when `k` is 0.
pub fn precision_at(ranking: &[PaperId], judgements: &HashMap<PaperId, u32>, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let found = gains(ranking, judgements).into_iter().take(k).filter(|&g| g > 0).count();
    found as f64 / k as f64
}

/// The arithmetic mean; 0 for no values.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// The judgements with every grade above 0 turned into 1 (binary relevance).
pub fn binary(judgements: &HashMap<PaperId, u32>) -> HashMap<PaperId, u32> {
    judgements.iter().map(|(id, &g)| (id.clone(), u32::from(g > 0))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Papers `p:0`, `p:1`, … ranked in order, judged with `grades`.
    fn ranked(grades: &[u32]) -> (Vec<PaperId>, HashMap<PaperId, u32>) {
        let ids: Vec<PaperId> = (0..grades.len()).map(|i| format!("p:{i}").parse().unwrap()).collect();
        let judged = ids.iter().cloned().zip(grades.iter().copied()).collect();
        (ids, judged)
    }

    #[test]
    fn ndcg_matches_rank_metrics_doctests() {
        // rank_metrics.ndcg_at_k doctests (method=0).
        let (r, j) = ranked(&[2, 1, 2, 0]);
        assert!((ndcg_at(&r, &j, 4) - 0.9203032077642922).abs() < 1e-12);
        let (r, j) = ranked(&[3, 2, 3, 0, 0, 1, 2, 2, 3, 0]);
        assert_eq!(ndcg_at(&r, &j, 1), 1.0);
        let (r, j) = ranked(&[0]);
        assert_eq!(ndcg_at(&r, &j, 1), 0.0);
        // dcg_at_k([3, 2, 3, 0, 0, 1, 2, 2, 3, 0], 10) == 9.6051177391888114 (method=0).
        assert!((dcg([3, 2, 3, 0, 0, 1, 2, 2, 3, 0].into_iter(), 10) - 9.605117739188811).abs() < 1e-12);
    }

    #[test]
    fn ideal_comes_from_all_judgements() {
        let (r, mut j) = ranked(&[1, 0]);
        let perfect = ndcg_at(&r, &j, 10);
        assert_eq!(perfect, 1.0);
        j.insert("p:unranked".parse().unwrap(), 3);
        assert!(ndcg_at(&r, &j, 10) < 0.5, "a relevant paper left out lowers nDCG");
    }

    #[test]
    fn average_precision_matches_rank_metrics_doctest() {
        let (r, j) = ranked(&[1, 1, 0, 1, 0, 1, 0, 0, 0, 1]);
        assert!((average_precision(&r, &j) - 0.7833333333333333).abs() < 1e-12);
        // A relevant paper never retrieved still counts in the denominator.
        let mut j2 = j.clone();
        j2.insert("p:missing".parse().unwrap(), 2);
        assert!((average_precision(&r, &j2) - 0.7833333333333333 * 5.0 / 6.0).abs() < 1e-12);
        assert_eq!(average_precision(&r, &HashMap::new()), 0.0);
    }

    #[test]
    fn repeats_count_once() {
        let (r, j) = ranked(&[1, 0]);
        let twice = vec![r[0].clone(), r[0].clone()];
        assert_eq!(precision_at(&twice, &j, 2), 0.5);
        assert_eq!(recall_at(&twice, &j, 2), 1.0);
        assert_eq!(average_precision(&twice, &j), 1.0);
    }

    #[test]
    fn precision_recall_and_mean() {
        let (r, j) = ranked(&[0, 1, 0, 2]);
        assert_eq!(precision_at(&r, &j, 2), 0.5);
        assert_eq!(precision_at(&r, &j, 8), 0.25, "missing ranks are not relevant");
        assert_eq!(recall_at(&r, &j, 2), 0.5);
        assert_eq!(recall_at(&r, &j, 4), 1.0);
        assert_eq!(mean(&[]), 0.0);
        assert_eq!(mean(&[1.0, 2.0]), 1.5);
        assert_eq!(binary(&j).values().sum::<u32>(), 2);
    }
}
