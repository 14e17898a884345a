//! `papertide migrate sqlite-to-postgres`: [`sqlite_to_postgres`] copies every table of a
//! [`SqliteStore`] into an empty [`PgStore`] and verifies the copy.
//!
//! - One read transaction on SQLite (a consistent snapshot even while a server writes) and one
//!   transaction on Postgres: an interrupted copy commits nothing, and running it again starts
//!   over on a still-empty database. Rows go through `COPY … FROM STDIN`, a table at a time,
//!   reporting progress.
//! - Both schemas have the same tables and column names (`postgres::migrations` mirrors
//!   `sqlite::migrations`); integers become `BIGINT` or `BOOLEAN` (`0`/`1` are boolean input),
//!   blobs `BYTEA`. Keys are copied as they are (search indexes and embeddings refer to paper
//!   keys) and the identity sequences are moved past them.
//! - Verification, before the commit: each table's row count, and a checksum of its rows
//!   (the sum of a SHA-256 of every row's values in a canonical form, so row order does not
//!   matter), computed from what was read out of SQLite and from what Postgres holds.
//!   Leases are not copied (they belong to running processes).

use std::io::Write;

use postgres::types::Type;
use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};

use crate::{PgStore, SqliteStore, StoreError};

/// The tables copied, parents before children.
pub const TABLES: &[&str] = &[
    "papers",
    "paper_community",
    "state",
    "embeddings",
    "users",
    "sessions",
    "submissions",
    "upvotes",
    "comments",
    "api_tokens",
    "subscriptions",
    "outbox",
    "library",
    "dismissals",
];

/// Tables whose `pk` is an identity column on Postgres.
const IDENTITY_TABLES: &[&str] =
    &["papers", "users", "submissions", "comments", "api_tokens", "subscriptions", "outbox"];

/// Rows per `COPY` chunk written (progress is reported between chunks).
const CHUNK_ROWS: u64 = 5_000;

/// What was copied from one table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCopy {
    /// The table.
    pub table: String,
    /// Rows read from SQLite (and found in Postgres).
    pub rows: u64,
    /// The checksum of those rows, hex (the same on both sides, or the copy fails).
    pub checksum: String,
}

/// One canonical value: a tag byte and the value's bytes. Integers and booleans are the same
/// (`1`/`0`), so SQLite's 0/1 flags match Postgres booleans.
enum Canon<'a> {
    Null,
    Int(i64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

/// Adds a row's hash into a table checksum.
#[derive(Default)]
struct Checksum(u128);

impl Checksum {
    fn add(&mut self, row: &[Canon<'_>]) {
        let mut h = Sha256::new();
        for v in row {
            match v {
                Canon::Null => h.update([0u8]),
                Canon::Int(i) => {
                    h.update([1u8]);
                    h.update(i.to_le_bytes());
                }
                Canon::Text(t) => {
                    h.update([2u8]);
                    h.update((t.len() as u64).to_le_bytes());
                    h.update(t);
                }
                Canon::Blob(b) => {
                    h.update([3u8]);
                    h.update((b.len() as u64).to_le_bytes());
                    h.update(b);
                }
            }
        }
        let digest = h.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.0 = self.0.wrapping_add(u128::from_le_bytes(first));
    }
}

/// Appends a value in `COPY` text format.
fn copy_text(out: &mut Vec<u8>, v: &Canon<'_>) {
    match v {
        Canon::Null => out.extend_from_slice(b"\\N"),
        Canon::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Canon::Text(t) => {
            for &b in t.iter() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
        Canon::Blob(bytes) => {
            out.extend_from_slice(b"\\\\x");
            for b in bytes.iter() {
                out.extend_from_slice(format!("{b:02x}").as_bytes());
            }
        }
    }
}

/// Copies every table of `src` into `dst`, which must hold no papers and no users, and
/// verifies the copy before committing it. `progress(table, rows_done, rows_total)` is called
/// as rows go.
pub fn sqlite_to_postgres(
    src: &SqliteStore,
    dst: &PgStore,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<Vec<TableCopy>, StoreError> {
    let mut conn = dst.pool().get()?;
    let mut tx = conn.transaction()?;
    for table in ["papers", "users", "subscriptions"] {
        let n: i64 = tx.query_one(&format!("SELECT count(*) FROM {table}"), &[])?.try_get(0)?;
        if n > 0 {
            return Err(StoreError::Conflict {
                what: format!("data in the destination ({n} rows in {table}; migrate into an empty database)"),
            });
        }
    }
    let report = src.with_reader(|sqlite| {
        sqlite.execute_batch("BEGIN")?;
        let copied = copy_tables(sqlite, &mut tx, progress);
        sqlite.execute_batch("COMMIT")?;
        copied
    })?;
    for table in IDENTITY_TABLES {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'pk'), coalesce(max(pk), 0) + 1, false) FROM {table}"
            ),
            &[],
        )?;
    }
    tx.commit()?;
    Ok(report)
}

