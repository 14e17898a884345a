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

#[test]
fn a_version_2_database_migrates_to_the_latest_and_keeps_its_papers() {
    use papertide_store::sqlite::migrations::MIGRATIONS;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(papertide_store::sqlite::DB_FILE);
    {
        // A database as papertide left it before the web tables existed.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);")
            .unwrap();
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 <= 2) {
            conn.execute_batch(sql).unwrap();
            conn.execute("INSERT INTO schema_migrations VALUES (?1, ?2, 0)", rusqlite::params![version, name]).unwrap();
        }
        conn.execute(
            "INSERT INTO papers (id, title, abstract, authors, categories, primary_category, version, source,
                                 imported_at, changed_at, seq)
             VALUES ('2401.00001', 'Old paper', '', 'Ada', 'cs.LG', 'cs.LG', 1, 'kaggle', 0, 0, 1)",
            [],
        )
        .unwrap();
        conn.execute("INSERT INTO paper_community (paper_pk, upvotes, comment_count) SELECT pk, 0, 0 FROM papers", [])
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, (1..=papertide_store::sqlite::migrations::latest()).collect::<Vec<_>>());
    let old: papertide_core::PaperId = "2401.00001".parse().unwrap();
    assert_eq!(store.paper(&old).unwrap().unwrap().title, "Old paper");
    // The new tables work with the old rows.
    let ada = crate::user(&store, "ada");
    assert!(store.upvote(ada.id, &old, crate::t("2024-01-01T00:00:00Z")).unwrap());
    assert_eq!(store.community(&old).unwrap().upvotes, 1);
    let token = store
        .create_api_token(
            ada.id,
            "cli",
            b"h",
            "pt_x",
            papertide_core::TokenScope::Read,
            crate::t("2024-01-01T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(store.api_tokens(ada.id).unwrap(), vec![token]);
    assert!(store.check().unwrap().is_ok());
    drop(store);
    // Reopening runs nothing again and keeps everything.
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.count_papers().unwrap(), 1);
    assert_eq!(store.community(&old).unwrap().upvotes, 1);
    assert_eq!(store.user_by_id(ada.id).unwrap().unwrap().name.as_str(), "ada");
    let n: i64 = conn.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0)).unwrap();
    assert_eq!(n, papertide_store::sqlite::migrations::latest());
}
