//! `papertide serve`: the web application on SQLite, with a background worker that keeps the
//! search indexes current (new imports become searchable by keyword within seconds) and
//! embeds papers that have no embedding yet, a batch at a time.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use papertide_search::engine::SearchEngine;
use papertide_web::fetch::ArxivFetcher;
use papertide_web::AppState;

use crate::config::Config;

/// Arguments of `papertide serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: the config's `addr`, 127.0.0.1:8000; env PAPERTIDE_ADDR]
    #[arg(long, value_name = "HOST:PORT")]
    addr: Option<SocketAddr>,
}

/// How often the background worker looks for new papers.
const WORKER_INTERVAL: Duration = Duration::from_secs(5);

/// Keeps the indexes current until `stop`: sync the keyword index with the store, then embed
/// the backlog (each batch stored as it completes; `stop` ends it after the current batch).
fn worker(engine: Arc<SearchEngine>, batch: usize, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        if let Err(e) = engine.sync(&mut |_| {}) {
            tracing::error!(error = %e, "background index update failed");
        }
        if engine.model_problem().is_none() {
            match engine.embed_backlog(batch, &mut |_| {}, &stop) {
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
        std::thread::Builder::new()
            .name("index-worker".into())
            .spawn(move || worker(engine, batch, stop))
            .context("starting the index worker")?
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
    served.with_context(|| format!("serving on {addr}"))?;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}
