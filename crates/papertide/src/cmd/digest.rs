//! `papertide digest run`: build the digests that are due and send everything in the outbox
//! (for cron users; `papertide serve` does the same every minute when `[mail] enabled`).
//!
//! A daily digest covers yesterday's feed (UTC) and goes out after `[mail] send_hour_utc`;
//! a weekly one covers last ISO week and goes out on Mondays. Building is once per
//! subscription and period (the outbox's unique key), so a run that is interrupted, even by
//! `kill -9`, and run again sends every subscriber exactly one digest. What is picked:
//! [`SearchPicker`], the feed picker of `papertide_mail` plus search alerts.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use papertide_core::{Frequency, Subscription};
use papertide_mail::config::MailConfig;
use papertide_mail::digest::{self, DigestError, FeedPicker, PaperPicker, Period};
use papertide_mail::link::Signer;
use papertide_mail::message::DigestPaper;
use papertide_mail::smtp::{Mailer, SmtpMailer};
use papertide_search::engine::{Mode, SearchEngine, SearchRequest};
use papertide_search::keyword::Filters;

use crate::config::Config;

/// `papertide digest` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Build the digests that are due and send the outbox
    Run {
        /// Build now, whatever the hour (default: only after [mail] send_hour_utc, and
        /// weekly digests only on Mondays)
        #[arg(long)]
        now: bool,
        /// Only this frequency: daily or weekly [default: both]
        #[arg(long)]
        frequency: Option<Frequency>,
        /// Build the digests of this period instead of the last one: a day (2026-03-05) for
        /// daily digests, an ISO week (2026-W10) for weekly ones (to catch up a missed run)
        #[arg(long, value_name = "DAY|WEEK")]
        period: Option<String>,
    },
}

/// Papers from the feed (trending, categories, authors) and from search (alerts).
pub struct SearchPicker<'a> {
    feed: FeedPicker<'a>,
    engine: &'a SearchEngine,
    base_url: String,
}

impl<'a> SearchPicker<'a> {
    /// A picker over the engine's store and index.
    pub fn new(engine: &'a SearchEngine, base_url: &str) -> SearchPicker<'a> {
        let base_url = base_url.trim_end_matches('/').to_string();
        SearchPicker { feed: FeedPicker::new(engine.store().as_ref(), &base_url), engine, base_url }
    }
}

impl SearchPicker<'_> {
    /// Adds the user's recommendations among the period's papers (from their upvotes and saved
    /// papers) to `papers`, up to `limit`, each saying which liked paper it is like. Nothing
    /// when they have liked nothing yet.
    fn for_you(
        &self,
        user: papertide_core::UserId,
        within: &Filters,
        papers: &mut Vec<DigestPaper>,
        limit: usize,
    ) -> Result<(), DigestError> {
        let recs = self
            .engine
            .recommend_for_user(user, within, limit, Utc::now())
            .map_err(|e| DigestError::Pick(format!("recommendations: {e}")))?;
        for r in recs {
            let reason = r.reason();
            self.add(papers, r.hit.paper, reason, limit)?;
        }
        Ok(())
    }

    /// Adds `paper` with its `reason` unless the digest is full or already holds it.
    fn add(
        &self,
        papers: &mut Vec<DigestPaper>,
        p: papertide_core::Paper,
        reason: String,
        limit: usize,
    ) -> Result<(), DigestError> {
        if papers.len() >= limit || papers.iter().any(|d| d.id == p.id.to_string()) {
            return Ok(());
        }
        let community = self.engine.store().community(&p.id)?;
        papers.push(DigestPaper {
            id: p.id.to_string(),
            url: format!("{}/papers/{}", self.base_url, p.id),
            title: p.title,
            authors: p.authors,
            abstract_text: p.abstract_text,
            upvotes: community.upvotes,
            reason: Some(reason),
        });
        Ok(())
    }
}

impl PaperPicker for SearchPicker<'_> {
    fn pick(&self, sub: &Subscription, period: &Period, limit: usize) -> Result<Vec<DigestPaper>, DigestError> {
        let mut papers = self.feed.pick(sub, period, limit)?;
        let (since, until) = match period {
            Period::Day(d) => (*d, *d),
            Period::Week(w) => {
                let monday = chrono::NaiveDate::from_isoywd_opt(w.year(), w.week(), Weekday::Mon).unwrap_or_default();
                (monday, monday + chrono::Duration::days(6))
            }
        };
        let filters = Filters {
            since: since.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
            until: until.and_hms_opt(23, 59, 59).map(|t| t.and_utc()),
            ..Default::default()
        };
        if let (true, Some(user)) = (sub.topics.for_you, sub.user) {
            self.for_you(user, &filters, &mut papers, limit)?;
        }
        for query in &sub.topics.queries {
            if papers.len() >= limit {
                break;
            }
            let request = SearchRequest {
                text: query.clone(),
                mode: Mode::Hybrid,
                filters: filters.clone(),
                limit,
                ..Default::default()
            };
            let hits = match self.engine.search(&request) {
                Ok(r) => r.hits,
                Err(e) => {
                    tracing::warn!(subscription.id = %sub.id, query = %query, error = %e, "alert search failed");
                    continue;
                }
            };
            for hit in hits {
                self.add(&mut papers, hit.paper, format!("Matches your alert “{query}”"), limit)?;
            }
        }
        Ok(papers)
    }
}

