//! The one [`Config`] of papertide, layered: defaults, then a TOML file, then `PAPERTIDE_*`
//! environment variables, then command-line flags (applied by `main`).
//!
//! The file is `--config FILE` (or `PAPERTIDE_CONFIG`), else `papertide.toml` in the data
//! directory when it exists. Nested keys use `__` in the environment, e.g.
//! `PAPERTIDE_HARVEST__MIN_INTERVAL_MS=5000`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Everything papertide can be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Directory holding the database and indexes (`PAPERTIDE_DATA_DIR`, `--data-dir`).
    /// Default: the platform data directory, e.g. `~/.local/share/papertide`.
    pub data_dir: PathBuf,
    /// Import settings.
    pub import: ImportConfig,
    /// Live arXiv clients (`papertide harvest`).
    pub harvest: papertide_ingest::harvest::HarvestConfig,
    /// Directory of the embedding model (all-MiniLM-L6-v2) [default: DATA_DIR/models/all-MiniLM-L6-v2;
    /// `PAPERTIDE_MODEL_DIR` overrides]. Without it, search runs in keyword mode.
    pub model_dir: Option<PathBuf>,
    /// Where `papertide serve` listens (`PAPERTIDE_ADDR`, `--addr`).
    pub addr: String,
    /// The web application (`[web]`; e.g. `PAPERTIDE_WEB__SECURE_COOKIES=true`).
    pub web: papertide_web::WebConfig,
    /// Email: digests, confirmations, SMTP (`[mail]`; e.g. `PAPERTIDE_MAIL__ENABLED=true`,
    /// `PAPERTIDE_MAIL__SMTP__HOST=smtp.example.org`). The SMTP password is masked in logs.
    pub mail: papertide_mail::config::MailConfig,
    /// The database (`[database]`): SQLite in the data directory unless `url` names a
    /// PostgreSQL server (`PAPERTIDE_DATABASE__URL`, `--database-url`).
    pub database: DatabaseConfig,
    /// Search (`[search]`; e.g. `PAPERTIDE_SEARCH__VECTORS=int8`).
    pub search: SearchConfig,
}

/// Settings of the search indexes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchConfig {
    /// How the vector index stores vectors once it is an HNSW graph (above 20,000 papers):
    /// `"f32"` (default, exact), `"f16"` (half the memory) or `"int8"` (a quarter; recall@10
    /// against exact search in docs/SEARCH.md, "Compact vectors"). A saved index of another
    /// type is re-encoded at the next start.
    pub vectors: papertide_search::vector::Element,
    /// Threads one keyword search may use (0, the default: one per core). A large index is
    /// kept in this many segments, searched at the same time; 1 gives the most searches per
    /// second on a busy server, more gives the lowest latency per search.
    pub keyword_threads: usize,
}

/// Which database holds the data.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `postgres://USER:PASSWORD@HOST:PORT/DBNAME` for PostgreSQL (several web replicas over
    /// one database); unset: SQLite, `DATA_DIR/papertide.db`. The password is masked in logs.
    pub url: Option<String>,
    /// Most connections one process opens to PostgreSQL (each web replica, each command).
    pub max_connections: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig { url: None, max_connections: 16 }
    }
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &self.url.as_deref().map(mask_password))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// A database URL with its password replaced by `***` (`postgres://ada:***@db/papertide`).
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// Settings of `papertide import`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportConfig {
    /// Papers written per transaction. Larger is faster; each committed batch survives a crash.
    pub batch_size: usize,
}

impl Default for ImportConfig {
    fn default() -> Self {
        ImportConfig { batch_size: 5_000 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: default_data_dir(),
            import: ImportConfig::default(),
            harvest: Default::default(),
            model_dir: None,
            addr: "127.0.0.1:8000".to_string(),
            web: Default::default(),
            mail: Default::default(),
            database: Default::default(),
            search: Default::default(),
        }
    }
}

/// The platform data directory plus `papertide`, or `./papertide-data` where there is none.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir().map(|d| d.join("papertide")).unwrap_or_else(|| PathBuf::from("papertide-data"))
}

impl Config {
    /// The model directory in effect: the configured one, else `DATA_DIR/models/all-MiniLM-L6-v2`.
    pub fn model_dir(&self) -> PathBuf {
        self.model_dir.clone().unwrap_or_else(|| self.data_dir.join("models").join("all-MiniLM-L6-v2"))
    }

    /// Loads defaults, the config file and the environment. `data_dir_flag` wins over all.
    pub fn load(
        config_file: Option<&Path>,
        data_dir_flag: Option<&Path>,
        database_url_flag: Option<&str>,
    ) -> anyhow::Result<Config> {
        let env_file = std::env::var_os("PAPERTIDE_CONFIG").map(PathBuf::from);
        let explicit = config_file.map(Path::to_path_buf).or(env_file);
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = &explicit {
            anyhow::ensure!(file.exists(), "config file {} does not exist", file.display());
            figment = figment.merge(Toml::file(file));
        } else {
            // The data dir may itself come from the environment or the flag.
            let dir = data_dir_flag
                .map(Path::to_path_buf)
                .or_else(|| std::env::var_os("PAPERTIDE_DATA_DIR").map(PathBuf::from))
                .unwrap_or_else(default_data_dir);
            let implicit = dir.join("papertide.toml");
            if implicit.exists() {
                figment = figment.merge(Toml::file(implicit));
            }
        }
        figment = figment.merge(Env::prefixed("PAPERTIDE_").ignore(&["CONFIG", "LOG"]).split("__"));
        let mut config: Config = figment.extract().context("invalid configuration")?;
        if let Some(dir) = data_dir_flag {
            config.data_dir = dir.to_path_buf();
        }
        if let Some(url) = database_url_flag {
            config.database.url = Some(url.to_string());
        }
        if config.database.url.as_deref().is_some_and(str::is_empty) {
            config.database.url = None;
        }
        anyhow::ensure!(config.database.max_connections > 0, "database.max_connections must be at least 1");
        anyhow::ensure!(config.import.batch_size > 0, "import.batch_size must be at least 1");
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flag_layering() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "data_dir = \"/from/file\"\n[import]\nbatch_size = 7\n").unwrap();
        let c = Config::load(Some(&file), None, None).unwrap();
        assert_eq!(c.import.batch_size, 7);
        let c = Config::load(Some(&file), Some(Path::new("/from/flag")), None).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/from/flag"));
        std::fs::write(&file, "[import]\nbatch_size = 0\n").unwrap();
        assert!(Config::load(Some(&file), None, None).is_err());
    }

    #[test]
    fn the_database_url_comes_from_the_file_or_the_flag_and_its_password_is_masked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[database]\nurl = \"postgres://ada:s3cret@db.internal:5432/papertide\"\n").unwrap();
        let c = Config::load(Some(&file), None, None).unwrap();
        assert_eq!(c.database.url.as_deref(), Some("postgres://ada:s3cret@db.internal:5432/papertide"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://ada:***@db.internal:5432/papertide"), "{shown}");
        let c = Config::load(Some(&file), None, Some("postgres://bob@other/db")).unwrap();
        assert_eq!(c.database.url.as_deref(), Some("postgres://bob@other/db"));
        assert_eq!(mask_password("postgres://u:p:q@h/d"), "postgres://u:***@h/d");
        assert_eq!(mask_password("postgres://h/d"), "postgres://h/d");
    }
}
