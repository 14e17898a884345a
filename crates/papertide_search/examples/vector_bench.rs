//! Build time, query latency, recall and memory of the vector indexes.
//!
//! ```text
//! cargo run -p papertide_search --release --example vector_bench -- \
//!     [N=100000] [--embeddings FILE] [--random] [--near] [--queries 200]
//!     [--ef 32,64,96,128,192] [--skip-exact] [--save PATH]
//!     [--elements f32,f16,int8] [--build-each]
//! ```
//!
//! Data: N clustered synthetic unit vectors of 384 dimensions (gaussian clusters of about
//! 200 vectors, spread chosen so that cosines to the centre are 0.6 to 0.85), or uniform
//! random unit vectors with `--random`, or real embeddings from FILE (raw little-endian
//! f32, 384 per row, as written by `embed_bench --save-vectors`; normalised on load). The
//! queries are held-out vectors of the same distribution (the last rows of FILE), or with
//! `--near` indexed vectors plus a little gaussian noise (cosine about 0.9 to the original,
//! like a "similar papers" query).
//!
//! Reports: build time of [`ExactIndex`] and [`HnswIndex`] (parallel bulk build on all
//! rayon threads; set `RAYON_NUM_THREADS` to limit), single-threaded query latency p50/p99
//! for k = 10, recall@10 of HNSW against exact for each `ef`, filtered-query latency,
//! single-upsert latency after the build, index memory and the process's peak RSS, and the
//! dot-product kernels' speed.
//!
//! Compact vectors (docs/SEARCH.md, "Compact vectors"): `--elements f32,f16,int8` measures
//! the HNSW index once per element type, recall always against exact f32 search. The graph
//! is built once with the first type and re-encoded for the next ones (what a changed
//! `[search] vectors` setting does to a saved index), or built afresh for each type with
//! `--build-each` (what a new index does). With `--save PATH` each one is saved to
//! `PATH.<type>` and its file size reported.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use papertide_search::vector::distance::{dot, dot_portable, kernel_name};
use papertide_search::vector::rng::SplitMix64;
use papertide_search::vector::{Element, ExactIndex, HnswIndex, HnswParams, VectorIndex};
use rayon::prelude::*;

const DIM: usize = 384;
const K: usize = 10;

struct Args {
    n: usize,
    embeddings: Option<PathBuf>,
    random: bool,
    near: bool,
    queries: usize,
    efs: Vec<usize>,
    skip_exact: bool,
    save: Option<PathBuf>,
    elements: Vec<Element>,
    build_each: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        n: 100_000,
        embeddings: None,
        random: false,
        near: false,
        queries: 200,
        efs: vec![32, 64, 96, 128, 192],
        skip_exact: false,
        save: None,
        elements: vec![Element::F32],
        build_each: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--embeddings" => a.embeddings = Some(value()?.into()),
            "--random" => a.random = true,
            "--near" => a.near = true,
            "--queries" => a.queries = value()?.parse()?,
            "--ef" => a.efs = value()?.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "--skip-exact" => a.skip_exact = true,
            "--save" => a.save = Some(value()?.into()),
            "--elements" => {
                a.elements =
                    value()?.split(',').map(str::parse).collect::<Result<_, _>>().map_err(anyhow::Error::msg)?
            }
            "--build-each" => a.build_each = true,
            n if n.chars().all(|c| c.is_ascii_digit()) => a.n = n.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
}

