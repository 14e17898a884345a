//! The daily feed of submitted papers: how it is asked for ([`FeedQuery`]: a [`FeedSort`],
//! a [`FeedWindow`], filters and a [`FeedCursor`]), what comes back ([`FeedPage`] of
//! [`FeedItem`]s), and the [`trending_score`].
//!
//! - [`window`]: day / ISO week / month windows and their text forms.
//! - [`cursor`]: positions in a sorted feed and their opaque text form.
//!
//! Running a query is the store's job (`Store::feed` in `papertide_store`); votes and
//! comment counts come from [`crate::Community`].

pub mod cursor;
pub mod window;

pub use cursor::FeedCursor;
pub use window::FeedWindow;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::paper::Paper;
use crate::user::UserName;

/// Items per page when the caller does not say.
pub const DEFAULT_FEED_LIMIT: usize = 30;
/// Most items per page.
pub const MAX_FEED_LIMIT: usize = 100;

/// Why a sort, window or cursor given as text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedParseError {
    /// Not one of `upvotes`, `trending`, `newest`.
    #[error("unknown sort `{0}` (expected upvotes, trending or newest)")]
    BadSort(String),
    /// Not of the form `YYYY-MM-DD`, `YYYY-Www` or `YYYY-MM`, or not a real date.
    #[error("`{0}` is not a feed window (expected YYYY-MM-DD, YYYY-Www or YYYY-MM)")]
    BadWindow(String),
    /// Not a cursor this papertide wrote; the reason says what is wrong.
    #[error("invalid feed cursor: {0}")]
    BadCursor(&'static str),
}

/// The order of a feed. Every order breaks ties by paper id, so pages are stable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedSort {
    /// Most upvotes first.
    #[default]
    Upvotes,
    /// Highest [`trending_score`] first.
    Trending,
    /// Latest submission first.
    Newest,
}

impl FeedSort {
    /// Every sort, in a stable order.
    pub const ALL: [FeedSort; 3] = [FeedSort::Upvotes, FeedSort::Trending, FeedSort::Newest];

    /// The name used in URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedSort::Upvotes => "upvotes",
            FeedSort::Trending => "trending",
            FeedSort::Newest => "newest",
        }
    }
}

impl FromStr for FeedSort {
    type Err = FeedParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FeedSort::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| FeedParseError::BadSort(s.to_string()))
    }
}

impl fmt::Display for FeedSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The trending score of a paper with `upvotes` votes submitted `age_hours` ago:
///
/// ```text
/// score = (upvotes + 1) / (age_hours + 2) ^ 1.5
/// ```
///
/// Hacker News-like gravity: votes raise a paper, age pulls it down, and the exponent above 1
/// makes a fresh paper with a few votes overtake an old one with many. The `+ 1` lets
/// papers without votes be ordered by age; the `+ 2` keeps brand-new papers from dividing by
/// nearly zero. Negative inputs count as zero, so the score is always finite and positive.
/// It grows with `upvotes` and shrinks with `age_hours`.
pub fn trending_score(upvotes: i64, age_hours: f64) -> f64 {
    let votes = upvotes.max(0) as f64;
    let age = if age_hours.is_finite() {
        age_hours.max(0.0)
    } else if age_hours > 0.0 {
        f64::MAX
    } else {
        0.0
    };
    (votes + 1.0) / (age + 2.0).powf(1.5)
}

/// A request for one page of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedQuery {
    /// The order.
    pub sort: FeedSort,
    /// Which feed dates.
    pub window: FeedWindow,
    /// Only papers in this category (`cs.LG`), or in any category of this archive (`cs`,
    /// `cs.*`); case-insensitive, over all of a paper's categories.
    pub category: Option<String>,
    /// Only papers submitted by this user.
    pub submitter: Option<UserName>,
    /// Start after this position (from the previous page's [`FeedPage::next_cursor`]).
    /// A cursor of another sort is ignored: the first page is returned.
    pub cursor: Option<FeedCursor>,
    /// Items per page (clamped to 1..=[`MAX_FEED_LIMIT`]).
    pub limit: usize,
}

impl FeedQuery {
    /// The first page of `window`, sorted by upvotes, unfiltered, [`DEFAULT_FEED_LIMIT`] items.
    pub fn new(window: FeedWindow) -> FeedQuery {
        FeedQuery {
            sort: FeedSort::default(),
            window,
            category: None,
            submitter: None,
            cursor: None,
            limit: DEFAULT_FEED_LIMIT,
        }
    }

    /// The page size actually used.
    pub fn effective_limit(&self) -> usize {
        self.limit.clamp(1, MAX_FEED_LIMIT)
    }

