//! `papertide backup FILE` and `papertide restore FILE`: an online copy of the SQLite
//! database (the server keeps running), and putting one back (the server stopped).
//!
//! The copy is SQLite's online backup API under one read transaction (a consistent snapshot,
//! writers carry on), written to `FILE.partial`, checked with `integrity_check` and renamed:
//! see `papertide_store::sqlite::backup`. Search indexes are not copied: they are derived
//! from the database, and `restore` rebuilds them. For PostgreSQL, see docs/DEPLOYMENT.md.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use papertide_store::sqlite::{restore_backup, verify_backup, BackupInfo};

use crate::config::Config;
use crate::progress::Progress;

/// Arguments of `papertide backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The file to write (must not exist); e.g. papertide-$(date +%F).db
    file: PathBuf,
}

/// Arguments of `papertide restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A file written by `papertide backup`
    file: PathBuf,
    /// Only check the file (integrity, schema version, what it holds); change nothing
    #[arg(long)]
    check: bool,
}

fn describe(info: &BackupInfo) -> String {
    format!(
        "{}: {:.1} MiB, schema version {}, {} papers, {} accounts",
        info.path.display(),
        info.bytes as f64 / 1_048_576.0,
        info.schema_version,
        info.papers,
        info.users
    )
}

/// `backup` and `restore` copy the SQLite file; a PostgreSQL database is backed up with its
/// own tools.
fn refuse_postgres(config: &Config, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.database.url.is_none(),
        "`papertide {what}` works on the SQLite database; this configuration uses PostgreSQL: use pg_dump / \
         pg_restore (docs/DEPLOYMENT.md, \"Backups on PostgreSQL\")"
    );
    Ok(())
}

pub fn backup(config: &Config, args: BackupArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(!args.file.exists(), "{} exists already; choose a new file name", args.file.display());
    refuse_postgres(config, "backup")?;
    let store = super::open_sqlite(config)?;
    let mut bar: Option<Progress> = None;
    let started = std::time::Instant::now();
    let info = store
        .backup_to(&args.file, &mut |done, total| {
            bar.get_or_insert_with(|| Progress::items("backing up", total, "pages")).update(done, 0);
        })
        .with_context(|| format!("backing up the database to {}", args.file.display()))?;
    if let Some(bar) = bar {
        bar.finish();
    }
    eprintln!("backed up in {:.1} s and checked: {}", started.elapsed().as_secs_f64(), describe(&info));
    Ok(ExitCode::SUCCESS)
}

pub fn restore(config: &Config, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    if args.check {
        let info = verify_backup(&args.file).with_context(|| format!("checking {}", args.file.display()))?;
        println!("ok: {}", describe(&info));
        return Ok(ExitCode::SUCCESS);
    }
    refuse_postgres(config, "restore")?;
    let (info, previous) = restore_backup(&args.file, &config.data_dir).with_context(|| {
        format!(
            "restoring {} into {} (is `papertide serve` still running on it? stop it first)",
            args.file.display(),
            config.data_dir.display()
        )
    })?;
    eprintln!("restored {}", describe(&info));
    if let Some(previous) = previous {
        eprintln!("the database it replaced is kept as {}", previous.display());
    }
    // The indexes described the replaced database: rebuild them from the restored one.
    let index = config.data_dir.join("index");
    if index.exists() {
        std::fs::remove_dir_all(&index).with_context(|| format!("removing the old indexes in {}", index.display()))?;
    }
    super::search::reindex(config)
}
