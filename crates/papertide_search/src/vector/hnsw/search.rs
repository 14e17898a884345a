//! HNSW search: greedy descent, SEARCH-LAYER (Algorithm 2), and filtered k-NN.
//!
//! Owns [`Cand`] (a node with its similarity to the query) and the read-only walks of a
//! [`Graph`]. [`search_filtered`] is the strategy behind every query of
//! [`super::HnswIndex`]; it treats tombstones like a filter:
//! 1. run the usual search with `ef1 = max(ef, k)`;
//! 2. if the filter (or tombstones) rejects too many of the results -- fewer than `k`
//!    accepted nodes within the first `f * ef1` of the result list, where `f =
//!    max(k / ef, 1/2)` is how deep into the list an unfiltered search takes its k-th
//!    hit -- estimate the acceptance rate, over-fetch with a larger `ef1`, and repeat;
//! 3. if `ef1` would exceed a cap (4,096, or a quarter of the nodes when that is smaller),
//!    scan all nodes exactly instead: filter first, then dot product. That is the right
//!    cost model for very selective filters.
//!
//! Next: [`super::insert`] uses [`Graph::search_layer`] to find neighbours.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::graph::{Graph, Visited};

/// Largest `ef` a filtered search grows to before it falls back to an exact scan.
const MAX_FILTERED_EF: usize = 4096;

/// A node and its similarity to the current query (higher is closer). Ordered by
/// similarity, ties by lower id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cand {
    pub sim: f32,
    pub id: u32,
}

impl PartialEq for Cand {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Cand {}

impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cand {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sim.total_cmp(&other.sim).then_with(|| other.id.cmp(&self.id))
    }
}

impl Graph {
    /// Greedy walk at `level` (SEARCH-LAYER with ef = 1): moves to a closer neighbour
    /// until none is closer.
    pub fn greedy(&self, q: &[f32], mut cur: Cand, level: usize, buf: &mut Vec<u32>) -> Cand {
        loop {
            let mut changed = false;
            self.neighbors(cur.id, level, buf);
            for &n in buf.iter() {
                let sim = self.sim(q, n);
                if sim > cur.sim {
                    cur = Cand { sim, id: n };
                    changed = true;
                }
            }
            if !changed {
                return cur;
            }
        }
    }

    /// SEARCH-LAYER (Malkov & Yashunin, Algorithm 2): the (approximately) `ef` nodes closest
    /// to `q` at `level`, reachable from `entries`, best first.
    #[allow(clippy::too_many_arguments)]
    pub fn search_layer(
        &self,
        q: &[f32],
        entries: &[Cand],
        ef: usize,
        level: usize,
        visited: &mut Visited,
        buf: &mut Vec<u32>,
    ) -> Vec<Cand> {
        visited.reset(self.len());
        let ef = ef.max(1);
        let mut candidates: BinaryHeap<Cand> = BinaryHeap::with_capacity(ef * 2);
        let mut found: BinaryHeap<Reverse<Cand>> = BinaryHeap::with_capacity(ef + 1);
        for &e in entries {
            if visited.insert(e.id) {
                candidates.push(e);
                found.push(Reverse(e));
            }
        }
        while found.len() > ef {
            found.pop();
        }
        while let Some(c) = candidates.pop() {
            let worst = found.peek().map_or(f32::NEG_INFINITY, |r| r.0.sim);
            if found.len() >= ef && c.sim < worst {
                break;
            }
            self.neighbors(c.id, level, buf);
            for &n in buf.iter() {
                if !visited.insert(n) {
                    continue;
                }
                let sim = self.sim(q, n);
                let worst = found.peek().map_or(f32::NEG_INFINITY, |r| r.0.sim);
                if found.len() < ef || sim > worst {
                    let cand = Cand { sim, id: n };
                    candidates.push(cand);
                    found.push(Reverse(cand));
                    if found.len() > ef {
                        found.pop();
                    }
                }
            }
        }
        found.into_sorted_vec().into_iter().map(|Reverse(c)| c).collect()
    }

