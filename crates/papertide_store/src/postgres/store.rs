//! `impl Store for PgStore`: each method is a read on a pooled connection
//! ([`PgStore::read`]) or one retried serializable transaction ([`PgStore::write`]) around
//! the module function that does the work.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use postgres::GenericClient;

use super::{community, embeddings, feed, library, mail, papers, tokens, users, votes_comments, PgStore};
use crate::{ChangedPaper, CheckReport, LibraryItem, Stats, Store, StoreError, UpsertStats, UserActivity};
use papertide_core::{
    ApiToken, Comment, CommentBody, CommentId, Community, FeedPage, FeedQuery, Frequency, OutboxEntry, Paper, PaperId,
    Role, Session, Signal, SubmitOutcome, Subscription, SubscriptionId, Tag, TokenId, TokenScope, Topics, User, UserId,
    UserName,
};

fn count(c: &mut impl GenericClient, sql: &str) -> Result<u64, StoreError> {
    Ok(c.query_one(sql, &[])?.get::<_, i64>(0).max(0) as u64)
}

impl Store for PgStore {
    fn upsert_papers(&self, batch: &[Paper]) -> Result<UpsertStats, StoreError> {
        self.write_locked(papers::PAPERS_LOCK, |tx| papers::upsert(tx, batch))
    }

    fn paper(&self, id: &PaperId) -> Result<Option<Paper>, StoreError> {
        self.read(|c| papers::get(c, id))
    }

    fn community(&self, id: &PaperId) -> Result<Community, StoreError> {
        self.read(|c| papers::community(c, id))
    }

    fn count_papers(&self) -> Result<u64, StoreError> {
        self.read(|c| count(c, "SELECT count(*) FROM papers"))
    }

    fn stats(&self) -> Result<Stats, StoreError> {
        self.read(papers::stats)
    }

    fn for_each_paper(&self, f: &mut dyn FnMut(Paper) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.read(|c| papers::for_each(c, f))
    }

    fn check(&self) -> Result<CheckReport, StoreError> {
        self.read(|c| {
            let mut report = CheckReport::default();
            papers::check_rows(c, &mut report)?;
            community::check(c, &mut report)?;
            Ok(report)
        })
    }

    fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| Ok(c.query_opt("SELECT value FROM state WHERE key = $1", &[&key])?.map(|r| r.get(0))))
    }

    fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO state (key, value, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                &[&key, &value, &Utc::now().timestamp()],
            )?;
            Ok(())
        })
    }

    fn papers_changed_since(&self, after_seq: u64, limit: usize) -> Result<Vec<ChangedPaper>, StoreError> {
        self.read(|c| papers::changed_since(c, after_seq, limit))
    }

    fn max_seq(&self) -> Result<u64, StoreError> {
        self.read(|c| count(c, "SELECT coalesce(max(seq), 0) FROM papers"))
    }

    fn key_of(&self, id: &PaperId) -> Result<Option<u64>, StoreError> {
        self.read(|c| papers::key_of(c, id))
    }

    fn papers_by_keys(&self, keys: &[u64]) -> Result<Vec<(u64, Paper)>, StoreError> {
        self.read(|c| papers::by_keys(c, keys))
    }

    fn put_embeddings(&self, model: &str, items: &[(u64, Vec<f32>)]) -> Result<(), StoreError> {
        self.write(|tx| embeddings::put(tx, model, items))
    }

    fn embedding(&self, model: &str, key: u64) -> Result<Option<Vec<f32>>, StoreError> {
        self.read(|c| embeddings::get(c, model, key))
    }

    fn for_each_embedding(
        &self,
        model: &str,
        f: &mut dyn FnMut(u64, Vec<f32>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.read(|c| embeddings::for_each(c, model, f))
    }

    fn papers_without_embedding(
        &self,
        model: &str,
        after_key: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Paper)>, StoreError> {
        self.read(|c| embeddings::missing(c, model, after_key, limit))
    }

    fn embedding_backlog(&self, model: &str) -> Result<u64, StoreError> {
        self.read(|c| embeddings::backlog(c, model))
    }

    fn embeddings_since(&self, model: &str, since: i64) -> Result<Vec<(u64, i64, Vec<f32>)>, StoreError> {
        self.read(|c| embeddings::since(c, model, since))
    }

    fn create_user(
        &self,
        name: &UserName,
        email: Option<&str>,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        self.write(|tx| users::create(tx, name, email, password_hash, role))
    }

    fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(|c| users::by_id(c, id))
    }

    fn user_by_name(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        Ok(self.password_hash_of(name)?.map(|(user, _)| user))
    }

    fn password_hash_of(&self, name: &UserName) -> Result<Option<(User, String)>, StoreError> {
        self.read(|c| users::with_hash(c, name))
    }

    fn set_password_hash(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        self.write(|tx| users::set_column(tx, user, users::UserColumn::PasswordHash, password_hash))
    }

    fn replace_password_hash(&self, user: UserId, expected: &str, new: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(crate::PASSWORD_REPLACE, &[&user.0, &expected, &new])?;
            if changed > 0 {
                tx.execute(crate::USER_SESSIONS_DELETE, &[&user.0])?;
            }
            Ok(changed > 0)
        })
    }

    fn set_role(&self, user: UserId, role: Role) -> Result<(), StoreError> {
        self.write(|tx| users::set_column(tx, user, users::UserColumn::Role, role.as_str()))
    }

    fn count_users(&self) -> Result<u64, StoreError> {
        self.read(|c| count(c, "SELECT count(*) FROM users"))
    }

    fn create_session(
        &self,
        token_hash: &[u8],
        user: UserId,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| users::create_session(tx, token_hash, user, csrf, now, expires_at))
    }

    fn session(&self, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<(User, Session)>, StoreError> {
        let Some((user, mut session, stale)) = self.read(|c| users::session(c, token_hash, now))? else {
            return Ok(None);
        };
        if stale {
            self.write(|tx| users::touch_session(tx, token_hash, now))?;
            session.last_seen_at = now;
        }
        Ok(Some((user, session)))
    }

    fn delete_session(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        self.write(|tx| Ok(tx.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])? > 0))
    }

    fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        self.write(|tx| Ok(tx.execute(crate::USER_SESSIONS_DELETE, &[&user.0])?))
    }

    fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(|tx| Ok(tx.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now.timestamp()])?))
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
        self.write(|tx| tokens::create(tx, user, name, token_hash, hint, scope, now))
    }

    fn api_token(&self, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<(User, ApiToken)>, StoreError> {
        let Some((user, mut token, stale)) = self.read(|c| tokens::by_hash(c, token_hash, now))? else {
            return Ok(None);
        };
        if stale {
            self.write(|tx| tokens::touch(tx, token_hash, now))?;
            token.last_used_at = Some(now);
        }
        Ok(Some((user, token)))
    }

    fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        self.read(|c| tokens::of_user(c, user))
    }

    fn revoke_api_token(&self, user: UserId, id: TokenId) -> Result<bool, StoreError> {
        self.write(|tx| tokens::revoke(tx, user, id))
    }

    fn subscribe(
        &self,
        email: &str,
        user: Option<UserId>,
        frequency: Frequency,
        topics: &Topics,
        now: DateTime<Utc>,
    ) -> Result<(Subscription, bool), StoreError> {
        self.write(|tx| mail::subscribe(tx, email, user, frequency, topics, now))
    }

    fn subscription(&self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.read(|c| mail::get(c, id))
    }

    fn subscriptions_of(&self, user: UserId) -> Result<Vec<Subscription>, StoreError> {
        self.read(|c| mail::list(c, "s.user_pk = $1", &[&user.0]))
    }

    fn active_subscriptions(&self, frequency: Frequency) -> Result<Vec<Subscription>, StoreError> {
        self.read(|c| {
            mail::list(
                c,
                "s.frequency = $1 AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL AND s.disabled_at IS NULL",
                &[&frequency.as_str()],
            )
        })
    }

    fn confirm_subscription(&self, id: SubscriptionId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| mail::stamp(tx, id, mail::SubColumn::Confirmed, now))
    }

    fn unsubscribe(&self, id: SubscriptionId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| mail::stamp(tx, id, mail::SubColumn::Unsubscribed, now))
    }

    fn enqueue_mail(
        &self,
        subscription: SubscriptionId,
        kind: &str,
        period: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| mail::enqueue(tx, subscription, kind, period, message, now))
    }

    fn has_mail(&self, subscription: SubscriptionId, kind: &str, period: &str) -> Result<bool, StoreError> {
        self.read(|c| mail::has(c, subscription, kind, period))
    }

    fn claim_due_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.write(|tx| mail::claim_due(tx, now, lease_until, limit))
    }

    fn mark_mail_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(|tx| mail::mark_sent(tx, id, now))
    }

    fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        disable_after: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| mail::mark_failed(tx, id, error, retry_at, disable_after, now))
    }

    fn outbox_of(&self, subscription: SubscriptionId) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|c| mail::entries_of(c, subscription))
    }

    fn submit(
        &self,
        paper: &PaperId,
        date: NaiveDate,
        by: Option<UserId>,
        featured: bool,
        now: DateTime<Utc>,
    ) -> Result<SubmitOutcome, StoreError> {
        self.write(|tx| feed::submit(tx, paper, date, by, featured, now))
    }

    fn remove_submission(&self, paper: &PaperId, date: NaiveDate, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| feed::remove(tx, paper, date, now))
    }

    fn feed(&self, query: &FeedQuery, now: DateTime<Utc>) -> Result<FeedPage, StoreError> {
        self.read(|c| feed::page(c, query, now))
    }

    fn feed_dates_around(&self, date: NaiveDate) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
        self.read(|c| feed::dates_around(c, date))
    }

    fn upvote(&self, user: UserId, paper: &PaperId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| votes_comments::upvote(tx, user, paper, now))
    }

    fn remove_upvote(&self, user: UserId, paper: &PaperId) -> Result<bool, StoreError> {
        self.write(|tx| votes_comments::remove_upvote(tx, user, paper))
    }

    fn has_upvoted(&self, user: UserId, papers: &[PaperId]) -> Result<HashSet<PaperId>, StoreError> {
        self.read(|c| votes_comments::has_upvoted(c, user, papers))
    }

    fn add_comment(
        &self,
        user: UserId,
        paper: &PaperId,
        body: &CommentBody,
        now: DateTime<Utc>,
    ) -> Result<Comment, StoreError> {
        self.write(|tx| votes_comments::add_comment(tx, user, paper, body, now))
    }

    fn comment(&self, id: CommentId) -> Result<Option<Comment>, StoreError> {
        self.read(|c| votes_comments::comment(c, id))
    }

    fn edit_comment(
        &self,
        id: CommentId,
        by: UserId,
        body: &CommentBody,
        now: DateTime<Utc>,
    ) -> Result<Comment, StoreError> {
        self.write(|tx| votes_comments::edit_comment(tx, id, by, body, now))
    }

    fn delete_comment(&self, id: CommentId, by: UserId) -> Result<(), StoreError> {
        self.write(|tx| votes_comments::delete_comment(tx, id, by))
    }

    fn set_comment_hidden(&self, id: CommentId, hidden: bool) -> Result<(), StoreError> {
        self.write(|tx| votes_comments::set_comment_hidden(tx, id, hidden))
    }

    fn comments(&self, paper: &PaperId) -> Result<Vec<Comment>, StoreError> {
        self.read(|c| votes_comments::comments(c, paper))
    }

    fn user_activity(&self, user: UserId, limit: usize) -> Result<UserActivity, StoreError> {
        self.read(|c| votes_comments::user_activity(c, user, limit))
    }

    fn tag_paper(&self, user: UserId, paper: &PaperId, tag: &Tag, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| library::tag(tx, user, paper, tag, now))
    }

    fn untag_paper(&self, user: UserId, paper: &PaperId, tag: Option<&Tag>) -> Result<bool, StoreError> {
        self.write(|tx| library::untag(tx, user, paper, tag))
    }

    fn library(&self, user: UserId, tag: Option<&Tag>, limit: usize) -> Result<Vec<LibraryItem>, StoreError> {
        self.read(|c| library::items(c, user, tag, limit))
    }

    fn paper_marks(&self, user: UserId, paper: &PaperId) -> Result<(Vec<Tag>, bool), StoreError> {
        self.read(|c| library::marks(c, user, paper))
    }

    fn library_tags(&self, user: UserId) -> Result<Vec<(Tag, u64)>, StoreError> {
        self.read(|c| library::tags(c, user))
    }

    fn set_not_interested(
        &self,
        user: UserId,
        paper: &PaperId,
        on: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| library::dismiss(tx, user, paper, on, now))
    }

    fn signals(&self, user: UserId, limit: usize) -> Result<Vec<Signal>, StoreError> {
        self.read(|c| library::signals(c, user, limit))
    }

    fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let until = now.timestamp() + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        self.write(|tx| {
            let taken = tx.execute(crate::LEASE_UPSERT, &[&name, &holder, &until, &now.timestamp()])?;
            Ok(taken > 0)
        })
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(crate::LEASE_RELEASE, &[&name, &holder])?;
            Ok(())
        })
    }

    fn rate_limit_hit(&self, action: &str, key: &str, window_start: DateTime<Utc>) -> Result<u64, StoreError> {
        let start = window_start.timestamp();
        if crate::sweep_now() {
            self.write(|tx| Ok(tx.execute("DELETE FROM rate_limits WHERE window_start < $1", &[&(start - 3600)])?))?;
        }
        // One statement, atomic on its own: no serializable transaction needed (two replicas
        // counting the same key queue on its row).
        self.read(|c| {
            let hits: i64 = c.query_one(crate::RATE_LIMIT_UPSERT, &[&action, &key, &start])?.try_get(0)?;
            Ok(hits.max(0) as u64)
        })
    }
}
