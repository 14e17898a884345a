//! Every page: status and key content.

use axum::http::StatusCode;
use chrono::Utc;
use papertide_store::Store;

use crate::app::App;

#[tokio::test]
async fn health_metrics_and_assets() {
    let mut app = App::new();
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(health.body.starts_with("ok\npapers 31"), "{}", health.body);
    app.get("/papers/0704.0001").await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.body.contains("papertide_papers 31"), "{}", metrics.body);
    assert!(metrics.body.contains("papertide_embedding_backlog 31"));
    assert!(metrics.body.contains("route=\"/papers/{*id}\",status=\"200\"} 1"), "{}", metrics.body);
    for asset in [
        "/assets/app.css",
        "/assets/app.js",
        "/assets/katex/katex.min.js",
        "/assets/katex/auto-render.min.js",
        "/assets/katex/fonts/KaTeX_Main-Regular.woff2",
    ] {
        let r = app.get(asset).await;
        assert_eq!(r.status, StatusCode::OK, "{asset}");
        assert!(r.headers["cache-control"].to_str().unwrap().contains("immutable"));
    }
    assert_eq!(app.get("/assets/nope.js").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/no/such/page").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_feed_shows_submitted_papers_by_day_week_and_month() {
    let mut app = App::new();
    let empty = app.get("/").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No papers on this feed yet"));
    app.sign_up("alice").await;
    let submitted =
        app.post("/papers/submit", "/papers/submit", &[("paper", "https://arxiv.org/abs/0704.0002v1")]).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.body);
    assert_eq!(submitted.location(), "/papers/0704.0002");
    let today = Utc::now().date_naive();
    let home = app.get("/").await;
    assert!(home.body.contains("Sparsity-certifying Graph Decompositions"), "{}", home.body);
    assert!(home.body.contains("submitted by <a href=\"/users/alice\">alice</a>"));
    assert!(home.body.contains("math.CO"));
    for path in [
        format!("/papers/date/{}", today.format("%Y-%m-%d")),
        format!("/papers/week/{}", today.format("%G-W%V")),
        format!("/papers/month/{}", today.format("%Y-%m")),
    ] {
        for sort in ["", "?sort=trending", "?sort=newest", "?sort=upvotes"] {
            let r = app.get(&format!("{path}{sort}")).await;
            assert_eq!(r.status, StatusCode::OK, "{path}{sort}");
            assert!(r.body.contains("Sparsity-certifying"), "{path}{sort}");
        }
    }
    assert_eq!(app.get("/papers/date/2026-13-45").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/papers/week/2026-03").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/?sort=best").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/?cursor=garbage").await.status, StatusCode::BAD_REQUEST);
    let old = app.get("/papers/date/2001-01-01").await;
    assert!(old.body.contains("No papers on this feed yet"));
}

#[tokio::test]
async fn paper_pages_markdown_and_redirects() {
    let mut app = App::new();
    let page = app.get("/papers/0704.0002").await;
    assert_eq!(page.status, StatusCode::OK);
    for needle in [
        "Sparsity-certifying Graph Decompositions",
        "Ileana Streinu, Louis Theran",
        "We describe a new algorithm",
        "https://arxiv.org/pdf/0704.0002",
        "Similar papers",
        "Sign in</a> to comment",
    ] {
        assert!(page.body.contains(needle), "missing {needle}");
    }
    let md = app.get("/papers/0704.0002.md").await;
    assert_eq!(md.status, StatusCode::OK);
    assert_eq!(md.headers["content-type"], "text/markdown; charset=utf-8");
    assert!(md.body.starts_with("# Sparsity-certifying Graph Decompositions\n"), "{}", md.body);
    assert!(md.body.contains("## Abstract\n\nWe describe a new algorithm"));
    let versioned = app.get("/papers/0704.0002v2").await;
    assert_eq!(versioned.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(versioned.location(), "/papers/0704.0002");
    assert_eq!(app.get("/papers/0704.9999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/papers/not-an-id").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn search_shows_title_and_full_abstract_with_highlights() {
    let mut app = App::new();
    let r = app.get("/search?q=graph+decompositions").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<mark>Graph</mark> <mark>Decompositions</mark>"), "{}", r.body);
    assert!(r.body.contains("semantic search is unavailable"), "the missing model is explained");
    let same = app.get("/papers?q=graph+decompositions&mode=keyword").await;
    assert!(same.body.contains("Sparsity-certifying"));
    let filtered = app.get("/search?q=graph+decompositions&category=hep-ph").await;
    assert!(!filtered.body.contains("Sparsity-certifying"));
    let dated = app.get("/search?q=graph&since=2030-01-01").await;
    assert!(dated.body.contains("No papers match"));
    assert_eq!(app.get("/search?q=x&since=yesterday").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/search?q=x&mode=psychic").await.status, StatusCode::BAD_REQUEST);
    let by_id = app.get("/search?q=arXiv:0704.0002").await;
    assert_eq!(by_id.status, StatusCode::SEE_OTHER);
    assert_eq!(by_id.location(), "/papers/0704.0002");
    let blank = app.get("/search").await;
    assert_eq!(blank.status, StatusCode::OK);
}

#[tokio::test]
async fn accounts_upvotes_comments_and_profiles() {
    let mut app = App::new();
    app.sign_up("bob").await;
    let home = app.get("/").await;
    assert!(home.body.contains("href=\"/users/bob\""), "signed in");
    let up = app.post("/papers/0704.0003", "/papers/0704.0003/upvote", &[]).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER);
    assert_eq!(app.store.community(&"0704.0003".parse().unwrap()).unwrap().upvotes, 1);
    // Twice is still one vote; undo removes it.
    app.post("/papers/0704.0003", "/papers/0704.0003/upvote", &[]).await;
    assert_eq!(app.store.community(&"0704.0003".parse().unwrap()).unwrap().upvotes, 1);
    let page = app.get("/papers/0704.0003").await;
    assert!(page.body.contains("Upvoted · 1"), "{}", page.body);
    app.post("/papers/0704.0003", "/papers/0704.0003/upvote", &[("undo", "1")]).await;
    assert_eq!(app.store.community(&"0704.0003".parse().unwrap()).unwrap().upvotes, 0);

    let c = app
        .post(
            "/papers/0704.0003",
            "/papers/0704.0003/comments",
            &[("body", "Nice *result*, see [arXiv](https://arxiv.org)")],
        )
        .await;
    assert_eq!(c.status, StatusCode::SEE_OTHER, "{}", c.body);
    let page = app.get("/papers/0704.0003").await;
    assert!(page.body.contains("Nice <em>result</em>"), "{}", page.body);
    assert!(page.body.contains("Comments (1)"));
    let comment_id = c.location().rsplit("#comment-").next().unwrap().to_string();
    let edit = app
        .post("/papers/0704.0003", &format!("/comments/{comment_id}"), &[("action", "edit"), ("body", "Edited text")])
        .await;
    assert_eq!(edit.status, StatusCode::SEE_OTHER);
    assert!(app.get("/papers/0704.0003").await.body.contains("Edited text"));
    let profile = app.get("/users/bob").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains("Edited text"));
    assert_eq!(app.get("/users/nobody").await.status, StatusCode::NOT_FOUND);

    // Sign out, then sign in again.
    let out = app.post("/", "/signout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!app.get("/").await.body.contains("href=\"/users/bob\""));
    let bad = app.post("/signin", "/signin", &[("name", "bob"), ("password", "wrong password!")]).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.body.contains("Wrong name or password"));
    let good = app.post("/signin", "/signin", &[("name", "BOB"), ("password", "correct horse battery")]).await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    assert!(app.get("/").await.body.contains("href=\"/users/bob\""));
    let taken = app.post("/signup", "/signup", &[("name", "Bob"), ("password", "another long password")]).await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("taken"));
}

