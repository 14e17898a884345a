//! SQLite-specific behaviour: files, migrations, persistence, community data kept on update.

use crate::paper;
use papertide_store::{SqliteStore, Store, StoreError};

#[test]
fn reopen_keeps_data_and_migrations_run_once() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        store.upsert_papers(&[paper("2401.00001", 1, "A")]).unwrap();
    }
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    assert_eq!(store.count_papers().unwrap(), 1);
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0)).unwrap();
    assert_eq!(n, papertide_store::sqlite::migrations::MIGRATIONS.len() as i64);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        store.path().to_path_buf()
    };
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0)", []).unwrap();
    drop(conn);
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found: 999, .. }) => {}
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn community_survives_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    store.upsert_papers(&[paper("2401.00001", 1, "A")]).unwrap();
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute(
        "INSERT INTO paper_community (paper_pk, submitted_by, upvotes, comment_count)
         SELECT pk, 'ada', 7, 2 FROM papers WHERE id = '2401.00001'",
        [],
    )
    .unwrap();
    store.upsert_papers(&[paper("2401.00001", 2, "A, revised")]).unwrap();
    let c = store.community(&"2401.00001".parse().unwrap()).unwrap();
    assert_eq!((c.upvotes, c.comment_count, c.submitted_by.as_deref()), (7, 2, Some("ada")));
    assert_eq!(store.paper(&"2401.00001".parse().unwrap()).unwrap().unwrap().version, 2);
}

#[test]
fn check_reports_damage() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    store.upsert_papers(&[paper("2401.00001", 1, "A"), paper("2401.00002", 1, "B")]).unwrap();
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute("UPDATE papers SET id = 'not an id' WHERE id = '2401.00002'", []).unwrap();
    let report = store.check().unwrap();
    assert_eq!(report.papers_checked, 2);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].contains("not an id"));
}
