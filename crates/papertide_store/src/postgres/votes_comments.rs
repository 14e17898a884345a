//! Upvotes, comments and a user's activity on PostgreSQL: the `upvotes` and `comments`
//! tables, as SQLite's `votes`, `comments` and `activity` modules ([`crate::sqlite`]), in
//! Postgres SQL.
//!
//! One upvote per user and paper. Authors edit and soft-delete their own comments (the row
//! stays, flagged, body cleared); admins hide and show them. Writes run inside the caller's
//! serializable transaction ([`super::PgStore::write`]), and every change to the votes or to
//! what is visible recounts the paper's `paper_community` row there
//! ([`super::community::refresh`]).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use postgres::{GenericClient, Row};

use super::community;
use super::papers::{at, from_ts, read_row, COLUMNS};
use super::users::{read_user, USER_COLUMNS};
use crate::{StoreError, SubmittedPaper, UpvotedPaper, UserActivity};
use papertide_core::{Comment, CommentBody, CommentId, PaperId, UserId};

/// The columns [`read_comment`] expects (aliases `c` comments, `p` papers, `u` users).
const COMMENT_COLUMNS: &str = "c.pk, p.id, c.body, c.created_at, c.edited_at, c.hidden, c.deleted";

/// The `FROM` clause that goes with [`COMMENT_COLUMNS`] and the user columns after them.
const COMMENT_FROM: &str = "FROM comments c JOIN papers p ON p.pk = c.paper_pk JOIN users u ON u.pk = c.user_pk";

/// Adds a vote, inside the caller's transaction; false when it was there already.
pub fn upvote(
    tx: &mut impl GenericClient,
    user: UserId,
    paper: &PaperId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let paper_pk = community::paper_pk(tx, paper)?;
    community::require_user(tx, user)?;
    let added = tx.execute(
        "INSERT INTO upvotes (user_pk, paper_pk, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_pk, paper_pk) DO NOTHING",
        &[&user.0, &paper_pk, &now.timestamp()],
    )?;
    if added > 0 {
        community::refresh(tx, paper_pk)?;
    }
    Ok(added > 0)
}

/// Takes a vote back, inside the caller's transaction; false when there was none (or no such
/// paper).
pub fn remove_upvote(tx: &mut impl GenericClient, user: UserId, paper: &PaperId) -> Result<bool, StoreError> {
    let Some(row) = tx.query_opt("SELECT pk FROM papers WHERE id = $1", &[&paper.as_str()])? else {
        return Ok(false);
    };
    let paper_pk: i64 = row.try_get(0)?;
    let removed = tx.execute("DELETE FROM upvotes WHERE user_pk = $1 AND paper_pk = $2", &[&user.0, &paper_pk])?;
    if removed > 0 {
        community::refresh(tx, paper_pk)?;
    }
    Ok(removed > 0)
}

/// Which of `papers` the user has upvoted (one query for all of them).
pub fn has_upvoted(
    c: &mut impl GenericClient,
    user: UserId,
    papers: &[PaperId],
) -> Result<HashSet<PaperId>, StoreError> {
    if papers.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<&str> = papers.iter().map(PaperId::as_str).collect();
    let rows = c.query(
        "SELECT p.id FROM upvotes v JOIN papers p ON p.pk = v.paper_pk WHERE v.user_pk = $1 AND p.id = ANY($2)",
        &[&user.0, &ids],
    )?;
    let voted = rows.iter().map(|r| r.try_get::<_, String>(0)).collect::<Result<HashSet<_>, _>>()?;
    Ok(papers.iter().filter(|id| voted.contains(id.as_str())).cloned().collect())
}

/// Reads a row selected with `{COMMENT_COLUMNS}, {USER_COLUMNS}`.
fn read_comment(row: &Row) -> Result<Comment, StoreError> {
    let pk: i64 = row.try_get(0)?;
    let paper: String = row.try_get(1)?;
    let author = read_user(row, 7)?;
    Ok(Comment {
        id: CommentId(pk),
        paper: paper.parse().map_err(|e| StoreError::Corrupt { id: paper.clone(), reason: format!("bad id: {e}") })?,
        author_id: author.id,
        author: author.name,
        body_markdown: row.try_get(2)?,
        created_at: at(row.try_get(3)?),
        edited_at: from_ts(row.try_get(4)?),
        hidden: row.try_get(5)?,
        deleted: row.try_get(6)?,
    })
}

/// One comment by key.
pub fn comment(c: &mut impl GenericClient, id: CommentId) -> Result<Option<Comment>, StoreError> {
    c.query_opt(&format!("SELECT {COMMENT_COLUMNS}, {USER_COLUMNS} {COMMENT_FROM} WHERE c.pk = $1"), &[&id.0])?
        .map(|r| read_comment(&r))
        .transpose()
}

fn require(c: &mut impl GenericClient, id: CommentId) -> Result<Comment, StoreError> {
    comment(c, id)?.ok_or_else(|| StoreError::NotFound { what: format!("comment {id}") })
}

