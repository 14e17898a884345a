//! Parse throughput of the JSON Lines parsers on the real data: the 26,809-record daily
//! listing (from memory, and end to end through `input::read_path` with xz), and the Kaggle
//! sample repeated to 100,000 lines.
//!
//! Run: `cargo run --release -p papertide_ingest --example parse_speed [DATA_DIR]`
//! (DATA_DIR defaults to `$PAPERTIDE_SHARED_DATA`, else `../shared/data` beside the repo).

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use papertide_ingest::input::{read_path, Progress};
use papertide_ingest::{Format, IngestError, Item};

fn data_dir() -> PathBuf {
    std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PAPERTIDE_SHARED_DATA").ok())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")))
}

/// Parses `bytes` `rounds` times; returns (papers per round, rejections per round, records/s).
fn bench(format: Format, bytes: &[u8], rounds: u32) -> Result<(u64, u64, f64), IngestError> {
    let (mut papers, mut rejected) = (0u64, 0u64);
    let start = Instant::now();
    for _ in 0..rounds {
        let mut reader = bytes;
        format.parse(&mut reader, "bench", &mut |item| {
            match item {
                Item::Paper(_) => papers += 1,
                Item::Rejected(_) => rejected += 1,
            }
            Ok(())
        })?;
    }
    let secs = start.elapsed().as_secs_f64();
    let rounds = u64::from(rounds);
    Ok((papers / rounds, rejected / rounds, (papers + rejected) as f64 / secs))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = data_dir();
    let daily_path = dir.join("arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz");
    let file = std::fs::File::open(&daily_path)?;
    let mut daily = Vec::new();
    let start = Instant::now();
    xz2::read::XzDecoder::new_multi_decoder(file).read_to_end(&mut daily)?;
    let unxz = start.elapsed().as_secs_f64();
    println!("daily: {} bytes after xz ({unxz:.3} s to decompress)", daily.len());

    let (papers, rejected, rate) = bench(Format::Daily, &daily, 5)?;
    println!("daily, from memory:   {papers} papers, {rejected} rejected, {rate:.0} records/s");

    let start = Instant::now();
    let mut count = 0u64;
    read_path(&daily_path, None, &Progress::default(), &mut |_| {
        count += 1;
        Ok(())
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!("daily, read_path+xz:  {count} records in {secs:.3} s, {:.0} records/s", count as f64 / secs);

    let kaggle = std::fs::read(dir.join("arxiv/kaggle-oai-snapshot-head200.jsonl"))?;
    let big: Vec<u8> = kaggle.repeat(500);
    let (papers, rejected, rate) = bench(Format::Kaggle, &big, 1)?;
    println!("kaggle x500, memory:  {papers} papers, {rejected} rejected, {rate:.0} records/s");
    println!("  (the 2.7M-line snapshot would take about {:.0} s of parsing)", 2_700_000.0 / rate);
    Ok(())
}
