//! `papertide user`: accounts made and repaired from the command line.

use chrono::{Duration, Utc};
use papertide_store::{SqliteStore, Store};
use papertide_web::pages::auth::verify_password;

use crate::{papertide, run};

#[test]
fn user_password_sets_a_new_password_and_signs_the_user_out() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut create = papertide(&data);
    create
        .args(["user", "create", "ada", "--email", "ada@example.org"])
        .env("PAPERTIDE_NEW_PASSWORD", "correct horse battery");
    assert!(run(create).status.success());
    let store = SqliteStore::open_dir(&data).unwrap();
    let ada: papertide_core::UserName = "ada".parse().unwrap();
    let id = store.user_by_name(&ada).unwrap().unwrap().id;
    let now = Utc::now();
    store.create_session(b"laptop", id, "csrf", now, now + Duration::hours(1)).unwrap();

    let mut short = papertide(&data);
    short.args(["user", "password", "ada"]).env("PAPERTIDE_NEW_PASSWORD", "short");
    let out = run(short);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("10 to 256 characters"));
    assert!(store.session(b"laptop", now).unwrap().is_some(), "a refused password changes nothing");

    let mut set = papertide(&data);
    set.args(["user", "password", "ADA"]).env("PAPERTIDE_NEW_PASSWORD", "a much better passphrase");
    let out = run(set);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sessions are ended"));
    let (_, hash) = store.password_hash_of(&ada).unwrap().unwrap();
    assert!(verify_password("a much better passphrase", &hash));
    assert!(!verify_password("correct horse battery", &hash));
    assert!(store.session(b"laptop", now).unwrap().is_none());

    let mut nobody = papertide(&data);
    nobody.args(["user", "password", "nobody"]).env("PAPERTIDE_NEW_PASSWORD", "a much better passphrase");
    let out = run(nobody);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user nobody"));
}
