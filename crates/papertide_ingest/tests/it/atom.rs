//! Tests of the atom module against the arXiv API fixtures (2016 and 2026 flavours), and
//! against damaged feeds made from them.

use chrono::{DateTime, Utc};
use papertide_core::Source;
use papertide_ingest::atom::{parse_feed, AtomPage};
use papertide_ingest::{Format, Item};
use proptest::prelude::*;

use crate::support::{data_dir, parse_bytes, parse_file, Collected};

const LEGACY: &str = "fixtures/atom/legacy-2016";
const RECORDED: &str = "fixtures/atom/recorded-2026";

/// Every feed fixture: file, entries (as counted with grep), totalResults, itemsPerPage.
const FEEDS: &[(&str, u64, u64, u64)] = &[
    ("legacy-2016/id_list=1111.2011v2.xml", 1, 1, 10),
    ("legacy-2016/search_query=au_del_maestro+AND+ti_checkerboard.xml", 1, 1, 10),
    ("legacy-2016/search_query=au_del_maestro+AND+ti_quantum+criticality.xml", 2, 2, 10),
    ("legacy-2016/search_query=au_del_maestro+ANDNOT+_28ti_checkerboard+OR+ti_Pyrochlore_29.xml", 10, 24, 10),
    ("legacy-2016/search_query=au_del_maestro.xml", 10, 31, 10),
    ("recorded-2026/id_0000.0000_s0_m100_8b51d9633a68.body.xml", 0, 0, 100),
    ("recorded-2026/id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.body.xml", 1, 1, 100),
    ("recorded-2026/id_0808.05394_s0_m100_7b0c7d0a7cdd.body.xml", 0, 0, 100),
    ("recorded-2026/id_1605.08386_s0_m100_199195aa31ad.body.xml", 1, 1, 100),
    ("recorded-2026/id_1707.08567_s0_m100_6a1afebfc6a3.body.xml", 1, 1, 100),
    ("recorded-2026/id_2104.12255v1_s0_m100_6ae69987ffe1.body.xml", 1, 1, 100),
    ("recorded-2026/id_astro-ph_0601001_s0_m100_3150dca9dc76.body.xml", 1, 1, 100),
    ("recorded-2026/id_quant-ph_0201082v1_s0_m100_86989fe779ef.body.xml", 1, 1, 100),
    ("recorded-2026/q_testing_s0_m100_cfe7536492ca.body.xml", 100, 214881, 100),
    ("recorded-2026/q_testing_s0_m10_bc5a6c384fe9.body.xml", 10, 214881, 10),
    ("recorded-2026/q_testing_s0_m15_80c242b59d59.body.xml", 15, 214881, 15),
    ("recorded-2026/q_testing_s10_m10_34e56e15aaac.body.xml", 10, 214881, 10),
    ("recorded-2026/q_testing_s20_m10_348a237fecab.body.xml", 10, 214881, 10),
    ("recorded-2026/q_testing_s30_m10_f2e39f0143dc.body.xml", 10, 214881, 10),
    ("recorded-2026/q_testing_s40_m10_96dd32eb854c.body.xml", 10, 214881, 10),
    ("recorded-2026/q_testing_s50_m10_7f488ab8598c.body.xml", 10, 214881, 10),
    ("recorded-2026/q_testing_s5_m10_c0e94a259d4a.body.xml", 10, 214881, 10),
    ("recorded-2026/q_testing_s5_m15_bbcf6b23085b.body.xml", 15, 214881, 15),
    ("recorded-2026/q_testing_s9_m15_0b78d4b4d476.body.xml", 15, 214881, 15),
];
const ERROR_FEED: &str = "recorded-2026/id_abc_s0_m100_b79c8dcf6bc3.body.xml";

