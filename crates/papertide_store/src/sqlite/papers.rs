//! Paper rows: mapping between [`Paper`] and the `papers` table, the batched upsert, reads,
//! statistics and row-level checks.

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension, Row};

pub(super) use crate::codec::{at, from_ts};
use crate::codec::{ts, AUTHOR_SEP};
use crate::{ChangedPaper, CheckReport, Stats, StoreError, UpsertStats};
use papertide_core::{Community, Links, MergeOutcome, Paper, PaperId, Source};

pub(super) const COLUMNS: &str = "id, title, abstract, authors, categories, published, updated, version, comment, \
     journal_ref, doi, report_no, license, link_abs, link_pdf, link_code, link_project, source";

fn corrupt(id: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt { id: id.to_string(), reason: reason.into() }
}

/// Reads a row selected with [`COLUMNS`].
pub(super) fn read_row(row: &Row<'_>) -> Result<Paper, StoreError> {
    let id: String = row.get(0)?;
    let paper_id: PaperId = id.parse().map_err(|e| corrupt(&id, format!("bad id: {e}")))?;
    let authors: String = row.get(3)?;
    let categories: String = row.get(4)?;
    let version: i64 = row.get(7)?;
    let source: String = row.get(17)?;
    Ok(Paper {
        id: paper_id,
        title: row.get(1)?,
        abstract_text: row.get(2)?,
        authors: if authors.is_empty() { Vec::new() } else { authors.split(AUTHOR_SEP).map(str::to_string).collect() },
        categories: categories.split_whitespace().map(str::to_string).collect(),
        published: from_ts(row.get(5)?),
        updated: from_ts(row.get(6)?),
        version: u32::try_from(version).map_err(|_| corrupt(&id, format!("bad version {version}")))?,
        comment: row.get(8)?,
        journal_ref: row.get(9)?,
        doi: row.get(10)?,
        report_no: row.get(11)?,
        license: row.get(12)?,
        links: Links { abs: row.get(13)?, pdf: row.get(14)?, code: row.get(15)?, project: row.get(16)? },
        source: Source::parse(&source).ok_or_else(|| corrupt(&id, format!("unknown source {source:?}")))?,
    })
}

/// Inserts or merges a batch in one transaction.
pub fn upsert(conn: &mut Connection, batch: &[Paper]) -> Result<UpsertStats, StoreError> {
    let mut stats = UpsertStats::default();
    let now = Utc::now().timestamp();
    let tx = conn.transaction()?;
    {
        let mut seq: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM papers", [], |r| r.get(0))?;
        let mut select = tx.prepare_cached(&format!("SELECT {COLUMNS} FROM papers WHERE id = ?1"))?;
        let mut insert = tx.prepare_cached(&format!(
            "INSERT INTO papers ({COLUMNS}, primary_category, imported_at, changed_at, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?20, ?21)
             ON CONFLICT (id) DO NOTHING"
        ))?;
        let mut update = tx.prepare_cached(
            "UPDATE papers SET title = ?2, abstract = ?3, authors = ?4, categories = ?5, published = ?6,
                 updated = ?7, version = ?8, comment = ?9, journal_ref = ?10, doi = ?11, report_no = ?12,
                 license = ?13, link_abs = ?14, link_pdf = ?15, link_code = ?16, link_project = ?17,
                 primary_category = ?19, changed_at = ?20, seq = ?21
             WHERE id = ?1",
        )?;
        let mut drop_embeddings =
            tx.prepare_cached("DELETE FROM embeddings WHERE paper_pk = (SELECT pk FROM papers WHERE id = ?1)")?;
        for paper in batch {
            // Most imports are of new papers: try the insert first, merge only on conflict.
            if bind_and_run(&mut insert, paper, now, seq + 1)? == 1 {
                seq += 1;
                stats.inserted += 1;
                continue;
            }
            let stored = select
                .query_row([paper.id.as_str()], |r| Ok(read_row(r)))?
                .map_err(|e| corrupt(paper.id.as_str(), format!("unreadable while merging: {e}")))?;
            match stored.merge(paper) {
                MergeOutcome::Unchanged => stats.unchanged += 1,
                MergeOutcome::Stale => stats.stale += 1,
                MergeOutcome::Updated(merged) => {
                    seq += 1;
                    bind_and_run(&mut update, &merged, now, seq)?;
                    if merged.title != stored.title || merged.abstract_text != stored.abstract_text {
                        // The text changed: its embeddings are stale and join the backlog.
                        drop_embeddings.execute([paper.id.as_str()])?;
                    }
                    stats.updated += 1;
                }
            }
        }
    }
    tx.commit()?;
    Ok(stats)
}

