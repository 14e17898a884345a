//! `papertide backup` and `papertide restore`: a checked copy, restored with its indexes.

use crate::{count, data_dir, json, papertide, run};

#[test]
fn a_backup_restores_the_database_and_its_search_index() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut import = papertide(&data);
    import.arg("import").arg(data_dir().join("arxiv/kaggle-oai-snapshot-head200.jsonl"));
    assert!(run(import).status.success());
    let mut user = papertide(&data);
    user.args(["user", "create", "ada"]).env("PAPERTIDE_NEW_PASSWORD", "correct horse battery");
    assert!(run(user).status.success());
    let at_backup = count(&data);

    let file = tmp.path().join("papertide-backup.db");
    let mut backup = papertide(&data);
    backup.arg("backup").arg(&file);
    let out = run(backup);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("{at_backup} papers, 1 accounts")), "{stderr}");
    let mut again = papertide(&data);
    again.arg("backup").arg(&file);
    let out = run(again);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("exists already"));

    // Later changes, then the restore takes the database back to the backup.
    let mut more = papertide(&data);
    more.arg("import").arg(data_dir().join("fixtures/oai/arXivRaw-mikesaelim/ListRecordsResponse.xml"));
    assert!(run(more).status.success());
    assert!(count(&data) > at_backup);
    let mut check = papertide(&data);
    check.args(["restore", "--check"]).arg(&file);
    let out = run(check);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("ok: "));
    let mut restore = papertide(&data);
    restore.arg("restore").arg(&file);
    let out = run(restore);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("kept as"), "{stderr}");
    assert_eq!(count(&data), at_backup);
    let kept: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("papertide.db.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "the replaced database is kept");

    // The keyword index was rebuilt from the restored database: nothing from the later import.
    let mut search = papertide(&data);
    search.args(["search", "--mode", "keyword", "--json", "--limit", "500", "the"]);
    let hits = json(search);
    assert!(hits.as_array().is_some_and(|h| !h.is_empty() && h.len() as u64 <= at_backup), "{hits}");

    let mut garbage = papertide(&data);
    let junk = tmp.path().join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    garbage.arg("restore").arg(&junk);
    let out = run(garbage);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a readable SQLite database"));
    assert_eq!(count(&data), at_backup, "a bad file changes nothing");
}
