//! `papertide import`, `export`, `stats`, `paper` and `db check` against the real data.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;

use crate::{count, daily_file, data_dir, json, papertide, run};

/// Every importable file under `fixtures/` and `arxiv/` (skipping licenses and the
/// `{url,status_code,body}` wrappers of the recorded 2026 fixtures, whose bodies are imported).
fn every_shared_file() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![data_dir().join("fixtures"), data_dir().join("arxiv")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                stack.push(path);
            } else if !name.starts_with("LICENSE") && (!name.ends_with(".json") || name.ends_with(".body.json")) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The ids the library parsers find in `files`, and the number of rejections.
fn parsed_ids(files: &[PathBuf]) -> (BTreeSet<String>, u64) {
    let mut ids = BTreeSet::new();
    let mut rejected = 0;
    let progress = papertide_ingest::input::Progress::default();
    for f in files {
        papertide_ingest::input::read_path(f, None, &progress, &mut |item| {
            match item {
                papertide_ingest::Item::Paper(p) => {
                    ids.insert(p.id.to_string());
                }
                papertide_ingest::Item::Rejected(_) => rejected += 1,
            }
            Ok(())
        })
        .unwrap();
    }
    (ids, rejected)
}

#[test]
fn importing_every_shared_file_gives_the_right_counts() {
    let files = every_shared_file();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = papertide(dir.path());
    cmd.args(["import", "--json"]).args(&files);
    let out = run(cmd);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (ids, rejected) = parsed_ids(&files);
    // The API error feed and the five OAI-PMH error responses are reported, not imported.
    assert!(rejected >= 6, "{rejected}");
    assert_eq!(summary["rejected"].as_u64(), Some(rejected));
    assert_eq!(out.status.code(), Some(3), "rejections give exit code 3");
    assert_eq!(count(dir.path()), ids.len() as u64);
    let mut stats = papertide(dir.path());
    stats.args(["stats", "--json"]);
    let stats = json(stats);
    assert_eq!(stats["by_source"]["daily_listing"].as_u64(), Some(26_809));
    // The Kaggle records (0704.0001-0704.0200) were first seen in the monthly listings,
    // which have no abstracts: the Kaggle import filled in what the listings lack.
    let mut kaggle = papertide(dir.path());
    kaggle.args(["paper", "--json", "0704.0001"]);
    let p = json(kaggle);
    assert_eq!(p["doi"], "10.1103/PhysRevD.76.013009");
    assert!(p["abstract"].as_str().unwrap().starts_with("A fully differential calculation"));
    // Re-importing everything changes nothing.
    let mut again = papertide(dir.path());
    again.args(["import", "--json"]).args(&files);
    let out = run(again);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["inserted"].as_u64(), Some(0));
    assert_eq!(summary["updated"].as_u64(), Some(0));
    assert_eq!(count(dir.path()), ids.len() as u64);
    let mut check = papertide(dir.path());
    check.args(["db", "check"]);
    assert!(run(check).status.success());
}

#[test]
fn export_round_trips_through_import() {
    let a = tempfile::tempdir().unwrap();
    let mut cmd = papertide(a.path());
    cmd.arg("import")
        .arg(data_dir().join("arxiv/kaggle-oai-snapshot-head200.jsonl"))
        .arg(data_dir().join("arxiv/arxiv-browse-abs-and-daily-listings.tar.gz"))
        .arg(data_dir().join("fixtures/oai/arXivRaw-mikesaelim/ListRecordsResponse.xml"));
    assert!(run(cmd).status.success());
    let first = a.path().join("first.jsonl");
    let mut export = papertide(a.path());
    export.arg("export").arg("-o").arg(&first);
    assert!(run(export).status.success());

    let b = tempfile::tempdir().unwrap();
    let mut import = papertide(b.path());
    import.arg("import").arg(&first);
    assert!(run(import).status.success());
    assert_eq!(count(b.path()), count(a.path()));
    let mut export = papertide(b.path());
    export.arg("export");
    let second = run(export);
    assert!(second.status.success());
    assert_eq!(std::fs::read(&first).unwrap(), second.stdout, "export → import → export is lossless");

    let mut paper = papertide(b.path());
    paper.args(["paper", "--json", "arXiv:0704.0001v2"]);
    let p = json(paper);
    assert_eq!(p["id"], "0704.0001");
    assert_eq!(p["doi"], "10.1103/PhysRevD.76.013009");
    assert_eq!(p["community"]["upvotes"], 0);
}

#[test]
fn bad_records_are_reported_and_good_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.jsonl");
    let mut f = std::fs::File::create(&file).unwrap();
    let good = |id: &str| {
        format!(
            r#"{{"id":"{id}","title":"Good {id}","authors":["A"],"categories":["cs.LG"],"abstract":"x","listing_date":"2026-03-02"}}"#
        )
    };
    writeln!(f, "{}", good("2603.00001")).unwrap();
    writeln!(f, "{{\"id\": \"2603.00002\", \"title\": ").unwrap();
    writeln!(f, r#"{{"id":"2603.00003","title":"","authors":[],"categories":["cs.LG"],"abstract":"x","listing_date":"2026-03-02"}}"#).unwrap();
    writeln!(f, r#"{{"id":"12345","title":"Bad id","authors":[],"categories":["cs.LG"],"abstract":"x","listing_date":"2026-03-02"}}"#).unwrap();
    writeln!(f, "{}", good("2603.00005")).unwrap();
    drop(f);

    let mut cmd = papertide(dir.path());
    cmd.args(["import", "--format", "daily", "--json"]).arg(&file);
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [":2", ":3", ":4"] {
        assert!(stderr.contains(&format!("mixed.jsonl{line}")), "line {line} not named in: {stderr}");
    }
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((summary["records"].as_u64(), summary["rejected"].as_u64()), (Some(2), Some(3)));
    assert_eq!(count(dir.path()), 2);

    let strict_dir = tempfile::tempdir().unwrap();
    let mut cmd = papertide(strict_dir.path());
    cmd.args(["import", "--strict"]).arg(&file);
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mixed.jsonl:2"));
    assert_eq!(count(strict_dir.path()), 1, "records before the bad one are kept");
}

#[test]
fn stdin_and_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = papertide(dir.path());
    cmd.args(["import", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let bytes = std::fs::read(data_dir().join("arxiv/kaggle-oai-snapshot-head200.jsonl")).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(count(dir.path()), 200);

    let mut missing = papertide(dir.path());
    missing.args(["paper", "2401.99999"]);
    let out = run(missing);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no paper 2401.99999"));
    let mut bad = papertide(dir.path());
    bad.args(["paper", "not-an-id"]);
    let out = run(bad);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid paper id"));
}

#[test]
fn daily_file_imports_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = papertide(dir.path());
    cmd.arg("import").arg(daily_file());
    let out = run(cmd);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(dir.path()), 26_809);
    let mut paper = papertide(dir.path());
    paper.args(["paper", "--json", "https://arxiv.org/abs/2602.24024"]);
    let p = json(paper);
    assert_eq!(p["authors"], serde_json::json!(["Damien Berriaud", "Roger Wattenhofer"]));
    assert_eq!(p["categories"], serde_json::json!(["cs.GT", "cs.SI"]));
}