fn feed_bytes(rel: &str) -> Vec<u8> {
    let path = data_dir().join("fixtures/atom").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `parse_feed`, collecting items.
fn feed(bytes: &[u8]) -> (AtomPage, Collected) {
    let mut out = Collected::default();
    let mut reader = bytes;
    let page = parse_feed(&mut reader, "t.xml", &mut |item| out.push(item)).expect("parse_feed failed");
    (page, out)
}

fn atom(xml: &str) -> Collected {
    parse_bytes(Format::Atom, xml.as_bytes(), "t.xml")
}

fn ts(d: Option<DateTime<Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

#[test]
fn every_fixture_gives_its_entries() {
    let mut listed: Vec<String> = Vec::new();
    for dir in [LEGACY, RECORDED] {
        for entry in std::fs::read_dir(data_dir().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".xml") {
                listed.push(format!("{}/{name}", dir.rsplit('/').next().unwrap()));
            }
        }
    }
    listed.sort();
    let mut known: Vec<String> = FEEDS.iter().map(|f| f.0.to_string()).chain([ERROR_FEED.to_string()]).collect();
    known.sort();
    assert_eq!(listed, known, "a fixture is not covered");

    for &(file, entries, total, per_page) in FEEDS {
        let (page, got) = feed(&feed_bytes(file));
        assert_eq!(got.papers.len() as u64, entries, "{file}");
        assert!(got.rejected.is_empty(), "{file}: {:?}", got.rejected);
        let want = AtomPage {
            total_results: Some(total),
            start_index: page.start_index,
            items_per_page: Some(per_page),
            entries,
            error: None,
        };
        assert_eq!(page, want, "{file}");
        assert!(got.papers.iter().all(|p| p.source == Source::ArxivApi && !p.title.is_empty()), "{file}");
        let same = parse_file(Format::Atom, &format!("fixtures/atom/{file}"));
        assert_eq!(same.papers, got.papers, "parse and parse_feed agree");
    }
    let starts: Vec<Option<u64>> =
        ["s5_m10_c0e94a259d4a", "s9_m15_0b78d4b4d476", "s50_m10_7f488ab8598c", "s0_m10_bc5a6c384fe9"]
            .iter()
            .map(|s| feed(&feed_bytes(&format!("recorded-2026/q_testing_{s}.body.xml"))).0.start_index)
            .collect();
    assert_eq!(starts, [Some(5), Some(9), Some(50), Some(0)]);
}

#[test]
fn legacy_2016_entry() {
    let got = parse_file(Format::Atom, &format!("{LEGACY}/id_list=1111.2011v2.xml"));
    let p = got.get("1111.2011");
    assert_eq!(p.title, "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit");
    assert!(p
        .abstract_text
        .starts_with("Theoretical description of anisotropic systems, such as layered superconductors"));
    assert!(p.abstract_text.ends_with("adding a single extra dimension to the theory describing a single node."));
    assert_eq!(p.authors, ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]);
    assert_eq!(p.categories, ["cond-mat.str-el", "cond-mat.stat-mech"]);
    assert_eq!(ts(p.published), "2011-11-08T18:48:36Z");
    assert_eq!(ts(p.updated), "2012-04-02T12:38:54Z");
    assert_eq!(p.version, 2);
    assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevB.85.115117"));
    assert_eq!(p.comment.as_deref(), Some("8 pages, 3 figures. Published version"));
    assert_eq!(p.journal_ref.as_deref(), Some("Phys. Rev. B 85, 115117 (2012)"));
    assert_eq!(p.links.abs.as_deref(), Some("http://arxiv.org/abs/1111.2011v2"));
    assert_eq!(p.links.pdf.as_deref(), Some("http://arxiv.org/pdf/1111.2011v2"));

    let got = parse_file(Format::Atom, &format!("{LEGACY}/search_query=au_del_maestro.xml"));
    let old = got.get("cond-mat/0412498");
    assert_eq!(old.title, "Thermal melting of density waves on the square lattice");
    assert!(old.abstract_text.contains("\"p x p\" density wave ordering on the square lattice (p >= 3, integer)"));
    assert_eq!(got.papers[0].id.as_str(), "1201.4869");
    assert_eq!(got.papers[0].categories, ["cond-mat.mes-hall", "cond-mat.other"]);
}

