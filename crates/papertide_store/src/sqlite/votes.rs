//! Upvotes: the `upvotes` table, one row per user and paper. Every change recounts the
//! paper's `paper_community.upvotes` in the same transaction ([`super::community`]).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::community;
use crate::StoreError;
use papertide_core::{PaperId, UserId};

/// Adds a vote, in one transaction; false when it was there already.
pub fn upvote(conn: &mut Connection, user: UserId, paper: &PaperId, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let paper_pk = community::paper_pk(&tx, paper)?;
    community::require_user(&tx, user)?;
    let added = tx
        .prepare_cached(
            "INSERT INTO upvotes (user_pk, paper_pk, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_pk, paper_pk) DO NOTHING",
        )?
        .execute(params![user.0, paper_pk, now.timestamp()])?;
    if added > 0 {
        community::refresh(&tx, paper_pk)?;
    }
    tx.commit()?;
    Ok(added > 0)
}

/// Takes a vote back, in one transaction; false when there was none.
pub fn remove(conn: &mut Connection, user: UserId, paper: &PaperId) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let Some(paper_pk) = tx
        .prepare_cached("SELECT pk FROM papers WHERE id = ?1")?
        .query_row([paper.as_str()], |r| r.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(false);
    };
    let removed = tx
        .prepare_cached("DELETE FROM upvotes WHERE user_pk = ?1 AND paper_pk = ?2")?
        .execute(params![user.0, paper_pk])?;
    if removed > 0 {
        community::refresh(&tx, paper_pk)?;
    }
    tx.commit()?;
    Ok(removed > 0)
}

/// Which of `papers` the user has upvoted.
pub fn has_upvoted(conn: &Connection, user: UserId, papers: &[PaperId]) -> Result<HashSet<PaperId>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT 1 FROM upvotes v JOIN papers p ON p.pk = v.paper_pk WHERE v.user_pk = ?1 AND p.id = ?2",
    )?;
    let mut out = HashSet::new();
    for id in papers {
        if stmt.query_row(params![user.0, id.as_str()], |_| Ok(())).optional()?.is_some() {
            out.insert(id.clone());
        }
    }
    Ok(out)
}