fn copy_tables(
    sqlite: &rusqlite::Connection,
    tx: &mut postgres::Transaction<'_>,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<Vec<TableCopy>, StoreError> {
    let mut report = Vec::new();
    for &table in TABLES {
        let columns: Vec<String> = sqlite
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let list = columns.join(", ");
        let total: i64 = sqlite.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        let mut stmt = sqlite.prepare(&format!("SELECT {list} FROM {table}"))?;
        let mut rows = stmt.query([])?;
        let mut writer = tx.copy_in(&format!("COPY {table} ({list}) FROM STDIN"))?;
        let (mut sum, mut done, mut buf) = (Checksum::default(), 0u64, Vec::with_capacity(1 << 20));
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns.len());
            for (i, column) in columns.iter().enumerate() {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Canon::Null,
                    ValueRef::Integer(n) => Canon::Int(n),
                    ValueRef::Text(t) => Canon::Text(t),
                    ValueRef::Blob(b) => Canon::Blob(b),
                    ValueRef::Real(_) => {
                        return Err(StoreError::CorruptRecord {
                            what: format!("a row of {table}"),
                            reason: format!("column {column} holds a floating-point value"),
                        })
                    }
                });
            }
            sum.add(&values);
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    buf.push(b'\t');
                }
                copy_text(&mut buf, v);
            }
            buf.push(b'\n');
            done += 1;
            if done % CHUNK_ROWS == 0 {
                writer.write_all(&buf).map_err(|e| StoreError::Callback(format!("writing to PostgreSQL: {e}")))?;
                buf.clear();
                progress(table, done, total as u64);
            }
        }
        writer.write_all(&buf).map_err(|e| StoreError::Callback(format!("writing to PostgreSQL: {e}")))?;
        writer.finish()?;
        progress(table, done, total as u64);
        let (copied, copied_sum) = postgres_checksum(tx, table, &list)?;
        if copied != done || copied_sum.0 != sum.0 {
            return Err(StoreError::CorruptRecord {
                what: format!("the copy of {table}"),
                reason: format!(
                    "{done} rows read (checksum {:032x}), {copied} in PostgreSQL (checksum {:032x})",
                    sum.0, copied_sum.0
                ),
            });
        }
        report.push(TableCopy { table: table.to_string(), rows: done, checksum: format!("{:032x}", sum.0) });
    }
    Ok(report)
}

/// Row count and checksum of a table as Postgres holds it.
fn postgres_checksum(
    tx: &mut postgres::Transaction<'_>,
    table: &str,
    list: &str,
) -> Result<(u64, Checksum), StoreError> {
    let portal = tx.bind(&format!("SELECT {list} FROM {table}"), &[])?;
    let (mut sum, mut n) = (Checksum::default(), 0u64);
    loop {
        let rows = tx.query_portal(&portal, 5_000)?;
        if rows.is_empty() {
            return Ok((n, sum));
        }
        for row in &rows {
            let mut texts: Vec<Option<String>> = Vec::new();
            let mut blobs: Vec<Option<Vec<u8>>> = Vec::new();
            let mut ints: Vec<Option<i64>> = Vec::new();
            let kinds: Vec<&Type> = row.columns().iter().map(|c| c.type_()).collect();
            for (i, ty) in kinds.iter().enumerate() {
                let (mut t, mut b, mut n) = (None, None, None);
                match **ty {
                    Type::INT8 => n = row.try_get::<_, Option<i64>>(i)?,
                    Type::BOOL => n = row.try_get::<_, Option<bool>>(i)?.map(i64::from),
                    Type::BYTEA => b = row.try_get::<_, Option<Vec<u8>>>(i)?,
                    _ => t = row.try_get::<_, Option<String>>(i)?,
                }
                texts.push(t);
                blobs.push(b);
                ints.push(n);
            }
            let values: Vec<Canon<'_>> = (0..kinds.len())
                .map(|i| match (&texts[i], &blobs[i], ints[i]) {
                    (Some(t), _, _) => Canon::Text(t.as_bytes()),
                    (_, Some(b), _) => Canon::Blob(b),
                    (_, _, Some(n)) => Canon::Int(n),
                    _ => Canon::Null,
                })
                .collect();
            sum.add(&values);
            n += 1;
        }
    }
}
