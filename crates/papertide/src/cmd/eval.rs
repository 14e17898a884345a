//! `papertide eval`: search quality on the CACM and CSFCube benchmarks, printed as tables.
//!
//! The runs go through the same engine as `papertide search` and `similar`; see
//! `papertide_search::eval::run` for what each row measures and docs/SEARCH.md for results.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use papertide_search::embed::model::ModelFiles;
use papertide_search::embed::{Embedder, MiniLmEmbedder};
use papertide_search::eval::run::{evaluate, EvalOptions};
use papertide_search::eval::users::{user_study, UserStudyOptions};
use papertide_search::fusion::Fusion;

use crate::config::Config;

/// Arguments of `papertide eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The benchmarks directory (holds `cacm/` and `csfcube/`)
    #[arg(long, value_name = "DIR", env = "PAPERTIDE_BENCHMARKS", default_value = "../shared/data/benchmarks")]
    benchmarks: PathBuf,
    /// How to fuse hybrid rankings: `rrf` (reciprocal rank fusion, k=60) or `convex`
    #[arg(long, default_value = "rrf")]
    fusion: String,
    /// Keep the benchmark databases (with their embeddings) here and reuse them next time
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Print JSON instead of tables
    #[arg(long)]
    json: bool,
    /// Run the simulated-user study of "For you" on this site's papers (import and embed the
    /// 26,809-paper corpus first) instead of the benchmarks; see docs/RECOMMEND.md
    #[arg(long)]
    users: bool,
    /// With --users: the random seed of the simulated users
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

pub fn run(config: &Config, args: EvalArgs) -> anyhow::Result<ExitCode> {
    if args.users {
        return run_user_study(config, &args);
    }
    let fusion = match args.fusion.as_str() {
        "rrf" => Fusion::default(),
        "convex" => Fusion::Convex,
        other => anyhow::bail!("unknown fusion `{other}` (rrf or convex)"),
    };
    anyhow::ensure!(
        args.benchmarks.join("cacm").is_dir() && args.benchmarks.join("csfcube").is_dir(),
        "no benchmarks in {} (expected cacm/ and csfcube/; pass --benchmarks DIR)",
        args.benchmarks.display()
    );
    let embedder = match MiniLmEmbedder::load(&ModelFiles::new(config.model_dir())) {
        Ok(e) => Some(Arc::new(e) as Arc<dyn Embedder>),
        Err(e) => {
            eprintln!("note: running keyword rows only: {e}");
            None
        }
    };
    let options = EvalOptions { benchmarks: args.benchmarks, embedder, fusion, work_dir: args.work_dir };
    let started = std::time::Instant::now();
    let report = evaluate(&options, &mut |stage| {
        eprintln!("[{:>6.1} s] {stage}", started.elapsed().as_secs_f64());
    })
    .context("running the benchmarks")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.to_markdown());
    }
    Ok(ExitCode::SUCCESS)
}

/// `papertide eval --users`.
fn run_user_study(config: &Config, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let engine = super::search::open_engine(config)?;
    engine.sync(&mut |_| {}).context("bringing the search index up to date")?;
    let backlog = engine.embedding_backlog()?;
    anyhow::ensure!(
        engine.vector_count() > 0,
        "no embeddings in {}: run `papertide import` and `papertide embed` first",
        config.data_dir.display()
    );
    if backlog > 0 {
        eprintln!("note: {backlog} papers have no embedding yet and cannot be recommended (`papertide embed`)");
    }
    let options = UserStudyOptions { seed: args.seed, ..Default::default() };
    let started = std::time::Instant::now();
    let study = user_study(&engine, &options, &mut |stage| {
        eprintln!("[{:>6.1} s] {stage}", started.elapsed().as_secs_f64());
    })
    .context("running the simulated-user study")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&study)?);
    } else {
        print!("{}", study.to_markdown());
    }
    Ok(ExitCode::SUCCESS)
}
