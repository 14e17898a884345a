//! OAI-PMH harvesting against the local server: tokens followed, checkpoints and resuming,
//! pacing, retries, and every kind of error answer.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use papertide_ingest::harvest::{
    HarvestConfig, HarvestError, MetadataPrefix, OaiCheckpoint, OaiHarvester, OaiObserver, OaiProgress, OaiQuery,
    OaiSummary,
};

use super::server::{ok, status, Reply, Request, Server};
use super::{config, fixture};
use crate::support::Collected;

const TOKEN_1: &str = "726959|1001";

/// Page 1 (arXivRaw, 6 records, token `726959|1001`), page 2 (hep-th, 3 records, token
/// `tok-2`), page 3 (hep-ex, 3 records, no token); unknown tokens get badResumptionToken.
fn oai_pages(request: &Request) -> Reply {
    assert_eq!(request.path, "/oai2");
    assert_eq!(request.param("verb"), Some("ListRecords"));
    match request.param("resumptionToken") {
        None => ok(fixture("oai/arXivRaw-mikesaelim/ListRecordsResponse.xml")),
        Some(TOKEN_1) => {
            let page = String::from_utf8(fixture("oai/arXiv-hepcrawl/arxiv-physics-hep-th.xml")).unwrap();
            let token = r#"<resumptionToken cursor="6" completeListSize="12">tok-2</resumptionToken></ListRecords>"#;
            ok(page.replace("</ListRecords>", token).into_bytes())
        }
        Some("tok-2") => ok(fixture("oai/arXiv-hepcrawl/arxiv-physics-hep-ex.xml")),
        Some(_) => ok(fixture("oai/arXivRaw-mikesaelim/ErrorResponseBadResumptionToken.xml")),
    }
}

/// Keeps every checkpoint and progress report.
#[derive(Default)]
struct Recorder {
    checkpoints: Vec<OaiCheckpoint>,
    progress: Vec<OaiProgress>,
}

impl OaiObserver for Recorder {
    fn checkpoint(&mut self, checkpoint: &OaiCheckpoint) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // Stored as the CLI stores it: serialized.
        let json = serde_json::to_string(checkpoint)?;
        self.checkpoints.push(serde_json::from_str(&json)?);
        Ok(())
    }

    fn progress(&mut self, progress: &OaiProgress) {
        self.progress.push(*progress);
    }
}

fn raw_query() -> OaiQuery {
    OaiQuery {
        metadata_prefix: MetadataPrefix::ArxivRaw,
        from: NaiveDate::from_ymd_opt(2014, 10, 1),
        until: None,
        set: Some("physics:hep-th".into()),
    }
}

fn harvest_with(
    config: &HarvestConfig,
    query: &OaiQuery,
    observer: &mut Recorder,
) -> (Result<OaiSummary, HarvestError>, Collected) {
    let harvester = OaiHarvester::new(config).unwrap();
    let mut out = Collected::default();
    let result = harvester.harvest(query, observer, &mut |item| out.push(item));
    (result, out)
}

#[test]
fn oai_harvest_follows_tokens_to_the_end() {
    let server = Server::start(oai_pages);
    let mut rec = Recorder::default();
    let (result, out) = harvest_with(&config(&server), &raw_query(), &mut rec);
    let summary = result.unwrap();
    assert_eq!((summary.pages, summary.records), (3, 12));
    assert_eq!(out.papers.len() + out.rejected.len(), 12, "{:?}", out.rejected);
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    out.get("0704.0471");
    out.get("1412.8323");
    out.get("1706.05371");
    let queries = server.queries();
    assert_eq!(
        queries,
        [
            "verb=ListRecords&metadataPrefix=arXivRaw&from=2014-10-01&set=physics:hep-th",
            "verb=ListRecords&resumptionToken=726959|1001",
            "verb=ListRecords&resumptionToken=tok-2",
        ]
    );
    let tokens: Vec<_> = rec.checkpoints.iter().map(|c| c.resumption_token.as_deref()).collect();
    assert_eq!(tokens, [Some(TOKEN_1), Some("tok-2"), None]);
    assert_eq!(rec.checkpoints.iter().map(|c| c.done).collect::<Vec<_>>(), [false, false, true]);
    assert!(rec.checkpoints.iter().all(|c| c.query == raw_query()));
    let records: Vec<_> = rec.progress.iter().map(|p| (p.records, p.complete_list_size)).collect();
    assert_eq!(records, [(6, Some(58011)), (9, Some(12)), (12, Some(12))]);
    assert!(server.requests()[0].user_agent.as_deref().unwrap_or("").starts_with("papertide/"));
}

