//! Password reset by mail (docs/SECURITY.md, "Password reset tokens"): a link works once,
//! within the hour, for the account it was made for, and ends every session of it; the
//! request reveals nothing about which accounts exist.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use papertide_core::UserName;
use papertide_mail::link::Signer;
use papertide_mail::message::OutgoingMail;
use papertide_mail::smtp::{MailError, Mailer};
use papertide_store::Store;

use crate::app::App;

/// Keeps the mails it is given. (Delivery over SMTP is tested against a real server in
/// `papertide_mail` and by `scripts/mail-check`, which also runs this flow.)
#[derive(Default)]
struct Kept(Mutex<Vec<OutgoingMail>>);

impl Mailer for Kept {
    fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        self.0.lock().unwrap().push(mail.clone());
        Ok(())
    }
}

impl Kept {
    /// The `n`th mail (from 1), waiting for it: it is sent after the answer.
    async fn nth(&self, n: usize) -> OutgoingMail {
        for _ in 0..500 {
            if let Some(m) = self.0.lock().unwrap().get(n - 1) {
                return m.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("mail {n} never came");
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

fn app_with_mail() -> (App, Arc<Kept>) {
    let app = App::new();
    let kept = Arc::new(Kept::default());
    app.state.set_mailer(kept.clone());
    (app, kept)
}

/// The path and query of the reset link in a mail's text part.
fn link(mail: &OutgoingMail) -> String {
    let start = mail.text.find("/reset/password?token=").expect("a reset link");
    mail.text[start..].split_whitespace().next().unwrap().to_string()
}

fn token(path: &str) -> &str {
    path.split_once("token=").unwrap().1
}

async fn sign_up_with_email(app: &mut App, name: &str) {
    let form = [("name", name), ("password", "correct horse battery"), ("email", "ada@example.org")];
    assert_eq!(app.post("/signup", "/signup", &form).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_every_session() {
    let (mut app, kept) = app_with_mail();
    sign_up_with_email(&mut app, "ada").await;
    let laptop = app.cookies.clone();
    assert!(app.get("/signin").await.body.contains("href=\"/reset\""), "sign-in links to the reset page");

    app.forget_cookies();
    let asked = app.post("/reset", "/reset", &[("name", "Ada")]).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.body.contains("a link to choose a new password is on its way"), "{}", asked.body);
    let mail = kept.nth(1).await;
    assert_eq!((mail.to.as_str(), mail.subject.as_str()), ("ada@example.org", "Choose a new papertide password"));
    let path = link(&mail);

    let page = app.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Choose a new password") && page.body.contains("<b>ada</b>"), "{}", page.body);
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(page.headers["referrer-policy"], "no-referrer");

    let short = app.post(&path, "/reset/password", &[("token", token(&path)), ("password", "short")]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body.contains("use 10 to 256 characters"));
    let set = app.post(&path, "/reset/password", &[("token", token(&path)), ("password", "a new passphrase!")]).await;
    assert_eq!((set.status, set.location()), (StatusCode::SEE_OTHER, "/"));
    assert!(app.get("/").await.body.contains("href=\"/users/ada\""), "this browser is signed in");

    let again = app.get(&path).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "used once");
    assert!(again.body.contains("This link does not work any more"));
    let csrf = app.csrf("/reset").await;
    let reuse = app
        .post_raw("/reset/password", &[("csrf", &csrf), ("token", token(&path)), ("password", "yet another one!")])
        .await;
    assert_eq!(reuse.status, StatusCode::BAD_REQUEST);

    app.cookies = laptop;
    assert!(!app.get("/").await.body.contains("href=\"/users/ada\""), "the other session is ended");
    app.forget_cookies();
    let old = app.post("/signin", "/signin", &[("name", "ada"), ("password", "correct horse battery")]).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app.post("/signin", "/signin", &[("name", "ada"), ("password", "a new passphrase!")]).await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn asking_for_a_reset_reveals_no_accounts() {
    let (mut app, kept) = app_with_mail();
    sign_up_with_email(&mut app, "ada").await;
    app.forget_cookies();
    app.sign_up("bob").await; // no address
    app.forget_cookies();
    let mut bodies = Vec::new();
    for name in ["bob", "nobody", "not a name", "ada"] {
        let r = app.post("/reset", "/reset", &[("name", name)]).await;
        assert_eq!(r.status, StatusCode::OK, "{name}");
        bodies.push(r.body.replace(name, "NAME"));
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "the same answer for every name");
    kept.nth(1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(kept.count(), 1, "only ada, who has an address, got a mail");
}

#[tokio::test]
async fn reset_links_are_bound_to_their_user_expiry_and_secret() {
    let (mut app, _kept) = app_with_mail();
    sign_up_with_email(&mut app, "ada").await;
    app.forget_cookies();
    app.sign_up("bob").await;
    app.forget_cookies();
    let ada: UserName = "ada".parse().unwrap();
    let (user, hash) = app.store.password_hash_of(&ada).unwrap().unwrap();
    let signer = Signer::from_store(&*app.store).unwrap();
    let now = chrono::Utc::now();
    let good = signer.reset_token(user.id, &hash, now + chrono::Duration::minutes(60));
    let expired = signer.reset_token(user.id, &hash, now - chrono::Duration::seconds(1));
    let forged = Signer::new(b"guessed".to_vec()).reset_token(user.id, &hash, now + chrono::Duration::minutes(60));
    let other_user = good.replacen(&format!("{}.", user.id), &format!("{}.", user.id.0 + 1), 1);
    let stretched = {
        let mut parts: Vec<&str> = good.split('.').collect();
        parts[1] = "9999999999";
        parts.join(".")
    };
    for (what, t) in [("expired", &expired), ("forged", &forged), ("bob's", &other_user), ("stretched", &stretched)] {
        assert_eq!(app.get(&format!("/reset/password?token={t}")).await.status, StatusCode::BAD_REQUEST, "{what}");
        let r = app.post("/reset", "/reset/password", &[("token", t), ("password", "a new passphrase!")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}");
    }
    for junk in ["", "x", "1.2", "%00"] {
        assert_eq!(app.get(&format!("/reset/password?token={junk}")).await.status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(app.store.password_hash_of(&ada).unwrap().unwrap().1, hash, "nothing changed");
    assert_eq!(app.get(&format!("/reset/password?token={good}")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn resets_are_limited_per_name_and_off_without_mail() {
    let (mut app, _kept) = app_with_mail();
    sign_up_with_email(&mut app, "ada").await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        app.peer = format!("127.0.0.{}:40000", 10 + i).parse().unwrap();
        app.forget_cookies();
        statuses.push(app.post("/reset", "/reset", &[("name", "ada")]).await.status);
    }
    assert_eq!(statuses, [StatusCode::OK, StatusCode::OK, StatusCode::TOO_MANY_REQUESTS], "per name, any address");

    let mut off = App::new();
    let page = off.get("/reset").await;
    assert!(page.body.contains("Password reset by email is off") && page.body.contains("papertide user password"));
    let r = off.post("/signin", "/reset", &[("name", "ada")]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}
