//! Paper rows on PostgreSQL: the same mapping, upsert, reads, statistics and row checks as
//! [`crate::sqlite`]'s `papers` module, in Postgres SQL.
//!
//! The upsert runs under an advisory lock ([`PAPERS_LOCK`]): change numbers are handed out
//! `max(seq) + 1` and commit in order, so a replica reading the change feed after `seq` N
//! never sees N + 2 before N + 1 is visible. The store takes the lock before the transaction
//! starts ([`super::PgStore::write_locked`]); the upsert takes it again inside, which is free
//! for the session holding it and keeps the order for any other caller.

use chrono::Utc;
use postgres::{GenericClient, Row};

pub(super) use crate::codec::{at, from_ts};
use crate::codec::{ts, AUTHOR_SEP};
use crate::{ChangedPaper, CheckReport, Stats, StoreError, UpsertStats};
use papertide_core::{Community, Links, MergeOutcome, Paper, PaperId, Source};

/// The advisory lock key paper writers hold.
pub(super) const PAPERS_LOCK: i64 = 0x7061_7065_7274_0002;

/// The columns [`read_row`] expects, in order.
pub(super) const COLUMNS: &str = "p.id, p.title, p.abstract, p.authors, p.categories, p.published, p.updated, \
     p.version, p.comment, p.journal_ref, p.doi, p.report_no, p.license, p.link_abs, p.link_pdf, p.link_code, \
     p.link_project, p.source";

fn corrupt(id: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt { id: id.to_string(), reason: reason.into() }
}

/// Reads a paper selected with [`COLUMNS`] starting at column `from`.
pub(super) fn read_row(row: &Row, from: usize) -> Result<Paper, StoreError> {
    let col = |i: usize| from + i;
    let id: String = row.try_get(col(0))?;
    let paper_id: PaperId = id.parse().map_err(|e| corrupt(&id, format!("bad id: {e}")))?;
    let authors: String = row.try_get(col(3))?;
    let categories: String = row.try_get(col(4))?;
    let version: i64 = row.try_get(col(7))?;
    let source: String = row.try_get(col(17))?;
    Ok(Paper {
        id: paper_id,
        title: row.try_get(col(1))?,
        abstract_text: row.try_get(col(2))?,
        authors: if authors.is_empty() { Vec::new() } else { authors.split(AUTHOR_SEP).map(str::to_string).collect() },
        categories: categories.split_whitespace().map(str::to_string).collect(),
        published: from_ts(row.try_get(col(5))?),
        updated: from_ts(row.try_get(col(6))?),
        version: u32::try_from(version).map_err(|_| corrupt(&id, format!("bad version {version}")))?,
        comment: row.try_get(col(8))?,
        journal_ref: row.try_get(col(9))?,
        doi: row.try_get(col(10))?,
        report_no: row.try_get(col(11))?,
        license: row.try_get(col(12))?,
        links: Links {
            abs: row.try_get(col(13))?,
            pdf: row.try_get(col(14))?,
            code: row.try_get(col(15))?,
            project: row.try_get(col(16))?,
        },
        source: Source::parse(&source).ok_or_else(|| corrupt(&id, format!("unknown source {source:?}")))?,
    })
}

