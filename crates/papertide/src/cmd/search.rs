//! `papertide search`, `similar`, `embed` and `reindex`: the search engine on the command line
//! (`embed import` is [`super::vectors`]).
//!
//! Every command first catches the keyword index up with the store (papers are searchable by
//! keyword as soon as they are imported). Hits print as text, or with `--json` as a list of
//! `{id, title, abstract, authors, published, score}`, best first.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use papertide_core::PaperId;
use papertide_search::engine::{EngineOptions, Hit, Mode, SearchEngine, SearchRequest};
use papertide_search::fusion::Fusion;
use papertide_search::keyword::Filters;
use serde::Serialize;

use crate::config::Config;
use crate::progress::Progress;

/// Arguments of `papertide search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// What to look for; an arXiv id or URL opens that paper
    query: String,
    /// hybrid (keyword + semantic), keyword, or semantic
    #[arg(long, default_value = "hybrid")]
    mode: Mode,
    /// Most hits
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Hits to skip (paging)
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Only this category (`cs.LG`) or archive (`cs`); repeatable
    #[arg(long)]
    category: Vec<String>,
    /// Only papers published on or after this day (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    since: Option<NaiveDate>,
    /// Only papers published on or before this day (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    until: Option<NaiveDate>,
    /// Only papers with an author matching every word of this
    #[arg(long)]
    author: Option<String>,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

/// Arguments of `papertide similar`.
#[derive(Debug, clap::Args)]
pub struct SimilarArgs {
    /// The paper (arXiv id or URL, or namespaced id)
    id: String,
    /// hybrid (embedding + shared words), semantic (embedding), or keyword (shared words)
    #[arg(long, default_value = "hybrid")]
    mode: Mode,
    /// Most hits
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

/// Arguments of `papertide embed`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EmbedArgs {
    #[command(subcommand)]
    command: Option<EmbedCommand>,
    /// Papers per batch: each is stored as soon as it is embedded, while the next is embedded
    #[arg(long, default_value_t = 64)]
    batch: usize,
}

/// `papertide embed` subcommands (without one it embeds the backlog).
#[derive(Debug, clap::Subcommand)]
pub enum EmbedCommand {
    /// Store vectors computed elsewhere (JSON Lines, or .npy with --ids), checked for model and
    /// dimension
    Import(super::vectors::ImportArgs),
}

/// The JSON shape of a hit.
#[derive(Debug, Serialize)]
struct JsonHit<'a> {
    id: &'a PaperId,
    title: &'a str,
    #[serde(rename = "abstract")]
    abstract_text: &'a str,
    authors: &'a [String],
    published: Option<DateTime<Utc>>,
    score: f32,
}

/// Opens the store and the search indexes as configured, without catching them up;
/// `model_dir: None` opens them without the embedding model.
fn open_indexes(config: &Config, model_dir: Option<std::path::PathBuf>) -> anyhow::Result<SearchEngine> {
    let store = super::open_store(config)?;
    let options = EngineOptions {
        data_dir: config.data_dir.clone(),
        model_dir,
        fusion: Fusion::default(),
        vectors: config.search.vectors,
        keyword_threads: config.search.keyword_threads,
    };
    SearchEngine::open(store, &options).context("opening the search indexes")
}

/// Opens the engine over the configured store and catches its indexes up.
pub fn open_engine(config: &Config) -> anyhow::Result<SearchEngine> {
    let engine = open_indexes(config, Some(config.model_dir()))?;
    let mut bar = Progress::new("indexing", None);
    let report = engine.sync(&mut |n| bar.update(n, 0)).context("updating the keyword index")?;
    bar.finish();
    if report.keyword_indexed > 0 {
        tracing::info!(papers = report.keyword_indexed, "keyword index caught up");
    }
    Ok(engine)
}

