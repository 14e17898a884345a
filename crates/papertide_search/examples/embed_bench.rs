//! Throughput of [`MiniLmEmbedder`] on real abstracts.
//!
//! ```text
//! cargo run -p papertide_search --release --example embed_bench -- \
//!     [--input FILE] [-n 2000] [--batch-size 32] [--no-sort] [--max-len 256] [--save-vectors F]
//!     [--queries N]
//! ```
//!
//! `--queries N` instead times N single search-length queries (the first 3 to 9 words of
//! each title), one at a time, and prints p50/p99 per query embedding.
//!
//! FILE is JSON Lines, optionally xz-compressed (`.xz`): either `{"text": …}` records or
//! paper records, embedded as `title + ". " + abstract`. The default is the 26,809-paper
//! `shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz` beside the checkout.
//! Prints abstracts/s, batch size, threads and peak RSS (VmHWM). `--save-vectors` writes
//! the vectors as raw little-endian f32 (N × 384) for comparison with
//! `scripts/bench_embed_st.py`. Set `RAYON_NUM_THREADS` to limit the threads.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use papertide_search::embed::model::{ModelFiles, MODEL_DIR_NAME};
use papertide_search::embed::{EmbedOptions, Embedder, MiniLmEmbedder};

struct Args {
    input: PathBuf,
    n: usize,
    options: EmbedOptions,
    save_vectors: Option<PathBuf>,
    queries: Option<usize>,
}

fn parse_args() -> anyhow::Result<Args> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = Args {
        input: workspace.join("../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz"),
        n: 2000,
        options: EmbedOptions::default(),
        save_vectors: None,
        queries: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--input" => args.input = value()?.into(),
            "-n" => args.n = value()?.parse()?,
            "--batch-size" => args.options.batch_size = value()?.parse()?,
            "--max-len" => args.options.max_seq_len = value()?.parse()?,
            "--no-sort" => args.options.sort_by_length = false,
            "--save-vectors" => args.save_vectors = Some(value()?.into()),
            "--queries" => args.queries = Some(value()?.parse()?),
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(args)
}

/// The first `n` texts of a JSON Lines file (plain or `.xz`).
fn read_texts(path: &Path, n: usize) -> anyhow::Result<Vec<String>> {
    let file = std::fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "xz") {
        Box::new(xz2::read::XzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut texts = Vec::with_capacity(n);
    for line in BufReader::new(reader).lines() {
        if texts.len() == n {
            break;
        }
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        let field = |name: &str| record.get(name).and_then(|v| v.as_str());
        let text = match (field("text"), field("title"), field("abstract")) {
            (Some(text), _, _) => text.to_owned(),
            (None, Some(title), Some(abs)) => format!("{title}. {abs}"),
            _ => bail!("record without text or title+abstract"),
        };
        texts.push(text);
    }
    Ok(texts)
}

/// VmHWM (peak resident set) of this process, in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// User + system CPU seconds of this process (clock ticks of 1/100 s, as on Linux).
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(11) + ticks(12)) / 100.0
}

/// Real tokens / padded tokens when batching as the embedder does.
fn padding_efficiency(counts: &[usize], options: &EmbedOptions) -> f64 {
    let mut counts = counts.to_vec();
    if options.sort_by_length {
        counts.sort_unstable_by(|a, b| b.cmp(a));
    }
    let padded: usize = counts.chunks(options.batch_size).map(|c| c.len() * c.iter().max().copied().unwrap_or(0)).sum();
    counts.iter().sum::<usize>() as f64 / padded.max(1) as f64
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let files = ModelFiles::from_env().unwrap_or_else(|| {
        ModelFiles::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models").join(MODEL_DIR_NAME))
    });
    let texts = read_texts(&args.input, args.n)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();

    let load_start = Instant::now();
    let embedder = MiniLmEmbedder::load_with(&files, args.options.clone())?;
    let load_s = load_start.elapsed().as_secs_f64();
    let rss_after_load = peak_rss_mib().unwrap_or(f64::NAN);

    if let Some(n) = args.queries {
        return query_latency(&embedder, &refs, n);
    }

    let token_counts: Vec<usize> =
        refs.iter().map(|t| embedder.token_ids(t).map(|ids| ids.len())).collect::<Result<_, _>>()?;
    let tokens: usize = token_counts.iter().sum();
    let truncated = token_counts.iter().filter(|&&c| c == args.options.max_seq_len).count();

    // Warm-up (page faults, thread pools), not timed.
    embedder.embed(&refs[..refs.len().min(args.options.batch_size)])?;

    let cpu_start = cpu_secs();
    let start = Instant::now();
    let vectors = embedder.embed(&refs)?;
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu_start;

    println!(
        "candle  texts {}  tokens/text {:.1}  truncated {}  padding efficiency {:.3}  batch {}  sort {}  max_len {}  threads {}",
        refs.len(),
        tokens as f64 / refs.len().max(1) as f64,
        truncated,
        padding_efficiency(&token_counts, &args.options),
        args.options.batch_size,
        args.options.sort_by_length,
        args.options.max_seq_len,
        candle_core::utils::get_num_threads(),
    );
    println!(
        "candle  {:.2} abstracts/s  ({secs:.2} s wall, {cpu:.1} s CPU)  load {load_s:.2} s  peak RSS {:.0} MiB (after load {rss_after_load:.0} MiB)",
        refs.len() as f64 / secs,
        peak_rss_mib().unwrap_or(f64::NAN),
    );

    if let Some(path) = args.save_vectors {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for v in &vectors {
            for x in v {
                out.write_all(&x.to_le_bytes())?;
            }
        }
        out.flush()?;
        println!("wrote {} vectors to {}", vectors.len(), path.display());
    }
    Ok(())
}

/// Times `n` single short queries (3 to 9 words of a title), as a search box sends them.
fn query_latency(embedder: &MiniLmEmbedder, texts: &[&str], n: usize) -> anyhow::Result<()> {
    let queries: Vec<String> = texts
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, t)| t.split_whitespace().take(3 + i % 7).collect::<Vec<_>>().join(" "))
        .collect();
    for q in queries.iter().take(10) {
        embedder.embed(&[q.as_str()])?;
    }
    // QUERY_BATCH=B: embed the queries B at a time instead (throughput per query).
    if let Ok(b) = std::env::var("QUERY_BATCH").map(|b| b.parse::<usize>().unwrap_or(1).max(1)) {
        let refs: Vec<&str> = queries.iter().map(String::as_str).collect();
        let start = Instant::now();
        for chunk in refs.chunks(b) {
            embedder.embed(chunk)?;
        }
        let s = start.elapsed().as_secs_f64();
        println!(
            "candle  {n} queries in batches of {b}: {:.2} ms per query, {:.0} queries/s",
            s * 1e3 / n as f64,
            n as f64 / s
        );
        return Ok(());
    }
    let mut times = Vec::with_capacity(n);
    let mut tokens = 0;
    for q in &queries {
        tokens += embedder.token_ids(q)?.len();
        let start = Instant::now();
        embedder.embed(&[q.as_str()])?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "candle  {} queries  tokens/query {:.1}  threads {}  p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms",
        n,
        tokens as f64 / n.max(1) as f64,
        candle_core::utils::get_num_threads(),
        at(0.5),
        at(0.99),
        times.iter().sum::<f64>() / n.max(1) as f64
    );
    Ok(())
}
