//! HNSW graph storage: vectors, per-layer adjacency lists, entry point, locks, visited sets.
//!
//! Owns [`Graph`]. Nodes are dense `u32` ids in insertion order; node `i`'s vector is row
//! `i` of one [`Rows`] (f32, f16 or int8; see [`crate::vector::compact`]). Adjacency lists
//! are fixed-capacity slots of `AtomicU32`: `[count, id_0, .., id_cap-1]`, layer 0 with
//! capacity `m0` in one flat array, upper layers (capacity `m`) in a small per-node box,
//! allocated when the node is added (its level is drawn first). Atomics let many threads
//! insert at once through `&self` (see [`super::insert`]): writers of a node's lists hold
//! that node's mutex; readers do not lock and may see a list mid-update, which is harmless
//! because every stored id is a valid node. All atomic accesses are `Relaxed` (plain loads
//! and stores on x86): the per-node mutexes order the writes, and rayon's join orders
//! everything before a build returns. Next: [`super::search`] walks this graph,
//! [`super::insert`] grows it.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::vector::compact::{Element, Rows};

/// Highest level a node can get (levels are capped; with `m = 16` level 8 is already
/// reached by one node in 4 billion).
pub(crate) const MAX_LEVEL: u8 = 15;

/// The graph; see the [module docs](self).
pub(crate) struct Graph {
    pub dim: usize,
    /// Capacity of upper-layer lists (and the number of links chosen per layer).
    pub m: usize,
    /// Capacity of layer-0 lists.
    pub m0: usize,
    pub ef_construction: usize,
    pub extend_candidates: bool,
    pub keep_pruned: bool,
    pub rows: Rows,
    pub levels: Vec<u8>,
    layer0: Vec<AtomicU32>,
    upper: Vec<Box<[AtomicU32]>>,
    locks: Vec<Mutex<()>>,
    /// 0 when empty, else `(level + 1) << 32 | node`.
    entry: AtomicU64,
    /// Held by an insert whose level is above the current top level (rare).
    pub top_lock: Mutex<()>,
    visited_pool: Mutex<Vec<Visited>>,
}

/// Settings copied into the graph from the index parameters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GraphShape {
    pub dim: usize,
    pub m: usize,
    pub m0: usize,
    pub ef_construction: usize,
    pub extend_candidates: bool,
    pub keep_pruned: bool,
    /// How vectors are stored.
    pub element: Element,
}

