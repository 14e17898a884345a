//! One module per subcommand. Each exposes clap `Args` and a `run(&Config, Args)`.

pub mod admin;
pub mod backup;
pub mod db;
pub mod digest;
pub mod eval;
pub mod export;
pub mod harvest;
pub mod import;
pub mod migrate;
pub mod model;
pub mod search;
pub mod serve;
mod sink;
pub mod stats;
pub mod token;
pub mod vectors;

use std::sync::Arc;

use anyhow::Context;
use papertide_store::{PgStore, SqliteStore, Store};

use crate::config::{mask_password, Config};

/// Opens the configured store: PostgreSQL when `[database] url` is set, else SQLite in the
/// data directory.
pub fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    match &config.database.url {
        Some(url) => Ok(Arc::new(
            PgStore::open(url, config.database.max_connections)
                .with_context(|| format!("opening the database {}", mask_password(url)))?,
        )),
        None => Ok(Arc::new(open_sqlite(config)?)),
    }
}

/// Opens the SQLite store in the data directory (what `backup`, `restore` and `migrate` read).
pub fn open_sqlite(config: &Config) -> anyhow::Result<SqliteStore> {
    SqliteStore::open_dir(&config.data_dir)
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))
}
