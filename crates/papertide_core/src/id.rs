//! Paper identifiers: [`ArxivId`] (validated arXiv identifiers, version kept apart) and
//! [`PaperId`] (the store's primary key: a bare arXiv id, or a namespaced id for papers
//! from other sources such as `doi:10.1145/359340.359342` or `cacm:1234`).
//!
//! Both parse with `FromStr` and print with `Display`; `parse(display(x)) == x`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The input was empty (or only whitespace).
    #[error("the id is empty")]
    Empty,
    /// The input is longer than any real identifier.
    #[error("the id is too long ({0} bytes, at most 256)")]
    TooLong(usize),
    /// The input looks like no known arXiv id form.
    #[error("`{0}` is not an arXiv id (expected e.g. 2401.01234, 2401.01234v2 or hep-th/9901001)")]
    NotArxiv(String),
    /// A namespaced id whose namespace is not allowed, or whose local part is empty or holds spaces.
    #[error("`{0}` is not a valid paper id (expected an arXiv id or namespace:value, e.g. doi:10.1145/123)")]
    BadNamespaced(String),
}

/// A validated arXiv identifier, with its version (if any) kept apart.
///
/// Accepts new-style ids (`0704.0001`, `2401.01234`, `2401.01234v3`), old-style ids
/// (`hep-th/9901001`, `math.GT/0309136`) and the usual decorations around them:
/// `arXiv:` prefixes, `oai:arXiv.org:` prefixes, abs/pdf/html URLs, `.pdf` suffixes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArxivId {
    base: String,
    version: Option<u32>,
}

impl ArxivId {
    /// The id without version, e.g. `2401.01234` or `hep-th/9901001`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The version number, if the id named one (`v3` gives 3).
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// The same id without its version.
    pub fn without_version(&self) -> ArxivId {
        ArxivId { base: self.base.clone(), version: None }
    }

    /// The same id with the given version.
    pub fn with_version(&self, version: u32) -> ArxivId {
        ArxivId { base: self.base.clone(), version: Some(version) }
    }

    /// True for old-style ids such as `hep-th/9901001`.
    pub fn is_old_style(&self) -> bool {
        self.base.contains('/')
    }

    /// The abstract page on arxiv.org (versioned if the id is).
    pub fn abs_url(&self) -> String {
        format!("https://arxiv.org/abs/{self}")
    }

    /// The PDF on arxiv.org (versioned if the id is).
    pub fn pdf_url(&self) -> String {
        format!("https://arxiv.org/pdf/{self}")
    }
}