/// Inserts or merges a batch inside the caller's transaction.
pub fn upsert(tx: &mut impl GenericClient, batch: &[Paper]) -> Result<UpsertStats, StoreError> {
    let mut stats = UpsertStats::default();
    let now = Utc::now().timestamp();
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PAPERS_LOCK])?;
    let mut seq: i64 = tx.query_one("SELECT coalesce(max(seq), 0) FROM papers", &[])?.try_get(0)?;
    let select = tx.prepare(&format!("SELECT {COLUMNS} FROM papers p WHERE p.id = $1"))?;
    let insert = tx.prepare(
        "INSERT INTO papers (id, title, abstract, authors, categories, published, updated, version, comment,
             journal_ref, doi, report_no, license, link_abs, link_pdf, link_code, link_project, source,
             primary_category, imported_at, changed_at, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $21)
         ON CONFLICT (id) DO NOTHING",
    )?;
    let update = tx.prepare(
        "UPDATE papers SET title = $2, abstract = $3, authors = $4, categories = $5, published = $6,
             updated = $7, version = $8, comment = $9, journal_ref = $10, doi = $11, report_no = $12,
             license = $13, link_abs = $14, link_pdf = $15, link_code = $16, link_project = $17,
             primary_category = $19, changed_at = $20, seq = $21
         WHERE id = $1 AND $18::text IS NOT NULL", // $18, the source, is bound but never changed
    )?;
    let drop_embeddings =
        tx.prepare("DELETE FROM embeddings WHERE paper_pk = (SELECT pk FROM papers WHERE id = $1)")?;
    for paper in batch {
        // Most imports are of new papers: try the insert first, merge only on conflict.
        if bind_and_run(tx, &insert, paper, now, seq + 1)? == 1 {
            seq += 1;
            stats.inserted += 1;
            continue;
        }
        let row = tx.query_one(&select, &[&paper.id.as_str()])?;
        let stored =
            read_row(&row, 0).map_err(|e| corrupt(paper.id.as_str(), format!("unreadable while merging: {e}")))?;
        match stored.merge(paper) {
            MergeOutcome::Unchanged => stats.unchanged += 1,
            MergeOutcome::Stale => stats.stale += 1,
            MergeOutcome::Updated(merged) => {
                seq += 1;
                bind_and_run(tx, &update, &merged, now, seq)?;
                if merged.title != stored.title || merged.abstract_text != stored.abstract_text {
                    // The text changed: its embeddings are stale and join the backlog.
                    tx.execute(&drop_embeddings, &[&paper.id.as_str()])?;
                }
                stats.updated += 1;
            }
        }
    }
    Ok(stats)
}

/// Binds a paper to the insert or update statement and runs it; returns the rows changed.
fn bind_and_run(
    tx: &mut impl GenericClient,
    stmt: &postgres::Statement,
    p: &Paper,
    now: i64,
    seq: i64,
) -> Result<u64, StoreError> {
    let authors = p.authors.join(&AUTHOR_SEP.to_string());
    let categories = p.categories.join(" ");
    let version = i64::from(p.version);
    Ok(tx.execute(
        stmt,
        &[
            &p.id.as_str(),
            &p.title,
            &p.abstract_text,
            &authors,
            &categories,
            &ts(p.published),
            &ts(p.updated),
            &version,
            &p.comment,
            &p.journal_ref,
            &p.doi,
            &p.report_no,
            &p.license,
            &p.links.abs,
            &p.links.pdf,
            &p.links.code,
            &p.links.project,
            &p.source.as_str(),
            &p.primary_category(),
            &now,
            &seq,
        ],
    )?)
}

/// One paper by id.
pub fn get(c: &mut impl GenericClient, id: &PaperId) -> Result<Option<Paper>, StoreError> {
    c.query_opt(&format!("SELECT {COLUMNS} FROM papers p WHERE p.id = $1"), &[&id.as_str()])?
        .map(|r| read_row(&r, 0))
        .transpose()
}

/// Community data of a paper.
pub fn community(c: &mut impl GenericClient, id: &PaperId) -> Result<Community, StoreError> {
    let row = c.query_opt(
        "SELECT c.submitted_at, c.submitted_by, c.upvotes, c.comment_count
         FROM paper_community c JOIN papers p ON p.pk = c.paper_pk WHERE p.id = $1",
        &[&id.as_str()],
    )?;
    let Some(r) = row else { return Ok(Community::default()) };
    Ok(Community {
        submitted_at: from_ts(r.try_get(0)?),
        submitted_by: r.try_get(1)?,
        upvotes: r.try_get(2)?,
        comment_count: r.try_get(3)?,
    })
}

/// Every paper in id order, streamed.
pub fn for_each(
    c: &mut impl GenericClient,
    f: &mut dyn FnMut(Paper) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut tx = c.transaction()?;
    let portal = tx.bind(&format!("SELECT {COLUMNS} FROM papers p ORDER BY p.id"), &[])?;
    loop {
        let rows = tx.query_portal(&portal, 2_000)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            f(read_row(row, 0)?)?;
        }
    }
    Ok(())
}