#[test]
fn recorded_2026_entries() {
    let got = parse_file(Format::Atom, &format!("{RECORDED}/id_astro-ph_0601001_s0_m100_3150dca9dc76.body.xml"));
    let p = got.get("astro-ph/0601001");
    assert_eq!(
        p.title,
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys Toward the Galactic Bulge and Carina"
    );
    assert!(p.abstract_text.starts_with("We derive the frequencies of hot Jupiters (HJs)"));
    assert!(p.abstract_text.contains("Gould & Morgan (2003)") && p.abstract_text.contains("V_max<17.5"));
    assert_eq!(p.authors, ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]);
    assert_eq!(p.categories, ["astro-ph"]);
    assert_eq!((ts(p.published), ts(p.updated)), ("2006-01-02T14:57:58Z".into(), "2006-01-02T14:57:58Z".into()));
    assert_eq!(p.version, 1);
    assert_eq!(p.journal_ref.as_deref(), Some("ActaAstron.56:1-50,2006"));
    assert!(p.comment.as_deref().unwrap().starts_with("62 pages including 16 figures and 9 tables."));
    assert_eq!(p.doi, None);
    assert_eq!(p.links.abs.as_deref(), Some("https://arxiv.org/abs/astro-ph/0601001v1"));
    assert_eq!(p.links.pdf.as_deref(), Some("https://arxiv.org/pdf/astro-ph/0601001v1"));

    let got = parse_file(Format::Atom, &format!("{RECORDED}/id_2104.12255v1_s0_m100_6ae69987ffe1.body.xml"));
    let p = got.get("2104.12255");
    assert_eq!(p.title, "0", "a real paper is titled 0");
    assert_eq!(p.authors, ["Quan Thoi Minh Nguyen"]);
    assert_eq!(p.categories, ["cs.CR"]);
    assert_eq!(p.version, 1);
    assert_eq!(ts(p.published), "2021-04-20T16:07:14Z");
    assert!(p.abstract_text.ends_with("generously awarded $35,000 in total for the reported bugs."));

    // The recorded bodies hold UTF-8 that was decoded as Latin-1 once ("WÃ¼bben"): repaired.
    let got = parse_file(Format::Atom, &format!("{RECORDED}/id_1707.08567_s0_m100_6a1afebfc6a3.body.xml"));
    let p = got.get("1707.08567");
    assert_eq!(p.authors.len(), 34);
    assert_eq!((p.authors[0].as_str(), p.authors[32].as_str()), ("Kees A. Schouhamer Immink", "Dirk Wübben"));
    assert_eq!(p.authors.last().map(String::as_str), Some("Hirosuke Yamamoto"));
    let got = parse_file(Format::Atom, &format!("{RECORDED}/q_testing_s20_m10_348a237fecab.body.xml"));
    assert!(got.get("2306.03845").title.starts_with("$ω$Test: WebView-Orie"));

    let got = parse_file(Format::Atom, &format!("{RECORDED}/id_quant-ph_0201082v1_s0_m100_86989fe779ef.body.xml"));
    assert_eq!(got.get("quant-ph/0201082").categories, ["quant-ph", "cs.PL"]);

    let got = parse_file(Format::Atom, &format!("{RECORDED}/q_testing_s0_m10_bc5a6c384fe9.body.xml"));
    let p = &got.papers[0];
    assert_eq!(p.id.as_str(), "2202.12139");
    assert_eq!(p.title, "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques");
    assert_eq!(p.authors, ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]);
    assert_eq!(p.categories, ["cs.SE", "cs.LG"]);
    assert_eq!(p.doi.as_deref(), Some("10.1109/ICSTW55395.2022.00035"));
    assert_eq!(got.papers.iter().map(|p| p.version).max(), Some(3), "2204.08348v3");
}

