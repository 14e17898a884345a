//! [`Lease`]: a singleton job across processes (the digest scheduler and the background
//! embedder when several web replicas share one database), over [`Store::try_lease`].
//!
//! The holder renews the lease whenever a third of its time has passed; if it dies, another
//! process takes over once the lease has expired (at most `ttl` later). On SQLite the same
//! code runs; there is usually only one process.

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::{Store, StoreError};

/// One process's claim on a named lease.
pub struct Lease<'s> {
    store: &'s dyn Store,
    name: String,
    holder: String,
    ttl: Duration,
    /// When the lease was last taken or renewed by us (`None`: not held).
    renewed: Option<Instant>,
}

impl std::fmt::Debug for Lease<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease").field("name", &self.name).field("holder", &self.holder).finish_non_exhaustive()
    }
}

/// A name for this process, unique among the processes sharing a database: host, process id
/// and start time.
pub fn process_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{host}:{}:{nanos}", std::process::id())
}

impl<'s> Lease<'s> {
    /// A lease `name` for `holder` (see [`process_id`]), held for `ttl` at a time.
    pub fn new(store: &'s dyn Store, name: &str, holder: &str, ttl: Duration) -> Lease<'s> {
        Lease { store, name: name.to_string(), holder: holder.to_string(), ttl, renewed: None }
    }

    /// Takes the lease, or renews it once a third of `ttl` has passed; true while this
    /// process holds it.
    pub fn keep(&mut self) -> Result<bool, StoreError> {
        if self.renewed.is_some_and(|at| at.elapsed() < self.ttl / 3) {
            return Ok(true);
        }
        let started = Instant::now();
        let held = self.store.try_lease(&self.name, &self.holder, Utc::now(), self.ttl)?;
        if held && self.renewed.is_none() {
            tracing::info!(lease = %self.name, holder = %self.holder, "took the lease");
        } else if !held && self.renewed.is_some() {
            tracing::warn!(lease = %self.name, holder = %self.holder, "lost the lease to another process");
        }
        self.renewed = held.then_some(started);
        Ok(held)
    }

    /// [`Lease::keep`], with a store error counted as not holding it (logged).
    pub fn held(&mut self) -> bool {
        self.keep().unwrap_or_else(|e| {
            tracing::error!(lease = %self.name, error = %e, "could not renew the lease");
            self.renewed = None;
            false
        })
    }

    /// Gives the lease up (a clean shutdown lets another process take over at once).
    pub fn release(&mut self) {
        if self.renewed.take().is_some() {
            if let Err(e) = self.store.release_lease(&self.name, &self.holder) {
                tracing::warn!(lease = %self.name, error = %e, "could not release the lease");
            }
        }
    }
}