    /// Layer-0 result list for `q`: greedy descent from the entry point through the upper
    /// layers, then SEARCH-LAYER with `ef` at layer 0. Empty for an empty graph.
    pub fn knn(&self, q: &[f32], ef: usize, visited: &mut Visited, buf: &mut Vec<u32>) -> Vec<Cand> {
        let Some((ep, top)) = self.entry() else {
            return Vec::new();
        };
        let mut cur = Cand { sim: self.sim(q, ep), id: ep };
        for level in (1..=top as usize).rev() {
            cur = self.greedy(q, cur, level, buf);
        }
        self.search_layer(q, &[cur], ef, 0, visited, buf)
    }
}

/// The `k` accepted nodes closest to `q`, best first; see the [module docs](self).
/// `accept` is `None` when every node is acceptable (no filter, no tombstone).
pub(crate) fn search_filtered(
    graph: &Graph,
    q: &[f32],
    k: usize,
    ef: usize,
    accept: Option<&dyn Fn(u32) -> bool>,
) -> Vec<Cand> {
    if k == 0 || graph.len() == 0 {
        return Vec::new();
    }
    let ef = ef.max(k);
    let mut visited = graph.take_visited();
    let mut buf = Vec::with_capacity(graph.m0);
    let result = match accept {
        None => {
            let mut w = graph.knn(q, ef, &mut visited, &mut buf);
            w.truncate(k);
            w
        }
        Some(accept) => over_fetch(graph, q, k, ef, accept, &mut visited, &mut buf),
    };
    graph.put_visited(visited);
    result
}

#[allow(clippy::too_many_arguments)]
fn over_fetch(
    graph: &Graph,
    q: &[f32],
    k: usize,
    ef: usize,
    accept: &dyn Fn(u32) -> bool,
    visited: &mut Visited,
    buf: &mut Vec<u32>,
) -> Vec<Cand> {
    let depth = (k as f64 / ef as f64).max(0.5);
    let max_ef = MAX_FILTERED_EF.min(graph.len() / 4).max(ef);
    let mut ef1 = ef;
    loop {
        let w = graph.knn(q, ef1, visited, buf);
        let window = ((w.len() as f64 * depth).ceil() as usize).min(w.len());
        let in_window = w[..window].iter().filter(|c| accept(c.id)).count();
        // A list shorter than ef1 means the search ran out of reachable nodes.
        if in_window >= k || w.len() < ef1 {
            return w.into_iter().filter(|c| accept(c.id)).take(k).collect();
        }
        if ef1 >= max_ef {
            return exact_scan(graph, q, k, accept);
        }
        // Acceptance rate, with half a hit when none was seen: nothing accepted among ef1
        // nodes means the rate is likely below 1/ef1, and the exact scan is the better bet.
        let accepted = w.iter().filter(|c| accept(c.id)).count();
        let rate = (accepted as f64).max(0.5) / w.len().max(1) as f64;
        let wanted = (1.25 * k as f64 / (rate * depth)).ceil() as usize;
        if wanted > max_ef {
            return exact_scan(graph, q, k, accept);
        }
        ef1 = wanted.clamp(ef1 * 2, ef1 * 8).min(max_ef);
    }
}

/// Exact top-k over every accepted node; the filter runs before the dot product.
fn exact_scan(graph: &Graph, q: &[f32], k: usize, accept: &dyn Fn(u32) -> bool) -> Vec<Cand> {
    let mut top: BinaryHeap<Reverse<Cand>> = BinaryHeap::with_capacity(k + 1);
    for id in 0..graph.len() as u32 {
        if !accept(id) {
            continue;
        }
        let cand = Cand { sim: graph.sim(q, id), id };
        if top.len() < k {
            top.push(Reverse(cand));
        } else if let Some(mut worst) = top.peek_mut() {
            if cand > worst.0 {
                *worst = Reverse(cand);
            }
        }
    }
    top.into_sorted_vec().into_iter().map(|Reverse(c)| c).collect()
}
