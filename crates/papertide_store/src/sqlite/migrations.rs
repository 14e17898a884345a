//! Versioned schema migrations for SQLite. Each migration runs once, in its own transaction,
//! and is recorded in `schema_migrations`. Never edit a released migration: add a new one.

use rusqlite::{params, Connection};

use crate::StoreError;

/// `(version, name, sql)`, in order.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "papers",
        r#"
CREATE TABLE papers (
    pk               INTEGER PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    title            TEXT    NOT NULL,
    abstract         TEXT    NOT NULL,
    authors          TEXT    NOT NULL,  -- names joined by U+001F
    categories       TEXT    NOT NULL,  -- space separated, primary first
    primary_category TEXT,
    published        INTEGER,           -- unix seconds, UTC
    updated          INTEGER,
    version          INTEGER NOT NULL CHECK (version >= 1),
    comment          TEXT,
    journal_ref      TEXT,
    doi              TEXT,
    report_no        TEXT,
    license          TEXT,
    link_abs         TEXT,
    link_pdf         TEXT,
    link_code        TEXT,
    link_project     TEXT,
    source           TEXT    NOT NULL,
    imported_at      INTEGER NOT NULL,
    changed_at       INTEGER NOT NULL,
    seq              INTEGER NOT NULL   -- change feed: grows on every insert or update
);
CREATE INDEX papers_primary_category ON papers (primary_category);
CREATE INDEX papers_published ON papers (published);
CREATE INDEX papers_seq ON papers (seq);

CREATE TABLE paper_community (
    paper_pk      INTEGER PRIMARY KEY REFERENCES papers (pk) ON DELETE CASCADE,
    submitted_at  INTEGER,
    submitted_by  TEXT,
    upvotes       INTEGER NOT NULL DEFAULT 0,
    comment_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
"#,
    ),
    (
        2,
        "embeddings",
        r#"
-- One vector per paper and model, for the paper's current title and abstract: rows are
-- deleted when either changes, so "papers without a row" is the embedding backlog.
CREATE TABLE embeddings (
    paper_pk   INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    model      TEXT    NOT NULL,
    dim        INTEGER NOT NULL CHECK (dim > 0),
    vector     BLOB    NOT NULL,   -- dim little-endian f32 values
    created_at INTEGER NOT NULL,
    PRIMARY KEY (model, paper_pk)
) WITHOUT ROWID;
"#,
    ),
];

/// The newest schema version this build knows.
pub fn latest() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// Brings the database up to the newest schema.
pub fn run(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at INTEGER NOT NULL
        );",
    )?;
    let current: i64 = conn.query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
    if current > latest() {
        return Err(StoreError::SchemaTooNew { found: current, known: latest() });
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![version, name, chrono::Utc::now().timestamp()],
        )?;
        tx.commit()?;
        tracing::info!(schema.version = version, schema.name = name, "applied migration");
    }
    Ok(())
}
