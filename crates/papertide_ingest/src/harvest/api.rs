//! The arXiv API client: [`ArxivApiClient::query`] pages through a `search_query` by
//! `start`/`max_results` up to a limit, and [`ArxivApiClient::id_list`] looks papers up by id,
//! a chunk of ids per request. Both go through the same [`PoliteClient`] (rate limit,
//! retries) as OAI-PMH harvesting, hand entries to an [`Emit`] callback, and turn an API error
//! feed into [`HarvestError::Api`].

use serde::{Deserialize, Serialize};

use super::http::PoliteClient;
use super::{build_url, is_whole_document, snippet, HarvestConfig, HarvestError};
use crate::atom::{parse_feed, AtomPage};
use crate::{Emit, Item};

/// The API's `sortBy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SortBy {
    /// `relevance`.
    Relevance,
    /// `lastUpdatedDate`.
    LastUpdatedDate,
    /// `submittedDate`.
    SubmittedDate,
}

impl SortBy {
    /// The parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Relevance => "relevance",
            SortBy::LastUpdatedDate => "lastUpdatedDate",
            SortBy::SubmittedDate => "submittedDate",
        }
    }
}

/// The API's `sortOrder` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SortOrder {
    /// `ascending`.
    Ascending,
    /// `descending`.
    Descending,
}

impl SortOrder {
    /// The parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Ascending => "ascending",
            SortOrder::Descending => "descending",
        }
    }
}

/// How to page through a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchOptions {
    /// The 0-based index of the first result wanted (default 0).
    pub start: u64,
    /// Most results to fetch in all (default 100).
    pub limit: u64,
    /// The sort key; the API's default (relevance) when `None`.
    pub sort_by: Option<SortBy>,
    /// The sort order; the API's default (descending) when `None`.
    pub sort_order: Option<SortOrder>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { start: 0, limit: 100, sort_by: None, sort_order: None }
    }
}

/// What a query or lookup did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApiSummary {
    /// Requests that returned a feed.
    pub requests: u64,
    /// Items emitted (papers and rejected entries).
    pub entries: u64,
    /// `opensearch:totalResults` of the last feed, for queries.
    pub total_results: Option<u64>,
}

/// The arXiv API client.
#[derive(Debug, Clone)]
pub struct ArxivApiClient {
    client: PoliteClient,
    base_url: String,
    page_size: u32,
    id_chunk_size: u32,
}

impl ArxivApiClient {
    /// A client with a `ureq` fetcher, against `config.api_base_url`.
    pub fn new(config: &HarvestConfig) -> Result<ArxivApiClient, HarvestError> {
        Ok(ArxivApiClient::with_client(PoliteClient::from_config(config)?, config))
    }

    /// A client over any [`PoliteClient`] (to share a rate limiter, or to test); the base URL,
    /// page size and id chunk size come from `config`.
    pub fn with_client(client: PoliteClient, config: &HarvestConfig) -> ArxivApiClient {
        ArxivApiClient {
            client,
            base_url: config.api_base_url.clone(),
            page_size: config.api_page_size.max(1),
            id_chunk_size: config.id_chunk_size.max(1),
        }
    }

    /// The URL of one page of a search.
    pub fn query_url(&self, search_query: &str, start: u64, max_results: u64, options: &SearchOptions) -> String {
        let start = start.to_string();
        let max_results = max_results.to_string();
        let mut params = vec![("search_query", search_query), ("start", &start), ("max_results", &max_results)];
        if let Some(sort_by) = options.sort_by {
            params.push(("sortBy", sort_by.as_str()));
        }
        if let Some(sort_order) = options.sort_order {
            params.push(("sortOrder", sort_order.as_str()));
        }
        build_url(&self.base_url, &params)
    }

    /// The URL of one `id_list` lookup.
    pub fn id_list_url(&self, ids: &[&str]) -> String {
        let max_results = ids.len().to_string();
        build_url(&self.base_url, &[("id_list", &ids.join(",")), ("start", "0"), ("max_results", &max_results)])
    }

    /// Runs `search_query` (e.g. `cat:cs.LG AND ti:transformer`), fetching pages of
    /// `api_page_size` results from `options.start` until `options.limit` results were
    /// emitted or the results run out.
    pub fn query(
        &self,
        search_query: &str,
        options: &SearchOptions,
        emit: Emit<'_>,
    ) -> Result<ApiSummary, HarvestError> {
        let mut summary = ApiSummary::default();
        let mut start = options.start;
        while summary.entries < options.limit {
            let remaining = options.limit - summary.entries;
            let want = remaining.min(u64::from(self.page_size));
            let url = self.query_url(search_query, start, want, options);
            let (page, items) = self.fetch_feed(&url)?;
            summary.requests += 1;
            summary.total_results = page.total_results.or(summary.total_results);
            let take = usize::try_from(remaining).unwrap_or(usize::MAX);
            for item in items.into_iter().take(take) {
                emit(item).map_err(HarvestError::from_consumer)?;
                summary.entries += 1;
            }
            if page.entries == 0 {
                if page.total_results.is_some_and(|total| start < total) {
                    tracing::warn!(
                        url,
                        start,
                        total_results = page.total_results,
                        "arXiv API returned an empty page before the end of the results; stopping"
                    );
                }
                break;
            }
            start += page.entries;
            if page.total_results.is_some_and(|total| start >= total) {
                break;
            }
        }
        Ok(summary)
    }

