//! Throwaway databases for tests of every crate: [`TestDatabase::from_env`] creates a fresh,
//! uniquely named database on the server named by `PAPERTIDE_TEST_POSTGRES` (a URL of a
//! database the test user may `CREATE DATABASE` from, e.g. `postgres://papertide@127.0.0.1:5433/postgres`)
//! and drops it again when dropped. Without the variable, tests run on SQLite only; `.ci/run`
//! starts a local Postgres and sets it, with `PAPERTIDE_TEST_POSTGRES_REQUIRED=1` so that a
//! missing server fails the run instead of skipping.

use std::sync::atomic::{AtomicU64, Ordering};

use postgres::{Config, NoTls};

use super::PgStore;
use crate::StoreError;

/// The variable naming the test server.
pub const ENV: &str = "PAPERTIDE_TEST_POSTGRES";
/// Set (to anything) to make a missing [`ENV`] an error rather than a skip.
pub const REQUIRED_ENV: &str = "PAPERTIDE_TEST_POSTGRES_REQUIRED";

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A database that exists until this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    admin: Config,
    name: String,
    config: Config,
}

impl TestDatabase {
    /// A fresh database on the server `PAPERTIDE_TEST_POSTGRES` names; `Ok(None)` when the
    /// variable is unset (and [`REQUIRED_ENV`] is not).
    pub fn from_env() -> Result<Option<TestDatabase>, StoreError> {
        match std::env::var(ENV) {
            Ok(url) if !url.is_empty() => TestDatabase::create(&url).map(Some),
            _ if std::env::var_os(REQUIRED_ENV).is_some() => {
                Err(StoreError::BadUrl { reason: format!("{REQUIRED_ENV} is set but {ENV} is not") })
            }
            _ => Ok(None),
        }
    }

    /// A fresh database on the server of `admin_url`.
    pub fn create(admin_url: &str) -> Result<TestDatabase, StoreError> {
        let admin: Config =
            admin_url.parse().map_err(|e: postgres::Error| StoreError::BadUrl { reason: e.to_string() })?;
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
        let name = format!("papertide_test_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut client = admin.connect(NoTls)?;
        client.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let mut config = admin.clone();
        config.dbname(&name);
        Ok(TestDatabase { admin, name, config })
    }

    /// The database's connection settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Opens a store on it (with migrations).
    pub fn open(&self) -> Result<PgStore, StoreError> {
        PgStore::open_config(self.config.clone(), 8)
    }

    /// A `postgres://` URL of it.
    pub fn url(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let user = self.config.get_user().unwrap_or("postgres");
        match self.config.get_password() {
            Some(p) => format!("postgres://{user}:{}@{host}:{port}/{}", String::from_utf8_lossy(p), self.name),
            None => format!("postgres://{user}@{host}:{port}/{}", self.name),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let dropped = self
            .admin
            .connect(NoTls)
            .and_then(|mut c| c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)));
        if let Err(e) = dropped {
            tracing::warn!(database = %self.name, error = %e, "could not drop a test database");
        }
    }
}
