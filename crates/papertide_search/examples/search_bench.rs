//! End-to-end search latency through [`SearchEngine`]: keyword, semantic and hybrid queries
//! (query embedding, index search, fusion and loading the papers from SQLite all included),
//! on a data directory made by `papertide import` + `papertide embed`, or on a synthetic
//! corpus resampled from one.
//!
//! ```text
//! # the real corpus, with real embeddings
//! papertide --data-dir /tmp/pt-real import ../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz
//! papertide --data-dir /tmp/pt-real embed
//! cargo run --release -p papertide_search --example search_bench -- --data-dir /tmp/pt-real
//! # a synthetic corpus of N papers resampled from it (written once), then measured
//! cargo run --release -p papertide_search --example search_bench -- \
//!     --synthesize 1000000 --from /tmp/pt-real --data-dir /tmp/pt-1m
//! cargo run --release -p papertide_search --example search_bench -- --data-dir /tmp/pt-1m
//! # merge the keyword index into one segment first (once; timed)
//! cargo run --release -p papertide_search --example search_bench -- --data-dir /tmp/pt-1m --merge
//! # only some modes (for profiling)
//! cargo run --release -p papertide_search --example search_bench -- --data-dir /tmp/pt-1m --modes keyword
//! # hybrid with 50 candidates per list instead of 100: top-10 agreement, then latency
//! cargo run --release -p papertide_search --example search_bench -- --data-dir /tmp/pt-1m --fusion-depth 50
//! # hybrid's keyword list ranked from 400 phase-one candidates (the depth before 2026-12-02)
//! cargo run --release -p papertide_search --example search_bench -- --data-dir /tmp/pt-1m --fused-keyword-candidates 400
//! # 100 hits per query instead of 10: the keyword and semantic lists hybrid search fuses
//! cargo run --release -p papertide_search --example search_bench -- --data-dir /tmp/pt-1m --limit 100
//! # vectors stored as int8 (or f16) in the HNSW index (a saved index is re-encoded as it loads)
//! cargo run --release -p papertide_search --example search_bench -- --data-dir /tmp/pt-1m --vectors int8
//! ```
//!
//! How the synthetic corpus is made (deterministic, seed fixed): paper `i` takes a random
//! real paper as its base (title, authors, categories, date) and a second random real paper
//! as donor; every other abstract sentence is taken from the donor and one title word is
//! replaced by a donor title word, so texts are new mixtures with the real vocabulary and
//! term statistics. Its vector is `normalise(0.85·v_base + 0.25·v_donor + 0.02·g)` with `g`
//! standard normal per dimension, so vectors keep the real embeddings' cluster structure
//! without being duplicates. Ids are `local:syn-NNNNNNN`.
//!
//! Measurement: opening the engine catches the indexes up with the store (timed: the first
//! run builds the keyword index and the vector index); then a warm-up pass over all queries,
//! then every query once per mode, single client, limit 10 (`--limit`). The queries: 40 typical free-text
//! queries, 80 title beginnings (3 to 6 words of random papers) and 20 questions in plain
//! English. Prints p50/p90/p99/mean per mode, index sizes on disk, and RSS.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use papertide_core::{Paper, PaperId, Source};
use papertide_search::engine::{EngineOptions, Mode, SearchEngine, SearchRequest, MODEL_NAME};
use papertide_search::fusion::Fusion;
use papertide_store::{SqliteStore, Store};

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
    "program synthesis",
    "recommendation systems cold start",
    "music generation",
    "sign language translation",
    "hate speech detection multilingual",
    "energy efficient inference on edge devices",
    "kernelized attention with relative positional encoding",
];