    /// Looks up papers by arXiv id (`2401.01234`, `2401.01234v2`, `hep-th/9901001`),
    /// `id_chunk_size` ids per request. Ids the API does not know are simply absent from the
    /// results; a malformed id makes the API answer with an error feed, which is an error.
    pub fn id_list<S: AsRef<str>>(&self, ids: &[S], emit: Emit<'_>) -> Result<ApiSummary, HarvestError> {
        let ids: Vec<&str> = ids.iter().map(|id| id.as_ref().trim()).filter(|id| !id.is_empty()).collect();
        let mut summary = ApiSummary::default();
        let chunk_size = usize::try_from(self.id_chunk_size).unwrap_or(usize::MAX).max(1);
        for chunk in ids.chunks(chunk_size) {
            let url = self.id_list_url(chunk);
            let (_, items) = self.fetch_feed(&url)?;
            summary.requests += 1;
            for item in items {
                emit(item).map_err(HarvestError::from_consumer)?;
                summary.entries += 1;
            }
        }
        Ok(summary)
    }

    /// Fetches and parses one feed; an error feed, whatever its HTTP status, is
    /// [`HarvestError::Api`].
    fn fetch_feed(&self, url: &str) -> Result<(AtomPage, Vec<Item>), HarvestError> {
        let response = self.client.get(url)?;
        let http_error = || HarvestError::Http {
            url: url.to_string(),
            status: response.status,
            snippet: snippet(&response.body, 200),
        };
        if !is_whole_document(&response.body, "feed") {
            if !response.is_success() {
                return Err(http_error());
            }
            return Err(HarvestError::UnexpectedBody {
                url: url.to_string(),
                reason: format!("not a whole Atom feed (truncated, or not XML): {}", snippet(&response.body, 120)),
            });
        }
        let mut items = Vec::new();
        let mut reader: &[u8] = &response.body;
        let page = parse_feed(&mut reader, url, &mut |item| {
            items.push(item);
            Ok(())
        })
        .map_err(|source| HarvestError::Parse { url: url.to_string(), source })?;
        if let Some(message) = page.error.clone() {
            return Err(HarvestError::Api { url: url.to_string(), message });
        }
        if !response.is_success() {
            return Err(http_error());
        }
        Ok((page, items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let config = HarvestConfig { api_base_url: "http://h/api/query".into(), ..HarvestConfig::default() };
        let c = ArxivApiClient::new(&config).unwrap();
        let opts = SearchOptions {
            sort_by: Some(SortBy::SubmittedDate),
            sort_order: Some(SortOrder::Ascending),
            ..SearchOptions::default()
        };
        assert_eq!(
            c.query_url("cat:cs.LG AND ti:bert", 200, 100, &opts),
            "http://h/api/query?search_query=cat%3Acs.LG%20AND%20ti%3Abert&start=200&max_results=100\
             &sortBy=submittedDate&sortOrder=ascending"
        );
        assert_eq!(
            c.id_list_url(&["astro-ph/0601001", "1707.08567v2"]),
            "http://h/api/query?id_list=astro-ph%2F0601001%2C1707.08567v2&start=0&max_results=2"
        );
    }

    #[test]
    fn options_deserialize_with_defaults() {
        let o: SearchOptions = serde_json::from_str(r#"{"limit": 5, "sort_by": "lastUpdatedDate"}"#).unwrap();
        assert_eq!(o, SearchOptions { limit: 5, sort_by: Some(SortBy::LastUpdatedDate), ..SearchOptions::default() });
    }

    #[test]
    fn nothing_to_do_makes_no_request() {
        let config = HarvestConfig { api_base_url: "http://127.0.0.1:9/q".into(), ..HarvestConfig::default() };
        let c = ArxivApiClient::new(&config).unwrap();
        let none: [&str; 0] = [];
        assert_eq!(c.id_list(&none, &mut |_| Ok(())).unwrap(), ApiSummary::default());
        let zero = SearchOptions { limit: 0, ..SearchOptions::default() };
        assert_eq!(c.query("all:x", &zero, &mut |_| Ok(())).unwrap(), ApiSummary::default());
    }
}
