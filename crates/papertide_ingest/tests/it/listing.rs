//! Tests of the listing module against every listing file of both arXiv/arxiv-browse archives:
//! the 27 daily files of `arxiv-browse-abs-and-daily-listings.tar.gz` and the 236 files of
//! `arxiv-browse-astro-ph-monthly-listings.tar.xz` (209 monthly `YYMM` files plus copies of
//! the same 27 daily files). Each archive is parsed once per test binary.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::sync::OnceLock;

use papertide_core::Source;
use papertide_ingest::{abs, listing, Item, Paper, RecordError};

use crate::support::data_dir;

const MONTHLY: &str = "arxiv/arxiv-browse-astro-ph-monthly-listings.tar.xz";

/// What parsing a set of listing files gave; only a few papers are kept whole.
#[derive(Default)]
struct Parsed {
    /// Entries (papers plus rejections) per member path.
    entries: BTreeMap<String, usize>,
    papers: usize,
    cross_listed_papers: usize,
    rejected: Vec<RecordError>,
    ids: HashSet<String>,
    /// `member path#id` → paper, for the records checked field by field.
    kept: HashMap<String, Paper>,
}

const KEEP: &[&str] = &[
    "math/listings/new.AG#2306.77777",
    "math/listings/new.AG#2204.88888",
    "astro-ph/listings/0602#astro-ph/0602001",
    "astro-ph/listings/0602#astro-ph/0602003",
    "math-ph/listings/9701#q-alg/9701031",
    "astro-ph/listings/0803#0803.2235",
    "astro-ph/listings/pastweek#2303.01495",
    "astro-ph/listings/1111#1111.2632",
];

fn parse_files<'a>(archive: &str, files: impl Iterator<Item = (&'a String, &'a Vec<u8>)>) -> Parsed {
    let mut out = Parsed::default();
    for (name, bytes) in files {
        let origin = format!("{archive}:{name}");
        let mut entries = 0;
        listing::parse(&mut &bytes[..], &origin, &mut |item| {
            entries += 1;
            match item {
                Item::Paper(p) => {
                    assert_eq!(p.source, Source::Listing);
                    out.papers += 1;
                    let key = format!("{}#{}", name.trim_start_matches("abs_files/ftp/"), p.id);
                    if KEEP.contains(&key.as_str()) {
                        out.kept.insert(key, (*p).clone());
                    }
                    out.ids.insert(p.id.to_string());
                }
                Item::Rejected(e) => out.rejected.push(e),
            }
            Ok(())
        })
        .expect("parse");
        out.entries.insert(name.clone(), entries);
        out.cross_listed_papers += cross_listing_lines(bytes);
    }
    out
}

/// [`parse_files`] on every core: the monthly archive is 80 MB of text.
fn parse_in_parallel(archive: &str, files: &BTreeMap<String, Vec<u8>>) -> Parsed {
    let files: Vec<(&String, &Vec<u8>)> = files.iter().collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            files.chunks(chunk).map(|part| scope.spawn(move || parse_files(archive, part.iter().copied()))).collect();
        let mut all = Parsed::default();
        for handle in handles {
            let part = handle.join().expect("parser thread");
            all.entries.extend(part.entries);
            all.papers += part.papers;
            all.cross_listed_papers += part.cross_listed_papers;
            all.rejected.extend(part.rejected);
            all.ids.extend(part.ids);
            all.kept.extend(part.kept);
        }
        all
    })
}

/// Lines that mark an entry as a cross-listing, counted in the raw text.
fn cross_listing_lines(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| {
            (l.starts_with(b"arXiv:") || l.starts_with(b"Paper")) && l.windows(15).any(|w| w == b"*cross-listing*")
        })
        .count()
}

/// The monthly archive's files, read once.
fn monthly_files() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let path = data_dir().join(MONTHLY);
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut archive = tar::Archive::new(xz2::read::XzDecoder::new(file));
        let mut files = BTreeMap::new();
        for entry in archive.entries().expect("tar entries") {
            let mut entry = entry.expect("tar entry");
            if entry.header().entry_type().is_file() {
                let name = entry.path().expect("path").to_string_lossy().into_owned();
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).expect("read member");
                files.insert(name, bytes);
            }
        }
        files
    })
}

fn monthly() -> &'static Parsed {
    static PARSED: OnceLock<Parsed> = OnceLock::new();
    PARSED.get_or_init(|| parse_in_parallel(MONTHLY, monthly_files()))
}

fn daily() -> &'static Parsed {
    static PARSED: OnceLock<Parsed> = OnceLock::new();
    PARSED.get_or_init(|| {
        let files = crate::abs::archive_files().iter().filter(|(name, _)| name.contains("/listings/"));
        parse_files("arxiv/arxiv-browse-abs-and-daily-listings.tar.gz", files)
    })
}

fn kept<'a>(parsed: &'a Parsed, key: &str) -> &'a Paper {
    parsed.kept.get(key).unwrap_or_else(|| panic!("no paper {key}"))
}