/// Counts for `papertide stats`.
pub fn stats(c: &mut postgres::Client) -> Result<Stats, StoreError> {
    let mut stats = Stats::default();
    let row = c.query_one("SELECT count(*), min(published), max(published) FROM papers", &[])?;
    stats.papers = row.try_get::<_, i64>(0)?.max(0) as u64;
    stats.earliest_published = from_ts(row.try_get(1)?);
    stats.latest_published = from_ts(row.try_get(2)?);
    for row in c.query("SELECT source, count(*) FROM papers GROUP BY source", &[])? {
        stats.by_source.insert(row.try_get(0)?, row.try_get::<_, i64>(1)?.max(0) as u64);
    }
    for row in c.query("SELECT coalesce(primary_category, '(none)'), count(*) FROM papers GROUP BY 1", &[])? {
        stats.by_primary_category.insert(row.try_get(0)?, row.try_get::<_, i64>(1)?.max(0) as u64);
    }
    stats.database_bytes =
        c.query_one("SELECT pg_database_size(current_database())", &[])?.try_get::<_, i64>(0)?.max(0) as u64;
    Ok(stats)
}

/// Reads every row back and checks what the schema cannot (as SQLite's `check_rows`).
pub fn check_rows(c: &mut postgres::Client, report: &mut CheckReport) -> Result<(), StoreError> {
    let mut tx = c.transaction()?;
    let portal = tx.bind(&format!("SELECT {COLUMNS}, p.primary_category FROM papers p"), &[])?;
    loop {
        let rows = tx.query_portal(&portal, 2_000)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            report.papers_checked += 1;
            match read_row(row, 0) {
                Ok(p) => {
                    if p.title.trim().is_empty() {
                        report.problems.push(format!("paper {}: empty title", p.id));
                    }
                    let primary: Option<String> = row.try_get(18)?;
                    if primary.as_deref() != p.primary_category() {
                        report.problems.push(format!("paper {}: primary_category out of step", p.id));
                    }
                }
                Err(e) => report.problems.push(e.to_string()),
            }
        }
    }
    drop(portal);
    let dup_seq: i64 = tx.query_one("SELECT count(*) - count(DISTINCT seq) FROM papers", &[])?.try_get(0)?;
    if dup_seq != 0 {
        report.problems.push(format!("{dup_seq} papers share a change sequence number"));
    }
    Ok(())
}

/// The change feed after `after_seq`.
pub fn changed_since(
    c: &mut impl GenericClient,
    after_seq: u64,
    limit: usize,
) -> Result<Vec<ChangedPaper>, StoreError> {
    let rows = c.query(
        &format!("SELECT {COLUMNS}, p.pk, p.seq FROM papers p WHERE p.seq > $1 ORDER BY p.seq LIMIT $2"),
        &[&(after_seq as i64), &(limit as i64)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(ChangedPaper {
                key: row.try_get::<_, i64>(18)? as u64,
                seq: row.try_get::<_, i64>(19)? as u64,
                paper: read_row(row, 0)?,
            })
        })
        .collect()
}

/// The integer key of a paper.
pub fn key_of(c: &mut impl GenericClient, id: &PaperId) -> Result<Option<u64>, StoreError> {
    Ok(c.query_opt("SELECT pk FROM papers WHERE id = $1", &[&id.as_str()])?
        .map(|r| r.try_get::<_, i64>(0))
        .transpose()?
        .map(|k| k as u64))
}

/// Papers by key, in the order asked (one query; unknown keys left out).
pub fn by_keys(c: &mut impl GenericClient, keys: &[u64]) -> Result<Vec<(u64, Paper)>, StoreError> {
    let wanted: Vec<i64> = keys.iter().map(|&k| k as i64).collect();
    let rows = c.query(&format!("SELECT {COLUMNS}, p.pk FROM papers p WHERE p.pk = ANY($1)"), &[&wanted])?;
    let mut found = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        found.insert(row.try_get::<_, i64>(18)? as u64, read_row(row, 0)?);
    }
    Ok(keys.iter().filter_map(|k| found.get(k).map(|p| (*k, p.clone()))).collect())
}

/// The key of a paper, or [`StoreError::NotFound`].
pub fn paper_pk(c: &mut impl GenericClient, id: &PaperId) -> Result<i64, StoreError> {
    c.query_opt("SELECT pk FROM papers WHERE id = $1", &[&id.as_str()])?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound { what: format!("paper {id}") })
}
