//! How values are stored, the same on both backends ([`crate::sqlite`], [`crate::postgres`]):
//! times as unix seconds, author lists joined by U+001F, vectors as little-endian f32 blobs,
//! feed dates as `YYYY-MM-DD` text; and the column choices the store modules share.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use papertide_core::UserName;

use crate::StoreError;

/// Separator of author names in the `authors` column.
pub const AUTHOR_SEP: char = '\u{1f}';

/// An instant as unix seconds (`None` stays `None`).
pub fn ts(d: Option<DateTime<Utc>>) -> Option<i64> {
    d.map(|d| d.timestamp())
}

/// Unix seconds to an instant (`None` stays `None`).
pub fn from_ts(t: Option<i64>) -> Option<DateTime<Utc>> {
    t.and_then(|t| Utc.timestamp_opt(t, 0).single())
}

/// Unix seconds of a NOT NULL column to an instant (out-of-range values read as the epoch).
pub fn at(t: i64) -> DateTime<Utc> {
    from_ts(Some(t)).unwrap_or_default()
}

/// A vector as its stored blob.
pub fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A stored blob as a vector (`key` names the paper in the error).
pub fn from_blob(key: u64, b: &[u8]) -> Result<Vec<f32>, StoreError> {
    if !b.len().is_multiple_of(4) {
        return Err(StoreError::Corrupt { id: format!("key {key}"), reason: "embedding blob length".into() });
    }
    Ok(b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// The text form of a feed date in the database.
pub fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A stored feed date.
pub fn parse_day(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::CorruptRecord { what: format!("feed date {s:?}"), reason: e.to_string() })
}

/// A stored user name (`None` stays `None`).
pub fn parse_name(s: Option<String>) -> Result<Option<UserName>, StoreError> {
    s.map(|n| {
        n.parse().map_err(|e| StoreError::CorruptRecord { what: format!("user name {n:?}"), reason: format!("{e}") })
    })
    .transpose()
}

/// The user columns that can be changed.
#[derive(Debug, Clone, Copy)]
pub enum UserColumn {
    /// `role`.
    Role,
    /// `password_hash`.
    PasswordHash,
}

/// The timestamp columns of a subscription.
#[derive(Debug, Clone, Copy)]
pub enum SubColumn {
    /// `confirmed_at`.
    Confirmed,
    /// `unsubscribed_at`.
    Unsubscribed,
}
