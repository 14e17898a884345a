//! Tests of the oai module against the OAI-PMH fixtures (`arXiv` and `arXivRaw` metadata,
//! `ListRecords`, `GetRecord` and error responses), and against damaged responses.

use chrono::{DateTime, Utc};
use papertide_ingest::oai::{parse_response, OaiError, OaiPage, INVALID_RESPONSE};
use papertide_ingest::Format;
use proptest::prelude::*;

use crate::support::{data_dir, parse_bytes, parse_file, Collected};

const ARXIV: &str = "fixtures/oai/arXiv-hepcrawl";
const RAW: &str = "fixtures/oai/arXivRaw-mikesaelim";

/// Every response fixture with records: file and number of `<record>`s (counted with grep).
const RESPONSES: &[(&str, usize)] = &[
    ("arXiv-hepcrawl/arxiv-physics-hep-ex.xml", 3),
    ("arXiv-hepcrawl/arxiv-physics-hep-th.xml", 3),
    ("arXiv-hepcrawl/arxiv-single.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record.xml", 12),
    ("arXiv-hepcrawl/sample_arxiv_record0.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record1.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record10.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record2.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record3.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record4.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record5.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record6.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record7.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record8.xml", 1),
    ("arXiv-hepcrawl/sample_arxiv_record9.xml", 1),
    ("arXivRaw-mikesaelim/GetRecordResponse.xml", 1),
    ("arXivRaw-mikesaelim/ListRecordsResponse.xml", 6),
];

/// Every error response: file, code, message.
const ERRORS: &[(&str, &str, &str)] = &[
    ("ErrorResponseBadArgument.xml", "badArgument", "Verb 'ListRecords', illegal argument 'identifier'."),
    (
        "ErrorResponseBadResumptionToken.xml",
        "badResumptionToken",
        "The resumptionToken supplied is illegal for this repository",
    ),
    ("ErrorResponseBadVerb.xml", "badVerb", "Bad verb. Verb 'wah' not implemented."),
    (
        "ErrorResponseIdDoesNotExist.xml",
        "idDoesNotExist",
        "Identifier 'oai:arXiv.org:0813.2274' has correct form but does not correspond to an item in this repository",
    ),
    ("ErrorResponseNoRecordsMatch.xml", "noRecordsMatch", "Set argument doesn't match any sets. The setSpec was 'moo'"),
];

