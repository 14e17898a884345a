//! `papertide stats` and `papertide paper ID`: read-only views of the store.

use std::process::ExitCode;

use anyhow::Context;
use papertide_core::PaperId;

use crate::config::Config;

/// Arguments of `papertide stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Print JSON
    #[arg(long)]
    json: bool,
}

/// Arguments of `papertide paper`.
#[derive(Debug, clap::Args)]
pub struct PaperArgs {
    /// Paper id: arXiv id or URL (2401.01234, arXiv:2401.01234v2, hep-th/9901001) or namespaced (doi:...)
    id: String,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

pub fn stats(config: &Config, args: StatsArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let stats = store.stats().context("reading statistics")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(ExitCode::SUCCESS);
    }
    let day =
        |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or("-".into());
    println!("papers:     {}", stats.papers);
    println!("published:  {} .. {}", day(stats.earliest_published), day(stats.latest_published));
    println!("database:   {:.1} MiB ({})", stats.database_bytes as f64 / (1024.0 * 1024.0), config.data_dir.display());
    println!("by source:");
    for (source, n) in &stats.by_source {
        println!("  {source:<16} {n:>10}");
    }
    let mut cats: Vec<_> = stats.by_primary_category.iter().collect();
    cats.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!("by primary category ({} categories, top 20):", cats.len());
    for (cat, n) in cats.into_iter().take(20) {
        println!("  {cat:<16} {n:>10}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn paper(config: &Config, args: PaperArgs) -> anyhow::Result<ExitCode> {
    let id: PaperId = args.id.parse().with_context(|| format!("invalid paper id `{}`", args.id))?;
    let store = super::open_store(config)?;
    let Some(paper) = store.paper(&id).context("reading the paper")? else {
        anyhow::bail!("no paper {id} in the database");
    };
    let community = store.community(&id)?;
    if args.json {
        let mut value = serde_json::to_value(&paper)?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("community".into(), serde_json::to_value(&community)?);
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    let date =
        |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or("-".into());
    println!("{}  (v{})", paper.title, paper.version);
    println!("{}", paper.authors.join(", "));
    println!("id: {}   categories: {}", paper.id, paper.categories.join(" "));
    println!("published: {}   updated: {}", date(paper.published), date(paper.updated));
    for (label, value) in [
        ("comment", &paper.comment),
        ("journal-ref", &paper.journal_ref),
        ("doi", &paper.doi),
        ("report-no", &paper.report_no),
        ("license", &paper.license),
        ("abs", &paper.links.abs),
        ("pdf", &paper.links.pdf),
        ("code", &paper.links.code),
        ("project", &paper.links.project),
    ] {
        if let Some(v) = value {
            println!("{label}: {v}");
        }
    }
    println!("upvotes: {}   comments: {}", community.upvotes, community.comment_count);
    if !paper.abstract_text.is_empty() {
        println!("\n{}", paper.abstract_text);
    }
    Ok(ExitCode::SUCCESS)
}
