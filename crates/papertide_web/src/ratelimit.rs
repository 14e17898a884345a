//! Rate limits: a fixed one-minute window per (action, key), e.g. sign-in attempts per client
//! IP address or posts per user. Over the limit is [`AppError::RateLimited`] with the seconds
//! left (sent as `Retry-After`). Handlers call [`crate::state::AppState::rate_limit`].
//!
//! - One process (SQLite): counted in memory here ([`RateLimiter`]).
//! - Several replicas (PostgreSQL, `WebConfig::shared_rate_limits`): counted in the database
//!   ([`papertide_store::Store::rate_limit_hit`]), so a client meets the same limit whichever
//!   replica the load balancer sends it to.
//! - Behind a reverse proxy every connection comes from the proxy: [`ClientIp`] takes the
//!   client's address from `X-Forwarded-For` when (and only when) the peer is one of
//!   `WebConfig::trusted_proxies`, so limits apply per client, and a client cannot pick its
//!   own address by sending the header itself.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::error::AppError;
use crate::state::AppState;

/// The client's address: the peer, or, when the peer is a trusted proxy, the nearest address
/// in `X-Forwarded-For` that is not itself a trusted proxy (the header's rightmost entries
/// are the ones our own proxies wrote).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded.iter().rev().find(|a| !trusted.contains(a)).or(forwarded.first()).copied().unwrap_or(peer)
}

/// Extractor of the client's address ([`client_ip`] with the configured trusted proxies).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| AppError::internal(std::io::Error::other("the server runs without connection info")))?;
        Ok(ClientIp(client_ip(peer, &parts.headers, &state.config().trusted_proxies)))
    }
}

/// The start of the fixed window that `now` falls in, and the seconds left in it.
pub fn window(now: chrono::DateTime<chrono::Utc>) -> (chrono::DateTime<chrono::Utc>, u64) {
    let secs = WINDOW.as_secs() as i64;
    let start = now.timestamp() - now.timestamp().rem_euclid(secs);
    let left = (start + secs - now.timestamp()).max(1) as u64;
    (chrono::DateTime::from_timestamp(start, 0).unwrap_or(now), left)
}

const WINDOW: Duration = Duration::from_secs(60);
/// Entries kept before old windows are swept.
const SWEEP_AT: usize = 10_000;

/// Per (action, key): when the current window started and the hits in it.
type Windows = HashMap<(&'static str, String), (Instant, u32)>;

/// Counts per (action, key) in the current window.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<Windows>,
}

impl RateLimiter {
    /// Counts one `action` by `key`; an error once more than `limit` happened this minute.
    pub fn hit(&self, action: &'static str, key: &str, limit: u32) -> Result<(), AppError> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry((action, key.to_string())).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > limit {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0)).as_secs().max(1);
            return Err(AppError::RateLimited { retry_after: left });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_plus_one_is_refused_with_a_retry_time() {
        let limiter = RateLimiter::default();
        for _ in 0..3 {
            limiter.hit("signin", "1.2.3.4", 3).unwrap();
        }
        match limiter.hit("signin", "1.2.3.4", 3) {
            Err(AppError::RateLimited { retry_after }) => assert!((1..=60).contains(&retry_after)),
            other => panic!("{other:?}"),
        }
        limiter.hit("signin", "5.6.7.8", 3).unwrap();
        limiter.hit("comment", "1.2.3.4", 3).unwrap();
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", value.parse().unwrap());
        h
    }

    #[test]
    fn the_client_address_is_read_from_x_forwarded_for_only_behind_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = [ip("127.0.0.1")];
        // A trusted proxy appended the client's address.
        assert_eq!(client_ip(ip("127.0.0.1"), &forwarded("203.0.113.7"), &proxy), ip("203.0.113.7"));
        // A client that sends its own header cannot choose its address: the proxy's entry wins.
        assert_eq!(client_ip(ip("127.0.0.1"), &forwarded("1.1.1.1, 203.0.113.7"), &proxy), ip("203.0.113.7"));
        // Chains of trusted proxies are skipped.
        let two = [ip("127.0.0.1"), ip("10.0.0.2")];
        assert_eq!(client_ip(ip("127.0.0.1"), &forwarded("203.0.113.7, 10.0.0.2"), &two), ip("203.0.113.7"));
        // An untrusted peer's header is ignored, as is a missing or malformed header.
        assert_eq!(client_ip(ip("198.51.100.1"), &forwarded("203.0.113.7"), &proxy), ip("198.51.100.1"));
        assert_eq!(client_ip(ip("127.0.0.1"), &HeaderMap::new(), &proxy), ip("127.0.0.1"));
        assert_eq!(client_ip(ip("127.0.0.1"), &forwarded("not-an-ip"), &proxy), ip("127.0.0.1"));
        // No trusted proxies (the default): the peer, always.
        assert_eq!(client_ip(ip("127.0.0.1"), &forwarded("203.0.113.7"), &[]), ip("127.0.0.1"));
    }

    #[test]
    fn windows_are_whole_minutes() {
        let now: chrono::DateTime<chrono::Utc> = "2026-12-01T08:00:45Z".parse().unwrap();
        let (start, left) = window(now);
        assert_eq!((start.to_rfc3339(), left), ("2026-12-01T08:00:00+00:00".to_string(), 15));
    }
}