fn day_start(d: NaiveDate) -> Option<DateTime<Utc>> {
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

fn day_end(d: NaiveDate) -> Option<DateTime<Utc>> {
    d.and_hms_opt(23, 59, 59).map(|t| t.and_utc())
}

fn print_hits(hits: &[Hit], json: bool) -> anyhow::Result<()> {
    if json {
        let out: Vec<JsonHit<'_>> = hits
            .iter()
            .map(|h| JsonHit {
                id: &h.paper.id,
                title: &h.paper.title,
                abstract_text: &h.paper.abstract_text,
                authors: &h.paper.authors,
                published: h.paper.published,
                score: h.score,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    for (i, h) in hits.iter().enumerate() {
        let date = h.paper.published.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
        println!("{:>2}. [{}] {}  ({date}, score {:.4})", i + 1, h.paper.id, h.paper.title, h.score);
        println!("    {}", h.paper.authors.join(", "));
        if !h.paper.abstract_text.is_empty() {
            println!("    {}", h.paper.abstract_text);
        }
        println!();
    }
    if hits.is_empty() {
        println!("no results");
    }
    Ok(())
}

pub fn search(config: &Config, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let engine = open_engine(config)?;
    let request = SearchRequest {
        text: args.query,
        mode: args.mode,
        filters: Filters {
            categories: args.category,
            since: args.since.and_then(day_start),
            until: args.until.and_then(day_end),
            author: args.author,
        },
        limit: args.limit,
        offset: args.offset,
        typing: false,
    };
    let response = engine.search(&request).context("searching")?;
    if let Some(notice) = &response.notice {
        eprintln!("note: {notice}");
    }
    print_hits(&response.hits, args.json)?;
    Ok(ExitCode::SUCCESS)
}

pub fn similar(config: &Config, args: SimilarArgs) -> anyhow::Result<ExitCode> {
    let id: PaperId = args.id.parse().with_context(|| format!("invalid paper id `{}`", args.id))?;
    let engine = open_engine(config)?;
    let response = engine.similar(&id, args.mode, args.limit, &Filters::default()).context("finding similar papers")?;
    if let Some(notice) = &response.notice {
        eprintln!("note: {notice}");
    }
    print_hits(&response.hits, args.json)?;
    Ok(ExitCode::SUCCESS)
}

pub fn embed(config: &Config, args: EmbedArgs) -> anyhow::Result<ExitCode> {
    if let Some(EmbedCommand::Import(import)) = args.command {
        return super::vectors::import(config, import);
    }
    let engine = open_engine(config)?;
    if let Some(problem) = engine.model_problem() {
        anyhow::bail!("{problem}");
    }
    let backlog = engine.embedding_backlog()?;
    if backlog == 0 {
        eprintln!("every paper is embedded");
        return Ok(ExitCode::SUCCESS);
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let flag = stop.clone();
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    eprintln!("embedding {backlog} papers (resumable: every batch is stored as it completes)");
    let mut bar = Progress::items("embedding", backlog, "papers");
    let done = engine.embed_backlog(args.batch, &mut |n| bar.update(n, 0), &stop).context("embedding papers")?;
    let elapsed = bar.finish();
    eprintln!(
        "embedded {done} papers in {:.1} s ({:.1} papers/s)",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    if stop.load(Ordering::SeqCst) {
        eprintln!("interrupted: stored batches are kept; run `papertide embed` again to finish");
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}

/// Catches the keyword index up with the database in bulk (`import --index`). A running
/// `serve` holding the index's writer is not an error: it indexes the new papers itself.
/// With PostgreSQL nothing is built here: every replica indexes from the database.
pub fn index_keywords(config: &Config) -> anyhow::Result<()> {
    if config.database.url.is_some() {
        eprintln!("keyword index: each replica indexes the new papers from the database");
        return Ok(());
    }
    let engine = open_indexes(config, None)?;
    let mut bar = Progress::new("keyword-indexing", None);
    match engine.sync(&mut |n| bar.update(n, 0)) {
        Ok(report) => {
            let elapsed = bar.finish();
            eprintln!("keyword-indexed {} papers in {:.1} s", report.keyword_indexed, elapsed.as_secs_f64());
            Ok(())
        }
        Err(papertide_search::SearchError::KeywordWriterBusy) => {
            bar.finish();
            eprintln!("keyword index: a running papertide holds it and indexes the new papers itself");
            Ok(())
        }
        Err(e) => Err(e).context("building the keyword index"),
    }
}

pub fn reindex(config: &Config) -> anyhow::Result<ExitCode> {
    let engine = open_indexes(config, None)?;
    let mut bar = Progress::new("reindexing", None);
    let report = engine.reindex(&mut |n| bar.update(n, 0)).context("rebuilding the indexes")?;
    bar.finish();
    eprintln!(
        "reindexed {} papers by keyword; loaded {} stored embeddings into the vector index",
        report.keyword_indexed, report.vectors_loaded
    );
    Ok(ExitCode::SUCCESS)
}
