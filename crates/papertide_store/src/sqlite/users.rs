//! Accounts and login sessions: the `users` and `sessions` tables.
//!
//! Names are unique by their lowercase form (`name_lower`); a taken name is
//! [`StoreError::Conflict`]. Sessions are keyed by a hash of the token, which is all the
//! store ever sees. The domain types are [`papertide_core::user`].

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

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
pub(super) fn read_user(row: &Row<'_>, from: usize) -> Result<User, StoreError> {
    let pk: i64 = row.get(from)?;
    let name: String = row.get(from + 1)?;
    let role: String = row.get(from + 3)?;
    Ok(User {
        id: UserId(pk),
        name: name.parse().map_err(|e| corrupt(pk, format!("bad name {name:?}: {e}")))?,
        email: row.get(from + 2)?,
        role: role.parse().map_err(|e| corrupt(pk, format!("{e}")))?,
        created_at: at(row.get(from + 4)?),
    })
}

/// Creates an account in one transaction.
pub fn create(
    conn: &mut Connection,
    name: &UserName,
    email: Option<&str>,
    password_hash: &str,
    role: Role,
) -> Result<User, StoreError> {
    let now = Utc::now().timestamp();
    let tx = conn.transaction()?;
    let taken = tx
        .prepare_cached("SELECT 1 FROM users WHERE name_lower = ?1")?
        .query_row([name.key()], |_| Ok(()))
        .optional()?
        .is_some();
    if taken {
        return Err(StoreError::Conflict { what: format!("user name {}", name.key()) });
    }
    tx.prepare_cached(
        "INSERT INTO users (name, name_lower, email, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![name.as_str(), name.key(), email, password_hash, role.as_str(), now])?;
    let id = UserId(tx.last_insert_rowid());
    tx.commit()?;
    Ok(User { id, name: name.clone(), email: email.map(str::to_string), role, created_at: at(now) })
}

/// One user by key.
pub fn by_id(conn: &Connection, id: UserId) -> Result<Option<User>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.pk = ?1"))?;
    stmt.query_row([id.0], |r| Ok(read_user(r, 0))).optional()?.transpose()
}

/// One user by name, with the password hash.
pub fn with_hash(conn: &Connection, name: &UserName) -> Result<Option<(User, String)>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.name_lower = ?1"))?;
    stmt.query_row([name.key()], |r| Ok(read_user(r, 0).and_then(|u| Ok((u, r.get(5)?))))).optional()?.transpose()
}

/// Sets one column of a user; [`StoreError::NotFound`] when there is no such user.
pub fn set_column(conn: &Connection, user: UserId, column: UserColumn, value: &str) -> Result<(), StoreError> {
    let sql = match column {
        UserColumn::Role => "UPDATE users SET role = ?2 WHERE pk = ?1",
        UserColumn::PasswordHash => "UPDATE users SET password_hash = ?2 WHERE pk = ?1",
    };
    match conn.prepare_cached(sql)?.execute(params![user.0, value])? {
        0 => Err(StoreError::NotFound { what: format!("user {user}") }),
        _ => Ok(()),
    }
}

/// Records a session in one transaction.
pub fn create_session(
    conn: &mut Connection,
    token_hash: &[u8],
    user: UserId,
    csrf: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    super::community::require_user(&tx, user)?;
    let taken = tx
        .prepare_cached("SELECT 1 FROM sessions WHERE token_hash = ?1")?
        .query_row([token_hash], |_| Ok(()))
        .optional()?
        .is_some();
    if taken {
        return Err(StoreError::Conflict { what: "session token".into() });
    }
    tx.prepare_cached(
        "INSERT INTO sessions (token_hash, user_pk, csrf_token, created_at, expires_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
    )?
    .execute(params![token_hash, user.0, csrf, now.timestamp(), expires_at.timestamp()])?;
    tx.commit()?;
    Ok(())
}

/// The live session with this token hash, and whether its `last_seen_at` is due a refresh.
pub fn session(
    conn: &Connection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<(User, Session, bool)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS}, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at
         FROM sessions s JOIN users u ON u.pk = s.user_pk
         WHERE s.token_hash = ?1 AND s.expires_at > ?2"
    ))?;
    let found = stmt
        .query_row(params![token_hash, now.timestamp()], |r| {
            Ok(read_user(r, 0).and_then(|user| {
                let last_seen: i64 = r.get(8)?;
                let session = Session {
                    user: user.id,
                    csrf: r.get(5)?,
                    created_at: at(r.get(6)?),
                    expires_at: at(r.get(7)?),
                    last_seen_at: at(last_seen),
                };
                Ok((user, session, now.timestamp() - last_seen >= TOUCH_AFTER_SECS))
            }))
        })
        .optional()?;
    found.transpose()
}

/// Records that a session was used at `now`.
pub fn touch_session(conn: &Connection, token_hash: &[u8], now: DateTime<Utc>) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1")?
        .execute(params![token_hash, now.timestamp()])?;
    Ok(())
}
