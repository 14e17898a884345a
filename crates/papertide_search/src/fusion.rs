//! Fusing ranked lists: the keyword and semantic result lists become one hybrid ranking.
//!
//! Two methods, chosen by measurement (`papertide eval`, see docs/SEARCH.md):
//! - [`Fusion::Rrf`]: reciprocal rank fusion, `score(d) = Σ w_i / (k + rank_i(d))` (ranks
//!   from 1; Cormack, Clarke & Büttcher 2009). Needs no score calibration.
//! - [`Fusion::Convex`]: a convex combination of min-max normalised scores,
//!   `score(d) = Σ w_i · (s_i(d) - min_i) / (max_i - min_i)`; a list that misses a document
//!   contributes 0 for it.
//!
//! Results are sorted by fused score, ties broken by key so the order is deterministic.

use std::collections::HashMap;

/// How to fuse ranked lists.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion with constant `k` (60 in the original paper).
    Rrf {
        /// The rank offset.
        k: f32,
    },
    /// Convex combination of min-max normalised scores.
    Convex,
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion::Rrf { k: 60.0 }
    }
}

/// One ranked list to fuse: `(key, score)` best first, with the list's weight.
#[derive(Debug, Clone)]
pub struct Ranked<'a> {
    /// The hits, best first.
    pub hits: &'a [(u64, f32)],
    /// The list's weight (1.0 for equal say).
    pub weight: f32,
}

/// Fuses the lists into one `(key, fused score)` list, best first.
pub fn fuse(method: Fusion, lists: &[Ranked<'_>]) -> Vec<(u64, f32)> {
    let mut scores: HashMap<u64, f32> = HashMap::new();
    for list in lists {
        match method {
            Fusion::Rrf { k } => {
                for (rank, &(key, _)) in list.hits.iter().enumerate() {
                    *scores.entry(key).or_default() += list.weight / (k + rank as f32 + 1.0);
                }
            }
            Fusion::Convex => {
                let (min, max) = list
                    .hits
                    .iter()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &(_, s)| (lo.min(s), hi.max(s)));
                let span = max - min;
                for &(key, s) in list.hits {
                    let norm = if span > f32::EPSILON { (s - min) / span } else { 1.0 };
                    *scores.entry(key).or_default() += list.weight * norm;
                }
            }
        }
    }
    let mut fused: Vec<(u64, f32)> = scores.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rrf_rewards_agreement() {
        let kw = [(1, 9.0), (2, 8.0), (3, 7.0)];
        let sem = [(3, 0.9), (1, 0.8), (4, 0.7)];
        let fused = fuse(Fusion::default(), &[Ranked { hits: &kw, weight: 1.0 }, Ranked { hits: &sem, weight: 1.0 }]);
        let keys: Vec<u64> = fused.iter().map(|h| h.0).collect();
        assert_eq!(keys, [1, 3, 2, 4]);
    }

    #[test]
    fn convex_normalises_each_list() {
        let kw = [(1, 20.0), (2, 10.0)];
        let sem = [(2, 0.9), (1, 0.1)];
        let fused = fuse(Fusion::Convex, &[Ranked { hits: &kw, weight: 1.0 }, Ranked { hits: &sem, weight: 2.0 }]);
        assert_eq!(fused[0].0, 2);
        assert!((fused[0].1 - 2.0).abs() < 1e-6);
        assert!((fused[1].1 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn empty_lists_fuse_to_nothing() {
        assert!(fuse(Fusion::default(), &[]).is_empty());
        assert!(fuse(Fusion::Convex, &[Ranked { hits: &[], weight: 1.0 }]).is_empty());
    }

    proptest! {
        /// Fusing is a ranking of the union: every key once, sorted, finite scores.
        #[test]
        fn fused_is_a_sorted_union(a in prop::collection::vec((0u64..50, -10f32..10.0), 0..30),
                                   b in prop::collection::vec((0u64..50, -1f32..1.0), 0..30),
                                   rrf in any::<bool>()) {
            let method = if rrf { Fusion::default() } else { Fusion::Convex };
            let fused = fuse(method, &[Ranked { hits: &a, weight: 1.0 }, Ranked { hits: &b, weight: 0.5 }]);
            let mut keys: Vec<u64> = a.iter().chain(b.iter()).map(|h| h.0).collect();
            keys.sort();
            keys.dedup();
            let mut got: Vec<u64> = fused.iter().map(|h| h.0).collect();
            prop_assert!(fused.windows(2).all(|w| w[0].1 >= w[1].1));
            prop_assert!(fused.iter().all(|h| h.1.is_finite()));
            got.sort();
            prop_assert_eq!(got, keys);
        }
    }
}
