//! papertide's own API (`/api/v1`): tokens and scopes, writes (submit, upvote, comment),
//! cursor paging (comments, search, export), profiles and exports.

use axum::http::StatusCode;
use papertide_store::Store;
use serde_json::{json, Value};

use crate::app::App;

fn body(r: &crate::app::Reply) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {} {}", r.status, r.body))
}

fn error_code(r: &crate::app::Reply) -> String {
    body(r)["error"]["code"].as_str().unwrap_or_default().to_string()
}

/// Signs `name` up and creates a token of `scope` on their profile page; returns the secret.
pub async fn token(app: &mut App, name: &str, scope: &str) -> String {
    if app.store.user_by_name(&name.parse().unwrap()).unwrap().is_none() {
        app.sign_up(name).await;
    }
    let profile = format!("/users/{name}");
    let r = app.post(&profile, "/settings/tokens", &[("name", &format!("{scope} bot")), ("scope", scope)]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    let start = r.body.find("value=\"pt_").expect("the secret is shown") + "value=\"".len();
    r.body[start..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn tokens_are_made_on_the_profile_page_and_their_scopes_hold() {
    let mut app = App::new();
    let write = token(&mut app, "tara", "write").await;
    let read = token(&mut app, "tara", "read").await;
    let page = app.get("/users/tara").await;
    assert!(page.body.contains("API tokens") && page.body.contains("write bot"), "{}", page.body);
    assert!(!page.body.contains(&write), "the secret is never shown again");

    let me = app.api("GET", "/api/v1/me", Some(&write), None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.headers.get("cache-control").unwrap(), "private, no-cache");
    let me = body(&me);
    assert_eq!((me["user"]["name"].as_str(), me["scope"].as_str()), (Some("tara"), Some("write")));
    assert_eq!(me["tokens"].as_array().unwrap().len(), 2);
    assert!(!me.to_string().contains(&write[10..]), "no secret in the listing");

    let none = app.api("PUT", "/api/v1/papers/0704.0002/upvote", None, None).await;
    assert_eq!((none.status, error_code(&none)), (StatusCode::UNAUTHORIZED, "unauthorized".into()));
    assert!(none.headers.get("www-authenticate").unwrap().to_str().unwrap().starts_with("Bearer"));
    let scoped = app.api("PUT", "/api/v1/papers/0704.0002/upvote", Some(&read), None).await;
    assert_eq!((scoped.status, error_code(&scoped)), (StatusCode::FORBIDDEN, "insufficient_scope".into()));
    for bad in ["pt_not-a-real-token", "hf_abc"] {
        let r = app.api("GET", "/api/v1/papers/0704.0002", Some(bad), None).await;
        assert_eq!((r.status, error_code(&r)), (StatusCode::UNAUTHORIZED, "invalid_token".into()), "{bad}");
    }
    assert_eq!(app.api("GET", "/api/v1/me", Some(&read), None).await.status, StatusCode::OK);

    // Another user sees no token section; revoking ends the token.
    app.forget_cookies();
    app.sign_up("ugo").await;
    assert!(!app.get("/users/tara").await.body.contains("API tokens"));
    app.forget_cookies();
    app.post_raw("/signout", &[]).await;
    let r = app.post("/signin", "/signin", &[("name", "tara"), ("password", "correct horse battery")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = body(&app.api("GET", "/api/v1/me", Some(&read), None).await)["tokens"][0]["id"].as_i64().unwrap();
    let r = app.post("/users/tara", &format!("/settings/tokens/{id}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let gone = app.api("GET", "/api/v1/me", Some(&read), None).await;
    assert_eq!((gone.status, error_code(&gone)), (StatusCode::UNAUTHORIZED, "invalid_token".into()));
    assert_eq!(app.api("GET", "/api/v1/me", Some(&write), None).await.status, StatusCode::OK, "the other still works");
    let forged = app.post_raw(&format!("/settings/tokens/{id}/revoke"), &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "CSRF-checked");
}

#[tokio::test]
async fn upvotes_comments_and_submissions_through_the_api() {
    let mut app = App::new();
    let t = token(&mut app, "vera", "write").await;
    let path = "/api/v1/papers/0704.0002/upvote";
    for _ in 0..2 {
        let r = app.api("PUT", path, Some(&t), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(body(&r), json!({"paper": "0704.0002", "upvoted": true, "upvotes": 1}), "idempotent");
    }
    assert_eq!(body(&app.api("GET", path, Some(&t), None).await)["upvoted"], true);
    assert_eq!(body(&app.api("DELETE", path, Some(&t), None).await)["upvotes"], 0);
    assert_eq!(app.api("PUT", "/api/v1/papers/2601.99999/upvote", Some(&t), None).await.status, StatusCode::NOT_FOUND);

    let comments = "/api/v1/papers/0704.0002/comments";
    for i in 0..5 {
        let r = app.api("POST", comments, Some(&t), Some(json!({"body": format!("Comment *{i}*")}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(body(&r)["author"], "vera");
    }
    for (bad, field) in
        [(json!({"body": "  "}), "`body`"), (json!({"text": "x"}), "request body"), (json!(3), "request body")]
    {
        let r = app.api("POST", comments, Some(&t), Some(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(body(&r)["error"]["message"].as_str().unwrap().contains(field), "{}", r.body);
    }
    let mut seen = Vec::new();
    let mut next = format!("{comments}?limit=2");
    loop {
        let page = body(&app.api("GET", &next, None, None).await);
        seen.extend(page["comments"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("{comments}?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, (0..5).map(|i| format!("Comment *{i}*")).collect::<Vec<_>>(), "oldest first, each once");
    let cursor = body(&app.api("GET", &format!("{comments}?limit=2"), None, None).await)["next_cursor"].clone();
    let other = app
        .api("GET", &format!("/api/v1/papers/0704.0003/comments?cursor={}", cursor.as_str().unwrap()), None, None)
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST, "a cursor of another paper: {}", other.body);
    assert_eq!(body(&app.api("GET", "/api/v1/papers/0704.0002", None, None).await)["comments"], 5);

    let r = app.api("POST", "/api/v1/papers", Some(&t), Some(json!({"id": "https://arxiv.org/abs/0704.0003v1"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let submitted = body(&r);
    assert_eq!(
        (submitted["outcome"].as_str(), submitted["paper"]["submitted_by"].as_str()),
        (Some("submitted"), Some("vera"))
    );
    let again = app.api("POST", "/api/v1/papers", Some(&t), Some(json!({"id": "0704.0003"}))).await;
    assert_eq!((again.status, error_code(&again)), (StatusCode::CONFLICT, "conflict".into()));
    let unreachable = app.api("POST", "/api/v1/papers", Some(&t), Some(json!({"id": "2601.00001"}))).await;
    assert_eq!((unreachable.status, error_code(&unreachable)), (StatusCode::SERVICE_UNAVAILABLE, "unavailable".into()));
    let bad = app.api("POST", "/api/v1/papers", Some(&t), Some(json!({"id": "nonsense"}))).await;
    assert!(bad.status == StatusCode::BAD_REQUEST && bad.body.contains("`id`"), "{}", bad.body);
    let wrong = app.api("POST", "/api/v1/papers/0704.0002/upvote", Some(&t), Some(json!({"body": "x"}))).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);

    // The profile and the personal export show it all.
    let profile = body(&app.api("GET", "/api/v1/users/vera", None, None).await);
    assert_eq!(profile["submissions"][0]["paper"]["id"], "0704.0003");
    assert_eq!(profile["comments"].as_array().unwrap().len(), 5);
    assert!(profile.get("email").is_none() && !profile.to_string().contains("email"));
    let export = body(&app.api("GET", "/api/v1/me/export", Some(&t), None).await);
    assert_eq!(export["me"]["user"]["name"], "vera");
    assert_eq!(export["activity"]["comments"].as_array().unwrap().len(), 5);
    assert_eq!(app.api("GET", "/api/v1/users/nobody", None, None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn search_with_options_and_cursors() {
    let mut app = App::new();
    let base = "/api/v1/search?q=theory+model&mode=keyword&limit=2";
    let first = app.api("GET", base, None, None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.headers.get("cache-control").unwrap(), "public, max-age=30");
    let first = body(&first);
    assert_eq!(first["mode"], "keyword");
    let hits = first["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 2);
    for field in ["id", "title", "abstract", "authors", "published", "score", "title_html", "abstract_html"] {
        assert!(hits[0].get(field).is_some(), "{field}: {}", hits[0]);
    }
    assert!(hits[0]["abstract_html"].as_str().unwrap().contains("<mark>"), "{}", hits[0]);
    let cursor = first["next_cursor"].as_str().unwrap_or_else(|| panic!("{first}"));
    let second = body(&app.api("GET", &format!("{base}&cursor={cursor}"), None, None).await);
    let ids = |v: &Value| -> Vec<String> {
        v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().into()).collect()
    };
    assert!(!ids(&second).is_empty());
    assert!(ids(&second).iter().all(|id| !ids(&first).contains(id)), "pages do not overlap");
    let other = app.api("GET", &format!("/api/v1/search?q=other&limit=2&cursor={cursor}"), None, None).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST, "a cursor of another query");

    let semantic = body(&app.api("GET", "/api/v1/search?q=graph&mode=semantic", None, None).await);
    assert_eq!(semantic["mode"], "keyword", "no model in tests: keyword, with a notice");
    assert!(semantic["notice"].as_str().is_some());
    let filtered =
        body(&app.api("GET", "/api/v1/search?q=graph&mode=keyword&category=math&limit=100", None, None).await);
    for h in filtered["hits"].as_array().unwrap() {
        assert!(h["categories"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().starts_with("math")), "{h}");
    }
    let long = format!("q={}", "x".repeat(1001));
    for (q, field) in [
        ("q=", "`q`"),
        ("q=x&mode=fast", "`mode`"),
        ("q=x&since=2026-02-30", "`since`"),
        ("q=x&limit=101", "`limit`"),
        (long.as_str(), "too long"),
    ] {
        let r = app.api("GET", &format!("/api/v1/search?{q}"), None, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert!(r.body.contains(field), "{q}: {}", r.body);
    }

    let similar = body(&app.api("GET", "/api/v1/papers/0704.0002/similar?limit=3", None, None).await);
    let similar_ids = ids(&similar);
    assert!(!similar_ids.is_empty() && similar_ids.len() <= 3);
    assert!(!similar_ids.contains(&"0704.0002".to_string()), "never the paper itself");
    let paper = body(&app.api("GET", "/api/v1/papers/0704.0002", None, None).await);
    assert_eq!(paper["id"], "0704.0002");
    assert!(paper["url"].as_str().unwrap().ends_with("/papers/0704.0002"));
    assert!(paper["abstract"].as_str().is_some_and(|a| !a.is_empty()));
}

#[tokio::test]
async fn the_paper_export_is_a_resumable_change_feed() {
    let mut app = App::new();
    let total = app.store.count_papers().unwrap() as usize;
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/export/papers?limit=7&cursor={c}"),
            None => "/api/v1/export/papers?limit=7".to_string(),
        };
        let page = body(&app.api("GET", &path, None, None).await);
        seen.extend(page["papers"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()));
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if page["more"] == false {
            break;
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (total, total), "every paper once");

    let last = cursor.expect("the last page keeps a cursor");
    let resume = format!("/api/v1/export/papers?cursor={last}");
    assert!(body(&app.api("GET", &resume, None, None).await)["papers"].as_array().unwrap().is_empty());
    let mut changed = app.store.paper(&"0704.0004".parse().unwrap()).unwrap().unwrap();
    changed.version += 1;
    changed.title = "A revised title".into();
    app.store.upsert_papers(&[changed]).unwrap();
    let after = body(&app.api("GET", &resume, None, None).await);
    assert_eq!(after["papers"].as_array().unwrap().len(), 1, "only what changed since: {after}");
    assert_eq!(after["papers"][0]["title"], "A revised title");
    let junk = app.api("GET", "/api/v1/export/papers?cursor=abc", None, None).await;
    assert_eq!((junk.status, error_code(&junk)), (StatusCode::BAD_REQUEST, "bad_request".into()));
}

#[tokio::test]
async fn options_and_405s_name_the_allowed_methods() {
    let mut app = App::new();
    for (path, allow) in [
        ("/api/v1/papers", "POST"),
        ("/api/v1/papers/0704.0002", "GET"),
        ("/api/v1/papers/hep-th/9901001/comments", "GET, POST"),
        ("/api/v1/papers/0704.0002/upvote", "GET, PUT, DELETE"),
        ("/api/v1/search", "GET"),
    ] {
        let r = app.request("OPTIONS", path, &[]).await;
        assert_eq!(
            (r.status, r.headers.get("allow").unwrap().to_str().unwrap()),
            (StatusCode::NO_CONTENT, allow),
            "{path}"
        );
    }
    let t = token(&mut app, "wes", "write").await;
    let r = app.api("PUT", "/api/v1/papers/0704.0002/comments", Some(&t), None).await;
    assert_eq!(
        (r.status, r.headers.get("allow").unwrap().to_str().unwrap()),
        (StatusCode::METHOD_NOT_ALLOWED, "GET, POST")
    );
    assert_eq!(error_code(&r), "method_not_allowed");
    let first = app.api("GET", "/api/v1/search?q=theory&cursor=", None, None).await;
    assert_eq!(first.status, StatusCode::OK, "an empty cursor is the first page: {}", first.body);
}

#[tokio::test]
async fn publicly_cacheable_answers_set_no_cookie() {
    let mut app = App::new();
    for path in ["/api/daily_papers", "/api/v1/papers/0704.0002", "/openapi.json", "/feeds/daily.atom"] {
        let r = app.get(path).await;
        assert!(r.headers.get("set-cookie").is_none(), "{path} sets a cookie a shared cache could hand out");
    }
    let page = app.get("/").await;
    assert!(page.headers.get("set-cookie").is_some_and(|c| c.to_str().unwrap().starts_with("pt_csrf=")), "pages do");
}

#[tokio::test]
async fn for_you_starts_from_trending_until_there_is_a_taste() {
    let mut app = App::new();
    let day = chrono::NaiveDate::from_ymd_opt(2007, 4, 2).unwrap();
    for p in crate::app::kaggle(4) {
        app.store.submit(&p.id, day, None, true, chrono::Utc::now()).unwrap();
    }
    let t = token(&mut app, "xena", "read").await;
    let r = app.api("GET", "/api/v1/me/recommendations", Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = body(&r);
    assert_eq!(list["cold_start"], true, "no upvotes with embeddings (no model in these tests)");
    let papers = list["papers"].as_array().unwrap();
    assert_eq!(papers.len(), 4, "{list}");
    assert!(papers.iter().all(|p| p["reason"] == "Trending this week" && p["title"].is_string()));
    assert_eq!(app.api("GET", "/api/v1/me/recommendations", None, None).await.status, StatusCode::UNAUTHORIZED);
    let page = app.get("/for-you").await;
    assert!(page.body.contains("For you") && page.body.contains("Upvote papers you like"), "{}", page.body);
    app.forget_cookies();
    assert!(app.get("/for-you").await.body.contains("Sign in"));
}

/// Regression (replicas): a search answered "nothing" was cached for a minute, so a paper
/// imported meanwhile stayed unfindable on that replica after it was indexed. Cached answers
/// now belong to the index version.
#[tokio::test]
async fn a_cached_search_finds_a_paper_as_soon_as_it_is_indexed() {
    let mut app = App::new();
    let url = "/api/v1/search?q=quokkanet&mode=keyword";
    assert_eq!(body(&app.api("GET", url, None, None).await)["hits"].as_array().unwrap().len(), 0);
    let mut p = papertide_core::Paper::new("2612.00001".parse().unwrap(), "Quokkanet", papertide_core::Source::Local);
    p.abstract_text = "A quokkanet.".into();
    app.store.upsert_papers(&[p.normalized()]).unwrap();
    assert_eq!(body(&app.api("GET", url, None, None).await)["hits"].as_array().unwrap().len(), 0, "not indexed yet");
    app.engine.sync(&mut |_| {}).unwrap();
    let hits = body(&app.api("GET", url, None, None).await)["hits"].clone();
    assert_eq!(hits[0]["id"], "2612.00001", "{hits}");
}
