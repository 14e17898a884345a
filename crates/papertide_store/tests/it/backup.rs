//! Online backups: consistent while writes go on, checked, restorable.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::paper;
use papertide_store::sqlite::{restore_backup, verify_backup, DB_FILE};
use papertide_store::{SqliteStore, Store, StoreError};

#[test]
fn a_backup_taken_during_writes_is_a_consistent_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
    let batch = |from: u32| -> Vec<papertide_core::Paper> {
        (from..from + 500)
            .map(|i| paper(&format!("2401.{i:05}"), 1, &format!("Paper {i} {}", "x".repeat(400))))
            .collect()
    };
    for b in 0..10 {
        store.upsert_papers(&batch(b * 500)).unwrap();
    }
    let before = store.count_papers().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut next = 5_000;
            while !stop.load(Ordering::SeqCst) && next < 20_000 {
                store.upsert_papers(&batch(next)).unwrap();
                next += 500;
            }
        })
    };
    let dest = dir.path().join("backup.db");
    let mut calls = Vec::new();
    let info = store.backup_to(&dest, &mut |done, total| calls.push((done, total))).unwrap();
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let after = store.count_papers().unwrap();

    assert!(info.papers >= before && info.papers <= after, "{} in [{before}, {after}]", info.papers);
    assert_eq!(info.papers % 500, 0, "whole transactions only: {}", info.papers);
    assert_eq!(verify_backup(&dest).unwrap().papers, info.papers);
    assert!(calls.len() >= 2, "progress between chunks: {calls:?}");
    assert_eq!(calls.last().map(|c| c.0), calls.last().map(|c| c.1), "ends at 100%");
    assert!(!dir.path().join("backup.db.partial").exists());
    assert!(!dir.path().join("backup.db-wal").exists(), "a standalone file");
    assert!(matches!(store.backup_to(&dest, &mut |_, _| {}), Err(StoreError::Conflict { .. })), "never overwrites");

    // Restore into the live directory (after the store is closed): the old file is kept aside.
    drop(store);
    let (restored, previous) = restore_backup(&dest, dir.path()).unwrap();
    let previous = previous.unwrap();
    assert!(previous.file_name().unwrap().to_string_lossy().starts_with("papertide.db.before-restore-"));
    assert_eq!(verify_backup(&previous).unwrap().papers, after, "the replaced database is kept whole");
    assert_eq!(restored.path, dir.path().join(DB_FILE));
    let reopened = SqliteStore::open_dir(dir.path()).unwrap();
    assert_eq!(reopened.count_papers().unwrap(), info.papers);
    assert!(reopened.check().unwrap().is_ok());
}

#[test]
fn bad_backups_are_refused_with_a_reason_and_nothing_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    store.upsert_papers(&[paper("2401.00001", 1, "Kept")]).unwrap();
    drop(store);
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not a database at all, just text").unwrap();
    let err = restore_backup(&garbage, dir.path()).unwrap_err().to_string();
    assert!(err.contains("garbage.db") && err.contains("not a readable SQLite database"), "{err}");
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    let err = restore_backup(&other, dir.path()).unwrap_err().to_string();
    assert!(err.contains("not a papertide database"), "{err}");
    let missing = restore_backup(&dir.path().join("missing.db"), dir.path()).unwrap_err().to_string();
    assert!(missing.contains("missing.db"), "{missing}");
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    assert_eq!(store.count_papers().unwrap(), 1, "untouched");
}
