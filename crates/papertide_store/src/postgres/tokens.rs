//! Personal API tokens on PostgreSQL (the `api_tokens` table), as SQLite's `tokens` module:
//! keyed, like sessions ([`super::users`]), by a hash of the secret, with `last_used_at`
//! refreshed by a lookup at most once a minute.
//!
//! Writes run inside the caller's serializable transaction ([`super::PgStore::write`]).

use chrono::{DateTime, Utc};
use postgres::{GenericClient, Row};

use super::papers::{at, from_ts};
use super::users::{read_user, USER_COLUMNS};
use crate::StoreError;
use papertide_core::{ApiToken, TokenId, TokenScope, User, UserId};

/// How stale `last_used_at` may get before a lookup refreshes it, in seconds.
const TOUCH_AFTER_SECS: i64 = 60;

/// The columns [`read_token`] expects, in order (table alias `t`).
const TOKEN_COLUMNS: &str = "t.pk, t.user_pk, t.name, t.hint, t.scope, t.created_at, t.last_used_at";

/// Reads a token selected with [`TOKEN_COLUMNS`] starting at column `from`.
fn read_token(row: &Row, from: usize) -> Result<ApiToken, StoreError> {
    let pk: i64 = row.try_get(from)?;
    let scope: String = row.try_get(from + 4)?;
    Ok(ApiToken {
        id: TokenId(pk),
        user: UserId(row.try_get(from + 1)?),
        name: row.try_get(from + 2)?,
        hint: row.try_get(from + 3)?,
        scope: scope
            .parse()
            .map_err(|e| StoreError::CorruptRecord { what: format!("api token {pk}"), reason: format!("{e}") })?,
        created_at: at(row.try_get(from + 5)?),
        last_used_at: from_ts(row.try_get(from + 6)?),
    })
}

/// Records a new token inside the caller's transaction. An unknown user is
/// [`StoreError::NotFound`], a hash already in use [`StoreError::Conflict`].
pub fn create(
    tx: &mut impl GenericClient,
    user: UserId,
    name: &str,
    token_hash: &[u8],
    hint: &str,
    scope: TokenScope,
    now: DateTime<Utc>,
) -> Result<ApiToken, StoreError> {
    super::community::require_user(tx, user)?;
    if tx.query_opt("SELECT 1 FROM api_tokens WHERE token_hash = $1", &[&token_hash])?.is_some() {
        return Err(StoreError::Conflict { what: "api token".into() });
    }
    let row = tx.query_one(
        "INSERT INTO api_tokens (user_pk, name, token_hash, hint, scope, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING pk",
        &[&user.0, &name, &token_hash, &hint, &scope.as_str(), &now.timestamp()],
    )?;
    Ok(ApiToken {
        id: TokenId(row.try_get(0)?),
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
    c: &mut impl GenericClient,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<(User, ApiToken, bool)>, StoreError> {
    let row = c.query_opt(
        &format!(
            "SELECT {USER_COLUMNS}, {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.pk = t.user_pk
             WHERE t.token_hash = $1"
        ),
        &[&token_hash],
    )?;
    let Some(r) = row else { return Ok(None) };
    let user = read_user(&r, 0)?;
    let token = read_token(&r, 5)?;
    let stale = token.last_used_at.is_none_or(|t| now.timestamp() - t.timestamp() >= TOUCH_AFTER_SECS);
    Ok(Some((user, token, stale)))
}

/// Records that a token was used at `now`.
pub fn touch(tx: &mut impl GenericClient, token_hash: &[u8], now: DateTime<Utc>) -> Result<(), StoreError> {
    tx.execute("UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1", &[&token_hash, &now.timestamp()])?;
    Ok(())
}

/// A user's tokens, newest first.
pub fn of_user(c: &mut impl GenericClient, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
    let rows = c.query(
        &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_pk = $1 ORDER BY t.created_at DESC, t.pk DESC"),
        &[&user.0],
    )?;
    rows.iter().map(|r| read_token(r, 0)).collect()
}

/// Deletes one of a user's tokens; false when the user has no such token.
pub fn revoke(tx: &mut impl GenericClient, user: UserId, id: TokenId) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM api_tokens WHERE pk = $1 AND user_pk = $2", &[&id.0, &user.0])? > 0)
}
