//! The library (tags saved from the paper page, `/library` and its filters), "not interested"
//! from For you and the paper page with its undo, and both in the personal export.

use axum::http::StatusCode;
use papertide_core::{PaperId, Tag};
use papertide_store::Store;
use serde_json::Value;

use crate::app::{kaggle, App};

fn id(text: &str) -> PaperId {
    text.parse().unwrap()
}

fn tag(text: &str) -> Tag {
    text.parse().unwrap()
}

/// Features the first four Kaggle papers on one day: the cold-start For you list.
fn feature(app: &App) {
    let day = chrono::NaiveDate::from_ymd_opt(2007, 4, 2).unwrap();
    for p in kaggle(4) {
        app.store.submit(&p.id, day, None, true, chrono::Utc::now()).unwrap();
    }
}

fn user_id(app: &App, name: &str) -> papertide_core::UserId {
    app.store.user_by_name(&name.parse().unwrap()).unwrap().unwrap().id
}

#[tokio::test]
async fn papers_are_saved_under_tags_listed_filtered_and_removed() {
    let mut app = App::new();
    let r = app.get("/library").await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/signin"), "signed out");
    let r = app.post("/papers/0704.0001", "/papers/0704.0001/save", &[("tag", "x")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "signed out");

    app.sign_up("lena").await;
    let me = user_id(&app, "lena");
    assert!(app.get("/").await.body.contains("href=\"/library\""), "in the header");
    let empty = app.get("/library").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("Your library is empty") && empty.body.contains("Save to library"), "{}", empty.body);

    // The paper page offers the form, "reading list" first.
    let page = app.get("/papers/0704.0001").await;
    assert!(page.body.contains("action=\"/papers/0704.0001/save\"") && page.body.contains("value=\"reading list\""));
    let r = app.post("/papers/0704.0001", "/papers/0704.0001/save", &[("tag", "  Diffusion   Models ")]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/papers/0704.0001#library"), "{}", r.body);
    app.post("/papers/0704.0001", "/papers/0704.0001/save", &[("tag", "reading list")]).await;
    app.post("/papers/0704.0002", "/papers/0704.0002/save", &[("tag", "reading list")]).await;
    let again = app.post("/papers/0704.0002", "/papers/0704.0002/save", &[("tag", "Reading List")]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "saving twice is fine");
    let tags = app.store.library_tags(me).unwrap();
    assert_eq!(tags, vec![(tag("diffusion models"), 1), (tag("reading list"), 2)]);

    let page = app.get("/papers/0704.0001").await;
    assert!(page.body.contains("In your") && page.body.contains("href=\"/library?tag=diffusion+models\""));
    assert!(page.body.contains("action=\"/papers/0704.0001/unsave\""), "a remove button per tag");
    assert!(page.body.contains("<option value=\"diffusion models\">"), "the datalist offers existing tags");

    // /library: tags with counts, papers newest first, filters.
    let all = app.get("/library").await;
    assert!(
        all.body.contains("All · 2")
            && all.body.contains("diffusion models · 1")
            && all.body.contains("reading list · 2")
    );
    let (first, second) = (all.body.find("saved-0704.0002").unwrap(), all.body.find("saved-0704.0001").unwrap());
    assert!(first < second, "newest first");
    assert!(all.body.contains("Added "));
    let filtered = app.get("/library?tag=Diffusion%20Models").await;
    assert!(filtered.body.contains("saved-0704.0001") && !filtered.body.contains("saved-0704.0002"));
    assert!(filtered.body.contains("aria-current=\"page\">diffusion models · 1"), "{}", filtered.body);
    let unknown = app.get("/library?tag=nothing").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(unknown.body.contains("No papers tagged “nothing”") && !unknown.body.contains("saved-0704"));
    let invalid = app.get("/library?tag=%3Cb%3E").await;
    assert_eq!(invalid.status, StatusCode::OK);
    assert!(invalid.body.contains("is not a tag") && !invalid.body.contains("saved-0704"), "{}", invalid.body);
    assert!(!invalid.body.contains("<b>"), "escaped");

    // Refusals: invalid tags, unknown papers, forged forms.
    let bad = app.post("/papers/0704.0001", "/papers/0704.0001/save", &[("tag", "a/b")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("a tag holds letters, digits, spaces"), "{}", bad.body);
    let blank = app.post("/papers/0704.0001", "/papers/0704.0001/save", &[("tag", "  ")]).await;
    assert!(blank.status == StatusCode::BAD_REQUEST && blank.body.contains("a tag cannot be empty"));
    let long = app.post("/papers/0704.0001", "/papers/0704.0001/save", &[("tag", &"x".repeat(41))]).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    let missing = app.post("/papers/0704.0001", "/papers/2901.00001/save", &[("tag", "x")]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    for path in ["/papers/0704.0003/save", "/papers/0704.0001/unsave", "/papers/0704.0003/not-interested"] {
        let r = app.post_raw(path, &[("tag", "reading list")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} without a CSRF token");
        assert!(r.body.contains("csrf_failed"));
    }
    assert!(app.store.library(me, None, 10).unwrap().iter().all(|i| i.paper.id != id("0704.0003")));

    // Removing a tag, back to the list it was removed from.
    let r = app
        .post("/library", "/papers/0704.0001/unsave", &[("tag", "reading list"), ("next", "/library?tag=reading+list")])
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/library?tag=reading+list"));
    assert_eq!(app.store.library_tags(me).unwrap(), vec![(tag("diffusion models"), 1), (tag("reading list"), 1)]);
    let r = app.post("/library", "/papers/0704.0001/unsave", &[("tag", "diffusion models")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!app.get("/library").await.body.contains("saved-0704.0001"));
    assert!(!app.get("/papers/0704.0001").await.body.contains("In your"));
}

#[tokio::test]
async fn a_full_library_refuses_more() {
    let mut app = App::new();
    app.sign_up("hoarder").await;
    let me = user_id(&app, "hoarder");
    let papers: Vec<PaperId> = kaggle(25).into_iter().map(|p| p.id).collect();
    let now = chrono::Utc::now();
    for t in 0..200 {
        for p in &papers {
            app.store.tag_paper(me, p, &tag(&format!("t{t}")), now).unwrap();
        }
    }
    assert_eq!(app.store.library(me, None, 5_001).unwrap().len(), 5_000);
    let r = app.post("/papers/0704.0001", "/papers/0704.0001/save", &[("tag", "one more")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("your library is full"), "{}", r.body);
}

#[tokio::test]
async fn not_interested_hides_a_paper_from_for_you_until_undone() {
    let mut app = App::new();
    feature(&app);
    app.sign_up("nina").await;
    let page = app.get("/for-you").await;
    assert!(page.body.contains("id=\"paper-0704.0001\""), "{}", page.body);
    assert!(page.body.contains("action=\"/papers/0704.0001/not-interested\""));

    let r = app.post("/for-you", "/papers/0704.0001/not-interested", &[("next", "/for-you?dismissed=0704.0001")]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/for-you?dismissed=0704.0001"), "{}", r.body);
    let page = app.get("/for-you?dismissed=0704.0001").await;
    assert!(!page.body.contains("id=\"paper-0704.0001\""), "gone from For you");
    assert!(page.body.contains("id=\"paper-0704.0002\""), "the others stay");
    assert!(page.body.contains("here again") && page.body.contains("Undo"), "an undo notice");

    let paper = app.get("/papers/0704.0001").await;
    assert!(paper.body.contains("You marked this not interested"), "{}", paper.body);
    assert!(paper.body.contains("name=\"undo\" value=\"1\""));
    let undo = app.post("/papers/0704.0001", "/papers/0704.0001/not-interested", &[("undo", "1")]).await;
    assert_eq!((undo.status, undo.location()), (StatusCode::SEE_OTHER, "/papers/0704.0001#library"));
    assert!(!app.get("/papers/0704.0001").await.body.contains("You marked this not interested"));
    assert!(app.get("/for-you").await.body.contains("id=\"paper-0704.0001\""), "back in For you");

    // From the paper page too; unknown papers are 404s, signed-out users are refused.
    app.post("/papers/0704.0002", "/papers/0704.0002/not-interested", &[]).await;
    assert!(!app.get("/for-you").await.body.contains("id=\"paper-0704.0002\""));
    let missing = app.post("/for-you", "/papers/2901.00001/not-interested", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    app.forget_cookies();
    let r = app.post("/papers/0704.0003", "/papers/0704.0003/not-interested", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(!app.get("/papers/0704.0003").await.body.contains("Not interested"), "no panel signed out");
}

#[tokio::test]
async fn the_export_holds_the_library_and_dismissals() {
    let mut app = App::new();
    let token = crate::api_v1::token(&mut app, "olga", "read").await;
    app.post("/papers/0704.0001", "/papers/0704.0001/save", &[("tag", "reading list")]).await;
    app.post("/papers/0704.0001", "/papers/0704.0001/save", &[("tag", "theory")]).await;
    app.post("/papers/0704.0002", "/papers/0704.0002/not-interested", &[]).await;
    let r = app.api("GET", "/api/v1/me/export", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let export: Value = serde_json::from_str(&r.body).unwrap();
    let library = export["library"].as_array().unwrap();
    assert_eq!(library.len(), 2, "{export}");
    assert!(library.iter().all(|e| e["paper"]["id"] == "0704.0001" && e["added_at"].is_string()));
    let mut tags: Vec<&str> = library.iter().map(|e| e["tag"].as_str().unwrap()).collect();
    tags.sort();
    assert_eq!(tags, ["reading list", "theory"]);
    let dismissed = export["not_interested"].as_array().unwrap();
    assert_eq!(dismissed.len(), 1, "{export}");
    assert_eq!(dismissed[0]["paper"]["id"], "0704.0002");
    assert!(dismissed[0]["at"].is_string() && dismissed[0]["paper"]["title"].is_string());
}