/// `total` synthetic rows, row-major.
fn synthetic(total: usize, random: bool) -> Vec<f32> {
    let clusters = (total / 200).max(1);
    let mut rng = SplitMix64::new(42);
    let centres: Vec<(Vec<f32>, f32)> = (0..clusters)
        .map(|_| {
            let mut c: Vec<f32> = (0..DIM).map(|_| rng.gaussian()).collect();
            normalize(&mut c);
            (c, (0.6 + 0.6 * rng.next_open01() as f32) / (DIM as f32).sqrt())
        })
        .collect();
    let mut data = vec![0f32; total * DIM];
    data.par_chunks_mut(DIM).enumerate().for_each(|(i, row)| {
        let mut rng = SplitMix64::new(0xABCD ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if random {
            row.iter_mut().for_each(|x| *x = rng.gaussian());
        } else {
            let (c, s) = &centres[(rng.next_u64() % clusters as u64) as usize];
            row.iter_mut().zip(c).for_each(|(x, c)| *x = c + s * rng.gaussian());
        }
        normalize(row);
    });
    data
}

/// `count` rows of `base` with gaussian noise of norm about 0.5, renormalised.
fn perturbed(base: &[f32], count: usize) -> Vec<f32> {
    let rows = base.len() / DIM;
    let mut rng = SplitMix64::new(7);
    let mut out = Vec::with_capacity(count * DIM);
    for _ in 0..count {
        let r = (rng.next_u64() % rows as u64) as usize;
        let start = out.len();
        out.extend(base[r * DIM..(r + 1) * DIM].iter().map(|x| x + 0.5 / (DIM as f32).sqrt() * rng.gaussian()));
        normalize(&mut out[start..]);
    }
    out
}

fn load_embeddings(path: &PathBuf) -> anyhow::Result<Vec<f32>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if !bytes.chunks_exact(4 * DIM).remainder().is_empty() {
        bail!("{} is not a whole number of {DIM}-float rows", path.display());
    }
    let mut data: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    data.chunks_mut(DIM).for_each(normalize);
    Ok(data)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Runs every query once; returns results and (p50, p99, mean) latency.
fn timed(queries: &[&[f32]], f: impl Fn(&[f32]) -> Vec<(u64, f32)>) -> (Vec<Vec<(u64, f32)>>, [Duration; 3]) {
    let mut times = Vec::with_capacity(queries.len());
    let results = queries
        .iter()
        .map(|q| {
            let t = Instant::now();
            let r = f(q);
            times.push(t.elapsed());
            r
        })
        .collect();
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    times.sort();
    (results, [percentile(&times, 0.5), percentile(&times, 0.99), mean])
}

fn recall(got: &[Vec<(u64, f32)>], truth: &[Vec<(u64, f32)>]) -> f64 {
    let hits: usize =
        got.iter().zip(truth).map(|(g, t)| g.iter().filter(|r| t.iter().any(|x| x.0 == r.0)).count()).sum();
    hits as f64 / truth.iter().map(Vec::len).sum::<usize>().max(1) as f64
}

fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| status.lines().find(|l| l.starts_with(name)).map(|l| l[name.len()..].trim().to_string());
    format!("RSS {}, peak {}", field("VmRSS:").unwrap_or_default(), field("VmHWM:").unwrap_or_default())
}

fn mib(bytes: usize) -> String {
    format!("{:.0} MiB", bytes as f64 / (1 << 20) as f64)
}

