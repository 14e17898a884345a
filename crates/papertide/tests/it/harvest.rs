//! `papertide harvest` against a local HTTP server serving the recorded OAI-PMH and arXiv API
//! fixtures: pages are committed as they come, an interrupted harvest resumes from its saved
//! checkpoint without fetching the first page again, and API lookups land in the store.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::{count, data_dir, papertide, run};

/// A tiny HTTP/1.1 server on loopback: answers each GET with `respond(path_and_query)` and
/// logs the requests.
struct FixtureServer {
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

fn serve(respond: impl Fn(&str) -> (u16, Vec<u8>) + Send + 'static) -> FixtureServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).map(|n| n > 2).unwrap_or(false) {
                header.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            seen.lock().unwrap().push(path.clone());
            let (status, body) = respond(&path);
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    FixtureServer { url, log }
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(rel)).unwrap()
}

#[test]
fn oai_harvest_commits_pages_and_resumes_after_a_failure() {
    let fail_page_two = Arc::new(AtomicBool::new(true));
    let fail = fail_page_two.clone();
    let server = serve(move |path| {
        if path.contains("resumptionToken") {
            if fail.load(Ordering::SeqCst) {
                (503, b"busy".to_vec())
            } else {
                (200, fixture("fixtures/oai/arXiv-hepcrawl/sample_arxiv_record.xml"))
            }
        } else {
            (200, fixture("fixtures/oai/arXivRaw-mikesaelim/ListRecordsResponse.xml"))
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let harvest = || {
        let mut cmd = papertide(dir.path());
        cmd.env("PAPERTIDE_HARVEST__MAX_RETRIES", "1")
            .env("PAPERTIDE_HARVEST__INITIAL_BACKOFF_MS", "10")
            .args(["harvest", "--set", "physics:hep-ex", "--from", "2015-01-01", "--min-interval-ms", "0"])
            .args(["--metadata-prefix", "arXivRaw", "--base-url", &server.url]);
        cmd
    };
    let out = run(harvest());
    assert_eq!(out.status.code(), Some(1), "page two fails after its retries");
    assert!(String::from_utf8_lossy(&out.stderr).contains("run again to resume"));
    assert_eq!(count(dir.path()), 6, "the first page was committed");

    fail_page_two.store(false, Ordering::SeqCst);
    server.log.lock().unwrap().clear();
    let out = run(harvest());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log = server.log.lock().unwrap().clone();
    assert!(log.iter().all(|p| p.contains("resumptionToken=726959")), "resumed at page two only: {log:?}");
    assert_eq!(count(dir.path()), 6 + 12);
}

#[test]
fn api_id_list_lands_in_the_store() {
    let server = serve(|path| {
        assert!(path.contains("id_list=2104.12255"), "{path}");
        (200, fixture("fixtures/atom/recorded-2026/id_2104.12255v1_s0_m100_6ae69987ffe1.body.xml"))
    });
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = papertide(dir.path());
    cmd.args(["harvest", "--id-list", "2104.12255v1", "--min-interval-ms", "0", "--base-url", &server.url]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(dir.path()), 1);
    let mut paper = papertide(dir.path());
    paper.args(["paper", "2104.12255"]);
    assert!(run(paper).status.success());
}