    /// The cursor, when it belongs to this query's sort.
    pub fn effective_cursor(&self) -> Option<&FeedCursor> {
        self.cursor.as_ref().filter(|c| c.sort() == self.sort)
    }

    /// The category filter in lookup form: trimmed, lowercased, a trailing `.*` or `.`
    /// dropped (so `cs.*` and `cs` both mean the archive). `None` when there is none.
    pub fn category_filter(&self) -> Option<String> {
        let c = self.category.as_deref()?.trim().trim_end_matches(".*").trim_end_matches('.').to_lowercase();
        (!c.is_empty()).then_some(c)
    }
}

/// One paper on the feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedItem {
    /// The paper.
    pub paper: Paper,
    /// Who submitted it (`None`: featured by an admin, or the account is gone).
    pub submitted_by: Option<UserName>,
    /// When it was submitted. A paper on several dates of the window shows its earliest
    /// submission there, once.
    pub submitted_at: DateTime<Utc>,
    /// The feed date it is listed under.
    pub feed_date: NaiveDate,
    /// Featured by an admin.
    pub featured: bool,
    /// Number of upvotes.
    pub upvotes: i64,
    /// Number of visible comments.
    pub comment_count: i64,
    /// The [`trending_score`], when the feed is sorted by it.
    pub trending: Option<f64>,
}

/// One page of the feed.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FeedPage {
    /// The items, in feed order.
    pub items: Vec<FeedItem>,
    /// Where the next page starts; `None` on the last page.
    #[serde(serialize_with = "ser_cursor")]
    pub next_cursor: Option<FeedCursor>,
}

fn ser_cursor<S: serde::Serializer>(c: &Option<FeedCursor>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.collect_str(c),
        None => s.serialize_none(),
    }
}

/// What submitting a paper to a feed date did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SubmitOutcome {
    /// The paper is now on the feed of that date.
    Submitted,
    /// It already was; `by` is who put it there (`None`: an admin featured it).
    AlreadyOnFeed {
        /// The earlier submitter.
        by: Option<UserName>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sorts_parse_and_print() {
        for s in FeedSort::ALL {
            assert_eq!(s.as_str().parse::<FeedSort>(), Ok(s));
        }
        assert_eq!(FeedSort::default(), FeedSort::Upvotes);
        assert!(matches!("Hot".parse::<FeedSort>(), Err(FeedParseError::BadSort(_))));
    }

    #[test]
    fn trending_formula_and_edges() {
        assert!((trending_score(0, 0.0) - 1.0 / 2f64.powf(1.5)).abs() < 1e-12);
        assert!((trending_score(7, 2.0) - 1.0).abs() < 1e-12, "(7+1)/(2+2)^1.5 = 8/8");
        assert_eq!(trending_score(-3, -5.0), trending_score(0, 0.0));
        assert!(trending_score(1, f64::NAN).is_finite());
        assert!(trending_score(1, f64::INFINITY) >= 0.0);
        // A fresh paper with a few votes overtakes a day-old one with many.
        assert!(trending_score(5, 1.0) > trending_score(20, 24.0));
    }

    #[test]
    fn queries_normalize_filters_and_limits() {
        let mut q = FeedQuery::new(FeedWindow::Month(2024, 1));
        assert_eq!((q.sort, q.effective_limit()), (FeedSort::Upvotes, DEFAULT_FEED_LIMIT));
        q.limit = 0;
        assert_eq!(q.effective_limit(), 1);
        q.limit = 10_000;
        assert_eq!(q.effective_limit(), MAX_FEED_LIMIT);
        for (given, want) in [(" CS.* ", Some("cs")), ("cs.LG", Some("cs.lg")), ("cs.", Some("cs")), ("  ", None)] {
            q.category = Some(given.into());
            assert_eq!(q.category_filter().as_deref(), want, "{given:?}");
        }
        q.cursor = Some(FeedCursor::Newest { submitted_at: 1, paper: "2401.00001".parse().unwrap() });
        assert!(q.effective_cursor().is_none(), "a cursor of another sort is ignored");
        q.sort = FeedSort::Newest;
        assert!(q.effective_cursor().is_some());
    }

    proptest! {
        #[test]
        fn more_upvotes_rank_higher(votes in 0i64..1_000_000, extra in 1i64..1000, age in 0.0f64..100_000.0) {
            prop_assert!(trending_score(votes + extra, age) > trending_score(votes, age));
        }

        #[test]
        fn older_ranks_lower(votes in 0i64..1_000_000, age in 0.0f64..100_000.0, older in 0.5f64..100_000.0) {
            prop_assert!(trending_score(votes, age + older) < trending_score(votes, age));
            prop_assert!(trending_score(votes, age) > 0.0);
        }
    }
}
