//! The daily feed on PostgreSQL: submissions (`submissions` table) and feed pages, as
//! SQLite's `feed` module ([`crate::sqlite`]), in Postgres SQL.
//!
//! A page is built in two steps. SQL selects the live submissions of the window that pass
//! the filters, with each paper's counters from `paper_community` (a window is at most a
//! month of submissions: hundreds to a few thousand rows). Rust then keeps each paper's
//! earliest submission in the window, orders the papers by [`FeedCursor::cmp_position`]
//! (sort key, then paper id), skips up to the query's cursor and loads the papers of the
//! page. Because the order is total and the cursor is a position in it, walking pages never
//! repeats or skips an item whose sort key did not change meanwhile.
//!
//! Writes run inside the caller's serializable transaction ([`super::PgStore::write`]) and
//! recount the paper's `paper_community` row there ([`super::community::refresh`]).

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use postgres::GenericClient;

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

/// Puts a paper on a date's feed, inside the caller's transaction.
pub fn submit(
    tx: &mut impl GenericClient,
    paper: &PaperId,
    date: NaiveDate,
    by: Option<UserId>,
    featured: bool,
    now: DateTime<Utc>,
) -> Result<SubmitOutcome, StoreError> {
    let paper_pk = community::paper_pk(tx, paper)?;
    if let Some(user) = by {
        community::require_user(tx, user)?;
    }
    let existing = tx.query_opt(
        "SELECT s.pk, s.removed_at, u.name FROM submissions s LEFT JOIN users u ON u.pk = s.submitted_by
         WHERE s.paper_pk = $1 AND s.feed_date = $2",
        &[&paper_pk, &day(date)],
    )?;
    let existing: Option<(i64, Option<i64>, Option<String>)> =
        existing.map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).transpose()?;
    let by_pk = by.map(|u| u.0);
    match existing {
        Some((_, None, name)) => return Ok(SubmitOutcome::AlreadyOnFeed { by: parse_name(name)? }),
        Some((pk, Some(_), _)) => {
            tx.execute(
                "UPDATE submissions SET submitted_by = $2, featured = $3, submitted_at = $4, removed_at = NULL
                 WHERE pk = $1",
                &[&pk, &by_pk, &featured, &now.timestamp()],
            )?;
        }
        None => {
            tx.execute(
                "INSERT INTO submissions (paper_pk, feed_date, submitted_by, featured, submitted_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&paper_pk, &day(date), &by_pk, &featured, &now.timestamp()],
            )?;
        }
    }
    community::refresh(tx, paper_pk)?;
    Ok(SubmitOutcome::Submitted)
}

/// Marks a submission removed, inside the caller's transaction; false when there was no
/// live one.
pub fn remove(
    tx: &mut impl GenericClient,
    paper: &PaperId,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "UPDATE submissions SET removed_at = $3
         WHERE paper_pk = (SELECT pk FROM papers WHERE id = $1) AND feed_date = $2 AND removed_at IS NULL",
        &[&paper.as_str(), &day(date), &now.timestamp()],
    )?;
    if changed > 0 {
        let paper_pk = community::paper_pk(tx, paper)?;
        community::refresh(tx, paper_pk)?;
    }
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
pub fn page(c: &mut impl GenericClient, q: &FeedQuery, now: DateTime<Utc>) -> Result<FeedPage, StoreError> {
    let cursor = q.effective_cursor();
    let reference = match cursor {
        Some(FeedCursor::Trending { at, .. }) => *at,
        _ => now.timestamp(),
    };
    let rows = c.query(
        "SELECT s.paper_pk, p.id, s.feed_date, s.submitted_at, s.featured, u.name,
                coalesce(c.upvotes, 0), coalesce(c.comment_count, 0)
         FROM submissions s
         JOIN papers p ON p.pk = s.paper_pk
         LEFT JOIN users u ON u.pk = s.submitted_by
         LEFT JOIN paper_community c ON c.paper_pk = s.paper_pk
         WHERE s.removed_at IS NULL AND s.feed_date >= $1 AND s.feed_date < $2
           AND ($3::text IS NULL
                OR strpos(' ' || lower(p.categories) || ' ', ' ' || $3 || ' ') > 0
                OR strpos(' ' || lower(p.categories), ' ' || $3 || '.') > 0)
           AND ($4::text IS NULL OR u.name_lower = $4)
         ORDER BY s.paper_pk, s.submitted_at, s.feed_date",
        &[
            &day(q.window.first_day()),
            &day(q.window.end_day()),
            &q.category_filter(),
            &q.submitter.as_ref().map(UserName::key),
        ],
    )?;
    let mut candidates: Vec<Candidate> = Vec::new();
    for r in &rows {
        let pk: i64 = r.try_get(0)?;
        if let Some(last) = candidates.last_mut().filter(|c| c.pk == pk) {
            // A later submission of the same paper in the window: only its flag counts.
            last.featured |= r.try_get::<_, bool>(4)?;
            continue;
        }
        let id: String = r.try_get(1)?;
        let paper: PaperId =
            id.parse().map_err(|e| StoreError::Corrupt { id: id.clone(), reason: format!("bad id: {e}") })?;
        let submitted_at: i64 = r.try_get(3)?;
        let upvotes: i64 = r.try_get(6)?;
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
            feed_date: r.try_get(2)?,
            submitted_at,
            submitted_by: r.try_get(5)?,
            featured: r.try_get(4)?,
            upvotes,
            comment_count: r.try_get(7)?,
        });
    }
    if let Some(after) = cursor {
        candidates.retain(|c| c.position.cmp_position(after) == Ordering::Greater);
    }
    candidates.sort_by(|a, b| a.position.cmp_position(&b.position));
    let limit = q.effective_limit();
    let more = candidates.len() > limit;
    candidates.truncate(limit);
    // One query for the page's papers, returned in the order asked.
    let keys: Vec<u64> = candidates.iter().map(|c| c.pk as u64).collect();
    let mut loaded = papers::by_keys(c, &keys)?.into_iter();
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
pub fn dates_around(
    c: &mut impl GenericClient,
    date: NaiveDate,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
    let d = day(date);
    let prev: Option<String> = c
        .query_one("SELECT max(feed_date) FROM submissions WHERE removed_at IS NULL AND feed_date < $1", &[&d])?
        .try_get(0)?;
    let next: Option<String> = c
        .query_one("SELECT min(feed_date) FROM submissions WHERE removed_at IS NULL AND feed_date > $1", &[&d])?
        .try_get(0)?;
    Ok((prev.as_deref().map(parse_day).transpose()?, next.as_deref().map(parse_day).transpose()?))
}
