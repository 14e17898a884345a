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
    (
        3,
        "accounts_feed_votes_comments",
        r#"
-- Accounts. Names are unique case-insensitively: `name` keeps the display form,
-- `name_lower` the form compared.
CREATE TABLE users (
    pk            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    name_lower    TEXT    NOT NULL UNIQUE,
    email         TEXT,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('user', 'admin')),
    created_at    INTEGER NOT NULL
);

-- Login sessions, keyed by a hash of the token (the token itself is never stored).
CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY,
    user_pk      INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_pk);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The daily feed: a paper on the feed of one date. submitted_by NULL: featured by an admin
-- (or the account is gone). Removed submissions are kept, with removed_at set.
CREATE TABLE submissions (
    pk           INTEGER PRIMARY KEY,
    paper_pk     INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    feed_date    TEXT    NOT NULL,  -- 'YYYY-MM-DD', UTC
    submitted_by INTEGER REFERENCES users (pk) ON DELETE SET NULL,
    featured     INTEGER NOT NULL DEFAULT 0 CHECK (featured IN (0, 1)),
    submitted_at INTEGER NOT NULL,
    removed_at   INTEGER,
    UNIQUE (paper_pk, feed_date)
);
CREATE INDEX submissions_feed_date ON submissions (feed_date) WHERE removed_at IS NULL;
CREATE INDEX submissions_by ON submissions (submitted_by, submitted_at);

CREATE TABLE upvotes (
    user_pk    INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    paper_pk   INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_pk, paper_pk)
) WITHOUT ROWID;
CREATE INDEX upvotes_paper ON upvotes (paper_pk);
CREATE INDEX upvotes_user_time ON upvotes (user_pk, created_at);

-- Comments. hidden: by an admin; deleted: by the author (body cleared). Only comments that
-- are neither count in paper_community.comment_count.
CREATE TABLE comments (
    pk         INTEGER PRIMARY KEY,
    paper_pk   INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    user_pk    INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    edited_at  INTEGER,
    hidden     INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
);
CREATE INDEX comments_paper ON comments (paper_pk, created_at);
CREATE INDEX comments_user ON comments (user_pk, created_at);
"#,
    ),
    (
        4,
        "api_tokens",
        r#"
-- Personal API tokens, keyed by a hash of the secret (the secret itself is never stored).
-- Revoking deletes the row.
CREATE TABLE api_tokens (
    pk           INTEGER PRIMARY KEY,
    user_pk      INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    scope        TEXT    NOT NULL CHECK (scope IN ('read', 'write')),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_pk);
"#,
    ),
    (
        5,
        "subscriptions_outbox",
        r#"
-- Email subscriptions. email_lower is unique: one subscription per address.
CREATE TABLE subscriptions (
    pk              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL,
    email_lower     TEXT    NOT NULL UNIQUE,
    user_pk         INTEGER REFERENCES users (pk) ON DELETE SET NULL,
    frequency       TEXT    NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    topics          TEXT    NOT NULL,  -- JSON (papertide_core::Topics)
    confirmed_at    INTEGER,
    unsubscribed_at INTEGER,
    disabled_at     INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE INDEX subscriptions_user ON subscriptions (user_pk);

-- The outbox: one row per subscription, kind and period, built once (the UNIQUE constraint
-- makes a rerun of a digest build idempotent), then sent with retries.
CREATE TABLE outbox (
    pk              INTEGER PRIMARY KEY,
    subscription_pk INTEGER NOT NULL REFERENCES subscriptions (pk) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    message         TEXT    NOT NULL,  -- the rendered mail, JSON
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    UNIQUE (subscription_pk, kind, period)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
"#,
    ),
    (
        6,
        "library_dismissals",
        r#"
-- A user's library: papers saved under tags, one row per user, paper and tag.
CREATE TABLE library (
    user_pk    INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    paper_pk   INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    tag        TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_pk, paper_pk, tag)
) WITHOUT ROWID;
CREATE INDEX library_by_tag ON library (user_pk, tag, created_at);

-- "Not interested" clicks: papers a user does not want recommended (and like which they want
-- fewer), one row per user and paper.
CREATE TABLE dismissals (
    user_pk    INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    paper_pk   INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_pk, paper_pk)
) WITHOUT ROWID;
"#,
    ),
    (
        7,
        "leases",
        r#"
-- Named leases: which process runs a singleton job (the digest scheduler, the embedder)
-- until when. A holder renews before expiry; another takes over once it has expired.
CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
"#,
    ),
    (
        8,
        "rate_limits",
        r#"
-- Rate limits shared by every replica: hits per action and key in the current fixed window
-- (unix seconds of its start).
CREATE TABLE rate_limits (
    action       TEXT   NOT NULL,
    key          TEXT   NOT NULL,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    PRIMARY KEY (action, key)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
"#,
    ),
    (
        9,
        "embeddings_by_time",
        r#"
-- Replicas pick up embeddings stored by another process by time (Store::embeddings_since).
CREATE INDEX embeddings_created ON embeddings (model, created_at);
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
