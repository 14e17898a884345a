//! The daily feed on PostgreSQL: submissions (`submissions` table) and feed pages, as
//! SQLite's `feed` module ([`crate::sqlite`]), in Postgres SQL.
//!
//! A page is built in two steps: the query selects the window's live submissions with their
//! counters; [`crate::feed_page`] orders them and cuts the page (shared with SQLite).
//!
//! Writes run inside the caller's serializable transaction ([`super::PgStore::write`]) and
//! recount the paper's `paper_community` row there ([`super::community::refresh`]).

use chrono::{DateTime, NaiveDate, Utc};
use postgres::GenericClient;

use super::community;
use super::papers;
use crate::codec::{day, parse_day, parse_name};
use crate::feed_page::{self, SubmissionRow};
use crate::StoreError;
use papertide_core::{FeedPage, FeedQuery, PaperId, SubmitOutcome, UserId, UserName};

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

/// One page of the feed (the query here, the ordering in [`crate::feed_page`]).
pub fn page(c: &mut impl GenericClient, q: &FeedQuery, now: DateTime<Utc>) -> Result<FeedPage, StoreError> {
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
    let plan = feed_page::plan(
        q,
        now,
        rows.iter().map(|r| {
            Ok(SubmissionRow {
                pk: r.try_get(0)?,
                id: r.try_get(1)?,
                feed_date: r.try_get(2)?,
                submitted_at: r.try_get(3)?,
                featured: r.try_get(4)?,
                submitted_by: r.try_get(5)?,
                upvotes: r.try_get(6)?,
                comment_count: r.try_get(7)?,
            })
        }),
    )?;
    let papers = papers::by_keys(c, &plan.keys())?;
    feed_page::assemble(plan, papers)
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
