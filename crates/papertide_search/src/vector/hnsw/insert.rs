//! HNSW construction: INSERT (Algorithm 1), the neighbour-selection heuristic
//! (Algorithm 4), reverse-link maintenance, and the parallel bulk build.
//!
//! Owns how the graph grows. A node is pushed first (vector, level, empty lists; see
//! [`Graph::push_node`]), then linked by [`Graph::insert`], which only needs `&self`:
//! [`build`] runs it on all cores for a batch of pushed nodes, the way hnswlib does --
//! threads take the next id from a shared counter; a node's lists are written under its
//! mutex; an insert that raises the top level holds the graph's `top_lock` throughout.
//! Links chosen per layer: `m`; list capacity `m` above layer 0 and `m0` at layer 0; a
//! full list is shrunk with the same heuristic. Next: [`super::search`] for the walks,
//! [`super`] for the public index.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::graph::{lock, Graph, Visited};
use super::search::Cand;

/// Per-thread scratch space for inserts.
pub(crate) struct Scratch {
    visited: Visited,
    buf: Vec<u32>,
    list: Vec<u32>,
    /// The node being inserted, decoded to f32 when stored compactly (the query of its
    /// searches; see `Rows::row`).
    query: Vec<f32>,
    /// The node whose list `connect` shrinks, decoded when stored compactly.
    target: Vec<f32>,
    /// A candidate of the neighbour heuristic, decoded when stored compactly.
    cand: Vec<f32>,
}

impl Scratch {
    pub fn new(graph: &Graph) -> Self {
        Self {
            visited: graph.take_visited(),
            buf: Vec::new(),
            list: Vec::new(),
            query: Vec::new(),
            target: Vec::new(),
            cand: Vec::new(),
        }
    }

    pub fn release(self, graph: &Graph) {
        graph.put_visited(self.visited);
    }
}

impl Graph {
    /// INSERT (Algorithm 1) for node `id`, already pushed with its level.
    pub fn insert(&self, id: u32, s: &mut Scratch) {
        let Some(&level) = self.levels.get(id as usize) else {
            return;
        };
        let mut buf = std::mem::take(&mut s.query);
        self.insert_at(id, level, self.rows.row(id, &mut buf), s);
        s.query = buf;
    }

    /// The body of [`Graph::insert`], with the node's vector decoded into `q`.
    fn insert_at(&self, id: u32, level: u8, q: &[f32], s: &mut Scratch) {
        let mut entry = self.entry();
        // An insert that becomes the new top holds `top_lock` so that two such inserts do
        // not race on the entry point (rare: about log_m(n) times per graph).
        let _top_guard = if entry.is_none_or(|(_, top)| level > top) {
            let guard = lock(&self.top_lock);
            entry = self.entry();
            Some(guard)
        } else {
            None
        };
        let Some((ep, top)) = entry else {
            self.set_entry(id, level);
            return;
        };
        let mut cur = Cand { sim: self.sim(q, ep), id: ep };
        for lc in (level as usize + 1..=top as usize).rev() {
            cur = self.greedy(q, cur, lc, &mut s.buf);
        }
        let mut entries = vec![cur];
        for lc in (0..=level.min(top) as usize).rev() {
            let mut found = self.search_layer(q, &entries, self.ef_construction, lc, &mut s.visited, &mut s.buf);
            found.retain(|c| c.id != id);
            let selected =
                self.select_neighbors(q, id, &found, self.m, lc, self.extend_candidates, &mut s.buf, &mut s.cand);
            s.list.clear();
            s.list.extend(selected.iter().map(|c| c.id));
            if let Some(_g) = self.lock_node(id) {
                self.set_neighbors(id, lc, &s.list);
            }
            for c in &selected {
                self.connect(c.id, id, c.sim, lc, s);
            }
            if !found.is_empty() {
                entries = found;
            }
        }
        if level > top {
            self.set_entry(id, level);
        }
    }

