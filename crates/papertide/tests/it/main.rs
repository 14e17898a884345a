//! End-to-end tests of the `papertide` binary: each test runs the real executable against its
//! own temporary data directory and the real data in `../shared/data`.

mod backup;
mod crash;
mod faults;
mod harvest;
mod import;
mod search;
mod serve;
mod users;
mod vectors;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/data` beside the repository (override with `PAPERTIDE_SHARED_DATA`).
pub fn data_dir() -> PathBuf {
    match std::env::var_os("PAPERTIDE_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
    }
}

/// The daily-listing file of 26,809 real cs papers.
pub fn daily_file() -> PathBuf {
    data_dir().join("arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz")
}

/// A `papertide` command using `data` as its data directory.
pub fn papertide(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_papertide"));
    cmd.env("PAPERTIDE_DATA_DIR", data).env_remove("PAPERTIDE_CONFIG").env("PAPERTIDE_LOG", "warn");
    cmd
}

/// Runs and returns the output, panicking with stderr if it could not start.
pub fn run(mut cmd: Command) -> Output {
    cmd.output().expect("failed to start papertide")
}

/// stdout as JSON, asserting success.
pub fn json(cmd: Command) -> serde_json::Value {
    let out = run(cmd);
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is not JSON")
}

/// The number of papers, read with `stats --json`.
pub fn count(data: &Path) -> u64 {
    let mut cmd = papertide(data);
    cmd.args(["stats", "--json"]);
    json(cmd)["papers"].as_u64().expect("papers count")
}
