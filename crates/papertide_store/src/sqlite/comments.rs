//! Comments: the `comments` table. Authors edit and soft-delete their own comments (the
//! row stays, flagged, body cleared); admins hide and show them. Every change to what is
//! visible recounts the paper's `paper_community.comment_count` in the same transaction
//! ([`super::community`]).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::community;
use super::papers::{at, from_ts};
use super::users::USER_COLUMNS;
use crate::StoreError;
use papertide_core::{Comment, CommentBody, CommentId, PaperId, UserId};

/// The columns [`read_comment`] expects (aliases `c` comments, `p` papers, `u` users).
pub(super) const COMMENT_COLUMNS: &str = "c.pk, p.id, c.body, c.created_at, c.edited_at, c.hidden, c.deleted";

/// The `FROM` clause that goes with [`COMMENT_COLUMNS`] and the user columns after them.
pub(super) const COMMENT_FROM: &str =
    "FROM comments c JOIN papers p ON p.pk = c.paper_pk JOIN users u ON u.pk = c.user_pk";

/// Reads a row selected with `{COMMENT_COLUMNS}, {USER_COLUMNS}`.
pub(super) fn read_comment(row: &Row<'_>) -> Result<Comment, StoreError> {
    let pk: i64 = row.get(0)?;
    let paper: String = row.get(1)?;
    let author = super::users::read_user(row, 7)?;
    Ok(Comment {
        id: CommentId(pk),
        paper: paper.parse().map_err(|e| StoreError::Corrupt { id: paper.clone(), reason: format!("bad id: {e}") })?,
        author_id: author.id,
        author: author.name,
        body_markdown: row.get(2)?,
        created_at: at(row.get(3)?),
        edited_at: from_ts(row.get(4)?),
        hidden: row.get(5)?,
        deleted: row.get(6)?,
    })
}

/// One comment by key.
pub fn get(conn: &Connection, id: CommentId) -> Result<Option<Comment>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COMMENT_COLUMNS}, {USER_COLUMNS} {COMMENT_FROM} WHERE c.pk = ?1"))?;
    stmt.query_row([id.0], |r| Ok(read_comment(r))).optional()?.transpose()
}

fn require(conn: &Connection, id: CommentId) -> Result<Comment, StoreError> {
    get(conn, id)?.ok_or_else(|| StoreError::NotFound { what: format!("comment {id}") })
}

/// Adds a comment, in one transaction.
pub fn add(
    conn: &mut Connection,
    user: UserId,
    paper: &PaperId,
    body: &CommentBody,
    now: DateTime<Utc>,
) -> Result<Comment, StoreError> {
    let tx = conn.transaction()?;
    let paper_pk = community::paper_pk(&tx, paper)?;
    community::require_user(&tx, user)?;
    tx.prepare_cached("INSERT INTO comments (paper_pk, user_pk, body, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![paper_pk, user.0, body.as_str(), now.timestamp()])?;
    let id = CommentId(tx.last_insert_rowid());
    community::refresh(&tx, paper_pk)?;
    let comment = require(&tx, id)?;
    tx.commit()?;
    Ok(comment)
}

/// Opens a transaction on a comment its author `by` may change.
fn authored<'c>(conn: &'c mut Connection, id: CommentId, by: UserId) -> Result<(Transaction<'c>, Comment), StoreError> {
    let tx = conn.transaction()?;
    let comment = require(&tx, id)?;
    if comment.author_id != by {
        return Err(StoreError::Forbidden { what: format!("comment {id} belongs to another user") });
    }
    Ok((tx, comment))
}

/// Replaces a comment's body (its author only, not once deleted), in one transaction.
pub fn edit(
    conn: &mut Connection,
    id: CommentId,
    by: UserId,
    body: &CommentBody,
    now: DateTime<Utc>,
) -> Result<Comment, StoreError> {
    let (tx, comment) = authored(conn, id, by)?;
    if comment.deleted {
        return Err(StoreError::Forbidden { what: format!("comment {id} is deleted") });
    }
    tx.prepare_cached("UPDATE comments SET body = ?2, edited_at = ?3 WHERE pk = ?1")?.execute(params![
        id.0,
        body.as_str(),
        now.timestamp()
    ])?;
    let comment = require(&tx, id)?;
    tx.commit()?;
    Ok(comment)
}

fn paper_pk_of(tx: &Transaction<'_>, id: CommentId) -> Result<i64, StoreError> {
    Ok(tx.prepare_cached("SELECT paper_pk FROM comments WHERE pk = ?1")?.query_row([id.0], |r| r.get(0))?)
}

/// Soft-deletes a comment (its author only), in one transaction.
pub fn delete(conn: &mut Connection, id: CommentId, by: UserId) -> Result<(), StoreError> {
    let (tx, _) = authored(conn, id, by)?;
    tx.prepare_cached("UPDATE comments SET deleted = 1, body = '' WHERE pk = ?1")?.execute([id.0])?;
    let paper_pk = paper_pk_of(&tx, id)?;
    community::refresh(&tx, paper_pk)?;
    tx.commit()?;
    Ok(())
}

/// Hides or shows a comment, in one transaction.
pub fn set_hidden(conn: &mut Connection, id: CommentId, hidden: bool) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    if tx.prepare_cached("UPDATE comments SET hidden = ?2 WHERE pk = ?1")?.execute(params![id.0, hidden])? == 0 {
        return Err(StoreError::NotFound { what: format!("comment {id}") });
    }
    let paper_pk = paper_pk_of(&tx, id)?;
    community::refresh(&tx, paper_pk)?;
    tx.commit()?;
    Ok(())
}

/// Every comment on a paper, oldest first.
pub fn list(conn: &Connection, paper: &PaperId) -> Result<Vec<Comment>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COMMENT_COLUMNS}, {USER_COLUMNS} {COMMENT_FROM} WHERE p.id = ?1 ORDER BY c.created_at, c.pk"
    ))?;
    let mut rows = stmt.query([paper.as_str()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(read_comment(r)?);
    }
    Ok(out)
}
