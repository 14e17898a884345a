//! The live arXiv clients: what they share and how they are configured.
//!
//! This module owns [`HarvestConfig`] (every knob, serde-deserializable with arXiv-friendly
//! defaults), [`HarvestError`] (every way a harvest can fail) and the query-string helper the
//! clients build their URLs with. The pieces live in submodules:
//!
//! - [`http`]: the [`HttpFetch`] trait and its `ureq` implementation, the polite
//!   [`RateLimiter`], the [`RetryPolicy`] (exponential backoff honouring `Retry-After`) and
//!   [`PoliteClient`], which puts the three together.
//! - [`oai`]: [`OaiHarvester`], OAI-PMH `ListRecords` over `export.arxiv.org/oai2`, following
//!   resumption tokens and reporting resumable [`OaiCheckpoint`]s.
//! - [`api`]: [`ArxivApiClient`], the arXiv API (`search_query` paging and `id_list` lookups).
//!
//! Items go to the same [`Emit`](crate::Emit) callback the file parsers use, so the caller
//! writes harvested papers exactly as it writes imported ones.

pub mod api;
pub mod http;
pub mod oai;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use api::{ApiSummary, ArxivApiClient, SearchOptions, SortBy, SortOrder};
pub use http::{HttpFetch, HttpResponse, PoliteClient, RateLimiter, RetryPolicy, UreqFetch};
pub use oai::{MetadataPrefix, OaiCheckpoint, OaiHarvester, OaiObserver, OaiProgress, OaiQuery, OaiSummary};

use crate::IngestError;

/// The User-Agent sent unless configured otherwise.
pub const DEFAULT_USER_AGENT: &str =
    concat!("papertide/", env!("CARGO_PKG_VERSION"), " (+https://github.com/papertide/papertide)");
/// arXiv's OAI-PMH endpoint.
pub const DEFAULT_OAI_BASE_URL: &str = "https://export.arxiv.org/oai2";
/// arXiv's API endpoint.
pub const DEFAULT_API_BASE_URL: &str = "https://export.arxiv.org/api/query";

/// Settings of the harvest clients. Every field has a default, so an empty table (or `{}`)
/// deserializes to the arXiv-friendly configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HarvestConfig {
    /// The OAI-PMH endpoint (default `https://export.arxiv.org/oai2`).
    pub oai_base_url: String,
    /// The arXiv API endpoint (default `https://export.arxiv.org/api/query`).
    pub api_base_url: String,
    /// Least time between the starts of two requests, in milliseconds (default 3000, as arXiv
    /// asks of API and OAI-PMH clients).
    pub min_interval_ms: u64,
    /// How many times a failed request is retried (429, 500, 502, 503, 504, transport errors)
    /// before giving up (default 5).
    pub max_retries: u32,
    /// The first backoff, in milliseconds; it doubles with each retry (default 2000).
    pub initial_backoff_ms: u64,
    /// Longest wait before a retry, in milliseconds, whether computed or asked for by a
    /// `Retry-After` header (default 120000).
    pub max_backoff_ms: u64,
    /// Time allowed to open a connection, in milliseconds (default 15000).
    pub connect_timeout_ms: u64,
    /// Time allowed for each read from the socket, in milliseconds (default 120000: OAI-PMH
    /// pages can take a while to be produced).
    pub read_timeout_ms: u64,
    /// Largest response body accepted, in bytes (default 64 MiB).
    pub max_body_bytes: u64,
    /// The User-Agent header (default `papertide/VERSION (+https://github.com/papertide/papertide)`).
    pub user_agent: String,
    /// Results asked for per arXiv API request when paging a query (default 100, at most 2000).
    pub api_page_size: u32,
    /// Ids per arXiv API request for `id_list` lookups (default 100).
    pub id_chunk_size: u32,
}

impl Default for HarvestConfig {
    fn default() -> Self {
        HarvestConfig {
            oai_base_url: DEFAULT_OAI_BASE_URL.to_string(),
            api_base_url: DEFAULT_API_BASE_URL.to_string(),
            min_interval_ms: 3_000,
            max_retries: 5,
            initial_backoff_ms: 2_000,
            max_backoff_ms: 120_000,
            connect_timeout_ms: 15_000,
            read_timeout_ms: 120_000,
            max_body_bytes: 64 * 1024 * 1024,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            api_page_size: 100,
            id_chunk_size: 100,
        }
    }
}

