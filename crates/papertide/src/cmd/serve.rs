//! `papertide serve`: the web application, with a background worker that keeps the search
//! indexes current (new imports become searchable by keyword within seconds) and embeds
//! papers that have no embedding yet, a batch at a time, and the mail worker. On PostgreSQL
//! several replicas can serve one database: each keeps its own indexes current from the
//! store's change feed, and the jobs that must run once (embedding, auto-featuring, digests)
//! run on the replica holding their lease ([`papertide_store::lease`]).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use papertide_core::SubmitOutcome;
use papertide_search::engine::SearchEngine;
use papertide_search::keyword::Filters;
use papertide_store::lease::{process_id, Lease};
use papertide_store::Store;
use papertide_web::fetch::ArxivFetcher;
use papertide_web::AppState;

use crate::config::Config;

/// Arguments of `papertide serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: the config's `addr`, 127.0.0.1:8000; env PAPERTIDE_ADDR]
    #[arg(long, value_name = "HOST:PORT")]
    addr: Option<SocketAddr>,
    /// Put new papers of this category or archive (`cs.LG`, `cs`) on the feed of their
    /// publication day automatically; repeatable; adds to the config's
    /// `web.auto_feature_categories`
    #[arg(long, value_name = "CATEGORY")]
    auto_feature: Vec<String>,
}

/// The state key of the auto-feature cursor (the store's change-feed sequence).
const AUTO_FEATURE_CURSOR: &str = "web.auto_feature.seq";

/// Features papers changed since the last run whose categories match, on the feed of their
/// publication day (admin-featured, no submitter). Resumes from a cursor in the store.
fn auto_feature(store: &dyn Store, categories: &[String]) -> anyhow::Result<u64> {
    let filters = Filters { categories: categories.to_vec(), ..Default::default() };
    let mut cursor: u64 = store.get_state(AUTO_FEATURE_CURSOR)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut featured = 0;
    loop {
        let changes = store.papers_changed_since(cursor, 5_000)?;
        let Some(last) = changes.last() else { break };
        let last_seq = last.seq;
        for change in &changes {
            let (Some(published), true) = (change.paper.published, filters.matches(&change.paper)) else { continue };
            if let SubmitOutcome::Submitted =
                store.submit(&change.paper.id, published.date_naive(), None, true, Utc::now())?
            {
                featured += 1;
            }
        }
        cursor = last_seq;
        store.put_state(AUTO_FEATURE_CURSOR, &cursor.to_string())?;
    }
    Ok(featured)
}

/// How often the background worker looks for new papers (with several replicas, a paper
/// imported through one is searchable by keyword on the others within about this long).
const WORKER_INTERVAL: Duration = Duration::from_secs(2);
/// The lease of the background jobs only one replica should run: embedding the backlog and
/// auto-featuring (the holder's [`indexer`] and [`embedder`] threads both keep it).
const BACKGROUND_LEASE: &str = "serve.background";
/// The lease of the digest scheduler and outbox sender.
const MAIL_LEASE: &str = "serve.mail";
/// How long a lease lasts unless renewed: a replica that dies hands its jobs over this late.
const LEASE_TTL: Duration = Duration::from_secs(30);

/// Brings the keyword index (and the vector index, from stored embeddings) up to date.
fn sync_index(engine: &SearchEngine) {
    if let Err(e) = engine.sync(&mut |_| {}) {
        tracing::error!(error = %e, "background index update failed");
    }
}

/// Features new papers of the configured categories.
fn feature_new_papers(engine: &SearchEngine, categories: &[String]) {
    if !categories.is_empty() {
        match auto_feature(engine.store().as_ref(), categories) {
            Ok(0) => {}
            Ok(n) => tracing::info!(papers = n, "auto-featured new papers"),
            Err(e) => tracing::error!(error = %e, "auto-featuring failed"),
        }
    }
}

/// Keeps the indexes current until `stop`: every [`WORKER_INTERVAL`] it syncs the keyword
/// index with the store's change feed (and the vector index with vectors stored by the
/// embedder), so imports are searchable by keyword within seconds on every replica, whatever
/// the embedder is doing; the replica holding the [`BACKGROUND_LEASE`] also features new
/// papers.
fn indexer(engine: Arc<SearchEngine>, categories: Vec<String>, holder: String, stop: Arc<AtomicBool>) {
    let store = engine.store().clone();
    let mut lease = Lease::new(store.as_ref(), BACKGROUND_LEASE, &holder, LEASE_TTL);
    while !stop.load(Ordering::SeqCst) {
        sync_index(&engine);
        if !categories.is_empty() && lease.held() {
            feature_new_papers(&engine, &categories);
        }
        sleep_unless_stopped(WORKER_INTERVAL, &stop);
    }
    lease.release();
}

