//! The digest run: build each active subscription's digest for a period once, into the
//! outbox, then deliver everything due, with retries and backoff.
//!
//! - [`Period`]: a feed day (daily digests) or an ISO week (weekly), with its outbox key.
//! - [`PaperPicker`]: what a subscription gets for a period. [`FeedPicker`] reads the feed
//!   from the store (trending, categories, authors); the binary wraps it to add search alerts.
//! - [`build`]: one outbox row per subscription and period (the store's unique key makes a
//!   rerun after a crash fill only the gaps); nothing is built when there is nothing to say
//!   (days without papers, as arXiv's weekends).
//! - [`deliver`]: claims due rows with a lease, sends them (`concurrency` at a time), records
//!   each outcome at once:
//!   temporary failures are retried with exponential backoff, permanent ones (and too many
//!   attempts) fail the row, and repeated permanent failures disable the address.
//!
//! A run killed at any point loses nothing (rows are in the database before anything is
//! sent) and sends nothing twice, except in the instant between the SMTP server accepting a
//! message and the outcome being committed: such a row (at most `concurrency` of them) is sent
//! again after its lease ends, with the same `Message-ID`, so mail systems can tell it is the
//! same message.

use chrono::{DateTime, Datelike, Duration, IsoWeek, NaiveDate, Utc};
use papertide_core::{FeedQuery, FeedSort, FeedWindow, Frequency, Subscription};
use papertide_store::{Store, StoreError};

use crate::link::{Purpose, Signer};
use crate::message::{render_digest, Digest, DigestPaper};
use crate::smtp::{MailError, Mailer};

/// Errors of a digest run.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Choosing a subscription's papers failed (a search or recommendation error).
    #[error("choosing papers: {0}")]
    Pick(String),
    /// A message could not be rendered or read back.
    #[error("mail: {0}")]
    Mail(#[from] MailError),
    /// A sending thread panicked (a bug); its message stays claimed and is retried after its
    /// lease.
    #[error("a sending thread panicked")]
    Panicked,
    /// A stored message is not valid JSON.
    #[error("outbox row {id} holds an unreadable message: {reason}")]
    Corrupt {
        /// The outbox row.
        id: i64,
        /// Why.
        reason: String,
    },
}

/// Settings of the digest run (part of the `[mail]` config section).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DigestConfig {
    /// The site's public URL, for links in mails: `[web] base_url`, filled in by the binary
    /// (one setting, not two).
    #[serde(skip)]
    pub base_url: String,
    /// Most papers in one digest.
    pub max_papers: usize,
    /// Send attempts before a message is given up.
    pub max_attempts: u32,
    /// Seconds before the first retry; doubles with each attempt.
    pub backoff_secs: i64,
    /// Permanent failures in a row after which an address is disabled.
    pub disable_after: u32,
    /// Seconds a sender holds a claimed message before another may send it.
    pub lease_secs: i64,
    /// Messages claimed at a time.
    pub batch: usize,
    /// Messages sent at once, each on its own connection (SMTP is a conversation of round
    /// trips: one connection waits most of the time). Also the most messages that can be in
    /// flight when a run is killed, and so sent twice (with the same `Message-ID`).
    pub concurrency: usize,
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            base_url: "http://127.0.0.1:8000".into(),
            max_papers: 10,
            max_attempts: 6,
            backoff_secs: 60,
            disable_after: 3,
            lease_secs: 300,
            batch: 50,
            concurrency: 8,
        }
    }
}

/// What a digest covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The papers of one feed day.
    Day(NaiveDate),
    /// The papers of one ISO week.
    Week(IsoWeek),
}

impl Period {
    /// The period a digest of `frequency` sent at `now` covers: yesterday, or last week.
    pub fn last(frequency: Frequency, now: DateTime<Utc>) -> Period {
        let yesterday = now.date_naive() - Duration::days(1);
        match frequency {
            Frequency::Daily => Period::Day(yesterday),
            Frequency::Weekly => Period::Week((now.date_naive() - Duration::days(7)).iso_week()),
        }
    }