/// A `--period`: `2026-03-05` or `2026-W10`.
fn parse_period(text: &str) -> anyhow::Result<Period> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Period::Day(day));
    }
    let week = text
        .split_once("-W")
        .and_then(|(y, w)| Some((y.parse::<i32>().ok()?, w.parse::<u32>().ok()?)))
        .and_then(|(y, w)| chrono::NaiveDate::from_isoywd_opt(y, w, Weekday::Mon));
    match week {
        Some(monday) => Ok(Period::Week(monday.iso_week())),
        None => anyhow::bail!("`{text}` is neither a day (2026-03-05) nor an ISO week (2026-W10)"),
    }
}

/// The state key recording the last period fully built for a frequency.
fn built_key(frequency: Frequency) -> String {
    format!("mail.built.{}", frequency.as_str())
}

/// One pass of the mail worker: builds the digests due at `now` (all of them when `force`),
/// then sends what the outbox holds. Stops early once `keep_going` says no (Ctrl-C, or the
/// scheduler lease went to another replica); the rest waits.
pub fn tick(
    engine: &SearchEngine,
    mailer: &dyn Mailer,
    config: &MailConfig,
    only: Option<Frequency>,
    period: Option<Period>,
    force: bool,
    keep_going: &mut dyn FnMut() -> bool,
) -> anyhow::Result<(digest::BuildStats, digest::DeliverStats)> {
    let store = engine.store().as_ref();
    let now = Utc::now();
    let signer = Signer::from_store(store).context("reading the link-signing secret")?;
    let picker = SearchPicker::new(engine, &config.digest.base_url);
    let mut built = digest::BuildStats::default();
    for frequency in [Frequency::Daily, Frequency::Weekly] {
        let forced = force || period.is_some();
        if only.is_some_and(|o| o != frequency) || !(forced || due(frequency, now, config.send_hour_utc)) {
            continue;
        }
        let period = period.unwrap_or_else(|| Period::last(frequency, now));
        if !forced && store.get_state(&built_key(frequency))?.as_deref() == Some(period.key().as_str()) {
            continue;
        }
        let builder = digest::Builder { store, picker: &picker, signer: &signer, config: &config.digest };
        let stats = builder
            .build(frequency, &period, now, &mut |_| keep_going())
            .with_context(|| format!("building the {} digests of {}", frequency.as_str(), period.key()))?;
        if keep_going() && period == Period::last(frequency, now) {
            store.put_state(&built_key(frequency), &period.key())?;
        }
        tracing::info!(frequency = frequency.as_str(), period = %period.key(), built = stats.built,
            already = stats.already, empty = stats.empty, "digests built");
        built.built += stats.built;
        built.already += stats.already;
        built.empty += stats.empty;
    }
    let sent = digest::deliver(store, mailer, &config.digest, &Utc::now, &mut |_| keep_going())
        .context("sending the outbox")?;
    Ok((built, sent))
}

/// The `[mail]` settings with the site's `[web] base_url` for links.
pub fn mail_config(config: &Config) -> MailConfig {
    let mut mail = config.mail.clone();
    mail.digest.base_url = config.web.base_url.clone();
    mail
}

/// True when digests of `frequency` are due at `now`.
fn due(frequency: Frequency, now: DateTime<Utc>, send_hour: u32) -> bool {
    now.hour() >= send_hour.min(23) && (frequency == Frequency::Daily || now.weekday() == Weekday::Mon)
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run { now, frequency, period } => {
            let period = period.map(|p| parse_period(&p)).transpose()?;
            let frequency = match (period, frequency) {
                (Some(Period::Day(_)), None | Some(Frequency::Daily)) => Some(Frequency::Daily),
                (Some(Period::Week(_)), None | Some(Frequency::Weekly)) => Some(Frequency::Weekly),
                (Some(_), Some(f)) => anyhow::bail!("--period does not fit --frequency {}", f.as_str()),
                (None, f) => f,
            };
            let engine = super::search::open_engine(config)?;
            engine.sync(&mut |_| {}).context("bringing the search index up to date")?;
            let mailer = SmtpMailer::new(&config.mail.smtp).context("setting up SMTP")?;
            let stop = AtomicBool::new(false);
            let (built, sent) = tick(&engine, &mailer, &mail_config(config), frequency, period, now, &mut || {
                !stop.load(Ordering::SeqCst)
            })?;
            println!(
                "digests: {} built, {} already built, {} with nothing to send; mail: {} sent, {} to retry, {} failed, {} addresses disabled",
                built.built, built.already, built.empty, sent.sent, sent.retried, sent.failed, sent.disabled
            );
            Ok(if sent.failed > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
    }
}
