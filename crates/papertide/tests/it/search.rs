//! `papertide search`, `similar`, `embed`, `reindex` and `model status` on real papers (the
//! first 24 records of the Kaggle snapshot head), with and without the model.

use std::path::{Path, PathBuf};

use crate::{data_dir, json, papertide, run};

/// The model directory the tests use (`PAPERTIDE_MODEL_DIR`, else `models/` in the checkout).
fn model_dir() -> Option<PathBuf> {
    if std::env::var("PAPERTIDE_SKIP_MODEL_TESTS").is_ok_and(|v| v == "1") {
        return None;
    }
    let dir = std::env::var_os("PAPERTIDE_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/all-MiniLM-L6-v2")));
    assert!(
        dir.join("model.safetensors").exists(),
        "install the model: papertide model install --dir {}",
        dir.display()
    );
    Some(dir)
}

/// A data directory holding the first 24 Kaggle records.
pub(crate) fn imported() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let head = std::fs::read_to_string(data_dir().join("arxiv/kaggle-oai-snapshot-head200.jsonl")).unwrap();
    let input = dir.path().join("head24.jsonl");
    std::fs::write(&input, head.lines().take(24).collect::<Vec<_>>().join("\n")).unwrap();
    let mut cmd = papertide(&dir.path().join("data"));
    cmd.arg("import").arg(&input);
    let out = run(cmd);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

pub(crate) fn cmd(dir: &Path, model: Option<&Path>, args: &[&str]) -> std::process::Command {
    let mut c = papertide(&dir.join("data"));
    match model {
        Some(m) => c.env("PAPERTIDE_MODEL_DIR", m),
        None => c.env("PAPERTIDE_MODEL_DIR", dir.join("no-model")),
    };
    c.args(args);
    c
}

#[test]
fn keyword_search_prints_json_hits_and_explains_a_missing_model() {
    let dir = imported();
    let out = run(cmd(dir.path(), None, &["search", "sparsity-certifying graph decompositions", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("papertide model install"), "{stderr}");
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &hits[0];
    assert_eq!(first["id"], "0704.0002");
    assert_eq!(first["title"], "Sparsity-certifying Graph Decompositions");
    assert!(first["abstract"].as_str().unwrap().starts_with("We describe a new algorithm"));
    assert_eq!(first["authors"][0], "Ileana Streinu");
    assert!(first["published"].as_str().unwrap().starts_with("2007-"));
    assert!(first["score"].as_f64().unwrap() > 0.0);
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["abstract", "authors", "id", "published", "score", "title"]);

    // An arXiv URL goes straight to the paper; filters narrow the hits.
    let by_url = json(cmd(dir.path(), None, &["search", "https://arxiv.org/abs/0704.0001v2", "--json"]));
    assert_eq!(by_url.as_array().unwrap().len(), 1);
    assert_eq!(by_url[0]["id"], "0704.0001");
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
    };
    let math = json(cmd(dir.path(), None, &["search", "graph decompositions", "--category", "math", "--json"]));
    assert_eq!(ids(&math)[0], "0704.0002");
    let hep = json(cmd(dir.path(), None, &["search", "graph decompositions", "--category", "hep-ph", "--json"]));
    assert!(!ids(&hep).contains(&"0704.0002".to_string()), "{hep}");
    let later = json(cmd(dir.path(), None, &["search", "graph decompositions", "--since", "2030-01-01", "--json"]));
    assert!(ids(&later).is_empty(), "{later}");

    let status = run(cmd(dir.path(), None, &["model", "status"]));
    assert_eq!(status.status.code(), Some(4));
    let embed = run(cmd(dir.path(), None, &["embed"]));
    assert!(!embed.status.success());
    assert!(String::from_utf8_lossy(&embed.stderr).contains("papertide model install"));
}

#[test]
fn embedded_papers_are_found_by_meaning_and_similar_papers_exclude_themselves() {
    let Some(model) = model_dir() else { return };
    let dir = imported();
    let m = Some(model.as_path());
    let out = run(cmd(dir.path(), m, &["embed", "--batch", "8"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("embedded 24 papers"));
    let again = run(cmd(dir.path(), m, &["embed"]));
    assert!(String::from_utf8_lossy(&again.stderr).contains("every paper is embedded"));

    // 0704.0003: "The evolution of the Earth-Moon system based on the dark matter field fluid model".
    let hits = json(cmd(
        dir.path(),
        m,
        &[
            "search",
            "how the moon's orbit around our planet changed over time",
            "--mode",
            "semantic",
            "--json",
            "--limit",
            "3",
        ],
    ));
    assert_eq!(hits[0]["id"], "0704.0003", "{hits}");
    let hybrid = json(cmd(dir.path(), m, &["search", "orbit of the moon", "--json"]));
    assert_eq!(hybrid[0]["id"], "0704.0003", "{hybrid}");

    let similar = json(cmd(dir.path(), m, &["similar", "arXiv:0704.0002v2", "--limit", "5", "--json"]));
    let ids: Vec<&str> = similar.as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 5);
    assert!(!ids.contains(&"0704.0002"), "{ids:?}");
    let unknown = run(cmd(dir.path(), m, &["similar", "0704.9999"]));
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("0704.9999"));

    // Rebuilding the indexes needs no embedding and gives the same answers.
    let out = run(cmd(dir.path(), m, &["reindex"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loaded 24 stored embeddings"));
    let after = json(cmd(dir.path(), m, &["similar", "0704.0002", "--limit", "5", "--json"]));
    assert_eq!(after, similar);
}

#[test]
fn import_with_index_leaves_the_papers_searchable_and_spares_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let head = std::fs::read_to_string(data_dir().join("arxiv/kaggle-oai-snapshot-head200.jsonl")).unwrap();
    let input = dir.path().join("head24.jsonl");
    std::fs::write(&input, head.lines().take(24).collect::<Vec<_>>().join("\n")).unwrap();
    let import = |extra: &[&str]| {
        let mut c = cmd(dir.path(), None, &["import", "--index"]);
        c.args(extra).arg(&input);
        let out = run(c);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // A server holding the index's writer is left to index the papers itself.
    let index = dir.path().join("data/index/keyword");
    let held = papertide_search::keyword::KeywordIndex::open(&index).unwrap();
    let writer = held.writer(16 * 1024 * 1024).unwrap();
    let busy = import(&[]);
    assert!(busy.contains("a running papertide holds it"), "{busy}");
    drop(writer);
    // Then the papers already imported are indexed, once.
    let first = import(&[]);
    assert!(first.contains("keyword-indexed 24 papers"), "{first}");
    assert!(import(&[]).contains("keyword-indexed 0 papers"));
    let hits = json(cmd(dir.path(), None, &["search", "sparsity-certifying graph decompositions", "--json"]));
    assert_eq!(hits[0]["id"], "0704.0002", "{hits}");
}
