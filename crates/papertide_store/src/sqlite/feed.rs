//! The daily feed: submissions (`submissions` table) and feed pages.
//!
//! A page is built in two steps: the query selects the window's live submissions with their
//! counters (a window is at most a month of submissions: hundreds to a few thousand rows);
//! [`crate::feed_page`] orders them and cuts the page (shared with PostgreSQL).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::community;
use super::papers;
use crate::codec::{day, parse_day, parse_name};
use crate::feed_page::{self, SubmissionRow};
use crate::StoreError;
use papertide_core::{FeedPage, FeedQuery, PaperId, SubmitOutcome, UserId, UserName};

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

/// One page of the feed (the query here, the ordering in [`crate::feed_page`]).
pub fn page(conn: &Connection, q: &FeedQuery, now: DateTime<Utc>) -> Result<FeedPage, StoreError> {
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
    let rows = stmt.query_map(
        params![
            day(q.window.first_day()),
            day(q.window.end_day()),
            q.category_filter(),
            q.submitter.as_ref().map(UserName::key),
        ],
        |r| {
            Ok(SubmissionRow {
                pk: r.get(0)?,
                id: r.get(1)?,
                feed_date: r.get(2)?,
                submitted_at: r.get(3)?,
                featured: r.get(4)?,
                submitted_by: r.get(5)?,
                upvotes: r.get(6)?,
                comment_count: r.get(7)?,
            })
        },
    )?;
    let plan = feed_page::plan(q, now, rows.map(|r| r.map_err(StoreError::from)))?;
    let papers = papers::by_keys(conn, &plan.keys())?;
    feed_page::assemble(plan, papers)
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
