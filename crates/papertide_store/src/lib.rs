//! Persistence for papertide: the [`Store`] trait and its SQLite and PostgreSQL
//! implementations.
//!
//! - [`Store`] is what every caller uses (the CLI, later the web app and search indexer).
//!   It is synchronous; async callers run it on a blocking thread.
//! - [`SqliteStore`] ([`sqlite`]) is the embedded default: one file in the data directory,
//!   WAL mode, foreign keys on, versioned migrations ([`sqlite::migrations`]).
//! - Writes come in batches ([`Store::upsert_papers`]), one transaction each: an interrupted
//!   import keeps every committed batch, and re-running it is idempotent because records are
//!   merged with [`papertide_core::Paper::merge`].
//!
//! - The web app's data (accounts, sessions, the daily feed, upvotes, comments) sits behind
//!   the same trait; the domain types are in `papertide_core` ([`papertide_core::user`],
//!   [`papertide_core::feed`], [`papertide_core::comment`]). Upvote and comment counts are
//!   kept in `paper_community` ([`Store::community`]), recomputed from the `upvotes` and
//!   `comments` tables in the same transaction as every write that changes them.
//!
//! - [`PgStore`] ([`postgres`]) is the same store on PostgreSQL, for several web replicas
//!   over one database; the store test suite runs against both. Singleton jobs across
//!   processes take a [`lease::Lease`].

mod codec;
mod feed_page;
pub mod lease;
pub mod migrate;
pub mod postgres;
pub mod sqlite;
mod types;

pub use self::postgres::PgStore;
pub use sqlite::SqliteStore;
pub use types::{
    ChangedPaper, CheckReport, LibraryItem, Stats, SubmittedPaper, UpsertStats, UpvotedPaper, UserActivity,
};

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use papertide_core::{
    ApiToken, Comment, CommentBody, CommentId, Community, FeedPage, FeedQuery, Frequency, OutboxEntry, Paper, PaperId,
    Role, Session, Signal, SubmitOutcome, Subscription, SubscriptionId, Tag, TokenId, TokenScope, Topics, User, UserId,
    UserName,
};

/// A SQLite error as a person should read it: a full disk or a failed write said plainly,
/// the rest as SQLite words it (without repeating itself).
fn describe_sqlite(e: &rusqlite::Error) -> String {
    use rusqlite::ffi::ErrorCode;
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::DiskFull => {
            "the disk is full (free some space; every committed batch is kept, and the command can be run again)"
                .to_string()
        }
        rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_IOERR_WRITE => {
            "writing to the disk failed (disk full, quota or file size limit?; every committed batch is kept, and \
             the command can be run again)"
                .to_string()
        }
        rusqlite::Error::SqliteFailure(f, Some(message)) if message == &f.to_string() => message.clone(),
        other => other.to_string(),
    }
}

/// A PostgreSQL error as a person should read it: the server's own message (with its detail
/// and the constraint or table it names), or that the connection was lost.
fn describe_postgres(e: &::postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut text = db.message().to_string();
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        return text;
    }
    if e.is_closed() {
        return "the connection to PostgreSQL was lost (is the server running?)".to_string();
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error (a full disk is said so).
    #[error("database error: {}", describe_sqlite(.0))]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error, or the connection to it failed.
    #[error("database error: {}", describe_postgres(.0))]
    Postgres(#[from] ::postgres::Error),
    /// The database URL could not be read.
    #[error("bad database URL: {reason}")]
    BadUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The database server could not be reached when opening the store.
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect {
        /// `user@host:port/dbname` (never the password).
        target: String,
        /// The cause.
        reason: String,
    },
    /// Every database connection stayed in use for too long (the server is overloaded or
    /// `max_connections` is too low).
    #[error("no database connection became free within {waited_secs} s")]
    Busy {
        /// How long the caller waited.
        waited_secs: u64,
    },
    /// A stored row could not be turned back into a paper.
    #[error("stored paper {id} is corrupt: {reason}")]
    Corrupt {
        /// The row's id.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database was written by a newer papertide.
    #[error(
        "the database schema is version {found}, newer than this papertide understands ({known}); upgrade papertide"
    )]
    SchemaTooNew {
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The data directory or database file could not be created or opened.
    #[error("cannot open the database at {path}: {source}")]
    Open {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A callback passed to the store asked to stop.
    #[error("{0}")]
    Callback(String),
    /// A stored row other than a paper (a user, comment or submission) could not be read back.
    #[error("stored {what} is corrupt: {reason}")]
    CorruptRecord {
        /// Which row, e.g. `user 7`.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Something the operation needs does not exist (an unknown paper, user or comment).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `paper 2401.01234`.
        what: String,
    },
    /// The write would break a uniqueness rule, e.g. a user name that is taken
    /// (case-insensitively) or a session token hash that is already in use.
    #[error("{what} already exists")]
    Conflict {
        /// What is taken, e.g. `user name ada`.
        what: String,
    },
    /// The user may not do this, e.g. edit another user's comment.
    #[error("forbidden: {what}")]
    Forbidden {
        /// What was refused and why.
        what: String,
    },
}

impl StoreError {
    /// True when the database could not be reached or is shutting down or busy (a PostgreSQL
    /// restart, a lost connection, every connection in use): the request can be retried
    /// shortly, and says so (HTTP 503) rather than reporting an internal error.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Busy { .. } | StoreError::Connect { .. } => true,
            StoreError::Postgres(e) => match e.as_db_error() {
                // Class 57: operator intervention (admin shutdown, cannot connect now).
                Some(db) => db.code().code().starts_with("57"),
                // Lost or refused connections (not, say, a column of an unexpected type).
                None => e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
            },
            _ => false,
        }
    }
}

