//! OAI-PMH harvesting from arXiv: [`OaiHarvester`] runs `ListRecords` for an [`OaiQuery`]
//! (metadata prefix, `from`/`until` dates, set), follows resumption tokens until the list is
//! exhausted, hands every page's items to an [`Emit`] callback, and after each page reports a
//! serializable [`OaiCheckpoint`] and an [`OaiProgress`] to an [`OaiObserver`]. A later run
//! continues from a saved checkpoint with [`OaiHarvester::resume`].

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::http::PoliteClient;
use super::{build_url, is_whole_document, snippet, HarvestConfig, HarvestError};
use crate::oai::{parse_response, OaiPage};
use crate::{Emit, Item};

/// The metadata formats arXiv's OAI-PMH endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum MetadataPrefix {
    /// `arXiv`: one record per paper, newest metadata.
    #[default]
    #[serde(rename = "arXiv")]
    Arxiv,
    /// `arXivRaw`: as `arXiv`, plus the version history with dates and sizes.
    #[serde(rename = "arXivRaw")]
    ArxivRaw,
}

impl MetadataPrefix {
    /// The `metadataPrefix` value.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataPrefix::Arxiv => "arXiv",
            MetadataPrefix::ArxivRaw => "arXivRaw",
        }
    }
}

impl fmt::Display for MetadataPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MetadataPrefix {
    type Err = HarvestError;

    /// Accepts `arXiv` and `arXivRaw`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "arxiv" => Ok(MetadataPrefix::Arxiv),
            "arxivraw" => Ok(MetadataPrefix::ArxivRaw),
            _ => Err(HarvestError::Config(format!("unknown metadata prefix `{s}` (expected arXiv or arXivRaw)"))),
        }
    }
}

/// What to harvest: the `ListRecords` arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OaiQuery {
    /// The metadata format (default `arXiv`).
    pub metadata_prefix: MetadataPrefix,
    /// Records changed on or after this day.
    pub from: Option<NaiveDate>,
    /// Records changed on or before this day.
    pub until: Option<NaiveDate>,
    /// An OAI set such as `cs`, `math` or `physics:hep-th`.
    pub set: Option<String>,
}

/// Where a harvest stands after a page: enough to continue it in a later run. Serialize it
/// (JSON) to store it; pass it to [`OaiHarvester::resume`] to go on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OaiCheckpoint {
    /// The query being harvested.
    pub query: OaiQuery,
    /// The token that fetches the next page; `None` before the first page and once done.
    pub resumption_token: Option<String>,
    /// True once the list is exhausted: resuming does nothing.
    pub done: bool,
    /// Pages fetched so far, over every run.
    pub pages: u64,
    /// Records received so far, over every run.
    pub records: u64,
    /// The size of the whole list, when the server said.
    pub complete_list_size: Option<u64>,
}

impl OaiCheckpoint {
    /// The checkpoint of a harvest that has not fetched anything yet.
    pub fn start(query: OaiQuery) -> OaiCheckpoint {
        OaiCheckpoint { query, resumption_token: None, done: false, pages: 0, records: 0, complete_list_size: None }
    }
}

/// How far a harvest has come, reported after each page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OaiProgress {
    /// Pages fetched by this run.
    pub pages: u64,
    /// Records received by this run.
    pub records_this_run: u64,
    /// Records received over every run of this harvest.
    pub records: u64,
    /// The size of the whole list, when the server said.
    pub complete_list_size: Option<u64>,
}

/// Receives a harvest's checkpoints and progress. Both methods do nothing by default; `()`
/// is an observer that ignores everything.
pub trait OaiObserver {
    /// Called after each page's items were emitted. An error stops the harvest with
    /// [`HarvestError::Checkpoint`] (the page's items were already emitted).
    fn checkpoint(&mut self, checkpoint: &OaiCheckpoint) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let _ = checkpoint;
        Ok(())
    }

    /// Called after each page, after [`OaiObserver::checkpoint`].
    fn progress(&mut self, progress: &OaiProgress) {
        let _ = progress;
    }
}

impl OaiObserver for () {}

/// What a harvest run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OaiSummary {
    /// Pages fetched by this run.
    pub pages: u64,
    /// Records received by this run.
    pub records: u64,
    /// The size of the whole list, when the server said.
    pub complete_list_size: Option<u64>,
    /// The last checkpoint (done, unless the run resumed a finished harvest).
    pub checkpoint: OaiCheckpoint,
}

/// The OAI-PMH `ListRecords` client.
#[derive(Debug, Clone)]
pub struct OaiHarvester {
    client: PoliteClient,
    base_url: String,
}

impl OaiHarvester {
    /// A harvester with a `ureq` client, against `config.oai_base_url`.
    pub fn new(config: &HarvestConfig) -> Result<OaiHarvester, HarvestError> {
        Ok(OaiHarvester::with_client(PoliteClient::from_config(config)?, &config.oai_base_url))
    }

    /// A harvester over any client (to share a rate limiter, or to test).
    pub fn with_client(client: PoliteClient, base_url: &str) -> OaiHarvester {
        OaiHarvester { client, base_url: base_url.to_string() }
    }

