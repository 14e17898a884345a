//! A user's library (`library`: papers saved under tags), "not interested" clicks
//! (`dismissals`), and [`signals`]: everything the "For you" model learns from, upvotes
//! included, in one list.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::community::{paper_pk, require_user};
use super::papers::{at, read_row, COLUMNS};
use crate::{LibraryItem, StoreError};
use papertide_core::{PaperId, Signal, SignalKind, Tag, UserId};

/// Saves `paper` under `tag`; false when it was there already.
pub fn tag(
    conn: &Connection,
    user: UserId,
    paper: &PaperId,
    tag: &Tag,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    require_user(conn, user)?;
    let pk = paper_pk(conn, paper)?;
    let added = conn
        .prepare_cached(
            "INSERT INTO library (user_pk, paper_pk, tag, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![user.0, pk, tag.as_str(), now.timestamp()])?;
    Ok(added > 0)
}

/// Takes `paper` out of `tag` (out of every tag when `None`); false when it was not there.
pub fn untag(conn: &Connection, user: UserId, paper: &PaperId, tag: Option<&Tag>) -> Result<bool, StoreError> {
    let Some(pk) = super::papers::key_of(conn, paper)? else { return Ok(false) };
    let removed = match tag {
        Some(t) => conn
            .prepare_cached("DELETE FROM library WHERE user_pk = ?1 AND paper_pk = ?2 AND tag = ?3")?
            .execute(params![user.0, pk as i64, t.as_str()])?,
        None => conn
            .prepare_cached("DELETE FROM library WHERE user_pk = ?1 AND paper_pk = ?2")?
            .execute(params![user.0, pk as i64])?,
    };
    Ok(removed > 0)
}

/// The user's saved papers, newest first, one row per paper and tag (only `tag`'s when given).
pub fn items(conn: &Connection, user: UserId, tag: Option<&Tag>, limit: usize) -> Result<Vec<LibraryItem>, StoreError> {
    require_user(conn, user)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, l.tag, l.created_at FROM library l JOIN papers ON papers.pk = l.paper_pk
         WHERE l.user_pk = ?1 AND (?2 IS NULL OR l.tag = ?2)
         ORDER BY l.created_at DESC, l.paper_pk DESC, l.tag LIMIT ?3"
    ))?;
    let mut rows = stmt.query(params![user.0, tag.map(Tag::as_str), limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let text: String = r.get(18)?;
        let tag = text.parse().map_err(|e: papertide_core::TagError| StoreError::CorruptRecord {
            what: format!("tag {text:?}"),
            reason: e.to_string(),
        })?;
        out.push(LibraryItem { paper: read_row(r)?, tag, added_at: at(r.get(19)?) });
    }
    Ok(out)
}

/// The user's tags with how many papers each holds, by name.
pub fn tags(conn: &Connection, user: UserId) -> Result<Vec<(Tag, u64)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT tag, count(*) FROM library WHERE user_pk = ?1 GROUP BY tag ORDER BY tag")?;
    let rows = stmt.query_map([user.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (text, n) = row?;
        if let Ok(tag) = text.parse() {
            out.push((tag, n.max(0) as u64));
        }
    }
    Ok(out)
}

/// The tags `user` saved `paper` under (by name) and whether they marked it not interested.
pub fn marks(conn: &Connection, user: UserId, paper: &PaperId) -> Result<(Vec<Tag>, bool), StoreError> {
    let Some(pk) = super::papers::key_of(conn, paper)? else { return Ok((Vec::new(), false)) };
    let mut stmt = conn.prepare_cached("SELECT tag FROM library WHERE user_pk = ?1 AND paper_pk = ?2 ORDER BY tag")?;
    let tags = stmt
        .query_map(params![user.0, pk as i64], |r| r.get::<_, String>(0))?
        .filter_map(|t| t.ok().and_then(|t| t.parse().ok()))
        .collect();
    let dismissed = conn
        .prepare_cached("SELECT 1 FROM dismissals WHERE user_pk = ?1 AND paper_pk = ?2")?
        .exists(params![user.0, pk as i64])?;
    Ok((tags, dismissed))
}

/// Marks `paper` "not interested" (or takes that back when `on` is false); false when nothing
/// changed.
pub fn dismiss(
    conn: &Connection,
    user: UserId,
    paper: &PaperId,
    on: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    require_user(conn, user)?;
    let pk = paper_pk(conn, paper)?;
    let changed = if on {
        conn.prepare_cached(
            "INSERT INTO dismissals (user_pk, paper_pk, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?
        .execute(params![user.0, pk, now.timestamp()])?
    } else {
        conn.prepare_cached("DELETE FROM dismissals WHERE user_pk = ?1 AND paper_pk = ?2")?
            .execute(params![user.0, pk])?
    };
    Ok(changed > 0)
}

/// Up to `limit` of each kind of signal (upvotes, saved papers, dismissals), newest first
/// within a kind; a paper saved under several tags counts once, from its first save.
pub fn signals(conn: &Connection, user: UserId, limit: usize) -> Result<Vec<Signal>, StoreError> {
    require_user(conn, user)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let queries = [
        (SignalKind::Upvote, "SELECT paper_pk, created_at AS at FROM upvotes WHERE user_pk = ?1"),
        (SignalKind::Saved, "SELECT paper_pk, min(created_at) AS at FROM library WHERE user_pk = ?1 GROUP BY paper_pk"),
        (SignalKind::NotInterested, "SELECT paper_pk, created_at AS at FROM dismissals WHERE user_pk = ?1"),
    ];
    let mut out = Vec::new();
    for (kind, inner) in queries {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT s.paper_pk, s.at, papers.id, papers.title FROM ({inner}) AS s
             JOIN papers ON papers.pk = s.paper_pk ORDER BY s.at DESC, s.paper_pk DESC LIMIT ?2"
        ))?;
        let mut rows = stmt.query(params![user.0, limit])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(2)?;
            let paper = id.parse().map_err(|e: papertide_core::IdError| StoreError::CorruptRecord {
                what: format!("paper id {id:?}"),
                reason: e.to_string(),
            })?;
            out.push(Signal { key: r.get::<_, i64>(0)? as u64, paper, title: r.get(3)?, kind, at: at(r.get(1)?) });
        }
    }
    Ok(out)
}
