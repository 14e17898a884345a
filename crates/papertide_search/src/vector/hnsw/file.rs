//! Saving and loading [`HnswIndex`], graph included, inside the framing of
//! [`crate::vector::persist`] (header, checksum, atomic rename).
//!
//! Body, in order (little endian; `n` = node count from the header, tombstones included):
//! - parameters, 52 bytes: `m`, `m0`, `ef_construction`, `ef_search` (u32 each), `seed`,
//!   level-generator state (u64 each), `max_tombstone_ratio` (f64 bits, u64), flags (u32:
//!   bit 0 `extend_candidates`, bit 1 `keep_pruned`), entry node (u32, `u32::MAX` when
//!   empty), entry level (u32);
//! - keys: `u64` × n; levels: `u8` × n; tombstone flags: `u8` × n (0 or 1);
//! - vectors, by the header's element type ([`crate::vector::Element`]): f32: `f32` × n ×
//!   dim; f16: `u16` (IEEE half bits) × n × dim; int8: `f32` scales × n, then `i8` × n ×
//!   dim;
//! - layer 0: `u32` × n × (m0 + 1), per node `[count, ids.., padding]`;
//! - upper layers: a `u64` count, then that many `u32`: per node with level L > 0, L slots
//!   of `[count, ids.., padding]` of m + 1 entries.
//!
//! Loading validates everything the search code relies on (parameters, levels, link
//! counts and ids, entry point, unique live keys), so a file that passes the checksum but
//! was written by a buggy or hostile program still cannot cause a panic. Next:
//! [`super::graph::Graph::from_parts`] turns the arrays back into a graph.

use std::collections::HashMap;
use std::path::Path;

use super::graph::{Graph, MAX_LEVEL};
use super::{HnswIndex, HnswParams};
use crate::vector::compact::{Data, Element, Rows};
use crate::vector::persist::{self, corrupt, BodyReader, Header, IndexKind};
use crate::vector::rng::SplitMix64;
use crate::SearchError;

const PARAMS_LEN: u64 = 52;

