//! [`Encoder`]: the BERT encoder of MiniLM on packed token rows, written for how we call it.
//!
//! Same arithmetic as Hugging Face's `BertModel` (post-layer-norm BERT, GELU with erf),
//! laid out for the CPU:
//!
//! - **Packed, not padded**: the tokens of every text in a call are rows of one
//!   `tokens × hidden` matrix, with no padding rows. Attention runs per text and head over
//!   that text's own rows, so no work is spent on padding and no mask is needed.
//! - **Matmuls straight on `gemm`** with the weights stored transposed and contiguous (`in ×
//!   out`), the query, key and value projections fused into one `384 × 1152` matmul, and the
//!   bias (and the residual) written into the destination first so `gemm` adds the product
//!   onto it: no separate pass for them.
//! - **Attention in cache**: each (text, head) pair is one task on the rayon pool: its scores
//!   (at most 256 × 256 floats) are computed, soft-maxed in place and multiplied by the
//!   values while they are in cache, reading Q, K and V in place from the QKV matrix
//!   (strided) and writing the context in place. The old layout materialised the scores of
//!   the whole batch (100 MB at 32 × 256 tokens), added a mask to them and soft-maxed them,
//!   each a full pass through memory into freshly mapped pages.
//! - **Buffers reused** across layers: a forward pass allocates its five matrices once.
//! - Layer norm, softmax and GELU are [`super::kernels`] loops that the compiler vectorises.
//!
//! [`super::bert::MiniLmEmbedder`] tokenises and batches; [`Encoder::embed`] returns pooled,
//! normalised vectors.

use std::collections::HashMap;

use candle_core::{DType, Tensor};
use candle_transformers::models::bert::Config;
use gemm::Parallelism;
use rayon::prelude::*;

use super::kernels::{gelu_in_place, layer_norm_rows, softmax_in_place};

