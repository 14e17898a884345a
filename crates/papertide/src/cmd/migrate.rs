//! `papertide migrate sqlite-to-postgres`: moves a one-machine install onto PostgreSQL.
//! The copy and its verification are `papertide_store::migrate`; this command opens both
//! ends, shows progress per table and prints what was copied.

use std::process::ExitCode;

use anyhow::Context;
use papertide_store::migrate::{sqlite_to_postgres, TABLES};
use papertide_store::PgStore;

use crate::config::{mask_password, Config};
use crate::progress::Progress;

/// Migration subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Copy everything in DATA_DIR's SQLite database (papers, embeddings, accounts, sessions,
    /// votes, comments, the feed, libraries, subscriptions, the outbox) into an empty
    /// PostgreSQL database and verify row counts and checksums. Stop `papertide serve` first:
    /// writes made after the copy starts are not carried over. Search indexes are not copied;
    /// each replica builds its own from the database.
    SqliteToPostgres {
        /// The PostgreSQL database [default: the configured `[database] url`]
        #[arg(long, value_name = "URL")]
        to: Option<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let Command::SqliteToPostgres { to, json } = command;
    let url = to.or_else(|| config.database.url.clone()).context(
        "name the PostgreSQL database: --to postgres://USER:PASSWORD@HOST:PORT/DBNAME (or set [database] url)",
    )?;
    let src = super::open_sqlite(config)?;
    let dst = PgStore::open(&url, 2).with_context(|| format!("opening {}", mask_password(&url)))?;
    eprintln!("copying {} into {}", src.path().display(), dst.target());
    let started = std::time::Instant::now();
    let mut current: Option<(&'static str, Progress)> = None;
    let report = sqlite_to_postgres(&src, &dst, &mut |table, done, total| {
        let label = TABLES.iter().copied().find(|t| *t == table).unwrap_or("rows");
        if current.as_ref().is_none_or(|(name, _)| *name != label) {
            if let Some((_, bar)) = current.take() {
                bar.finish();
            }
            current = Some((label, Progress::items(label, total, "rows")));
        }
        if let Some((_, bar)) = current.as_mut() {
            bar.update(done, 0);
        }
    })
    .context("copying the database (nothing was committed; the destination is unchanged)")?;
    if let Some((_, bar)) = current.take() {
        bar.finish();
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{:<16} {:>10}  checksum (SHA-256 sum of rows, same in both)", "table", "rows");
        for t in &report {
            println!("{:<16} {:>10}  {}", t.table, t.rows, t.checksum);
        }
    }
    eprintln!(
        "copied and verified {} rows in {:.1} s; point papertide at it with --database-url or [database] url",
        report.iter().map(|t| t.rows).sum::<u64>(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
