//! Short-lived caches of what the busiest pages read: feed pages, search results and similar
//! papers. Only data is cached, never HTML, so what depends on the viewer (their upvotes,
//! the CSRF token in forms, the header) is always fresh.
//!
//! An entry is used while it is younger than its cache's time to live and, for caches that
//! follow something (search results follow the index version), while that is the one it was
//! stored under. Writes do not empty the caches: with many writers (votes every second) the
//! busy pages would never be served from them. Instead a browser that has just written gets
//! the [`WROTE_COOKIE`] for a few seconds ([`mark_writers`]) and its pages skip the feed caches:
//! a user sees their own upvote or comment at once, and everybody else, on every replica,
//! within the time to live (5 s for feed pages).
//!
//! When an entry outlives its time to live, the first request to look it up recomputes it
//! ([`Lookup::Miss`]) while the others keep getting the old value ([`Lookup::Stale`]) until the
//! new one is stored: no stampede of identical queries every few seconds on a busy page.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;

use crate::session::set_cookie;
use crate::state::AppState;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Entry<V> {
    at: Instant,
    generation: u64,
    value: V,
    /// Since when a request has been recomputing this expired entry.
    refreshing: Option<Instant>,
}

/// What [`TtlCache::lookup`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<V> {
    /// A value within its time to live.
    Fresh(V),
    /// An expired value that another request is recomputing: use it meanwhile.
    Stale(V),
    /// Nothing usable: compute the value and [`TtlCache::put`] it.
    Miss,
}

/// How long a recomputation may take before another request tries instead.
const REFRESH_GRACE: Duration = Duration::from_secs(10);

/// A map whose entries expire after `ttl` or when the write generation moves on.
pub struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    ttl: Duration,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// A cache of at most `capacity` entries (emptied when full), each used for `ttl`.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache { entries: Mutex::new(HashMap::new()), ttl, capacity: capacity.max(1) }
    }

    /// The value for `key` if it was stored under `generation` less than the time to live ago.
    pub fn get(&self, key: &K, generation: u64) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(key).filter(|e| e.generation == generation && e.at.elapsed() < self.ttl).map(|e| e.value.clone())
    }

    /// Like [`TtlCache::get`], but an expired value of the same generation is handed out as
    /// [`Lookup::Stale`] while one caller (the first to see it expired, who gets
    /// [`Lookup::Miss`]) recomputes it.
    pub fn lookup(&self, key: &K, generation: u64) -> Lookup<V> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = entries.get_mut(key).filter(|e| e.generation == generation) else { return Lookup::Miss };
        if entry.at.elapsed() < self.ttl {
            return Lookup::Fresh(entry.value.clone());
        }
        match entry.refreshing {
            Some(since) if since.elapsed() < REFRESH_GRACE => Lookup::Stale(entry.value.clone()),
            _ => {
                entry.refreshing = Some(Instant::now());
                Lookup::Miss
            }
        }
    }

    /// Stores `value` for `key` under `generation`.
    pub fn put(&self, key: K, generation: u64, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            let ttl = self.ttl;
            entries.retain(|_, e| e.generation == generation && e.at.elapsed() < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, Entry { at: Instant::now(), generation, value, refreshing: None });
    }

    /// Number of entries (fresh or not).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cookie a browser gets for [`WROTE_FOR_SECS`] after a successful write: "read your own
/// writes" (see the module doc).
pub const WROTE_COOKIE: &str = "pt_wrote";
/// How long a writer skips the feed caches: longer than their time to live.
pub const WROTE_FOR_SECS: i64 = 6;

/// Middleware: a request that may write (anything but GET, HEAD, OPTIONS) and succeeded
/// (2xx or a redirect) from a browser (it sent cookies) gets the [`WROTE_COOKIE`].
pub async fn mark_writers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let browser = request.headers().contains_key(header::COOKIE);
    let mut response = next.run(request).await;
    let status = response.status();
    if writes && browser && (status.is_success() || status.is_redirection()) {
        let cookie = set_cookie(WROTE_COOKIE, "1", Some(WROTE_FOR_SECS), state.config().secure_cookies);
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_with_time_and_generation() {
        let cache = TtlCache::new(Duration::from_millis(50), 10);
        cache.put("a", 1, 7);
        assert_eq!(cache.get(&"a", 1), Some(7));
        assert_eq!(cache.get(&"a", 2), None, "a write since makes it stale");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&"a", 1), None, "older than the time to live");
    }

    #[test]
    fn one_caller_refreshes_an_expired_entry_while_others_get_the_old_value() {
        let cache = TtlCache::new(Duration::from_millis(20), 10);
        cache.put("feed", 3, 1);
        assert_eq!(cache.lookup(&"feed", 3), Lookup::Fresh(1));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(cache.lookup(&"feed", 3), Lookup::Miss, "the first caller recomputes");
        assert_eq!(cache.lookup(&"feed", 3), Lookup::Stale(1), "the others wait on nothing");
        assert_eq!(cache.lookup(&"feed", 4), Lookup::Miss, "after a write, never the old value");
        cache.put("feed", 3, 2);
        assert_eq!(cache.lookup(&"feed", 3), Lookup::Fresh(2));
        assert_eq!(cache.lookup(&"other", 3), Lookup::Miss);
    }

    #[test]
    fn a_full_cache_drops_stale_entries_first() {
        let cache = TtlCache::new(Duration::from_secs(60), 2);
        cache.put(1, 0, "old");
        cache.put(2, 1, "fresh");
        cache.put(3, 1, "new");
        assert_eq!(cache.get(&1, 0), None);
        assert_eq!(cache.get(&2, 1), Some("fresh"));
        assert_eq!(cache.get(&3, 1), Some("new"));
        cache.put(4, 1, "over");
        assert_eq!(cache.len(), 1, "emptied when every entry is fresh and it is full");
    }
}
