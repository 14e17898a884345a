//! [`AutoIndex`]: the vector index the app uses -- exact while small, HNSW once large.
//!
//! Owns the switching policy. Below [`AutoIndexConfig::threshold`] vectors (default
//! 20,000) an [`ExactIndex`] answers every query exactly in about a millisecond. The first
//! upsert that takes the count past the threshold converts it in one pass into an
//! [`HnswIndex`] (the vector buffer is moved, not copied; the graph is built on all
//! cores, a few seconds at 20,000 × 384 on two cores, paid by that one upsert). The index
//! never switches back: shrinking below the threshold keeps HNSW, which still answers
//! correctly. Saved files record which index they hold; loading an exact file above the
//! threshold converts it. Next: [`super::exact`], [`super::hnsw`], [`super::persist`].

use std::path::Path;

use super::hnsw::{HnswIndex, HnswParams};
use super::persist::{self, IndexKind};
use super::{check_stored, ExactIndex, KeyFilter, VectorIndex};
use crate::SearchError;

/// Settings of an [`AutoIndex`].
#[derive(Debug, Clone, PartialEq)]
pub struct AutoIndexConfig {
    /// Switch to HNSW when the index holds more than this many vectors.
    pub threshold: usize,
    /// Parameters of the HNSW index once switched. On load, the file's graph parameters
    /// are kept; `ef_search` (a query-time setting) is taken from here, and so is the
    /// element type: a file stored otherwise is re-encoded as it loads (one pass, the graph
    /// kept), so changing it in the configuration takes effect at the next start.
    pub hnsw: HnswParams,
}

impl Default for AutoIndexConfig {
    fn default() -> Self {
        Self { threshold: 20_000, hnsw: HnswParams::default() }
    }
}

enum Inner {
    Exact(ExactIndex),
    Hnsw(Box<HnswIndex>),
}

/// Exact search below a size threshold, HNSW above; see the [module docs](self).
pub struct AutoIndex {
    config: AutoIndexConfig,
    inner: Inner,
}

impl AutoIndex {
    /// An empty index with the default configuration.
    pub fn new(dim: usize) -> Result<Self, SearchError> {
        Self::with_config(dim, AutoIndexConfig::default())
    }

    /// An empty index with `config`.
    pub fn with_config(dim: usize, config: AutoIndexConfig) -> Result<Self, SearchError> {
        config.hnsw.validate()?;
        Ok(Self { inner: Inner::Exact(ExactIndex::new(dim)?), config })
    }

    /// The configuration.
    pub fn config(&self) -> &AutoIndexConfig {
        &self.config
    }

    /// Which implementation currently answers queries.
    pub fn kind(&self) -> IndexKind {
        match self.inner {
            Inner::Exact(_) => IndexKind::Exact,
            Inner::Hnsw(_) => IndexKind::Hnsw,
        }
    }

    /// The exact index, while it is one.
    pub fn as_exact(&self) -> Option<&ExactIndex> {
        match &self.inner {
            Inner::Exact(e) => Some(e),
            Inner::Hnsw(_) => None,
        }
    }

    /// The HNSW index, once switched.
    pub fn as_hnsw(&self) -> Option<&HnswIndex> {
        match &self.inner {
            Inner::Exact(_) => None,
            Inner::Hnsw(h) => Some(h.as_ref()),
        }
    }

    /// Approximate heap memory in bytes.
    pub fn memory_bytes(&self) -> usize {
        match &self.inner {
            Inner::Exact(e) => e.memory_bytes(),
            Inner::Hnsw(h) => h.memory_bytes(),
        }
    }

    /// Inserts or replaces many vectors (row-major, one row per key); once HNSW, they are
    /// linked on all cores. All vectors are checked before any is inserted.
    pub fn upsert_batch(&mut self, keys: &[u64], vectors: &[f32]) -> Result<(), SearchError> {
        match &mut self.inner {
            Inner::Exact(e) => {
                let dim = e.dim();
                if vectors.len() != keys.len().saturating_mul(dim) {
                    return Err(SearchError::DimensionMismatch { expected: keys.len() * dim, actual: vectors.len() });
                }
                // Check every vector first so that a bad one leaves the index unchanged.
                for v in vectors.chunks_exact(dim) {
                    check_stored(dim, v)?;
                }
                for (&key, v) in keys.iter().zip(vectors.chunks_exact(dim)) {
                    e.upsert(key, v)?;
                }
                self.maybe_switch()
            }
            Inner::Hnsw(h) => h.upsert_batch(keys, vectors),
        }
    }

