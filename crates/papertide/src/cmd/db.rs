//! `papertide db check`: storage integrity, foreign keys, and every row read back.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;

/// Database subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check the database; exit code 4 when problems are found
    Check {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check { json } => {
            let store = super::open_store(config)?;
            let report = store.check().context("checking the database")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for p in &report.problems {
                    println!("problem: {p}");
                }
                println!(
                    "{}: {} papers checked, {} problems",
                    if report.is_ok() { "ok" } else { "FAILED" },
                    report.papers_checked,
                    report.problems.len()
                );
            }
            Ok(if report.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(4) })
        }
    }
}
