//! [`FeedWindow`]: the day, ISO week or month a feed page covers, written `YYYY-MM-DD`,
//! `YYYY-Www` or `YYYY-MM`, with its bounds as UTC instants and its neighbours.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::FeedParseError;

/// Earliest year a window may be in (windows are written with four-digit years).
pub const MIN_YEAR: i32 = 1000;
/// Latest year a window may be in.
pub const MAX_YEAR: i32 = 9999;

/// The stretch of feed dates a feed page covers. Every bound is a UTC calendar date: a
/// paper is in the window when its feed date is.
///
/// Build one by parsing (`2024-03-05`, `2024-W10`, `2024-03`) or with [`FeedWindow::week`]
/// and [`FeedWindow::month`], which validate. A hand-built variant out of range (week 60,
/// month 13, year 20000) is clamped into range by every method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedWindow {
    /// One day.
    Day(NaiveDate),
    /// An ISO 8601 week (Monday to Sunday): ISO week-year and week number (1 to 52 or 53).
    Week(i32, u32),
    /// A calendar month: year and month (1 to 12).
    Month(i32, u32),
}

fn weeks_in(year: i32) -> u32 {
    if NaiveDate::from_isoywd_opt(year, 53, Weekday::Mon).is_some() {
        53
    } else {
        52
    }
}

fn clamp_year(year: i32) -> i32 {
    year.clamp(MIN_YEAR, MAX_YEAR)
}

/// A date in range: the 1st of January of `MIN_YEAR`, which always exists.
fn fallback() -> NaiveDate {
    NaiveDate::from_yo_opt(MIN_YEAR, 1).unwrap_or(NaiveDate::MIN)
}

impl FeedWindow {
    /// The ISO week `week` of ISO year `year`, if it exists.
    pub fn week(year: i32, week: u32) -> Option<FeedWindow> {
        ((MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=weeks_in(year)).contains(&week))
            .then_some(FeedWindow::Week(year, week))
    }

    /// The month `month` of `year`, if it exists.
    pub fn month(year: i32, month: u32) -> Option<FeedWindow> {
        ((MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=12).contains(&month)).then_some(FeedWindow::Month(year, month))
    }

    /// The ISO week holding `date`.
    pub fn week_of(date: NaiveDate) -> FeedWindow {
        let w = date.iso_week();
        FeedWindow::Week(w.year(), w.week())
    }

    /// The month holding `date`.
    pub fn month_of(date: NaiveDate) -> FeedWindow {
        FeedWindow::Month(date.year(), date.month())
    }

    /// The first day in the window.
    pub fn first_day(&self) -> NaiveDate {
        match *self {
            FeedWindow::Day(d) => d,
            FeedWindow::Week(y, w) => {
                let y = clamp_year(y);
                NaiveDate::from_isoywd_opt(y, w.clamp(1, weeks_in(y)), Weekday::Mon).unwrap_or_else(fallback)
            }
            FeedWindow::Month(y, m) => {
                NaiveDate::from_ymd_opt(clamp_year(y), m.clamp(1, 12), 1).unwrap_or_else(fallback)
            }
        }
    }

    /// The first day after the window (exclusive bound).
    pub fn end_day(&self) -> NaiveDate {
        let first = self.first_day();
        let next = match *self {
            FeedWindow::Day(_) => first.checked_add_days(Days::new(1)),
            FeedWindow::Week(..) => first.checked_add_days(Days::new(7)),
            FeedWindow::Month(..) => first.checked_add_months(chrono::Months::new(1)),
        };
        next.unwrap_or(first)
    }