/// Removes the decorations people paste around arXiv ids.
fn strip_decorations(s: &str) -> &str {
    let mut s = s.trim();
    for prefix in [
        "https://",
        "http://",
        "www.",
        "export.",
        "arxiv.org/abs/",
        "arxiv.org/pdf/",
        "arxiv.org/html/",
        "arxiv.org/api/",
        "oai:arxiv.org:",
        "arxiv:",
    ] {
        // `www.` and `export.` only as part of the host name: `www.ab/9901001` is an
        // old-style id (archive `www`, class `ab`), and stripping them there would make
        // `www.www.ab/9901001` parse to an id whose string parses to another id.
        let host = matches!(prefix, "www." | "export.");
        if starts_with_ignore_case(s, prefix) && (!host || starts_with_ignore_case(&s[prefix.len()..], "arxiv.org/")) {
            s = &s[prefix.len()..];
        }
    }
    s = s.trim_end_matches('/');
    let cut = s.len().saturating_sub(4);
    if cut > 0 && s.get(cut..).is_some_and(|tail| tail.eq_ignore_ascii_case(".pdf")) {
        s = &s[..cut];
    }
    s
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Splits a trailing `vN` off an id; `None` when there is a `v` not followed by a valid number.
fn split_version(s: &str) -> Option<(&str, Option<u32>)> {
    match s.rfind('v') {
        Some(pos) if pos > 0 && s[..pos].ends_with(|c: char| c.is_ascii_digit()) => {
            let digits = &s[pos + 1..];
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let v: u32 = digits.parse().ok()?;
            (v >= 1).then_some((&s[..pos], Some(v)))
        }
        _ => Some((s, None)),
    }
}

fn valid_month(mm: &str) -> bool {
    matches!(mm.parse::<u32>(), Ok(1..=12))
}

fn valid_new_style(s: &str) -> bool {
    let Some((yymm, number)) = s.split_once('.') else {
        return false;
    };
    if yymm.len() != 4 || !yymm.bytes().all(|b| b.is_ascii_digit()) || !valid_month(&yymm[2..]) {
        return false;
    }
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let ym: u32 = yymm.parse().unwrap_or(0);
    match number.len() {
        // April 2007 to December 2014 used four digits, from January 2015 five.
        4 => (704..=1412).contains(&ym),
        5 => ym >= 1501,
        _ => false,
    }
}

fn valid_old_style(s: &str) -> bool {
    let Some((archive, number)) = s.split_once('/') else {
        return false;
    };
    let (name, class) = match archive.split_once('.') {
        Some((n, c)) => (n, Some(c)),
        None => (archive, None),
    };
    let name_ok = (2..=16).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    let class_ok =
        class.is_none_or(|c| (1..=16).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-'));
    name_ok && class_ok && number.len() == 7 && number.bytes().all(|b| b.is_ascii_digit()) && valid_month(&number[2..4])
}

impl FromStr for ArxivId {
    type Err = IdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.trim().is_empty() {
            return Err(IdError::Empty);
        }
        if input.len() > 256 {
            return Err(IdError::TooLong(input.len()));
        }
        let s = strip_decorations(input);
        let not_arxiv = || IdError::NotArxiv(input.trim().to_string());
        let (base, version) = split_version(s).ok_or_else(not_arxiv)?;
        if valid_new_style(base) || valid_old_style(base) {
            Ok(ArxivId { base: base.to_string(), version })
        } else {
            Err(not_arxiv())
        }
    }
}

impl fmt::Display for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}v{}", self.base, v),
            None => f.write_str(&self.base),
        }
    }
}

/// The primary key of a paper in the store.
///
/// For arXiv papers it is the bare, unversioned arXiv id (`2401.01234`, `hep-th/9901001`):
/// every version of a paper shares one `PaperId`. Papers from elsewhere carry a namespaced
/// id, `namespace:value`, with a lowercase namespace such as `doi`, `s2`, `cacm` or `local`
/// (`doi.org` URLs become `doi:` ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaperId(String);

/// Namespaces that would be confused with URLs or arXiv itself.
const RESERVED_NAMESPACES: &[&str] = &["http", "https", "arxiv", "oai", "file", "ftp"];

impl PaperId {
    /// The id of an arXiv paper (its version is dropped).
    pub fn arxiv(id: &ArxivId) -> PaperId {
        PaperId(id.base().to_string())
    }

    /// The id as a string, e.g. `2401.01234` or `doi:10.1145/123`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `arxiv` for arXiv papers, otherwise the namespace before the colon.
    pub fn namespace(&self) -> &str {
        match self.0.split_once(':') {
            Some((ns, _)) => ns,
            None => "arxiv",
        }
    }

    /// The arXiv id when this is an arXiv paper.
    pub fn as_arxiv(&self) -> Option<ArxivId> {
        if self.0.contains(':') {
            None
        } else {
            self.0.parse().ok()
        }
    }

    fn parse_namespaced(input: &str) -> Result<PaperId, IdError> {
        let bad = || IdError::BadNamespaced(input.to_string());
        let s = input.trim();
        for prefix in ["https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                return Self::parse_namespaced(&format!("doi:{rest}"));
            }
        }
        let (ns, value) = s.split_once(':').ok_or_else(bad)?;
        let ns = ns.to_ascii_lowercase();
        let ns_ok = (1..=16).contains(&ns.len())
            && ns.starts_with(|c: char| c.is_ascii_lowercase())
            && ns.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            && !RESERVED_NAMESPACES.contains(&ns.as_str());
        let value_ok = !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if ns_ok && value_ok {
            Ok(PaperId(format!("{ns}:{value}")))
        } else {
            Err(bad())
        }
    }
}