fn ymd_hms(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

#[test]
fn daily_listing_files() {
    let d = daily();
    assert_eq!(d.entries.len(), 27);
    assert!(d.entries.values().all(|&n| n > 0), "{:?}", d.entries);
    assert_eq!((d.papers, d.rejected.len()), (1_028, 0), "{:?}", d.rejected);
    assert_eq!(d.cross_listed_papers, 227);
    assert_eq!(d.entries.get("abs_files/ftp/astro-ph/listings/new"), Some(&97));
    assert_eq!(d.entries.get("abs_files/ftp/math/listings/new.AG"), Some(&2));
    assert_eq!(d.ids.len(), 390);

    // A cross-listing, with its abstract.
    let p = kept(d, "math/listings/new.AG#2306.77777");
    assert_eq!(p.title, "Fake Paper of non amenable groups");
    assert_eq!(p.authors, ["Ben Hayes", "Srivatsav Kunnawalkam Elayavalli"]);
    assert_eq!(p.categories, ["math.GR", "math.DS", "math.AG"]);
    assert_eq!(p.comment.as_deref(), Some("7 pages, no figures"));
    assert!(p.abstract_text.starts_with("Fake test paper theoretically about: In this paper we exhibit"));
    assert!(p.abstract_text.ends_with("uniqueness theorem for sofic approximations."));
    assert_eq!((p.version, ymd_hms(p.published)), (1, "2023-06-07 18:23:40".to_string()));

    // A replacement: no abstract, no v1 date, version at least 2.
    let r = kept(d, "math/listings/new.AG#2204.88888");
    assert_eq!((r.title.as_str(), r.abstract_text.as_str(), r.version), ("Paper on improving ArXiv operations", "", 2));
    assert_eq!((r.published, ymd_hms(r.updated)), (None, "2023-06-08 08:03:26".to_string()));
}

#[test]
fn monthly_archive_files() {
    let m = monthly();
    assert_eq!(m.entries.len(), 236);
    assert_eq!(m.entries.keys().filter(|n| n.rsplit('/').next().is_some_and(|f| f.len() == 4)).count(), 209);
    let total: usize = m.entries.values().sum();
    assert_eq!(total, 144_381, "143,353 entries in the 209 monthly files, 1,028 in the 27 daily copies");
    assert_eq!((m.papers, m.rejected.len()), (144_381, 0), "{:?}", m.rejected);
    assert_eq!(m.cross_listed_papers, 16_852);
    assert_eq!(m.ids.len(), 143_373);
}

/// SOURCES.md says 139,218 unique papers. That is the count without the 4,156 entries whose id
/// line is `Paper (*cross-listing*): ID` (1992–2006 cross-listings): 4,155 of their ids appear
/// nowhere else. Recount both from the raw text, independently of the parser.
#[test]
fn monthly_unique_count_matches_sources_md_without_old_cross_listings() {
    let (mut old_cross, mut other) = (HashSet::new(), HashSet::new());
    for bytes in monthly_files().values() {
        for line in bytes.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            let (set, rest) = if let Some(rest) = line.strip_prefix("Paper (*cross-listing*):") {
                (&mut old_cross, rest)
            } else if let Some(rest) = line.strip_prefix("Paper:").or_else(|| line.strip_prefix("arXiv:")) {
                (&mut other, rest)
            } else {
                continue;
            };
            set.insert(rest.split_whitespace().next().unwrap_or("").to_string());
        }
    }
    assert_eq!(other.len(), 139_218);
    assert_eq!(old_cross.difference(&other).count(), 4_155);
    let all: HashSet<&String> = old_cross.union(&other).collect();
    assert_eq!(all.len(), monthly().ids.len());
}

#[test]
fn monthly_entry_fields() {
    let m = monthly();
    let p = kept(m, "astro-ph/listings/0602#astro-ph/0602001");
    assert_eq!(
        p.title,
        "The Properties and Redshift Evolution of Intermediate-Luminosity Off-Nuclear X-ray Sources in the Chandra Deep Fields"
    );
    assert_eq!(
        p.authors,
        [
            "B. D. Lehmer",
            "W. N. Brandt",
            "A. E. Hornschemeier",
            "D. M. Alexander",
            "F. E. Bauer",
            "A. M. Koekemoer",
            "D. P. Schneider",
            "A. T. Steffen",
        ]
    );
    assert_eq!(p.categories, ["astro-ph"]);
    assert_eq!(p.comment.as_deref(), Some("Accepted for publication in AJ. 37 pages, 12 figures"));
    assert_eq!((p.abstract_text.as_str(), p.version), ("", 1));
    assert_eq!(ymd_hms(p.published), "2006-01-31 21:00:59");

    let r = kept(m, "astro-ph/listings/0602#astro-ph/0602003");
    assert_eq!((r.version, ymd_hms(r.updated)), (2, "2007-04-21 00:19:16".to_string()));
    assert_eq!(r.authors, ["Darren S. Reed", "Fabio Governato", "Thomas Quinn", "Joachim Stadel", "George Lake"]);

    // An old cross-listing whose Date line is misspelt `kDate:` in the data: no date, still a paper.
    let q = kept(m, "math-ph/listings/9701#q-alg/9701031");
    assert_eq!((q.published, q.version), (None, 1));
    assert_eq!(q.categories, ["q-alg", "hep-th", "math-ph", "math.MP", "math.QA"]);

    // DEL where arXiv lost a TeX umlaut: it becomes `\"` (the record would be invalid).
    let del = kept(m, "astro-ph/listings/1111#1111.2632");
    assert_eq!(del.title, "Photonic Passbands and Zeropoints for the Str\\\"omgren uvby system");

    // Latin-1 (only in its From line), decoded for that record only.
    assert_eq!(kept(m, "astro-ph/listings/0803#0803.2235").source, Source::Listing);

    // A pastweek entry: title and authors over two lines.
    let w = kept(m, "astro-ph/listings/pastweek#2303.01495");
    assert_eq!(w.authors, ["Kianusch Mehrgan", "Jens Thomas", "Roberto Saglia", "Taniya Parikh", "Ralf Bender"]);
    assert!(w.title.ends_with("early-type galaxies from non-parametric spectral models"));
}

#[test]
fn sniffers_agree_on_every_monthly_file() {
    for (name, bytes) in monthly_files() {
        let head = &bytes[..bytes.len().min(4096)];
        assert!(listing::looks_like(head), "{name}");
        assert!(!abs::looks_like(head), "{name}");
    }
}
