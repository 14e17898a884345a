//! Tests of the abs module against every `.abs` file of the arXiv/arxiv-browse test data
//! (`arxiv-browse-abs-and-daily-listings.tar.gz`, read straight from the archive).

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::sync::OnceLock;

use papertide_core::Source;
use papertide_ingest::{abs, listing, Paper, RecordError};

use crate::support::{data_dir, Collected};

const ARCHIVE: &str = "arxiv/arxiv-browse-abs-and-daily-listings.tar.gz";

/// Every file of the archive, by path inside it.
pub fn archive_files() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let path = data_dir().join(ARCHIVE);
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let mut files = BTreeMap::new();
        for entry in archive.entries().expect("tar entries") {
            let mut entry = entry.expect("tar entry");
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry.path().expect("path").to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read member");
            files.insert(name, bytes);
        }
        files
    })
}

/// The `.abs` files, parsed once: (member path, what the parser gave).
fn parsed() -> &'static Vec<(String, Collected)> {
    static PARSED: OnceLock<Vec<(String, Collected)>> = OnceLock::new();
    PARSED.get_or_init(|| {
        archive_files()
            .iter()
            .filter(|(name, _)| name.ends_with(".abs"))
            .map(|(name, bytes)| {
                let mut out = Collected::default();
                let origin = format!("{ARCHIVE}:{name}");
                abs::parse(&mut &bytes[..], &origin, &mut |item| out.push(item)).expect("parse");
                (name.clone(), out)
            })
            .collect()
    })
}

/// The one paper parsed from the member at `path`.
fn paper(path: &str) -> &'static Paper {
    let (_, out) = parsed().iter().find(|(name, _)| name.ends_with(path)).unwrap_or_else(|| panic!("no {path}"));
    assert_eq!((out.papers.len(), out.rejected.len()), (1, 0), "{path}: {:?}", out.rejected);
    &out.papers[0]
}