/// Feed pages are cached (see `papertide_web::cache`), but a vote or comment posted through
/// the site shows on the next view of the feed, for everyone.
#[tokio::test]
async fn a_writer_sees_their_vote_and_comment_at_once_on_cached_feed_pages() {
    let mut app = App::new();
    app.sign_up("carol").await;
    app.post("/papers/submit", "/papers/submit", &[("paper", "0704.0002")]).await;
    let count = |body: &str| {
        let marker = "aria-label=\"upvotes\">";
        let at = body.find(marker).expect("an upvote count") + marker.len();
        body[at..].split('<').next().unwrap().to_string()
    };
    app.forget_cookies();
    let before = app.get("/").await;
    assert_eq!(count(&before.body), "0");
    assert!(before.body.contains("0 comments"));
    app.sign_up("dave").await;
    let vote = app.post("/", "/papers/0704.0002/upvote", &[("next", "/?sort=newest#paper-0704.0002")]).await;
    assert_eq!(vote.location(), "/?sort=newest#paper-0704.0002", "a vote cast on the feed returns to it");
    let wrote = vote.headers.get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("pt_wrote=1;"));
    assert!(wrote, "the writer is marked for a few seconds: {:?}", vote.headers);
    app.post("/papers/0704.0002", "/papers/0704.0002/comments", &[("body", "cached?")]).await;
    // The writer reads their own writes, past the cache.
    let after = app.get("/").await;
    assert_eq!(count(&after.body), "1", "{}", after.body);
    assert!(after.body.contains(">1 comment<"), "{}", after.body);
    // Everybody else is served the cached page until it expires (5 s), as on other replicas.
    app.forget_cookies();
    assert_eq!(count(&app.get("/").await.body), "1", "the writer's fresh read refreshed the cache");
}

/// Regression: `next` after a vote is never an open redirect.
#[tokio::test]
async fn vote_return_paths_stay_on_the_site() {
    let mut app = App::new();
    app.sign_up("erin").await;
    for evil in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"] {
        let r = app.post("/papers/0704.0002", "/papers/0704.0002/upvote", &[("next", evil)]).await;
        assert_eq!(r.location(), "/papers/0704.0002", "{evil}");
    }
}

/// Regression: a person who submits a paper that was already auto-featured is credited on
/// its page (the featuring has no submitter and used to win as the earlier row).
#[tokio::test]
async fn submitting_an_auto_featured_paper_credits_the_submitter() {
    let mut app = App::new();
    let id: papertide_core::PaperId = "0704.0002".parse().unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2007, 4, 2).unwrap();
    app.store.submit(&id, day, None, true, Utc::now()).unwrap();
    assert_eq!(app.store.community(&id).unwrap().submitted_by, None);
    app.sign_up("frank").await;
    app.post("/papers/submit", "/papers/submit", &[("paper", "0704.0002")]).await;
    let page = app.get("/papers/0704.0002").await;
    assert!(page.body.contains("/users/frank"), "{}", page.body);
}
