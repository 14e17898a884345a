//! Digest throughput: build and send N digests (default 10,000) to an SMTP server, and report
//! the time of each phase and the peak memory.
//!
//! ```sh
//! bench/digest.sh 10000        # starts aiosmtpd (a sink) on loopback and runs this
//! cargo run --release -p papertide_mail --example digest_bench -- --subscribers 10000 --smtp-port 2525 \
//!     [--concurrency 8]
//! ```
//!
//! The corpus: the 200 papers of the Kaggle snapshot head in `../shared/data`, 60 of them on
//! the feed of one day; every subscriber follows a category or the trending feed, so each
//! digest holds 10 papers. Subscriptions are written straight to a fresh SQLite store.

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use papertide_core::{Frequency, Paper, PaperId, Source, Topics};
use papertide_mail::digest::{deliver, Builder, DigestConfig, FeedPicker, Period};
use papertide_mail::link::Signer;
use papertide_mail::smtp::{Security, SmtpConfig, SmtpMailer};
use papertide_store::{SqliteStore, Store};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.to_string())
}

/// Peak resident memory of this process, in MiB (Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn papers(path: &str) -> Vec<Paper> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let id: PaperId = v["id"].as_str()?.parse().ok()?;
            let mut p = Paper::new(id, v["title"].as_str()?, Source::Kaggle);
            p.abstract_text = v["abstract"].as_str().unwrap_or_default().to_string();
            p.authors = v["authors"].as_str().unwrap_or_default().split(", ").map(str::to_string).collect();
            p.categories = v["categories"].as_str().unwrap_or_default().split(' ').map(str::to_string).collect();
            Some(p.normalized())
        })
        .collect()
}

fn main() {
    let n: usize = arg("--subscribers", "10000").parse().expect("--subscribers N");
    let port: u16 = arg("--smtp-port", "2525").parse().expect("--smtp-port P");
    let data = arg("--data", "../shared/data/arxiv/kaggle-oai-snapshot-head200.jsonl");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open_dir(dir.path()).expect("store");
    let corpus = papers(&data);
    store.upsert_papers(&corpus).expect("papers");
    let day = NaiveDate::from_ymd_opt(2026, 3, 5).expect("day");
    let now = Utc::now();
    for p in corpus.iter().take(60) {
        store.submit(&p.id, day, None, true, now).expect("feature");
    }
    let t = Instant::now();
    let choices = ["math", "hep-ph", "cond-mat", "astro-ph", "quant-ph", "cs"];
    for i in 0..n {
        let topics = match i % 7 {
            0 => Topics::default(),
            k => Topics { categories: vec![choices[k - 1].to_string()], trending: true, ..Default::default() },
        };
        let (s, _) = store
            .subscribe(&format!("reader{i}@example.org"), None, Frequency::Daily, &topics, now)
            .expect("subscribe");
        store.confirm_subscription(s.id, now).expect("confirm");
    }
    let subscribe_secs = t.elapsed().as_secs_f64();

    let concurrency: usize = arg("--concurrency", "8").parse().expect("--concurrency N");
    let config =
        DigestConfig { base_url: "https://papers.example.org".into(), batch: 200, concurrency, ..Default::default() };
    let signer = Signer::new(b"bench".to_vec());
    let picker = FeedPicker::new(&store, &config.base_url);
    let builder = Builder { store: &store, picker: &picker, signer: &signer, config: &config };
    let t = Instant::now();
    let built = builder.build(Frequency::Daily, &Period::Day(day), now, &mut |_| true).expect("build");
    let build_secs = t.elapsed().as_secs_f64();

    let smtp = SmtpConfig { host: "127.0.0.1".into(), port, security: Security::None, ..Default::default() };
    let mailer = SmtpMailer::new(&smtp).expect("smtp");
    let t = Instant::now();
    let sent = deliver(&store, &mailer, &config, &Utc::now, &mut |_| true).expect("deliver");
    let send_secs = t.elapsed().as_secs_f64();
    let db = std::fs::metadata(dir.path().join(papertide_store::sqlite::DB_FILE)).map(|m| m.len()).unwrap_or(0);
    println!("subscribers            {n}");
    println!("send concurrency       {concurrency}");
    println!("subscribe+confirm      {subscribe_secs:.2} s");
    println!(
        "build                  {build_secs:.2} s ({} digests, {:.0}/s, {} empty)",
        built.built,
        built.built as f64 / build_secs,
        built.empty
    );
    println!(
        "send (SMTP, loopback)  {send_secs:.2} s ({} sent, {:.0}/s, {} failed, {} to retry)",
        sent.sent,
        sent.sent as f64 / send_secs,
        sent.failed,
        sent.retried
    );
    println!("peak RSS               {:.0} MiB", peak_rss_mib());
    println!("database with outbox   {:.1} MiB", db as f64 / 1048576.0);
}
