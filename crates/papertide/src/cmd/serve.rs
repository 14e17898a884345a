//! `papertide serve`: the web application on SQLite, with a background worker that keeps the
//! search indexes current (new imports become searchable by keyword within seconds) and
//! embeds papers that have no embedding yet, a batch at a time.

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

/// How often the background worker looks for new papers.
const WORKER_INTERVAL: Duration = Duration::from_secs(5);

/// Brings the keyword index up to date with the store and features new papers.
fn index_new_papers(engine: &SearchEngine, categories: &[String]) {
    if let Err(e) = engine.sync(&mut |_| {}) {
        tracing::error!(error = %e, "background index update failed");
    }
    if !categories.is_empty() {
        match auto_feature(engine.store().as_ref(), categories) {
            Ok(0) => {}
            Ok(n) => tracing::info!(papers = n, "auto-featured new papers"),
            Err(e) => tracing::error!(error = %e, "auto-featuring failed"),
        }
    }
}

/// Keeps the indexes current until `stop`: sync the keyword index with the store, then embed
/// the backlog (each batch stored as it completes; `stop` ends it after the current batch).
/// A long backlog (a big import) does not hold up new papers: between embedding batches the
/// keyword index is synced again every [`WORKER_INTERVAL`], so imports are searchable by
/// keyword within seconds while embedding catches up.
fn worker(engine: Arc<SearchEngine>, batch: usize, categories: Vec<String>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        index_new_papers(&engine, &categories);
        if engine.model_problem().is_none() {
            let mut synced = std::time::Instant::now();
            let mut between_batches = |_| {
                if synced.elapsed() >= WORKER_INTERVAL {
                    index_new_papers(&engine, &categories);
                    synced = std::time::Instant::now();
                }
            };
            match engine.embed_backlog(batch, &mut between_batches, &stop) {
                Ok(0) => {}
                Ok(n) => tracing::info!(papers = n, "embedded in the background"),
                Err(e) => tracing::error!(error = %e, "background embedding failed"),
            }
        }
        let mut slept = Duration::ZERO;
        while slept < WORKER_INTERVAL && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
            slept += Duration::from_millis(100);
        }
    }
}

/// Builds digests when they are due and sends the outbox (confirmations within `[mail]
/// poll_secs` of a subscription), until `stop`.
fn mail_worker(
    engine: &SearchEngine,
    mailer: &dyn papertide_mail::smtp::Mailer,
    config: &papertide_mail::config::MailConfig,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::SeqCst) {
        match super::digest::tick(engine, mailer, config, None, None, false, stop) {
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
        let mut slept = Duration::ZERO;
        while slept < Duration::from_secs(config.poll_secs.max(1)) && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
            slept += Duration::from_millis(100);
        }
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
    let state = AppState::new(store, engine.clone(), fetcher, config.web.clone());

    let stop = Arc::new(AtomicBool::new(false));
    let background = {
        let (engine, stop) = (engine.clone(), stop.clone());
        let batch = config.web.embed_batch.max(1);
        let mut categories = config.web.auto_feature_categories.clone();
        categories.extend(args.auto_feature.iter().cloned());
        std::thread::Builder::new()
            .name("index-worker".into())
            .spawn(move || worker(engine, batch, categories, stop))
            .context("starting the index worker")?
    };

    let mail = if config.mail.enabled {
        let mailer = papertide_mail::smtp::SmtpMailer::new(&config.mail.smtp).context("setting up SMTP")?;
        let (engine, stop, mail_config) = (engine.clone(), stop.clone(), super::digest::mail_config(config));
        Some(
            std::thread::Builder::new()
                .name("mail-worker".into())
                .spawn(move || mail_worker(&engine, &mailer, &mail_config, &stop))
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
        tracing::error!("the index worker panicked");
    }
    if mail.is_some_and(|m| m.join().is_err()) {
        tracing::error!("the mail worker panicked");
    }
    served.with_context(|| format!("serving on {addr}"))?;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}