/// Most results the arXiv API returns for one request.
pub const API_MAX_PAGE_SIZE: u32 = 2_000;

impl HarvestConfig {
    /// The minimum interval between requests.
    pub fn min_interval(&self) -> Duration {
        Duration::from_millis(self.min_interval_ms)
    }

    /// The retry policy these settings describe.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_retries: self.max_retries,
            initial_backoff: Duration::from_millis(self.initial_backoff_ms),
            max_backoff: Duration::from_millis(self.max_backoff_ms),
        }
    }

    /// Checks the settings: URLs with an http(s) scheme, non-zero sizes and timeouts.
    pub fn validate(&self) -> Result<(), HarvestError> {
        let bad = |reason: String| Err(HarvestError::Config(reason));
        for (name, url) in [("oai_base_url", &self.oai_base_url), ("api_base_url", &self.api_base_url)] {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(char::is_whitespace) {
                return bad(format!("{name} `{url}` is not an http(s) URL"));
            }
        }
        if self.max_body_bytes == 0 {
            return bad("max_body_bytes must be positive".into());
        }
        if self.connect_timeout_ms == 0 || self.read_timeout_ms == 0 {
            return bad("timeouts must be positive".into());
        }
        if !(1..=API_MAX_PAGE_SIZE).contains(&self.api_page_size) {
            return bad(format!("api_page_size must be between 1 and {API_MAX_PAGE_SIZE}"));
        }
        if !(1..=API_MAX_PAGE_SIZE).contains(&self.id_chunk_size) {
            return bad(format!("id_chunk_size must be between 1 and {API_MAX_PAGE_SIZE}"));
        }
        if self.user_agent.trim().is_empty() || self.user_agent.contains(['\r', '\n']) {
            return bad("user_agent must be a non-empty single line".into());
        }
        Ok(())
    }
}

