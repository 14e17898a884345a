//! `papertide export [-o FILE]`: every paper as papertide JSON Lines, in id order, streamed.
//! The output round-trips through `papertide import` without loss.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use papertide_store::StoreError;

use crate::config::Config;

/// Arguments of `papertide export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write here instead of standard output (a `.gz` name compresses)
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
            if path.extension().is_some_and(|e| e == "gz") {
                Box::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()))
            } else {
                Box::new(file)
            }
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let mut count = 0u64;
    store
        .for_each_paper(&mut |paper| {
            papertide_ingest::export::write_paper(&mut out, &paper).map_err(|e| StoreError::Callback(e.to_string()))?;
            count += 1;
            Ok(())
        })
        .context("exporting papers")?;
    out.into_inner().map_err(|e| e.into_error()).context("flushing the output")?.flush()?;
    eprintln!("exported {count} papers");
    Ok(ExitCode::SUCCESS)
}
