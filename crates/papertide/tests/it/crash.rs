//! `kill -9` in the middle of an import, then a re-run: nothing committed is lost, the
//! database is consistent, and the final count is exact.

use std::time::{Duration, Instant};

use crate::{count, daily_file, papertide, run};

#[test]
fn kill_9_mid_import_then_rerun_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = papertide(dir.path());
    cmd.args(["import", "--batch-size", "500"]).arg(daily_file());
    cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let db = dir.path().join("papertide.db");
    // Wait until some batches are committed, then kill without warning.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut committed = 0i64;
    while Instant::now() < deadline {
        if let Ok(conn) = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) {
            committed = conn.query_row("SELECT count(*) FROM papers", [], |r| r.get(0)).unwrap_or(0);
            if committed >= 2_000 {
                break;
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "the import finished before it could be killed ({committed} committed)");
    assert!(committed >= 2_000, "nothing was committed before the kill");

    let mut check = papertide(dir.path());
    check.args(["db", "check"]);
    let out = run(check);
    assert!(out.status.success(), "db check after kill: {}", String::from_utf8_lossy(&out.stdout));
    let after_kill = count(dir.path());
    assert!(after_kill >= committed as u64 && after_kill < 26_809, "{after_kill} papers after the kill");

    let mut rerun = papertide(dir.path());
    rerun.arg("import").arg(daily_file());
    let out = run(rerun);
    assert!(out.status.success(), "re-run: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(dir.path()), 26_809);
    let mut check = papertide(dir.path());
    check.args(["db", "check"]);
    assert!(run(check).status.success());
}
