//! The Hugging Face Hub compatible API: shapes the `huggingface_hub` client parses, JSON
//! errors with the right status, paging. (The real client runs against a real server in
//! `scripts/hf-conformance`.)

use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use papertide_store::Store;
use serde_json::Value;

use crate::app::App;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Puts the first `n` papers of the Kaggle head on the feed of 2007-04-02 (featured).
fn feature(app: &App, n: usize) -> NaiveDate {
    let day = NaiveDate::from_ymd_opt(2007, 4, 2).unwrap();
    for p in crate::app::kaggle(n) {
        app.store.submit(&p.id, day, None, true, Utc::now()).unwrap();
    }
    day
}

#[tokio::test]
async fn daily_papers_in_the_hub_shape() {
    let mut app = App::new();
    let day = feature(&app, 5);
    app.sign_up("hana").await;
    app.post("/papers/0704.0002", "/papers/0704.0002/upvote", &[]).await;
    let r = app.get(&format!("/api/daily_papers?date={day}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers.get("content-type").unwrap(), "application/json");
    let items = json(&r.body);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 5);
    let first = &items[0];
    assert_eq!(first["paper"]["id"], "0704.0002", "most upvoted first");
    assert_eq!(first["paper"]["upvotes"], 1);
    assert_eq!(first["upvotes"], 1);
    assert_eq!(first["paper"]["title"], first["title"]);
    assert_eq!(first["paper"]["discussionId"], "0704.0002");
    assert!(first["paper"]["authors"][0]["name"].as_str().is_some_and(|n| !n.is_empty()));
    let published = first["paper"]["publishedAt"].as_str().unwrap();
    assert!(published.ends_with(".000Z") && published.len() == 24, "the Hub's time format: {published}");
    assert!(first["publishedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(first["numComments"], 0);
    assert!(first.get("submittedBy").is_none(), "featured by an admin: no submitter");

    let week = day.format("%G-W%V").to_string();
    let month = day.format("%Y-%m").to_string();
    for q in [format!("week={week}&sort=trending"), format!("month={month}"), format!("date={day}&sort=publishedAt")] {
        let r = app.get(&format!("/api/daily_papers?{q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        assert_eq!(json(&r.body).as_array().unwrap().len(), 5, "{q}");
    }
    let page = |p: usize| format!("/api/daily_papers?date={day}&limit=2&p={p}");
    let ids = |body: &str| -> Vec<String> {
        json(body).as_array().unwrap().iter().map(|i| i["paper"]["id"].as_str().unwrap().to_string()).collect()
    };
    let (p0, p1, p2) =
        (ids(&app.get(&page(0)).await.body), ids(&app.get(&page(1)).await.body), ids(&app.get(&page(2)).await.body));
    assert_eq!((p0.len(), p1.len(), p2.len()), (2, 2, 1));
    let mut all = [p0, p1, p2].concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 5, "pages do not overlap");
}

#[tokio::test]
async fn submitter_filter_and_the_submitters_user_object() {
    let mut app = App::new();
    app.sign_up("ivan").await;
    app.post("/papers/submit", "/papers/submit", &[("paper", "0704.0003")]).await;
    let r = app.get("/api/daily_papers?submitter=ivan").await;
    let items = json(&r.body);
    assert_eq!(items.as_array().unwrap().len(), 1, "{}", r.body);
    assert_eq!(items[0]["submittedBy"]["user"], "ivan");
    assert_eq!(items[0]["submittedBy"]["type"], "user");
    assert_eq!(json(&app.get("/api/daily_papers?submitter=nobody").await.body), serde_json::json!([]));
}

#[tokio::test]
async fn one_paper_and_json_errors() {
    let mut app = App::new();
    let r = app.get("/api/papers/0704.0002").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = json(&r.body);
    assert_eq!(p["id"], "0704.0002");
    assert_eq!(p["upvotes"], 0);
    assert_eq!(p["numComments"], 0);
    assert!(p["summary"].as_str().is_some_and(|s| !s.is_empty()));

    let missing = app.get("/api/papers/2601.99999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.headers.get("x-error-code").unwrap(), "EntryNotFound");
    let e = json(&missing.body);
    assert_eq!(e["error"]["code"], "not_found");
    assert!(e["error"]["message"].as_str().unwrap().contains("2601.99999"));

    for (path, field) in [
        ("/api/papers/not-a-paper", "not a paper id"),
        ("/api/daily_papers?date=2026-13-45", "`date`"),
        ("/api/daily_papers?sort=best", "`sort`"),
        ("/api/daily_papers?week=", "`week` is empty"),
        ("/api/daily_papers?limit=0", "`limit`"),
        ("/api/daily_papers?limit=1000", "`limit`"),
        ("/api/daily_papers?p=-1", "p"),
        ("/api/papers/search?q=x&limit=0", "`limit`"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
        let e = json(&r.body);
        assert_eq!(e["error"]["code"], "bad_request", "{path}");
        assert!(e["error"]["message"].as_str().unwrap().contains(field), "{path}: {}", r.body);
    }
}

#[tokio::test]
async fn search_lists_papers_with_their_counts() {
    let mut app = App::new();
    let r = app.get("/api/papers/search?q=sparsity+certifying+graph+decompositions&limit=3").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items = json(&r.body);
    let items = items.as_array().unwrap();
    assert!(!items.is_empty() && items.len() <= 3);
    assert_eq!(items[0]["paper"]["id"], "0704.0002");
    assert_eq!(items[0]["upvotes"], 0);
    assert!(items[0].get("publishedAt").is_none(), "not a feed listing: no submission time at the top");
    assert_eq!(json(&app.get("/api/papers/search?q=").await.body), serde_json::json!([]));
}

/// The OpenAPI document is generated from the code; this snapshot fails when it drifts
/// (review the change, then `cargo insta accept` or `INSTA_UPDATE=always`).
#[tokio::test]
async fn openapi_document_and_docs_page() {
    let mut app = App::new();
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = json(&r.body);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    for path in ["/api/daily_papers", "/api/papers/search", "/api/papers/{id}"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} documented");
    }
    insta::assert_snapshot!("openapi", serde_json::to_string_pretty(&doc).unwrap());

    let page = app.get("/api/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("GET /api/daily_papers") && page.body.contains("href=\"/openapi.json\""));
    assert!(page.body.contains("<code>submitter</code>"), "parameters are listed");
}

#[tokio::test]
async fn read_endpoints_have_etags_and_cache_control() {
    let mut app = App::new();
    let r = app.get("/api/papers/0704.0002").await;
    assert_eq!(r.headers.get("cache-control").unwrap(), "public, max-age=30");
    let etag = r.headers.get("etag").unwrap().to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
    let again = app.request("GET", "/api/papers/0704.0002", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let other = app.request("GET", "/api/papers/0704.0002", &[("if-none-match", "\"stale\"")]).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.headers.get("etag").unwrap().to_str().unwrap(), etag, "same body, same tag");
    // A vote changes the paper, so its tag.
    app.sign_up("jade").await;
    app.post("/papers/0704.0002", "/papers/0704.0002/upvote", &[]).await;
    let changed = app.request("GET", "/api/papers/0704.0002", &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.headers.get("etag").unwrap().to_str().unwrap(), etag);
    // Errors are not cached.
    let missing = app.get("/api/papers/2601.99999").await;
    assert!(missing.headers.get("etag").is_none() && missing.headers.get("cache-control").is_none());
}

#[tokio::test]
async fn cors_is_off_by_default_and_follows_the_configured_origins() {
    let mut app = App::new();
    let r = app.request("GET", "/api/daily_papers", &[("origin", "https://lab.example")]).await;
    assert!(r.headers.get("access-control-allow-origin").is_none());

    let config = papertide_web::WebConfig { cors_origins: vec!["https://lab.example".into()], ..Default::default() };
    let mut app = App::with_config(config);
    let ok = app.request("GET", "/api/daily_papers", &[("origin", "https://lab.example")]).await;
    assert_eq!(ok.headers.get("access-control-allow-origin").unwrap(), "https://lab.example");
    let other = app.request("GET", "/api/daily_papers", &[("origin", "https://evil.example")]).await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
    let preflight = app
        .request(
            "OPTIONS",
            "/api/papers/search",
            &[("origin", "https://lab.example"), ("access-control-request-method", "GET")],
        )
        .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert!(preflight.headers.get("access-control-allow-methods").unwrap().to_str().unwrap().contains("GET"));
}

#[tokio::test]
async fn api_requests_are_rate_limited_per_address() {
    let config = papertide_web::WebConfig { api_per_minute: 3, ..Default::default() };
    let mut app = App::with_config(config);
    for _ in 0..3 {
        assert_eq!(app.get("/api/papers/0704.0002").await.status, StatusCode::OK);
    }
    let limited = app.get("/api/papers/0704.0002").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.get("retry-after").unwrap().to_str().unwrap().parse::<u64>().unwrap() <= 60);
    assert_eq!(json(&limited.body)["error"]["code"], "rate_limited");
    app.peer = "127.0.0.2:40000".parse().unwrap();
    assert_eq!(app.get("/api/papers/0704.0002").await.status, StatusCode::OK, "another address has its own budget");
}