    /// The outbox key: `2026-03-05` or `2026-W10`.
    pub fn key(&self) -> String {
        match self {
            Period::Day(d) => d.format("%Y-%m-%d").to_string(),
            Period::Week(w) => format!("{}-W{:02}", w.year(), w.week()),
        }
    }

    /// How a mail names it: `Thursday, March 5, 2026` or `the week of March 2, 2026`.
    pub fn label(&self) -> String {
        match self {
            Period::Day(d) => d.format("%A, %B %-d, %Y").to_string(),
            Period::Week(w) => match NaiveDate::from_isoywd_opt(w.year(), w.week(), chrono::Weekday::Mon) {
                Some(monday) => format!("the week of {}", monday.format("%B %-d, %Y")),
                None => format!("week {} of {}", w.week(), w.year()),
            },
        }
    }

    /// The feed window it covers.
    pub fn window(&self) -> FeedWindow {
        match self {
            Period::Day(d) => FeedWindow::Day(*d),
            Period::Week(w) => FeedWindow::Week(w.year(), w.week()),
        }
    }
}

/// Chooses the papers of a subscription's digest.
pub trait PaperPicker {
    /// At most `limit` papers for `sub` over `period`, best first, each with why it was chosen.
    fn pick(&self, sub: &Subscription, period: &Period, limit: usize) -> Result<Vec<DigestPaper>, DigestError>;
}

/// Picks from the feed in the store: the period's most upvoted papers (trending, or when the
/// subscription chose nothing in particular), those in its categories, those by its authors.
pub struct FeedPicker<'a> {
    store: &'a dyn Store,
    base_url: String,
    /// The feed of the last period asked for: every subscriber reads the same one.
    cached: std::sync::Mutex<Option<(Period, std::sync::Arc<Vec<papertide_core::FeedItem>>)>>,
}

/// Feed items looked at per digest.
const FEED_DEPTH: usize = 500;

impl<'a> FeedPicker<'a> {
    /// A picker over `store`; links start with `base_url`.
    pub fn new(store: &'a dyn Store, base_url: &str) -> FeedPicker<'a> {
        FeedPicker { store, base_url: base_url.trim_end_matches('/').to_string(), cached: Default::default() }
    }

    /// The period's feed, best first, read once per period.
    fn items(&self, period: &Period) -> Result<std::sync::Arc<Vec<papertide_core::FeedItem>>, DigestError> {
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, items)) = cached.as_ref() {
            if p == period {
                return Ok(items.clone());
            }
        }
        let query = FeedQuery {
            sort: FeedSort::Upvotes,
            window: period.window(),
            category: None,
            submitter: None,
            cursor: None,
            limit: FEED_DEPTH,
        };
        let items = std::sync::Arc::new(self.store.feed(&query, Utc::now())?.items);
        *cached = Some((*period, items.clone()));
        Ok(items)
    }
}

/// True when `category` (`cs.LG`) is `wanted` or in the archive `wanted` (`cs`, `cs.*`).
fn in_category(category: &str, wanted: &str) -> bool {
    let wanted = wanted.trim().trim_end_matches(".*");
    category.eq_ignore_ascii_case(wanted)
        || category.len() > wanted.len()
            && category[..wanted.len()].eq_ignore_ascii_case(wanted)
            && category.as_bytes()[wanted.len()] == b'.'
}

impl PaperPicker for FeedPicker<'_> {
    fn pick(&self, sub: &Subscription, period: &Period, limit: usize) -> Result<Vec<DigestPaper>, DigestError> {
        let items = self.items(period)?;
        let t = &sub.topics;
        let mut out = Vec::new();
        for item in items.iter() {
            let p = &item.paper;
            let reason = if let Some(c) = t.categories.iter().find(|c| p.categories.iter().any(|pc| in_category(pc, c)))
            {
                Some(format!("In {}", c.trim()))
            } else if let Some(a) = t.authors.iter().find(|a| {
                let a = a.trim().to_lowercase();
                !a.is_empty() && p.authors.iter().any(|pa| pa.to_lowercase().contains(&a))
            }) {
                Some(format!("By {}", a.trim()))
            } else if t.trending || t.is_empty() {
                Some("Trending".to_string())
            } else {
                None
            };
            if let Some(reason) = reason {
                out.push(DigestPaper {
                    id: p.id.to_string(),
                    title: p.title.clone(),
                    authors: p.authors.clone(),
                    abstract_text: p.abstract_text.clone(),
                    url: format!("{}/papers/{}", self.base_url, p.id),
                    upvotes: item.upvotes,
                    reason: Some(reason),
                });
            }
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }
}

