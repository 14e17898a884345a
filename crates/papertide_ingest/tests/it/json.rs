//! Tests of the JSON Lines parsers ([`papertide_ingest::kaggle`], [`papertide_ingest::daily`],
//! [`papertide_ingest::export`]) against the real Kaggle and daily-listing data, export
//! round trips (hand-picked and property based), and bad lines of every kind.
//! Opening files (compression, archives, detection) is tested in `input.rs`.

use std::io::Read;

use chrono::{DateTime, TimeZone, Utc};
use papertide_core::{Links, PaperId, Source};
use papertide_ingest::export::{write_paper, MAX_LINE_BYTES};
use papertide_ingest::{Format, IngestError, Item, Paper};
use proptest::prelude::*;

use crate::support::{data_dir, parse_bytes, parse_file, Collected};

const KAGGLE: &str = "arxiv/kaggle-oai-snapshot-head200.jsonl";
const DAILY: &str = "arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz";

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single()
}

fn daily() -> Collected {
    let file = std::fs::File::open(data_dir().join(DAILY)).unwrap();
    let mut bytes = Vec::new();
    xz2::read::XzDecoder::new_multi_decoder(file).read_to_end(&mut bytes).unwrap();
    parse_bytes(Format::Daily, &bytes, DAILY)
}

#[test]
fn all_200_kaggle_records_parse() {
    let got = parse_file(Format::Kaggle, KAGGLE);
    assert!(got.rejected.is_empty(), "{:#?}", got.rejected);
    assert_eq!(got.papers.len(), 200);
    for (i, p) in got.papers.iter().enumerate() {
        assert_eq!(p.id.as_str(), format!("0704.{:04}", i + 1));
        assert_eq!(p.source, Source::Kaggle);
        assert!(p.published.is_some() && p.updated >= p.published, "{}", p.id);
        assert!(!p.authors.is_empty() && !p.categories.is_empty() && !p.abstract_text.is_empty(), "{}", p.id);
    }
}

#[test]
fn kaggle_0704_0001_by_hand() {
    let got = parse_file(Format::Kaggle, KAGGLE);
    let p = got.get("0704.0001");
    assert_eq!(p.title, "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies");
    // From authors_parsed, where Kaggle already turned `Bal\'azs` into `Balázs` and wrote
    // `C.-P.` as `C. -P.`; papertide keeps both as the source has them.
    assert_eq!(p.authors, ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]);
    assert_eq!(p.journal_ref.as_deref(), Some("Phys.Rev.D76:013009,2007"));
    assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevD.76.013009"));
    assert_eq!(p.report_no.as_deref(), Some("ANL-HEP-PR-07-12"));
    assert_eq!(p.comment.as_deref(), Some("37 pages, 15 figures; published version"));
    assert_eq!(p.license, None);
    assert_eq!(p.categories, ["hep-ph"]);
    assert_eq!(p.version, 2);
    assert_eq!(p.published, utc(2007, 4, 2, 19, 18, 42));
    assert_eq!(p.updated, utc(2007, 7, 24, 20, 10, 27));
    assert!(p
        .abstract_text
        .starts_with("A fully differential calculation in perturbative quantum chromodynamics is presented"));
    assert!(p.abstract_text.ends_with("can be obtained with judicious selection of events."));
    assert_eq!(p.links.abs.as_deref(), Some("https://arxiv.org/abs/0704.0001"));
}

#[test]
fn kaggle_versions_suffixes_accents_and_cross_lists() {
    let got = parse_file(Format::Kaggle, KAGGLE);
    let p = got.get("0704.0027");
    assert_eq!(p.version, 4);
    assert_eq!(p.published, utc(2007, 4, 2, 19, 17, 14));
    assert_eq!(p.updated, utc(2009, 9, 24, 12, 40, 18), "the last version, not update_date");
    assert_eq!(p.authors, ["M. O. Goerbig", "J. -N. Fuchs", "K. Kechedzhi", "Vladimir I. Fal'ko"]);
    let p = got.get("0704.0044");
    assert_eq!(p.authors.len(), 7, "affiliations in authors_parsed[3] are dropped");
    assert_eq!(p.authors[0], "A. A. Schekochihin");
    assert_eq!(p.categories, ["astro-ph", "nlin.CD", "physics.plasm-ph", "physics.space-ph"]);
    assert_eq!(got.get("0704.0009").authors[5], "Neal J. Evans II");
    assert_eq!(got.get("0704.0062").authors, ["Rastislav Šrámek", "Broňa Brejová", "Tomáš Vinař"]);
    let p = got.get("0704.0002");
    assert_eq!(p.categories, ["math.CO", "cs.CG"]);
    assert_eq!(p.license.as_deref(), Some("http://arxiv.org/licenses/nonexclusive-distrib/1.0/"));
    assert_eq!(p.version, 2);
    assert!(p.title.contains("Sparsity-certifying"));
}