    /// True when `date` is in the window.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first_day() <= date && date < self.end_day()
    }

    /// The window's first instant: midnight UTC of [`FeedWindow::first_day`].
    pub fn start(&self) -> DateTime<Utc> {
        self.first_day().and_time(NaiveTime::MIN).and_utc()
    }

    /// The instant after the window (exclusive): midnight UTC of [`FeedWindow::end_day`].
    pub fn end(&self) -> DateTime<Utc> {
        self.end_day().and_time(NaiveTime::MIN).and_utc()
    }

    /// The window of the same kind just before this one (`None` before year 1000).
    pub fn prev(&self) -> Option<FeedWindow> {
        let day_before = self.first_day().pred_opt()?;
        self.same_kind_holding(day_before)
    }

    /// The window of the same kind just after this one (`None` after year 9999).
    pub fn next(&self) -> Option<FeedWindow> {
        self.same_kind_holding(self.end_day())
    }

    fn same_kind_holding(&self, date: NaiveDate) -> Option<FeedWindow> {
        let w = match self {
            FeedWindow::Day(_) => FeedWindow::Day(date),
            FeedWindow::Week(..) => FeedWindow::week_of(date),
            FeedWindow::Month(..) => FeedWindow::month_of(date),
        };
        let year = match w {
            FeedWindow::Day(d) => d.year(),
            FeedWindow::Week(y, _) | FeedWindow::Month(y, _) => y,
        };
        (MIN_YEAR..=MAX_YEAR).contains(&year).then_some(w)
    }
}

/// Parses a run of exactly `n` ASCII digits.
fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

fn parse_window(s: &str) -> Option<FeedWindow> {
    let year = i32::try_from(digits(s.get(..4)?, 4)?).ok()?;
    if year < MIN_YEAR || s.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    let rest = s.get(5..)?;
    if let Some(week) = rest.strip_prefix('W') {
        return FeedWindow::week(year, digits(week, 2)?);
    }
    match rest.len() {
        2 => FeedWindow::month(year, digits(rest, 2)?),
        5 if rest.as_bytes()[2] == b'-' => {
            let month = digits(rest.get(..2)?, 2)?;
            let day = digits(rest.get(3..)?, 2)?;
            NaiveDate::from_ymd_opt(year, month, day).map(FeedWindow::Day)
        }
        _ => None,
    }
}

impl FromStr for FeedWindow {
    type Err = FeedParseError;

    /// Parses `YYYY-MM-DD` (a day), `YYYY-Www` (an ISO week) or `YYYY-MM` (a month), strictly:
    /// two-digit fields, years 1000 to 9999, dates that exist.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_window(s).ok_or_else(|| FeedParseError::BadWindow(s.chars().take(40).collect()))
    }
}

impl fmt::Display for FeedWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FeedWindow::Day(d) => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            FeedWindow::Week(y, w) => write!(f, "{:04}-W{:02}", y, w),
            FeedWindow::Month(y, m) => write!(f, "{:04}-{:02}", y, m),
        }
    }
}