#[test]
fn error_feed_is_one_rejection() {
    let (page, got) = feed(&feed_bytes(ERROR_FEED));
    assert!(got.papers.is_empty());
    assert_eq!(got.rejected.len(), 1);
    assert_eq!(got.rejected[0].reason, "arXiv API error: incorrect id format for abc");
    assert_eq!(got.rejected[0].location.record, Some(1));
    assert_eq!(page.error.as_deref(), Some("incorrect id format for abc"));
    assert_eq!((page.entries, page.total_results), (0, Some(1)));
}

#[test]
fn empty_results_are_nothing() {
    let (page, got) = feed(&feed_bytes("recorded-2026/id_0000.0000_s0_m100_8b51d9633a68.body.xml"));
    assert!(got.papers.is_empty() && got.rejected.is_empty());
    assert_eq!(
        page,
        AtomPage { total_results: Some(0), start_index: Some(0), items_per_page: Some(100), entries: 0, error: None }
    );
}

const ENTRY: &str = r#"<entry><id>http://arxiv.org/abs/2401.0123{N}v2</id><title>Paper {N}</title>
<published>2024-01-02T03:04:05Z</published><author><name>A. Author</name></author></entry>"#;

fn synthetic(middle: &str) -> String {
    format!(
        "<feed xmlns='http://www.w3.org/2005/Atom'>{}{middle}{}</feed>",
        ENTRY.replace("{N}", "1"),
        ENTRY.replace("{N}", "3")
    )
}

#[test]
fn bad_entries_are_rejected_and_the_rest_kept() {
    let cases = [
        (
            "<entry><id>http://arxiv.org/abs/12345</id><title>T</title></entry>",
            r#"invalid arXiv id "http://arxiv.org/abs/12345""#,
        ),
        ("<entry><id>http://arxiv.org/abs/2401.01232</id><title> </title></entry>", "missing title"),
        ("<entry><title>No id</title></entry>", "missing <id>"),
        (
            "<entry><id>2401.01232</id><title>T</title><updated>soon</updated></entry>",
            "invalid date in <updated>: \"soon\"",
        ),
        ("<entry><id>2401.01232</id><title>T &bogus; x</title></entry>", "invalid XML in entry"),
        ("<entry><id>2401.01232</id><title>T</titel></entry>", "invalid XML in entry: unexpected end tag </titel>"),
        ("<entry><id>2401.01232</id><title>T</entry>", "invalid XML in entry: mismatched end tag </entry>"),
        ("<entry><id>2401.01232</id><link href='x' href='y'/><title>T</title></entry>", "invalid XML in entry"),
        ("<entry><id>2401.01232</id><category term='not a category'/><title>T</title></entry>", "invalid category"),
    ];
    for (bad, reason) in cases {
        let got = atom(&synthetic(bad));
        let ids: Vec<&str> = got.papers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["2401.01231", "2401.01233"], "{bad}");
        assert_eq!(got.rejected.len(), 1, "{bad}: {:?}", got.rejected);
        let r = &got.rejected[0];
        assert!(r.reason.contains(reason), "{bad}: {}", r.reason);
        assert_eq!((r.location.record, r.location.origin.as_str()), (Some(2), "t.xml"), "{bad}");
        if !bad.contains("No id") {
            assert!(r.id.as_deref().is_some_and(|id| id.contains("2401.0123") || id.contains("12345")), "{bad}");
        }
    }
}

#[test]
fn damage_outside_entries_is_reported_once_at_the_end() {
    let xml = synthetic("<bogus>&nope;</bogus></oops>").replace("<feed ", "<feed><title>&also;</title><x ");
    let (page, got) = feed(xml.as_bytes());
    assert_eq!((got.papers.len(), page.entries, page.error), (2, 2, None));
    assert_eq!(got.rejected.len(), 1, "{:?}", got.rejected);
    assert!(got.rejected[0].reason.starts_with("invalid XML in the feed: "), "{:?}", got.rejected);
    assert_eq!(got.rejected[0].location.line, Some(1));
}

