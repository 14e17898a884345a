//! HTTP for the harvest clients: the [`HttpFetch`] trait and its `ureq` implementation
//! ([`UreqFetch`]), the polite [`RateLimiter`], the [`RetryPolicy`] (exponential backoff,
//! `Retry-After` honoured up to a cap) and [`PoliteClient`], which makes every request wait
//! its turn and retries the failures worth retrying.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{snippet, HarvestConfig, HarvestError};

/// A response, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The `Retry-After` header, when there was one that could be read.
    pub retry_after: Option<Duration>,
    /// The body (decompressed).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// True for 2xx statuses.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One HTTP GET. Implementations return `Ok` for every response the server sent, whatever its
/// status, and `Err` only when there was no complete response ([`HarvestError::Transport`],
/// [`HarvestError::BodyTooLarge`], [`HarvestError::Config`] for an unusable URL).
pub trait HttpFetch: Send + Sync {
    /// Fetches `url`.
    fn get(&self, url: &str) -> Result<HttpResponse, HarvestError>;
}

/// [`HttpFetch`] over a `ureq` agent: rustls TLS, gzip, the configured User-Agent, connect and
/// read timeouts, and a cap on the body size.
#[derive(Debug, Clone)]
pub struct UreqFetch {
    agent: ureq::Agent,
    max_body_bytes: u64,
}

impl UreqFetch {
    /// An agent with the timeouts, User-Agent and body cap of `config`.
    pub fn new(config: &HarvestConfig) -> UreqFetch {
        let read_timeout = Duration::from_millis(config.read_timeout_ms);
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_millis(config.connect_timeout_ms))
            .timeout_read(read_timeout)
            .timeout_write(read_timeout)
            .user_agent(&config.user_agent)
            .build();
        UreqFetch { agent, max_body_bytes: config.max_body_bytes }
    }
}

impl HttpFetch for UreqFetch {
    fn get(&self, url: &str) -> Result<HttpResponse, HarvestError> {
        let response = match self.agent.get(url).call() {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(ureq::Error::Transport(t)) => {
                return Err(match t.kind() {
                    ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
                        HarvestError::Config(format!("cannot request `{url}`: {t}"))
                    }
                    _ => HarvestError::Transport { url: url.to_string(), message: t.to_string() },
                });
            }
        };
        let status = response.status();
        let retry_after = response.header("Retry-After").and_then(parse_retry_after);
        let too_large = || HarvestError::BodyTooLarge { url: url.to_string(), limit: self.max_body_bytes };
        let declared = response.header("Content-Length").and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_body_bytes) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        response
            .into_reader()
            .take(self.max_body_bytes.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| HarvestError::Transport { url: url.to_string(), message: format!("reading the body: {e}") })?;
        if body.len() as u64 > self.max_body_bytes {
            return Err(too_large());
        }
        Ok(HttpResponse { status, retry_after, body })
    }
}

/// Reads a `Retry-After` header: delay seconds, or an HTTP date (a date in the past is zero).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// True for the statuses that say "try again later": 429, 500, 502, 503, 504.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// Keeps request starts at least `min_interval` apart. Clones share their schedule, so one
/// limiter can pace several clients talking to the same host.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    min_interval: Duration,
    next_allowed: Arc<Mutex<Option<Instant>>>,
}

impl RateLimiter {
    /// A limiter allowing one request per `min_interval` (zero: no limit).
    pub fn new(min_interval: Duration) -> RateLimiter {
        RateLimiter { min_interval, next_allowed: Arc::new(Mutex::new(None)) }
    }

    /// The configured interval.
    pub fn min_interval(&self) -> Duration {
        self.min_interval
    }