const QUESTIONS: &[&str] = &[
    "why does softmax collapse at the edge of numerical stability",
    "how can robots learn to pick up objects they have never seen",
    "can language models check their own answers for mistakes",
    "what makes transformers fail on very long documents",
    "how do we make neural networks smaller for phones",
    "detecting fake images made by generative models",
    "which optimizer works best for training large models",
    "teaching a model new facts without forgetting old ones",
    "how to evaluate chatbots without human judges",
    "finding bugs in code automatically with machine learning",
    "predicting the weather with deep learning",
    "protecting user data when training on phones",
    "making self-driving cars safer in bad weather",
    "how to explain the decisions of a neural network to doctors",
    "speeding up inference of large language models on GPUs",
    "learning from very few labelled examples",
    "measuring bias and fairness in machine learning systems",
    "translating between languages with little parallel text",
    "generating 3D shapes from a single photo",
    "planning with language models for household robots",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f32 {
        let u1 = ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let u2 = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
}

fn proc_status(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn size_of(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            std::fs::read_dir(path).map(|entries| entries.flatten().map(|e| size_of(&e.path())).sum()).unwrap_or(0)
        }
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Every paper of the store with its stored embedding.
fn load_real(dir: &Path) -> Result<(Vec<Paper>, Vec<Vec<f32>>)> {
    let store = SqliteStore::open_dir(dir).with_context(|| format!("open {}", dir.display()))?;
    let mut papers = Vec::new();
    store.for_each_paper(&mut |p| {
        papers.push(p);
        Ok(())
    })?;
    let mut vectors = Vec::with_capacity(papers.len());
    let mut kept = Vec::with_capacity(papers.len());
    for p in papers {
        let key = store.key_of(&p.id)?.context("paper without key")?;
        if let Some(v) = store.embedding(MODEL_NAME, key)? {
            vectors.push(v);
            kept.push(p);
        }
    }
    if kept.is_empty() {
        bail!("{} has no embedded papers: run `papertide embed` on it first", dir.display());
    }
    Ok((kept, vectors))
}

fn sentences(text: &str) -> Vec<&str> {
    text.split_inclusive(". ").collect()
}

fn synthesize(from: &Path, to: &Path, n: usize) -> Result<()> {
    let started = Instant::now();
    let (real, vectors) = load_real(from)?;
    eprintln!("read {} real papers with embeddings in {:.1} s", real.len(), started.elapsed().as_secs_f64());
    std::fs::create_dir_all(to)?;
    let store = SqliteStore::open_dir(to)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let chunk = 10_000;
    let mut done = 0;
    while done < n {
        let count = chunk.min(n - done);
        let mut papers = Vec::with_capacity(count);
        let mut vecs = Vec::with_capacity(count);
        for i in done..done + count {
            let (b, d) = (rng.below(real.len()), rng.below(real.len()));
            let (base, donor) = (&real[b], &real[d]);
            let id: PaperId = format!("local:syn-{i:07}").parse()?;
            let mut p = Paper::new(id, "", Source::Local);
            let mut words: Vec<&str> = base.title.split(' ').collect();
            let donor_words: Vec<&str> = donor.title.split(' ').collect();
            let at = rng.below(words.len());
            words[at] = donor_words[rng.below(donor_words.len())];
            p.title = words.join(" ");
            let (bs, ds) = (sentences(&base.abstract_text), sentences(&donor.abstract_text));
            p.abstract_text = bs
                .iter()
                .enumerate()
                .map(|(k, s)| if k % 2 == 1 { ds.get(k).copied().unwrap_or(s) } else { s })
                .collect::<String>();
            p.authors = base.authors.clone();
            p.categories = base.categories.clone();
            p.published = base.published;
            p.updated = base.updated;
            p.version = 1;
            papers.push(p);
            let mut v: Vec<f32> =
                vectors[b].iter().zip(&vectors[d]).map(|(x, y)| 0.85 * x + 0.25 * y + 0.02 * rng.normal()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            vecs.push(v);
        }
        store.upsert_papers(&papers)?;
        let mut items = Vec::with_capacity(count);
        for (p, v) in papers.iter().zip(vecs) {
            items.push((store.key_of(&p.id)?.context("key")?, v));
        }
        store.put_embeddings(MODEL_NAME, &items)?;
        done += count;
        eprint!("\rsynthesized {done}/{n}");
    }
    eprintln!("\nwrote {n} synthetic papers to {} in {:.1} s", to.display(), started.elapsed().as_secs_f64());
    Ok(())
}

fn queries(engine_papers: &[String]) -> Vec<String> {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut out: Vec<String> = FREE_TEXT.iter().map(|s| s.to_string()).collect();
    for _ in 0..80 {
        let title = &engine_papers[rng.below(engine_papers.len())];
        let words: Vec<&str> = title.split_whitespace().collect();
        let take = (3 + rng.below(4)).min(words.len());
        out.push(words[..take].join(" "));
    }
    out.extend(QUESTIONS.iter().map(|s| s.to_string()));
    out
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// CPU time of this process so far (user + system, all threads; /proc ticks are 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

const USAGE: &str = "usage: search_bench --data-dir DIR [--vectors f32|f16|int8] [--modes keyword,semantic,hybrid]
                    [--keyword-threads N] [--limit N] [--fusion-depth N]
                    [--fused-keyword-candidates N] [--merge]
       search_bench --synthesize N --from REAL_DIR --data-dir DIR
env: PAPERTIDE_MODEL_DIR (the model), PT_TUNING (comma-separated tuning knobs)
Examples and what is measured: the header of crates/papertide_search/examples/search_bench.rs";

/// Flags that take a value, and flags that do not.
const VALUE_FLAGS: &[&str] = &[
    "--data-dir",
    "--synthesize",
    "--from",
    "--vectors",
    "--keyword-threads",
    "--limit",
    "--modes",
    "--fusion-depth",
    "--fused-keyword-candidates",
];
const SWITCHES: &[&str] = &["--merge"];

/// Exits with the usage on `--help`, or with an error naming an unknown or valueless flag.
fn check_args(args: &[String]) {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--help" || a == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        if VALUE_FLAGS.contains(&a) {
            if i + 1 >= args.len() {
                eprintln!("search_bench: {a} needs a value\n{USAGE}");
                std::process::exit(2);
            }
            i += 2;
        } else if SWITCHES.contains(&a) {
            i += 1;
        } else {
            eprintln!("search_bench: unknown argument {a:?}\n{USAGE}");
            std::process::exit(2);
        }
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    check_args(&args);
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let data_dir = PathBuf::from(flag("--data-dir").context("--data-dir DIR is required")?);
    if let Some(n) = flag("--synthesize") {
        let from = PathBuf::from(flag("--from").context("--synthesize needs --from DIR")?);
        return synthesize(&from, &data_dir, n.parse()?);
    }
    let model_dir = std::env::var_os("PAPERTIDE_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/all-MiniLM-L6-v2")));
    let store = Arc::new(SqliteStore::open_dir(&data_dir)?);
    let papers = store.count_papers()?;
    // `--vectors f16|int8`: how the HNSW index stores vectors (a saved index is re-encoded).
    let vectors = match flag("--vectors") {
        Some(v) => v.parse().map_err(anyhow::Error::msg)?,
        None => Default::default(),
    };
    // `--keyword-threads N`: threads one keyword search may use (default: one per core).
    let keyword_threads = flag("--keyword-threads").map(|n| n.parse()).transpose()?.unwrap_or(0);
    // `--limit N`: hits per query (default 10). `--limit 100` times the keyword and semantic
    // lists at the depth hybrid search fuses, to see which side its time goes to.
    let limit: usize = flag("--limit").map(|n| n.parse()).transpose()?.unwrap_or(10);
    let options = EngineOptions {
        data_dir: data_dir.clone(),
        model_dir: Some(model_dir),
        fusion: Fusion::default(),
        vectors,
        keyword_threads,
    };
    let started = Instant::now();
    let mut engine = SearchEngine::open(store.clone(), &options)?;
    // Experiments: PT_TUNING=no-most,no-title-phrase,no-author-phrase turns ranking bonuses off;
    // single-phase runs plain queries as one combined query; wand runs phase one with
    // tantivy's block-max WAND instead of MaxScore (same candidates).
    if let Ok(knobs) = std::env::var("PT_TUNING") {
        let mut t = papertide_search::keyword::Tuning::default();
        for k in knobs.split(',') {
            match k {
                "no-most" => t.most_terms_boost = 0.0,
                "no-title-phrase" => t.title_phrase_boost = 0.0,
                "no-author-phrase" => t.author_phrase_boost = 0.0,
                "require-most" => t.require_most_terms = true,
                "single-phase" => t.two_phase = false,
                "wand" => t.maxscore = false,
                other => bail!("unknown PT_TUNING knob {other}"),
            }
        }
        println!("keyword tuning: {t:?}");
        engine = engine.with_keyword_tuning(t);
    }
    if args.iter().any(|a| a == "--merge") {
        let t = Instant::now();
        let mut writer = engine.keyword().writer(200_000_000)?;
        let parts = engine.keyword().threads();
        let before = writer.merge_into(parts)?;
        drop(writer);
        println!("merged {before} keyword segments into {parts} in {:.1} s", t.elapsed().as_secs_f64());
    }
    if let Some(problem) = engine.model_problem() {
        bail!("{problem}");
    }
    let report = engine.sync(&mut |n| eprint!("\rkeyword-indexed {n}"))?;
    eprintln!();
    println!(
        "papers {papers}; open + catch up {:.1} s (keyword-indexed {}, vectors loaded {}); vectors {}",
        started.elapsed().as_secs_f64(),
        report.keyword_indexed,
        report.vectors_loaded,
        engine.vector_count()
    );
    println!(
        "RSS after open {:.0} MiB (peak so far {:.0} MiB)",
        mib(proc_status("VmRSS:")),
        mib(proc_status("VmHWM:"))
    );

    let mut titles = Vec::new();
    let sample: Vec<u64> = (1..=papers.min(5_000)).map(|k| k * (papers / papers.min(5_000)).max(1)).collect();
    for (_, p) in store.papers_by_keys(&sample)? {
        titles.push(p.title);
    }
    let queries = queries(&titles);
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    println!("queries {} (limit {limit}, single client, warm; embedder threads: {threads})", queries.len());
    println!(
        "keyword index: {} segments, up to {} threads per search",
        engine.keyword().segment_count(),
        engine.keyword().threads()
    );
    // cpu ms: the process's CPU time (user + system, all threads) per query: what a search
    // costs a busy server, where wall time is what one user waits.
    println!("| mode     | p50 ms | p90 ms | p99 ms | mean ms | cpu ms |");
    println!("|----------|-------:|-------:|-------:|--------:|-------:|");
    let modes: Vec<Mode> = match flag("--modes") {
        Some(list) => list.split(',').map(|m| m.parse().map_err(anyhow::Error::msg)).collect::<Result<_>>()?,
        None => vec![Mode::Keyword, Mode::Semantic, Mode::Hybrid],
    };
    let modes_include_keyword = modes.contains(&Mode::Keyword);
    // `--fusion-depth N`: hybrid fuses N candidates from each list instead of 100.
    // `--fused-keyword-candidates N`: the keyword list hybrid fuses is ranked from N phase-one
    // candidates instead of as many as a keyword page rescores (200; 400 before 2026-12-02).
    // Either prints how far the hybrid top 10 moves from the defaults' before timing it; the
    // same top 10 twice (`--fusion-depth 100`) checks that hybrid search repeats itself.
    let depth = flag("--fusion-depth").map(|n| n.parse::<usize>()).transpose()?;
    let candidates = flag("--fused-keyword-candidates").map(|n| n.parse::<usize>()).transpose()?;
    if depth.is_some() || candidates.is_some() {
        let top = |engine: &SearchEngine, q: &String| -> Result<Vec<u64>> {
            let r = engine.search(&SearchRequest {
                text: q.clone(),
                mode: Mode::Hybrid,
                limit: 10,
                ..Default::default()
            })?;
            Ok(r.hits.iter().map(|h| h.key).collect())
        };
        let before = queries.iter().map(|q| top(&engine, q)).collect::<Result<Vec<_>>>()?;
        let mut changed = Vec::new();
        if let Some(depth) = depth {
            engine = engine.with_fusion_depth(depth);
            changed.push(format!("fusion depth {depth}"));
        }
        if let Some(candidates) = candidates {
            engine = engine.with_fused_keyword_candidates(candidates);
            changed.push(format!("{candidates} keyword candidates"));
        }
        let (mut shared, mut same) = (0usize, 0usize);
        for (q, old) in queries.iter().zip(&before) {
            let new = top(&engine, q)?;
            shared += new.iter().filter(|k| old.contains(k)).count();
            same += usize::from(&new == old);
        }
        println!(
            "{}: hybrid top 10 shares {:.2} of 10 papers with the defaults' on average; {same} of {} lists identical",
            changed.join(", "),
            shared as f64 / queries.len() as f64,
            queries.len()
        );
    }
    for mode in modes {
        let run = |q: &String| -> Result<Duration> {
            let t = Instant::now();
            let r = engine.search(&SearchRequest { text: q.clone(), mode, limit, ..Default::default() })?;
            std::hint::black_box(r);
            Ok(t.elapsed())
        };
        for q in &queries {
            run(q)?;
        }
        let cpu_before = cpu_seconds();
        let mut timed = queries.iter().map(|q| Ok((run(q)?, q))).collect::<Result<Vec<_>>>()?;
        let cpu = (cpu_seconds() - cpu_before) * 1000.0 / queries.len() as f64;
        timed.sort();
        let times: Vec<Duration> = timed.iter().map(|t| t.0).collect();
        let mean = times.iter().map(Duration::as_secs_f64).sum::<f64>() / times.len() as f64 * 1000.0;
        let slowest: Vec<String> =
            timed.iter().rev().take(3).map(|(t, q)| format!("{:.1} ms {q:?}", t.as_secs_f64() * 1000.0)).collect();
        println!(
            "| {:<8} | {:>6.2} | {:>6.2} | {:>6.2} | {:>7.2} | {:>6.2} |  slowest: {}",
            format!("{mode:?}").to_lowercase(),
            percentile(&times, 0.50),
            percentile(&times, 0.90),
            percentile(&times, 0.99),
            mean,
            cpu,
            slowest.join(", ")
        );
    }
    // The keyword index alone (no paper loading), to split keyword latency.
    if modes_include_keyword {
        let run = |q: &String| -> Result<Duration> {
            let t = Instant::now();
            let kq = papertide_search::keyword::KeywordQuery {
                typing: false,
                ..papertide_search::keyword::KeywordQuery::new(q.as_str(), limit)
            };
            std::hint::black_box(engine.keyword().search(&kq)?);
            Ok(t.elapsed())
        };
        let mut times = queries.iter().map(run).collect::<Result<Vec<_>>>()?;
        times.sort();
        println!(
            "| kw index | {:>6.2} | {:>6.2} | {:>6.2} |         |        |  (keyword index search only, no paper loading)",
            percentile(&times, 0.50),
            percentile(&times, 0.90),
            percentile(&times, 0.99),
        );
    }
    let keyword = size_of(&data_dir.join("index/keyword"));
    let vectors = size_of(&data_dir.join("index")) - keyword;
    let db: u64 = std::fs::read_dir(&data_dir)?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("papertide.db"))
        .map(|e| size_of(&e.path()))
        .sum();
    let per = |b: u64| mib(b) * 100_000.0 / papers.max(1) as f64;
    println!("disk: keyword index {:.0} MiB ({:.0} MiB per 100k), vector index {:.0} MiB ({:.0} per 100k), database {:.0} MiB ({:.0} per 100k)",
        mib(keyword), per(keyword), mib(vectors), per(vectors), mib(db), per(db));
    let rss = proc_status("VmRSS:");
    println!(
        "RSS after queries {:.0} MiB ({:.0} MiB per 100k papers), peak {:.0} MiB",
        mib(rss),
        per(rss),
        mib(proc_status("VmHWM:"))
    );
    Ok(())
}
