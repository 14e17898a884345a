//! Submitting a paper that is not in the database: fetched from a local arXiv API server
//! answering with a recorded 2026 Atom response.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use axum::http::StatusCode;
use papertide_ingest::harvest::HarvestConfig;
use papertide_store::Store;
use papertide_web::fetch::ArxivFetcher;

use crate::app::{shared, App};

/// Serves recorded Atom bodies: `id_list=1605.08386` gets that paper, anything else the
/// recorded empty answer. Returns the base URL.
fn arxiv_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = shared().join("fixtures/atom/recorded-2026");
    let find = move |prefix: &str| {
        let name = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with(prefix) && n.ends_with(".body.xml"))
            .unwrap();
        std::fs::read(dir.join(name)).unwrap()
    };
    let (known, empty) = (find("id_1605.08386_s0"), find("id_0000.0000_s0"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut header = String::new();
            while reader.read_line(&mut header).unwrap() > 2 {
                header.clear();
            }
            let body = if line.contains("1605.08386") { &known } else { &empty };
            let mut out = stream;
            let _ = write!(out, "HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = out.write_all(body);
            let _ = reader.read(&mut [0u8; 0]);
        }
    });
    format!("http://{addr}/api/query")
}

#[tokio::test]
async fn a_submitted_paper_is_fetched_from_arxiv_and_duplicates_are_refused() {
    let config =
        HarvestConfig { api_base_url: arxiv_server(), min_interval_ms: 0, max_retries: 0, ..Default::default() };
    let mut app = App::with_fetcher(Some(Arc::new(ArxivFetcher::new(&config).unwrap())));
    app.sign_up("grace").await;
    let id = "1605.08386".parse().unwrap();
    assert!(app.store.paper(&id).unwrap().is_none());
    let r = app.post("/papers/submit", "/papers/submit", &[("paper", "https://arxiv.org/abs/1605.08386v1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let paper = app.store.paper(&id).unwrap().expect("fetched and stored");
    assert!(!paper.title.is_empty());
    assert!(app.get("/").await.body.contains(&paper.title));
    let again = app.post("/papers/submit", "/papers/submit", &[("paper", "1605.08386")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("already on today"), "{}", again.body);
    let unknown = app.post("/papers/submit", "/papers/submit", &[("paper", "2401.00042")]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let junk = app.post("/papers/submit", "/papers/submit", &[("paper", "not a paper")]).await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST);
    assert!(junk.body.contains("is not an arXiv id"));
}

#[tokio::test]
async fn the_api_submits_papers_fetched_from_arxiv() {
    let config =
        HarvestConfig { api_base_url: arxiv_server(), min_interval_ms: 0, max_retries: 0, ..Default::default() };
    let mut app = App::with_fetcher(Some(Arc::new(ArxivFetcher::new(&config).unwrap())));
    let token = crate::api_v1::token(&mut app, "hedy", "write").await;
    let submit = |id: &str| serde_json::json!({ "id": id });
    let r = app.api("POST", "/api/v1/papers", Some(&token), Some(submit("arXiv:1605.08386v1"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let out: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(out["paper"]["id"], "1605.08386");
    assert_eq!(out["paper"]["submitted_by"], "hedy");
    assert!(out["paper"]["title"].as_str().is_some_and(|t| !t.is_empty()), "fetched from arXiv: {}", r.body);
    let missing = app.api("POST", "/api/v1/papers", Some(&token), Some(submit("2601.00001"))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "arXiv has no such paper: {}", missing.body);
}