/// Embeds papers that have no embedding yet, a batch at a time (each stored as it
/// completes), on the replica holding the [`BACKGROUND_LEASE`], until `stop` (which, like
/// losing the lease, ends a run after the current batch). Other replicas load the stored
/// vectors in [`indexer`].
fn embedder(engine: Arc<SearchEngine>, batch: usize, holder: String, stop: Arc<AtomicBool>) {
    if engine.model_problem().is_some() {
        return;
    }
    let store = engine.store().clone();
    let mut lease = Lease::new(store.as_ref(), BACKGROUND_LEASE, &holder, LEASE_TTL);
    while !stop.load(Ordering::SeqCst) {
        if lease.held() {
            let halt = AtomicBool::new(false);
            let mut between_batches = |_| {
                if stop.load(Ordering::SeqCst) || !lease.held() {
                    halt.store(true, Ordering::SeqCst);
                }
            };
            match engine.embed_backlog(batch, &mut between_batches, &halt) {
                Ok(0) => {}
                Ok(n) => tracing::info!(papers = n, "embedded in the background"),
                Err(e) => tracing::error!(error = %e, "background embedding failed"),
            }
        }
        sleep_unless_stopped(WORKER_INTERVAL, &stop);
    }
    lease.release();
}

/// Builds digests when they are due and sends the outbox (confirmations within `[mail]
/// poll_secs` of a subscription), until `stop`. With several replicas over one database, one
/// of them at a time does this: the holder of the [`MAIL_LEASE`].
fn mail_worker(
    engine: &SearchEngine,
    mailer: &dyn papertide_mail::smtp::Mailer,
    config: &papertide_mail::config::MailConfig,
    holder: &str,
    stop: &AtomicBool,
) {
    let mut lease = Lease::new(engine.store().as_ref(), MAIL_LEASE, holder, LEASE_TTL);
    while !stop.load(Ordering::SeqCst) {
        if !lease.held() {
            sleep_unless_stopped(Duration::from_secs(config.poll_secs.max(1)), stop);
            continue;
        }
        let mut keep_going = || !stop.load(Ordering::SeqCst) && lease.held();
        match super::digest::tick(engine, mailer, config, None, None, false, &mut keep_going) {
            Ok((built, sent)) if built.built + sent.sent + sent.retried + sent.failed > 0 => {
                tracing::info!(
                    built = built.built,
                    sent = sent.sent,
                    retried = sent.retried,
                    failed = sent.failed,
                    "mail"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "the mail worker failed; retrying"),
        }
        sleep_unless_stopped(Duration::from_secs(config.poll_secs.max(1)), stop);
    }
    lease.release();
}

/// Sleeps `total`, waking early when `stop` is set.
fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let mut slept = Duration::ZERO;
    while slept < total && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        slept += Duration::from_millis(100);
    }
}

pub fn run(config: &Config, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let addr: SocketAddr = match args.addr {
        Some(a) => a,
        None => config.addr.parse().with_context(|| format!("invalid listen address `{}`", config.addr))?,
    };
    let engine = Arc::new(super::search::open_engine(config)?);
    if let Some(problem) = engine.model_problem() {
        eprintln!("note: semantic search is off until the model is installed: {problem}");
    }
    let store = engine.store().clone();
    let fetcher = Arc::new(ArxivFetcher::new(&config.harvest).context("setting up the arXiv client")?);
    let mut web = config.web.clone();
    // Several replicas share one PostgreSQL: count rate limits there unless told otherwise.
    web.shared_rate_limits.get_or_insert(config.database.url.is_some());
    let state = AppState::new(store, engine.clone(), fetcher, web);

    let stop = Arc::new(AtomicBool::new(false));
    let holder = process_id();
    let mut categories = config.web.auto_feature_categories.clone();
    categories.extend(args.auto_feature.iter().cloned());
    let background = {
        let (engine, stop, holder) = (engine.clone(), stop.clone(), holder.clone());
        std::thread::Builder::new()
            .name("indexer".into())
            .spawn(move || indexer(engine, categories, holder, stop))
            .context("starting the indexer")?
    };
    let embedding = {
        let (engine, stop, holder) = (engine.clone(), stop.clone(), holder.clone());
        let batch = config.web.embed_batch.max(1);
        std::thread::Builder::new()
            .name("embedder".into())
            .spawn(move || embedder(engine, batch, holder, stop))
            .context("starting the embedder")?
    };

    let mail = if config.mail.enabled {
        let mailer = Arc::new(papertide_mail::smtp::SmtpMailer::new(&config.mail.smtp).context("setting up SMTP")?);
        // Password reset mails go straight from the web handlers; digests through the outbox.
        state.set_mailer(mailer.clone());
        let (engine, stop, mail_config) = (engine.clone(), stop.clone(), super::digest::mail_config(config));
        Some(
            std::thread::Builder::new()
                .name("mail-worker".into())
                .spawn(move || mail_worker(&engine, &*mailer, &mail_config, &holder, &stop))
                .context("starting the mail worker")?,
        )
    } else {
        eprintln!("note: mail is off ([mail] enabled = false): subscriptions are recorded, nothing is sent");
        None
    };

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    let served = runtime.block_on(papertide_web::serve(
        addr,
        state,
        |bound| eprintln!("papertide is listening on http://{bound}/ (Ctrl-C to stop)"),
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    ));
    stop.store(true, Ordering::SeqCst);
    if background.join().is_err() {
        tracing::error!("the indexer panicked");
    }
    if embedding.join().is_err() {
        tracing::error!("the embedder panicked");
    }
    if mail.is_some_and(|m| m.join().is_err()) {
        tracing::error!("the mail worker panicked");
    }
    served.with_context(|| format!("serving on {addr}"))?;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}
