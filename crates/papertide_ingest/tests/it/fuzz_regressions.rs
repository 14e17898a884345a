//! Replays every file in `tests/it/fuzz_regressions/` through everything the fuzz targets in
//! `fuzz/` run: every [`Format::parse`], [`detect`] (under several name hints),
//! [`read_reader`] with the detected format and with each format forced, and the id and date
//! parsing of `ids_and_dates` (parsed ids must round-trip). Nothing may panic.
//!
//! Crash inputs from `fuzz/artifacts/TARGET/` are copied here as `TARGET-HASH` (the first 8
//! hex digits of their sha1). The `crafted-*` files are hostile inputs written by hand:
//! elements nested past the XML depth limit, JSON numbers past every integer type and arrays
//! past serde_json's recursion limit, invalid UTF-8 inside an `.abs` header, gzip cut inside
//! its header and inside a member, and a tar header claiming an 8 GiB member.

use std::io::BufReader;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use papertide_core::{ArxivId, PaperId};
use papertide_ingest::input::{detect, read_reader, Progress};
use papertide_ingest::{dates, Format};

fn regressions_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/fuzz_regressions"))
}

/// Every regression input, by file name, sorted.
fn inputs() -> Vec<(String, Vec<u8>)> {
    let dir = regressions_dir();
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    out
}

/// Runs `check`, turning a panic into a failure line naming the input and the check.
fn guarded(failures: &mut Vec<String>, input: &str, what: &str, check: impl FnOnce()) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(check)) {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        failures.push(format!("{input}: {what}: panicked: {message}"));
    }
}

/// What `ids_and_dates` checks, on one string.
fn ids_and_dates(s: &str) {
    if let Ok(id) = s.parse::<ArxivId>() {
        assert_eq!(id.to_string().parse::<ArxivId>().ok(), Some(id), "ArxivId round trip of {s:?}");
    }
    if let Ok(id) = s.parse::<PaperId>() {
        assert_eq!(id.to_string().parse::<PaperId>().ok(), Some(id), "PaperId round trip of {s:?}");
    }
    let _ = dates::parse_date(s);
}

fn replay(name: &str, bytes: &[u8], failures: &mut Vec<String>) {
    for format in Format::ALL {
        guarded(failures, name, &format!("Format::{format:?}.parse"), || {
            let mut reader = BufReader::new(bytes);
            let _ = format.parse(&mut reader, name, &mut |_item| Ok(()));
        });
    }
    for hint in [name, "fuzz", "x.abs", "new.TR", "listings/2401", "x.tar.gz"] {
        guarded(failures, name, &format!("detect({hint:?})"), || {
            let _ = detect(hint, bytes);
        });
    }
    for format in std::iter::once(None).chain(Format::ALL.map(Some)) {
        guarded(failures, name, &format!("read_reader({format:?})"), || {
            let _ = read_reader(bytes, name, format, &Progress::new(), &mut |_item| Ok(()));
        });
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        guarded(failures, name, "ids_and_dates", || ids_and_dates(s));
        for (n, line) in s.lines().enumerate() {
            guarded(failures, name, &format!("ids_and_dates on line {}", n + 1), || ids_and_dates(line));
        }
    }
}

#[test]
fn fuzz_regressions_never_panic() {
    let inputs = inputs();
    assert!(!inputs.is_empty(), "no inputs in {}", regressions_dir().display());
    let mut failures = Vec::new();
    for (name, bytes) in &inputs {
        replay(name, bytes, &mut failures);
    }
    assert!(failures.is_empty(), "{} of {} inputs failed:\n{}", failures.len(), inputs.len(), failures.join("\n"));
}
