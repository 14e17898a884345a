//! Email subscriptions and the outbox: the `subscriptions` and `outbox` tables.
//!
//! One subscription per address (compared lowercased). The outbox holds one row per
//! subscription, kind and period: [`enqueue`] ignores a row that exists, so a digest build
//! that is interrupted and run again fills only the gaps. Sending claims a row
//! (`pending` → `sending`, with a lease until `next_attempt_at`), then records the outcome;
//! a row whose sender died becomes due again when its lease runs out. The domain types are
//! [`papertide_core::subscription`].

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::papers::at;
pub use crate::codec::SubColumn;
use crate::StoreError;
use papertide_core::{Frequency, OutboxEntry, OutboxStatus, Subscription, SubscriptionId, Topics, UserId};

const SUB_COLUMNS: &str = "s.pk, s.email, s.user_pk, s.frequency, s.topics, s.confirmed_at, s.unsubscribed_at, \
     s.disabled_at, s.failures, s.created_at";
const OUTBOX_COLUMNS: &str = "o.pk, o.subscription_pk, o.kind, o.period, o.message, o.status, o.attempts, \
     o.next_attempt_at, o.last_error, o.created_at, o.sent_at";

fn corrupt(what: String, reason: String) -> StoreError {
    StoreError::CorruptRecord { what, reason }
}

fn read_subscription(row: &Row<'_>) -> Result<Subscription, StoreError> {
    let pk: i64 = row.get(0)?;
    let frequency: String = row.get(3)?;
    let topics: String = row.get(4)?;
    let ts = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> { Ok(row.get::<_, Option<i64>>(i)?.map(at)) };
    Ok(Subscription {
        id: SubscriptionId(pk),
        email: row.get(1)?,
        user: row.get::<_, Option<i64>>(2)?.map(UserId),
        frequency: frequency.parse().map_err(|e| corrupt(format!("subscription {pk}"), format!("{e}")))?,
        topics: serde_json::from_str(&topics)
            .map_err(|e| corrupt(format!("subscription {pk}"), format!("topics: {e}")))?,
        confirmed_at: ts(5)?,
        unsubscribed_at: ts(6)?,
        disabled_at: ts(7)?,
        failures: row.get(8)?,
        created_at: at(row.get(9)?),
    })
}

fn read_entry(row: &Row<'_>) -> Result<OutboxEntry, StoreError> {
    let pk: i64 = row.get(0)?;
    let status: String = row.get(5)?;
    Ok(OutboxEntry {
        id: pk,
        subscription: SubscriptionId(row.get(1)?),
        kind: row.get(2)?,
        period: row.get(3)?,
        message: row.get(4)?,
        status: status.parse().map_err(|e: String| corrupt(format!("outbox row {pk}"), e))?,
        attempts: row.get(6)?,
        next_attempt_at: at(row.get(7)?),
        last_error: row.get(8)?,
        created_at: at(row.get(9)?),
        sent_at: row.get::<_, Option<i64>>(10)?.map(at),
    })
}

/// Creates the subscription of `email`, or, when the address has one, replaces its choices
/// and, if it had unsubscribed or been disabled, starts it over unconfirmed. Returns it and
/// whether it needs (re)confirmation.
pub fn subscribe(
    conn: &mut Connection,
    email: &str,
    user: Option<UserId>,
    frequency: Frequency,
    topics: &Topics,
    now: DateTime<Utc>,
) -> Result<(Subscription, bool), StoreError> {
    let topics_json = serde_json::to_string(topics).map_err(|e| corrupt("topics".into(), e.to_string()))?;
    let tx = conn.transaction()?;
    if let Some(u) = user {
        super::community::require_user(&tx, u)?;
    }
    let existing = tx
        .prepare_cached(&format!("SELECT {SUB_COLUMNS} FROM subscriptions s WHERE s.email_lower = ?1"))?
        .query_row([email.to_lowercase()], |r| Ok(read_subscription(r)))
        .optional()?
        .transpose()?;
    let id = match &existing {
        Some(old) => {
            let restart = old.unsubscribed_at.is_some() || old.disabled_at.is_some();
            tx.prepare_cached(
                "UPDATE subscriptions SET frequency = ?2, topics = ?3, user_pk = coalesce(?4, user_pk),
                     confirmed_at = CASE WHEN ?5 THEN NULL ELSE confirmed_at END,
                     unsubscribed_at = NULL, disabled_at = NULL, failures = CASE WHEN ?5 THEN 0 ELSE failures END
                 WHERE pk = ?1",
            )?
            .execute(params![old.id.0, frequency.as_str(), topics_json, user.map(|u| u.0), restart])?;
            old.id
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO subscriptions (email, email_lower, user_pk, frequency, topics, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                email,
                email.to_lowercase(),
                user.map(|u| u.0),
                frequency.as_str(),
                topics_json,
                now.timestamp()
            ])?;
            SubscriptionId(tx.last_insert_rowid())
        }
    };
    let sub = get(&tx, id)?.ok_or_else(|| StoreError::NotFound { what: format!("subscription {id}") })?;
    tx.commit()?;
    let needs_confirmation = sub.confirmed_at.is_none();
    Ok((sub, needs_confirmation))
}

/// One subscription by key.
pub fn get(conn: &Connection, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
    conn.prepare_cached(&format!("SELECT {SUB_COLUMNS} FROM subscriptions s WHERE s.pk = ?1"))?
        .query_row([id.0], |r| Ok(read_subscription(r)))
        .optional()?
        .transpose()
}