/// The paper store. Implementations must be safe to share between threads.
pub trait Store: Send + Sync {
    /// Inserts new papers and merges known ones ([`Paper::merge`]), all in one transaction.
    /// Community data is never touched.
    fn upsert_papers(&self, papers: &[Paper]) -> Result<UpsertStats, StoreError>;

    /// One paper by id.
    fn paper(&self, id: &PaperId) -> Result<Option<Paper>, StoreError>;

    /// The community data of a paper (all zero for papers nobody submitted).
    fn community(&self, id: &PaperId) -> Result<Community, StoreError>;

    /// Number of papers.
    fn count_papers(&self) -> Result<u64, StoreError>;

    /// Counts by source and primary category, date range and size on disk.
    fn stats(&self) -> Result<Stats, StoreError>;

    /// Calls `f` with every paper in id order (streaming; memory stays flat).
    fn for_each_paper(&self, f: &mut dyn FnMut(Paper) -> Result<(), StoreError>) -> Result<(), StoreError>;

    /// Checks the database: storage integrity, foreign keys, and that every row reads back.
    fn check(&self) -> Result<CheckReport, StoreError>;

    /// Reads a small piece of named state (harvest checkpoints and the like).
    fn get_state(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Writes a small piece of named state.
    fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// The change feed: papers inserted or updated after change number `after_seq`, oldest
    /// change first, at most `limit`. Search indexes follow it to stay current.
    fn papers_changed_since(&self, after_seq: u64, limit: usize) -> Result<Vec<ChangedPaper>, StoreError>;

    /// The newest change number (0 for an empty store).
    fn max_seq(&self) -> Result<u64, StoreError>;

    /// The integer key of a paper (stable for its lifetime; indexes refer to papers by it).
    fn key_of(&self, id: &PaperId) -> Result<Option<u64>, StoreError>;

    /// Papers by integer key, in the order asked; unknown keys are left out.
    fn papers_by_keys(&self, keys: &[u64]) -> Result<Vec<(u64, Paper)>, StoreError>;

    /// Stores embeddings (key, vector) computed with `model`, replacing older ones.
    fn put_embeddings(&self, model: &str, items: &[(u64, Vec<f32>)]) -> Result<(), StoreError>;

    /// One paper's embedding with `model`.
    fn embedding(&self, model: &str, key: u64) -> Result<Option<Vec<f32>>, StoreError>;

    /// Calls `f` with every stored embedding of `model`, in key order.
    fn for_each_embedding(
        &self,
        model: &str,
        f: &mut dyn FnMut(u64, Vec<f32>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Papers with no embedding for `model` (the backlog), with key above `after_key`, in key
    /// order, at most `limit`.
    fn papers_without_embedding(
        &self,
        model: &str,
        after_key: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Paper)>, StoreError>;

    /// Number of papers with no embedding for `model`.
    fn embedding_backlog(&self, model: &str) -> Result<u64, StoreError>;

    /// Embeddings of `model` stored at or after `since` (unix seconds), as (key, stored at,
    /// vector), oldest first: how a replica picks up vectors another process computed.
    fn embeddings_since(&self, model: &str, since: i64) -> Result<Vec<(u64, i64, Vec<f32>)>, StoreError>;

    // --- accounts (see `sqlite::users`) ---

    /// Creates an account. A name taken case-insensitively is [`StoreError::Conflict`].
    fn create_user(
        &self,
        name: &UserName,
        email: Option<&str>,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError>;

    /// One user by key.
    fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;

    /// One user by name (case-insensitive).
    fn user_by_name(&self, name: &UserName) -> Result<Option<User>, StoreError>;

    /// A user and their password hash, for logging in.
    fn password_hash_of(&self, name: &UserName) -> Result<Option<(User, String)>, StoreError>;

    /// Replaces a user's password hash ([`StoreError::NotFound`] for an unknown user).
    fn set_password_hash(&self, user: UserId, password_hash: &str) -> Result<(), StoreError>;

    /// Replaces a user's password hash only while it is still `expected`, and ends all of the
    /// user's sessions in the same transaction (a password reset: each link works once, and
    /// whoever was signed in with the old password is signed out). False, with nothing
    /// changed, when the hash is no longer `expected` or the user is gone.
    fn replace_password_hash(&self, user: UserId, expected: &str, new: &str) -> Result<bool, StoreError>;

    /// Changes a user's role ([`StoreError::NotFound`] for an unknown user).
    fn set_role(&self, user: UserId, role: Role) -> Result<(), StoreError>;

    /// Number of accounts.
    fn count_users(&self) -> Result<u64, StoreError>;

    // --- sessions (see `sqlite::users`); the store only ever sees a hash of the token ---

    /// Records a session. A token hash already in use is [`StoreError::Conflict`], an unknown
    /// user [`StoreError::NotFound`].
    fn create_session(
        &self,
        token_hash: &[u8],
        user: UserId,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The live session with this token hash and its user; `None` when unknown or expired
    /// (`expires_at <= now`). Records `now` as last seen, at most once a minute.
    fn session(&self, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<(User, Session)>, StoreError>;

    /// Ends one session (logging out); false when there was none.
    fn delete_session(&self, token_hash: &[u8]) -> Result<bool, StoreError>;

    /// Ends every session of a user (password change); returns how many.
    fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError>;

    /// Deletes expired sessions; returns how many.
    fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;

    // --- personal API tokens (see `sqlite::tokens`); the store only sees a hash ---

    /// Records a token of `user`. An unknown user is [`StoreError::NotFound`], a token hash
    /// already in use [`StoreError::Conflict`].
    fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &[u8],
        hint: &str,
        scope: TokenScope,
        now: DateTime<Utc>,
    ) -> Result<ApiToken, StoreError>;

    /// The token with this hash and its owner; `None` when unknown (or revoked). Records `now`
    /// as last used, at most once a minute.
    fn api_token(&self, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<(User, ApiToken)>, StoreError>;

    /// A user's tokens, newest first.
    fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes (deletes) one of a user's tokens; false when the user has no such token.
    fn revoke_api_token(&self, user: UserId, id: TokenId) -> Result<bool, StoreError>;

    // --- email subscriptions and the outbox (see `sqlite::mail`) ---

    /// Subscribes `email` (compared lowercased), or updates the address's subscription; one
    /// that had unsubscribed or was disabled starts over unconfirmed. Returns it and whether it
    /// needs (re)confirmation. An unknown user is [`StoreError::NotFound`].
    fn subscribe(
        &self,
        email: &str,
        user: Option<UserId>,
        frequency: Frequency,
        topics: &Topics,
        now: DateTime<Utc>,
    ) -> Result<(Subscription, bool), StoreError>;

    /// One subscription by key.
    fn subscription(&self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError>;

    /// Subscriptions of a user, in key order.
    fn subscriptions_of(&self, user: UserId) -> Result<Vec<Subscription>, StoreError>;

    /// Confirmed, not unsubscribed, not disabled subscriptions of `frequency`, in key order.
    fn active_subscriptions(&self, frequency: Frequency) -> Result<Vec<Subscription>, StoreError>;

    /// Confirms a subscription; false when unknown or already confirmed.
    fn confirm_subscription(&self, id: SubscriptionId, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Unsubscribes; false when unknown or already unsubscribed.
    fn unsubscribe(&self, id: SubscriptionId, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Adds a message to the outbox unless one exists for this subscription, kind and period;
    /// true when added.
    fn enqueue_mail(
        &self,
        subscription: SubscriptionId,
        kind: &str,
        period: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Whether the outbox has a message for this subscription, kind and period.
    fn has_mail(&self, subscription: SubscriptionId, kind: &str, period: &str) -> Result<bool, StoreError>;

    /// Claims up to `limit` due messages for sending (each `sending`, one more attempt, held
    /// until `lease_until`; a sender that dies leaves them due again then). Digests of
    /// subscriptions no longer active are failed instead.
    fn claim_due_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Records that a message was accepted by the SMTP server.
    fn mark_mail_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Records a failed attempt: retried at `retry_at`, or (none) failed for good, which
    /// counts against the subscription and disables it at `disable_after` failures in a row
    /// (returns true when it did).
    fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        disable_after: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// A subscription's outbox, oldest first.
    fn outbox_of(&self, subscription: SubscriptionId) -> Result<Vec<OutboxEntry>, StoreError>;

    // --- the daily feed (see `sqlite::feed`) ---

    /// Puts a paper on the feed of `date`, submitted by `by` (`None`: featured by an admin).
    /// A paper already there is [`SubmitOutcome::AlreadyOnFeed`]; one removed from that date
    /// comes back. An unknown paper or user is [`StoreError::NotFound`].
    fn submit(
        &self,
        paper: &PaperId,
        date: NaiveDate,
        by: Option<UserId>,
        featured: bool,
        now: DateTime<Utc>,
    ) -> Result<SubmitOutcome, StoreError>;

    /// Takes a paper off the feed of `date` (kept, marked removed); false when it was not on it.
    fn remove_submission(&self, paper: &PaperId, date: NaiveDate, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// One page of the feed. `now` is the reference time of trending scores on a first page
    /// (later pages use the time kept in their cursor).
    fn feed(&self, query: &FeedQuery, now: DateTime<Utc>) -> Result<FeedPage, StoreError>;

    /// The nearest feed dates before and after `date` that have papers (for navigation).
    fn feed_dates_around(&self, date: NaiveDate) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError>;

    // --- upvotes (see `sqlite::votes`) ---

    /// Upvotes a paper; false when the user already had. Unknown paper or user:
    /// [`StoreError::NotFound`].
    fn upvote(&self, user: UserId, paper: &PaperId, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Takes an upvote back; false when there was none.
    fn remove_upvote(&self, user: UserId, paper: &PaperId) -> Result<bool, StoreError>;

    /// Which of `papers` the user has upvoted (for rendering many cards at once).
    fn has_upvoted(&self, user: UserId, papers: &[PaperId]) -> Result<HashSet<PaperId>, StoreError>;

    // --- comments (see `sqlite::comments`) ---

    /// Adds a comment. Unknown paper or user: [`StoreError::NotFound`].
    fn add_comment(
        &self,
        user: UserId,
        paper: &PaperId,
        body: &CommentBody,
        now: DateTime<Utc>,
    ) -> Result<Comment, StoreError>;

    /// One comment by key.
    fn comment(&self, id: CommentId) -> Result<Option<Comment>, StoreError>;

    /// Replaces a comment's body. Only its author may ([`StoreError::Forbidden`]), and not
    /// once it is deleted; an unknown comment is [`StoreError::NotFound`].
    fn edit_comment(
        &self,
        id: CommentId,
        by: UserId,
        body: &CommentBody,
        now: DateTime<Utc>,
    ) -> Result<Comment, StoreError>;

    /// Deletes a comment (by its author only, else [`StoreError::Forbidden`]): the row stays,
    /// flagged, with its body cleared.
    fn delete_comment(&self, id: CommentId, by: UserId) -> Result<(), StoreError>;

    /// Hides or shows a comment (admins; the caller checks the role).
    fn set_comment_hidden(&self, id: CommentId, hidden: bool) -> Result<(), StoreError>;

    /// Every comment on a paper, oldest first, hidden and deleted ones included and flagged.
    fn comments(&self, paper: &PaperId) -> Result<Vec<Comment>, StoreError>;

    /// A user's recent submissions, upvotes and visible comments, newest first, at most
    /// `limit` of each (the profile page). Unknown user: [`StoreError::NotFound`].
    fn user_activity(&self, user: UserId, limit: usize) -> Result<UserActivity, StoreError>;

    // Library and taste signals (`sqlite/library.rs`).

    /// Saves `paper` in `user`'s library under `tag`; false when it was there already.
    /// Unknown user or paper: [`StoreError::NotFound`].
    fn tag_paper(&self, user: UserId, paper: &PaperId, tag: &Tag, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Takes `paper` out of `tag` (out of the whole library when `None`); false when it was
    /// not there.
    fn untag_paper(&self, user: UserId, paper: &PaperId, tag: Option<&Tag>) -> Result<bool, StoreError>;

    /// `user`'s saved papers, newest first, one item per paper and tag (only `tag`'s when
    /// given), at most `limit`.
    fn library(&self, user: UserId, tag: Option<&Tag>, limit: usize) -> Result<Vec<LibraryItem>, StoreError>;

    /// What `user` did with one paper: the tags it is saved under (by name) and whether they
    /// marked it "not interested" (for its page). Unknown paper: nothing.
    fn paper_marks(&self, user: UserId, paper: &PaperId) -> Result<(Vec<Tag>, bool), StoreError>;

    /// `user`'s tags with the number of papers in each, by name.
    fn library_tags(&self, user: UserId) -> Result<Vec<(Tag, u64)>, StoreError>;

    /// Marks `paper` "not interested" for `user` (`on`), or takes that back; false when
    /// nothing changed. Unknown user or paper: [`StoreError::NotFound`].
    fn set_not_interested(
        &self,
        user: UserId,
        paper: &PaperId,
        on: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// What "For you" learns from: `user`'s upvotes, saved papers (once each) and "not
    /// interested" clicks, newest first within each kind, at most `limit` of each.
    fn signals(&self, user: UserId, limit: usize) -> Result<Vec<Signal>, StoreError>;

    // Leases (`sqlite/mod.rs`, `postgres/store.rs`): singleton jobs across processes.

    /// Takes or renews the lease `name` for `holder` until `now + ttl`: true when `holder` has
    /// it now (it was free, expired, or already `holder`'s), false when another holds it.
    fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError>;

    /// Gives the lease `name` up if `holder` has it.
    fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;

    /// Counts one `action` by `key` (an IP address, a user) in the fixed window that started
    /// at `window_start` and returns the hits in it so far, this one included: rate limits
    /// shared by every replica. Windows an hour older than this one are swept now and then.
    fn rate_limit_hit(&self, action: &str, key: &str, window_start: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// SQL of [`Store::try_lease`] (both backends; SQLite takes `$n` as `?n`): take the lease
/// when it is free, expired or already the holder's.
pub(crate) const LEASE_UPSERT: &str = "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE leases.holder = excluded.holder OR leases.expires_at <= $4";

/// SQL of [`Store::replace_password_hash`] (both backends; SQLite takes `$n` as `?n`): the
/// new hash `$3`, only while the stored one is still `$2`.
pub(crate) const PASSWORD_REPLACE: &str = "UPDATE users SET password_hash = $3 WHERE pk = $1 AND password_hash = $2";

/// SQL of [`Store::delete_user_sessions`], also run by [`Store::replace_password_hash`] (both
/// backends).
pub(crate) const USER_SESSIONS_DELETE: &str = "DELETE FROM sessions WHERE user_pk = $1";

/// SQL of [`Store::release_lease`] (both backends).
pub(crate) const LEASE_RELEASE: &str = "DELETE FROM leases WHERE name = $1 AND holder = $2";

/// SQL of [`Store::rate_limit_hit`] (both backends): start the window or count in it.
pub(crate) const RATE_LIMIT_UPSERT: &str =
    "INSERT INTO rate_limits (action, key, window_start, hits) VALUES ($1, $2, $3, 1)
     ON CONFLICT (action, key) DO UPDATE SET
         hits = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + 1 ELSE 1 END,
         window_start = excluded.window_start
     RETURNING hits";

/// True about once in 256 calls: when to sweep old rate-limit windows.
pub(crate) fn sweep_now() -> bool {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos()
        .is_multiple_of(256)
}

/// Runs a [`FeedQuery`] against a store: `query.list(&store, now)` is `store.feed(&query, now)`.
pub trait FeedQueryExt {
    /// One page of the feed.
    fn list(&self, store: &dyn Store, now: DateTime<Utc>) -> Result<FeedPage, StoreError>;
}

impl FeedQueryExt for FeedQuery {
    fn list(&self, store: &dyn Store, now: DateTime<Utc>) -> Result<FeedPage, StoreError> {
        store.feed(self, now)
    }
}
