//! The SQLite [`Store`](crate::Store): [`SqliteStore`].
//!
//! One writer connection behind a mutex and a small pool of reader connections (WAL lets
//! readers run beside the writer). Row mapping and the upsert live in [`papers`], schema
//! changes in [`migrations`]. The web app's tables: accounts and sessions in [`users`], the
//! daily feed in [`feed`], upvotes in [`votes`], comments in [`comments`], the profile page
//! in [`activity`], online backups in [`backup`], the library and taste signals in [`library`], and the `paper_community` counters they keep in step in [`community`].

mod activity;
mod backup;
mod comments;
mod community;
mod embeddings;
mod feed;
mod library;
mod mail;
pub mod migrations;
mod papers;
mod tokens;
mod users;
mod votes;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::{ChangedPaper, CheckReport, LibraryItem, Stats, Store, StoreError, UpsertStats, UserActivity};
use papertide_core::{
    ApiToken, Comment, CommentBody, CommentId, Community, FeedPage, FeedQuery, Frequency, OutboxEntry, Paper, PaperId,
    Role, Session, Signal, SubmitOutcome, Subscription, SubscriptionId, Tag, TokenId, TokenScope, Topics, User, UserId,
    UserName,
};
use users::UserColumn;

pub use backup::{restore_backup, verify_backup, BackupInfo};

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "papertide.db";

/// Most idle reader connections kept open (a busy web server has one reader per concurrent
/// request; opening a connection costs more than a feed query).
const MAX_IDLE_READERS: usize = 32;

/// The SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -65536;",
    )?;
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves a connection that is still usable: SQLite rolls
    // back any open transaction when the next statement starts one.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and migrates it.
    pub fn open_dir(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::Open { path: data_dir.display().to_string(), source })?;
        Self::open(&data_dir.join(DB_FILE))
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        migrations::run(&mut writer)?;
        Ok(SqliteStore { path: path.to_path_buf(), writer: Mutex::new(writer), readers: Mutex::new(Vec::new()) })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(10))?;
                c
            }
        };
        let out = f(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    fn file_bytes(&self) -> u64 {
        let mut total = 0;
        for suffix in ["", "-wal"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            total += std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        }
        total
    }
}

impl Store for SqliteStore {
    fn upsert_papers(&self, batch: &[Paper]) -> Result<UpsertStats, StoreError> {
        let mut conn = lock(&self.writer);
        papers::upsert(&mut conn, batch)
    }

    fn paper(&self, id: &PaperId) -> Result<Option<Paper>, StoreError> {
        self.with_reader(|c| papers::get(c, id))
    }

    fn community(&self, id: &PaperId) -> Result<Community, StoreError> {
        self.with_reader(|c| papers::community(c, id))
    }

    fn count_papers(&self) -> Result<u64, StoreError> {
        self.with_reader(|c| Ok(c.query_row("SELECT count(*) FROM papers", [], |r| r.get::<_, i64>(0))? as u64))
    }

    fn stats(&self) -> Result<Stats, StoreError> {
        let mut stats = self.with_reader(papers::stats)?;
        stats.database_bytes = self.file_bytes();
        Ok(stats)
    }

    fn for_each_paper(&self, f: &mut dyn FnMut(Paper) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.with_reader(|c| papers::for_each(c, f))
    }