/// Adds a comment, inside the caller's transaction.
pub fn add_comment(
    tx: &mut impl GenericClient,
    user: UserId,
    paper: &PaperId,
    body: &CommentBody,
    now: DateTime<Utc>,
) -> Result<Comment, StoreError> {
    let paper_pk = community::paper_pk(tx, paper)?;
    community::require_user(tx, user)?;
    let row = tx.query_one(
        "INSERT INTO comments (paper_pk, user_pk, body, created_at) VALUES ($1, $2, $3, $4) RETURNING pk",
        &[&paper_pk, &user.0, &body.as_str(), &now.timestamp()],
    )?;
    let id = CommentId(row.try_get(0)?);
    community::refresh(tx, paper_pk)?;
    require(tx, id)
}

/// A comment its author `by` may change, or [`StoreError::NotFound`] / [`StoreError::Forbidden`].
fn authored(tx: &mut impl GenericClient, id: CommentId, by: UserId) -> Result<Comment, StoreError> {
    let comment = require(tx, id)?;
    if comment.author_id != by {
        return Err(StoreError::Forbidden { what: format!("comment {id} belongs to another user") });
    }
    Ok(comment)
}

/// Replaces a comment's body (its author only, not once deleted), inside the caller's
/// transaction.
pub fn edit_comment(
    tx: &mut impl GenericClient,
    id: CommentId,
    by: UserId,
    body: &CommentBody,
    now: DateTime<Utc>,
) -> Result<Comment, StoreError> {
    let comment = authored(tx, id, by)?;
    if comment.deleted {
        return Err(StoreError::Forbidden { what: format!("comment {id} is deleted") });
    }
    tx.execute(
        "UPDATE comments SET body = $2, edited_at = $3 WHERE pk = $1",
        &[&id.0, &body.as_str(), &now.timestamp()],
    )?;
    require(tx, id)
}

fn paper_pk_of(tx: &mut impl GenericClient, id: CommentId) -> Result<i64, StoreError> {
    Ok(tx.query_one("SELECT paper_pk FROM comments WHERE pk = $1", &[&id.0])?.try_get(0)?)
}

/// Soft-deletes a comment (its author only), inside the caller's transaction.
pub fn delete_comment(tx: &mut impl GenericClient, id: CommentId, by: UserId) -> Result<(), StoreError> {
    authored(tx, id, by)?;
    tx.execute("UPDATE comments SET deleted = TRUE, body = '' WHERE pk = $1", &[&id.0])?;
    let paper_pk = paper_pk_of(tx, id)?;
    community::refresh(tx, paper_pk)
}

/// Hides or shows a comment, inside the caller's transaction.
pub fn set_comment_hidden(tx: &mut impl GenericClient, id: CommentId, hidden: bool) -> Result<(), StoreError> {
    if tx.execute("UPDATE comments SET hidden = $2 WHERE pk = $1", &[&id.0, &hidden])? == 0 {
        return Err(StoreError::NotFound { what: format!("comment {id}") });
    }
    let paper_pk = paper_pk_of(tx, id)?;
    community::refresh(tx, paper_pk)
}

/// Every comment on a paper, oldest first.
pub fn comments(c: &mut impl GenericClient, paper: &PaperId) -> Result<Vec<Comment>, StoreError> {
    let rows = c.query(
        &format!("SELECT {COMMENT_COLUMNS}, {USER_COLUMNS} {COMMENT_FROM} WHERE p.id = $1 ORDER BY c.created_at, c.pk"),
        &[&paper.as_str()],
    )?;
    rows.iter().map(read_comment).collect()
}

/// At most `limit` of each kind of activity of `user` (submissions, upvotes and visible
/// comments), newest first.
pub fn user_activity(c: &mut impl GenericClient, user: UserId, limit: usize) -> Result<UserActivity, StoreError> {
    community::require_user(c, user)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut out = UserActivity::default();

    let rows = c.query(
        &format!(
            "SELECT {COLUMNS}, s.feed_date, s.submitted_at
             FROM submissions s JOIN papers p ON p.pk = s.paper_pk
             WHERE s.submitted_by = $1 AND s.removed_at IS NULL
             ORDER BY s.submitted_at DESC, s.pk DESC LIMIT $2"
        ),
        &[&user.0, &limit],
    )?;
    for r in &rows {
        let feed_date: String = r.try_get(18)?;
        out.submissions.push(SubmittedPaper {
            paper: read_row(r, 0)?,
            feed_date: chrono::NaiveDate::parse_from_str(&feed_date, "%Y-%m-%d").map_err(|e| {
                StoreError::CorruptRecord { what: format!("feed date {feed_date:?}"), reason: e.to_string() }
            })?,
            submitted_at: at(r.try_get(19)?),
        });
    }

    let rows = c.query(
        &format!(
            "SELECT {COLUMNS}, v.created_at
             FROM upvotes v JOIN papers p ON p.pk = v.paper_pk
             WHERE v.user_pk = $1
             ORDER BY v.created_at DESC, v.paper_pk DESC LIMIT $2"
        ),
        &[&user.0, &limit],
    )?;
    for r in &rows {
        out.upvoted.push(UpvotedPaper { paper: read_row(r, 0)?, upvoted_at: at(r.try_get(18)?) });
    }

    let rows = c.query(
        &format!(
            "SELECT {COMMENT_COLUMNS}, {USER_COLUMNS} {COMMENT_FROM}
             WHERE c.user_pk = $1 AND NOT c.hidden AND NOT c.deleted
             ORDER BY c.created_at DESC, c.pk DESC LIMIT $2"
        ),
        &[&user.0, &limit],
    )?;
    out.comments = rows.iter().map(read_comment).collect::<Result<_, _>>()?;
    Ok(out)
}