    /// Blocks until the next request may start, and books that slot. Concurrent callers are
    /// served one after another.
    pub fn wait(&self) {
        let mut next = self.next_allowed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(at) = *next {
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
        }
        *next = Some(Instant::now() + self.min_interval);
    }
}

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` requests).
    pub max_retries: u32,
    /// The wait before the first retry; it doubles with each further retry.
    pub initial_backoff: Duration,
    /// The longest wait, whether computed or asked for by `Retry-After`.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first): the server's `Retry-After` when
    /// it sent one, otherwise `initial_backoff * 2^retry`; at most `max_backoff` either way.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let computed = || {
            let factor = 2u32.checked_pow(retry.min(31)).unwrap_or(u32::MAX);
            self.initial_backoff.checked_mul(factor).unwrap_or(self.max_backoff)
        };
        retry_after.unwrap_or_else(computed).min(self.max_backoff)
    }
}

/// An [`HttpFetch`] behind a [`RateLimiter`] and a [`RetryPolicy`]. Cheap to clone; clones
/// share the fetcher and the limiter.
#[derive(Clone)]
pub struct PoliteClient {
    fetch: Arc<dyn HttpFetch>,
    limiter: RateLimiter,
    retry: RetryPolicy,
}

impl std::fmt::Debug for PoliteClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoliteClient").field("limiter", &self.limiter).field("retry", &self.retry).finish()
    }
}

impl PoliteClient {
    /// A client over any fetcher.
    pub fn new(fetch: Arc<dyn HttpFetch>, limiter: RateLimiter, retry: RetryPolicy) -> PoliteClient {
        PoliteClient { fetch, limiter, retry }
    }

    /// A `ureq` client with the limiter, retries, timeouts and User-Agent of `config`.
    pub fn from_config(config: &HarvestConfig) -> Result<PoliteClient, HarvestError> {
        config.validate()?;
        Ok(PoliteClient::new(
            Arc::new(UreqFetch::new(config)),
            RateLimiter::new(config.min_interval()),
            config.retry_policy(),
        ))
    }

    /// The limiter, to share with another client.
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// GETs `url`, waiting for the rate limiter before every attempt and retrying 429, 500,
    /// 502, 503, 504 and transport errors. Returns the first response that is not retryable
    /// (which may still be a 4xx: the caller reads error documents from it), or
    /// [`HarvestError::RetriesExhausted`].
    pub fn get(&self, url: &str) -> Result<HttpResponse, HarvestError> {
        let mut retry = 0u32;
        loop {
            self.limiter.wait();
            let (failure, retry_after) = match self.fetch.get(url) {
                Ok(response) if is_retryable_status(response.status) => {
                    let failure = HarvestError::Http {
                        url: url.to_string(),
                        status: response.status,
                        snippet: snippet(&response.body, 200),
                    };
                    (failure, response.retry_after)
                }
                Ok(response) => return Ok(response),
                Err(e) if e.is_retryable() => (e, None),
                Err(e) => return Err(e),
            };
            if retry >= self.retry.max_retries {
                return Err(HarvestError::RetriesExhausted {
                    url: url.to_string(),
                    attempts: retry + 1,
                    last: Box::new(failure),
                });
            }
            let delay = self.retry.delay(retry, retry_after);
            tracing::warn!(
                url,
                attempt = retry + 1,
                max_retries = self.retry.max_retries,
                retry_after_ms = retry_after.map(|d| d.as_millis() as u64),
                delay_ms = delay.as_millis() as u64,
                error = %failure,
                "request failed; retrying"
            );
            std::thread::sleep(delay);
            retry += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        assert_eq!(p.delay(0, None), Duration::from_millis(100));
        assert_eq!(p.delay(1, None), Duration::from_millis(200));
        assert_eq!(p.delay(3, None), Duration::from_millis(800));
        assert_eq!(p.delay(4, None), Duration::from_secs(1));
        assert_eq!(p.delay(200, None), Duration::from_secs(1));
        assert_eq!(p.delay(0, Some(Duration::from_millis(700))), Duration::from_millis(700));
        assert_eq!(p.delay(0, Some(Duration::from_secs(30))), Duration::from_secs(1));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after(" 5 "), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        let future = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let d = parse_retry_after(&future).unwrap();
        assert!(d > Duration::from_secs(80) && d <= Duration::from_secs(90), "{d:?}");
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-3"), None);
    }
}