/// Binds a paper to the insert or update statement and runs it; returns the rows changed.
fn bind_and_run(stmt: &mut rusqlite::CachedStatement<'_>, p: &Paper, now: i64, seq: i64) -> Result<usize, StoreError> {
    let authors = p.authors.join(&AUTHOR_SEP.to_string());
    let categories = p.categories.join(" ");
    let changed = stmt.execute(params![
        p.id.as_str(),
        p.title,
        p.abstract_text,
        authors,
        categories,
        ts(p.published),
        ts(p.updated),
        p.version,
        p.comment,
        p.journal_ref,
        p.doi,
        p.report_no,
        p.license,
        p.links.abs,
        p.links.pdf,
        p.links.code,
        p.links.project,
        p.source.as_str(),
        p.primary_category(),
        now,
        seq,
    ])?;
    Ok(changed)
}

/// One paper by id.
pub fn get(conn: &Connection, id: &PaperId) -> Result<Option<Paper>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM papers WHERE id = ?1"))?;
    stmt.query_row([id.as_str()], |r| Ok(read_row(r))).optional()?.transpose()
}

/// Community data of a paper.
pub fn community(conn: &Connection, id: &PaperId) -> Result<Community, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.submitted_at, c.submitted_by, c.upvotes, c.comment_count
         FROM paper_community c JOIN papers p ON p.pk = c.paper_pk WHERE p.id = ?1",
    )?;
    let found = stmt
        .query_row([id.as_str()], |r| {
            Ok(Community {
                submitted_at: from_ts(r.get(0)?),
                submitted_by: r.get(1)?,
                upvotes: r.get(2)?,
                comment_count: r.get(3)?,
            })
        })
        .optional()?;
    Ok(found.unwrap_or_default())
}

/// Every paper in id order.
pub fn for_each(conn: &Connection, f: &mut dyn FnMut(Paper) -> Result<(), StoreError>) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM papers ORDER BY id"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        f(read_row(row)?)?;
    }
    Ok(())
}

/// Counts for `papertide stats`.
pub fn stats(conn: &Connection) -> Result<Stats, StoreError> {
    let mut stats = Stats::default();
    let (count, min, max): (i64, Option<i64>, Option<i64>) =
        conn.query_row("SELECT count(*), min(published), max(published) FROM papers", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    stats.papers = count as u64;
    stats.earliest_published = from_ts(min);
    stats.latest_published = from_ts(max);
    let mut stmt = conn.prepare("SELECT source, count(*) FROM papers GROUP BY source")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (k, v) = row?;
        stats.by_source.insert(k, v as u64);
    }
    let mut stmt = conn.prepare("SELECT coalesce(primary_category, '(none)'), count(*) FROM papers GROUP BY 1")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (k, v) = row?;
        stats.by_primary_category.insert(k, v as u64);
    }
    Ok(stats)
}

/// Reads every row back and checks what the schema cannot: ids parse, titles are present,
/// the primary category column agrees with the categories, and seq values are unique.
pub fn check_rows(conn: &Connection, report: &mut CheckReport) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS}, primary_category FROM papers"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        report.papers_checked += 1;
        match read_row(row) {
            Ok(p) => {
                if p.title.trim().is_empty() {
                    report.problems.push(format!("paper {}: empty title", p.id));
                }
                let primary: Option<String> = row.get(18)?;
                if primary.as_deref() != p.primary_category() {
                    report.problems.push(format!("paper {}: primary_category out of step", p.id));
                }
            }
            Err(e) => report.problems.push(e.to_string()),
        }
    }
    let dup_seq: i64 = conn.query_row("SELECT count(*) - count(DISTINCT seq) FROM papers", [], |r| r.get(0))?;
    if dup_seq != 0 {
        report.problems.push(format!("{dup_seq} papers share a change sequence number"));
    }
    Ok(())
}

/// The change feed after `after_seq`.
pub fn changed_since(conn: &Connection, after_seq: u64, limit: usize) -> Result<Vec<ChangedPaper>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS}, pk, seq FROM papers WHERE seq > ?1 ORDER BY seq LIMIT ?2"))?;
    let mut rows = stmt.query(params![after_seq as i64, limit as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(ChangedPaper {
            key: row.get::<_, i64>(18)? as u64,
            seq: row.get::<_, i64>(19)? as u64,
            paper: read_row(row)?,
        });
    }
    Ok(out)
}

/// The integer key of a paper.
pub fn key_of(conn: &Connection, id: &PaperId) -> Result<Option<u64>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT pk FROM papers WHERE id = ?1")?;
    Ok(stmt.query_row([id.as_str()], |r| r.get::<_, i64>(0)).optional()?.map(|k| k as u64))
}

/// Papers by key, in the order asked.
pub fn by_keys(conn: &Connection, keys: &[u64]) -> Result<Vec<(u64, Paper)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM papers WHERE pk = ?1"))?;
    let mut out = Vec::with_capacity(keys.len());
    for &key in keys {
        if let Some(p) = stmt.query_row([key as i64], |r| Ok(read_row(r))).optional()? {
            out.push((key, p?));
        }
    }
    Ok(out)
}