    fn check(&self) -> Result<CheckReport, StoreError> {
        self.with_reader(|c| {
            let mut report = CheckReport::default();
            let mut stmt = c.prepare("PRAGMA integrity_check")?;
            for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
                let row = row?;
                if row != "ok" {
                    report.problems.push(format!("integrity: {row}"));
                }
            }
            let mut stmt = c.prepare("PRAGMA foreign_key_check")?;
            let fk: Vec<String> = stmt
                .query_map([], |r| Ok(format!("foreign key: {} row {}", r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<_, _>>()?;
            report.problems.extend(fk);
            papers::check_rows(c, &mut report)?;
            community::check(c, &mut report)?;
            Ok(report)
        })
    }

    fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query_row("SELECT value FROM state WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        })
    }

    fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let conn = lock(&self.writer);
        conn.execute(
            "INSERT INTO state (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![key, value, chrono::Utc::now().timestamp()],
        )?;
        Ok(())
    }

    fn papers_changed_since(&self, after_seq: u64, limit: usize) -> Result<Vec<ChangedPaper>, StoreError> {
        self.with_reader(|c| papers::changed_since(c, after_seq, limit))
    }

    fn max_seq(&self) -> Result<u64, StoreError> {
        self.with_reader(|c| {
            Ok(c.query_row("SELECT coalesce(max(seq), 0) FROM papers", [], |r| r.get::<_, i64>(0))? as u64)
        })
    }

    fn key_of(&self, id: &PaperId) -> Result<Option<u64>, StoreError> {
        self.with_reader(|c| papers::key_of(c, id))
    }

    fn papers_by_keys(&self, keys: &[u64]) -> Result<Vec<(u64, Paper)>, StoreError> {
        self.with_reader(|c| papers::by_keys(c, keys))
    }

    fn put_embeddings(&self, model: &str, items: &[(u64, Vec<f32>)]) -> Result<(), StoreError> {
        let mut conn = lock(&self.writer);
        embeddings::put(&mut conn, model, items)
    }

    fn embedding(&self, model: &str, key: u64) -> Result<Option<Vec<f32>>, StoreError> {
        self.with_reader(|c| embeddings::get(c, model, key))
    }

    fn for_each_embedding(
        &self,
        model: &str,
        f: &mut dyn FnMut(u64, Vec<f32>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.with_reader(|c| embeddings::for_each(c, model, f))
    }

    fn papers_without_embedding(
        &self,
        model: &str,
        after_key: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Paper)>, StoreError> {
        self.with_reader(|c| embeddings::missing(c, model, after_key, limit))
    }

    fn embedding_backlog(&self, model: &str) -> Result<u64, StoreError> {
        self.with_reader(|c| embeddings::backlog(c, model))
    }

    fn embeddings_since(&self, model: &str, since: i64) -> Result<Vec<(u64, i64, Vec<f32>)>, StoreError> {
        self.with_reader(|c| embeddings::since(c, model, since))
    }

    fn create_user(
        &self,
        name: &UserName,
        email: Option<&str>,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        users::create(&mut lock(&self.writer), name, email, password_hash, role)
    }

    fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.with_reader(|c| users::by_id(c, id))
    }

    fn user_by_name(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        Ok(self.password_hash_of(name)?.map(|(user, _)| user))
    }

    fn password_hash_of(&self, name: &UserName) -> Result<Option<(User, String)>, StoreError> {
        self.with_reader(|c| users::with_hash(c, name))
    }

    fn set_password_hash(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        users::set_column(&lock(&self.writer), user, UserColumn::PasswordHash, password_hash)
    }

    fn replace_password_hash(&self, user: UserId, expected: &str, new: &str) -> Result<bool, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let changed = tx.execute(&crate::PASSWORD_REPLACE.replace('$', "?"), params![user.0, expected, new])?;
        if changed > 0 {
            tx.execute(&crate::USER_SESSIONS_DELETE.replace('$', "?"), [user.0])?;
        }
        tx.commit()?;
        Ok(changed > 0)
    }

    fn set_role(&self, user: UserId, role: Role) -> Result<(), StoreError> {
        users::set_column(&lock(&self.writer), user, UserColumn::Role, role.as_str())
    }

