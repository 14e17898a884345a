//! The `paper_community` counters on PostgreSQL (see SQLite's `community` module for what
//! they cache): [`refresh`] recounts one paper's row from `submissions`, `upvotes` and
//! `comments` inside the writer's transaction, [`check`] reports drift, and [`require_user`]
//! is the lookup most community writes start with.

use postgres::GenericClient;

use crate::StoreError;
use papertide_core::{User, UserId};

pub use super::papers::paper_pk;

/// Recomputes a paper's `paper_community` row from the source tables.
pub fn refresh(tx: &mut impl GenericClient, paper_pk: i64) -> Result<(), StoreError> {
    let first = tx.query_opt(
        "SELECT s.submitted_at, u.name FROM submissions s LEFT JOIN users u ON u.pk = s.submitted_by
         WHERE s.paper_pk = $1 AND s.removed_at IS NULL
         ORDER BY s.submitted_by IS NULL, s.submitted_at, s.pk LIMIT 1",
        &[&paper_pk],
    )?;
    let (submitted_at, submitted_by): (Option<i64>, Option<String>) = match first {
        Some(r) => (Some(r.try_get(0)?), r.try_get(1)?),
        None => (None, None),
    };
    tx.execute(
        "INSERT INTO paper_community (paper_pk, submitted_at, submitted_by, upvotes, comment_count)
         VALUES ($1, $2, $3,
                 (SELECT count(*) FROM upvotes WHERE paper_pk = $1),
                 (SELECT count(*) FROM comments WHERE paper_pk = $1 AND NOT hidden AND NOT deleted))
         ON CONFLICT (paper_pk) DO UPDATE SET submitted_at = excluded.submitted_at,
             submitted_by = excluded.submitted_by, upvotes = excluded.upvotes,
             comment_count = excluded.comment_count",
        &[&paper_pk, &submitted_at, &submitted_by],
    )?;
    Ok(())
}

/// A user, or [`StoreError::NotFound`].
pub fn require_user(c: &mut impl GenericClient, id: UserId) -> Result<User, StoreError> {
    super::users::by_id(c, id)?.ok_or_else(|| StoreError::NotFound { what: format!("user {id}") })
}

/// Reports papers whose counters disagree with the tables they cache.
pub fn check(c: &mut impl GenericClient, report: &mut crate::CheckReport) -> Result<(), StoreError> {
    let rows = c.query(
        "SELECT p.id FROM paper_community c JOIN papers p ON p.pk = c.paper_pk
         WHERE c.upvotes != (SELECT count(*) FROM upvotes v WHERE v.paper_pk = c.paper_pk)
            OR c.comment_count != (SELECT count(*) FROM comments m
                                   WHERE m.paper_pk = c.paper_pk AND NOT m.hidden AND NOT m.deleted)",
        &[],
    )?;
    for row in rows {
        report.problems.push(format!("paper {}: community counters out of step", row.try_get::<_, String>(0)?));
    }
    Ok(())
}
