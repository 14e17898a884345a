//! The daily feed: submissions (`submissions` table) and feed pages.
//!
//! A page is built in two steps. SQL selects the live submissions of the window that pass
//! the filters, with each paper's counters from `paper_community` (a window is at most a
//! month of submissions: hundreds to a few thousand rows). Rust then keeps each paper's
//! earliest submission in the window, orders the papers by [`FeedCursor::cmp_position`]
//! (sort key, then paper id), skips up to the query's cursor and loads the papers of the
//! page. Because the order is total and the cursor is a position in it, walking pages never
//! repeats or skips an item whose sort key did not change meanwhile.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::community;
use super::papers::{self, at};
use crate::StoreError;
use papertide_core::{
    trending_score, FeedCursor, FeedItem, FeedPage, FeedQuery, FeedSort, PaperId, SubmitOutcome, UserId, UserName,
};

/// The text form of a feed date in the database.
fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::CorruptRecord { what: format!("feed date {s:?}"), reason: e.to_string() })
}

fn parse_name(s: Option<String>) -> Result<Option<UserName>, StoreError> {
    s.map(|n| {
        n.parse().map_err(|e| StoreError::CorruptRecord { what: format!("user name {n:?}"), reason: format!("{e}") })
    })
    .transpose()
}

/// Puts a paper on a date's feed, in one transaction.
pub fn submit(
    conn: &mut Connection,
    paper: &PaperId,
    date: NaiveDate,
    by: Option<UserId>,
    featured: bool,
    now: DateTime<Utc>,
) -> Result<SubmitOutcome, StoreError> {
    let tx = conn.transaction()?;
    let paper_pk = community::paper_pk(&tx, paper)?;
    if let Some(user) = by {
        community::require_user(&tx, user)?;
    }
    let existing: Option<(i64, Option<i64>, Option<String>)> = tx
        .prepare_cached(
            "SELECT s.pk, s.removed_at, u.name FROM submissions s LEFT JOIN users u ON u.pk = s.submitted_by
             WHERE s.paper_pk = ?1 AND s.feed_date = ?2",
        )?
        .query_row(params![paper_pk, day(date)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match existing {
        Some((_, None, name)) => return Ok(SubmitOutcome::AlreadyOnFeed { by: parse_name(name)? }),
        Some((pk, Some(_), _)) => {
            tx.prepare_cached(
                "UPDATE submissions SET submitted_by = ?2, featured = ?3, submitted_at = ?4, removed_at = NULL
                 WHERE pk = ?1",
            )?
            .execute(params![pk, by.map(|u| u.0), featured, now.timestamp()])?;
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO submissions (paper_pk, feed_date, submitted_by, featured, submitted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![paper_pk, day(date), by.map(|u| u.0), featured, now.timestamp()])?;
        }
    }
    community::refresh(&tx, paper_pk)?;
    tx.commit()?;
    Ok(SubmitOutcome::Submitted)
}

/// Marks a submission removed, in one transaction.
pub fn remove(conn: &mut Connection, paper: &PaperId, date: NaiveDate, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let changed = tx
        .prepare_cached(
            "UPDATE submissions SET removed_at = ?3
             WHERE paper_pk = (SELECT pk FROM papers WHERE id = ?1) AND feed_date = ?2 AND removed_at IS NULL",
        )?
        .execute(params![paper.as_str(), day(date), now.timestamp()])?;
    if changed > 0 {
        let paper_pk = community::paper_pk(&tx, paper)?;
        community::refresh(&tx, paper_pk)?;
    }
    tx.commit()?;
    Ok(changed > 0)
}

/// A paper on the feed before paging: its earliest submission in the window.
struct Candidate {
    pk: i64,
    position: FeedCursor,
    feed_date: String,
    submitted_at: i64,
    submitted_by: Option<String>,
    featured: bool,
    upvotes: i64,
    comment_count: i64,
}

/// One page of the feed.
pub fn page(conn: &Connection, q: &FeedQuery, now: DateTime<Utc>) -> Result<FeedPage, StoreError> {
    let cursor = q.effective_cursor();
    let reference = match cursor {
        Some(FeedCursor::Trending { at, .. }) => *at,
        _ => now.timestamp(),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT s.paper_pk, p.id, s.feed_date, s.submitted_at, s.featured, u.name,
                coalesce(c.upvotes, 0), coalesce(c.comment_count, 0)
         FROM submissions s
         JOIN papers p ON p.pk = s.paper_pk
         LEFT JOIN users u ON u.pk = s.submitted_by
         LEFT JOIN paper_community c ON c.paper_pk = s.paper_pk
         WHERE s.removed_at IS NULL AND s.feed_date >= ?1 AND s.feed_date < ?2
           AND (?3 IS NULL
                OR instr(' ' || lower(p.categories) || ' ', ' ' || ?3 || ' ') > 0
                OR instr(' ' || lower(p.categories), ' ' || ?3 || '.') > 0)
           AND (?4 IS NULL OR u.name_lower = ?4)
         ORDER BY s.paper_pk, s.submitted_at, s.feed_date",
    )?;
    let mut rows = stmt.query(params![
        day(q.window.first_day()),
        day(q.window.end_day()),
        q.category_filter(),
        q.submitter.as_ref().map(UserName::key),
    ])?;
    let mut candidates: Vec<Candidate> = Vec::new();
    while let Some(r) = rows.next()? {
        let pk: i64 = r.get(0)?;
        if let Some(last) = candidates.last_mut().filter(|c| c.pk == pk) {
            // A later submission of the same paper in the window: only its flag counts.
            last.featured |= r.get::<_, bool>(4)?;
            continue;
        }
        let id: String = r.get(1)?;
        let paper: PaperId =
            id.parse().map_err(|e| StoreError::Corrupt { id: id.clone(), reason: format!("bad id: {e}") })?;
        let submitted_at: i64 = r.get(3)?;
        let upvotes: i64 = r.get(6)?;
        let position = match q.sort {
            FeedSort::Upvotes => FeedCursor::Upvotes { upvotes, paper },
            FeedSort::Newest => FeedCursor::Newest { submitted_at, paper },
            FeedSort::Trending => FeedCursor::Trending {
                at: reference,
                score: trending_score(upvotes, (reference - submitted_at) as f64 / 3600.0),
                paper,
            },
        };
        candidates.push(Candidate {
            pk,
            position,
            feed_date: r.get(2)?,
            submitted_at,
            submitted_by: r.get(5)?,
            featured: r.get(4)?,
            upvotes,
            comment_count: r.get(7)?,
        });
    }
    if let Some(after) = cursor {
        candidates.retain(|c| c.position.cmp_position(after) == Ordering::Greater);
    }
    candidates.sort_by(|a, b| a.position.cmp_position(&b.position));
    let limit = q.effective_limit();
    let more = candidates.len() > limit;
    candidates.truncate(limit);
    let keys: Vec<u64> = candidates.iter().map(|c| c.pk as u64).collect();
    let mut loaded = papers::by_keys(conn, &keys)?.into_iter();
    let mut items = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let Some((_, paper)) = loaded.find(|(k, _)| *k == c.pk as u64) else { continue };
        items.push(FeedItem {
            paper,
            submitted_by: parse_name(c.submitted_by.clone())?,
            submitted_at: at(c.submitted_at),
            feed_date: parse_day(&c.feed_date)?,
            featured: c.featured,
            upvotes: c.upvotes,
            comment_count: c.comment_count,
            trending: match &c.position {
                FeedCursor::Trending { score, .. } => Some(*score),
                _ => None,
            },
        });
    }
    let next_cursor = if more { candidates.last().map(|c| c.position.clone()) } else { None };
    Ok(FeedPage { items, next_cursor })
}

/// The nearest dates with live submissions before and after `date`.
pub fn dates_around(conn: &Connection, date: NaiveDate) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
    let d = day(date);
    let prev: Option<String> = conn
        .prepare_cached("SELECT max(feed_date) FROM submissions WHERE removed_at IS NULL AND feed_date < ?1")?
        .query_row([&d], |r| r.get(0))?;
    let next: Option<String> = conn
        .prepare_cached("SELECT min(feed_date) FROM submissions WHERE removed_at IS NULL AND feed_date > ?1")?
        .query_row([&d], |r| r.get(0))?;
    Ok((prev.as_deref().map(parse_day).transpose()?, next.as_deref().map(parse_day).transpose()?))
}
