//! Tests of [`papertide_ingest::input`]: format detection on every shared fixture, gzip / xz /
//! tar handled by magic bytes (small archives written here), per-member detection in the two
//! real archives, progress counts, the `--format` override, and errors.
//!
//! Tests that run the abs, listing, atom or oai parsers (written in their own modules) say so
//! in their names (`..._with_text_parsers`, `..._with_xml_parsers`).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use papertide_ingest::input::{detect, read_path, read_reader, Progress, StreamSummary, HEAD_BYTES};
use papertide_ingest::{Format, IngestError, Item};

use crate::support::{data_dir, Collected};

const KAGGLE: &str = "arxiv/kaggle-oai-snapshot-head200.jsonl";
const DAILY: &str = "arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz";
const ABS_TAR: &str = "arxiv/arxiv-browse-abs-and-daily-listings.tar.gz";
const MONTHLY_TAR: &str = "arxiv/arxiv-browse-astro-ph-monthly-listings.tar.xz";

fn files_under(rel: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(data_dir().join(rel)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    out.sort();
    out
}

fn head(path: &Path) -> Vec<u8> {
    let mut head = Vec::new();
    std::fs::File::open(path).unwrap().take(HEAD_BYTES as u64).read_to_end(&mut head).unwrap();
    head
}

fn detect_file(path: &Path) -> Option<Format> {
    detect(&path.to_string_lossy(), &head(path))
}

/// Reads a file with `read_path`, collecting items; also checks the progress counts.
fn read(path: &Path, format: Option<Format>) -> (Result<StreamSummary, IngestError>, Collected) {
    let progress = Progress::default();
    let mut out = Collected::default();
    let result = read_path(path, format, &progress, &mut |item| out.push(item));
    if result.is_ok() {
        let size = std::fs::metadata(path).unwrap().len();
        assert_eq!(progress.bytes_read(), size, "{}: every byte is read", path.display());
        assert_eq!(progress.total_bytes(), Some(size));
        assert_eq!(progress.fraction(), Some(1.0));
    }
    (result, out)
}

#[test]
fn detects_every_fixture() {
    for sub in ["fixtures/atom/legacy-2016", "fixtures/atom/recorded-2026"] {
        for path in files_under(sub) {
            let name = path.to_string_lossy();
            let want = if name.ends_with(".xml") { Some(Format::Atom) } else { None };
            assert_eq!(detect_file(&path), want, "{name}: the {{url,status_code,body}} wrappers are not a format");
        }
    }
    for sub in ["fixtures/oai/arXivRaw-mikesaelim", "fixtures/oai/arXiv-hepcrawl"] {
        for path in files_under(sub) {
            let want = if path.to_string_lossy().ends_with(".xml") { Some(Format::Oai) } else { None };
            assert_eq!(detect_file(&path), want, "{}", path.display());
        }
    }
    assert_eq!(detect_file(&data_dir().join("fixtures/atom/LICENSE-arxiv.py.txt")), None);
    assert_eq!(detect_file(&data_dir().join(KAGGLE)), Some(Format::Kaggle));
    assert_eq!(detect_file(&data_dir().join(DAILY)), None, "compressed bytes are not sniffed by detect");
}

#[test]
fn detection_rules() {
    assert_eq!(
        detect("x", b"\xef\xbb\xbf  <?xml version='1.0'?>\n<!-- <OAI-PMH> --><atom:feed xmlns:atom='x'>"),
        Some(Format::Atom)
    );
    assert_eq!(detect("x", b"<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\">"), Some(Format::Oai));
    assert_eq!(detect("x", b"<html><body>"), None);
    assert_eq!(detect("x", br#"{"id":"2401.01234","title":"T","listing_date":"2026-03-02"}"#), Some(Format::Daily));
    assert_eq!(detect("x", br#"{"id":"0704.0001","submitter":"P"#), Some(Format::Kaggle), "a cut-off first object");
    assert_eq!(detect("x", br#"{"title":"T","update_date":"2008-11-26"}"#), Some(Format::Kaggle));
    assert_eq!(detect("x", b"\n{\"id\":\"cacm:1\",\"title\":\"T\",\"source\":\"local\"}\n{"), Some(Format::Export));
    assert_eq!(detect("x", br#"{"url":"https://export.arxiv.org/api/query","status_code":200,"body":"<feed"}"#), None);
    assert_eq!(detect("x", br#"{"id":"x"}"#), None);
    assert_eq!(detect("x", b""), None);
    assert_eq!(detect("x", b"\x00\x01\x02"), None);
    assert_eq!(detect("x", b"Apache License\nVersion 2.0"), None);
    let abs = b"------------------------------------------------------------------------------\n\\\\\narXiv:hep-th/9901001\nFrom: A <a@b.c>\nDate: Fri, 1 Jan 1999 01:01:10 GMT   (15kb)\n\nTitle: T\nAuthors: A\n\\\\\n  Abstract.\n\\\\\n";
    assert_eq!(detect("9901001.abs", abs), Some(Format::Abs));
    assert_eq!(detect("whatever", abs), Some(Format::Abs), "by content alone");
}

#[test]
fn the_real_archives_are_detected_member_by_member() {
    let archive = std::fs::File::open(data_dir().join(ABS_TAR)).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let (mut abs, mut listings, mut unknown) = (0, 0, Vec::new());
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut head = Vec::new();
        (&mut entry).take(HEAD_BYTES as u64).read_to_end(&mut head).unwrap();
        match detect(&name, &head) {
            Some(Format::Abs) => abs += 1,
            Some(Format::Listing) => listings += 1,
            other => unknown.push((name, other)),
        }
    }
    assert_eq!((abs, listings), (1191, 27), "{unknown:?}");
    assert_eq!(unknown, [("abs_files/ftp/math-ph/papers/0509/0509037.abs".to_string(), None)], "the one empty file");
}

#[test]
fn reads_the_abs_and_daily_listings_archive_with_text_parsers() {
    let (summary, got) = read(&data_dir().join(ABS_TAR), None);
    let summary = summary.unwrap();
    assert_eq!((summary.streams, summary.skipped), (1218, 1));
    assert_eq!(
        summary.skipped_names,
        [format!("{}:abs_files/ftp/math-ph/papers/0509/0509037.abs", data_dir().join(ABS_TAR).display())]
    );
    let ids: BTreeSet<&str> = got.papers.iter().map(|p| p.id.as_str()).collect();
    assert!(ids.len() > 1100, "{}", ids.len());
    assert!(ids.contains("hep-th/9901001"));
    for r in &got.rejected {
        assert!(r.location.origin.contains(".tar.gz:abs_files/"), "{r}");
    }
}

#[test]
fn reads_the_monthly_listings_archive_with_text_parsers() {
    let (summary, got) = read(&data_dir().join(MONTHLY_TAR), None);
    let summary = summary.unwrap();
    assert_eq!((summary.streams, summary.skipped), (236, 0));
    let ids: BTreeSet<&str> = got.papers.iter().map(|p| p.id.as_str()).collect();
    // SOURCES.md counts 139,218 papers listed in their own archive; the `Paper (*cross-listing*)`
    // entries add about 4,150 more (143,373 ids when this was written).
    assert!((139_218..=143_422).contains(&ids.len()), "{}", ids.len());
    assert!(got.rejected.is_empty(), "{:?}", got.rejected.first());
}

#[test]
fn reads_the_json_lines_files() {
    let (summary, got) = read(&data_dir().join(DAILY), None);
    assert_eq!(summary.unwrap(), StreamSummary { streams: 1, ..Default::default() });
    assert_eq!((got.papers.len(), got.rejected.len()), (26_809, 0));
    let (summary, got) = read(&data_dir().join(KAGGLE), None);
    assert_eq!(summary.unwrap().streams, 1);
    assert_eq!((got.papers.len(), got.rejected.len()), (200, 0));
}

#[test]
fn reads_every_xml_fixture_with_xml_parsers() {
    for sub in [
        "fixtures/atom/legacy-2016",
        "fixtures/atom/recorded-2026",
        "fixtures/oai/arXivRaw-mikesaelim",
        "fixtures/oai/arXiv-hepcrawl",
    ] {
        for path in files_under(sub).into_iter().filter(|p| p.to_string_lossy().ends_with(".xml")) {
            let (summary, _) = read(&path, None);
            assert_eq!(summary.unwrap().streams, 1, "{}", path.display());
        }
    }
}

/// The first `n` Kaggle lines.
fn kaggle_lines(n: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(data_dir().join(KAGGLE)).unwrap();
    text.lines().take(n).flat_map(|l| format!("{l}\n").into_bytes()).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = xz2::write::XzEncoder::new(Vec::new(), 1);
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn compression_is_recognised_by_magic_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let plain = kaggle_lines(10);
    let (a, b) = plain.split_at(plain.len() / 2);
    let cases = [
        ("k.jsonl.gz", gzip(&plain)),
        ("k.jsonl.xz", xz(&plain)),
        ("gzip-named.txt", gzip(&plain)),
        ("xz-named.jsonl", xz(&plain)),
        ("multi-member.gz", [gzip(a), gzip(b)].concat()),
        ("multi-stream.xz", [xz(a), xz(b)].concat()),
        ("gz-in-xz", xz(&gzip(&plain))),
    ];
    for (name, bytes) in cases {
        let (summary, got) = read(&write(dir.path(), name, &bytes), None);
        assert_eq!(summary.unwrap().streams, 1, "{name}");
        assert_eq!((got.papers.len(), got.rejected.len()), (10, 0), "{name}");
    }
}

/// A tar holding a Kaggle member, a daily member (gzipped), an export member with one bad
/// line, a LICENSE, an empty file, a directory, and a nested tar.
fn tar_bytes() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    add("data/kaggle.jsonl", &kaggle_lines(5));
    let daily = br#"{"id":"2603.00001","title":"D","authors":["A"],"categories":["cs.AI"],"comment":null,"abstract":"x","listing_date":"2026-03-02"}"#;
    add("data/daily.jsonl.gz", &gzip(daily));
    add("data/export.jsonl", b"{\"id\":\"cacm:1\",\"title\":\"E\"}\n{\"id\":\"cacm:2\"}\n");
    add("LICENSE", b"Permission is hereby granted, free of charge");
    add("data/empty.jsonl", b"");
    let mut inner = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(0);
    h.set_cksum();
    inner.append_data(&mut h, "x", &b""[..]).unwrap();
    add("nested.tar", &inner.into_inner().unwrap());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_size(0);
    dir.set_cksum();
    b.append_data(&mut dir, "data/", &b""[..]).unwrap();
    b.into_inner().unwrap()
}

#[test]
fn tar_archives_are_walked_member_by_member() {
    let dir = tempfile::tempdir().unwrap();
    let tar = tar_bytes();
    for (name, bytes) in [
        ("a.tar", tar.clone()),
        ("a.tar.gz", gzip(&tar)),
        ("a.tgz", gzip(&tar)),
        ("a.tar.xz", xz(&tar)),
        ("no-extension", xz(&tar)),
    ] {
        let path = write(dir.path(), name, &bytes);
        let (summary, got) = read(&path, None);
        let summary = summary.unwrap();
        assert_eq!((summary.streams, summary.skipped), (3, 3), "{name}: {summary:?}");
        let origin = path.display().to_string();
        assert_eq!(
            summary.skipped_names,
            [format!("{origin}:LICENSE"), format!("{origin}:data/empty.jsonl"), format!("{origin}:nested.tar")]
        );
        assert_eq!(got.papers.len(), 5 + 1 + 1, "{name}");
        assert_eq!(got.rejected.len(), 1);
        let r = &got.rejected[0];
        assert_eq!((r.location.origin.clone(), r.location.line), (format!("{origin}:data/export.jsonl"), Some(2)));
        assert_eq!((r.id.as_deref(), r.reason.as_str()), (Some("cacm:2"), "missing title"));
    }
}

#[test]
fn a_format_override_applies_to_every_stream() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "a.tar", &tar_bytes());
    let (summary, got) = read(&path, Some(Format::Export));
    let summary = summary.unwrap();
    assert_eq!((summary.streams, summary.skipped), (5, 1), "only the nested tar is skipped: {summary:?}");
    // Every member is parsed as export records: the daily line passes, the LICENSE does not.
    assert_eq!(got.papers.iter().filter(|p| p.id.as_str() == "2603.00001").count(), 1);
    assert!(got
        .rejected
        .iter()
        .any(|r| r.location.origin.ends_with(":LICENSE") && r.reason.starts_with("malformed JSON")));
    // An undetectable plain file parses with the override.
    let path = write(dir.path(), "papers.txt", b"\n{\"title\":\"T\",\"id\":\"local:1\"}\n");
    let (summary, got) = read(&path, Some(Format::Export));
    assert_eq!((summary.unwrap().streams, got.papers.len()), (1, 1));
}

#[test]
fn unknown_empty_and_corrupt_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = read(&write(dir.path(), "LICENSE", b"MIT License\n"), None);
    assert!(matches!(result, Err(IngestError::UnknownFormat(ref o)) if o.ends_with("LICENSE")), "{result:?}");
    let (result, _) = read(&write(dir.path(), "empty.jsonl", b""), None);
    assert_eq!(result.unwrap().skipped, 1);
    let mut corrupt = gzip(&kaggle_lines(50));
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0xff;
    let (result, _) = read(&write(dir.path(), "corrupt.jsonl.gz", &corrupt), None);
    assert!(matches!(result, Err(IngestError::Io { .. })), "{result:?}");
    let missing = dir.path().join("missing.jsonl");
    assert!(matches!(read(&missing, None).0, Err(IngestError::Io { .. })));
}

#[test]
fn readers_stop_when_the_consumer_says_so_and_count_progress() {
    let progress = Progress::default();
    assert_eq!((progress.bytes_read(), progress.total_bytes(), progress.fraction()), (0, None, None));
    let bytes = xz(&kaggle_lines(20));
    let mut seen = 0;
    let result = read_reader(&bytes[..], "-", None, &progress, &mut |_item: Item| {
        seen += 1;
        if seen == 2 {
            return Err(IngestError::Stopped);
        }
        Ok(())
    });
    assert!(matches!(result, Err(IngestError::Stopped)));
    assert_eq!(seen, 2);
    assert!(progress.bytes_read() > 0 && progress.total_bytes().is_none(), "a reader has no known size");
    // Clones share the counters.
    let watcher = progress.clone();
    let mut out = Collected::default();
    read_reader(&bytes[..], "-", None, &progress, &mut |i| out.push(i)).unwrap();
    assert_eq!(out.papers.len(), 20);
    assert!(watcher.bytes_read() >= bytes.len() as u64);
}
