//! The `paper_community` counters and the lookups every community write starts with.
//!
//! `paper_community` holds, per paper, the earliest live submission (when, by whom; one by a
//! person is preferred over an admin's or the harvester's featuring, which has no submitter), the
//! number of upvotes and the number of visible comments. It is a cache of the `submissions`,
//! `upvotes` and `comments` tables: every write to those calls [`refresh`] for the paper in
//! the same transaction, which recounts from the tables, so the counters cannot drift.
//! Reads ([`crate::Store::community`], the feed) use the cache. Writers: [`super::feed`],
//! [`super::votes`], [`super::comments`].

use rusqlite::{params, Connection, OptionalExtension};

use crate::StoreError;
use papertide_core::{PaperId, User, UserId};

/// Recomputes a paper's `paper_community` row from the source tables.
pub fn refresh(conn: &Connection, paper_pk: i64) -> Result<(), StoreError> {
    let first: Option<(i64, Option<String>)> = conn
        .prepare_cached(
            "SELECT s.submitted_at, u.name FROM submissions s LEFT JOIN users u ON u.pk = s.submitted_by
             WHERE s.paper_pk = ?1 AND s.removed_at IS NULL
             ORDER BY s.submitted_by IS NULL, s.submitted_at, s.pk LIMIT 1",
        )?
        .query_row([paper_pk], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let upvotes: i64 =
        conn.prepare_cached("SELECT count(*) FROM upvotes WHERE paper_pk = ?1")?.query_row([paper_pk], |r| r.get(0))?;
    let comments: i64 = conn
        .prepare_cached("SELECT count(*) FROM comments WHERE paper_pk = ?1 AND hidden = 0 AND deleted = 0")?
        .query_row([paper_pk], |r| r.get(0))?;
    let (submitted_at, submitted_by) = match first {
        Some((at, by)) => (Some(at), by),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO paper_community (paper_pk, submitted_at, submitted_by, upvotes, comment_count)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (paper_pk) DO UPDATE SET submitted_at = excluded.submitted_at,
             submitted_by = excluded.submitted_by, upvotes = excluded.upvotes,
             comment_count = excluded.comment_count",
    )?
    .execute(params![paper_pk, submitted_at, submitted_by, upvotes, comments])?;
    Ok(())
}

/// The key of a paper, or [`StoreError::NotFound`].
pub fn paper_pk(conn: &Connection, id: &PaperId) -> Result<i64, StoreError> {
    conn.prepare_cached("SELECT pk FROM papers WHERE id = ?1")?
        .query_row([id.as_str()], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound { what: format!("paper {id}") })
}

/// A user, or [`StoreError::NotFound`].
pub fn require_user(conn: &Connection, id: UserId) -> Result<User, StoreError> {
    super::users::by_id(conn, id)?.ok_or_else(|| StoreError::NotFound { what: format!("user {id}") })
}

/// Reports papers whose counters disagree with the tables they cache.
pub fn check(conn: &Connection, report: &mut crate::CheckReport) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(
        "SELECT p.id FROM paper_community c JOIN papers p ON p.pk = c.paper_pk
         WHERE c.upvotes != (SELECT count(*) FROM upvotes v WHERE v.paper_pk = c.paper_pk)
            OR c.comment_count != (SELECT count(*) FROM comments m
                                   WHERE m.paper_pk = c.paper_pk AND m.hidden = 0 AND m.deleted = 0)",
    )?;
    for id in stmt.query_map([], |r| r.get::<_, String>(0))? {
        report.problems.push(format!("paper {}: community counters out of step", id?));
    }
    Ok(())
}
