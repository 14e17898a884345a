//! Keyword index benchmark: index the 26,809-paper daily-listing corpus into a temp dir, then
//! time about 200 realistic queries (titles' first 3–5 words, some as typed, and free text).
//!
//! ```text
//! cargo run --release -p papertide_search --example keyword_bench [-- CORPUS.jsonl.xz [HEAP_MB]]
//! ```
//! Reports parse and indexing time, index size, p50/p90/p99 search latency (limit 20, plus
//! snippet highlighting of the first 10 hits) and how often a title query finds its paper.

use std::io::BufReader;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use papertide_core::Paper;
use papertide_ingest::Item;
use papertide_search::keyword::{Highlighter, KeywordIndex, KeywordQuery};

const DEFAULT_CORPUS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz");

const FREE_TEXT: &[&str] = &[
    "graph neural networks for molecules",
    "diffusion models image editing",
    "reinforcement learning from human feedback",
    "large language model hallucination detection",
    "retrieval augmented generation",
    "federated learning privacy",
    "vision transformer efficient attention",
    "robot grasping with tactile sensing",
    "speech recognition low resource languages",
    "mixture of experts routing",
    "adversarial robustness certified",
    "knowledge distillation small models",
    "code generation benchmark",
    "autonomous driving trajectory prediction",
    "protein structure prediction",
    "quantum error correction decoder",
    "medical image segmentation",
    "contrastive learning representations",
    "chain of thought reasoning",
    "sparse attention long context",
    "neural radiance fields",
    "time series forecasting transformer",
    "multi-agent LLM collaboration",
    "explainable AI for healthcare",
    "\"state space models\"",
    "byzantine fault tolerant consensus",
    "differential privacy stochastic gradient descent",
    "point cloud completion",
    "text-to-video generation",
    "LLM agents tool use",
    "transf",
    "attention is all",
    "kv cache compression",
    "$\\epsilon$-greedy exploration",
    "program synthesis",
    "recommendation systems cold start",
    "music generation",
    "sign language translation",
    "hate speech detection multilingual",
    "energy efficient inference on edge devices",
];

fn read(path: &str) -> Result<Vec<Paper>> {
    let file = std::fs::File::open(path).with_context(|| format!("open {path}"))?;
    let mut reader = BufReader::new(xz2::read::XzDecoder::new(file));
    let mut papers = Vec::new();
    papertide_ingest::daily::parse(&mut reader, path, &mut |item| {
        if let Item::Paper(p) = item {
            papers.push(*p);
        }
        Ok(())
    })?;
    Ok(papers)
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus = args.first().map(String::as_str).unwrap_or(DEFAULT_CORPUS);
    let heap_mb: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(200);

    let t = Instant::now();
    let papers = read(corpus)?;
    let parse_time = t.elapsed();

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("keyword");
    let index = KeywordIndex::open(&path)?;
    let t = Instant::now();
    let mut writer = index.writer(heap_mb * 1_000_000)?;
    for (key, paper) in papers.iter().enumerate() {
        writer.upsert(key as u64, paper)?;
    }
    let add_time = t.elapsed();
    writer.commit(papers.len() as u64)?;
    let index_time = t.elapsed();
    drop(writer);

    // Queries: titles' first 3-5 words (every 4th as typed: the last word cut short), then free text.
    let mut queries: Vec<(String, Option<usize>)> = Vec::new();
    for (n, i) in (0..papers.len()).step_by(papers.len() / 160).take(160).enumerate() {
        let words: Vec<&str> = papers[i].title.split_whitespace().take(3 + n % 3).collect();
        let mut q = words.join(" ");
        if n % 4 == 3 && q.len() > 8 {
            let mut cut = q.len() - 2;
            while !q.is_char_boundary(cut) {
                cut -= 1;
            }
            q.truncate(cut);
        }
        queries.push((q, Some(i)));
    }
    queries.extend(FREE_TEXT.iter().map(|q| (q.to_string(), None)));

    for (q, _) in &queries {
        index.search(&KeywordQuery::new(q.as_str(), 20))?; // warm up
    }
    let mut per_query: Vec<(Duration, &str)> = Vec::new();
    let mut search_times = Vec::new();
    let mut with_snippets = Vec::new();
    let (mut top1, mut top10, mut titled) = (0, 0, 0);
    for _round in 0..3 {
        for (q, source) in &queries {
            let t = Instant::now();
            let hits = index.search(&KeywordQuery::new(q.as_str(), 20))?;
            search_times.push(t.elapsed());
            per_query.push((t.elapsed(), q.as_str()));
            let h = Highlighter::new(q);
            for hit in hits.iter().take(10) {
                let p = &papers[hit.key as usize];
                std::hint::black_box(h.highlight_paper(&p.title, &p.abstract_text));
            }
            with_snippets.push(t.elapsed());
            if let (Some(i), 0) = (source, _round) {
                titled += 1;
                top1 += usize::from(hits.first().is_some_and(|h| h.key as usize == *i));
                top10 += usize::from(hits.iter().take(10).any(|h| h.key as usize == *i));
            }
        }
    }
    search_times.sort();
    per_query.sort_by_key(|&(d, _)| std::cmp::Reverse(d));
    with_snippets.sort();
    let id = papers[papers.len() / 2].id.to_string();
    let t = Instant::now();
    let found = index.lookup_id(&format!("https://arxiv.org/abs/{id}v1"))?;
    let lookup_time = t.elapsed();

    println!("papers:            {}", papers.len());
    println!("parse (xz+json):   {:.2} s", parse_time.as_secs_f64());
    println!(
        "index:             {:.2} s ({:.2} s adding, {:.0} papers/s, heap {heap_mb} MB)",
        index_time.as_secs_f64(),
        add_time.as_secs_f64(),
        papers.len() as f64 / index_time.as_secs_f64()
    );
    println!("index size:        {:.1} MB", dir_size(&path) as f64 / 1e6);
    println!(
        "queries:           {} x 3 rounds ({} title prefixes, {} free text)",
        queries.len(),
        titled,
        FREE_TEXT.len()
    );
    for (name, times) in [("search", &search_times), ("search+snippets", &with_snippets)] {
        println!(
            "{name:<18} p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.9)),
            ms(percentile(times, 0.99)),
            ms(times[times.len() - 1])
        );
    }
    println!("title prefix found: top-1 {top1}/{titled}, top-10 {top10}/{titled}");
    println!("id lookup by URL:  {:.3} ms (found: {})", ms(lookup_time), found.is_some());
    println!("slowest searches:");
    for (d, q) in per_query.iter().take(5) {
        println!("  {:>8.3} ms  {q:?}", ms(*d));
    }
    Ok(())
}
