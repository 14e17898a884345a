//! Accounts and login sessions on PostgreSQL (the `users` and `sessions` tables), as SQLite's
//! `users` module: names unique by their lowercase form, sessions keyed by a token hash.

use chrono::{DateTime, Utc};
use postgres::{GenericClient, Row};

use super::papers::at;
pub use crate::codec::UserColumn;
use crate::StoreError;
use papertide_core::{Role, Session, User, UserId, UserName};

/// How stale `last_seen_at` may get before a lookup refreshes it, in seconds.
const TOUCH_AFTER_SECS: i64 = 60;

/// The columns [`read_user`] expects, in order (table alias `u`).
pub(super) const USER_COLUMNS: &str = "u.pk, u.name, u.email, u.role, u.created_at";

fn corrupt(pk: i64, reason: String) -> StoreError {
    StoreError::CorruptRecord { what: format!("user {pk}"), reason }
}

/// Reads a user selected with [`USER_COLUMNS`] starting at column `from`.
pub(super) fn read_user(row: &Row, from: usize) -> Result<User, StoreError> {
    let pk: i64 = row.try_get(from)?;
    let name: String = row.try_get(from + 1)?;
    let role: String = row.try_get(from + 3)?;
    Ok(User {
        id: UserId(pk),
        name: name.parse().map_err(|e| corrupt(pk, format!("bad name {name:?}: {e}")))?,
        email: row.try_get(from + 2)?,
        role: role.parse().map_err(|e| corrupt(pk, format!("{e}")))?,
        created_at: at(row.try_get(from + 4)?),
    })
}

/// Creates an account inside the caller's transaction.
pub fn create(
    tx: &mut impl GenericClient,
    name: &UserName,
    email: Option<&str>,
    password_hash: &str,
    role: Role,
) -> Result<User, StoreError> {
    let now = Utc::now().timestamp();
    if tx.query_opt("SELECT 1 FROM users WHERE name_lower = $1", &[&name.key()])?.is_some() {
        return Err(StoreError::Conflict { what: format!("user name {}", name.key()) });
    }
    let row = tx.query_one(
        "INSERT INTO users (name, name_lower, email, password_hash, role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING pk",
        &[&name.as_str(), &name.key(), &email, &password_hash, &role.as_str(), &now],
    )?;
    Ok(User {
        id: UserId(row.try_get(0)?),
        name: name.clone(),
        email: email.map(str::to_string),
        role,
        created_at: at(now),
    })
}

/// One user by key.
pub fn by_id(c: &mut impl GenericClient, id: UserId) -> Result<Option<User>, StoreError> {
    c.query_opt(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.pk = $1"), &[&id.0])?
        .map(|r| read_user(&r, 0))
        .transpose()
}

/// One user by name, with the password hash.
pub fn with_hash(c: &mut impl GenericClient, name: &UserName) -> Result<Option<(User, String)>, StoreError> {
    c.query_opt(
        &format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.name_lower = $1"),
        &[&name.key()],
    )?
    .map(|r| Ok((read_user(&r, 0)?, r.try_get(5)?)))
    .transpose()
}

/// Sets one column of a user; [`StoreError::NotFound`] when there is no such user.
pub fn set_column(
    tx: &mut impl GenericClient,
    user: UserId,
    column: UserColumn,
    value: &str,
) -> Result<(), StoreError> {
    let sql = match column {
        UserColumn::Role => "UPDATE users SET role = $2 WHERE pk = $1",
        UserColumn::PasswordHash => "UPDATE users SET password_hash = $2 WHERE pk = $1",
    };
    match tx.execute(sql, &[&user.0, &value])? {
        0 => Err(StoreError::NotFound { what: format!("user {user}") }),
        _ => Ok(()),
    }
}

/// Records a session inside the caller's transaction.
pub fn create_session(
    tx: &mut impl GenericClient,
    token_hash: &[u8],
    user: UserId,
    csrf: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    super::community::require_user(tx, user)?;
    if tx.query_opt("SELECT 1 FROM sessions WHERE token_hash = $1", &[&token_hash])?.is_some() {
        return Err(StoreError::Conflict { what: "session token".into() });
    }
    tx.execute(
        "INSERT INTO sessions (token_hash, user_pk, csrf_token, created_at, expires_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $4)",
        &[&token_hash, &user.0, &csrf, &now.timestamp(), &expires_at.timestamp()],
    )?;
    Ok(())
}

/// The live session with this token hash, and whether its `last_seen_at` is due a refresh.
pub fn session(
    c: &mut impl GenericClient,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<(User, Session, bool)>, StoreError> {
    let row = c.query_opt(
        &format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at
             FROM sessions s JOIN users u ON u.pk = s.user_pk
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ),
        &[&token_hash, &now.timestamp()],
    )?;
    let Some(r) = row else { return Ok(None) };
    let user = read_user(&r, 0)?;
    let last_seen: i64 = r.try_get(8)?;
    let session = Session {
        user: user.id,
        csrf: r.try_get(5)?,
        created_at: at(r.try_get(6)?),
        expires_at: at(r.try_get(7)?),
        last_seen_at: at(last_seen),
    };
    Ok(Some((user, session, now.timestamp() - last_seen >= TOUCH_AFTER_SECS)))
}

/// Records that a session was used at `now`.
pub fn touch_session(tx: &mut impl GenericClient, token_hash: &[u8], now: DateTime<Utc>) -> Result<(), StoreError> {
    tx.execute("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1", &[&token_hash, &now.timestamp()])?;
    Ok(())
}