    /// Converts to HNSW if the exact index has grown past the threshold.
    fn maybe_switch(&mut self) -> Result<(), SearchError> {
        let Inner::Exact(e) = &mut self.inner else {
            return Ok(());
        };
        if e.len() <= self.config.threshold {
            return Ok(());
        }
        // Everything that could fail is checked before the exact index is taken apart.
        self.config.hnsw.validate()?;
        if e.len() > u32::MAX as usize {
            return Err(SearchError::CapacityExceeded(e.len()));
        }
        let exact = std::mem::replace(e, ExactIndex::new(e.dim())?);
        let started = std::time::Instant::now();
        let n = exact.len();
        let hnsw = HnswIndex::from_exact(exact, self.config.hnsw.clone())?;
        tracing::info!(vectors = n, seconds = started.elapsed().as_secs_f64(), "vector index switched to HNSW");
        self.inner = Inner::Hnsw(Box::new(hnsw));
        Ok(())
    }

    /// Saves whichever index is current to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), SearchError> {
        match &self.inner {
            Inner::Exact(e) => e.save(path),
            Inner::Hnsw(h) => h.save(path),
        }
    }

    /// Loads a saved exact or HNSW index with the default configuration.
    pub fn load(path: &Path) -> Result<Self, SearchError> {
        Self::load_with(path, AutoIndexConfig::default())
    }

    /// Loads a saved exact or HNSW index with `config` (see [`AutoIndexConfig::hnsw`]).
    pub fn load_with(path: &Path, config: AutoIndexConfig) -> Result<Self, SearchError> {
        config.hnsw.validate()?;
        let (header, body) = persist::open(path)?;
        let inner = match header.kind {
            IndexKind::Exact => Inner::Exact(ExactIndex::read_body(header, body)?),
            IndexKind::Hnsw => {
                let mut h = HnswIndex::read_body(header, body)?;
                h.set_ef_search(config.hnsw.ef_search);
                if h.element() != config.hnsw.element {
                    tracing::info!(
                        path = %path.display(),
                        from = %h.element(),
                        to = %config.hnsw.element,
                        vectors = h.len(),
                        "re-encoding the vector index"
                    );
                    h.set_element(config.hnsw.element);
                }
                Inner::Hnsw(Box::new(h))
            }
        };
        let mut index = Self { config, inner };
        index.maybe_switch()?;
        Ok(index)
    }
}

impl VectorIndex for AutoIndex {
    fn dim(&self) -> usize {
        match &self.inner {
            Inner::Exact(e) => e.dim(),
            Inner::Hnsw(h) => h.dim(),
        }
    }

    fn len(&self) -> usize {
        match &self.inner {
            Inner::Exact(e) => e.len(),
            Inner::Hnsw(h) => h.len(),
        }
    }

    fn upsert(&mut self, key: u64, vector: &[f32]) -> Result<(), SearchError> {
        match &mut self.inner {
            Inner::Exact(e) => {
                e.upsert(key, vector)?;
                self.maybe_switch()
            }
            Inner::Hnsw(h) => h.upsert(key, vector),
        }
    }

    fn remove(&mut self, key: u64) -> Result<bool, SearchError> {
        match &mut self.inner {
            Inner::Exact(e) => e.remove(key),
            Inner::Hnsw(h) => h.remove(key),
        }
    }

    fn search(&self, query: &[f32], k: usize, filter: Option<KeyFilter<'_>>) -> Result<Vec<(u64, f32)>, SearchError> {
        match &self.inner {
            Inner::Exact(e) => e.search(query, k, filter),
            Inner::Hnsw(h) => h.search(query, k, filter),
        }
    }

    fn get(&self, key: u64) -> Option<Vec<f32>> {
        match &self.inner {
            Inner::Exact(e) => e.get(key),
            Inner::Hnsw(h) => h.get(key),
        }
    }
}