#[test]
fn oai_resume_fetches_only_the_remaining_pages() {
    let first = Server::start(oai_pages);
    let mut rec = Recorder::default();
    harvest_with(&config(&first), &raw_query(), &mut rec).0.unwrap();
    let checkpoint = rec.checkpoints[0].clone();

    let second = Server::start(oai_pages);
    let harvester = OaiHarvester::new(&config(&second)).unwrap();
    let mut out = Collected::default();
    let mut rec2 = Recorder::default();
    let summary = harvester.resume(&checkpoint, &mut rec2, &mut |item| out.push(item)).unwrap();
    assert_eq!(
        second.queries(),
        ["verb=ListRecords&resumptionToken=726959|1001", "verb=ListRecords&resumptionToken=tok-2"]
    );
    assert_eq!((summary.pages, summary.records), (2, 6));
    assert_eq!(summary.checkpoint.records, 12, "counts carry over from the first run");
    assert_eq!(out.papers.len() + out.rejected.len(), 6);
    assert!(out.papers.iter().all(|p| p.id.as_str() != "0704.0471"), "page 1 is not fetched again");
    assert_eq!(rec2.progress.last().map(|p| (p.records_this_run, p.records)), Some((6, 12)));
    // Resuming a finished harvest does nothing.
    let done = summary.checkpoint;
    harvester.resume(&done, &mut (), &mut |_| panic!("no items expected")).unwrap();
    assert_eq!(second.requests().len(), 2);
}

#[test]
fn oai_rate_limiter_spaces_requests() {
    let server = Server::start(oai_pages);
    let config = HarvestConfig { min_interval_ms: 50, ..config(&server) };
    harvest_with(&config, &raw_query(), &mut Recorder::default()).0.unwrap();
    let times: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 3);
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(45), "{:?}", pair[1] - pair[0]);
    }
}

/// Answers the scripted replies first, then the normal pages.
fn scripted(mut script: Vec<Reply>) -> impl FnMut(&Request) -> Reply + Send + 'static {
    script.reverse();
    move |request| script.pop().unwrap_or_else(|| oai_pages(request))
}

#[test]
fn oai_503_with_retry_after_is_retried_after_the_wait() {
    let server = Server::start(scripted(vec![status(503, Some("1"))]));
    let started = Instant::now();
    let (result, out) = harvest_with(&config(&server), &raw_query(), &mut Recorder::default());
    assert_eq!(result.unwrap().records, 12);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(out.papers.len() + out.rejected.len(), 12);
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[0].query, requests[1].query, "the same page is asked again");
    assert!(requests[1].at - requests[0].at >= Duration::from_millis(950));
}