/// What [`build`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BuildStats {
    /// Digests built and queued now.
    pub built: u64,
    /// Subscriptions whose digest for the period was already queued (a rerun).
    pub already: u64,
    /// Subscriptions with nothing to receive for the period (no mail).
    pub empty: u64,
}

/// The one-click unsubscribe link of a subscription.
pub fn unsubscribe_url(base_url: &str, signer: &Signer, sub: &Subscription) -> String {
    let token = signer.token(Purpose::Unsubscribe, sub.id, None);
    format!("{}/unsubscribe?token={token}", base_url.trim_end_matches('/'))
}

/// The `Message-ID` of a subscription's digest for a period: stable, so a resend is the
/// same message.
pub fn message_id(base_url: &str, sub: &Subscription, period: &Period) -> String {
    let host = base_url.split("://").nth(1).unwrap_or(base_url).split(['/', ':']).next().unwrap_or("localhost");
    format!("<digest.{}.{}@{}>", sub.id, period.key(), host)
}

/// What building digests needs.
pub struct Builder<'a> {
    /// Subscriptions and the outbox.
    pub store: &'a dyn Store,
    /// What each subscription gets.
    pub picker: &'a dyn PaperPicker,
    /// Signs the unsubscribe links.
    pub signer: &'a Signer,
    /// Settings.
    pub config: &'a DigestConfig,
}

impl Builder<'_> {
    /// Builds and queues the digest of `period` for every active subscription of `frequency`
    /// that does not have it yet. `keep_going` is asked between subscriptions (false: stop).
    pub fn build(
        &self,
        frequency: Frequency,
        period: &Period,
        now: DateTime<Utc>,
        keep_going: &mut dyn FnMut(&BuildStats) -> bool,
    ) -> Result<BuildStats, DigestError> {
        let Builder { store, picker, signer, config } = *self;
        let key = period.key();
        let mut stats = BuildStats::default();
        for sub in store.active_subscriptions(frequency)? {
            if !keep_going(&stats) {
                break;
            }
            if store.has_mail(sub.id, "digest", &key)? {
                stats.already += 1;
                continue;
            }
            let papers = picker.pick(&sub, period, config.max_papers)?;
            if papers.is_empty() {
                stats.empty += 1;
                continue;
            }
            let base = config.base_url.trim_end_matches('/');
            let digest = Digest {
                to: sub.email.clone(),
                period_label: period.label(),
                frequency: sub.frequency.as_str().to_string(),
                papers,
                base_url: base.to_string(),
                unsubscribe_url: unsubscribe_url(base, signer, &sub),
                manage_url: format!("{base}/subscribe"),
                message_id: message_id(base, &sub, period),
            };
            let mail = render_digest(&digest)?;
            let json =
                serde_json::to_string(&mail).map_err(|e| DigestError::Corrupt { id: 0, reason: e.to_string() })?;
            if store.enqueue_mail(sub.id, "digest", &key, &json, now)? {
                stats.built += 1;
            } else {
                stats.already += 1;
            }
        }
        Ok(stats)
    }
}

/// What [`deliver`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeliverStats {
    /// Messages the SMTP server accepted.
    pub sent: u64,
    /// Temporary failures, to be retried later.
    pub retried: u64,
    /// Messages given up.
    pub failed: u64,
    /// Addresses disabled after repeated permanent failures.
    pub disabled: u64,
}