impl FromStr for PaperId {
    type Err = IdError;

    /// Parses an arXiv id in any of the forms [`ArxivId`] accepts (the version is dropped),
    /// or a namespaced id.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input.parse::<ArxivId>() {
            Ok(id) => Ok(PaperId::arxiv(&id)),
            Err(IdError::NotArxiv(_)) if input.contains(':') && !looks_like_arxiv(input) => {
                Self::parse_namespaced(input)
            }
            Err(e) => Err(e),
        }
    }
}

/// True when the input names arXiv (so a failed parse is reported as a bad arXiv id).
fn looks_like_arxiv(input: &str) -> bool {
    let lower = input.trim().to_ascii_lowercase();
    lower.starts_with("arxiv:") || lower.contains("arxiv.org/")
}

impl fmt::Display for PaperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for PaperId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PaperId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for ArxivId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ArxivId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(s: &str) -> ArxivId {
        s.parse().unwrap()
    }

    #[test]
    fn new_style_ids() {
        assert_eq!(a("2401.01234").to_string(), "2401.01234");
        assert_eq!(a("2401.01234v3").version(), Some(3));
        assert_eq!(a("2401.01234v3").base(), "2401.01234");
        assert_eq!(a("0704.0001").base(), "0704.0001");
        assert!("0704.00001".parse::<ArxivId>().is_err(), "5 digits before 2015");
        assert!("2401.0123".parse::<ArxivId>().is_err(), "4 digits after 2014");
        assert!("2413.01234".parse::<ArxivId>().is_err(), "month 13");
        assert!("0000.0000".parse::<ArxivId>().is_err());
        assert!("2401.01234v0".parse::<ArxivId>().is_err());
        assert!("2401.01234v".parse::<ArxivId>().is_err());
    }

    #[test]
    fn old_style_ids() {
        assert_eq!(a("hep-th/9901001").base(), "hep-th/9901001");
        assert_eq!(a("math.GT/0309136v2").to_string(), "math.GT/0309136v2");
        assert!(a("math.GT/0309136").is_old_style());
        assert!("hep-th/990100".parse::<ArxivId>().is_err());
        assert!("HEP-TH/9901001".parse::<ArxivId>().is_err());
        assert!("hep-th/9913001".parse::<ArxivId>().is_err());
    }

    #[test]
    fn decorations_are_removed() {
        for s in [
            "arXiv:2401.01234v2",
            "ARXIV:2401.01234v2",
            "https://arxiv.org/abs/2401.01234v2",
            "http://arxiv.org/abs/2401.01234v2",
            "https://arxiv.org/pdf/2401.01234v2.pdf",
            "https://export.arxiv.org/abs/2401.01234v2",
            "https://www.arxiv.org/pdf/2401.01234v2",
            "http://arxiv.org/api/2401.01234v2",
            "oai:arXiv.org:2401.01234v2",
            "  2401.01234v2 ",
        ] {
            assert_eq!(a(s), a("2401.01234v2"), "{s}");
        }
        assert_eq!(a("https://arxiv.org/abs/hep-th/9901001").base(), "hep-th/9901001");
    }

    #[test]
    fn www_and_export_are_stripped_only_before_arxiv_org() {
        // Found by the ids_and_dates fuzz target: `www.www.a/9901001` parsed to
        // `www.a/9901001`, whose string parsed to `a/9901001`.
        assert_eq!(a("www.ab/9901001").base(), "www.ab/9901001");
        assert_eq!(a("export.ab/9901001v2").to_string(), "export.ab/9901001v2");
        for s in ["www.www.a/9901001", "export.export.ab/9901001v2"] {
            if let Ok(id) = s.parse::<ArxivId>() {
                assert_eq!(id.to_string().parse::<ArxivId>().ok(), Some(id), "{s}");
            }
        }
        assert_eq!(a("www.arxiv.org/abs/2401.01234"), a("2401.01234"));
        assert_eq!(a("EXPORT.arXiv.org/abs/2401.01234"), a("2401.01234"));
    }

    #[test]
    fn paper_ids() {
        let p: PaperId = "arXiv:2401.01234v5".parse().unwrap();
        assert_eq!(p.as_str(), "2401.01234");
        assert_eq!(p.namespace(), "arxiv");
        assert_eq!(p.as_arxiv().unwrap().base(), "2401.01234");
        let d: PaperId = "doi:10.1145/359340.359342".parse().unwrap();
        assert_eq!(d.namespace(), "doi");
        assert!(d.as_arxiv().is_none());
        let u: PaperId = "https://doi.org/10.1145/359340.359342".parse().unwrap();
        assert_eq!(u, d);
        assert_eq!("S2:123456".parse::<PaperId>().unwrap().as_str(), "s2:123456");
        assert_eq!("cacm:1234".parse::<PaperId>().unwrap().namespace(), "cacm");
        assert_eq!("local:my-notes/1".parse::<PaperId>().unwrap().namespace(), "local");
        assert!("arXiv:1234".parse::<PaperId>().is_err());
        assert!("http://example.com/x".parse::<PaperId>().is_err());
        assert!("doi:".parse::<PaperId>().is_err());
        assert!("doi:a b".parse::<PaperId>().is_err());
        assert!("nonsense".parse::<PaperId>().is_err());
        assert!(matches!("".parse::<PaperId>(), Err(IdError::Empty)));
    }

    #[test]
    fn serde_validates() {
        let p: PaperId = serde_json::from_str("\"2401.01234\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"2401.01234\"");
        assert!(serde_json::from_str::<PaperId>("\"bogus\"").is_err());
    }

    fn arb_arxiv() -> impl Strategy<Value = String> {
        let new4 = (7u32..=14, 1u32..=12, 0u32..10000, proptest::option::of(1u32..100))
            .prop_filter("from 0704", |(y, m, _, _)| *y > 7 || *m >= 4)
            .prop_map(|(y, m, n, v)| format!("{y:02}{m:02}.{n:04}{}", v.map(|v| format!("v{v}")).unwrap_or_default()));
        let new5 = (15u32..=99, 1u32..=12, 0u32..100000, proptest::option::of(1u32..100))
            .prop_map(|(y, m, n, v)| format!("{y:02}{m:02}.{n:05}{}", v.map(|v| format!("v{v}")).unwrap_or_default()));
        let old = (
            prop::sample::select(vec!["hep-th", "math", "cond-mat", "astro-ph", "q-bio", "cs"]),
            proptest::option::of(prop::sample::select(vec!["GT", "AG", "AI", "stat-mech"])),
            0u32..100,
            1u32..=12,
            0u32..1000,
            proptest::option::of(1u32..20),
        )
            .prop_map(|(a, c, y, m, n, v)| {
                format!(
                    "{a}{}/{y:02}{m:02}{n:03}{}",
                    c.map(|c| format!(".{c}")).unwrap_or_default(),
                    v.map(|v| format!("v{v}")).unwrap_or_default()
                )
            });
        prop_oneof![new4, new5, old]
    }

    proptest! {
        #[test]
        fn arxiv_round_trips(s in arb_arxiv()) {
            let id: ArxivId = s.parse().unwrap();
            prop_assert_eq!(id.to_string(), s.clone());
            let again: ArxivId = id.to_string().parse().unwrap();
            prop_assert_eq!(&again, &id);
            let url: ArxivId = id.abs_url().parse().unwrap();
            prop_assert_eq!(&url, &id);
            let pid: PaperId = s.parse().unwrap();
            prop_assert_eq!(pid.to_string(), id.base());
        }

        #[test]
        fn any_string_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<ArxivId>();
            if let Ok(p) = s.parse::<PaperId>() {
                prop_assert_eq!(p.to_string().parse::<PaperId>().unwrap(), p);
            }
        }
    }
}