fn fixture(rel: &str) -> Vec<u8> {
    let path = data_dir().join("fixtures/oai").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn response(bytes: &[u8]) -> (OaiPage, Collected) {
    let mut out = Collected::default();
    let mut reader = bytes;
    let page = parse_response(&mut reader, "t.xml", &mut |item| out.push(item)).expect("parse_response failed");
    (page, out)
}

fn ts(d: Option<DateTime<Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

#[test]
fn every_fixture_gives_its_records() {
    let mut listed: Vec<String> = Vec::new();
    for dir in [ARXIV, RAW] {
        for entry in std::fs::read_dir(data_dir().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".xml") {
                listed.push(format!("{}/{name}", dir.rsplit('/').next().unwrap()));
            }
        }
    }
    listed.sort();
    let mut known: Vec<String> = RESPONSES.iter().map(|r| r.0.to_string()).collect();
    known.extend(ERRORS.iter().map(|e| format!("arXivRaw-mikesaelim/{}", e.0)));
    known.sort();
    assert_eq!(listed, known, "a fixture is not covered");

    for &(file, records) in RESPONSES {
        let (page, got) = response(&fixture(file));
        assert_eq!(got.papers.len(), records, "{file}: {:?}", got.rejected);
        assert!(got.rejected.is_empty(), "{file}: {:?}", got.rejected);
        assert_eq!((page.records, page.error), (records as u64, None), "{file}");
        assert!(got.papers.iter().all(|p| p.source == papertide_core::Source::Oai), "{file}");
        assert!(got.papers.iter().all(|p| p.published.is_some() && !p.categories.is_empty()), "{file}");
        let same = parse_file(Format::Oai, &format!("fixtures/oai/{file}"));
        assert_eq!(same.papers, got.papers, "parse and parse_response agree");
    }
}

#[test]
fn error_responses_are_one_rejection() {
    for &(file, code, message) in ERRORS {
        let (page, got) = response(&fixture(&format!("arXivRaw-mikesaelim/{file}")));
        assert!(got.papers.is_empty(), "{file}");
        assert_eq!(got.rejected.len(), 1, "{file}");
        assert_eq!(got.rejected[0].reason, format!("OAI-PMH error {code}: {message}"), "{file}");
        assert_eq!(got.rejected[0].id, None);
        assert_eq!(page.error, Some(OaiError { code: code.into(), message: message.into() }), "{file}");
        assert_eq!((page.records, page.resumption_token), (0, None), "{file}");
    }
}

#[test]
fn list_records_gives_its_resumption_token() {
    let (page, _) = response(&fixture("arXivRaw-mikesaelim/ListRecordsResponse.xml"));
    assert_eq!(page.resumption_token.as_deref(), Some("726959|1001"));
    assert_eq!((page.complete_list_size, page.cursor), (Some(58011), Some(0)));
    let (page, _) = response(&fixture("arXivRaw-mikesaelim/GetRecordResponse.xml"));
    assert_eq!((page.resumption_token, page.complete_list_size), (None, None));
    let last = "<OAI-PMH><ListRecords><resumptionToken completeListSize='3' cursor='2'/></ListRecords></OAI-PMH>";
    let (page, _) = response(last.as_bytes());
    assert_eq!((page.resumption_token, page.complete_list_size, page.cursor), (None, Some(3), Some(2)));
}

#[test]
fn arxiv_format_records() {
    let got = parse_file(Format::Oai, &format!("{ARXIV}/arxiv-single.xml"));
    let p = got.get("1401.2122");
    assert_eq!(p.title, "New integrable (3+1)-dimensional systems and contact geometry");
    assert_eq!(p.authors, ["A. Sergyeyev"]);
    assert_eq!(p.categories, ["math.AP", "hep-th", "math-ph", "math.DG", "math.MP", "nlin.SI"]);
    assert_eq!((ts(p.published), ts(p.updated)), ("2014-01-09T00:00:00Z".into(), "2017-10-23T00:00:00Z".into()));
    assert_eq!(p.version, 1, "the arXiv format does not say");
    assert_eq!(p.doi.as_deref(), Some("10.1007/s11005-017-1013-4"));
    assert_eq!(p.journal_ref.as_deref(), Some("Lett. Math. Phys. 108 (2018), no. 2, 359-376"));
    assert_eq!(p.license.as_deref(), Some("http://arxiv.org/licenses/nonexclusive-distrib/1.0/"));
    assert!(p
        .comment
        .as_deref()
        .unwrap()
        .starts_with("16 pages, LaTeX, no figures, revised and abridged, in this version (v5)"));
    assert!(p
        .abstract_text
        .starts_with("We introduce a novel systematic construction for integrable (3+1)-dimensional"));

    let got = parse_file(Format::Oai, &format!("{ARXIV}/arxiv-physics-hep-th.xml"));
    let p = got.get("1607.01710");
    assert_eq!(p.authors.len(), 5);
    assert_eq!((p.authors[0].as_str(), p.authors[3].as_str()), ("R. A. C. Correa", "A. de Souza Dutra"));
    assert_eq!(p.authors[4], "C. A. S. Almeida");
    assert_eq!(p.comment, None);

    let got = parse_file(Format::Oai, &format!("{ARXIV}/sample_arxiv_record0.xml"));
    let p = got.get("1601.03238");
    assert_eq!(p.authors.first().map(String::as_str), Some("Planck Collaboration"), "keyname only");
    assert_eq!(p.authors.last().map(String::as_str), Some("Heng Fan"));
    assert_eq!(p.report_no.as_deref(), Some("YITP-2016-26"));
    assert_eq!(p.categories, ["quant-ph", "gr-qc", "hep-th", "chao-dyn", "nlin.CD"]);
    assert_eq!(
        p.doi.as_deref(),
        Some("10.1103/PhysRevD.93.016005, 10.1103/PhysRevD.98.079901;10.1103/PhysRevD.98.079903")
    );
    assert_eq!(p.updated, None);

    let got = parse_file(Format::Oai, &format!("{ARXIV}/sample_arxiv_record4.xml"));
    let p = got.get("1603.05976");
    assert_eq!(p.authors[..3], ["Keck Array", "BICEP2 Collaborations", "P. Ade"], "the `:` author is no name");
    assert!(p.authors.iter().any(|a| a == "R. W. IV"), "suffix");
    assert_eq!(p.authors.last().map(String::as_str), Some("K. W. Yoon"));

    let got = parse_file(Format::Oai, &format!("{ARXIV}/sample_arxiv_record.xml"));
    let p = got.get("1604.05585");
    assert_eq!(p.authors[0], "Günter Burigana", "affiliations are not names");
    assert_eq!(
        got.get("1808.04927").authors,
        [
            "N. Abgrall",
            "A. Aduszkiewicz",
            "E. D. Zimmerman",
            "R. Zwaska",
            "The T2K Beam Group",
            "L. Berns",
            "G. A. Fiorentini",
            "M. Yu"
        ]
    );
    let comment = got.get("1603.00997").comment.clone().unwrap();
    assert!(comment.contains("A talk given at \"The 8th International Workshopon Chiral Dynamics, CD2015\""));
}

#[test]
fn arxiv_raw_records() {
    let got = parse_file(Format::Oai, &format!("{RAW}/ListRecordsResponse.xml"));
    let ids: Vec<&str> = got.papers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["0704.0471", "0704.0716", "0704.0874", "0704.1109", "0704.1114", "0704.1586"]);
    let p = got.get("0704.0716");
    assert_eq!(p.title, "Limit distributions and scaling functions");
    assert_eq!(p.authors, ["Christoph Richard"]);
    assert_eq!(p.categories, ["math-ph", "math.MP"]);
    assert_eq!((ts(p.published), ts(p.updated)), ("2007-04-05T12:45:03Z".into(), "2008-11-14T09:07:25Z".into()));
    assert_eq!(p.version, 4);
    assert_eq!(
        p.journal_ref.as_deref(),
        Some("Polygons, polyominoes and polycubes, 247-299, Lecture Notes in Phys., 775, Springer, Dordrecht, 2009")
    );
    let p = got.get("0704.0471");
    assert_eq!(p.authors, ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]);
    assert_eq!((p.version, ts(p.updated)), (1, "2007-04-03T22:04:11Z".into()));
    assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevC.76.024606 10.1103/PhysRevC.76.039902"));
    assert!(p.abstract_text.contains("extremely \" stiff \" and \" soft \" form"));
    assert_eq!(p.title, "Density dependence of the symmetry energy and the nuclear equation of state: A Dynamical and Statistical model perspective");
    assert_eq!(got.get("0704.1109").authors, ["Valeria M. Rosa", "Patricio S. letelier"]);

    let got = parse_file(Format::Oai, &format!("{RAW}/GetRecordResponse.xml"));
    let p = got.get("1302.2146");
    assert_eq!(p.title, "The Same-Sign Dilepton Signature of RPV/MFV SUSY");
    assert_eq!(p.authors, ["Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo"]);
    assert_eq!(p.categories, ["hep-ph", "hep-ex"]);
    assert_eq!(
        (ts(p.published), ts(p.updated), p.version),
        ("2013-02-08T21:00:01Z".into(), "2013-04-02T01:50:08Z".into(), 2)
    );
    assert_eq!(p.comment.as_deref(), Some("18 pages, 6 figures; v2: References added"));
    assert!(p.abstract_text.ends_with("TeV LHC with a 100 fb^-1 data set."));
}

