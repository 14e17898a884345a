//! The `<version version="vN"><date>…</date></version>` list of `arXivRaw` records: v1's
//! date is when the paper was published, the newest version's date when it was updated,
//! and the newest version number is the paper's version.

use chrono::{DateTime, Utc};

use crate::dates::parse_date;

/// One `<version>` element as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RawVersion {
    /// The `version` attribute, e.g. `v2`.
    pub label: Option<String>,
    /// The `<date>` text, RFC 2822.
    pub date: Option<String>,
}

/// What the version list says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Versions {
    /// The date of v1 (of the oldest version listed, if v1 is missing).
    pub published: Option<DateTime<Utc>>,
    /// The date of the newest version.
    pub updated: Option<DateTime<Utc>>,
    /// The newest version number (1 when none is listed).
    pub version: u32,
}

/// Reads the version list; the error says which label or date is invalid.
pub(super) fn resolve(versions: &[RawVersion]) -> Result<Versions, String> {
    let mut parsed: Vec<(u32, Option<DateTime<Utc>>)> = Vec::with_capacity(versions.len());
    for (i, v) in versions.iter().enumerate() {
        let number = match v.label.as_deref() {
            Some(label) => parse_label(label).ok_or_else(|| format!("invalid version \"{label}\""))?,
            None => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        let date = match v.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(text) => {
                Some(parse_date(text).ok_or_else(|| format!("invalid date of version v{number}: \"{text}\""))?)
            }
            None => None,
        };
        parsed.push((number, date));
    }
    let first = parsed.iter().min_by_key(|(n, _)| *n);
    let last = parsed.iter().max_by_key(|(n, _)| *n);
    Ok(Versions {
        published: first.and_then(|(_, d)| *d),
        updated: last.and_then(|(_, d)| *d),
        version: last.map_or(1, |(n, _)| *n),
    })
}

/// `v3` (or `3`) gives 3; versions run from 1 to 9999.
fn parse_label(label: &str) -> Option<u32> {
    let digits = label.trim().trim_start_matches(['v', 'V']);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(label: &str, date: &str) -> RawVersion {
        RawVersion { label: Some(label.into()), date: Some(date.into()) }
    }

    #[test]
    fn first_and_last() {
        let got = resolve(&[
            v("v1", "Thu, 5 Apr 2007 12:45:03 GMT"),
            v("v3", "Fri, 29 Feb 2008 16:05:39 GMT"),
            v("v2", "Fri, 28 Sep 2007 15:13:43 GMT"),
        ])
        .unwrap();
        assert_eq!(got.version, 3);
        assert_eq!(got.published.unwrap().to_rfc3339(), "2007-04-05T12:45:03+00:00");
        assert_eq!(got.updated.unwrap().to_rfc3339(), "2008-02-29T16:05:39+00:00");
    }

    #[test]
    fn empty_and_bad() {
        assert_eq!(resolve(&[]).unwrap(), Versions { published: None, updated: None, version: 1 });
        assert!(resolve(&[v("v0", "Thu, 5 Apr 2007 12:45:03 GMT")]).unwrap_err().contains("v0"));
        assert!(resolve(&[v("vx", "Thu, 5 Apr 2007 12:45:03 GMT")]).is_err());
        assert!(resolve(&[v("v1", "someday")]).unwrap_err().contains("someday"));
        let unlabelled = RawVersion { label: None, date: None };
        assert_eq!(resolve(&[unlabelled.clone(), unlabelled]).unwrap().version, 2);
    }
}
