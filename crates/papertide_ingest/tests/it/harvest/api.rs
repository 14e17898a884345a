//! The arXiv API client against the local server, which answers from the recorded
//! `atom/recorded-2026` fixtures by the query each was recorded for.

use std::collections::HashMap;

use papertide_ingest::harvest::{ArxivApiClient, HarvestConfig, HarvestError, SearchOptions};

use super::server::{decode, ok, status, Reply, Request, Server};
use super::{config, fixture};
use crate::support::{data_dir, Collected};

/// Serves `atom/recorded-2026`: each `.json` names the URL it was recorded from.
fn api_fixtures() -> impl FnMut(&Request) -> Reply + Send + 'static {
    let dir = data_dir().join("fixtures/atom/recorded-2026");
    let mut routes: Vec<(HashMap<String, String>, u16, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let url = meta["url"].as_str().unwrap();
        let params = url.split_once('?').unwrap().1.split('&').filter_map(|kv| kv.split_once('='));
        let params = params.map(|(k, v)| (decode(k), decode(v))).collect();
        let code = meta["status_code"].as_u64().unwrap() as u16;
        routes.push((params, code, std::fs::read(dir.join(format!("{name}.body.xml"))).unwrap()));
    }
    move |request| {
        assert_eq!(request.path, "/api/query");
        let get = |p: &HashMap<String, String>, k: &str| p.get(k).cloned().unwrap_or_default();
        let same = |p: &HashMap<String, String>, k: &str| get(p, k) == request.param(k).unwrap_or_default();
        let start = request.param("start").unwrap_or("0");
        let candidates: Vec<_> = routes
            .iter()
            .filter(|(p, _, _)| same(p, "search_query") && same(p, "id_list") && get(p, "start") == start)
            .collect();
        let exact = candidates.iter().find(|(p, _, _)| same(p, "max_results"));
        match exact.or(candidates.first()) {
            Some((_, code, body)) => Reply::Http { status: *code, retry_after: None, body: body.clone() },
            None => status(404, None),
        }
    }
}

fn api_client(server: &Server, page_size: u32, chunk: u32) -> ArxivApiClient {
    ArxivApiClient::new(&HarvestConfig { api_page_size: page_size, id_chunk_size: chunk, ..config(server) }).unwrap()
}

#[test]
fn api_query_pages_by_start_and_max_results() {
    let server = Server::start(api_fixtures());
    let client = api_client(&server, 10, 100);
    let mut out = Collected::default();
    let options = SearchOptions { limit: 30, ..SearchOptions::default() };
    let summary = client.query("testing", &options, &mut |item| out.push(item)).unwrap();
    assert_eq!(
        server.queries(),
        [
            "search_query=testing&start=0&max_results=10",
            "search_query=testing&start=10&max_results=10",
            "search_query=testing&start=20&max_results=10",
        ]
    );
    assert_eq!((summary.requests, summary.entries, summary.total_results), (3, 30, Some(214_881)));
    // A few recorded entries carry mojibake control characters and are rejected by validation.
    assert_eq!(out.papers.len() + out.rejected.len(), 30);
    assert!(out.papers.len() >= 25, "{:?}", out.rejected);
    assert_eq!(out.papers[0].id.as_str(), "2202.12139");

    // A limit that is not a multiple of the page size asks for the rest only, and emits no more.
    let server = Server::start(api_fixtures());
    let client = api_client(&server, 10, 100);
    let mut out = Collected::default();
    let options = SearchOptions { start: 10, limit: 15, ..SearchOptions::default() };
    client.query("testing", &options, &mut |item| out.push(item)).unwrap();
    assert_eq!(
        server.queries(),
        ["search_query=testing&start=10&max_results=10", "search_query=testing&start=20&max_results=5"]
    );
    assert_eq!(out.papers.len() + out.rejected.len(), 15);
}

