//! `papertide import FILE... | -`: parse inputs on one thread, write batches on another.
//!
//! Every batch is one transaction, so an interrupted import (Ctrl-C, `kill -9`) keeps what it
//! committed and a re-run completes it without duplicates (records merge, see
//! `papertide_core::Paper::merge`). Rejected records are reported with file, line or record
//! number and reason; the exit code is 3 when any record was rejected.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use papertide_core::Paper;
use papertide_ingest::{input, Format, IngestError, Item, RecordError};
use papertide_store::UpsertStats;
use serde::Serialize;

use crate::config::Config;
use crate::progress::Progress;

use super::sink::Sink;

/// Arguments of `papertide import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to import (plain, .gz, .xz, .tar.gz, .tar.xz); `-` reads standard input
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Input format; detected per file (and per archive member) when omitted
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
    /// Stop at the first rejected record (records before it are kept)
    #[arg(long)]
    strict: bool,
    /// Papers per transaction [default: from config, 5000]
    #[arg(long)]
    batch_size: Option<usize>,
    /// Also write every rejected record to this file, one per line
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Print the summary as JSON on stdout
    #[arg(long)]
    json: bool,
    /// Then build the keyword index in bulk, so the papers are searchable when the command
    /// ends (otherwise the next search or `serve` does it; a running `serve` does it itself)
    #[arg(long)]
    index: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        format!("unknown format `{s}`; one of: {}", names.join(", "))
    })
}

/// The outcome of an import, printed at the end.
#[derive(Debug, Default, Serialize)]
struct Summary {
    files: usize,
    records: u64,
    #[serde(flatten)]
    written: UpsertStats,
    rejected: u64,
    seconds: f64,
    records_per_second: f64,
    /// Peak resident memory of this process (Linux; 0 elsewhere).
    peak_rss_bytes: u64,
    interrupted: bool,
}

enum Msg {
    Batch(Vec<Paper>),
    Rejected(RecordError),
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let batch_size = args.batch_size.unwrap_or(config.import.batch_size).max(1);
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        // Only the first handler registration per process succeeds; that is enough here.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let mut sink = Sink::new(store.as_ref(), args.rejects.as_deref())?;
    let total_bytes: Option<u64> = if args.files.iter().any(|f| f.as_os_str() == "-") {
        None
    } else {
        Some(args.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum())
    };
    let progress = input::Progress::default();
    let (tx, rx) = sync_channel::<Msg>(4);

    let parser = {
        let files = args.files.clone();
        let progress = progress.clone();
        let interrupted = interrupted.clone();
        let (format, strict) = (args.format, args.strict);
        std::thread::spawn(move || -> Result<(), IngestError> {
            let mut batch = Vec::with_capacity(batch_size);
            let mut emit = |item: Item| -> Result<(), IngestError> {
                if interrupted.load(Ordering::Relaxed) {
                    return Err(IngestError::Stopped);
                }
                match item {
                    Item::Paper(p) => {
                        batch.push(*p);
                        if batch.len() >= batch_size {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                            tx.send(Msg::Batch(full)).map_err(|_| IngestError::Stopped)?;
                        }
                    }
                    Item::Rejected(e) => {
                        tx.send(Msg::Rejected(e)).map_err(|_| IngestError::Stopped)?;
                        if strict {
                            return Err(IngestError::Stopped);
                        }
                    }
                }
                Ok(())
            };
            let mut result = Ok(());
            for file in &files {
                let r = if file.as_os_str() == "-" {
                    input::read_stdin(format, &progress, &mut emit)
                } else {
                    input::read_path(file, format, &progress, &mut emit)
                };
                if let Err(e) = r {
                    result = Err(e);
                    break;
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(Msg::Batch(batch));
            }
            result
        })
    };

    let mut summary = Summary { files: args.files.len(), ..Default::default() };
    let mut bar = Progress::new("importing", total_bytes);
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Msg::Batch(papers)) => sink.write(&papers)?,
            Ok(Msg::Rejected(e)) => sink.reject(&e)?,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        bar.update(sink.records + sink.rejected, progress.bytes_read());
    }
    (summary.records, summary.written, summary.rejected) = (sink.records, sink.written, sink.rejected);
    let first_rejection = sink.first_rejection.take();
    let elapsed = bar.finish();
    summary.seconds = elapsed.as_secs_f64();
    summary.records_per_second = summary.records as f64 / summary.seconds.max(1e-9);
    summary.interrupted = interrupted.load(Ordering::SeqCst);
    summary.peak_rss_bytes = crate::progress::peak_rss_bytes();
    let parsed = parser.join().map_err(|_| anyhow::anyhow!("the parser thread panicked"))?;
    print_summary(&summary, args.json)?;
    match parsed {
        Err(IngestError::Stopped) if summary.interrupted => {
            eprintln!("interrupted: every committed batch is kept; run the same import again to finish it");
            Ok(ExitCode::from(130))
        }
        Err(IngestError::Stopped) if args.strict => {
            anyhow::bail!("--strict: stopped at the first rejected record: {}", first_rejection.unwrap_or_default())
        }
        Err(e) => Err(e.into()),
        Ok(()) => {
            if args.index {
                super::search::index_keywords(config)?;
            }
            Ok(if summary.rejected > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
        }
    }
}

fn print_summary(s: &Summary, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(s)?);
    } else {
        eprintln!(
            "imported {} records from {} file(s) in {:.1} s ({:.0} records/s): {} new, {} updated, {} unchanged, {} older versions ignored; {} rejected",
            s.records, s.files, s.seconds, s.records_per_second, s.written.inserted, s.written.updated,
            s.written.unchanged, s.written.stale, s.rejected
        );
    }
    Ok(())
}
