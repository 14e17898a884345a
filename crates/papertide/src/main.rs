//! The `papertide` command line.
//!
//! Each subcommand lives in [`cmd`]; configuration in [`config`]; terminal progress in
//! [`progress`]. Exit codes: 0 success, 1 error, 3 some records were rejected (import),
//! 4 problems found (`db check`), 130 interrupted.

mod cmd;
mod config;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// mimalloc keeps freed pages mapped for reuse; with glibc's allocator the embedder spent
/// half its time in page faults (measured in docs/SEARCH.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// papertide: a self-hostable research-paper service.
#[derive(Debug, Parser)]
#[command(name = "papertide", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Directory holding the database and indexes [default: the platform data dir]
    #[arg(long, global = true, env = "PAPERTIDE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// PostgreSQL database, `postgres://USER:PASSWORD@HOST:PORT/DBNAME` [default: SQLite in
    /// DATA_DIR; config `[database] url`]
    #[arg(long, global = true, env = "PAPERTIDE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,

    /// Configuration file (TOML) [default: DATA_DIR/papertide.toml if present]
    #[arg(long, global = true, env = "PAPERTIDE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Log filter, e.g. `info` or `papertide_ingest=debug`
    #[arg(long, global = true, env = "PAPERTIDE_LOG", default_value = "warn")]
    log: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import papers from files or stdin (Atom, OAI-PMH, Kaggle, .abs, listings, JSON Lines)
    Import(cmd::import::Args),
    /// Fetch papers from arXiv over OAI-PMH or the arXiv API
    Harvest(cmd::harvest::Args),
    /// Write every paper as JSON Lines (re-importable with `papertide import`)
    Export(cmd::export::Args),
    /// Show what the database holds
    Stats(cmd::stats::StatsArgs),
    /// Show one paper
    Paper(cmd::stats::PaperArgs),
    /// Run the web application (daily feed, paper pages, search, accounts)
    Serve(cmd::serve::ServeArgs),
    /// Put papers on a day's feed (admin)
    Feature(cmd::admin::FeatureArgs),
    /// Manage accounts
    User {
        #[command(subcommand)]
        command: cmd::admin::UserCommand,
    },
    /// Email digests: build the due ones and send the outbox
    Digest {
        #[command(subcommand)]
        command: cmd::digest::Command,
    },
    /// Personal API tokens: create, list, revoke
    Token {
        #[command(subcommand)]
        command: cmd::token::Command,
    },
    /// Search papers: hybrid (keyword + semantic), keyword or semantic
    Search(cmd::search::SearchArgs),
    /// Papers similar to a paper (nearest neighbours of its embedding)
    Similar(cmd::search::SimilarArgs),
    /// Compute missing embeddings (resumable, with progress), or `embed import` vectors made
    /// elsewhere
    Embed(cmd::search::EmbedArgs),
    /// Rebuild the keyword and vector indexes from the database
    Reindex,
    /// Measure search quality on the CACM and CSFCube benchmarks
    Eval(cmd::eval::EvalArgs),
    /// The embedding model: install or check it
    Model {
        #[command(subcommand)]
        command: cmd::model::Command,
    },
    /// Copy the database to a file while the server runs (online, consistent, checked)
    Backup(cmd::backup::BackupArgs),
    /// Put a backup back in place of the database (stop the server first) and rebuild the indexes
    Restore(cmd::backup::RestoreArgs),
    /// Database maintenance
    Db {
        #[command(subcommand)]
        command: cmd::db::Command,
    },
    /// Move the data to another database (SQLite to PostgreSQL)
    Migrate {
        #[command(subcommand)]
        command: cmd::migrate::Command,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_new(&cli.log).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref(), cli.data_dir.as_deref(), cli.database_url.as_deref())?;
    match cli.command {
        Command::Import(args) => cmd::import::run(&config, args),
        Command::Harvest(args) => cmd::harvest::run(&config, args),
        Command::Export(args) => cmd::export::run(&config, args),
        Command::Stats(args) => cmd::stats::stats(&config, args),
        Command::Paper(args) => cmd::stats::paper(&config, args),
        Command::Db { command } => cmd::db::run(&config, command),
        Command::Migrate { command } => cmd::migrate::run(&config, command),
        Command::Backup(args) => cmd::backup::backup(&config, args),
        Command::Restore(args) => cmd::backup::restore(&config, args),
        Command::Serve(args) => cmd::serve::run(&config, args),
        Command::Feature(args) => cmd::admin::feature(&config, args),
        Command::User { command } => cmd::admin::user(&config, command),
        Command::Digest { command } => cmd::digest::run(&config, command),
        Command::Token { command } => cmd::token::run(&config, command),
        Command::Search(args) => cmd::search::search(&config, args),
        Command::Similar(args) => cmd::search::similar(&config, args),
        Command::Embed(args) => cmd::search::embed(&config, args),
        Command::Reindex => cmd::search::reindex(&config),
        Command::Eval(args) => cmd::eval::run(&config, args),
        Command::Model { command } => cmd::model::run(&config, command),
    }
}