impl Serialize for FeedWindow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FeedWindow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn parses_the_three_forms_strictly() {
        assert_eq!("2024-03-05".parse::<FeedWindow>(), Ok(FeedWindow::Day(d("2024-03-05"))));
        assert_eq!("2024-W10".parse::<FeedWindow>(), Ok(FeedWindow::Week(2024, 10)));
        assert_eq!("2024-03".parse::<FeedWindow>(), Ok(FeedWindow::Month(2024, 3)));
        for bad in [
            "",
            "2024",
            "2024-3",
            "2024-3-5",
            "2024-02-30",
            "2024-13",
            "2024-00",
            "2024-W00",
            "2024-W53",
            "2024-w10",
            "2024-W1",
            "0999-01",
            "+2024-01",
            "２０２４-01",
            " 2024-01",
            "2024-01-05x",
            "2024/01/05",
        ] {
            assert!(bad.parse::<FeedWindow>().is_err(), "{bad:?}");
        }
        assert!("2020-W53".parse::<FeedWindow>().is_ok(), "2020 has 53 ISO weeks");
        let err = "nope".parse::<FeedWindow>().unwrap_err().to_string();
        assert!(err.contains("YYYY-MM-DD") && err.contains("nope"), "{err}");
    }

    #[test]
    fn bounds_are_utc_midnights_with_exclusive_ends() {
        let day: FeedWindow = "2024-02-29".parse().unwrap();
        assert_eq!(day.start().to_rfc3339(), "2024-02-29T00:00:00+00:00");
        assert_eq!(day.end().to_rfc3339(), "2024-03-01T00:00:00+00:00");
        // ISO week 1 of 2025 starts on Monday 2024-12-30.
        let week: FeedWindow = "2025-W01".parse().unwrap();
        assert_eq!((week.first_day(), week.end_day()), (d("2024-12-30"), d("2025-01-06")));
        assert!(week.contains(d("2025-01-05")) && !week.contains(d("2025-01-06")) && !week.contains(d("2024-12-29")));
        let month: FeedWindow = "2024-12".parse().unwrap();
        assert_eq!((month.first_day(), month.end_day()), (d("2024-12-01"), d("2025-01-01")));
        assert_eq!(FeedWindow::week_of(d("2021-01-03")), FeedWindow::Week(2020, 53));
        assert_eq!(FeedWindow::month_of(d("2021-01-03")), FeedWindow::Month(2021, 1));
    }

    #[test]
    fn neighbours_cross_years() {
        let w = |s: &str| s.parse::<FeedWindow>().unwrap();
        assert_eq!(w("2024-01-01").prev(), Some(w("2023-12-31")));
        assert_eq!(w("2020-W53").next(), Some(w("2021-W01")));
        assert_eq!(w("2021-W01").prev(), Some(w("2020-W53")));
        assert_eq!(w("2024-12").next(), Some(w("2025-01")));
        assert_eq!(w("2024-01").prev(), Some(w("2023-12")));
        assert_eq!(w("1000-01").prev(), None);
        assert_eq!(w("9999-12-31").next(), None);
    }

    #[test]
    fn out_of_range_variants_are_clamped() {
        assert_eq!(FeedWindow::Month(2024, 13).first_day(), d("2024-12-01"));
        assert_eq!(FeedWindow::Week(2024, 60).first_day(), FeedWindow::Week(2024, 52).first_day());
        assert_eq!(FeedWindow::Week(2024, 0).first_day(), d("2024-01-01"));
        assert_eq!(FeedWindow::week(2024, 53), None);
        assert_eq!(FeedWindow::month(2024, 0), None);
    }

    fn arb_window() -> impl Strategy<Value = FeedWindow> {
        prop_oneof![
            (MIN_YEAR..=MAX_YEAR, 1u32..=366).prop_map(|(y, o)| {
                FeedWindow::Day(NaiveDate::from_yo_opt(y, o).or_else(|| NaiveDate::from_yo_opt(y, 365)).unwrap())
            }),
            (MIN_YEAR..=MAX_YEAR, 1u32..=53).prop_map(|(y, w)| FeedWindow::Week(y, w.min(weeks_in(y)))),
            (MIN_YEAR..=MAX_YEAR, 1u32..=12).prop_map(|(y, m)| FeedWindow::Month(y, m)),
        ]
    }

    proptest! {
        #[test]
        fn windows_round_trip(w in arb_window()) {
            let text = w.to_string();
            prop_assert_eq!(text.parse::<FeedWindow>(), Ok(w));
            prop_assert!(w.start() < w.end());
            prop_assert!(w.contains(w.first_day()));
            prop_assert!(!w.contains(w.end_day()));
            if let Some(n) = w.next() {
                prop_assert_eq!(n.first_day(), w.end_day());
                prop_assert_eq!(n.prev(), Some(w));
            }
        }

        #[test]
        fn parsing_is_canonical_and_never_panics(s in "[0-9W-]{0,12}|\\PC{0,12}") {
            if let Ok(w) = s.parse::<FeedWindow>() {
                prop_assert_eq!(w.to_string(), s);
            }
        }
    }
}
