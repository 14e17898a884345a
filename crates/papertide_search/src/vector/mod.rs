//! The vector index behind semantic search and "similar papers".
//!
//! Vectors are the embedder's unit-length f32 embeddings (384 dimensions for MiniLM), keyed
//! by the store's integer paper keys (`u64`). Similarity is the cosine, i.e. the dot product
//! of unit vectors; results come highest first, ties broken by lower key.
//!
//! Where to look:
//! - [`VectorIndex`]: the one interface; every index below implements it.
//! - [`AutoIndex`] ([`auto`]): what the app uses. Exact below a threshold (20,000 vectors by
//!   default), HNSW above it, converted in one pass when the threshold is crossed.
//! - [`ExactIndex`] ([`exact`]): contiguous row-major storage, brute-force scan with a SIMD
//!   dot product ([`distance`]) and a bounded heap ([`topk`]).
//! - [`HnswIndex`] ([`hnsw`]): our own HNSW (Malkov & Yashunin 2016): incremental inserts,
//!   tombstoned removal with compaction, filtered search with over-fetch and exact fallback,
//!   parallel bulk build.
//! - [`persist`]: the versioned, checksummed binary file format and atomic saves.
//!
//! Inputs are checked: a vector of the wrong dimension or with a non-finite value is an
//! error; so is a stored vector whose norm is not 1 (within [`NORM_TOLERANCE`]), because
//! dot products would then not be cosines. Queries need not be unit length (ranking is
//! unchanged by scaling the query; scores scale with it).
//!
//! - [`compact`]: how HNSW stores its vectors: f32, f16 or int8 rows ([`Element`]), with
//!   asymmetric kernels (the query stays f32). The exact index always stores f32.
//!

pub mod auto;
pub mod compact;
pub mod distance;
pub mod exact;
pub mod hnsw;
pub mod persist;
pub mod rng;
pub(crate) mod topk;

pub use auto::{AutoIndex, AutoIndexConfig};
pub use compact::Element;
pub use exact::ExactIndex;
pub use hnsw::{HnswIndex, HnswParams};

use crate::SearchError;

/// Stored vectors must have `| ‖v‖ - 1 | <= NORM_TOLERANCE`.
pub const NORM_TOLERANCE: f32 = 1e-3;

/// A filter on keys: `true` keeps the key. Indexes may call it for only some keys (those
/// that could enter the result), in any order, so it must be a pure predicate.
pub type KeyFilter<'a> = &'a dyn Fn(u64) -> bool;

/// A nearest-neighbour index over unit vectors keyed by paper key.
pub trait VectorIndex: Send + Sync {
    /// Number of dimensions of every vector.
    fn dim(&self) -> usize;

    /// Number of live (searchable) vectors.
    fn len(&self) -> usize;

    /// Whether the index holds no live vector.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts the vector for `key`, replacing any previous vector for it.
    ///
    /// Errors on a wrong dimension, a non-finite value, or a vector that is not unit length.
    fn upsert(&mut self, key: u64, vector: &[f32]) -> Result<(), SearchError>;

    /// Removes `key`; `Ok(false)` if it was not present.
    fn remove(&mut self, key: u64) -> Result<bool, SearchError>;

    /// The (at most) `k` keys most similar to `query`, as `(key, cosine)`, highest first.
    /// With a filter, only keys it accepts are returned.
    ///
    /// Errors on a wrong dimension or a non-finite value in the query.
    fn search(&self, query: &[f32], k: usize, filter: Option<KeyFilter<'_>>) -> Result<Vec<(u64, f32)>, SearchError>;

    /// A copy of the vector stored for `key`.
    fn get(&self, key: u64) -> Option<Vec<f32>>;
}

/// Checks a query: right dimension, all values finite.
pub(crate) fn check_query(dim: usize, v: &[f32]) -> Result<(), SearchError> {
    if v.len() != dim {
        return Err(SearchError::DimensionMismatch { expected: dim, actual: v.len() });
    }
    if let Some(position) = v.iter().position(|x| !x.is_finite()) {
        return Err(SearchError::NonFiniteVector { position });
    }
    Ok(())
}

/// Checks a vector to store: as [`check_query`], and of unit length.
pub(crate) fn check_stored(dim: usize, v: &[f32]) -> Result<(), SearchError> {
    check_query(dim, v)?;
    let norm = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt() as f32;
    if (norm - 1.0).abs() > NORM_TOLERANCE {
        return Err(SearchError::NotNormalized { norm });
    }
    Ok(())
}

/// Checks an index dimension given to a constructor.
pub(crate) fn check_dim(dim: usize) -> Result<(), SearchError> {
    if dim == 0 || dim > 65_536 {
        return Err(SearchError::InvalidParams(format!("dimension {dim} is not in 1..=65536")));
    }
    Ok(())
}
