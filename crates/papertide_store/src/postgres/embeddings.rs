//! Embedding rows on PostgreSQL: vectors as little-endian f32 `BYTEA`, one per paper and
//! model, and the backlog of papers still to embed (as SQLite's `embeddings` module).

use postgres::GenericClient;

use super::papers::{read_row, COLUMNS};
use crate::codec::{from_blob, to_blob};
use crate::StoreError;
use papertide_core::Paper;

/// Inserts or replaces embeddings inside the caller's transaction (keys of papers that are
/// gone are skipped).
pub fn put(tx: &mut impl GenericClient, model: &str, items: &[(u64, Vec<f32>)]) -> Result<(), StoreError> {
    let now = chrono::Utc::now().timestamp();
    let stmt = tx.prepare(
        "INSERT INTO embeddings (paper_pk, model, dim, vector, created_at)
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM papers WHERE pk = $1)
         ON CONFLICT (model, paper_pk) DO UPDATE SET dim = excluded.dim, vector = excluded.vector,
             created_at = excluded.created_at",
    )?;
    for (key, v) in items {
        tx.execute(&stmt, &[&(*key as i64), &model, &(v.len() as i64), &to_blob(v), &now])?;
    }
    Ok(())
}

/// One embedding.
pub fn get(c: &mut impl GenericClient, model: &str, key: u64) -> Result<Option<Vec<f32>>, StoreError> {
    let row =
        c.query_opt("SELECT vector FROM embeddings WHERE model = $1 AND paper_pk = $2", &[&model, &(key as i64)])?;
    row.map(|r| from_blob(key, r.try_get(0)?)).transpose()
}

/// Every embedding of a model in key order, streamed.
pub fn for_each(
    c: &mut impl GenericClient,
    model: &str,
    f: &mut dyn FnMut(u64, Vec<f32>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut tx = c.transaction()?;
    let portal = tx.bind("SELECT paper_pk, vector FROM embeddings WHERE model = $1 ORDER BY paper_pk", &[&model])?;
    loop {
        let rows = tx.query_portal(&portal, 5_000)?;
        if rows.is_empty() {
            return Ok(());
        }
        for row in &rows {
            let key = row.try_get::<_, i64>(0)? as u64;
            f(key, from_blob(key, row.try_get(1)?)?)?;
        }
    }
}

/// The backlog: papers without an embedding for `model`, by key.
pub fn missing(
    c: &mut impl GenericClient,
    model: &str,
    after_key: u64,
    limit: usize,
) -> Result<Vec<(u64, Paper)>, StoreError> {
    let rows = c.query(
        &format!(
            "SELECT {COLUMNS}, p.pk FROM papers p
             WHERE p.pk > $2 AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model = $1 AND e.paper_pk = p.pk)
             ORDER BY p.pk LIMIT $3"
        ),
        &[&model, &(after_key as i64), &(limit as i64)],
    )?;
    rows.iter().map(|row| Ok((row.try_get::<_, i64>(18)? as u64, read_row(row, 0)?))).collect()
}

/// Size of the backlog.
pub fn backlog(c: &mut impl GenericClient, model: &str) -> Result<u64, StoreError> {
    let n: i64 = c
        .query_one(
            "SELECT (SELECT count(*) FROM papers) - (SELECT count(*) FROM embeddings WHERE model = $1)",
            &[&model],
        )?
        .try_get(0)?;
    Ok(n.max(0) as u64)
}

/// Embeddings of a model stored at or after `since`, oldest first.
pub fn since(c: &mut impl GenericClient, model: &str, since: i64) -> Result<Vec<(u64, i64, Vec<f32>)>, StoreError> {
    let rows = c.query(
        "SELECT paper_pk, created_at, vector FROM embeddings WHERE model = $1 AND created_at >= $2
         ORDER BY created_at, paper_pk",
        &[&model, &since],
    )?;
    rows.iter()
        .map(|row| {
            let key = row.try_get::<_, i64>(0)? as u64;
            Ok((key, row.try_get(1)?, from_blob(key, row.try_get(2)?)?))
        })
        .collect()
}