/// Why a harvest, or one request of it, failed.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    /// The configuration is unusable (a bad URL, a zero size); nothing was requested.
    #[error("invalid harvest configuration: {0}")]
    Config(String),
    /// The request never got a complete response: connection refused, DNS failure, timeout,
    /// connection reset while reading. Retried until the retries run out.
    #[error("request to {url} failed: {message}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What went wrong, as the HTTP client put it.
        message: String,
    },
    /// The server answered with an HTTP status that is not success, and the body held no
    /// OAI-PMH or API error explaining it. 429 and 5xx gateway statuses are retried first.
    #[error("HTTP {status} from {url}: {snippet}")]
    Http {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body, for the log.
        snippet: String,
    },
    /// The response body was larger than `max_body_bytes`.
    #[error("response from {url} is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The URL requested.
        url: String,
        /// The configured limit.
        limit: u64,
    },
    /// Every attempt failed with a retryable error; `last` is the final one.
    #[error("giving up on {url} after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// The URL requested.
        url: String,
        /// How many requests were made.
        attempts: u32,
        /// The last failure.
        #[source]
        last: Box<HarvestError>,
    },
    /// The OAI-PMH server rejected the resumption token (it expired, or the server was
    /// restarted). The harvest must start again from its query, without the checkpoint.
    #[error("the OAI-PMH server rejected resumption token `{token}` ({message}); restart the harvest from the beginning of its date range")]
    BadResumptionToken {
        /// The token that was sent.
        token: String,
        /// The server's message.
        message: String,
    },
    /// The OAI-PMH server answered with an error (badArgument, cannotDisseminateFormat,
    /// noSetHierarchy, ...). `noRecordsMatch` is not an error: it is an empty harvest.
    #[error("OAI-PMH error `{code}` from {url}: {message}")]
    Oai {
        /// The URL requested.
        url: String,
        /// The OAI-PMH error code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The arXiv API answered with an error feed (for example `incorrect id format for abc`).
    #[error("arXiv API error from {url}: {message}")]
    Api {
        /// The URL requested.
        url: String,
        /// The error entry's summary.
        message: String,
    },
    /// The body is not the XML document expected (an HTML maintenance page, a truncated
    /// response), so no records and no resumption token can be trusted from it.
    #[error("unexpected response from {url}: {reason}")]
    UnexpectedBody {
        /// The URL requested.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The parser could not read the response.
    #[error("parsing the response from {url}: {source}")]
    Parse {
        /// The URL requested.
        url: String,
        /// The parser's error.
        #[source]
        source: IngestError,
    },
    /// The server sent a resumption token it had already sent in this run, which would loop
    /// forever.
    #[error("the OAI-PMH server repeated the resumption token `{0}`; stopping to avoid a loop")]
    RepeatedToken(String),
    /// The consumer of the items asked to stop ([`IngestError::Stopped`]).
    #[error("stopped")]
    Stopped,
    /// The consumer of the items failed with another error.
    #[error("the consumer of harvested items failed: {0}")]
    Consumer(#[source] IngestError),
    /// The checkpoint could not be saved; the harvest stops so that no page goes unrecorded.
    #[error("saving the harvest checkpoint failed: {0}")]
    Checkpoint(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl HarvestError {
    /// True for failures worth retrying: transport errors and 429/500/502/503/504.
    pub fn is_retryable(&self) -> bool {
        match self {
            HarvestError::Transport { .. } => true,
            HarvestError::Http { status, .. } => http::is_retryable_status(*status),
            _ => false,
        }
    }

    /// Maps an error returned by the item consumer.
    pub(crate) fn from_consumer(e: IngestError) -> HarvestError {
        match e {
            IngestError::Stopped => HarvestError::Stopped,
            other => HarvestError::Consumer(other),
        }
    }
}

/// Appends `params` to `base` as a percent-encoded query string.
pub(crate) fn build_url(base: &str, params: &[(&str, &str)]) -> String {
    let mut url = base.to_string();
    let mut sep = if base.contains('?') { '&' } else { '?' };
    for (key, value) in params {
        url.push(sep);
        url.push_str(&encode_component(key));
        url.push('=');
        url.push_str(&encode_component(value));
        sep = '&';
    }
    url
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// True when `body` holds a whole XML document whose root element is named `root` (with or
/// without a namespace prefix): the name appears near the start and the body ends with its
/// closing tag. Catches HTML error pages and truncated responses.
pub(crate) fn is_whole_document(body: &[u8], root: &str) -> bool {
    let head = &body[..body.len().min(4096)];
    let trimmed = body.trim_ascii_end();
    let tail = &trimmed[trimmed.len().saturating_sub(256)..];
    let open = format!("<{root}");
    let open_prefixed = format!(":{root}");
    let close = format!("{root}>");
    let contains = |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    (contains(head, &open) || contains(head, &open_prefixed))
        && tail.ends_with(close.as_bytes())
        && contains(tail, "</")
}

/// The first `max` characters of a body, lossily decoded, whitespace collapsed.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let head = &body[..body.len().min(max * 4)];
    let text = papertide_core::paper::collapse_whitespace(&String::from_utf8_lossy(head));
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_encoded() {
        assert_eq!(
            build_url("http://h/oai2", &[("verb", "ListRecords"), ("resumptionToken", "726959|1001")]),
            "http://h/oai2?verb=ListRecords&resumptionToken=726959%7C1001"
        );
        assert_eq!(build_url("http://h/q?x=1", &[("set", "physics:hep-th")]), "http://h/q?x=1&set=physics%3Ahep-th");
        assert_eq!(encode_component("astro-ph/0601001,1707.08567"), "astro-ph%2F0601001%2C1707.08567");
        assert_eq!(encode_component("au:a b"), "au%3Aa%20b");
    }

    #[test]
    fn whole_documents() {
        assert!(is_whole_document(b"<?xml?>\n<OAI-PMH xmlns=\"x\"><a/></OAI-PMH>\n", "OAI-PMH"));
        assert!(is_whole_document(b"<atom:feed><x/></atom:feed>", "feed"));
        assert!(!is_whole_document(b"<OAI-PMH><ListRecords><record>", "OAI-PMH"), "truncated");
        assert!(!is_whole_document(b"<html><body>Service unavailable</body></html>", "OAI-PMH"));
        assert!(!is_whole_document(b"", "feed"));
    }

    #[test]
    fn snippets_are_short() {
        assert_eq!(snippet(b"<html>\n  <body>busy</body>", 100), "<html> <body>busy</body>");
        assert_eq!(snippet("é".repeat(50).as_bytes(), 3), "ééé");
    }
}