const RECORD: &str = "<record><header><identifier>oai:arXiv.org:2401.0123{N}</identifier></header><metadata>\
    <arXivRaw><id>2401.0123{N}</id><version version='v1'><date>Mon, 1 Jan 2024 00:00:00 GMT</date></version>\
    <title>Paper {N}</title><authors>A and B</authors><categories>cs.LG</categories></arXivRaw></metadata></record>";

fn synthetic(middle: &str) -> String {
    format!(
        "<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords>{}{middle}{}\
         <resumptionToken cursor='0' completeListSize='9'>tok</resumptionToken></ListRecords></OAI-PMH>",
        RECORD.replace("{N}", "1"),
        RECORD.replace("{N}", "3")
    )
}

#[test]
fn bad_records_are_rejected_and_the_rest_kept() {
    let raw = |inner: &str| format!("<record><header/><metadata><arXivRaw>{inner}</arXivRaw></metadata></record>");
    let cases = [
        (raw("<id>12345</id><title>T</title>"), "invalid arXiv id \"12345\""),
        (raw("<id>2401.01232</id>"), "missing title"),
        (raw("<title>T</title>"), "missing <id>"),
        (raw("<id>2401.01232</id><title>T</title><version version='v1'><date>never</date></version>"), "invalid date of version v1"),
        (raw("<id>2401.01232</id><title>T</title><version version='one'/>"), "invalid version \"one\""),
        (raw("<id>2401.01232</id><title>T &nbsp;</title>"), "invalid XML in record"),
        (raw("<id>2401.01232</id><title>T</tite>"), "invalid XML in record: unexpected end tag </tite>"),
        (raw("<id>2401.01232</id><title>T</metadata>"), "invalid XML in record: mismatched end tag"),
        ("<record><header><identifier>oai:arXiv.org:2401.01232</identifier></header><metadata><arXiv><title>T</title><created>2024-02-30</created></arXiv></metadata></record>".into(), "invalid date in <created>"),
        ("<record><header><identifier>oai:arXiv.org:2401.01232</identifier></header><metadata><oai_dc:dc xmlns:oai_dc='x'/></metadata></record>".into(), "unsupported metadata format <dc>"),
        ("<record><header><identifier>oai:arXiv.org:2401.01232</identifier></header></record>".into(), "record without <metadata>"),
    ];
    for (bad, reason) in &cases {
        let (page, got) = response(synthetic(bad).as_bytes());
        let ids: Vec<&str> = got.papers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["2401.01231", "2401.01233"], "{bad}");
        assert_eq!(got.rejected.len(), 1, "{bad}: {:?}", got.rejected);
        let r = &got.rejected[0];
        assert!(r.reason.contains(reason), "{bad}: {}", r.reason);
        assert_eq!(r.location.record, Some(2), "{bad}");
        if !reason.contains("missing <id>") {
            assert!(r.id.as_deref().is_some_and(|id| id.contains("2401.0123") || id == "12345"), "{bad}: {r:?}");
        }
        assert_eq!((page.records, page.resumption_token.as_deref()), (3, Some("tok")), "{bad}");
    }
}

