//! A user's library on PostgreSQL (`library`: papers saved under tags), "not interested"
//! clicks (`dismissals`), and [`signals`]: everything the "For you" model learns from,
//! upvotes included, in one list, as SQLite's `library` module.
//!
//! Writes run inside the caller's serializable transaction ([`super::PgStore::write`]). Tags
//! are ordered with `COLLATE "C"` (byte order), as SQLite's default `BINARY` collation orders
//! them, whatever the database's collation.

use chrono::{DateTime, Utc};
use postgres::GenericClient;

use super::community::{paper_pk, require_user};
use super::papers::{at, key_of, read_row, COLUMNS};
use crate::{LibraryItem, StoreError};
use papertide_core::{PaperId, Signal, SignalKind, Tag, UserId};

/// `limit` as a SQL `LIMIT` (too large reads as no limit).
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Saves `paper` under `tag`; false when it was there already.
pub fn tag(
    tx: &mut impl GenericClient,
    user: UserId,
    paper: &PaperId,
    tag: &Tag,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    require_user(tx, user)?;
    let pk = paper_pk(tx, paper)?;
    let added = tx.execute(
        "INSERT INTO library (user_pk, paper_pk, tag, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        &[&user.0, &pk, &tag.as_str(), &now.timestamp()],
    )?;
    Ok(added > 0)
}

/// Takes `paper` out of `tag` (out of every tag when `None`); false when it was not there.
pub fn untag(
    tx: &mut impl GenericClient,
    user: UserId,
    paper: &PaperId,
    tag: Option<&Tag>,
) -> Result<bool, StoreError> {
    let Some(pk) = key_of(tx, paper)? else { return Ok(false) };
    let pk = pk as i64;
    let removed = match tag {
        Some(t) => tx.execute(
            "DELETE FROM library WHERE user_pk = $1 AND paper_pk = $2 AND tag = $3",
            &[&user.0, &pk, &t.as_str()],
        )?,
        None => tx.execute("DELETE FROM library WHERE user_pk = $1 AND paper_pk = $2", &[&user.0, &pk])?,
    };
    Ok(removed > 0)
}

/// The user's saved papers, newest first, one row per paper and tag (only `tag`'s when given).
pub fn items(
    c: &mut impl GenericClient,
    user: UserId,
    tag: Option<&Tag>,
    limit: usize,
) -> Result<Vec<LibraryItem>, StoreError> {
    require_user(c, user)?;
    let rows = c.query(
        &format!(
            "SELECT {COLUMNS}, l.tag, l.created_at FROM library l JOIN papers p ON p.pk = l.paper_pk
             WHERE l.user_pk = $1 AND ($2::text IS NULL OR l.tag = $2)
             ORDER BY l.created_at DESC, l.paper_pk DESC, l.tag COLLATE \"C\" LIMIT $3"
        ),
        &[&user.0, &tag.map(Tag::as_str), &sql_limit(limit)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let text: String = r.try_get(18)?;
        let tag = text.parse().map_err(|e: papertide_core::TagError| StoreError::CorruptRecord {
            what: format!("tag {text:?}"),
            reason: e.to_string(),
        })?;
        out.push(LibraryItem { paper: read_row(r, 0)?, tag, added_at: at(r.try_get(19)?) });
    }
    Ok(out)
}

/// The user's tags with how many papers each holds, by name.
pub fn tags(c: &mut impl GenericClient, user: UserId) -> Result<Vec<(Tag, u64)>, StoreError> {
    let rows = c.query(
        "SELECT tag, count(*) FROM library WHERE user_pk = $1 GROUP BY tag ORDER BY tag COLLATE \"C\"",
        &[&user.0],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let text: String = r.try_get(0)?;
        let n: i64 = r.try_get(1)?;
        if let Ok(tag) = text.parse() {
            out.push((tag, n.max(0) as u64));
        }
    }
    Ok(out)
}

/// The tags `user` saved `paper` under (by name) and whether they marked it not interested.
pub fn marks(c: &mut impl GenericClient, user: UserId, paper: &PaperId) -> Result<(Vec<Tag>, bool), StoreError> {
    let Some(pk) = key_of(c, paper)? else { return Ok((Vec::new(), false)) };
    let pk = pk as i64;
    let rows = c.query(
        "SELECT tag FROM library WHERE user_pk = $1 AND paper_pk = $2 ORDER BY tag COLLATE \"C\"",
        &[&user.0, &pk],
    )?;
    let mut tags = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Ok(tag) = r.try_get::<_, String>(0)?.parse() {
            tags.push(tag);
        }
    }
    let dismissed =
        c.query_opt("SELECT 1 FROM dismissals WHERE user_pk = $1 AND paper_pk = $2", &[&user.0, &pk])?.is_some();
    Ok((tags, dismissed))
}

/// Marks `paper` "not interested" (or takes that back when `on` is false); false when nothing
/// changed.
pub fn dismiss(
    tx: &mut impl GenericClient,
    user: UserId,
    paper: &PaperId,
    on: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    require_user(tx, user)?;
    let pk = paper_pk(tx, paper)?;
    let changed = if on {
        tx.execute(
            "INSERT INTO dismissals (user_pk, paper_pk, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&user.0, &pk, &now.timestamp()],
        )?
    } else {
        tx.execute("DELETE FROM dismissals WHERE user_pk = $1 AND paper_pk = $2", &[&user.0, &pk])?
    };
    Ok(changed > 0)
}

/// Up to `limit` of each kind of signal (upvotes, saved papers, dismissals), newest first
/// within a kind; a paper saved under several tags counts once, from its first save.
pub fn signals(c: &mut impl GenericClient, user: UserId, limit: usize) -> Result<Vec<Signal>, StoreError> {
    require_user(c, user)?;
    let limit = sql_limit(limit);
    let queries = [
        (SignalKind::Upvote, "SELECT paper_pk, created_at AS at FROM upvotes WHERE user_pk = $1"),
        (SignalKind::Saved, "SELECT paper_pk, min(created_at) AS at FROM library WHERE user_pk = $1 GROUP BY paper_pk"),
        (SignalKind::NotInterested, "SELECT paper_pk, created_at AS at FROM dismissals WHERE user_pk = $1"),
    ];
    let mut out = Vec::new();
    for (kind, inner) in queries {
        let rows = c.query(
            &format!(
                "SELECT s.paper_pk, s.at, p.id, p.title FROM ({inner}) AS s
                 JOIN papers p ON p.pk = s.paper_pk ORDER BY s.at DESC, s.paper_pk DESC LIMIT $2"
            ),
            &[&user.0, &limit],
        )?;
        for r in &rows {
            let id: String = r.try_get(2)?;
            let paper = id.parse().map_err(|e: papertide_core::IdError| StoreError::CorruptRecord {
                what: format!("paper id {id:?}"),
                reason: e.to_string(),
            })?;
            out.push(Signal {
                key: r.try_get::<_, i64>(0)? as u64,
                paper,
                title: r.try_get(3)?,
                kind,
                at: at(r.try_get(1)?),
            });
        }
    }
    Ok(out)
}
