//! Integration tests of the store. Every test runs against each backend returned by
//! [`backends`] (SQLite today), each with its own temporary database.

mod backup;
mod daily_feed;
mod feed;
mod library;
mod mail;
mod papers;
mod sqlite;
mod tokens;
mod users;
mod votes_comments;

use chrono::{DateTime, Utc};
use papertide_core::{Role, User};
use papertide_store::{SqliteStore, Store};

/// A fresh store per backend, with the temp dir that must outlive it.
pub fn backends() -> Vec<(Box<dyn Store>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open_dir(dir.path()).expect("open sqlite");
    vec![(Box::new(store), dir)]
}

/// A normalized arXiv paper for tests.
pub fn paper(id: &str, version: u32, title: &str) -> papertide_core::Paper {
    let mut p = papertide_core::Paper::new(id.parse().expect("id"), title, papertide_core::Source::Kaggle);
    p.version = version;
    p.abstract_text = format!("Abstract of {id}.");
    p.authors = vec!["Ada Lovelace".into(), "Charles Babbage".into()];
    p.categories = vec!["cs.LG".into(), "stat.ML".into()];
    p.published = "2024-01-02T03:04:05Z".parse().ok();
    p.normalized()
}

/// An account named `name` (role user, no e-mail).
pub fn user(store: &dyn Store, name: &str) -> User {
    store.create_user(&name.parse().expect("user name"), None, "hash", Role::User).expect("create user")
}

/// An instant from RFC 3339 text.
pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339 time")
}
