//! Bounded top-k selection shared by the exact scan and the HNSW result lists.
//!
//! Owns [`Scored`] (a key with its similarity, ordered "better first": higher score, then
//! lower key so that ties are deterministic) and [`TopK`], a min-heap holding at most k
//! entries whose root is the current k-th best. Next: [`super::exact`] and
//! [`super::hnsw`] use it, and so does the keyword search's per-segment top k
//! ([`crate::keyword::parallel`]); [`super::distance`] computes the scores.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A key and its similarity to the query. `Ord` puts the better entry last: higher score
/// wins, and on equal scores the lower key wins.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scored {
    pub score: f32,
    pub key: u64,
}

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.key.cmp(&self.key))
    }
}

/// Keeps the k best [`Scored`] entries pushed into it.
pub(crate) struct TopK {
    k: usize,
    heap: BinaryHeap<Reverse<Scored>>,
}

impl TopK {
    /// An empty selection of at most `k` entries.
    pub fn new(k: usize) -> Self {
        Self { k, heap: BinaryHeap::with_capacity(k.saturating_add(1).min(1 << 16)) }
    }

    /// Whether an entry with this score could enter (ties may still lose on the key).
    /// Cheap pre-check so that callers evaluate filters only for promising entries.
    #[inline]
    pub fn could_accept(&self, score: f32) -> bool {
        if self.heap.len() < self.k {
            return self.k > 0;
        }
        match self.heap.peek() {
            Some(Reverse(worst)) => score >= worst.score,
            None => false,
        }
    }

    /// The score of the k-th best entry once there are k (what a new entry must beat),
    /// `None` before.
    #[inline]
    pub fn kth_score(&self) -> Option<f32> {
        match self.heap.peek() {
            Some(Reverse(worst)) if self.heap.len() >= self.k => Some(worst.score),
            _ => None,
        }
    }

    /// Offers an entry; it is kept if it is among the k best so far.
    #[inline]
    pub fn push(&mut self, entry: Scored) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(Reverse(entry));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if entry > worst.0 {
                *worst = Reverse(entry);
            }
        }
    }

    /// The entries, best first, as `(key, score)`.
    pub fn into_sorted(self) -> Vec<(u64, f32)> {
        // `into_sorted_vec` sorts ascending by `Reverse`, i.e. best first.
        self.heap.into_sorted_vec().into_iter().map(|Reverse(s)| (s.key, s.score)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_best_k_with_deterministic_ties() {
        let mut top = TopK::new(3);
        for (key, score) in [(1, 0.5), (2, 0.9), (3, 0.1), (4, 0.9), (5, 0.7), (0, 0.5)] {
            top.push(Scored { score, key });
        }
        assert_eq!(top.kth_score(), Some(0.7));
        assert_eq!(top.into_sorted(), vec![(2, 0.9), (4, 0.9), (5, 0.7)]);
        let mut short = TopK::new(2);
        short.push(Scored { score: 0.4, key: 1 });
        assert_eq!(short.kth_score(), None, "not full yet");
        let mut zero = TopK::new(0);
        zero.push(Scored { score: 1.0, key: 1 });
        assert!(zero.into_sorted().is_empty());
    }
}
