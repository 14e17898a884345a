//! Email subscriptions: who gets a digest ([`Subscription`]), how often ([`Frequency`]) and
//! of what ([`Topics`]), and the outbox rows that carry each message ([`OutboxEntry`]).
//!
//! A subscription starts unconfirmed (double opt-in: a confirmation mail with a signed link)
//! and receives nothing until confirmed. Unsubscribing and permanent delivery failures stop it.
//! The store keeps them (`papertide_store`); `papertide_mail` renders and sends.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::user::UserId;

/// The store's key of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SubscriptionId(pub i64);

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How often a subscriber hears from us.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every day with new papers (no mail on days without any, as arXiv's weekends).
    #[default]
    Daily,
    /// Once a week (ISO weeks, sent after the week ends).
    Weekly,
}

impl Frequency {
    /// The name in the database, forms and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }
}

/// Why a string is not a [`Frequency`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown frequency `{0}` (expected `daily` or `weekly`)")]
pub struct FrequencyError(pub String);

impl FromStr for Frequency {
    type Err = FrequencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "daily" => Ok(Frequency::Daily),
            "weekly" => Ok(Frequency::Weekly),
            other => Err(FrequencyError(other.to_string())),
        }
    }
}

/// What a digest holds. With nothing chosen, the trending feed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Topics {
    /// The community's trending papers.
    pub trending: bool,
    /// Personal recommendations (signed-in subscribers).
    pub for_you: bool,
    /// Keyword / semantic alerts: papers matching these searches.
    pub queries: Vec<String>,
    /// Papers in these categories (`cs.LG`) or archives (`cs`).
    pub categories: Vec<String>,
    /// Papers by these authors.
    pub authors: Vec<String>,
}

impl Topics {
    /// True when nothing in particular was chosen (the digest is then the trending feed).
    pub fn is_empty(&self) -> bool {
        !self.trending
            && !self.for_you
            && self.queries.is_empty()
            && self.categories.is_empty()
            && self.authors.is_empty()
    }
}

/// An email subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The store's key.
    pub id: SubscriptionId,
    /// Where digests go, as given.
    pub email: String,
    /// The account it belongs to, for signed-in subscribers.
    pub user: Option<UserId>,
    /// How often.
    pub frequency: Frequency,
    /// What.
    pub topics: Topics,
    /// When the address was confirmed (nothing is sent before).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When its owner unsubscribed (nothing is sent after).
    pub unsubscribed_at: Option<DateTime<Utc>>,
    /// When delivery was given up after permanent failures.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Permanent delivery failures in a row.
    pub failures: u32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Subscription {
    /// True when digests go out to it: confirmed, not unsubscribed, not disabled.
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some() && self.unsubscribed_at.is_none() && self.disabled_at.is_none()
    }
}

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (again, after `next_attempt_at`).
    Pending,
    /// Handed to a sender that holds it until `next_attempt_at` (a crashed sender's rows
    /// become due again then).
    Sending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up: a permanent failure, or too many attempts.
    Failed,
}

impl OutboxStatus {
    /// The name in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }
}

impl FromStr for OutboxStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(OutboxStatus::Pending),
            "sending" => Ok(OutboxStatus::Sending),
            "sent" => Ok(OutboxStatus::Sent),
            "failed" => Ok(OutboxStatus::Failed),
            other => Err(format!("unknown outbox status `{other}`")),
        }
    }
}

/// One message in the outbox: built once per subscription, kind and period, then sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The store's key.
    pub id: i64,
    /// Whose.
    pub subscription: SubscriptionId,
    /// `digest` or `confirm`.
    pub kind: String,
    /// The period it covers (`2026-03-05`, `2026-W10`), or a unique stamp for confirmations.
    pub period: String,
    /// The rendered message, as the mail crate serialised it (JSON).
    pub message: String,
    /// Where it stands.
    pub status: OutboxStatus,
    /// Send attempts so far.
    pub attempts: u32,
    /// When it may be tried (again).
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// When it was built.
    pub created_at: DateTime<Utc>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
}

/// Normalises an email address for comparison and checks its shape: trimmed, one `@` with
/// text on both sides, a dot in the domain, no spaces or control characters, at most 254
/// characters. Returns the trimmed address.
pub fn check_email(text: &str) -> Result<String, String> {
    let email = text.trim();
    if email.is_empty() {
        return Err("the email address is empty".into());
    }
    if email.chars().count() > 254 {
        return Err("the email address is too long (at most 254 characters)".into());
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(format!("`{email}` is not an email address (no @)"));
    };
    let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"' | '\\');
    if local.is_empty()
        || domain.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || local.contains('@')
        || email.chars().any(bad)
    {
        return Err(format!("`{email}` is not an email address"));
    }
    Ok(email.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert_eq!(check_email("  ada@example.org ").as_deref(), Ok("ada@example.org"));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@localhost",
            "a b@example.org",
            "a@b@c.org",
            "x<y>@e.org",
            "ada@example.org.",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn frequencies_and_statuses_parse() {
        assert_eq!("weekly".parse::<Frequency>(), Ok(Frequency::Weekly));
        assert!("hourly".parse::<Frequency>().is_err());
        for s in [OutboxStatus::Pending, OutboxStatus::Sending, OutboxStatus::Sent, OutboxStatus::Failed] {
            assert_eq!(s.as_str().parse::<OutboxStatus>(), Ok(s));
        }
        assert!(Topics::default().is_empty());
    }
}
