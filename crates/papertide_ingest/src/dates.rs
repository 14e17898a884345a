//! The date formats arXiv metadata uses, parsed leniently into UTC timestamps.
//!
//! - RFC 2822 as in `.abs` files and `arXivRaw` versions: `Fri, 1 Jan 1999 01:01:10 GMT`
//!   (with or without weekday, two- or four-digit year, trailing `(15kb)` size notes).
//! - RFC 3339 as in Atom feeds: `2007-04-02T19:18:42Z`.
//! - Plain dates as in OAI-PMH and Kaggle `update_date`: `2007-05-23` (midnight UTC).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Earliest date accepted (arXiv started in August 1991; CACM articles go back to 1958).
const MIN_YEAR: i32 = 1900;
/// Latest year accepted.
const MAX_YEAR: i32 = 2200;

fn in_range(d: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    (MIN_YEAR..=MAX_YEAR).contains(&d.year()).then_some(d)
}

/// Parses any of the supported forms; `None` when the text is not a plausible date.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let s = text.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    // Drop size notes such as "(15kb)" or "(8808kb,D)".
    let s = match s.find('(') {
        Some(i) => s[..i].trim(),
        None => s,
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return in_range(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return in_range(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return in_range(Utc.from_utc_datetime(&d));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return in_range(d.with_timezone(&Utc));
    }
    // Without weekday, or with a weekday but no comma ("Thu 8 Jun 23 18:00:00 GMT").
    let without_weekday = match s.split_once(' ') {
        Some((first, rest)) if first.trim_end_matches(',').chars().all(|c| c.is_ascii_alphabetic()) => rest.trim(),
        _ => s,
    };
    for fmt in ["%d %b %y %H:%M:%S GMT", "%d %b %Y %H:%M:%S GMT", "%d %b %Y %H:%M:%S UTC", "%d %b %Y %H:%M:%S"] {
        if let Some(d) =
            NaiveDateTime::parse_from_str(without_weekday, fmt).ok().and_then(|d| in_range(Utc.from_utc_datetime(&d)))
        {
            return Some(d);
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(without_weekday) {
        return in_range(d.with_timezone(&Utc));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(text: &str) -> String {
        parse_date(text).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
    }

    #[test]
    fn arxiv_forms() {
        assert_eq!(ymd("Fri, 1 Jan 1999 01:01:10 GMT   (15kb)"), "1999-01-01 01:01:10");
        assert_eq!(ymd("Tue, 18 Apr 2023 17:52:23 GMT   (8808kb,D)"), "2023-04-18 17:52:23");
        assert_eq!(ymd("Mon, 2 Apr 2007 19:18:42 GMT"), "2007-04-02 19:18:42");
        assert_eq!(ymd("Fri,  9 Jun 23 00:44:20 GMT"), "2023-06-09 00:44:20");
        assert_eq!(ymd("Thu  8 Jun 23 18:00:00 GMT"), "2023-06-08 18:00:00");
        assert_eq!(ymd("2007-04-02T19:18:42Z"), "2007-04-02 19:18:42");
        assert_eq!(ymd("2026-03-02"), "2026-03-02 00:00:00");
    }

    #[test]
    fn nonsense_is_none() {
        for s in ["", "yesterday", "2026-13-01", "32 Jan 2020 00:00:00 GMT", "0001-01-01", "9999-01-01"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }
}
