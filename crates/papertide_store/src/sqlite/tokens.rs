//! Personal API tokens: the `api_tokens` table.
//!
//! Keyed, like sessions ([`super::users`]), by a hash of the secret. A lookup refreshes
//! `last_used_at` at most once a minute. The domain types are [`papertide_core::token`].

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::papers::at;
use super::users::{read_user, USER_COLUMNS};
use crate::StoreError;
use papertide_core::{ApiToken, TokenId, TokenScope, User, UserId};

/// How stale `last_used_at` may get before a lookup refreshes it, in seconds.
const TOUCH_AFTER_SECS: i64 = 60;

/// The columns [`read_token`] expects, in order (table alias `t`).
const TOKEN_COLUMNS: &str = "t.pk, t.user_pk, t.name, t.hint, t.scope, t.created_at, t.last_used_at";

fn read_token(row: &Row<'_>, from: usize) -> Result<ApiToken, StoreError> {
    let pk: i64 = row.get(from)?;
    let scope: String = row.get(from + 4)?;
    Ok(ApiToken {
        id: TokenId(pk),
        user: UserId(row.get(from + 1)?),
        name: row.get(from + 2)?,
        hint: row.get(from + 3)?,
        scope: scope
            .parse()
            .map_err(|e| StoreError::CorruptRecord { what: format!("api token {pk}"), reason: format!("{e}") })?,
        created_at: at(row.get(from + 5)?),
        last_used_at: row.get::<_, Option<i64>>(from + 6)?.map(at),
    })
}

/// Records a new token in one transaction. An unknown user is [`StoreError::NotFound`], a
/// hash already in use [`StoreError::Conflict`].
pub fn create(
    conn: &mut Connection,
    user: UserId,
    name: &str,
    token_hash: &[u8],
    hint: &str,
    scope: TokenScope,
    now: DateTime<Utc>,
) -> Result<ApiToken, StoreError> {
    let tx = conn.transaction()?;
    super::community::require_user(&tx, user)?;
    let taken = tx
        .prepare_cached("SELECT 1 FROM api_tokens WHERE token_hash = ?1")?
        .query_row([token_hash], |_| Ok(()))
        .optional()?;
    if taken.is_some() {
        return Err(StoreError::Conflict { what: "api token".into() });
    }
    tx.prepare_cached(
        "INSERT INTO api_tokens (user_pk, name, token_hash, hint, scope, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![user.0, name, token_hash, hint, scope.as_str(), now.timestamp()])?;
    let id = TokenId(tx.last_insert_rowid());
    tx.commit()?;
    Ok(ApiToken {
        id,
        user,
        name: name.to_string(),
        hint: hint.to_string(),
        scope,
        created_at: at(now.timestamp()),
        last_used_at: None,
    })
}

/// The token with this hash and its user, and whether its `last_used_at` is due a refresh.
pub fn by_hash(
    conn: &Connection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<(User, ApiToken, bool)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS}, {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.pk = t.user_pk
         WHERE t.token_hash = ?1"
    ))?;
    let found = stmt
        .query_row([token_hash], |r| {
            Ok(read_user(r, 0).and_then(|user| {
                let token = read_token(r, 5)?;
                let stale = token.last_used_at.is_none_or(|t| now.timestamp() - t.timestamp() >= TOUCH_AFTER_SECS);
                Ok((user, token, stale))
            }))
        })
        .optional()?;
    found.transpose()
}

/// Records that a token was used at `now`.
pub fn touch(conn: &Connection, token_hash: &[u8], now: DateTime<Utc>) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE token_hash = ?1")?
        .execute(params![token_hash, now.timestamp()])?;
    Ok(())
}

/// A user's tokens, newest first.
pub fn of_user(conn: &Connection, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_pk = ?1 ORDER BY t.created_at DESC, t.pk DESC"
    ))?;
    let rows = stmt.query_map([user.0], |r| Ok(read_token(r, 0)))?;
    rows.map(|r| r?).collect()
}

/// Deletes one of a user's tokens; false when the user has no such token.
pub fn revoke(conn: &Connection, user: UserId, id: TokenId) -> Result<bool, StoreError> {
    Ok(conn.prepare_cached("DELETE FROM api_tokens WHERE pk = ?1 AND user_pk = ?2")?.execute(params![id.0, user.0])?
        > 0)
}