fn ymd_hms(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

#[test]
fn every_abs_file_gives_a_paper_but_the_empty_one() {
    let parsed = parsed();
    assert_eq!(parsed.len(), 1_192);
    assert_eq!(parsed.iter().filter(|(n, _)| n.contains("/orig/")).count(), 60);
    let papers: usize = parsed.iter().map(|(_, out)| out.papers.len()).sum();
    let rejected: Vec<&RecordError> = parsed.iter().flat_map(|(_, out)| &out.rejected).collect();
    assert_eq!(papers, 1_191);
    // The only broken file: math-ph/0509037.abs is 0 bytes in arxiv-browse's test data.
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(rejected[0].location.origin.ends_with("abs_files/ftp/math-ph/papers/0509/0509037.abs"));
    assert_eq!((rejected[0].reason.as_str(), rejected[0].location.line), ("empty .abs file", None));
    let ids: HashSet<&str> = parsed.iter().flat_map(|(_, out)| &out.papers).map(|p| p.id.as_str()).collect();
    // 1,131 ftp/ papers, but ftp/cs/papers/0006/0006007.abs is a copy of 0006008.abs (it says
    // `arXiv:cs/0006008`); the 60 orig/ files are older versions of ftp/ papers.
    assert_eq!(ids.len(), 1_130);
    assert_eq!(paper("ftp/cs/papers/0006/0006007.abs").id.as_str(), "cs/0006008");
    for (name, out) in parsed {
        for p in &out.papers {
            assert_eq!(p.source, Source::Abs);
            assert!(!p.abstract_text.is_empty(), "{name}: no abstract");
            assert!(!p.authors.is_empty(), "{name}: no authors");
            assert!(!p.categories.is_empty(), "{name}: no categories");
            assert!(p.published.is_some(), "{name}: no date");
            // orig/ files are named after their version.
            if let Some(v) = name.strip_suffix(".abs").and_then(|n| n.rsplit_once('v')).map(|(_, v)| v) {
                if name.contains("/orig/") {
                    assert_eq!(p.version.to_string(), v, "{name}");
                }
            }
        }
    }
}

#[test]
fn hep_th_9901001_current_and_original() {
    let p = paper("ftp/hep-th/papers/9901/9901001.abs");
    assert_eq!(p.id.as_str(), "hep-th/9901001");
    assert_eq!(p.title, "String Junctions and Their Duals in Heterotic String Theory");
    assert_eq!(p.authors, ["Yosuke Imamura"]);
    assert_eq!(p.categories, ["hep-th"]);
    assert_eq!(p.version, 3);
    assert_eq!(ymd_hms(p.published), "1999-01-01 01:01:10");
    assert_eq!(ymd_hms(p.updated), "1999-05-10 04:45:54");
    assert_eq!(p.comment.as_deref(), Some("13 pages + 4 eps figures, PTPTeX, typographical errors corrected"));
    assert_eq!(p.report_no.as_deref(), Some("YITP-99-1"));
    assert_eq!(p.journal_ref.as_deref(), Some("Prog.Theor.Phys.101:1155-1164,1999"));
    assert_eq!(p.doi.as_deref(), Some("10.1143/PTP.101.1155"));
    assert!(p.abstract_text.starts_with("We explicitly give the correspondence between spectra of heterotic string"));
    assert!(p.abstract_text.ends_with("compactified on $S^2$."));
    assert_eq!(p.links.abs.as_deref(), Some("https://arxiv.org/abs/hep-th/9901001"));

    // The v1 file has no Categories line: the category comes from the old-style id.
    let v1 = paper("orig/hep-th/papers/9901/9901001v1.abs");
    assert_eq!((v1.id.as_str(), v1.version), ("hep-th/9901001", 1));
    assert_eq!(v1.categories, ["hep-th"]);
    assert_eq!(v1.comment.as_deref(), Some("12 pages + 4 eps figures, LaTeX"));
    assert_eq!(
        (ymd_hms(v1.published), ymd_hms(v1.updated)),
        ("1999-01-01 01:01:10".into(), "1999-01-01 01:01:10".into())
    );
    assert!(v1.abstract_text.ends_with("compactified on S^2, explicitly."));
    assert_eq!(v1.doi, None);
    assert_eq!(paper("orig/hep-th/papers/9901/9901001v2.abs").version, 2);
}

#[test]
fn new_style_paper_2304_09157() {
    let p = paper("ftp/arxiv/papers/2304/2304.09157.abs");
    assert_eq!(p.id.as_str(), "2304.09157");
    assert_eq!(p.title, "Neural networks for geospatial data");
    assert_eq!(p.authors, ["Wentao Zhan", "Abhirup Datta"]);
    assert_eq!(p.categories, ["stat.ML", "cs.LG", "stat.ME"]);
    assert_eq!(p.license.as_deref(), Some("http://arxiv.org/licenses/nonexclusive-distrib/1.0/"));
    assert_eq!(p.version, 2);
    assert_eq!(ymd_hms(p.published), "2023-04-18 17:52:23");
    assert_eq!(ymd_hms(p.updated), "2024-01-29 23:56:47");
    assert!(p.abstract_text.starts_with("Analysis of geospatial data has traditionally been model-based"));
    assert!(p.abstract_text.ends_with("simulated and real datasets."));
    assert_eq!(p.comment, None);
}

#[test]
fn old_papers_without_categories_use_their_archive() {
    let p = paper("orig/math/papers/0202/0202001v1.abs");
    assert_eq!((p.id.as_str(), p.categories.as_slice()), ("math/0202001", &["math".to_string()][..]));
    assert_eq!(p.authors, ["Laurent Bartholdi", "Rostislav I. Grigorchuk", "Volodymyr V. Nekrashevych"]);
    assert_eq!(p.title, "From fractal groups to fractal sets");
}

#[test]
fn latin1_record_is_decoded() {
    // The Journal-ref of 1607.08199 is Latin-1 (0xC9, 0xE9), not UTF-8.
    let p = paper("ftp/arxiv/papers/1607/1607.08199.abs");
    assert_eq!(
        p.journal_ref.as_deref(),
        Some("Épijournal de Géométrie Algébrique, Volume 1 (September 1, 2017) epiga:3255")
    );
    assert_eq!(p.authors, ["Marcello Bernardara", "Emanuele Macr\\`i", "Benjamin Schmidt", "Xiaolei Zhao"]);
    assert_eq!(p.version, 5);
}

#[test]
fn latex_line_breaks_stay_in_the_abstract() {
    // Abstract lines that are just `\\` (LaTeX) must not end the abstract.
    let p = paper("ftp/arxiv/papers/2103/2103.11058.abs");
    assert!(p
        .abstract_text
        .ends_with("most precise measurements of $\\mathcal{A}_{CP}$ in these decay modes to date."));
    assert!(p.abstract_text.contains("(-1.3 \\pm 0.9 \\pm 0.6 )\\%, \\\\ \\mathcal{A}_{CP}"));
    assert_eq!(p.authors.first().map(String::as_str), Some("LHCb collaboration"));
    assert_eq!(p.authors.get(1).map(String::as_str), Some("R. Aaij"));
    assert_eq!(p.authors.last().map(String::as_str), Some("G. Zunica"));
    let q = paper("ftp/arxiv/papers/2004/2004.02153.abs");
    assert!(q.abstract_text.contains("\\\\ v_t = \\Delta v - v + u"));
    assert!(q.abstract_text.ends_with("collapse into a persistent Dirac distribution."));
}

#[test]
fn sniffers_agree_on_every_file() {
    for (name, bytes) in archive_files() {
        let head = &bytes[..bytes.len().min(4096)];
        let (is_abs, is_listing) = (abs::looks_like(head), listing::looks_like(head));
        if name.ends_with(".abs") {
            assert_eq!((is_abs, is_listing), (!bytes.is_empty(), false), "{name}");
        } else {
            assert_eq!((is_abs, is_listing), (false, true), "{name}");
        }
    }
}