fn kernels() {
    let a: Vec<f32> = (0..DIM).map(|i| (i as f32 * 0.37).sin()).collect();
    let rows: Vec<f32> = (0..DIM * 1024).map(|i| (i as f32 * 0.11).cos()).collect();
    for (name, f) in [("portable", dot_portable as fn(&[f32], &[f32]) -> f32), (kernel_name(), dot)] {
        let t = Instant::now();
        let mut s = 0.0;
        for _ in 0..200 {
            for r in rows.chunks_exact(DIM) {
                s += f(std::hint::black_box(&a), r);
            }
        }
        let ns = t.elapsed().as_nanos() as f64 / (200.0 * 1024.0);
        println!("dot kernel {name:>9}: {ns:.1} ns per {DIM}-dim dot (checksum {s:.1})");
    }
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    println!("threads: {}", rayon::current_num_threads());
    kernels();
    let t = Instant::now();
    let (data, source) = match &args.embeddings {
        Some(path) => (load_embeddings(path)?, format!("embeddings from {}", path.display())),
        None => {
            let kind = if args.random { "uniform random" } else { "clustered" };
            (synthetic(args.n + args.queries, args.random), format!("{kind} synthetic"))
        }
    };
    let rows = data.len() / DIM;
    if rows <= args.queries {
        bail!("{rows} rows are not enough for {} queries", args.queries);
    }
    let n = args.n.min(rows - args.queries);
    let (base, rest) = data.split_at(n * DIM);
    let near: Vec<f32> = if args.near { perturbed(base, args.queries) } else { Vec::new() };
    let queries: Vec<&[f32]> =
        if args.near { near.chunks_exact(DIM).collect() } else { rest.chunks_exact(DIM).take(args.queries).collect() };
    let keys: Vec<u64> = (0..n as u64).collect();
    println!("data: {n} × {DIM} {source}, {} queries, generated in {:.1?}", queries.len(), t.elapsed());

    let truth = if args.skip_exact {
        None
    } else {
        let t = Instant::now();
        let mut exact = ExactIndex::with_capacity(DIM, n)?;
        for (k, v) in keys.iter().zip(base.chunks_exact(DIM)) {
            exact.upsert(*k, v)?;
        }
        let build = t.elapsed();
        let (truth, [p50, p99, mean]) = timed(&queries, |q| exact.search(q, K, None).unwrap_or_default());
        println!(
            "exact: build {build:.2?}, memory {}, query k={K}: p50 {p50:.2?} p99 {p99:.2?} mean {mean:.2?}",
            mib(exact.memory_bytes())
        );
        Some(truth)
    };

    let mut hnsw: Option<HnswIndex> = None;
    for &element in &args.elements {
        let t = Instant::now();
        let index = match hnsw.take() {
            Some(mut h) if !args.build_each => {
                h.set_element(element);
                println!("[{element}] re-encoded the graph's vectors in {:.2?}", t.elapsed());
                h
            }
            _ => {
                let params = HnswParams { element, ..HnswParams::default() };
                let h = HnswIndex::build(DIM, params, &keys, base)?;
                let build = t.elapsed();
                println!("[{element}] hnsw: build {build:.2?} ({:.0} inserts/s)", n as f64 / build.as_secs_f64());
                h
            }
        };
        let h = hnsw.insert(index);
        println!("[{element}] hnsw: memory {}, {}", mib(h.memory_bytes()), rss());
        let default_ef = h.params().ef_search;
        for &ef in &args.efs {
            h.set_ef_search(ef);
            let (got, [p50, p99, mean]) = timed(&queries, |q| h.search(q, K, None).unwrap_or_default());
            let r = truth.as_ref().map_or("n/a".to_string(), |t| format!("{:.4}", recall(&got, t)));
            println!("[{element}] hnsw ef={ef:>4}: recall@{K} {r}, p50 {p50:.2?} p99 {p99:.2?} mean {mean:.2?}");
        }
        h.set_ef_search(default_ef);
        for modulus in [10u64, 1000] {
            let filter = move |k: u64| k.checked_rem(modulus) == Some(0);
            let (_, [p50, p99, _]) = timed(&queries, |q| h.search(q, K, Some(&filter)).unwrap_or_default());
            println!("[{element}] hnsw ef={default_ef} filter keeping 1/{modulus}: p50 {p50:.2?} p99 {p99:.2?}");
        }
        if let Some(path) = &args.save {
            let path = path.with_extension(element.name());
            let t = Instant::now();
            h.save(&path)?;
            let saved = t.elapsed();
            let bytes = std::fs::metadata(&path)?.len();
            let t = Instant::now();
            let loaded = HnswIndex::load(&path)?;
            println!(
                "[{element}] file {} ({} bytes): save {saved:.2?}, load {:.2?} ({} vectors)",
                mib(bytes as usize),
                bytes,
                t.elapsed(),
                loaded.len()
            );
        }
    }
    let Some(mut hnsw) = hnsw else { bail!("--elements is empty") };
    // Incremental inserts after the bulk build: the app's steady state (new papers).
    let extra: Vec<f32> = perturbed(base, 500);
    let mut times: Vec<Duration> = extra
        .chunks_exact(DIM)
        .enumerate()
        .map(|(i, v)| {
            let t = Instant::now();
            let _ = hnsw.upsert(n as u64 + i as u64, v);
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "hnsw: {} single upserts after the build: p50 {:.2?} p99 {:.2?}",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    println!("{}", rss());
    Ok(())
}
