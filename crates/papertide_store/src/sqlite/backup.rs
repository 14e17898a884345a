//! Online backups of the SQLite database, their verification and restoring one
//! ([`SqliteStore::backup_to`], [`verify_backup`], [`restore_backup`]); `papertide backup` and
//! `papertide restore` drive them.
//!
//! A backup is SQLite's online backup API run on a connection of its own inside one read
//! transaction: in WAL mode that pins a snapshot, so the copy is consistent as of its start
//! while the server keeps reading and writing (writers append to the WAL; nothing waits).
//! Pages are copied a chunk at a time, reporting progress between chunks. The copy is written
//! to `DEST.partial` and renamed into place only after `PRAGMA integrity_check` passes, so a
//! file named `DEST` is always a complete, checked database.

use std::path::{Path, PathBuf};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{migrations, SqliteStore};
use crate::StoreError;

/// Pages copied per step (4 KiB pages: 1 MiB).
const PAGES_PER_STEP: i32 = 256;

/// What a backup or a check of one found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupInfo {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its schema version.
    pub schema_version: i64,
    /// Papers in it.
    pub papers: u64,
    /// Accounts in it.
    pub users: u64,
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Open { path: path.display().to_string(), source }
}

impl SqliteStore {
    /// Copies the database to `dest` (which must not exist) while it stays in use, calling
    /// `progress(pages_done, pages_total)` between chunks, then checks the copy. Returns what
    /// the copy holds.
    pub fn backup_to(&self, dest: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<BackupInfo, StoreError> {
        if dest.exists() {
            return Err(StoreError::Conflict { what: format!("backup file {}", dest.display()) });
        }
        let mut partial = dest.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        let result = self.copy_to(&partial, progress).and_then(|()| verify_backup(&partial));
        match result {
            Ok(mut info) => {
                std::fs::rename(&partial, dest).map_err(|e| io_error(dest, e))?;
                info.path = dest.to_path_buf();
                Ok(info)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                Err(e)
            }
        }
    }

    /// The page copy into `dest` under one read transaction.
    fn copy_to(&self, dest: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<(), StoreError> {
        let source = Connection::open_with_flags(self.path(), OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        source.busy_timeout(std::time::Duration::from_secs(10))?;
        // Pin one snapshot for the whole copy: the backup steps then never restart.
        source.execute_batch("BEGIN")?;
        source.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get::<_, i64>(0))?;
        let mut target = Connection::open(dest)?;
        {
            let backup = Backup::new(&source, &mut target)?;
            loop {
                let step = backup.step(PAGES_PER_STEP)?;
                let p = backup.progress();
                let total = p.pagecount.max(0) as u64;
                progress(total.saturating_sub(p.remaining.max(0) as u64), total);
                match step {
                    StepResult::Done => break,
                    StepResult::More => {}
                    StepResult::Busy | StepResult::Locked => std::thread::sleep(std::time::Duration::from_millis(50)),
                    _ => std::thread::sleep(std::time::Duration::from_millis(50)),
                }
            }
        }
        source.execute_batch("COMMIT")?;
        // A standalone file: no WAL beside it.
        target.execute_batch("PRAGMA journal_mode = DELETE")?;
        Ok(())
    }
}

/// Checks that `path` is a complete papertide database this build can open: SQLite's
/// `integrity_check`, a known schema version, and what it holds. Opens it read-only.
pub fn verify_backup(path: &Path) -> Result<BackupInfo, StoreError> {
    let bytes = std::fs::metadata(path).map_err(|e| io_error(path, e))?.len();
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    let bad = |reason: String| StoreError::CorruptRecord { what: format!("backup {}", path.display()), reason };
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| bad(format!("not a readable SQLite database ({e})")))?;
    if check != "ok" {
        return Err(bad(format!("integrity check failed: {check}")));
    }
    let schema_version: i64 = conn
        .query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| r.get(0))
        .map_err(|e| bad(format!("not a papertide database ({e})")))?;
    let known = migrations::latest();
    if schema_version > known {
        return Err(StoreError::SchemaTooNew { found: schema_version, known });
    }
    let count = |table: &str| -> Result<u64, StoreError> {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    };
    Ok(BackupInfo { path: path.to_path_buf(), bytes, schema_version, papers: count("papers")?, users: count("users")? })
}

/// Puts the backup at `backup` in place as the database of `data_dir` (the server must be
/// stopped). The backup is verified first; the database it replaces is checkpointed and kept
/// beside it as `papertide.db.before-restore-TIMESTAMP` (returned), never deleted. The copy
/// is written under a temporary name and renamed, so the data directory always holds a whole
/// database. Derived indexes are the caller's to rebuild.
pub fn restore_backup(backup: &Path, data_dir: &Path) -> Result<(BackupInfo, Option<PathBuf>), StoreError> {
    let info = verify_backup(backup)?;
    std::fs::create_dir_all(data_dir).map_err(|e| io_error(data_dir, e))?;
    let db = data_dir.join(super::DB_FILE);
    let with_suffix = |suffix: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    let mut previous = None;
    if db.exists() {
        {
            let conn = Connection::open(&db)?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            conn.execute_batch("PRAGMA journal_mode = DELETE")?;
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = with_suffix(&format!(".before-restore-{stamp}"));
        std::fs::rename(&db, &aside).map_err(|e| io_error(&db, e))?;
        previous = Some(aside);
    }
    for leftover in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(leftover));
    }
    let restoring = with_suffix(".restoring");
    std::fs::copy(backup, &restoring).map_err(|e| io_error(&restoring, e))?;
    std::fs::File::open(&restoring).and_then(|f| f.sync_all()).map_err(|e| io_error(&restoring, e))?;
    std::fs::rename(&restoring, &db).map_err(|e| io_error(&db, e))?;
    Ok((BackupInfo { path: db, ..info }, previous))
}