impl HnswIndex {
    /// Saves the index (graph included) to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), SearchError> {
        let g = &self.graph;
        let n = g.len() as u64;
        let upper_len: u64 = g.levels.iter().map(|&l| u64::from(l) * (g.m as u64 + 1)).sum();
        let body_len =
            PARAMS_LEN + n * (8 + 1 + 1) + g.rows.file_bytes() + n * (g.m0 as u64 + 1) * 4 + 8 + upper_len * 4;
        let p = &self.params;
        let (entry_node, entry_level) = g.entry().map_or((u32::MAX, 0), |(e, l)| (e, u32::from(l)));
        let flags = u32::from(p.extend_candidates) | (u32::from(p.keep_pruned) << 1);
        persist::write_file(path, IndexKind::Hnsw, g.rows.element(), g.dim, n, body_len, |w| {
            for v in [p.m, p.m0, p.ef_construction, p.ef_search] {
                w.u32(v as u32)?;
            }
            w.u64(p.seed)?;
            w.u64(self.rng.state)?;
            w.u64(p.max_tombstone_ratio.to_bits())?;
            w.u32(flags)?;
            w.u32(entry_node)?;
            w.u32(entry_level)?;
            w.u64s(&self.keys)?;
            w.u8s(&g.levels)?;
            let deleted: Vec<u8> = self.deleted.iter().map(|&d| u8::from(d)).collect();
            w.u8s(&deleted)?;
            match g.rows.data() {
                Data::F32(v) => w.f32s(v)?,
                Data::F16(v) => w.u16s(v)?,
                Data::Int8 { codes, scales } => {
                    w.f32s(scales)?;
                    w.i8s(codes)?;
                }
            }
            w.u32_iter(g.layer0_raw())?;
            w.u64(upper_len)?;
            w.u32_iter(g.upper_raw())
        })
    }

    /// Loads an index saved by [`HnswIndex::save`]; errors if the file holds another kind.
    pub fn load(path: &Path) -> Result<Self, SearchError> {
        let (header, body) = persist::open(path)?;
        if header.kind != IndexKind::Hnsw {
            return Err(corrupt(path, format!("holds a {:?} index, not an HNSW one", header.kind)));
        }
        Self::read_body(header, body)
    }

    /// Reads the body after [`persist::open`] checked the header.
    pub(crate) fn read_body(header: Header, mut r: BodyReader) -> Result<Self, SearchError> {
        let path = r.path().to_path_buf();
        let bad = |reason: String| corrupt(&path, reason);
        let mut p = HnswParams {
            m: r.u32()? as usize,
            m0: r.u32()? as usize,
            ef_construction: r.u32()? as usize,
            ef_search: r.u32()? as usize,
            seed: r.u64()?,
            element: header.element,
            ..HnswParams::default()
        };
        let rng_state = r.u64()?;
        p.max_tombstone_ratio = f64::from_bits(r.u64()?);
        let flags = r.u32()?;
        p.extend_candidates = flags & 1 != 0;
        p.keep_pruned = flags & 2 != 0;
        let (entry_node, entry_level) = (r.u32()?, r.u32()?);
        p.validate().map_err(|e| bad(format!("bad parameters: {e}")))?;
        let n = header.count;
        if n > u64::from(u32::MAX) {
            return Err(bad(format!("{n} nodes exceed the 32-bit node ids")));
        }
        let keys = r.u64s(n)?;
        let levels = r.u8s(n)?;
        let deleted = r.u8s(n)?;
        let values = n * header.dim as u64;
        let data = match header.element {
            Element::F32 => Data::F32(r.f32s(values)?),
            Element::F16 => Data::F16(r.u16s(values)?),
            Element::Int8 => {
                let scales = r.f32s(n)?;
                if let Some(s) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
                    return Err(bad(format!("int8 row scale {s} is not a positive number")));
                }
                Data::Int8 { codes: r.i8s(values)?, scales }
            }
        };
        let layer0 = r.u32s(n * (p.m0 as u64 + 1))?;
        let upper_len = r.u64()?;
        let upper = r.u32s(upper_len)?;
        r.finish()?;

        if let Some(l) = levels.iter().find(|&&l| l > MAX_LEVEL) {
            return Err(bad(format!("node level {l} exceeds {MAX_LEVEL}")));
        }
        let want_upper: u64 = levels.iter().map(|&l| u64::from(l) * (p.m as u64 + 1)).sum();
        if want_upper != upper_len {
            return Err(bad(format!("upper layers hold {upper_len} entries, levels need {want_upper}")));
        }
        if deleted.iter().any(|&d| d > 1) {
            return Err(bad("tombstone flag other than 0 or 1".into()));
        }
        check_slots(&layer0, p.m0, n).map_err(|e| bad(format!("layer 0: {e}")))?;
        check_slots(&upper, p.m, n).map_err(|e| bad(format!("upper layers: {e}")))?;
        let entry = if n == 0 {
            if entry_node != u32::MAX {
                return Err(bad("empty index with an entry point".into()));
            }
            None
        } else {
            let top = levels.iter().copied().max().unwrap_or(0);
            if levels.get(entry_node as usize).copied() != Some(top) || entry_level != u32::from(top) {
                return Err(bad(format!("entry point {entry_node} at level {entry_level} is not a top node")));
            }
            Some((entry_node, top))
        };
        let mut nodes = HashMap::with_capacity(keys.len());
        let mut tombstones = 0;
        for (id, (&key, &d)) in keys.iter().zip(&deleted).enumerate() {
            if d == 1 {
                tombstones += 1;
            } else if nodes.insert(key, id as u32).is_some() {
                return Err(bad(format!("key {key} is live twice")));
            }
        }
        let graph =
            Graph::from_parts(p.shape(header.dim), Rows::from_data(header.dim, data), levels, layer0, upper, entry);
        let rng = SplitMix64 { state: rng_state };
        let deleted = deleted.into_iter().map(|d| d == 1).collect();
        Ok(Self { params: p, graph, keys, deleted, nodes, tombstones, rng })
    }
}

/// Checks slots of `cap + 1` entries: count ≤ cap and listed ids < n.
fn check_slots(raw: &[u32], cap: usize, n: u64) -> Result<(), String> {
    if !raw.chunks_exact(cap + 1).remainder().is_empty() {
        return Err("length is not a whole number of lists".into());
    }
    for (i, slot) in raw.chunks_exact(cap + 1).enumerate() {
        let count = slot[0] as usize;
        if count > cap {
            return Err(format!("list {i} has {count} links, capacity {cap}"));
        }
        if let Some(&id) = slot[1..=count].iter().find(|&&id| u64::from(id) >= n) {
            return Err(format!("list {i} links to node {id} of {n}"));
        }
    }
    Ok(())
}