#[test]
fn api_id_list_requests_chunks_of_ids() {
    let server = Server::start(api_fixtures());
    let client = api_client(&server, 100, 2);
    let mut out = Collected::default();
    let ids = ["0808.05394", "1707.08567", " astro-ph/0601001 "];
    let summary = client.id_list(&ids, &mut |item| out.push(item)).unwrap();
    assert_eq!(
        server.queries(),
        ["id_list=0808.05394,1707.08567&start=0&max_results=2", "id_list=astro-ph/0601001&start=0&max_results=1"]
    );
    assert_eq!((summary.requests, summary.entries), (2, 2));
    let found: Vec<&str> = out.papers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(found, ["1707.08567", "astro-ph/0601001"]);
    // An id arXiv does not know gives an empty feed: no entries, no error.
    let summary = client.id_list(&["0000.0000"], &mut |item| out.push(item)).unwrap();
    assert_eq!((summary.requests, summary.entries), (1, 0));
}

#[test]
fn api_error_feed_is_an_error() {
    // Recorded with HTTP 400.
    let server = Server::start(api_fixtures());
    let result = api_client(&server, 100, 100).id_list(&["abc"], &mut |_| Ok(()));
    match result {
        Err(HarvestError::Api { message, .. }) => {
            assert!(message.contains("incorrect id format for abc"), "{message}")
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "not retried");
    // The same feed with HTTP 200.
    let body = fixture("atom/recorded-2026/id_abc_s0_m100_b79c8dcf6bc3.body.xml");
    let server = Server::start(move |_: &Request| ok(body.clone()));
    let result = api_client(&server, 100, 100).query("abc", &SearchOptions::default(), &mut |_| Ok(()));
    assert!(matches!(result, Err(HarvestError::Api { .. })), "{result:?}");
}

#[test]
fn api_retries_like_oai() {
    let mut script = vec![status(503, Some("0")), status(504, None)];
    let mut fixtures = api_fixtures();
    let server = Server::start(move |r: &Request| if script.is_empty() { fixtures(r) } else { script.remove(0) });
    let mut out = Collected::default();
    client_query_one(&api_client(&server, 10, 100), &mut out);
    assert_eq!(server.requests().len(), 3);
    assert_eq!(out.papers.len() + out.rejected.len(), 10);
}

fn client_query_one(client: &ArxivApiClient, out: &mut Collected) {
    let options = SearchOptions { limit: 10, ..SearchOptions::default() };
    client.query("testing", &options, &mut |item| out.push(item)).unwrap();
}

#[test]
fn a_stalled_arxiv_times_out_and_is_retried_never_stuck() {
    use std::time::{Duration, Instant};
    // The first request hangs (arXiv overloaded): the read timeout ends it, the retry succeeds.
    let mut first = true;
    let mut fixtures = api_fixtures();
    let server =
        Server::start(
            move |r: &Request| {
                if std::mem::take(&mut first) {
                    Reply::Stall(Duration::from_secs(30))
                } else {
                    fixtures(r)
                }
            },
        );
    let client =
        ArxivApiClient::new(&HarvestConfig { read_timeout_ms: 400, api_page_size: 10, ..config(&server) }).unwrap();
    let started = Instant::now();
    let mut out = Collected::default();
    client_query_one(&client, &mut out);
    assert_eq!(out.papers.len() + out.rejected.len(), 10);
    assert_eq!(server.requests().len(), 2);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    // An arXiv that never answers: every attempt times out, then a clear error; nothing hangs.
    let server = Server::start(|_: &Request| Reply::Stall(Duration::from_secs(30)));
    let client = ArxivApiClient::new(&HarvestConfig { read_timeout_ms: 300, ..config(&server) }).unwrap();
    let started = Instant::now();
    let result = client.query("testing", &SearchOptions { limit: 10, ..SearchOptions::default() }, &mut |_| Ok(()));
    assert!(matches!(result, Err(HarvestError::RetriesExhausted { attempts: 4, .. })), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
}
