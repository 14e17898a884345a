//! `papertide embed import FILE`: vectors computed elsewhere ("user-provided vectors"), for
//! admins who embed on another machine (a GPU box, a hosted service).
//!
//! The file is JSON Lines (`{"id": ..., "vector": [...]}` per line, optionally `"model"`) or
//! a NumPy `.npy` array with its ids in a text file (`--ids`, one per line, row by row); both
//! are read by `papertide_search::vector_file` and stored by
//! `SearchEngine::import_vectors`. `--model` must name the model queries are embedded with
//! (all-MiniLM-L6-v2); each vector is checked (384 values, finite, not zero), normalised and
//! stored like a computed embedding, so `papertide embed` skips those papers. Bad records are
//! reported with their line or row and the rest is imported; Ctrl-C stops after the current
//! batch and a rerun is safe (vectors are replaced, never duplicated). Exit code 3 when any
//! record was refused, as `papertide import`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use papertide_search::vector_file::VectorFile;

use crate::config::Config;
use crate::progress::Progress;

/// Arguments of `papertide embed import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// JSON Lines of `{"id", "vector"}` records, or a .npy array of shape (papers, 384)
    file: PathBuf,
    /// The model that made the vectors; must be the one queries are embedded with
    /// (all-MiniLM-L6-v2)
    #[arg(long)]
    model: String,
    /// For a .npy file: the paper ids, one per line, in row order
    #[arg(long, value_name = "FILE")]
    ids: Option<PathBuf>,
    /// Vectors per batch (each batch is stored before the next is read)
    #[arg(long, default_value_t = 1000)]
    batch: usize,
}

pub fn import(config: &Config, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let file = VectorFile::open(&args.file, args.ids.as_deref()).context("opening the vectors")?;
    let engine = super::search::open_engine(config)?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let flag = stop.clone();
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let mut bar = match file.len_hint() {
        Some(rows) => Progress::items("importing vectors", rows, "vectors"),
        None => Progress::new("importing vectors", None),
    };
    let report = engine
        .import_vectors(file, &args.model, args.batch, &mut |n| bar.update(n, 0), &stop)
        .with_context(|| format!("importing {}", args.file.display()))?;
    let elapsed = bar.finish();
    for bad in &report.bad {
        eprintln!("{}: {}: {}", args.file.display(), bad.at, bad.reason);
    }
    if report.rejected > report.bad.len() as u64 {
        eprintln!("... and {} more refused records", report.rejected - report.bad.len() as u64);
    }
    eprintln!(
        "imported {} vectors from {} records in {:.1} s; {} refused",
        report.imported,
        report.read,
        elapsed.as_secs_f64(),
        report.rejected
    );
    if stop.load(Ordering::SeqCst) {
        eprintln!("interrupted: stored batches are kept; run the same command again to finish");
        return Ok(ExitCode::from(130));
    }
    Ok(if report.rejected > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}
