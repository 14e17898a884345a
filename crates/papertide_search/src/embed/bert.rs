//! [`MiniLmEmbedder`]: all-MiniLM-L6-v2 on candle's BERT, pooled like sentence-transformers.
//!
//! Pipeline per call: tokenize every text (truncated to [`EmbedOptions::max_seq_len`],
//! no padding), order the texts by token count, cut them into batches of
//! [`EmbedOptions::batch_size`], pad each batch only to its own longest text, run
//! the [`Encoder`] with the attention mask, mean-pool the token vectors under the same mask,
//! and L2-normalise. Results are returned in input order.
//!
//! The weights carry no `bert.` prefix (`embeddings.word_embeddings.weight`, …); the encoder
//! is our own ([`super::encoder`]): candle-transformers' `BertModel` computes the same but
//! about 5 times slower on a search query.
//!
//! Threads: candle's matmuls (gemm) and element-wise kernels use all cores by default;
//! set `RAYON_NUM_THREADS` to limit them.

use candle_core::{Device, Tensor, D};
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
    device: Device,
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
        // tokenizer.json ships `padding: Fixed(128)` and `truncation: 128`: pad per batch
        // ourselves instead, and truncate where sentence-transformers does.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: options.max_seq_len, ..TruncationParams::default() }))
            .map_err(EmbedError::Tokenizer)?;

        let device = Device::Cpu;
        let tensors = candle_core::safetensors::load(files.weights(), &device)?;
        let model = Encoder::load(tensors, &config)?;
        Ok(MiniLmEmbedder { model, tokenizer, device, options, dim: config.hidden_size })
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

    /// Embeds one batch of token-id sequences, padded to the longest; rows in input order.
    fn embed_batch(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let rows = batch.len();
        let width = batch.iter().map(|ids| ids.len()).max().unwrap_or(0);
        let mut ids = vec![0u32; rows * width];
        let mut mask = vec![0f32; rows * width];
        for (row, seq) in batch.iter().enumerate() {
            let start = row * width;
            ids[start..start + seq.len()].copy_from_slice(seq);
            mask[start..start + seq.len()].fill(1.0);
        }
        let ids = Tensor::from_vec(ids, (rows, width), &self.device)?;
        let mask = Tensor::from_vec(mask, (rows, width), &self.device)?;
        let hidden = self.model.forward(&ids, &mask)?;
        pool_and_normalize(&hidden, &mask)?.to_vec2::<f32>().map_err(EmbedError::from)
    }
}

/// Mean of the token vectors where `mask` is 1, then L2 normalisation (as
/// sentence-transformers' Pooling + Normalize). `hidden`: (batch, seq, dim); `mask`: (batch, seq).
pub fn pool_and_normalize(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let summed = hidden.broadcast_mul(&mask.unsqueeze(D::Minus1)?)?.sum(1)?;
    let counts = mask.sum_keepdim(1)?.maximum(1e-9)?;
    let mean = summed.broadcast_div(&counts)?;
    let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.maximum(1e-12)?;
    mean.broadcast_div(&norms)
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
    fn pooling_ignores_padding_and_normalises() {
        let hidden = Tensor::new(&[[[3.0f32, 4.0], [100.0, 100.0]], [[1.0, 0.0], [0.0, 1.0]]], &Device::Cpu).unwrap();
        let mask = Tensor::new(&[[1.0f32, 0.0], [1.0, 1.0]], &Device::Cpu).unwrap();
        let out = pool_and_normalize(&hidden, &mask).unwrap().to_vec2::<f32>().unwrap();
        assert!((out[0][0] - 0.6).abs() < 1e-6 && (out[0][1] - 0.8).abs() < 1e-6);
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!((out[1][0] - h).abs() < 1e-6 && (out[1][1] - h).abs() < 1e-6);
    }

    #[test]
    fn missing_model_is_a_model_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = MiniLmEmbedder::load(&ModelFiles::new(dir.path())).unwrap_err();
        assert!(matches!(err, EmbedError::Model(_)), "{err}");
        assert!(err.to_string().contains("papertide model install"), "{err}");
    }
}
