//! The MiniLM embedder against golden values, and its batching, truncation and options.
//!
//! `shared/data/models/all-MiniLM-L6-v2/reference_check.json` (beside the repository;
//! override the data directory with `PAPERTIDE_SHARED_DATA`) holds token ids and the first 8
//! dimensions from a numpy BERT forward pass over the same weights, and per-document
//! embedding sums (the numpy ones, and the ones fastembed-rs publishes, Apache-2.0).

use papertide_search::embed::model::{self, WEIGHTS_FILE};
use papertide_search::embed::{EmbedError, EmbedOptions, Embedder, MiniLmEmbedder};
use serde::Deserialize;

use crate::common::{dot, embedder, max_abs_diff, model_files};

const TOLERANCE: f64 = 1e-4;

#[derive(Deserialize)]
struct Reference {
    text: String,
    token_ids: Vec<u32>,
    sum: f64,
    fastembed_expected_sum: f64,
    first8: Vec<f64>,
}

fn references() -> Vec<Reference> {
    let path = crate::common::shared_data().join("models/all-MiniLM-L6-v2/reference_check.json");
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&json).expect("reference_check.json parses")
}

#[test]
fn reference_check_matches_numpy_and_fastembed() {
    let Some(embedder) = embedder() else { return };
    let refs = references();
    assert_eq!(refs.len(), 4);
    let texts: Vec<&str> = refs.iter().map(|r| r.text.as_str()).collect();
    // One call: the four texts share padded batches, so this also checks the masking.
    let vectors = embedder.embed(&texts).unwrap();
    for (r, v) in refs.iter().zip(&vectors) {
        // The reference ids are padded to 128 with [PAD]=0; ours are not padded at all.
        let ids = embedder.token_ids(&r.text).unwrap();
        assert_eq!(ids[..], r.token_ids[..ids.len()], "token ids of {:?}", r.text);
        assert!(r.token_ids[ids.len()..].iter().all(|&id| id == 0), "{:?}", r.text);

        assert_eq!(v.len(), 384);
        let first8_diff = v[..8].iter().zip(&r.first8).map(|(&a, &b)| (f64::from(a) - b).abs()).fold(0.0, f64::max);
        let sum: f64 = v.iter().map(|&x| f64::from(x)).sum();
        let sum_diff = (sum - r.sum).abs();
        let fastembed_diff = (sum - r.fastembed_expected_sum).abs();
        eprintln!(
            "{:<45} tokens {:>2}  first8 max|d| {first8_diff:.2e}  sum {sum:+.8} \
             |d numpy| {sum_diff:.2e}  |d fastembed| {fastembed_diff:.2e}",
            format!("{:?}", r.text),
            ids.len()
        );
        assert!(first8_diff < TOLERANCE, "first 8 dims of {:?}: {first8_diff}", r.text);
        assert!(sum_diff < TOLERANCE, "sum of {:?}: {sum} vs {}", r.text, r.sum);
        assert!(fastembed_diff < TOLERANCE, "fastembed sum of {:?}", r.text);
    }
}

#[test]
fn batching_and_sorting_do_not_change_vectors() {
    let Some(files) = model_files() else { return };
    let texts = [
        "Short.",
        "A considerably longer sentence about graph neural networks for molecules.",
        "",
        "Medium length text on retrieval.",
        "Hello, World!",
    ];
    let one_by_one =
        MiniLmEmbedder::load_with(&files, EmbedOptions { batch_size: 1, ..EmbedOptions::default() }).unwrap();
    let unsorted = MiniLmEmbedder::load_with(
        &files,
        EmbedOptions { batch_size: 2, sort_by_length: false, ..EmbedOptions::default() },
    )
    .unwrap();
    let expected = one_by_one.embed(&texts).unwrap();
    for got in [unsorted.embed(&texts).unwrap(), embedder().unwrap().embed(&texts).unwrap()] {
        for (e, g) in expected.iter().zip(&got) {
            assert!(max_abs_diff(e, g) < 1e-5, "padding changed a vector");
        }
    }
}

#[test]
fn vectors_have_unit_length_and_keep_input_order() {
    let Some(embedder) = embedder() else { return };
    assert!(embedder.embed(&[]).unwrap().is_empty());
    assert_eq!(embedder.dim(), 384);
    assert_eq!(embedder.model_name(), "sentence-transformers/all-MiniLM-L6-v2");
    let texts = ["b b b b b b b b b", "a", "c c c"];
    let batch = embedder.embed(&texts).unwrap();
    for (text, v) in texts.iter().zip(&batch) {
        let norm = dot(v, v).sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        let single = embedder.embed(&[text]).unwrap();
        assert!(max_abs_diff(v, &single[0]) < 1e-5, "order of {text:?}");
    }
}

#[test]
fn long_texts_are_truncated_to_256_tokens() {
    let Some(embedder) = embedder() else { return };
    let long = "retrieval ".repeat(400);
    let longer = format!("{long} with a tail that falls past the limit");
    assert_eq!(embedder.token_ids(&long).unwrap().len(), 256);
    let v = embedder.embed(&[&long, &longer]).unwrap();
    assert!(v[0].iter().all(|x| x.is_finite()));
    assert!(max_abs_diff(&v[0], &v[1]) < 1e-6, "text past 256 tokens must not matter");
}

#[test]
fn similar_texts_score_higher() {
    let Some(embedder) = embedder() else { return };
    let v = embedder
        .embed(&[
            "A convolutional neural network for image classification",
            "Deep learning models that recognise objects in pictures",
            "Quarterly earnings of the retail bank fell sharply",
        ])
        .unwrap();
    let related = dot(&v[0], &v[1]);
    let unrelated = dot(&v[0], &v[2]);
    assert!(related > unrelated + 0.2, "related {related}, unrelated {unrelated}");
}

#[test]
fn bad_options_are_rejected() {
    let Some(files) = model_files() else { return };
    for options in [
        EmbedOptions { batch_size: 0, ..EmbedOptions::default() },
        EmbedOptions { max_seq_len: 513, ..EmbedOptions::default() },
    ] {
        let err = MiniLmEmbedder::load_with(&files, options).unwrap_err();
        assert!(matches!(err, EmbedError::Options(_)), "{err}");
    }
}

#[test]
fn installed_model_verifies() {
    let Some(files) = model_files() else { return };
    let verified = model::verify(&files.dir).unwrap();
    assert_eq!(verified.weights(), files.dir.join(WEIGHTS_FILE));
}
