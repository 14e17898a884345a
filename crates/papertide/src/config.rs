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
    pub fn load(config_file: Option<&Path>, data_dir_flag: Option<&Path>) -> anyhow::Result<Config> {
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
        let c = Config::load(Some(&file), None).unwrap();
        assert_eq!(c.import.batch_size, 7);
        let c = Config::load(Some(&file), Some(Path::new("/from/flag"))).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/from/flag"));
        std::fs::write(&file, "[import]\nbatch_size = 0\n").unwrap();
        assert!(Config::load(Some(&file), None).is_err());
    }
}
