//! Fetching a submitted paper that is not in the database yet: [`PaperFetcher`], implemented
//! by [`ArxivFetcher`] over the arXiv API client of `papertide_ingest` (polite: one request at
//! a time, 3 s apart, retries with backoff). Tests point it at a local server.

use papertide_core::{ArxivId, Paper};
use papertide_ingest::harvest::{ArxivApiClient, HarvestConfig, HarvestError};
use papertide_ingest::Item;

/// Looks a paper up at its source.
pub trait PaperFetcher: Send + Sync {
    /// The paper with this id, `None` when the source does not know it.
    fn fetch(&self, id: &ArxivId) -> Result<Option<Paper>, HarvestError>;
}

/// [`PaperFetcher`] over the arXiv API (`id_list`).
pub struct ArxivFetcher {
    client: ArxivApiClient,
}

impl ArxivFetcher {
    /// A fetcher with these client settings (base URL, timeouts, politeness).
    pub fn new(config: &HarvestConfig) -> Result<ArxivFetcher, HarvestError> {
        Ok(ArxivFetcher { client: ArxivApiClient::new(config)? })
    }
}

impl PaperFetcher for ArxivFetcher {
    fn fetch(&self, id: &ArxivId) -> Result<Option<Paper>, HarvestError> {
        let mut found = None;
        let wanted = id.to_string();
        self.client.id_list(&[wanted.as_str()], &mut |item| {
            if let Item::Paper(p) = item {
                found.get_or_insert(*p);
            }
            Ok(())
        })?;
        Ok(found)
    }
}
