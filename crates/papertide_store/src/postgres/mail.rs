//! Email subscriptions and the outbox on PostgreSQL (the `subscriptions` and `outbox`
//! tables), as SQLite's `mail` module: one subscription per address (compared lowercased),
//! one outbox row per subscription, kind and period ([`enqueue`] ignores a row that exists,
//! so an interrupted digest build run again fills only the gaps). Sending claims a row
//! (`pending` → `sending`, with a lease until `next_attempt_at`), then records the outcome;
//! a row whose sender died becomes due again when its lease runs out.
//!
//! Writes run inside the caller's serializable transaction ([`super::PgStore::write`]).
//! Several processes may send at once: [`claim_due`] takes the due rows `FOR UPDATE SKIP
//! LOCKED`, so two senders never claim the same row and neither waits on the other.

use chrono::{DateTime, Utc};
use postgres::types::ToSql;
use postgres::{GenericClient, Row};

use super::papers::{at, from_ts};
pub use crate::codec::SubColumn;
use crate::StoreError;
use papertide_core::{Frequency, OutboxEntry, OutboxStatus, Subscription, SubscriptionId, Topics, UserId};

/// The columns [`read_subscription`] expects, in order (table alias `s`).
const SUB_COLUMNS: &str = "s.pk, s.email, s.user_pk, s.frequency, s.topics, s.confirmed_at, s.unsubscribed_at, \
     s.disabled_at, s.failures, s.created_at";

/// The columns [`read_entry`] expects, in order (table alias `o`).
const OUTBOX_COLUMNS: &str = "o.pk, o.subscription_pk, o.kind, o.period, o.message, o.status, o.attempts, \
     o.next_attempt_at, o.last_error, o.created_at, o.sent_at";

fn corrupt(what: String, reason: String) -> StoreError {
    StoreError::CorruptRecord { what, reason }
}

/// Reads a subscription selected with [`SUB_COLUMNS`].
fn read_subscription(row: &Row) -> Result<Subscription, StoreError> {
    let pk: i64 = row.try_get(0)?;
    let frequency: String = row.try_get(3)?;
    let topics: String = row.try_get(4)?;
    let failures: i64 = row.try_get(8)?;
    Ok(Subscription {
        id: SubscriptionId(pk),
        email: row.try_get(1)?,
        user: row.try_get::<_, Option<i64>>(2)?.map(UserId),
        frequency: frequency.parse().map_err(|e| corrupt(format!("subscription {pk}"), format!("{e}")))?,
        topics: serde_json::from_str(&topics)
            .map_err(|e| corrupt(format!("subscription {pk}"), format!("topics: {e}")))?,
        confirmed_at: from_ts(row.try_get(5)?),
        unsubscribed_at: from_ts(row.try_get(6)?),
        disabled_at: from_ts(row.try_get(7)?),
        failures: u32::try_from(failures)
            .map_err(|_| corrupt(format!("subscription {pk}"), format!("bad failure count {failures}")))?,
        created_at: at(row.try_get(9)?),
    })
}

/// Reads an outbox row selected with [`OUTBOX_COLUMNS`].
fn read_entry(row: &Row) -> Result<OutboxEntry, StoreError> {
    let pk: i64 = row.try_get(0)?;
    let status: String = row.try_get(5)?;
    let attempts: i64 = row.try_get(6)?;
    Ok(OutboxEntry {
        id: pk,
        subscription: SubscriptionId(row.try_get(1)?),
        kind: row.try_get(2)?,
        period: row.try_get(3)?,
        message: row.try_get(4)?,
        status: status.parse().map_err(|e: String| corrupt(format!("outbox row {pk}"), e))?,
        attempts: u32::try_from(attempts)
            .map_err(|_| corrupt(format!("outbox row {pk}"), format!("bad attempt count {attempts}")))?,
        next_attempt_at: at(row.try_get(7)?),
        last_error: row.try_get(8)?,
        created_at: at(row.try_get(9)?),
        sent_at: from_ts(row.try_get(10)?),
    })
}