/// A linear layer `x · Wᵀ + b` with `Wᵀ` stored contiguous.
struct Linear {
    /// `inputs × outputs`, row-major.
    weight_t: Vec<f32>,
    /// `outputs`.
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Linear {
    /// One layer from the weights (`out × in` each, as stored) and biases of one or more
    /// layers with the same input, their outputs side by side.
    fn from_parts(weights: &[Tensor], biases: &[Tensor]) -> candle_core::Result<Linear> {
        let transposed: Vec<Tensor> = weights.iter().map(|w| w.t()).collect::<Result<_, _>>()?;
        let weight_t = Tensor::cat(&transposed, 1)?.contiguous()?;
        let (inputs, outputs) = weight_t.dims2()?;
        let bias = Tensor::cat(biases, 0)?.to_vec1::<f32>()?;
        if bias.len() != outputs {
            return Err(candle_core::Error::Msg(format!("a bias of {} for {outputs} outputs", bias.len())));
        }
        Ok(Linear { weight_t: weight_t.flatten_all()?.to_vec1::<f32>()?, bias, inputs, outputs })
    }

    /// `dst` (rows × outputs) = `base` + bias + `x` (rows × inputs) · Wᵀ, where `base` is
    /// `None` (zero) or a rows × outputs matrix (the residual).
    fn forward(&self, x: &[f32], base: Option<&[f32]>, dst: &mut [f32]) {
        let rows = x.len() / self.inputs;
        debug_assert_eq!(dst.len(), rows * self.outputs);
        let n = self.outputs;
        match base {
            Some(base) => dst.par_chunks_mut(n * 64).zip(base.par_chunks(n * 64)).for_each(|(d, b)| {
                for (d, b) in d.chunks_mut(n).zip(b.chunks(n)) {
                    for ((d, b), bias) in d.iter_mut().zip(b).zip(&self.bias) {
                        *d = b + bias;
                    }
                }
            }),
            None => {
                dst.par_chunks_mut(n * 64).for_each(|d| d.chunks_mut(n).for_each(|d| d.copy_from_slice(&self.bias)))
            }
        }
        let threads = rayon::current_num_threads();
        let parallelism = if threads > 1 { Parallelism::Rayon(threads) } else { Parallelism::None };
        // SAFETY: x is rows × inputs, weight_t inputs × outputs and dst rows × outputs, all
        // row-major and contiguous (column stride 1, row stride = width), so every element
        // gemm reads or writes is in bounds; dst does not alias the inputs.
        unsafe {
            gemm::gemm(
                rows,
                n,
                self.inputs,
                dst.as_mut_ptr(),
                1,
                n as isize,
                true,
                x.as_ptr(),
                1,
                self.inputs as isize,
                self.weight_t.as_ptr(),
                1,
                n as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                parallelism,
            );
        }
    }
}

struct LayerNorm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

impl LayerNorm {
    fn forward(&self, x: &mut [f32]) {
        layer_norm_rows(x, &self.weight, &self.bias, self.eps);
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
    word: Vec<f32>,
    position: Vec<f32>,
    token_type0: Vec<f32>,
    vocab: usize,
    positions: usize,
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

fn take_vec(tensors: &mut HashMap<String, Tensor>, name: &str) -> candle_core::Result<Vec<f32>> {
    take(tensors, name)?.flatten_all()?.to_vec1::<f32>()
}

/// A pointer that rayon tasks may share: each task writes a disjoint part of the matrix.
#[derive(Clone, Copy)]
struct SharedMut(*mut f32);
// SAFETY: used only to write disjoint regions from different tasks (see `attention`).
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}

impl SharedMut {
    /// The pointer; a method, so closures capture the whole (Sync) wrapper, not the field.
    fn ptr(&self) -> *mut f32 {
        self.0
    }
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
            Ok(LayerNorm {
                weight: take_vec(t, &format!("{p}.weight"))?,
                bias: take_vec(t, &format!("{p}.bias"))?,
                eps,
            })
        };
        let linear = |t: &mut HashMap<String, Tensor>, names: &[&str]| -> candle_core::Result<Linear> {
            let weights = names.iter().map(|n| take(t, &format!("{n}.weight"))).collect::<Result<Vec<_>, _>>()?;
            let biases = names.iter().map(|n| take(t, &format!("{n}.bias"))).collect::<Result<Vec<_>, _>>()?;
            Linear::from_parts(&weights, &biases)
        };
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let attention = [
                format!("{p}.attention.self.query"),
                format!("{p}.attention.self.key"),
                format!("{p}.attention.self.value"),
            ];
            layers.push(Layer {
                qkv: linear(t, &attention.iter().map(String::as_str).collect::<Vec<_>>())?,
                attention_out: linear(t, &[&format!("{p}.attention.output.dense")])?,
                attention_norm: norm(t, &format!("{p}.attention.output.LayerNorm"))?,
                intermediate: linear(t, &[&format!("{p}.intermediate.dense")])?,
                output: linear(t, &[&format!("{p}.output.dense")])?,
                output_norm: norm(t, &format!("{p}.output.LayerNorm"))?,
            });
        }
        let hidden = config.hidden_size;
        let word = take_vec(t, "embeddings.word_embeddings.weight")?;
        let position = take_vec(t, "embeddings.position_embeddings.weight")?;
        let mut token_type0 = take_vec(t, "embeddings.token_type_embeddings.weight")?;
        token_type0.truncate(hidden);
        let shapes_ok = hidden > 0
            && word.len().is_multiple_of(hidden)
            && position.len().is_multiple_of(hidden)
            && token_type0.len() == hidden
            && layers.iter().all(|l| l.qkv.inputs == hidden && l.qkv.outputs == 3 * hidden);
        if !shapes_ok {
            return Err(candle_core::Error::Msg(format!("the model's tensors do not fit hidden_size {hidden}")));
        }
        Ok(Encoder {
            vocab: word.len() / hidden,
            positions: position.len() / hidden,
            word,
            position,
            token_type0,
            embed_norm: norm(t, "embeddings.LayerNorm")?,
            layers,
            heads: config.num_attention_heads,
            hidden,
        })
    }

    /// One mean-pooled, L2-normalised vector per token sequence (each at least one token and
    /// at most as long as the model's position embeddings; ids must be in the vocabulary).
    pub fn embed(&self, seqs: &[&[u32]]) -> candle_core::Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let mut starts = Vec::with_capacity(seqs.len() + 1);
        starts.push(0usize);
        for s in seqs {
            if s.is_empty() || s.len() > self.positions {
                return Err(candle_core::Error::Msg(format!("a text of {} tokens (1 to {})", s.len(), self.positions)));
            }
            if let Some(bad) = s.iter().find(|&&id| id as usize >= self.vocab) {
                return Err(candle_core::Error::Msg(format!("token id {bad} is outside the vocabulary")));
            }
            starts.push(starts[starts.len() - 1] + s.len());
        }
        let tokens = starts[seqs.len()];
        let mut x = vec![0f32; tokens * h];
        for (s, seq) in seqs.iter().enumerate() {
            for (j, &id) in seq.iter().enumerate() {
                let row = &mut x[(starts[s] + j) * h..][..h];
                let word = &self.word[id as usize * h..][..h];
                let position = &self.position[j * h..][..h];
                for (((r, w), p), t) in row.iter_mut().zip(word).zip(position).zip(&self.token_type0) {
                    *r = w + p + t;
                }
            }
        }
        self.embed_norm.forward(&mut x);
        let inner_width = self.layers.first().map_or(0, |l| l.intermediate.outputs);
        let mut qkv = vec![0f32; tokens * 3 * h];
        let mut context = vec![0f32; tokens * h];
        let mut attended = vec![0f32; tokens * h];
        let mut inner = vec![0f32; tokens * inner_width];
        for layer in &self.layers {
            layer.qkv.forward(&x, None, &mut qkv);
            self.attention(&qkv, &starts, &mut context);
            layer.attention_out.forward(&context, Some(&x), &mut attended);
            layer.attention_norm.forward(&mut attended);
            layer.intermediate.forward(&attended, None, &mut inner);
            gelu_in_place(&mut inner);
            layer.output.forward(&inner, Some(&attended), &mut x);
            layer.output_norm.forward(&mut x);
        }
        Ok(starts.windows(2).map(|w| mean_normalised(&x[w[0] * h..w[1] * h], h)).collect())
    }

    /// Scaled dot-product attention of every text and head: `context` rows of text `s` get
    /// softmax(Q Kᵀ / √d) V over that text's rows of `qkv` only.
    fn attention(&self, qkv: &[f32], starts: &[usize], context: &mut [f32]) {
        let (h, d) = (self.hidden, self.hidden / self.heads);
        let scale = 1.0 / (d as f32).sqrt();
        let stride = 3 * h;
        let out = SharedMut(context.as_mut_ptr());
        let tasks: Vec<(usize, usize)> =
            (0..starts.len() - 1).flat_map(|s| (0..self.heads).map(move |head| (s, head))).collect();
        tasks.par_iter().for_each_init(Vec::new, |scores: &mut Vec<f32>, &(s, head)| {
            let (start, len) = (starts[s], starts[s + 1] - starts[s]);
            scores.clear();
            scores.resize(len * len, 0.0);
            let q = qkv[start * stride + head * d..].as_ptr();
            let k = qkv[start * stride + h + head * d..].as_ptr();
            let v = qkv[start * stride + 2 * h + head * d..].as_ptr();
            // SAFETY: Q, K and V of this text and head are `len` rows of `d` floats at row
            // stride 3h inside `qkv` (starts[s + 1] ≤ tokens); the scores are len × len;
            // this task alone writes rows start..start+len, columns head·d..(head+1)·d of
            // `context` (tokens × h), which no other task touches and nothing reads meanwhile.
            unsafe {
                // scores = scale · Q Kᵀ: Kᵀ(c, t) = K(t, c) is K read with its strides swapped.
                gemm::gemm(
                    len,
                    len,
                    d,
                    scores.as_mut_ptr(),
                    1,
                    len as isize,
                    false,
                    q,
                    1,
                    stride as isize,
                    k,
                    stride as isize,
                    1,
                    0.0,
                    scale,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
                scores.chunks_mut(len).for_each(softmax_in_place);
                gemm::gemm(
                    len,
                    d,
                    len,
                    out.ptr().add(start * h + head * d),
                    1,
                    h as isize,
                    false,
                    scores.as_ptr(),
                    1,
                    len as isize,
                    v,
                    1,
                    stride as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
        });
    }
}

/// The mean of `rows` (each `width` floats), scaled to unit length.
fn mean_normalised(rows: &[f32], width: usize) -> Vec<f32> {
    let count = (rows.len() / width).max(1);
    let mut mean = vec![0f32; width];
    for row in rows.chunks(width) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= count as f32);
    let norm = mean.iter().map(|m| m * m).sum::<f32>().sqrt().max(1e-12);
    mean.iter_mut().for_each(|m| *m /= norm);
    mean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_averages_rows_and_normalises() {
        let v = mean_normalised(&[3.0, 4.0, 3.0, 4.0], 2);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6, "{v:?}");
        assert_eq!(mean_normalised(&[0.0, 0.0], 2), vec![0.0, 0.0], "a zero vector stays zero");
    }
}