/// Locks a mutex, ignoring poisoning (the data it guards is `()` or always consistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Graph {
    /// An empty graph.
    pub fn new(shape: GraphShape) -> Self {
        Self {
            dim: shape.dim,
            m: shape.m,
            m0: shape.m0,
            ef_construction: shape.ef_construction,
            extend_candidates: shape.extend_candidates,
            keep_pruned: shape.keep_pruned,
            rows: Rows::new(shape.dim, shape.element),
            levels: Vec::new(),
            layer0: Vec::new(),
            upper: Vec::new(),
            locks: Vec::new(),
            entry: AtomicU64::new(0),
            top_lock: Mutex::new(()),
            visited_pool: Mutex::new(Vec::new()),
        }
    }

    /// A graph rebuilt from saved parts (already validated by the caller: ids < n, counts
    /// within capacity, `upper` has `levels[i] * (m + 1)` entries per node in order).
    pub fn from_parts(
        shape: GraphShape,
        rows: Rows,
        levels: Vec<u8>,
        layer0: Vec<u32>,
        upper: Vec<u32>,
        entry: Option<(u32, u8)>,
    ) -> Self {
        let mut g = Self::new(shape);
        let mut off = 0usize;
        g.upper = levels
            .iter()
            .map(|&l| {
                let len = l as usize * (g.m + 1);
                let b = upper.get(off..off + len).unwrap_or(&[]).iter().map(|&x| AtomicU32::new(x)).collect();
                off += len;
                b
            })
            .collect();
        g.layer0 = layer0.into_iter().map(AtomicU32::new).collect();
        g.locks = levels.iter().map(|_| Mutex::new(())).collect();
        g.rows = rows;
        g.levels = levels;
        if let Some((node, level)) = entry {
            g.set_entry(node, level);
        }
        g
    }

    /// Number of nodes (tombstoned ones included).
    pub fn len(&self) -> usize {
        self.levels.len()
    }

    /// Adds a node with no links; returns its id. The caller checked the id fits in `u32`.
    pub fn push_node(&mut self, vector: &[f32], level: u8) -> u32 {
        self.rows.push(vector);
        self.push_links(level)
    }

    /// Adds the lists of the next node, whose vector the caller already appended to
    /// `rows`; returns its id.
    pub fn push_links(&mut self, level: u8) -> u32 {
        let id = self.levels.len() as u32;
        self.levels.push(level);
        self.layer0.extend((0..=self.m0).map(|_| AtomicU32::new(0)));
        self.upper.push((0..level as usize * (self.m + 1)).map(|_| AtomicU32::new(0)).collect());
        self.locks.push(Mutex::new(()));
        id
    }

    /// Reserves room for `additional` more nodes.
    pub fn reserve(&mut self, additional: usize) {
        self.rows.reserve(additional);
        self.levels.reserve(additional);
        self.layer0.reserve(additional.saturating_mul(self.m0 + 1));
        self.upper.reserve(additional);
        self.locks.reserve(additional);
    }

    /// Similarity of the f32 query `q` to node `id` (0 for an out-of-range id).
    #[inline]
    pub fn sim(&self, q: &[f32], id: u32) -> f32 {
        self.rows.sim(q, id)
    }

    /// The slot `[count, ids..]` of node `id` at `level` (empty if it has no such level).
    #[inline]
    fn slot(&self, id: u32, level: usize) -> &[AtomicU32] {
        if level == 0 {
            let start = id as usize * (self.m0 + 1);
            self.layer0.get(start..start + self.m0 + 1).unwrap_or(&[])
        } else {
            let start = (level - 1) * (self.m + 1);
            self.upper.get(id as usize).and_then(|u| u.get(start..start + self.m + 1)).unwrap_or(&[])
        }
    }

    /// Replaces `out` with node `id`'s neighbours at `level`.
    #[inline]
    pub fn neighbors(&self, id: u32, level: usize, out: &mut Vec<u32>) {
        out.clear();
        let slot = self.slot(id, level);
        let Some((count, ids)) = slot.split_first() else {
            return;
        };
        let n = (count.load(Relaxed) as usize).min(ids.len());
        out.extend(ids[..n].iter().map(|a| a.load(Relaxed)));
    }

    /// Sets node `id`'s neighbours at `level` (truncated to capacity). Hold its lock.
    pub fn set_neighbors(&self, id: u32, level: usize, ids: &[u32]) {
        let slot = self.slot(id, level);
        let Some((count, dst)) = slot.split_first() else {
            return;
        };
        let n = ids.len().min(dst.len());
        for (d, &s) in dst.iter().zip(&ids[..n]) {
            d.store(s, Relaxed);
        }
        count.store(n as u32, Relaxed);
    }

    /// The lock serialising writes to node `id`'s lists.
    pub fn lock_node(&self, id: u32) -> Option<MutexGuard<'_, ()>> {
        self.locks.get(id as usize).map(lock)
    }

    /// The entry point and the top level, `None` when the graph is empty.
    #[inline]
    pub fn entry(&self) -> Option<(u32, u8)> {
        let e = self.entry.load(Relaxed);
        (e != 0).then(|| (e as u32, ((e >> 32) - 1) as u8))
    }

    /// Sets the entry point (hold `top_lock` when other threads may insert).
    pub fn set_entry(&self, node: u32, level: u8) {
        self.entry.store(((u64::from(level) + 1) << 32) | u64::from(node), Relaxed);
    }

    /// A visited set sized for the current node count (from a pool, cleared in O(1)).
    pub fn take_visited(&self) -> Visited {
        let mut v = lock(&self.visited_pool).pop().unwrap_or_default();
        v.reset(self.len());
        v
    }

    /// Returns a visited set to the pool.
    pub fn put_visited(&self, v: Visited) {
        let mut pool = lock(&self.visited_pool);
        if pool.len() < 64 {
            pool.push(v);
        }
    }

    /// Every link of layer 0, `[count, ids..]` per node, for saving.
    pub fn layer0_raw(&self) -> impl Iterator<Item = u32> + '_ {
        self.layer0.iter().map(|a| a.load(Relaxed))
    }

    /// Every upper-layer slot, node by node, for saving.
    pub fn upper_raw(&self) -> impl Iterator<Item = u32> + '_ {
        self.upper.iter().flat_map(|b| b.iter().map(|a| a.load(Relaxed)))
    }

    /// Heap memory in bytes (vectors, links, locks, levels).
    pub fn memory_bytes(&self) -> usize {
        let upper: usize = self.upper.iter().map(|b| b.len() * 4 + 16).sum();
        self.rows.memory_bytes() + self.layer0.capacity() * 4 + upper + self.locks.capacity() * 8 + self.levels.len()
    }
}

/// Visited marks for one search: `marks[id] == epoch` means visited. Bumping the epoch
/// clears it, so a pooled set costs nothing to reuse.
#[derive(Default)]
pub(crate) struct Visited {
    marks: Vec<u32>,
    epoch: u32,
}

impl Visited {
    pub fn reset(&mut self, n: usize) {
        if self.marks.len() < n {
            self.marks.resize(n, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.marks.fill(0);
            self.epoch = 1;
        }
    }

    /// Marks `id`; `true` if it was not marked yet. Out-of-range ids count as visited.
    #[inline]
    pub fn insert(&mut self, id: u32) -> bool {
        match self.marks.get_mut(id as usize) {
            Some(m) if *m != self.epoch => {
                *m = self.epoch;
                true
            }
            _ => false,
        }
    }
}
