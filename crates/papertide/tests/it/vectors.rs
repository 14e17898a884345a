//! `papertide embed import`: vectors made elsewhere, in JSON Lines and `.npy`, on the first 24
//! records of the Kaggle snapshot head, without the model installed.

use std::path::Path;

use papertide_store::{SqliteStore, Store};

use crate::search::{cmd, imported};
use crate::{data_dir, json, run};

const MODEL: &str = "sentence-transformers/all-MiniLM-L6-v2";

/// The ids of the imported papers, in file order.
fn ids() -> Vec<String> {
    let head = std::fs::read_to_string(data_dir().join("arxiv/kaggle-oai-snapshot-head200.jsonl")).unwrap();
    head.lines()
        .take(24)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect()
}

/// Paper i points along axis i; paper 1 also leans towards paper 0, so it is paper 0's
/// nearest neighbour. Scaled by 5: the import normalises.
fn vector(i: usize) -> Vec<f32> {
    let mut v = vec![0.0f32; 384];
    v[i] = 5.0;
    if i == 1 {
        v[0] = 2.0;
    }
    v
}

fn line(id: &str, v: &[f32]) -> String {
    serde_json::json!({"id": id, "vector": v}).to_string()
}

fn import(dir: &Path, file: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["embed", "import", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(cmd(dir, None, &args))
}

#[test]
fn vectors_made_elsewhere_are_checked_stored_and_searched() {
    let dir = imported();
    let ids = ids();
    // 22 good lines, then one of each kind of bad record; the last two papers get none.
    let mut lines: Vec<String> = (0..22).map(|i| line(&ids[i], &vector(i))).collect();
    lines.push(line("2401.99999", &vector(3)));
    lines.push(line(&ids[22], &[0.5; 383]));
    lines.push(line(&ids[23], &[0.0; 384]));
    lines.push("{\"id\": \"0704.0001\"".into());
    lines.push(serde_json::json!({"id": ids[2], "vector": vector(2), "model": "all-mpnet-base-v2"}).to_string());
    let file = dir.path().join("vectors.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();

    // Vectors of another model are refused before anything is stored.
    let out = import(dir.path(), &file, &["--model", "all-mpnet-base-v2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("cannot be compared"), "{err}");
    let store = SqliteStore::open_dir(&dir.path().join("data")).unwrap();
    assert_eq!(store.embedding_backlog(MODEL).unwrap(), 24);

    let out = import(dir.path(), &file, &["--model", "all-MiniLM-L6-v2", "--batch", "5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    for expected in [
        "line 23: no paper 2401.99999 in the database",
        "line 24: 383 values; sentence-transformers/all-MiniLM-L6-v2 vectors have 384",
        "line 25: the vector is all zeros",
        "line 26: not a vector record",
        "line 27: made by `all-mpnet-base-v2`",
        "imported 22 vectors from 27 records",
        "5 refused",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
    assert_eq!(store.embedding_backlog(MODEL).unwrap(), 2);
    let key = store.key_of(&ids[1].parse().unwrap()).unwrap().unwrap();
    let stored = store.embedding(MODEL, key).unwrap().unwrap();
    assert!((stored[0] - 2.0 / 29f32.sqrt()).abs() < 1e-6 && (stored[1] - 5.0 / 29f32.sqrt()).abs() < 1e-6);

    // Similar papers come from the imported vectors, without the model.
    let similar = json(cmd(dir.path(), None, &["similar", &ids[0], "--mode", "semantic", "--limit", "3", "--json"]));
    let hits: Vec<&str> = similar.as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(hits.first(), Some(&ids[1].as_str()), "{similar}");
    assert!(!hits.contains(&ids[0].as_str()));

    // A rerun replaces, never duplicates.
    let again = import(dir.path(), &file, &["--model", "all-MiniLM-L6-v2"]);
    assert_eq!(again.status.code(), Some(3));
    let mut count = 0;
    store
        .for_each_embedding(MODEL, &mut |_, _| {
            count += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(count, 22);

    // The last two papers from a .npy array (float32, version 1) with their ids beside it.
    let npy = dir.path().join("rest.npy");
    let mut header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 384), }".to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    let rows = |a: Vec<f32>, b: Vec<f32>| {
        let mut out = bytes.clone();
        out.extend(a.iter().chain(&b).flat_map(|x| x.to_le_bytes()));
        out
    };
    std::fs::write(&npy, rows(vector(22), vector(23))).unwrap();
    let id_file = dir.path().join("rest.ids");
    std::fs::write(&id_file, format!("{}\n{}\n", ids[22], ids[23])).unwrap();
    let without_ids = import(dir.path(), &npy, &["--model", "all-MiniLM-L6-v2"]);
    assert!(String::from_utf8_lossy(&without_ids.stderr).contains("give them with --ids FILE"));
    let out = import(dir.path(), &npy, &["--model", "all-MiniLM-L6-v2", "--ids", id_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(store.embedding_backlog(MODEL).unwrap(), 0);

    // A truncated array: the rows before the cut are stored, and the error says where.
    let cut = rows(vector(5), vector(23));
    std::fs::write(&npy, &cut[..cut.len() - 100]).unwrap();
    let out = import(dir.path(), &npy, &["--model", "all-MiniLM-L6-v2", "--ids", id_file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("after 1 records (1 stored)") && err.contains("ends in row 1"),
        "{err}"
    );
    let key = store.key_of(&ids[22].parse().unwrap()).unwrap().unwrap();
    assert_eq!(store.embedding(MODEL, key).unwrap().unwrap()[5], 1.0);
}