#[test]
fn kaggle_without_authors_parsed_splits_the_string_and_keeps_latex() {
    let line = r#"{"id":"0704.0001","title":"T","authors":"C. Bal\\'azs, E. L. Berger (ANL) and C.-P. Yuan","versions":[],"update_date":"2008-11-26"}"#;
    let got = parse_bytes(Format::Kaggle, line.as_bytes(), "t");
    assert!(got.rejected.is_empty(), "{:?}", got.rejected);
    let p = &got.papers[0];
    assert_eq!(p.authors, ["C. Bal\\'azs", "E. L. Berger", "C.-P. Yuan"]);
    assert_eq!((p.published, p.updated, p.version), (None, utc(2008, 11, 26, 0, 0, 0), 1));
}

#[test]
fn daily_listing_file_parses_completely() {
    let got = daily();
    assert!(got.rejected.is_empty(), "{:#?}", &got.rejected[..got.rejected.len().min(5)]);
    assert_eq!(got.papers.len(), 26_809);
    let ids: std::collections::HashSet<&str> = got.papers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), 26_809);
    assert!(got.papers.iter().all(|p| p.source == Source::DailyListing && p.published.is_some()));

    let p = &got.papers[0];
    assert_eq!(p.id.as_str(), "2602.24024");
    assert_eq!(
        p.title,
        "Breaking the Illusion of Artificial Consensus: Clone-Robust Weighting for Arbitrary Metric Spaces"
    );
    assert_eq!(p.authors, ["Damien Berriaud", "Roger Wattenhofer"]);
    assert_eq!(p.categories, ["cs.GT", "cs.SI"]);
    assert_eq!(p.comment, None);
    assert!(p.abstract_text.starts_with("Independent media are central to democratic decision-making"));
    assert_eq!(p.published, utc(2026, 3, 2, 0, 0, 0));
    assert_eq!((p.updated, p.version), (None, 1));

    let p = got.get("2602.24092");
    assert_eq!(p.title, "An $ε$-Optimal Sequential Approach for Solving zs-POSGs");
    assert_eq!(p.authors, ["Jilles S. Dibangoye", "Matthia Sabatelli", "Erwan C. Escudie"]);
}

#[test]
fn daily_prefers_a_published_timestamp_over_the_listing_date() {
    let line = r#"{"id":"2603.00001","title":"T","authors":[],"categories":[],"listing_date":"2026-03-02","published":"2026-02-27T18:00:01Z"}"#;
    let got = parse_bytes(Format::Daily, line.as_bytes(), "t");
    assert_eq!(got.papers[0].published, utc(2026, 2, 27, 18, 0, 1));
}

fn round_trip(papers: &[Paper]) -> Collected {
    let mut out = Vec::new();
    for p in papers {
        write_paper(&mut out, p).unwrap();
    }
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), papers.len(), "one line per paper");
    parse_bytes(Format::Export, &out, "export.jsonl")
}

#[test]
fn export_round_trips_the_kaggle_records_and_namespaced_ids() {
    let mut papers = parse_file(Format::Kaggle, KAGGLE).papers;
    for id in ["doi:10.1145/1", "cacm:12", "local:x", "s2:123456", "hep-th/9901001"] {
        let mut p = Paper::new(id.parse().unwrap(), "A  title", Source::Local);
        p.comment = Some("line one\nline two \"quoted\"".into());
        papers.push(p.normalized());
    }
    let back = round_trip(&papers);
    assert!(back.rejected.is_empty(), "{:?}", back.rejected);
    assert_eq!(back.papers, papers);
    assert_eq!(back.papers[0].source, Source::Kaggle, "the source is kept as written");
    assert_eq!(back.get("doi:10.1145/1").source, Source::Local);
}

fn arb_id() -> impl Strategy<Value = PaperId> {
    prop_oneof![
        (15u32..=26, 1u32..=12, 0u32..100_000).prop_map(|(y, m, n)| format!("{y:02}{m:02}.{n:05}")),
        (91u32..=99, 1u32..=12, 1u32..1000).prop_map(|(y, m, n)| format!("hep-th/{y:02}{m:02}{n:03}")),
        ("(doi|cacm|local|s2)", "[a-zA-Z0-9][a-zA-Z0-9./_-]{0,20}").prop_map(|(ns, v)| format!("{ns}:{v}")),
    ]
    .prop_filter_map("valid id", |s| s.parse().ok())
}