/// Subscriptions matching a SQL condition on `s`, in key order.
pub fn list(
    conn: &Connection,
    condition: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Subscription>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {SUB_COLUMNS} FROM subscriptions s WHERE {condition} ORDER BY s.pk"))?;
    let rows = stmt.query_map(args, |r| Ok(read_subscription(r)))?;
    rows.map(|r| r?).collect()
}

/// Sets one timestamp column of a subscription where it is unset; true when it changed.
pub fn stamp(conn: &Connection, id: SubscriptionId, column: SubColumn, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let sql = match column {
        SubColumn::Confirmed => "UPDATE subscriptions SET confirmed_at = ?2 WHERE pk = ?1 AND confirmed_at IS NULL",
        SubColumn::Unsubscribed => {
            "UPDATE subscriptions SET unsubscribed_at = ?2 WHERE pk = ?1 AND unsubscribed_at IS NULL"
        }
    };
    Ok(conn.prepare_cached(sql)?.execute(params![id.0, now.timestamp()])? > 0)
}

/// Adds an outbox row unless one exists for the subscription, kind and period; true when added.
pub fn enqueue(
    conn: &Connection,
    sub: SubscriptionId,
    kind: &str,
    period: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "INSERT INTO outbox (subscription_pk, kind, period, message, status, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)
             ON CONFLICT (subscription_pk, kind, period) DO NOTHING",
        )?
        .execute(params![sub.0, kind, period, message, now.timestamp()])?;
    Ok(n > 0)
}

/// Whether a row exists for the subscription, kind and period.
pub fn has(conn: &Connection, sub: SubscriptionId, kind: &str, period: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM outbox WHERE subscription_pk = ?1 AND kind = ?2 AND period = ?3")?
        .query_row(params![sub.0, kind, period], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Claims up to `limit` due rows (pending, or sending with an expired lease, and due by `now`)
/// in one transaction: each becomes `sending` with one more attempt and a lease until
/// `lease_until`. Rows of subscriptions that are no longer active are marked failed instead.
pub fn claim_due(
    conn: &mut Connection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let tx = conn.transaction()?;
    tx.prepare_cached(
        "UPDATE outbox SET status = 'failed', last_error = 'the subscription is no longer active'
         WHERE status IN ('pending', 'sending') AND next_attempt_at <= ?1 AND kind = 'digest'
           AND subscription_pk IN (SELECT pk FROM subscriptions
                                   WHERE unsubscribed_at IS NOT NULL OR disabled_at IS NOT NULL)",
    )?
    .execute([now.timestamp()])?;
    let mut entries: Vec<OutboxEntry> = {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox o
             WHERE o.status IN ('pending', 'sending') AND o.next_attempt_at <= ?1
             ORDER BY o.next_attempt_at, o.pk LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![now.timestamp(), limit as i64], |r| Ok(read_entry(r)))?;
        rows.map(|r| r?).collect::<Result<_, StoreError>>()?
    };
    {
        let mut claim = tx.prepare_cached(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = ?2 WHERE pk = ?1",
        )?;
        for e in &mut entries {
            claim.execute(params![e.id, lease_until.timestamp()])?;
            e.status = OutboxStatus::Sending;
            e.attempts += 1;
            e.next_attempt_at = lease_until;
        }
    }
    tx.commit()?;
    Ok(entries)
}

/// Records that the SMTP server accepted a row; resets its subscription's failure count.
pub fn mark_sent(conn: &mut Connection, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.prepare_cached("UPDATE outbox SET status = 'sent', sent_at = ?2, last_error = NULL WHERE pk = ?1")?
        .execute(params![id, now.timestamp()])?;
    tx.prepare_cached(
        "UPDATE subscriptions SET failures = 0 WHERE pk = (SELECT subscription_pk FROM outbox WHERE pk = ?1)",
    )?
    .execute([id])?;
    tx.commit()?;
    Ok(())
}

/// Records a failed attempt: `retry_at` some → pending again then; none → failed for good,
/// which counts against the subscription, disabled at `disable_after` failures in a row.
/// Returns true when the subscription was disabled now.
pub fn mark_failed(
    conn: &mut Connection,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    disable_after: u32,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let disabled = match retry_at {
        Some(at) => {
            tx.prepare_cached(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?2, last_error = ?3 WHERE pk = ?1",
            )?
            .execute(params![id, at.timestamp(), error])?;
            false
        }
        None => {
            tx.prepare_cached("UPDATE outbox SET status = 'failed', last_error = ?2 WHERE pk = ?1")?
                .execute(params![id, error])?;
            tx.prepare_cached(
                "UPDATE subscriptions SET failures = failures + 1 WHERE pk = (SELECT subscription_pk FROM outbox WHERE pk = ?1)",
            )?
            .execute([id])?;
            tx.prepare_cached(
                "UPDATE subscriptions SET disabled_at = ?3
                 WHERE pk = (SELECT subscription_pk FROM outbox WHERE pk = ?1) AND failures >= ?2 AND disabled_at IS NULL",
            )?
            .execute(params![id, disable_after, now.timestamp()])?
                > 0
        }
    };
    tx.commit()?;
    Ok(disabled)
}

/// Outbox rows of a subscription, oldest first.
pub fn entries_of(conn: &Connection, sub: SubscriptionId) -> Result<Vec<OutboxEntry>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox o WHERE o.subscription_pk = ?1 ORDER BY o.pk"))?;
    let rows = stmt.query_map([sub.0], |r| Ok(read_entry(r)))?;
    rows.map(|r| r?).collect()
}
