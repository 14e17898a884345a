//! Subscribing by email: double opt-in, signed links, one-click unsubscribe.

use axum::http::StatusCode;
use papertide_core::{Frequency, OutboxEntry};
use papertide_mail::message::OutgoingMail;
use papertide_store::Store;

use crate::app::App;

fn link(entry: &OutboxEntry, path: &str) -> String {
    let mail: OutgoingMail = serde_json::from_str(&entry.message).unwrap();
    let start = mail.text.find(path).unwrap_or_else(|| panic!("no {path} link in {}", mail.text));
    let rest = &mail.text[start..];
    rest.split(|c: char| c.is_whitespace() || c == '>' || c == ')').next().unwrap().to_string()
}

#[tokio::test]
async fn double_opt_in_then_one_click_unsubscribe() {
    let mut app = App::new();
    let r = app
        .post(
            "/subscribe",
            "/subscribe",
            &[
                ("email", "Reader@Example.org"),
                ("frequency", "weekly"),
                ("trending", "1"),
                ("categories", "cs.LG, math"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Check your inbox"));
    let sub =
        app.store.subscribe("reader@example.org", None, Frequency::Weekly, &Default::default(), chrono::Utc::now());
    let (sub, needs) = sub.unwrap();
    assert!(needs, "not confirmed yet");
    assert_eq!(sub.email, "Reader@Example.org");
    assert!(app.store.active_subscriptions(Frequency::Weekly).unwrap().is_empty(), "nothing is sent before confirming");
    let outbox = app.store.outbox_of(sub.id).unwrap();
    assert_eq!(outbox.len(), 1, "one confirmation mail");
    assert_eq!(outbox[0].kind, "confirm");

    // The confirmation link (absolute, from base_url) works once; a forged one does not.
    let confirm = link(&outbox[0], "/subscribe/confirm?token=");
    let forged = format!("{}x", confirm);
    assert_eq!(app.get(&forged).await.status, StatusCode::BAD_REQUEST);
    let r = app.get(&confirm).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("You are subscribed"));
    assert_eq!(app.store.active_subscriptions(Frequency::Weekly).unwrap().len(), 1);

    // Subscribing the address again changes its choices, sends nothing, reveals nothing.
    let again = app.post("/subscribe", "/subscribe", &[("email", "reader@example.org"), ("frequency", "weekly")]).await;
    assert!(again.body.contains("Check your inbox"));
    assert_eq!(app.store.outbox_of(sub.id).unwrap().len(), 1);

    // One click from a mail client: no cookie, no CSRF token, just the signed link.
    let signer = papertide_mail::link::Signer::from_store(&*app.store).unwrap();
    let url = papertide_mail::digest::unsubscribe_url("", &signer, &sub);
    let page = app.get(&url).await;
    assert!(page.status == StatusCode::OK && page.body.contains("Unsubscribe"), "{}", page.body);
    app.forget_cookies();
    let r = app.post_raw(&url, &[("List-Unsubscribe", "One-Click")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("unsubscribed"));
    assert!(app.store.active_subscriptions(Frequency::Weekly).unwrap().is_empty());
    assert_eq!(app.post_raw("/unsubscribe?token=1.0.forged", &[]).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_addresses_and_choices_are_named() {
    let mut app = App::new();
    for (fields, says) in [
        (vec![("email", "not-an-address"), ("frequency", "daily")], "not an email address"),
        (vec![("email", "a@example.org"), ("frequency", "hourly")], "frequency"),
        (vec![("email", "a@example.org"), ("frequency", "daily"), ("categories", "cs.LG, <b>")], "categories"),
    ] {
        let r = app.post("/subscribe", "/subscribe", &fields).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{fields:?}");
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    let forged =
        app.post_raw("/subscribe", &[("csrf", "forged"), ("email", "a@example.org"), ("frequency", "daily")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn signed_in_subscribers_see_and_stop_their_digests_on_their_profile() {
    let mut app = App::new();
    app.sign_up("uma").await;
    assert!(app.get("/users/uma").await.body.contains("Email digests"));
    let r = app
        .post(
            "/subscribe",
            "/subscribe",
            &[("email", "uma@example.org"), ("frequency", "daily"), ("authors", "Ada Lovelace")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let profile = app.get("/users/uma").await.body;
    assert!(profile.contains("uma@example.org") && profile.contains("waiting for confirmation"), "{profile}");
    assert!(profile.contains("authors: Ada Lovelace"));
    let start = profile.find("/unsubscribe?token=").expect("an unsubscribe button");
    let action = profile[start..].split('"').next().unwrap().to_string();
    let r = app.post_raw(&action, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(app.get("/users/uma").await.body.contains("unsubscribed"));
    app.forget_cookies();
    app.sign_up("vic").await;
    assert!(!app.get("/users/uma").await.body.contains("uma@example.org"), "only the owner sees them");
}
