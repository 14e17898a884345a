//! One module per subcommand. Each exposes clap `Args` and a `run(&Config, Args)`.

pub mod admin;
pub mod backup;
pub mod db;
pub mod digest;
pub mod eval;
pub mod export;
pub mod harvest;
pub mod import;
pub mod model;
pub mod search;
pub mod serve;
mod sink;
pub mod stats;
pub mod token;

use anyhow::Context;
use papertide_store::SqliteStore;

use crate::config::Config;

/// Opens the store in the configured data directory.
pub fn open_store(config: &Config) -> anyhow::Result<SqliteStore> {
    SqliteStore::open_dir(&config.data_dir)
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))
}
