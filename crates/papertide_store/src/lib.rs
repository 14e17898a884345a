//! Persistence for papertide: the [`Store`] trait and its SQLite implementation.
//!
//! - [`Store`] is what every caller uses (the CLI, later the web app and search indexer).
//!   It is synchronous; async callers run it on a blocking thread.
//! - [`SqliteStore`] ([`sqlite`]) is the embedded default: one file in the data directory,
//!   WAL mode, foreign keys on, versioned migrations ([`sqlite::migrations`]).
//! - Writes come in batches ([`Store::upsert_papers`]), one transaction each: an interrupted
//!   import keeps every committed batch, and re-running it is idempotent because records are
//!   merged with [`papertide_core::Paper::merge`].
//!
//! A PostgreSQL implementation can follow behind the same trait without touching callers.

pub mod sqlite;
mod types;

pub use sqlite::SqliteStore;
pub use types::{ChangedPaper, CheckReport, Stats, UpsertStats};

use papertide_core::{Community, Paper, PaperId};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row could not be turned back into a paper.
    #[error("stored paper {id} is corrupt: {reason}")]
    Corrupt {
        /// The row's id.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database was written by a newer papertide.
    #[error(
        "the database schema is version {found}, newer than this papertide understands ({known}); upgrade papertide"
    )]
    SchemaTooNew {
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The data directory or database file could not be created or opened.
    #[error("cannot open the database at {path}: {source}")]
    Open {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A callback passed to the store asked to stop.
    #[error("{0}")]
    Callback(String),
}

/// The paper store. Implementations must be safe to share between threads.
pub trait Store: Send + Sync {
    /// Inserts new papers and merges known ones ([`Paper::merge`]), all in one transaction.
    /// Community data is never touched.
    fn upsert_papers(&self, papers: &[Paper]) -> Result<UpsertStats, StoreError>;

    /// One paper by id.
    fn paper(&self, id: &PaperId) -> Result<Option<Paper>, StoreError>;

    /// The community data of a paper (all zero for papers nobody submitted).
    fn community(&self, id: &PaperId) -> Result<Community, StoreError>;

    /// Number of papers.
    fn count_papers(&self) -> Result<u64, StoreError>;

    /// Counts by source and primary category, date range and size on disk.
    fn stats(&self) -> Result<Stats, StoreError>;

    /// Calls `f` with every paper in id order (streaming; memory stays flat).
    fn for_each_paper(&self, f: &mut dyn FnMut(Paper) -> Result<(), StoreError>) -> Result<(), StoreError>;

    /// Checks the database: storage integrity, foreign keys, and that every row reads back.
    fn check(&self) -> Result<CheckReport, StoreError>;

    /// Reads a small piece of named state (harvest checkpoints and the like).
    fn get_state(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Writes a small piece of named state.
    fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// The change feed: papers inserted or updated after change number `after_seq`, oldest
    /// change first, at most `limit`. Search indexes follow it to stay current.
    fn papers_changed_since(&self, after_seq: u64, limit: usize) -> Result<Vec<ChangedPaper>, StoreError>;

    /// The newest change number (0 for an empty store).
    fn max_seq(&self) -> Result<u64, StoreError>;

    /// The integer key of a paper (stable for its lifetime; indexes refer to papers by it).
    fn key_of(&self, id: &PaperId) -> Result<Option<u64>, StoreError>;

    /// Papers by integer key, in the order asked; unknown keys are left out.
    fn papers_by_keys(&self, keys: &[u64]) -> Result<Vec<(u64, Paper)>, StoreError>;

    /// Stores embeddings (key, vector) computed with `model`, replacing older ones.
    fn put_embeddings(&self, model: &str, items: &[(u64, Vec<f32>)]) -> Result<(), StoreError>;

    /// One paper's embedding with `model`.
    fn embedding(&self, model: &str, key: u64) -> Result<Option<Vec<f32>>, StoreError>;

    /// Calls `f` with every stored embedding of `model`, in key order.
    fn for_each_embedding(
        &self,
        model: &str,
        f: &mut dyn FnMut(u64, Vec<f32>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Papers with no embedding for `model` (the backlog), with key above `after_key`, in key
    /// order, at most `limit`.
    fn papers_without_embedding(
        &self,
        model: &str,
        after_key: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Paper)>, StoreError>;

    /// Number of papers with no embedding for `model`.
    fn embedding_backlog(&self, model: &str) -> Result<u64, StoreError>;
}