#[test]
fn entities_cdata_and_versions() {
    let got = atom(&synthetic(
        "<entry><id>https://arxiv.org/abs/hep-th/9901001v12</id><title><![CDATA[A <b> & B]]> &amp; C&#233;</title>\
         <summary>x &lt; y</summary><arxiv:primary_category xmlns:arxiv='a' term='hep-th'/>\
         <category term='hep-th'/><category term='math.AG'/></entry>",
    ));
    let p = got.get("hep-th/9901001");
    assert_eq!((p.title.as_str(), p.abstract_text.as_str(), p.version), ("A <b> & B & Cé", "x < y", 12));
    assert_eq!(p.categories, ["hep-th", "math.AG"]);
    assert_eq!(p.links.abs.as_deref(), Some("https://arxiv.org/abs/hep-th/9901001"), "filled in from the id");
}

#[test]
fn truncated_feeds_keep_the_entries_before_the_cut() {
    for file in [FEEDS[4].0, FEEDS[13].0, FEEDS[6].0] {
        let bytes = feed_bytes(file);
        let (_, whole) = feed(&bytes);
        let end = bytes.windows(7).position(|w| w == b"</feed>").unwrap() + 7;
        let (page, got) = feed(&bytes[..end]);
        assert_eq!((got.papers.len(), got.rejected.len(), page.error), (whole.papers.len(), 0, None));
        let step = (end / 37).max(1);
        for cut in (0..end).step_by(step) {
            let (page, got) = feed(&bytes[..cut]);
            assert!(whole.papers.starts_with(&got.papers), "{file} cut at {cut}");
            assert_eq!(got.rejected.len(), 1, "{file} cut at {cut}: {:?}", got.rejected);
            assert!(page.error.is_some(), "{file} cut at {cut}");
        }
        let half = &bytes[..bytes.len() / 2];
        let (page, got) = feed(half);
        assert_eq!(got.papers.is_empty(), whole.papers.len() < 2, "{file}");
        let r = &got.rejected[0];
        assert!(r.reason.contains("truncated") || r.reason.contains("invalid XML"), "{}", r.reason);
        assert!(r.location.line.is_some());
        if r.location.record.is_some() {
            assert_eq!(page.entries, got.papers.len() as u64 + 1);
        }
    }
}

#[test]
fn garbage_is_one_rejection() {
    let cases: [&[u8]; 6] = [
        b"",
        b"hello",
        b"\xff\xfe\x00<\x01",
        b"<html><body>Service Unavailable</body></html>",
        b"<feed><entry",
        b"<<<>>>",
    ];
    for bytes in cases {
        let (page, got) = feed(bytes);
        assert!(got.papers.is_empty());
        assert_eq!(got.rejected.len(), 1, "{:?}: {:?}", String::from_utf8_lossy(bytes), got.rejected);
        assert!(page.error.is_some());
    }
}

#[test]
fn stop_is_obeyed() {
    let bytes = feed_bytes(FEEDS[13].0);
    let mut seen = 0;
    let mut reader = &bytes[..];
    let result = parse_feed(&mut reader, "t", &mut |_item: Item| {
        seen += 1;
        if seen == 3 {
            Err(papertide_ingest::IngestError::Stopped)
        } else {
            Ok(())
        }
    });
    assert!(matches!(result, Err(papertide_ingest::IngestError::Stopped)));
    assert_eq!(seen, 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut reader = &bytes[..];
        papertide_ingest::atom::parse(&mut reader, "p", &mut |_| Ok(())).unwrap();
    }

    #[test]
    fn damaged_fixture_never_panics(at in 0usize..3594, byte in any::<u8>(), cut in 0usize..4000) {
        let mut bytes = feed_bytes(FEEDS[0].0);
        if let Some(b) = bytes.get_mut(at) {
            *b = byte;
        }
        bytes.truncate(cut);
        let (_, got) = feed(&bytes);
        prop_assert!(got.papers.len() <= 1);
    }
}
