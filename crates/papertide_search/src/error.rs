//! Errors of the search crate's indexes, shared by its areas.
//!
//! Owns [`SearchError`]. Each area adds its own variants (with a doc comment each) and leaves
//! the others' alone. The vector index ([`crate::vector`]) reports bad input vectors,
//! bad parameters, I/O failures and corrupt index files through it; the keyword index
//! ([`crate::keyword`]) its tantivy failures, schema mismatches and writer-lock conflicts.

use std::path::PathBuf;

/// Errors from the search indexes.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A vector (stored or query) has the wrong number of dimensions for the index.
    #[error("vector has {actual} dimensions, the index has {expected}")]
    DimensionMismatch {
        /// The index's dimension.
        expected: usize,
        /// The vector's length.
        actual: usize,
    },
    /// A vector contains NaN or an infinity.
    #[error("vector has a non-finite value at position {position}")]
    NonFiniteVector {
        /// Index of the first non-finite element.
        position: usize,
    },
    /// A stored vector is not of unit length, so dot products would not be cosine similarities.
    #[error("vector is not L2-normalised (norm {norm}); normalise it before indexing")]
    NotNormalized {
        /// Its Euclidean norm.
        norm: f32,
    },
    /// Index parameters are out of range (the message says which and why).
    #[error("invalid vector index parameters: {0}")]
    InvalidParams(String),
    /// The index is full: HNSW node ids are 32-bit.
    #[error("vector index capacity exceeded ({0} vectors)")]
    CapacityExceeded(usize),
    /// Reading or writing an index file failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An index file is not a valid index: wrong magic, unsupported version, truncated,
    /// checksum mismatch or inconsistent contents.
    #[error("corrupt vector index file {}: {reason}", path.display())]
    CorruptIndex {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The keyword index (tantivy) failed; `op` says what papertide was doing.
    #[error("keyword index: {op}: {source}")]
    Keyword {
        /// What failed, e.g. `open`, `commit`, `search`.
        op: &'static str,
        /// The tantivy error.
        #[source]
        source: tantivy::TantivyError,
    },
    /// The keyword index on disk was built with a different schema (an older papertide):
    /// delete the directory and re-index from cursor 0.
    #[error("keyword index at {} has an incompatible schema; delete it and re-index", path.display())]
    KeywordSchemaMismatch {
        /// The index directory.
        path: PathBuf,
    },
    /// Another writer holds the keyword index's lock (only one writer per index at a time).
    #[error("the keyword index is already being written by another writer")]
    KeywordWriterBusy,
    /// The keyword index's last commit carries a payload papertide did not write.
    #[error("keyword index commit payload is not a papertide cursor: {payload:?}")]
    KeywordPayload {
        /// The payload as found.
        payload: String,
    },
    /// The embedder failed or is not installed (the message says which and how to fix it).
    #[error("embedding failed: {0}")]
    Embed(String),
    /// The paper store failed.
    #[error("store: {0}")]
    Store(String),
    /// A benchmark could not be loaded (`papertide eval`); the message names the file.
    #[error("benchmark: {0}")]
    Eval(String),
    /// The paper is not in the database.
    #[error("no paper {0} in the database")]
    UnknownPaper(String),
    /// Vectors given to `papertide embed import` cannot be used as a whole (another model, the
    /// wrong width, an unreadable file); the message says which.
    #[error("importing vectors: {0}")]
    VectorImport(String),
    /// A lock was poisoned by a panic in another thread.
    #[error("an index lock was poisoned by a panic in another thread")]
    Poisoned,
}

impl SearchError {
    /// Wraps a store error.
    pub fn store(e: papertide_store::StoreError) -> SearchError {
        SearchError::Store(e.to_string())
    }
}
