//! Embedding rows: vectors as little-endian f32 blobs, one per paper and model, and the
//! backlog of papers still to embed.

use rusqlite::{params, Connection, OptionalExtension};

use super::papers::{read_row, COLUMNS};
use crate::codec::{from_blob, to_blob};
use crate::StoreError;
use papertide_core::Paper;

/// Inserts or replaces embeddings in one transaction.
pub fn put(conn: &mut Connection, model: &str, items: &[(u64, Vec<f32>)]) -> Result<(), StoreError> {
    let now = chrono::Utc::now().timestamp();
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT OR REPLACE INTO embeddings (paper_pk, model, dim, vector, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM papers WHERE pk = ?1)",
        )?;
        for (key, v) in items {
            stmt.execute(params![*key as i64, model, v.len() as i64, to_blob(v), now])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// One embedding.
pub fn get(conn: &Connection, model: &str, key: u64) -> Result<Option<Vec<f32>>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT vector FROM embeddings WHERE model = ?1 AND paper_pk = ?2")?;
    let blob: Option<Vec<u8>> = stmt.query_row(params![model, key as i64], |r| r.get(0)).optional()?;
    blob.map(|b| from_blob(key, &b)).transpose()
}

/// Every embedding of a model in key order.
pub fn for_each(
    conn: &Connection,
    model: &str,
    f: &mut dyn FnMut(u64, Vec<f32>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare("SELECT paper_pk, vector FROM embeddings WHERE model = ?1 ORDER BY paper_pk")?;
    let mut rows = stmt.query([model])?;
    while let Some(row) = rows.next()? {
        let key = row.get::<_, i64>(0)? as u64;
        let blob: Vec<u8> = row.get(1)?;
        f(key, from_blob(key, &blob)?)?;
    }
    Ok(())
}

/// The backlog: papers without an embedding for `model`, by key.
pub fn missing(conn: &Connection, model: &str, after_key: u64, limit: usize) -> Result<Vec<(u64, Paper)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, p.pk FROM papers p
         WHERE p.pk > ?2 AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model = ?1 AND e.paper_pk = p.pk)
         ORDER BY p.pk LIMIT ?3"
    ))?;
    let mut rows = stmt.query(params![model, after_key as i64, limit as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push((row.get::<_, i64>(18)? as u64, read_row(row)?));
    }
    Ok(out)
}

/// Size of the backlog.
pub fn backlog(conn: &Connection, model: &str) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM papers) - (SELECT count(*) FROM embeddings WHERE model = ?1)",
        [model],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// Embeddings of a model stored at or after `since`, oldest first.
pub fn since(conn: &Connection, model: &str, since: i64) -> Result<Vec<(u64, i64, Vec<f32>)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT paper_pk, created_at, vector FROM embeddings WHERE model = ?1 AND created_at >= ?2
         ORDER BY created_at, paper_pk",
    )?;
    let mut rows = stmt.query(params![model, since])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let key = row.get::<_, i64>(0)? as u64;
        let blob: Vec<u8> = row.get(2)?;
        out.push((key, row.get(1)?, from_blob(key, &blob)?));
    }
    Ok(out)
}