/// Creates the subscription of `email`, or, when the address has one, replaces its choices
/// and, if it had unsubscribed or been disabled, starts it over unconfirmed (inside the
/// caller's transaction). Returns it and whether it needs (re)confirmation.
pub fn subscribe(
    tx: &mut impl GenericClient,
    email: &str,
    user: Option<UserId>,
    frequency: Frequency,
    topics: &Topics,
    now: DateTime<Utc>,
) -> Result<(Subscription, bool), StoreError> {
    let topics_json = serde_json::to_string(topics).map_err(|e| corrupt("topics".into(), e.to_string()))?;
    if let Some(u) = user {
        super::community::require_user(tx, u)?;
    }
    let email_lower = email.to_lowercase();
    let user_pk = user.map(|u| u.0);
    let existing = tx
        .query_opt(&format!("SELECT {SUB_COLUMNS} FROM subscriptions s WHERE s.email_lower = $1"), &[&email_lower])?
        .map(|r| read_subscription(&r))
        .transpose()?;
    let id = match &existing {
        Some(old) => {
            let restart = old.unsubscribed_at.is_some() || old.disabled_at.is_some();
            tx.execute(
                "UPDATE subscriptions SET frequency = $2, topics = $3, user_pk = coalesce($4, user_pk),
                     confirmed_at = CASE WHEN $5 THEN NULL ELSE confirmed_at END,
                     unsubscribed_at = NULL, disabled_at = NULL, failures = CASE WHEN $5 THEN 0 ELSE failures END
                 WHERE pk = $1",
                &[&old.id.0, &frequency.as_str(), &topics_json, &user_pk, &restart],
            )?;
            old.id
        }
        None => {
            let row = tx.query_one(
                "INSERT INTO subscriptions (email, email_lower, user_pk, frequency, topics, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING pk",
                &[&email, &email_lower, &user_pk, &frequency.as_str(), &topics_json, &now.timestamp()],
            )?;
            SubscriptionId(row.try_get(0)?)
        }
    };
    let sub = get(tx, id)?.ok_or_else(|| StoreError::NotFound { what: format!("subscription {id}") })?;
    let needs_confirmation = sub.confirmed_at.is_none();
    Ok((sub, needs_confirmation))
}

/// One subscription by key.
pub fn get(c: &mut impl GenericClient, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
    c.query_opt(&format!("SELECT {SUB_COLUMNS} FROM subscriptions s WHERE s.pk = $1"), &[&id.0])?
        .map(|r| read_subscription(&r))
        .transpose()
}