#[test]
fn oai_retry_after_is_capped_by_max_backoff() {
    let server = Server::start(scripted(vec![status(503, Some("3600"))]));
    let config = HarvestConfig { max_backoff_ms: 100, ..config(&server) };
    let started = Instant::now();
    assert_eq!(harvest_with(&config, &raw_query(), &mut Recorder::default()).0.unwrap().records, 12);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn oai_429_and_dropped_connections_are_retried() {
    let server = Server::start(scripted(vec![status(429, None), Reply::Hangup, status(502, None)]));
    let (result, _) = harvest_with(&config(&server), &raw_query(), &mut Recorder::default());
    assert_eq!(result.unwrap().pages, 3);
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn oai_gives_up_after_max_retries() {
    let server = Server::start(|_: &Request| status(500, None));
    let config = HarvestConfig { max_retries: 2, ..config(&server) };
    let mut rec = Recorder::default();
    match harvest_with(&config, &raw_query(), &mut rec).0 {
        Err(HarvestError::RetriesExhausted { attempts: 3, last, .. }) => {
            assert!(matches!(*last, HarvestError::Http { status: 500, .. }), "{last}");
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 3);
    assert!(rec.checkpoints.is_empty());
}

#[test]
fn oai_bad_resumption_token_is_a_clear_error() {
    let server = Server::start(oai_pages);
    let harvester = OaiHarvester::new(&config(&server)).unwrap();
    let mut checkpoint = OaiCheckpoint::start(raw_query());
    checkpoint.resumption_token = Some("3".into());
    match harvester.resume(&checkpoint, &mut (), &mut |_| Ok(())) {
        Err(e @ HarvestError::BadResumptionToken { .. }) => {
            let text = e.to_string();
            assert!(text.contains("`3`") && text.contains("restart"), "{text}");
        }
        other => panic!("expected BadResumptionToken, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "not retried");
}

#[test]
fn oai_no_records_match_is_an_empty_harvest() {
    let server = Server::start(|_: &Request| ok(fixture("oai/arXivRaw-mikesaelim/ErrorResponseNoRecordsMatch.xml")));
    let query = OaiQuery { set: Some("moo".into()), ..raw_query() };
    let mut rec = Recorder::default();
    let (result, out) = harvest_with(&config(&server), &query, &mut rec);
    let summary = result.unwrap();
    assert_eq!((summary.pages, summary.records), (1, 0));
    assert!(summary.checkpoint.done);
    assert!(out.papers.is_empty() && out.rejected.is_empty());
    assert_eq!(rec.checkpoints.len(), 1);
}

#[test]
fn oai_other_errors_and_bad_bodies_fail() {
    let server = Server::start(|_: &Request| ok(fixture("oai/arXivRaw-mikesaelim/ErrorResponseBadArgument.xml")));
    let (result, _) = harvest_with(&config(&server), &raw_query(), &mut Recorder::default());
    assert!(matches!(result, Err(HarvestError::Oai { ref code, .. }) if code == "badArgument"), "{result:?}");

    let server = Server::start(|_: &Request| ok(b"<html><body>Down for maintenance</body></html>".to_vec()));
    let (result, _) = harvest_with(&config(&server), &raw_query(), &mut Recorder::default());
    assert!(matches!(result, Err(HarvestError::UnexpectedBody { .. })), "{result:?}");

    let truncated = fixture("oai/arXivRaw-mikesaelim/ListRecordsResponse.xml")[..3000].to_vec();
    let server = Server::start(move |_: &Request| ok(truncated.clone()));
    let (result, _) = harvest_with(&config(&server), &raw_query(), &mut Recorder::default());
    assert!(matches!(result, Err(HarvestError::UnexpectedBody { .. })), "{result:?}");

    let server = Server::start(|_: &Request| status(404, None));
    let (result, _) = harvest_with(&config(&server), &raw_query(), &mut Recorder::default());
    assert!(matches!(result, Err(HarvestError::Http { status: 404, .. })), "{result:?}");
    assert_eq!(server.requests().len(), 1, "404 is not retried");

    let server = Server::start(oai_pages);
    let config = HarvestConfig { max_body_bytes: 1_000, ..config(&server) };
    let (result, _) = harvest_with(&config, &raw_query(), &mut Recorder::default());
    assert!(matches!(result, Err(HarvestError::BodyTooLarge { limit: 1_000, .. })), "{result:?}");
}

#[test]
fn oai_consumer_can_stop_the_harvest() {
    let server = Server::start(oai_pages);
    let harvester = OaiHarvester::new(&config(&server)).unwrap();
    let mut rec = Recorder::default();
    let result = harvester.harvest(&raw_query(), &mut rec, &mut |_| Err(papertide_ingest::IngestError::Stopped));
    assert!(matches!(result, Err(HarvestError::Stopped)), "{result:?}");
    assert!(rec.checkpoints.is_empty(), "no checkpoint for a page not fully consumed");
    assert_eq!(server.requests().len(), 1);
}