    /// The URL of the first page of `query`.
    pub fn list_records_url(&self, query: &OaiQuery) -> String {
        let from = query.from.map(|d| d.format("%Y-%m-%d").to_string());
        let until = query.until.map(|d| d.format("%Y-%m-%d").to_string());
        let mut params = vec![("verb", "ListRecords"), ("metadataPrefix", query.metadata_prefix.as_str())];
        if let Some(from) = &from {
            params.push(("from", from));
        }
        if let Some(until) = &until {
            params.push(("until", until));
        }
        if let Some(set) = query.set.as_deref().filter(|s| !s.trim().is_empty()) {
            params.push(("set", set.trim()));
        }
        build_url(&self.base_url, &params)
    }

    /// The URL of the page a resumption token names.
    pub fn resumption_url(&self, token: &str) -> String {
        build_url(&self.base_url, &[("verb", "ListRecords"), ("resumptionToken", token)])
    }

    /// Harvests `query` from the start. See [`OaiHarvester::resume`].
    pub fn harvest(
        &self,
        query: &OaiQuery,
        observer: &mut dyn OaiObserver,
        emit: Emit<'_>,
    ) -> Result<OaiSummary, HarvestError> {
        self.resume(&OaiCheckpoint::start(query.clone()), observer, emit)
    }

    /// Harvests from `checkpoint` until the list is exhausted: fetches the page its token
    /// names (the query's first page if it has none), emits the page's items, reports the
    /// next checkpoint and the progress, and goes on while there is a resumption token.
    ///
    /// `noRecordsMatch` ends the harvest with zero records. Any other OAI-PMH error, a
    /// request that fails after its retries, or a body that is not a whole OAI-PMH response
    /// stops it with an error; the last reported checkpoint is where to resume.
    pub fn resume(
        &self,
        checkpoint: &OaiCheckpoint,
        observer: &mut dyn OaiObserver,
        emit: Emit<'_>,
    ) -> Result<OaiSummary, HarvestError> {
        let mut state = checkpoint.clone();
        let mut run = OaiProgress {
            pages: 0,
            records_this_run: 0,
            records: state.records,
            complete_list_size: state.complete_list_size,
        };
        let mut seen_tokens = std::collections::HashSet::new();
        while !state.done {
            let token = state.resumption_token.clone();
            if let Some(token) = &token {
                seen_tokens.insert(token.clone());
            }
            let url = match &token {
                Some(token) => self.resumption_url(token),
                None => self.list_records_url(&state.query),
            };
            let (page, items) = self.fetch_page(&url, token.as_deref())?;
            for item in items {
                emit(item).map_err(HarvestError::from_consumer)?;
            }
            let next = page.resumption_token.filter(|t| !t.trim().is_empty());
            if let Some(next) = next.as_ref().filter(|next| seen_tokens.contains(*next)) {
                return Err(HarvestError::RepeatedToken(next.clone()));
            }
            state.pages += 1;
            state.records += page.records;
            state.complete_list_size = page.complete_list_size.or(state.complete_list_size);
            state.done = next.is_none();
            state.resumption_token = next;
            run.pages += 1;
            run.records_this_run += page.records;
            run.records = state.records;
            run.complete_list_size = state.complete_list_size;
            tracing::debug!(
                url,
                records = page.records,
                total = state.records,
                complete_list_size = state.complete_list_size,
                done = state.done,
                "harvested an OAI-PMH page"
            );
            observer.checkpoint(&state).map_err(HarvestError::Checkpoint)?;
            observer.progress(&run);
        }
        Ok(OaiSummary {
            pages: run.pages,
            records: run.records_this_run,
            complete_list_size: state.complete_list_size,
            checkpoint: state,
        })
    }

    /// Fetches and parses one page. `noRecordsMatch` becomes an empty final page.
    fn fetch_page(&self, url: &str, token: Option<&str>) -> Result<(OaiPage, Vec<Item>), HarvestError> {
        let response = self.client.get(url)?;
        let http_error = || HarvestError::Http {
            url: url.to_string(),
            status: response.status,
            snippet: snippet(&response.body, 200),
        };
        if !is_whole_document(&response.body, "OAI-PMH") {
            if !response.is_success() {
                return Err(http_error());
            }
            return Err(HarvestError::UnexpectedBody {
                url: url.to_string(),
                reason: format!(
                    "not a whole OAI-PMH response (truncated, or not XML): {}",
                    snippet(&response.body, 120)
                ),
            });
        }
        let mut items = Vec::new();
        let mut reader: &[u8] = &response.body;
        let mut page = parse_response(&mut reader, url, &mut |item| {
            items.push(item);
            Ok(())
        })
        .map_err(|source| HarvestError::Parse { url: url.to_string(), source })?;
        if let Some(error) = page.error.take() {
            return match (error.code.as_str(), token) {
                ("noRecordsMatch", _) => {
                    tracing::info!(url, message = %error.message, "OAI-PMH: no records match; nothing to harvest");
                    Ok((empty_page(), Vec::new()))
                }
                (crate::oai::INVALID_RESPONSE, _) => {
                    Err(HarvestError::UnexpectedBody { url: url.to_string(), reason: error.message })
                }
                ("badResumptionToken", Some(token)) => {
                    Err(HarvestError::BadResumptionToken { token: token.to_string(), message: error.message })
                }
                _ => Err(HarvestError::Oai { url: url.to_string(), code: error.code, message: error.message }),
            };
        }
        if !response.is_success() {
            return Err(http_error());
        }
        Ok((page, items))
    }
}

fn empty_page() -> OaiPage {
    OaiPage { resumption_token: None, complete_list_size: Some(0), cursor: None, records: 0, error: None }
}