#[test]
fn a_damaged_resumption_token_is_an_error() {
    let xml = synthetic("").replace(">tok<", ">to&k;<");
    let (page, got) = response(xml.as_bytes());
    assert_eq!((got.papers.len(), got.rejected.len(), page.records), (2, 1, 2));
    assert_eq!(page.resumption_token, None);
    assert_eq!(page.error.map(|e| e.code), Some(INVALID_RESPONSE.to_string()));
}

#[test]
fn deleted_records_are_skipped() {
    let deleted =
        "<record><header status='deleted'><identifier>oai:arXiv.org:2401.01232</identifier></header></record>";
    let (page, got) = response(synthetic(deleted).as_bytes());
    assert_eq!((got.papers.len(), got.rejected.len(), page.records), (2, 0, 2));
    assert_eq!(got.papers[1].authors, ["A", "B"]);
    assert_eq!(got.papers[1].title, "Paper 3");
}

#[test]
fn truncated_responses_keep_the_records_before_the_cut() {
    for file in ["arXivRaw-mikesaelim/ListRecordsResponse.xml", "arXiv-hepcrawl/sample_arxiv_record.xml"] {
        let bytes = fixture(file);
        let (_, whole) = response(&bytes);
        let end = bytes.windows(10).position(|w| w == b"</OAI-PMH>").unwrap() + 10;
        let (page, got) = response(&bytes[..end]);
        assert_eq!((got.papers.len(), got.rejected.len(), page.error), (whole.papers.len(), 0, None));
        let step = (end / 41).max(1);
        for cut in (0..end).step_by(step) {
            let (page, got) = response(&bytes[..cut]);
            assert!(whole.papers.starts_with(&got.papers), "{file} cut at {cut}");
            assert_eq!(got.rejected.len(), 1, "{file} cut at {cut}: {:?}", got.rejected);
            let error = page.error.unwrap_or_else(|| panic!("{file} cut at {cut}"));
            assert_eq!(error.code, INVALID_RESPONSE);
            assert_eq!(page.resumption_token, None, "a cut response is never the last page");
        }
        let (_, got) = response(&bytes[..bytes.len() / 2]);
        assert!(!got.papers.is_empty(), "{file}");
        assert!(got.rejected[0].location.line.is_some());
    }
}

#[test]
fn garbage_is_one_rejection() {
    let cases: [&[u8]; 5] = [
        b"",
        b"\x00\x01\x02garbage",
        b"<html><p>Rate limited</p></html>",
        b"<OAI-PMH><ListRecords><record",
        b"]]>&&&<",
    ];
    for bytes in cases {
        let got = parse_bytes(Format::Oai, bytes, "g");
        assert!(got.papers.is_empty());
        assert_eq!(got.rejected.len(), 1, "{:?}: {:?}", String::from_utf8_lossy(bytes), got.rejected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut reader = &bytes[..];
        papertide_ingest::oai::parse(&mut reader, "p", &mut |_| Ok(())).unwrap();
    }

    #[test]
    fn damaged_fixture_never_panics(at in 0usize..2700, byte in any::<u8>(), cut in 0usize..3000) {
        let mut bytes = fixture("arXivRaw-mikesaelim/GetRecordResponse.xml");
        if let Some(b) = bytes.get_mut(at) {
            *b = byte;
        }
        bytes.truncate(cut);
        let (_, got) = response(&bytes);
        prop_assert!(got.papers.len() <= 1);
    }
}
