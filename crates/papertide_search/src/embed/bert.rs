//! [`MiniLmEmbedder`]: all-MiniLM-L6-v2 on candle's BERT, pooled like sentence-transformers.
//!
//! Pipeline per call: tokenize every text (truncated to [`EmbedOptions::max_seq_len`],
//! no padding), order the texts by token count, cut them into batches of
//! [`EmbedOptions::batch_size`], and run the [`Encoder`] on each batch's tokens packed
//! without padding; it mean-pools each text's token vectors and L2-normalises them. Results
//! are returned in input order.
//!
//! The weights carry no `bert.` prefix (`embeddings.word_embeddings.weight`, …); the encoder
//! is our own ([`super::encoder`]): candle-transformers' `BertModel` computes the same but
//! about 5 times slower on a search query.
//!
//! Threads: the matmuls (gemm), attention and element-wise kernels use the rayon pool, all
//! cores by default; set `RAYON_NUM_THREADS` to limit them.

use candle_core::Device;
use candle_transformers::models::bert::Config;
use tokenizers::{Tokenizer, TruncationParams};

use super::encoder::Encoder;
use super::model::{ModelFiles, MODEL_NAME};
use super::{EmbedError, Embedder};

/// Tuning knobs of [`MiniLmEmbedder`]. The defaults match sentence-transformers' output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedOptions {
    /// Tokens per text, special tokens included; longer texts are truncated.
    /// Default 256, sentence-transformers' `max_seq_length` for this model; at most 512.
    pub max_seq_len: usize,
    /// Texts per forward pass. Default 32.
    pub batch_size: usize,
    /// Batch texts of similar length together (less padding; output order is unchanged).
    /// Default true.
    pub sort_by_length: bool,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions { max_seq_len: 256, batch_size: 32, sort_by_length: true }
    }
}

/// The all-MiniLM-L6-v2 sentence embedder (384 dimensions), CPU, f32.
pub struct MiniLmEmbedder {
    model: Encoder,
    tokenizer: Tokenizer,
    options: EmbedOptions,
    dim: usize,
}

impl std::fmt::Debug for MiniLmEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLmEmbedder").field("options", &self.options).field("dim", &self.dim).finish_non_exhaustive()
    }
}

impl MiniLmEmbedder {
    /// Loads the model from `files` with the default [`EmbedOptions`].
    pub fn load(files: &ModelFiles) -> Result<Self, EmbedError> {
        Self::load_with(files, EmbedOptions::default())
    }

    /// Loads the model from `files` (checked for presence and size, not hashed: see
    /// [`super::model::verify`]) with the given options.
    pub fn load_with(files: &ModelFiles, options: EmbedOptions) -> Result<Self, EmbedError> {
        files.check_present()?;
        let config_path = files.config();
        let config_error = |message: String| EmbedError::Config { path: config_path.clone(), message };
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| EmbedError::Model(super::ModelError::io(&config_path, e)))?;
        let config: Config = serde_json::from_str(&text).map_err(|e| config_error(e.to_string()))?;
        if config.num_attention_heads == 0 || !config.hidden_size.is_multiple_of(config.num_attention_heads) {
            return Err(config_error(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                config.hidden_size, config.num_attention_heads
            )));
        }
        if options.batch_size == 0 {
            return Err(EmbedError::Options("batch_size must be at least 1".into()));
        }
        if options.max_seq_len < 2 || options.max_seq_len > config.max_position_embeddings {
            return Err(EmbedError::Options(format!(
                "max_seq_len {} must be between 2 and {}",
                options.max_seq_len, config.max_position_embeddings
            )));
        }

        let mut tokenizer = Tokenizer::from_file(files.tokenizer()).map_err(EmbedError::Tokenizer)?;
        // tokenizer.json ships `padding: Fixed(128)` and `truncation: 128`: no padding (the
        // encoder packs texts), and truncate where sentence-transformers does.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: options.max_seq_len, ..TruncationParams::default() }))
            .map_err(EmbedError::Tokenizer)?;

        let tensors = candle_core::safetensors::load(files.weights(), &Device::Cpu)?;
        let model = Encoder::load(tensors, &config)?;
        Ok(MiniLmEmbedder { model, tokenizer, options, dim: config.hidden_size })
    }

    /// The options this embedder runs with.
    pub fn options(&self) -> &EmbedOptions {
        &self.options
    }

    /// Token ids of `text` as the model sees it: `[CLS] … [SEP]`, truncated, unpadded.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let encoding = self.tokenizer.encode_fast(text, true).map_err(EmbedError::Tokenizer)?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Embeds one batch of token-id sequences (packed, no padding); rows in input order.
    fn embed_batch(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.model.embed(batch).map_err(EmbedError::from)
    }
}

impl Embedder for MiniLmEmbedder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self.tokenizer.encode_batch_fast(texts.to_vec(), true).map_err(EmbedError::Tokenizer)?;
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        if self.options.sort_by_length {
            order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].len()));
        }
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.options.batch_size) {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| encodings[i].get_ids()).collect();
            let vectors = self.embed_batch(&batch)?;
            for (&i, vector) in chunk.iter().zip(vectors) {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn model_name(&self) -> &str {
        MODEL_NAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_model_is_a_model_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = MiniLmEmbedder::load(&ModelFiles::new(dir.path())).unwrap_err();
        assert!(matches!(err, EmbedError::Model(_)), "{err}");
        assert!(err.to_string().contains("papertide model install"), "{err}");
    }
}