/// Subscriptions matching a SQL condition on `s` (with `$1`-style parameters `args`), in key
/// order.
pub fn list(
    c: &mut impl GenericClient,
    condition: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Subscription>, StoreError> {
    let rows = c.query(&format!("SELECT {SUB_COLUMNS} FROM subscriptions s WHERE {condition} ORDER BY s.pk"), args)?;
    rows.iter().map(read_subscription).collect()
}

/// Sets one timestamp column of a subscription where it is unset; true when it changed.
pub fn stamp(
    tx: &mut impl GenericClient,
    id: SubscriptionId,
    column: SubColumn,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = match column {
        SubColumn::Confirmed => "UPDATE subscriptions SET confirmed_at = $2 WHERE pk = $1 AND confirmed_at IS NULL",
        SubColumn::Unsubscribed => {
            "UPDATE subscriptions SET unsubscribed_at = $2 WHERE pk = $1 AND unsubscribed_at IS NULL"
        }
    };
    Ok(tx.execute(sql, &[&id.0, &now.timestamp()])? > 0)
}

/// Adds an outbox row unless one exists for the subscription, kind and period; true when added.
pub fn enqueue(
    tx: &mut impl GenericClient,
    sub: SubscriptionId,
    kind: &str,
    period: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = tx.execute(
        "INSERT INTO outbox (subscription_pk, kind, period, message, status, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, $5)
         ON CONFLICT (subscription_pk, kind, period) DO NOTHING",
        &[&sub.0, &kind, &period, &message, &now.timestamp()],
    )?;
    Ok(n > 0)
}

/// Whether a row exists for the subscription, kind and period.
pub fn has(c: &mut impl GenericClient, sub: SubscriptionId, kind: &str, period: &str) -> Result<bool, StoreError> {
    Ok(c.query_opt(
        "SELECT 1 FROM outbox WHERE subscription_pk = $1 AND kind = $2 AND period = $3",
        &[&sub.0, &kind, &period],
    )?
    .is_some())
}

/// Claims up to `limit` due rows (pending, or sending with an expired lease, and due by `now`)
/// inside the caller's transaction: each becomes `sending` with one more attempt and a lease
/// until `lease_until`. Digest rows of subscriptions that are no longer active are marked
/// failed instead. Rows another sender holds locked are skipped (`FOR UPDATE SKIP LOCKED`),
/// so concurrent senders claim disjoint rows.
pub fn claim_due(
    tx: &mut impl GenericClient,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let now = now.timestamp();
    tx.execute(
        "UPDATE outbox SET status = 'failed', last_error = 'the subscription is no longer active'
         WHERE pk IN (SELECT o.pk FROM outbox o
                      WHERE o.status IN ('pending', 'sending') AND o.next_attempt_at <= $1 AND o.kind = 'digest'
                        AND o.subscription_pk IN (SELECT pk FROM subscriptions
                                                  WHERE unsubscribed_at IS NOT NULL OR disabled_at IS NOT NULL)
                      FOR UPDATE OF o SKIP LOCKED)",
        &[&now],
    )?;
    let rows = tx.query(
        &format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox o
             WHERE o.status IN ('pending', 'sending') AND o.next_attempt_at <= $1
             ORDER BY o.next_attempt_at, o.pk LIMIT $2
             FOR UPDATE OF o SKIP LOCKED"
        ),
        &[&now, &i64::try_from(limit).unwrap_or(i64::MAX)],
    )?;
    let mut entries = rows.iter().map(read_entry).collect::<Result<Vec<_>, StoreError>>()?;
    if entries.is_empty() {
        return Ok(entries);
    }
    let pks: Vec<i64> = entries.iter().map(|e| e.id).collect();
    tx.execute(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = $2 WHERE pk = ANY($1)",
        &[&pks, &lease_until.timestamp()],
    )?;
    for e in &mut entries {
        e.status = OutboxStatus::Sending;
        e.attempts = e.attempts.saturating_add(1);
        e.next_attempt_at = lease_until;
    }
    Ok(entries)
}

/// Records that the SMTP server accepted a row; resets its subscription's failure count.
pub fn mark_sent(tx: &mut impl GenericClient, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE outbox SET status = 'sent', sent_at = $2, last_error = NULL WHERE pk = $1",
        &[&id, &now.timestamp()],
    )?;
    tx.execute(
        "UPDATE subscriptions SET failures = 0 WHERE pk = (SELECT subscription_pk FROM outbox WHERE pk = $1)",
        &[&id],
    )?;
    Ok(())
}

/// Records a failed attempt: `retry_at` some → pending again then; none → failed for good,
/// which counts against the subscription, disabled at `disable_after` failures in a row.
/// Returns true when the subscription was disabled now.
pub fn mark_failed(
    tx: &mut impl GenericClient,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    disable_after: u32,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let disabled = match retry_at {
        Some(at) => {
            tx.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = $2, last_error = $3 WHERE pk = $1",
                &[&id, &at.timestamp(), &error],
            )?;
            false
        }
        None => {
            tx.execute("UPDATE outbox SET status = 'failed', last_error = $2 WHERE pk = $1", &[&id, &error])?;
            tx.execute(
                "UPDATE subscriptions SET failures = failures + 1
                 WHERE pk = (SELECT subscription_pk FROM outbox WHERE pk = $1)",
                &[&id],
            )?;
            tx.execute(
                "UPDATE subscriptions SET disabled_at = $3
                 WHERE pk = (SELECT subscription_pk FROM outbox WHERE pk = $1) AND failures >= $2
                   AND disabled_at IS NULL",
                &[&id, &i64::from(disable_after), &now.timestamp()],
            )? > 0
        }
    };
    Ok(disabled)
}

/// Outbox rows of a subscription, oldest first.
pub fn entries_of(c: &mut impl GenericClient, sub: SubscriptionId) -> Result<Vec<OutboxEntry>, StoreError> {
    let rows = c.query(
        &format!("SELECT {OUTBOX_COLUMNS} FROM outbox o WHERE o.subscription_pk = $1 ORDER BY o.pk"),
        &[&sub.0],
    )?;
    rows.iter().map(read_entry).collect()
}
