//! Integration tests of the store. Every test runs against each backend returned by
//! [`backends`]: SQLite always, and PostgreSQL when `PAPERTIDE_TEST_POSTGRES` names a server
//! (scripts/test starts one when PostgreSQL is installed), each with its own fresh database.

mod backup;
mod concurrency;
mod daily_feed;
mod feed;
mod library;
mod mail;
mod migrate;
mod papers;
mod sqlite;
mod tokens;
mod users;
mod votes_comments;

use chrono::{DateTime, Utc};
use papertide_core::{Role, User};
use papertide_store::postgres::testing::TestDatabase;
use papertide_store::{SqliteStore, Store};

/// What keeps a test's database alive: its temporary directory, or its Postgres database
/// (dropped after the store, which the tuple order guarantees).
pub enum Guard {
    /// SQLite's data directory.
    Dir(#[allow(dead_code)] tempfile::TempDir),
    /// A throwaway Postgres database.
    Pg(#[allow(dead_code)] Box<TestDatabase>),
}

/// A fresh store per backend, with the guard that must outlive it.
pub fn backends() -> Vec<(Box<dyn Store>, Guard)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open_dir(dir.path()).expect("open sqlite");
    let mut out: Vec<(Box<dyn Store>, Guard)> = vec![(Box::new(store), Guard::Dir(dir))];
    if let Some(db) = TestDatabase::from_env().expect("the test PostgreSQL server") {
        let store = db.open().expect("open postgres");
        out.push((Box::new(store), Guard::Pg(Box::new(db))));
    }
    out
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
