//! `papertide harvest`: the live arXiv clients, writing into the store as they go.
//!
//! OAI-PMH (default): `--from/--until/--set`, following resumption tokens. After each page its
//! papers are committed and then the checkpoint is saved in the store, so an interrupted
//! harvest resumes where it stopped (`--restart` ignores the checkpoint). Without `--from`, a
//! harvest starts at the day the last completed harvest of the same set ran: daily runs stay
//! incremental. arXiv API: `--query` or `--id-list`.

use std::cell::RefCell;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use papertide_core::Paper;
use papertide_ingest::harvest::{
    ArxivApiClient, HarvestError, MetadataPrefix, OaiCheckpoint, OaiHarvester, OaiObserver, OaiProgress, OaiQuery,
    SearchOptions,
};
use papertide_ingest::{IngestError, Item};
use papertide_store::Store;
use serde::{Deserialize, Serialize};

use super::sink::Sink;
use crate::config::Config;

/// Arguments of `papertide harvest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// OAI-PMH: records changed on or after this day (YYYY-MM-DD) [default: the day the last
    /// completed harvest of this set ran]
    #[arg(long, value_name = "DATE")]
    from: Option<NaiveDate>,
    /// OAI-PMH: records changed on or before this day
    #[arg(long, value_name = "DATE")]
    until: Option<NaiveDate>,
    /// OAI-PMH: set to harvest, e.g. `cs`, `math`, `physics:hep-th`
    #[arg(long)]
    set: Option<String>,
    /// OAI-PMH: metadata format, `arXiv` or `arXivRaw`
    #[arg(long, default_value = "arXiv")]
    metadata_prefix: MetadataPrefix,
    /// OAI-PMH: ignore a saved checkpoint and start over
    #[arg(long)]
    restart: bool,
    /// arXiv API: a search query, e.g. `cat:cs.LG AND ti:attention`
    #[arg(long, conflicts_with_all = ["from", "until", "set", "restart"])]
    query: Option<String>,
    /// arXiv API: comma-separated ids to fetch
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["from", "until", "set", "restart", "query"])]
    id_list: Vec<String>,
    /// arXiv API: most results of a query
    #[arg(long, default_value_t = 100)]
    limit: u64,
    /// Endpoint to use instead of arXiv's (OAI-PMH or API, whichever mode runs)
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Least milliseconds between requests [default: 3000, as arXiv asks]
    #[arg(long, value_name = "MS")]
    min_interval_ms: Option<u64>,
}

/// What is kept in the store between OAI-PMH runs of one set and format.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SavedHarvest {
    checkpoint: Option<OaiCheckpoint>,
    last_completed: Option<NaiveDate>,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    let mut harvest_config = config.harvest.clone();
    if let Some(ms) = args.min_interval_ms {
        harvest_config.min_interval_ms = ms;
    }
    let api_mode = args.query.is_some() || !args.id_list.is_empty();
    if let Some(url) = &args.base_url {
        if api_mode {
            harvest_config.api_base_url = url.clone();
        } else {
            harvest_config.oai_base_url = url.clone();
        }
    }
    let store = super::open_store(config)?;
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let shared = Shared {
        sink: RefCell::new(Sink::new(store.as_ref(), None)?),
        batch: RefCell::new(Vec::new()),
        batch_size: config.import.batch_size,
        interrupted: interrupted.clone(),
    };
    let result = if api_mode {
        run_api(&harvest_config, &args, &shared)
    } else {
        run_oai(&harvest_config, &args, store.as_ref(), &shared)
    };
    shared.flush()?;
    let sink = shared.sink.into_inner();
    eprintln!(
        "harvested {} records: {} new, {} updated, {} unchanged, {} older versions ignored; {} rejected",
        sink.records,
        sink.written.inserted,
        sink.written.updated,
        sink.written.unchanged,
        sink.written.stale,
        sink.rejected
    );
    match result {
        Err(HarvestError::Stopped) if interrupted.load(Ordering::SeqCst) => {
            eprintln!("interrupted: committed pages are kept; run the same command again to resume");
            Ok(ExitCode::from(130))
        }
        Err(e) => Err(anyhow::Error::new(e).context("harvest failed (committed pages are kept; run again to resume)")),
        Ok(()) if sink.rejected > 0 => Ok(ExitCode::from(3)),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

/// State shared by the item callback and the OAI-PMH observer.
struct Shared<'a> {
    sink: RefCell<Sink<'a>>,
    batch: RefCell<Vec<Paper>>,
    batch_size: usize,
    interrupted: Arc<AtomicBool>,
}

