//! Where imported and harvested items go: batches into the store, rejections to stderr (the
//! first few) and optionally to a rejects file (all). Shared by `import` and `harvest`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use papertide_core::Paper;
use papertide_ingest::RecordError;
use papertide_store::{Store, UpsertStats};

/// Rejections printed to stderr before the rest are only counted.
const SHOWN_REJECTIONS: u64 = 20;

/// Writes batches and reports rejections, keeping the counts.
pub struct Sink<'a> {
    store: &'a dyn Store,
    rejects_file: Option<std::fs::File>,
    /// What the store did with the papers so far.
    pub written: UpsertStats,
    /// Papers handed to the store.
    pub records: u64,
    /// Records rejected.
    pub rejected: u64,
    /// The first rejection, for `--strict` errors.
    pub first_rejection: Option<String>,
}

impl<'a> Sink<'a> {
    /// A sink over `store`, also writing rejections to `rejects` when given.
    pub fn new(store: &'a dyn Store, rejects: Option<&Path>) -> anyhow::Result<Sink<'a>> {
        let rejects_file = match rejects {
            Some(p) => Some(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?),
            None => None,
        };
        Ok(Sink {
            store,
            rejects_file,
            written: UpsertStats::default(),
            records: 0,
            rejected: 0,
            first_rejection: None,
        })
    }

    /// Writes one batch in one transaction.
    pub fn write(&mut self, papers: &[Paper]) -> anyhow::Result<()> {
        if papers.is_empty() {
            return Ok(());
        }
        let stats = self.store.upsert_papers(papers).context("writing a batch of papers")?;
        self.written.add(stats);
        self.records += papers.len() as u64;
        Ok(())
    }

    /// Reports one rejected record.
    pub fn reject(&mut self, e: &RecordError) -> anyhow::Result<()> {
        self.rejected += 1;
        if self.rejected <= SHOWN_REJECTIONS {
            eprintln!("rejected: {e}");
        } else if self.rejected == SHOWN_REJECTIONS + 1 && self.rejects_file.is_none() {
            eprintln!("(more rejections are counted but not shown; use --rejects FILE to keep them all)");
        }
        if let Some(f) = self.rejects_file.as_mut() {
            writeln!(f, "{e}").context("writing the rejects file")?;
        }
        self.first_rejection.get_or_insert_with(|| e.to_string());
        Ok(())
    }
}