/// Sends every message due at `now` (digests and confirmations), `config.concurrency` at a
/// time, recording each outcome as it happens. `keep_going` is asked before each group of
/// messages (false: stop; the rest stay queued).
pub fn deliver(
    store: &dyn Store,
    mailer: &dyn Mailer,
    config: &DigestConfig,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    keep_going: &mut dyn FnMut(&DeliverStats) -> bool,
) -> Result<DeliverStats, DigestError> {
    let mut stats = DeliverStats::default();
    loop {
        let t = now();
        let batch = store.claim_due_mail(t, t + Duration::seconds(config.lease_secs), config.batch.max(1))?;
        if batch.is_empty() {
            return Ok(stats);
        }
        for group in batch.chunks(config.concurrency.max(1)) {
            if !keep_going(&stats) {
                return Ok(stats);
            }
            let outcomes: Vec<Result<Outcome, DigestError>> = std::thread::scope(|scope| {
                let sends: Vec<_> = group
                    .iter()
                    .map(|entry| scope.spawn(move || send_one(store, mailer, config, now, entry)))
                    .collect();
                sends.into_iter().map(|s| s.join().unwrap_or_else(|_| Err(DigestError::Panicked))).collect()
            });
            for outcome in outcomes {
                match outcome? {
                    Outcome::Sent => stats.sent += 1,
                    Outcome::Retry { disabled } => {
                        stats.retried += 1;
                        stats.disabled += u64::from(disabled);
                    }
                    Outcome::Failed { disabled } => {
                        stats.failed += 1;
                        stats.disabled += u64::from(disabled);
                    }
                }
            }
        }
    }
}

/// What became of one message.
enum Outcome {
    Sent,
    Retry { disabled: bool },
    Failed { disabled: bool },
}

/// Sends one claimed message and records the outcome.
fn send_one(
    store: &dyn Store,
    mailer: &dyn Mailer,
    config: &DigestConfig,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    entry: &papertide_core::OutboxEntry,
) -> Result<Outcome, DigestError> {
    let mail = serde_json::from_str(&entry.message)
        .map_err(|e| DigestError::Corrupt { id: entry.id, reason: e.to_string() })?;
    match mailer.send(&mail) {
        Ok(()) => {
            store.mark_mail_sent(entry.id, now())?;
            Ok(Outcome::Sent)
        }
        Err(e) => {
            let permanent = matches!(e, MailError::Permanent { .. }) || entry.attempts >= config.max_attempts;
            let retry_at = (!permanent).then(|| {
                let exp = entry.attempts.saturating_sub(1).min(16);
                now() + Duration::seconds(config.backoff_secs.saturating_mul(1 << exp))
            });
            tracing::warn!(outbox.id = entry.id, subscription.id = %entry.subscription,
                attempts = entry.attempts, permanent, error = %e, "sending a mail failed");
            let disabled = store.mark_mail_failed(entry.id, &e.to_string(), retry_at, config.disable_after, now())?;
            Ok(if permanent { Outcome::Failed { disabled } } else { Outcome::Retry { disabled } })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_have_keys_labels_and_windows() {
        let now: DateTime<Utc> = "2026-03-06T07:00:00Z".parse().unwrap();
        let day = Period::last(Frequency::Daily, now);
        assert_eq!((day.key(), day.label()), ("2026-03-05".to_string(), "Thursday, March 5, 2026".to_string()));
        let week = Period::last(Frequency::Weekly, now);
        assert_eq!((week.key(), week.label()), ("2026-W09".to_string(), "the week of February 23, 2026".to_string()));
    }

    #[test]
    fn categories_match_exactly_or_by_archive() {
        assert!(in_category("cs.LG", "cs.lg"));
        assert!(in_category("cs.LG", "cs"));
        assert!(in_category("cs.LG", "cs.*"));
        assert!(!in_category("cs.LG", "c"));
        assert!(!in_category("physics.optics", "cs"));
        assert!(!in_category("csx.LG", "cs"));
    }

    #[test]
    fn message_ids_are_stable_and_name_the_host() {
        let sub = Subscription {
            id: papertide_core::SubscriptionId(7),
            email: "a@example.org".into(),
            user: None,
            frequency: Frequency::Daily,
            topics: Default::default(),
            confirmed_at: None,
            unsubscribed_at: None,
            disabled_at: None,
            failures: 0,
            created_at: Utc::now(),
        };
        let p = Period::Day(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap());
        assert_eq!(
            message_id("https://papers.example.org:8443/", &sub, &p),
            "<digest.7.2026-03-05@papers.example.org>"
        );
    }
}
