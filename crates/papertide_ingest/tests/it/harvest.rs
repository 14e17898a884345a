//! Tests of the harvest clients. [`server`] is a local HTTP server (127.0.0.1, no network)
//! that serves the recorded fixtures and logs every request; [`oai`] and [`api`] run the two
//! clients against it; [`retry`] drives the retry and rate-limit machinery with a scripted
//! fetcher.

mod api;
mod oai;
mod retry;
mod server;

use std::time::Duration;

use chrono::NaiveDate;
use papertide_ingest::harvest::{
    HarvestConfig, HarvestError, MetadataPrefix, OaiCheckpoint, OaiHarvester, OaiQuery, DEFAULT_OAI_BASE_URL,
};

use crate::support::data_dir;
use server::Server;

fn fixture(rel: &str) -> Vec<u8> {
    let path = data_dir().join("fixtures").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn config(server: &Server) -> HarvestConfig {
    HarvestConfig {
        oai_base_url: server.url("/oai2"),
        api_base_url: server.url("/api/query"),
        min_interval_ms: 0,
        max_retries: 3,
        initial_backoff_ms: 10,
        max_backoff_ms: 2_000,
        connect_timeout_ms: 2_000,
        read_timeout_ms: 5_000,
        ..HarvestConfig::default()
    }
}

#[test]
fn config_defaults_and_partial_config() {
    let c: HarvestConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(c, HarvestConfig::default());
    assert_eq!(c.min_interval(), Duration::from_secs(3));
    assert!(c.user_agent.starts_with("papertide/"));
    assert!(c.validate().is_ok());
    let c: HarvestConfig = serde_json::from_str(r#"{"min_interval_ms": 10, "max_retries": 1}"#).unwrap();
    assert_eq!(c.min_interval_ms, 10);
    assert_eq!(c.oai_base_url, DEFAULT_OAI_BASE_URL);
    let bad = HarvestConfig { oai_base_url: "ftp://x".into(), ..HarvestConfig::default() };
    assert!(matches!(bad.validate(), Err(HarvestError::Config(_))));
    let bad = HarvestConfig { api_page_size: 0, ..HarvestConfig::default() };
    assert!(bad.validate().is_err());
}

fn offline_harvester() -> OaiHarvester {
    let config = HarvestConfig { oai_base_url: "http://127.0.0.1:9/oai2".into(), ..HarvestConfig::default() };
    OaiHarvester::new(&config).unwrap()
}

#[test]
fn oai_urls() {
    let h = offline_harvester();
    let q = OaiQuery {
        metadata_prefix: MetadataPrefix::ArxivRaw,
        from: NaiveDate::from_ymd_opt(2024, 1, 2),
        until: NaiveDate::from_ymd_opt(2024, 1, 31),
        set: Some("physics:hep-th".into()),
    };
    assert_eq!(
        h.list_records_url(&q),
        "http://127.0.0.1:9/oai2?verb=ListRecords&metadataPrefix=arXivRaw&from=2024-01-02&until=2024-01-31&set=physics%3Ahep-th"
    );
    assert_eq!(
        h.list_records_url(&OaiQuery::default()),
        "http://127.0.0.1:9/oai2?verb=ListRecords&metadataPrefix=arXiv"
    );
    assert_eq!(h.resumption_url("1|2"), "http://127.0.0.1:9/oai2?verb=ListRecords&resumptionToken=1%7C2");
}

#[test]
fn prefixes_and_checkpoints_serialize() {
    assert_eq!("arxivraw".parse::<MetadataPrefix>().unwrap(), MetadataPrefix::ArxivRaw);
    assert!("dc".parse::<MetadataPrefix>().is_err());
    let q: OaiQuery = serde_json::from_str(r#"{"metadata_prefix":"arXivRaw","from":"2024-01-02","set":"cs"}"#).unwrap();
    assert_eq!(q.metadata_prefix, MetadataPrefix::ArxivRaw);
    let mut cp = OaiCheckpoint::start(q);
    cp.resumption_token = Some("726959|1001".into());
    cp.records = 1000;
    let json = serde_json::to_string(&cp).unwrap();
    assert!(json.contains(r#""metadata_prefix":"arXivRaw""#), "{json}");
    assert_eq!(serde_json::from_str::<OaiCheckpoint>(&json).unwrap(), cp);
}

#[test]
fn a_finished_checkpoint_fetches_nothing() {
    let mut cp = OaiCheckpoint::start(OaiQuery::default());
    cp.done = true;
    let summary = offline_harvester().resume(&cp, &mut (), &mut |_| Ok(())).unwrap();
    assert_eq!((summary.pages, summary.records), (0, 0));
}