impl Shared<'_> {
    fn emit(&self, item: Item) -> Result<(), IngestError> {
        if self.interrupted.load(Ordering::Relaxed) {
            return Err(IngestError::Stopped);
        }
        match item {
            Item::Paper(p) => {
                self.batch.borrow_mut().push(*p);
                if self.batch.borrow().len() >= self.batch_size {
                    self.flush().map_err(|_| IngestError::Stopped)?;
                }
            }
            Item::Rejected(e) => self.sink.borrow_mut().reject(&e).map_err(|_| IngestError::Stopped)?,
        }
        Ok(())
    }

    fn flush(&self) -> anyhow::Result<()> {
        let papers = std::mem::take(&mut *self.batch.borrow_mut());
        self.sink.borrow_mut().write(&papers)
    }
}

fn run_api(
    config: &papertide_ingest::harvest::HarvestConfig,
    args: &Args,
    shared: &Shared<'_>,
) -> Result<(), HarvestError> {
    let client = ArxivApiClient::new(config)?;
    let mut emit = |item| shared.emit(item);
    let summary = match &args.query {
        Some(q) => client.query(q, &SearchOptions { limit: args.limit, ..Default::default() }, &mut emit)?,
        None => client.id_list(&args.id_list, &mut emit)?,
    };
    if let Some(total) = summary.total_results {
        eprintln!("the query matches {total} papers on arXiv; fetched {}", summary.entries);
    }
    Ok(())
}

struct Observer<'s, 'a> {
    shared: &'s Shared<'a>,
    store: &'s dyn Store,
    key: String,
    saved: SavedHarvest,
}

impl OaiObserver for Observer<'_, '_> {
    fn checkpoint(&mut self, checkpoint: &OaiCheckpoint) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // The page's papers first, then the checkpoint that says they are in.
        self.shared.flush().map_err(|e| e.to_string())?;
        self.saved.checkpoint = Some(checkpoint.clone());
        self.store.put_state(&self.key, &serde_json::to_string(&self.saved)?)?;
        Ok(())
    }

    fn progress(&mut self, p: &OaiProgress) {
        match p.complete_list_size {
            Some(total) => eprintln!("page {}: {} of {total} records", p.pages, p.records),
            None => eprintln!("page {}: {} records", p.pages, p.records),
        }
    }
}

fn run_oai(
    config: &papertide_ingest::harvest::HarvestConfig,
    args: &Args,
    store: &dyn Store,
    shared: &Shared<'_>,
) -> Result<(), HarvestError> {
    let key = format!("harvest.oai/{}/{}", args.metadata_prefix.as_str(), args.set.as_deref().unwrap_or("all"));
    let saved: SavedHarvest = store
        .get_state(&key)
        .map_err(|e| HarvestError::Checkpoint(e.to_string().into()))?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let started_on = chrono::Utc::now().date_naive();
    let query = OaiQuery {
        metadata_prefix: args.metadata_prefix,
        from: args.from.or(saved.last_completed),
        until: args.until,
        set: args.set.clone(),
    };
    let resume_from = match &saved.checkpoint {
        Some(cp) if !args.restart && !cp.done && (args.from.is_none() || cp.query == query) => {
            eprintln!(
                "resuming the harvest saved after page {} ({} records); --restart starts over",
                cp.pages, cp.records
            );
            cp.clone()
        }
        _ => {
            if let Some(from) = query.from {
                eprintln!("harvesting records changed since {from}");
            }
            OaiCheckpoint::start(query)
        }
    };
    let harvester = OaiHarvester::new(config)?;
    let mut observer = Observer { shared, store, key, saved };
    let mut emit = |item| shared.emit(item);
    let summary = harvester.resume(&resume_from, &mut observer, &mut emit)?;
    shared.flush().map_err(|e| HarvestError::Checkpoint(e.to_string().into()))?;
    observer.saved.checkpoint = Some(summary.checkpoint.clone());
    observer.saved.last_completed = Some(summary.checkpoint.query.until.unwrap_or(started_on));
    let json = serde_json::to_string(&observer.saved).map_err(|e| HarvestError::Checkpoint(e.into()))?;
    store
        .put_state(&observer.key, &json)
        .context("saving the harvest state")
        .map_err(|e| HarvestError::Checkpoint(e.into()))?;
    Ok(())
}
