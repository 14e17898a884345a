//! A user's recent activity for the profile page: submissions, upvotes and visible comments,
//! newest first. Reads only; the writes are in [`super::feed`], [`super::votes`] and
//! [`super::comments`].

use rusqlite::{params, Connection};

use super::comments::{read_comment, COMMENT_COLUMNS, COMMENT_FROM};
use super::papers::{at, read_row, COLUMNS};
use super::users::USER_COLUMNS;
use crate::{StoreError, SubmittedPaper, UpvotedPaper, UserActivity};
use papertide_core::UserId;

/// At most `limit` of each kind of activity of `user`.
pub fn of_user(conn: &Connection, user: UserId, limit: usize) -> Result<UserActivity, StoreError> {
    super::community::require_user(conn, user)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut out = UserActivity::default();

    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, s.feed_date, s.submitted_at
         FROM submissions s JOIN papers ON papers.pk = s.paper_pk
         WHERE s.submitted_by = ?1 AND s.removed_at IS NULL
         ORDER BY s.submitted_at DESC, s.pk DESC LIMIT ?2"
    ))?;
    let mut rows = stmt.query(params![user.0, limit])?;
    while let Some(r) = rows.next()? {
        let feed_date: String = r.get(18)?;
        out.submissions.push(SubmittedPaper {
            paper: read_row(r)?,
            feed_date: chrono::NaiveDate::parse_from_str(&feed_date, "%Y-%m-%d").map_err(|e| {
                StoreError::CorruptRecord { what: format!("feed date {feed_date:?}"), reason: e.to_string() }
            })?,
            submitted_at: at(r.get(19)?),
        });
    }

    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, v.created_at
         FROM upvotes v JOIN papers ON papers.pk = v.paper_pk
         WHERE v.user_pk = ?1
         ORDER BY v.created_at DESC, v.paper_pk DESC LIMIT ?2"
    ))?;
    let mut rows = stmt.query(params![user.0, limit])?;
    while let Some(r) = rows.next()? {
        out.upvoted.push(UpvotedPaper { paper: read_row(r)?, upvoted_at: at(r.get(18)?) });
    }

    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COMMENT_COLUMNS}, {USER_COLUMNS} {COMMENT_FROM}
         WHERE c.user_pk = ?1 AND c.hidden = 0 AND c.deleted = 0
         ORDER BY c.created_at DESC, c.pk DESC LIMIT ?2"
    ))?;
    let mut rows = stmt.query(params![user.0, limit])?;
    while let Some(r) = rows.next()? {
        out.comments.push(read_comment(r)?);
    }
    Ok(out)
}