    /// SELECT-NEIGHBORS-HEURISTIC (Algorithm 4) for a base node with vector `q` and id
    /// `base`: walks `cands` (similarities to the base, best first) and keeps a candidate
    /// only if it is closer to the base than to every candidate kept so far, up to `m`.
    /// This spreads links over directions instead of piling them into one cluster.
    /// `extend` adds the candidates' neighbours first (the paper's `extendCandidates`);
    /// with `keep_pruned` the discarded candidates fill the remaining slots
    /// (`keepPrunedConnections`).
    #[allow(clippy::too_many_arguments)]
    fn select_neighbors(
        &self,
        q: &[f32],
        base: u32,
        cands: &[Cand],
        m: usize,
        level: usize,
        extend: bool,
        buf: &mut Vec<u32>,
        cv: &mut Vec<f32>,
    ) -> Vec<Cand> {
        let mut extended;
        let mut work = cands;
        if extend {
            extended = cands.to_vec();
            let mut seen: HashSet<u32> = cands.iter().map(|c| c.id).collect();
            seen.insert(base);
            for c in cands {
                self.neighbors(c.id, level, buf);
                for &n in buf.iter() {
                    if seen.insert(n) {
                        extended.push(Cand { sim: self.sim(q, n), id: n });
                    }
                }
            }
            extended.sort_unstable_by(|a, b| b.cmp(a));
            work = &extended;
        }
        let mut result: Vec<Cand> = Vec::with_capacity(m);
        let mut pruned = Vec::new();
        for &c in work {
            if result.len() >= m {
                break;
            }
            let v = self.rows.row(c.id, cv);
            if result.iter().all(|r| self.sim(v, r.id) <= c.sim) {
                result.push(c);
            } else if self.keep_pruned {
                pruned.push(c);
            }
        }
        for c in pruned {
            if result.len() >= m {
                break;
            }
            result.push(c);
        }
        result
    }

    /// Adds the link `target -> new` at `level` (`sim` is their similarity), shrinking
    /// `target`'s list with the heuristic when it is full.
    fn connect(&self, target: u32, new: u32, sim: f32, level: usize, s: &mut Scratch) {
        let Some(_guard) = self.lock_node(target) else {
            return;
        };
        self.neighbors(target, level, &mut s.list);
        if s.list.contains(&new) {
            return;
        }
        let cap = if level == 0 { self.m0 } else { self.m };
        if s.list.len() < cap {
            s.list.push(new);
            self.set_neighbors(target, level, &s.list);
            return;
        }
        let mut buf = std::mem::take(&mut s.target);
        let tv = self.rows.row(target, &mut buf);
        let mut cands: Vec<Cand> = s.list.iter().map(|&n| Cand { sim: self.sim(tv, n), id: n }).collect();
        cands.push(Cand { sim, id: new });
        cands.sort_unstable_by(|a, b| b.cmp(a));
        let selected = self.select_neighbors(tv, target, &cands, cap, level, false, &mut s.buf, &mut s.cand);
        s.target = buf;
        s.list.clear();
        s.list.extend(selected.iter().map(|c| c.id));
        self.set_neighbors(target, level, &s.list);
    }
}

/// Links nodes `first..graph.len()` (already pushed) into the graph, on all rayon threads.
/// Nodes are taken in id order from a shared counter, so the graph grows much as with
/// sequential inserts; the exact result depends on thread timing.
pub(crate) fn build(graph: &Graph, first: usize) {
    let n = graph.len();
    if first >= n {
        return;
    }
    let mut s = Scratch::new(graph);
    // Seed the graph sequentially so that parallel inserts start from a connected core.
    let seq_end = if graph.entry().is_none() { n.min(first + 256) } else { first };
    for id in first..seq_end {
        graph.insert(id as u32, &mut s);
    }
    s.release(graph);
    if seq_end >= n {
        return;
    }
    let next = AtomicUsize::new(seq_end);
    let threads = rayon::current_num_threads().max(1);
    (0..threads).into_par_iter().for_each(|_| {
        let mut s = Scratch::new(graph);
        loop {
            let id = next.fetch_add(1, Ordering::Relaxed);
            if id >= n {
                break;
            }
            graph.insert(id as u32, &mut s);
        }
        s.release(graph);
    });
}
