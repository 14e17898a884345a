//! The backend-neutral half of a feed page ([`crate::Store::feed`]). Each backend selects the
//! live submissions of the window that pass the filters, ordered by paper key, submission
//! time and date, as [`SubmissionRow`]s; [`plan`] keeps each paper's earliest submission in
//! the window, orders the papers by [`FeedCursor::cmp_position`] (sort key, then paper id),
//! skips up to the query's cursor and cuts the page; the backend loads the page's papers by
//! key and [`assemble`] builds the page. Because the order is total and the cursor is a
//! position in it, walking pages never repeats or skips an item whose sort key did not change
//! meanwhile.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use papertide_core::{trending_score, FeedCursor, FeedItem, FeedPage, FeedQuery, FeedSort, Paper, PaperId};

use crate::codec::{at, parse_day, parse_name};
use crate::StoreError;

/// One live submission as the page query selects it.
pub struct SubmissionRow {
    /// The paper's key.
    pub pk: i64,
    /// The paper's id.
    pub id: String,
    /// The feed date, `YYYY-MM-DD`.
    pub feed_date: String,
    /// Unix seconds.
    pub submitted_at: i64,
    /// Featured by an admin.
    pub featured: bool,
    /// The submitter's name (none: featured, or the account is gone).
    pub submitted_by: Option<String>,
    /// The paper's upvotes.
    pub upvotes: i64,
    /// The paper's visible comments.
    pub comment_count: i64,
}

/// A paper on the feed before paging: its earliest submission in the window.
pub struct Candidate {
    row: SubmissionRow,
    position: FeedCursor,
}

/// The page cut from the window: its candidates in order, and whether more follow.
pub struct Plan {
    candidates: Vec<Candidate>,
    more: bool,
}

impl Plan {
    /// The keys of the page's papers, in page order (load them with `papers_by_keys`).
    pub fn keys(&self) -> Vec<u64> {
        self.candidates.iter().map(|c| c.row.pk as u64).collect()
    }
}

/// Orders the window's submissions and cuts the page of `q` (see the module doc). `now` is the
/// reference time of trending scores on a first page; later pages use their cursor's.
pub fn plan(
    q: &FeedQuery,
    now: DateTime<Utc>,
    rows: impl IntoIterator<Item = Result<SubmissionRow, StoreError>>,
) -> Result<Plan, StoreError> {
    let cursor = q.effective_cursor();
    let reference = match cursor {
        Some(FeedCursor::Trending { at, .. }) => *at,
        _ => now.timestamp(),
    };
    let mut candidates: Vec<Candidate> = Vec::new();
    for row in rows {
        let row = row?;
        if let Some(last) = candidates.last_mut().filter(|c| c.row.pk == row.pk) {
            // A later submission of the same paper in the window: only its flag counts.
            last.row.featured |= row.featured;
            continue;
        }
        let paper: PaperId =
            row.id.parse().map_err(|e| StoreError::Corrupt { id: row.id.clone(), reason: format!("bad id: {e}") })?;
        let position = match q.sort {
            FeedSort::Upvotes => FeedCursor::Upvotes { upvotes: row.upvotes, paper },
            FeedSort::Newest => FeedCursor::Newest { submitted_at: row.submitted_at, paper },
            FeedSort::Trending => FeedCursor::Trending {
                at: reference,
                score: trending_score(row.upvotes, (reference - row.submitted_at) as f64 / 3600.0),
                paper,
            },
        };
        candidates.push(Candidate { row, position });
    }
    if let Some(after) = cursor {
        candidates.retain(|c| c.position.cmp_position(after) == Ordering::Greater);
    }
    candidates.sort_by(|a, b| a.position.cmp_position(&b.position));
    let limit = q.effective_limit();
    let more = candidates.len() > limit;
    candidates.truncate(limit);
    Ok(Plan { candidates, more })
}

/// The page of `plan` with its papers (as `papers_by_keys` returns them for [`Plan::keys`];
/// a paper that is gone is left out).
pub fn assemble(plan: Plan, papers: Vec<(u64, Paper)>) -> Result<FeedPage, StoreError> {
    let mut loaded = papers.into_iter();
    let mut items = Vec::with_capacity(plan.candidates.len());
    for c in &plan.candidates {
        let Some((_, paper)) = loaded.find(|(k, _)| *k == c.row.pk as u64) else { continue };
        items.push(FeedItem {
            paper,
            submitted_by: parse_name(c.row.submitted_by.clone())?,
            submitted_at: at(c.row.submitted_at),
            feed_date: parse_day(&c.row.feed_date)?,
            featured: c.row.featured,
            upvotes: c.row.upvotes,
            comment_count: c.row.comment_count,
            trending: match &c.position {
                FeedCursor::Trending { score, .. } => Some(*score),
                _ => None,
            },
        });
    }
    let next_cursor = if plan.more { plan.candidates.last().map(|c| c.position.clone()) } else { None };
    Ok(FeedPage { items, next_cursor })
}