fn arb_date() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    proptest::option::of((631_152_000i64..4_102_444_800, prop_oneof![Just(0u32), 0u32..1_000_000_000]))
        .prop_map(|d| d.and_then(|(secs, nanos)| DateTime::from_timestamp(secs, nanos)))
}

fn arb_text(max: usize) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(proptest::string::string_regex(&format!("\\PC{{0,{max}}}")).unwrap())
}

prop_compose! {
    fn arb_paper()(
        id in arb_id(),
        title in "\\PC{1,60}",
        abstract_text in "(\\PC|\n){0,200}",
        authors in proptest::collection::vec("\\PC{0,30}", 0..5),
        categories in proptest::collection::vec("[a-z]{2,8}(\\.[A-Z]{2})?", 0..4),
        (published, updated) in (arb_date(), arb_date()),
        version in 1u32..1000,
        (comment, journal_ref, report_no, license) in (arb_text(40), arb_text(40), arb_text(20), arb_text(20)),
        doi in proptest::option::of("(https://doi.org/)?10\\.[0-9]{4,5}/[a-z0-9.]{1,12}"),
        (abs, code) in (arb_text(30), arb_text(30)),
        source in proptest::sample::select(Source::ALL.to_vec()),
    ) -> Paper {
        Paper {
            id, title, abstract_text, authors, categories, published, updated, version,
            comment, journal_ref, doi, report_no, license,
            links: Links { abs, pdf: None, code, project: None },
            source,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn export_round_trips_any_normalized_paper(raw in arb_paper()) {
        let p = raw.clone().normalized();
        prop_assume!(p.validate().is_ok());
        let back = round_trip(std::slice::from_ref(&p));
        prop_assert!(back.rejected.is_empty(), "{:?}", back.rejected);
        prop_assert_eq!(&back.papers, &vec![p.clone()]);
        // A paper that was never normalized comes back normalized.
        let back = round_trip(std::slice::from_ref(&raw));
        prop_assert_eq!(&back.papers, &vec![p]);
    }

    #[test]
    fn json_parsers_never_panic(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..6)) {
        let bytes = lines.join(&b'\n');
        for format in [Format::Kaggle, Format::Daily, Format::Export] {
            let got = parse_bytes(format, &bytes, "fuzz");
            let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
            prop_assert!(got.papers.len() + got.rejected.len() <= newlines + 1);
        }
    }
}

/// Good lines with every kind of bad line between them.
fn bad_file(good: [&str; 3], long_id: &str) -> Vec<u8> {
    let mut f = Vec::new();
    let mut line = |bytes: &[u8]| {
        f.extend_from_slice(bytes);
        f.push(b'\n');
    };
    line(good[0].as_bytes()); // 1
    line(br#"{"id": "0704.0100", "title": "broken"#); // 2: malformed
    line(b"   "); // 3: blank
    line(good[1].as_bytes()); // 4
    line(br#"{"id":"0704.0101","abstract":"no title"}"#); // 5
    line(br#"{"id":"abc","title":"T"}"#); // 6
    line(br#"{"id":"0704.0102","title":"T","versions":[{"version":"v1","created":"yesterday"}],"listing_date":"yesterday","published":"yesterday"}"#); // 7
    line(b"{\"id\":\"0704.0103\",\"title\":\"caf\xff\"}"); // 8: invalid UTF-8
    let giant = format!(r#"{{"id":"{long_id}","title":"{}"}}"#, "x".repeat(MAX_LINE_BYTES));
    line(giant.as_bytes()); // 9
    line(br#"{"id":"0704.0104","title":5}"#); // 10
    line(b"[1, 2]"); // 11
    line(b""); // 12
    f.extend_from_slice(good[2].as_bytes()); // 13, no final newline
    f
}

fn check_bad_lines(format: Format, good: [&str; 3], date_reason: &str) {
    let got = parse_bytes(format, &bad_file(good, "0704.0105"), "bad.jsonl");
    assert_eq!(got.papers.len(), 3, "{:#?}", got.rejected);
    let seen: Vec<(u64, Option<&str>, &str)> = got
        .rejected
        .iter()
        .map(|r| {
            assert_eq!(r.location.origin, "bad.jsonl");
            (r.location.line.unwrap(), r.id.as_deref(), r.reason.as_str())
        })
        .collect();
    let expect: [(u64, Option<&str>, &str); 8] = [
        (2, Some("0704.0100"), "malformed JSON: "),
        (5, Some("0704.0101"), "missing title"),
        (6, None, "invalid id \"abc\": "),
        (7, Some("0704.0102"), date_reason),
        (8, Some("0704.0103"), "invalid UTF-8 at byte 31"),
        (9, Some("0704.0105"), "line too long"),
        (10, Some("0704.0104"), "bad title: expected a string, found a number"),
        (11, None, "expected a JSON object, found an array"),
    ];
    assert_eq!(seen.len(), expect.len(), "{seen:#?}");
    for (got, want) in seen.iter().zip(expect) {
        assert_eq!((got.0, got.1), (want.0, want.1), "{got:?}");
        assert!(got.2.starts_with(want.2), "line {}: {:?} should start with {:?}", got.0, got.2, want.2);
    }
}

#[test]
fn bad_lines_are_reported_and_good_ones_kept() {
    let kaggle = std::fs::read_to_string(data_dir().join(KAGGLE)).unwrap();
    let k: Vec<&str> = kaggle.lines().take(3).collect();
    check_bad_lines(Format::Kaggle, [k[0], k[1], k[2]], "bad date in versions[0].created: \"yesterday\"");
    let d = r#"{"id":"2603.00001","title":"D","authors":["A"],"categories":["cs.AI"],"listing_date":"2026-03-02"}"#;
    check_bad_lines(Format::Daily, [d, d, d], "bad date in listing_date: \"yesterday\"");
    let e = r#"{"id":"cacm:1","title":"E"}"#;
    check_bad_lines(Format::Export, [e, e, e], "bad date in published: \"yesterday\"");
}

#[test]
fn wrong_types_name_the_field() {
    let reason = |format: Format, line: &str| parse_bytes(format, line.as_bytes(), "t").rejected[0].reason.clone();
    let k = reason(Format::Kaggle, r#"{"id":"0704.0001","title":"T","versions":[{"version":"v1"}]}"#);
    assert!(k.starts_with("bad versions[0]: missing field `created`"), "{k}");
    let k = reason(
        Format::Kaggle,
        r#"{"id":"0704.0001","title":"T","versions":[{"version":"first","created":"2007-04-02"}]}"#,
    );
    assert_eq!(k, "bad version in versions[0].version: \"first\"");
    let k = reason(Format::Kaggle, r#"{"id":"0704.0001","title":"T","categories":["hep-ph"]}"#);
    assert!(k.starts_with("bad categories: "), "{k}");
    let d = reason(Format::Daily, r#"{"id":"2603.00001","title":"T","authors":"A and B"}"#);
    assert!(d.starts_with("bad authors: "), "{d}");
    let e = reason(Format::Export, r#"{"id":"cacm:1","title":"T","version":0}"#);
    assert_eq!(e, "version must be at least 1");
    let e = reason(Format::Export, r#"{"id":"cacm:1","title":"T","links":{"abs":1}}"#);
    assert!(e.starts_with("bad links: "), "{e}");
    let e = reason(Format::Export, r#"{"title":"T"}"#);
    assert_eq!(e, "missing id");
}

#[test]
fn the_line_limit_is_exactly_one_mebibyte() {
    let line = |len: usize| {
        let head = r#"{"id":"cacm:1","title":"T","pad":""#;
        format!("{head}{}\"}}", "x".repeat(len - head.len() - 2))
    };
    let at_limit = line(MAX_LINE_BYTES);
    assert_eq!(at_limit.len(), MAX_LINE_BYTES);
    let over = line(MAX_LINE_BYTES + 1);
    let got = parse_bytes(Format::Export, format!("{at_limit}\r\n{over}\n{at_limit}").as_bytes(), "t");
    assert_eq!(got.papers.len(), 2);
    assert_eq!(got.rejected.len(), 1);
    assert_eq!(got.rejected[0].location.line, Some(2));
}

#[test]
fn a_stop_from_the_consumer_stops_the_parser() {
    let kaggle = std::fs::read(data_dir().join(KAGGLE)).unwrap();
    let mut seen = 0;
    let result = Format::Kaggle.parse(&mut &kaggle[..], "k", &mut |item| {
        assert!(matches!(item, Item::Paper(_)));
        seen += 1;
        if seen == 3 {
            Err(IngestError::Stopped)
        } else {
            Ok(())
        }
    });
    assert!(matches!(result, Err(IngestError::Stopped)));
    assert_eq!(seen, 3);
}
