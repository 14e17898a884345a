//! The PostgreSQL [`Store`](crate::Store): [`PgStore`], for several web replicas over one
//! database.
//!
//! The same behaviour as [`crate::SqliteStore`], module for module (the store test suite runs
//! against both): paper rows in [`papers`], accounts and sessions in [`users`], the feed in
//! [`feed`], and so on; the schema in [`migrations`], connections in [`pool`].
//!
//! Concurrency: SQLite has one writer; here several processes write at once. Every write runs
//! in a `SERIALIZABLE` transaction ([`PgStore::write`]) that is retried when Postgres reports a
//! serialization failure or a deadlock, so the read-then-write logic shared with SQLite stays
//! correct. Paper upserts also hold an advisory lock from before their transaction starts
//! ([`PgStore::write_locked`]), so that change numbers (`seq`) commit in order and a replica
//! following the change feed never skips one.

mod community;
mod embeddings;
mod feed;
mod library;
mod mail;
pub mod migrations;
mod papers;
pub mod pool;
mod store;
pub mod testing;
mod tokens;
mod users;
mod votes_comments;

use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Config, IsolationLevel, Transaction};

use crate::StoreError;
use pool::Pool;

/// Most attempts of one write transaction that keeps meeting serialization failures.
const MAX_ATTEMPTS: u32 = 12;

/// The PostgreSQL store.
pub struct PgStore {
    /// Where it connects (password masked in `Debug`).
    target: String,
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("target", &self.target).finish_non_exhaustive()
    }
}

/// `user@host:port/dbname` of a connection config, never the password.
pub fn describe_target(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or("(default user)"),
        config.get_dbname().unwrap_or("(default database)")
    )
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`, or
    /// key=value form), with at most `max_connections` open at once, and migrates it.
    pub fn open(url: &str, max_connections: usize) -> Result<PgStore, StoreError> {
        let config: Config = url.parse().map_err(|e: postgres::Error| StoreError::BadUrl { reason: e.to_string() })?;
        PgStore::open_config(config, max_connections)
    }

    /// [`PgStore::open`] with parsed settings.
    pub fn open_config(config: Config, max_connections: usize) -> Result<PgStore, StoreError> {
        let target = describe_target(&config);
        let pool = Pool::new(config, max_connections);
        let mut conn = pool.get().map_err(|e| StoreError::Connect { target: target.clone(), reason: e.to_string() })?;
        migrations::run(&mut conn)?;
        drop(conn);
        Ok(PgStore { target, pool })
    }

    /// `user@host:port/dbname`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs `f` on a pooled connection (reads, outside any transaction).
    pub fn read<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        f(&mut conn)
    }

    /// Runs `f` in a `SERIALIZABLE` transaction and commits it, retrying the whole of `f` when
    /// Postgres reports a serialization failure or a deadlock (so `f` must only touch the
    /// database).
    pub fn write<T>(&self, f: impl FnMut(&mut Transaction<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        write_on(&mut conn, f)
    }

    /// [`PgStore::write`] holding the session-level advisory lock `key` from before the
    /// transaction starts until after it ends. Taking the lock inside the transaction is not
    /// the same: its snapshot is fixed by the first statement, the one that waits for the
    /// lock, so once a waiting writer gets the lock it reads what was committed before it
    /// waited, collides with the writer it waited for, and retries, over and over while
    /// others keep writing (and with enough writers it runs out of attempts).
    pub fn write_locked<T>(
        &self,
        key: i64,
        f: impl FnMut(&mut Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        conn.execute("SELECT pg_advisory_lock($1)", &[&key])?;
        let locked = SessionLock { conn: &mut conn, key };
        write_on(&mut *locked.conn, f)
    }

    /// The pool (for `migrate` and tests that need a raw connection).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// The retry loop of [`PgStore::write`] on one connection.
fn write_on<T>(
    conn: &mut Client,
    mut f: impl FnMut(&mut Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut attempt = 1;
    loop {
        let result = (|| {
            let mut tx = conn.build_transaction().isolation_level(IsolationLevel::Serializable).start()?;
            let value = f(&mut tx)?;
            tx.commit()?;
            Ok(value)
        })();
        match result {
            Err(StoreError::Postgres(e)) if is_retryable(&e) && attempt < MAX_ATTEMPTS => {
                tracing::debug!(attempt, error = %e, "retrying a write transaction");
                std::thread::sleep(backoff(attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A session-level advisory lock, released when dropped (also when the write fails or
/// panics, so the connection never goes back to the pool holding it).
struct SessionLock<'c> {
    conn: &'c mut Client,
    key: i64,
}

impl Drop for SessionLock<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.conn.execute("SELECT pg_advisory_unlock($1)", &[&self.key]) {
            // The connection is broken: Postgres releases the lock when the session ends.
            tracing::warn!(error = %e, key = self.key, "could not release an advisory lock");
        }
    }
}

/// True for the errors after which running the transaction again can succeed.
fn is_retryable(e: &postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// 1, 2, 4 … ms (capped at 64) plus a little jitter from the clock, so that two writers that
/// collided do not collide again in step.
fn backoff(attempt: u32) -> Duration {
    let base = 1u64 << attempt.min(6);
    let jitter = u64::from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_micros() % 1000,
    );
    Duration::from_micros(base * 1000 + jitter)
}
