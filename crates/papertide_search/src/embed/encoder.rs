//! [`Encoder`]: the BERT encoder of MiniLM, written for how we call it.
//!
//! Same arithmetic as candle-transformers' `BertModel` (and Hugging Face's `BertModel`), laid
//! out for speed on CPU:
//!
//! - every linear layer keeps its weight transposed and contiguous (`in × out`), so the
//!   matmul reads it row-major. candle's `Linear` multiplies by `weight.t()`, a strided view,
//!   which gemm packs on every call: with a search query's dozen tokens that packing was most
//!   of the time (the 1536 → 384 output layer took 1.35 ms instead of 0.16 ms; a query
//!   embedding went from 15.8 ms to about 3 ms, see `examples/embed_bench.rs --queries`);
//! - the query, key and value projections are one `384 × 1152` matmul;
//! - activations are 2-D (`tokens × hidden`) between layers, so matmuls need no broadcasting;
//! - layer norm and softmax use candle's fused kernels; GELU is [`super::kernels::gelu`]
//!   (vectorised; a vectorised softmax measured no better than candle's).
//!
//! [`super::bert::MiniLmEmbedder`] pools and normalises the output.

use candle_core::{DType, Tensor};
use candle_transformers::models::bert::Config;
use std::collections::HashMap;

/// A linear layer `x · Wᵀ + b` with `Wᵀ` stored contiguous.
struct Linear {
    /// `in × out`.
    weight_t: Tensor,
    /// `out`.
    bias: Tensor,
}

impl Linear {
    fn from_parts(weights: &[Tensor], biases: &[Tensor]) -> candle_core::Result<Linear> {
        let transposed: Vec<Tensor> = weights.iter().map(|w| w.t()).collect::<Result<_, _>>()?;
        let weight_t = Tensor::cat(&transposed, 1)?.contiguous()?;
        let bias = Tensor::cat(biases, 0)?.contiguous()?;
        Ok(Linear { weight_t, bias })
    }

    /// `x`: (tokens, in) → (tokens, out).
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.weight_t)?.broadcast_add(&self.bias)
    }
}

struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm(&x.contiguous()?, &self.weight, &self.bias, self.eps)
    }
}

struct Layer {
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// The MiniLM / BERT encoder: embeddings, then `num_hidden_layers` transformer layers.
pub struct Encoder {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
}

/// Takes a named tensor out of the safetensors map, as f32.
fn take(tensors: &mut HashMap<String, Tensor>, name: &str) -> candle_core::Result<Tensor> {
    tensors
        .remove(name)
        .ok_or_else(|| candle_core::Error::Msg(format!("the model file has no tensor `{name}`")))?
        .to_dtype(DType::F32)
}

impl Encoder {
    /// Builds the encoder from the model's tensors (names without a `bert.` prefix, as in
    /// all-MiniLM-L6-v2's `model.safetensors`; a `bert.` prefix is accepted too).
    pub fn load(tensors: HashMap<String, Tensor>, config: &Config) -> candle_core::Result<Encoder> {
        let mut tensors: HashMap<String, Tensor> =
            tensors.into_iter().map(|(k, v)| (k.strip_prefix("bert.").map(str::to_string).unwrap_or(k), v)).collect();
        let t = &mut tensors;
        let eps = config.layer_norm_eps as f32;
        let norm = |t: &mut HashMap<String, Tensor>, p: &str| -> candle_core::Result<LayerNorm> {
            Ok(LayerNorm { weight: take(t, &format!("{p}.weight"))?, bias: take(t, &format!("{p}.bias"))?, eps })
        };
        let linear = |t: &mut HashMap<String, Tensor>, names: &[&str]| -> candle_core::Result<Linear> {
            let weights = names.iter().map(|n| take(t, &format!("{n}.weight"))).collect::<Result<Vec<_>, _>>()?;
            let biases = names.iter().map(|n| take(t, &format!("{n}.bias"))).collect::<Result<Vec<_>, _>>()?;
            Linear::from_parts(&weights, &biases)
        };
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            layers.push(Layer {
                qkv: linear(
                    t,
                    &[
                        &format!("{p}.attention.self.query"),
                        &format!("{p}.attention.self.key"),
                        &format!("{p}.attention.self.value"),
                    ],
                )?,
                attention_out: linear(t, &[&format!("{p}.attention.output.dense")])?,
                attention_norm: norm(t, &format!("{p}.attention.output.LayerNorm"))?,
                intermediate: linear(t, &[&format!("{p}.intermediate.dense")])?,
                output: linear(t, &[&format!("{p}.output.dense")])?,
                output_norm: norm(t, &format!("{p}.output.LayerNorm"))?,
            });
        }
        Ok(Encoder {
            word: take(t, "embeddings.word_embeddings.weight")?,
            position: take(t, "embeddings.position_embeddings.weight")?,
            token_type: take(t, "embeddings.token_type_embeddings.weight")?,
            embed_norm: norm(t, "embeddings.LayerNorm")?,
            layers,
            heads: config.num_attention_heads,
            hidden: config.hidden_size,
        })
    }

    /// Token vectors of a padded batch: `ids` (batch, seq) u32, `mask` (batch, seq) f32 with 1
    /// for real tokens; returns (batch, seq, hidden). Token type ids are all 0.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, seq) = ids.dims2()?;
        let tokens = batch * seq;
        let words = self.word.index_select(&ids.flatten_all()?, 0)?.reshape((batch, seq, self.hidden))?;
        let positions = self.position.narrow(0, 0, seq)?;
        let type0 = self.token_type.narrow(0, 0, 1)?;
        let x = words.broadcast_add(&positions)?.broadcast_add(&type0)?.reshape((tokens, self.hidden))?;
        let mut x = self.embed_norm.forward(&x)?;

        // Additive mask as Hugging Face builds it: 0 for tokens, the lowest f32 for padding.
        let mask_bias = ((mask.ones_like()? - mask)? * f64::from(f32::MIN))?.reshape((batch, 1, 1, seq))?;
        let head_dim = self.hidden / self.heads;
        let scale = 1.0 / (head_dim as f64).sqrt();
        let split = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((batch, seq, self.heads, head_dim))?.transpose(1, 2)?.contiguous()
        };
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x)?;
            let q = split((qkv.narrow(1, 0, self.hidden)? * scale)?)?;
            let k = split(qkv.narrow(1, self.hidden, self.hidden)?)?;
            let v = split(qkv.narrow(1, 2 * self.hidden, self.hidden)?)?;
            let scores = q.matmul(&k.t()?)?.broadcast_add(&mask_bias)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let context = probs.matmul(&v)?.transpose(1, 2)?.reshape((tokens, self.hidden))?;
            let attended = layer.attention_norm.forward(&(layer.attention_out.forward(&context)? + &x)?)?;
            let inner = super::kernels::gelu(&layer.intermediate.forward(&attended)?)?;
            x = layer.output_norm.forward(&(layer.output.forward(&inner)? + &attended)?)?;
        }
        x.reshape((batch, seq, self.hidden))
    }
}
