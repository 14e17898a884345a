//! Faults: a full disk while importing (simulated with a file size limit: every write past
//! it fails as on a full disk) loses nothing committed, corrupts nothing, says so, and the
//! same command run again finishes the job.

use crate::{count, daily_file, papertide, run};

#[test]
fn a_full_disk_mid_import_keeps_every_committed_batch_and_a_rerun_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // bash: ignore SIGXFSZ (so writes fail with EFBIG instead of killing the process), cap
    // every file at 20 MB, then run the import.
    let bin = env!("CARGO_BIN_EXE_papertide");
    let script = format!(
        "trap '' XFSZ; ulimit -f 20000; exec '{bin}' --data-dir '{}' import '{}'",
        data.display(),
        daily_file().display()
    );
    let out = run({
        let mut c = std::process::Command::new("bash");
        c.args(["-c", &script]).env_remove("PAPERTIDE_CONFIG").env("PAPERTIDE_LOG", "warn");
        c
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the import cannot finish in 20 MB");
    assert!(stderr.contains("writing to the disk failed") || stderr.contains("the disk is full"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let kept = count(&data);
    assert!(kept > 0 && kept < 26_809, "some batches committed: {kept}");
    let mut check = papertide(&data);
    check.args(["db", "check"]);
    let checked = run(check);
    assert!(checked.status.success(), "no corruption: {}", String::from_utf8_lossy(&checked.stdout));

    let mut again = papertide(&data);
    again.arg("import").arg(daily_file());
    let out = run(again);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(&data), 26_809, "everything, once");
}
