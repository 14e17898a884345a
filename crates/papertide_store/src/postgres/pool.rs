//! A small blocking connection pool for [`super::PgStore`].
//!
//! At most `max` connections are open at once; a caller past that waits (up to
//! [`CHECKOUT_TIMEOUT`]) for one to come back. A connection that was idle for a while is
//! checked with an empty query before use, and one that failed (the server restarted, the
//! network dropped) is closed instead of going back to the pool, so a Postgres restart costs
//! the requests in flight and nothing after it.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::{Client, Config, NoTls};

use crate::StoreError;

/// How long a caller waits for a free connection before giving up.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection idle longer than this is checked before it is handed out.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(2);
/// Most idle connections kept open.
const MAX_IDLE: usize = 32;

struct Idle {
    client: Client,
    since: Instant,
}

struct Inner {
    idle: Vec<Idle>,
    open: usize,
}

/// The pool.
pub struct Pool {
    config: Config,
    max: usize,
    inner: Mutex<Inner>,
    returned: Condvar,
}

/// A connection on loan; it goes back to the pool when dropped unless it broke.
pub struct Conn<'p> {
    pool: &'p Pool,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("a loaned connection is present until drop")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("a loaned connection is present until drop")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else { return };
        let mut inner = self.pool.lock();
        if client.is_closed() || inner.idle.len() >= MAX_IDLE {
            inner.open -= 1;
        } else {
            inner.idle.push(Idle { client, since: Instant::now() });
        }
        drop(inner);
        self.pool.returned.notify_one();
    }
}

impl Pool {
    /// A pool of at most `max` connections to the database `config` names.
    pub fn new(config: Config, max: usize) -> Pool {
        Pool {
            config,
            max: max.max(1),
            inner: Mutex::new(Inner { idle: Vec::new(), open: 0 }),
            returned: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a new connection (not counted against the pool: the caller accounts for it).
    pub fn connect(&self) -> Result<Client, StoreError> {
        self.config.connect(NoTls).map_err(StoreError::from)
    }

    /// Takes a connection: an idle one (checked if it sat for a while), else a new one, else
    /// waits for one to come back.
    pub fn get(&self) -> Result<Conn<'_>, StoreError> {
        let deadline = Instant::now() + CHECKOUT_TIMEOUT;
        let mut inner = self.lock();
        loop {
            if let Some(idle) = inner.idle.pop() {
                drop(inner);
                let mut client = idle.client;
                if idle.since.elapsed() < CHECK_IDLE_AFTER || client.simple_query("").is_ok() {
                    return Ok(Conn { pool: self, client: Some(client) });
                }
                // A dead connection (the server restarted): forget it and try again.
                inner = self.lock();
                inner.open -= 1;
                continue;
            }
            if inner.open < self.max {
                inner.open += 1;
                drop(inner);
                return match self.connect() {
                    Ok(client) => Ok(Conn { pool: self, client: Some(client) }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Busy { waited_secs: CHECKOUT_TIMEOUT.as_secs() });
            }
            inner = self.returned.wait_timeout(inner, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}