    fn count_users(&self) -> Result<u64, StoreError> {
        self.with_reader(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))? as u64))
    }

    fn create_session(
        &self,
        token_hash: &[u8],
        user: UserId,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        users::create_session(&mut lock(&self.writer), token_hash, user, csrf, now, expires_at)
    }

    fn session(&self, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<(User, Session)>, StoreError> {
        let Some((user, mut session, stale)) = self.with_reader(|c| users::session(c, token_hash, now))? else {
            return Ok(None);
        };
        if stale {
            users::touch_session(&lock(&self.writer), token_hash, now)?;
            session.last_seen_at = now;
        }
        Ok(Some((user, session)))
    }

    fn delete_session(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        Ok(lock(&self.writer).execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])? > 0)
    }

    fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        Ok(lock(&self.writer).execute(&crate::USER_SESSIONS_DELETE.replace('$', "?"), [user.0])? as u64)
    }

    fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(lock(&self.writer).execute("DELETE FROM sessions WHERE expires_at <= ?1", [now.timestamp()])? as u64)
    }

    fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &[u8],
        hint: &str,
        scope: TokenScope,
        now: DateTime<Utc>,
    ) -> Result<ApiToken, StoreError> {
        tokens::create(&mut lock(&self.writer), user, name, token_hash, hint, scope, now)
    }

    fn api_token(&self, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<(User, ApiToken)>, StoreError> {
        let Some((user, mut token, stale)) = self.with_reader(|c| tokens::by_hash(c, token_hash, now))? else {
            return Ok(None);
        };
        if stale {
            tokens::touch(&lock(&self.writer), token_hash, now)?;
            token.last_used_at = Some(now);
        }
        Ok(Some((user, token)))
    }

    fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        self.with_reader(|c| tokens::of_user(c, user))
    }

    fn revoke_api_token(&self, user: UserId, id: TokenId) -> Result<bool, StoreError> {
        tokens::revoke(&lock(&self.writer), user, id)
    }

    fn subscribe(
        &self,
        email: &str,
        user: Option<UserId>,
        frequency: Frequency,
        topics: &Topics,
        now: DateTime<Utc>,
    ) -> Result<(Subscription, bool), StoreError> {
        mail::subscribe(&mut lock(&self.writer), email, user, frequency, topics, now)
    }

    fn subscription(&self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.with_reader(|c| mail::get(c, id))
    }

    fn subscriptions_of(&self, user: UserId) -> Result<Vec<Subscription>, StoreError> {
        self.with_reader(|c| mail::list(c, "s.user_pk = ?1", &[&user.0]))
    }

    fn active_subscriptions(&self, frequency: Frequency) -> Result<Vec<Subscription>, StoreError> {
        self.with_reader(|c| {
            mail::list(
                c,
                "s.frequency = ?1 AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL AND s.disabled_at IS NULL",
                &[&frequency.as_str()],
            )
        })
    }

    fn confirm_subscription(&self, id: SubscriptionId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        mail::stamp(&lock(&self.writer), id, mail::SubColumn::Confirmed, now)
    }

    fn unsubscribe(&self, id: SubscriptionId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        mail::stamp(&lock(&self.writer), id, mail::SubColumn::Unsubscribed, now)
    }

    fn enqueue_mail(
        &self,
        subscription: SubscriptionId,
        kind: &str,
        period: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        mail::enqueue(&lock(&self.writer), subscription, kind, period, message, now)
    }

    fn has_mail(&self, subscription: SubscriptionId, kind: &str, period: &str) -> Result<bool, StoreError> {
        self.with_reader(|c| mail::has(c, subscription, kind, period))
    }

    fn claim_due_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        mail::claim_due(&mut lock(&self.writer), now, lease_until, limit)
    }

    fn mark_mail_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        mail::mark_sent(&mut lock(&self.writer), id, now)
    }

    fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        disable_after: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        mail::mark_failed(&mut lock(&self.writer), id, error, retry_at, disable_after, now)
    }

    fn outbox_of(&self, subscription: SubscriptionId) -> Result<Vec<OutboxEntry>, StoreError> {
        self.with_reader(|c| mail::entries_of(c, subscription))
    }

    fn submit(
        &self,
        paper: &PaperId,
        date: NaiveDate,
        by: Option<UserId>,
        featured: bool,
        now: DateTime<Utc>,
    ) -> Result<SubmitOutcome, StoreError> {
        feed::submit(&mut lock(&self.writer), paper, date, by, featured, now)
    }

    fn remove_submission(&self, paper: &PaperId, date: NaiveDate, now: DateTime<Utc>) -> Result<bool, StoreError> {
        feed::remove(&mut lock(&self.writer), paper, date, now)
    }

    fn feed(&self, query: &FeedQuery, now: DateTime<Utc>) -> Result<FeedPage, StoreError> {
        self.with_reader(|c| feed::page(c, query, now))
    }

    fn feed_dates_around(&self, date: NaiveDate) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
        self.with_reader(|c| feed::dates_around(c, date))
    }

    fn upvote(&self, user: UserId, paper: &PaperId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        votes::upvote(&mut lock(&self.writer), user, paper, now)
    }

    fn remove_upvote(&self, user: UserId, paper: &PaperId) -> Result<bool, StoreError> {
        votes::remove(&mut lock(&self.writer), user, paper)
    }

    fn has_upvoted(&self, user: UserId, papers: &[PaperId]) -> Result<HashSet<PaperId>, StoreError> {
        self.with_reader(|c| votes::has_upvoted(c, user, papers))
    }

    fn add_comment(
        &self,
        user: UserId,
        paper: &PaperId,
        body: &CommentBody,
        now: DateTime<Utc>,
    ) -> Result<Comment, StoreError> {
        comments::add(&mut lock(&self.writer), user, paper, body, now)
    }

    fn comment(&self, id: CommentId) -> Result<Option<Comment>, StoreError> {
        self.with_reader(|c| comments::get(c, id))
    }

    fn edit_comment(
        &self,
        id: CommentId,
        by: UserId,
        body: &CommentBody,
        now: DateTime<Utc>,
    ) -> Result<Comment, StoreError> {
        comments::edit(&mut lock(&self.writer), id, by, body, now)
    }

    fn delete_comment(&self, id: CommentId, by: UserId) -> Result<(), StoreError> {
        comments::delete(&mut lock(&self.writer), id, by)
    }

    fn set_comment_hidden(&self, id: CommentId, hidden: bool) -> Result<(), StoreError> {
        comments::set_hidden(&mut lock(&self.writer), id, hidden)
    }

    fn comments(&self, paper: &PaperId) -> Result<Vec<Comment>, StoreError> {
        self.with_reader(|c| comments::list(c, paper))
    }

    fn user_activity(&self, user: UserId, limit: usize) -> Result<UserActivity, StoreError> {
        self.with_reader(|c| activity::of_user(c, user, limit))
    }

    fn tag_paper(&self, user: UserId, paper: &PaperId, tag: &Tag, now: DateTime<Utc>) -> Result<bool, StoreError> {
        library::tag(&lock(&self.writer), user, paper, tag, now)
    }

    fn untag_paper(&self, user: UserId, paper: &PaperId, tag: Option<&Tag>) -> Result<bool, StoreError> {
        library::untag(&lock(&self.writer), user, paper, tag)
    }

    fn library(&self, user: UserId, tag: Option<&Tag>, limit: usize) -> Result<Vec<LibraryItem>, StoreError> {
        self.with_reader(|c| library::items(c, user, tag, limit))
    }

    fn paper_marks(&self, user: UserId, paper: &PaperId) -> Result<(Vec<Tag>, bool), StoreError> {
        self.with_reader(|c| library::marks(c, user, paper))
    }

    fn library_tags(&self, user: UserId) -> Result<Vec<(Tag, u64)>, StoreError> {
        self.with_reader(|c| library::tags(c, user))
    }

    fn set_not_interested(
        &self,
        user: UserId,
        paper: &PaperId,
        on: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        library::dismiss(&lock(&self.writer), user, paper, on, now)
    }

    fn signals(&self, user: UserId, limit: usize) -> Result<Vec<Signal>, StoreError> {
        self.with_reader(|c| library::signals(c, user, limit))
    }

    fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let until = now.timestamp() + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let taken = lock(&self.writer)
            .execute(&crate::LEASE_UPSERT.replace('$', "?"), params![name, holder, until, now.timestamp()])?;
        Ok(taken > 0)
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        lock(&self.writer).execute(&crate::LEASE_RELEASE.replace('$', "?"), params![name, holder])?;
        Ok(())
    }

    fn rate_limit_hit(&self, action: &str, key: &str, window_start: DateTime<Utc>) -> Result<u64, StoreError> {
        let conn = lock(&self.writer);
        let start = window_start.timestamp();
        if crate::sweep_now() {
            conn.execute("DELETE FROM rate_limits WHERE window_start < ?1", [start - 3600])?;
        }
        let sql = crate::RATE_LIMIT_UPSERT.replace('$', "?");
        let hits: i64 = conn.prepare_cached(&sql)?.query_row(params![action, key, start], |r| r.get(0))?;
        Ok(hits.max(0) as u64)
    }
}
