//! [`SearchEngine::import_vectors`]: storing vectors computed elsewhere
//! (`papertide embed import`).
//!
//! The records come from [`crate::vector_file`]. The vectors must come from the model the
//! engine embeds queries with (otherwise a query vector and a paper vector live in different
//! spaces and similarities mean nothing): the caller names the model, and a record that names
//! another one is refused. Each vector is checked (dimension, finite, not zero), normalised to
//! unit length, stored under the paper's current version like a computed embedding (so
//! `papertide embed` skips it and a restart never recomputes it), and added to the vector
//! index. Records are handled in batches; an interrupted run keeps every stored batch and a
//! rerun stores the same vectors again (replacing, never duplicating).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use papertide_core::PaperId;

use super::{SearchEngine, DIM};
use crate::vector_file::{BadRecord, VectorFile, VectorRecord};
use crate::SearchError;

/// Bad records kept (with where and why) in a report; the rest are only counted.
const BAD_KEPT: usize = 50;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VectorImportReport {
    /// Records read (good and bad).
    pub read: u64,
    /// Vectors stored and indexed.
    pub imported: u64,
    /// Records refused (bad line, unknown paper, wrong dimension or model, zero vector).
    pub rejected: u64,
    /// The first refused records, with where and why.
    pub bad: Vec<BadRecord>,
}

impl VectorImportReport {
    fn reject(&mut self, bad: BadRecord) {
        self.rejected += 1;
        if self.bad.len() < BAD_KEPT {
            self.bad.push(bad);
        }
    }
}

/// Whether `given` names the engine's model: its full hub name or the part after the `/`.
pub fn same_model(given: &str, model: &str) -> bool {
    let short = model.rsplit('/').next().unwrap_or(model);
    given.trim().eq_ignore_ascii_case(model) || given.trim().eq_ignore_ascii_case(short)
}

impl SearchEngine {
    /// Stores and indexes the vectors of `file`, which the caller says `model` made.
    /// `progress(records_read)` is called after each batch of `batch`; `stop` ends the run
    /// after the current batch. A wrong model or a `.npy` of the wrong width is refused
    /// before anything is stored ([`SearchError::VectorImport`]).
    pub fn import_vectors(
        &self,
        file: VectorFile,
        model: &str,
        batch: usize,
        progress: &mut dyn FnMut(u64),
        stop: &AtomicBool,
    ) -> Result<VectorImportReport, SearchError> {
        if !same_model(model, &self.model_name) {
            return Err(SearchError::VectorImport(format!(
                "the vectors were made by `{model}`, but queries are embedded by `{}`: vectors of another \
                 model cannot be compared with them",
                self.model_name
            )));
        }
        if let Some(dim) = file.dim().filter(|d| *d != DIM) {
            return Err(SearchError::VectorImport(format!(
                "the array has {dim} values per row; {} vectors have {DIM}",
                self.model_name
            )));
        }
        let mut report = VectorImportReport::default();
        // The batch being read, by key: a key twice in a batch keeps the later vector (one
        // statement may not write a row twice on PostgreSQL); in key order, so the vector
        // index is built the same way every time.
        let mut pending: BTreeMap<u64, Vec<f32>> = BTreeMap::new();
        for record in file.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    // Keep what was read before the file broke off.
                    if !pending.is_empty() {
                        self.store_pending(&mut pending, &mut report)?;
                        self.save_vectors()?;
                    }
                    return Err(SearchError::VectorImport(format!(
                        "reading the file after {} records ({} stored): {e}",
                        report.read, report.imported
                    )));
                }
            };
            report.read += 1;
            match record.and_then(|r| self.checked(r)) {
                Ok((key, vector)) => {
                    pending.insert(key, vector);
                }
                Err(bad) => report.reject(bad),
            }
            if pending.len() >= batch.max(1) {
                self.store_pending(&mut pending, &mut report)?;
                progress(report.read);
                if stop.load(Ordering::Relaxed) {
                    break;
                }
            }
        }
        if !pending.is_empty() {
            self.store_pending(&mut pending, &mut report)?;
            progress(report.read);
        }
        self.save_vectors()?;
        Ok(report)
    }

    /// Stores and indexes the batch read so far, and empties it.
    fn store_pending(
        &self,
        pending: &mut BTreeMap<u64, Vec<f32>>,
        report: &mut VectorImportReport,
    ) -> Result<(), SearchError> {
        let items: Vec<(u64, Vec<f32>)> = std::mem::take(pending).into_iter().collect();
        self.store_vectors(&items)?;
        report.imported += items.len() as u64;
        Ok(())
    }

    /// The store key and unit vector of a record, or why it cannot be imported.
    fn checked(&self, r: VectorRecord) -> Result<(u64, Vec<f32>), BadRecord> {
        let bad = |reason: String| BadRecord { at: r.at.clone(), reason };
        if let Some(m) = r.model.as_deref().filter(|m| !same_model(m, &self.model_name)) {
            return Err(bad(format!("made by `{m}`, not `{}`", self.model_name)));
        }
        let id: PaperId = r.id.parse().map_err(|e| bad(format!("paper id `{}`: {e}", r.id)))?;
        let key = match self.store.key_of(&id) {
            Ok(Some(key)) => key,
            Ok(None) => return Err(bad(format!("no paper {id} in the database"))),
            Err(e) => return Err(bad(format!("looking up {id}: {e}"))),
        };
        if r.vector.len() != DIM {
            return Err(bad(format!("{} values; {} vectors have {DIM}", r.vector.len(), self.model_name)));
        }
        if let Some(i) = r.vector.iter().position(|v| !v.is_finite()) {
            return Err(bad(format!("value {i} is not a finite number")));
        }
        let norm = r.vector.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm < 1e-12 {
            return Err(bad("the vector is all zeros".into()));
        }
        Ok((key, r.vector.iter().map(|v| v / norm).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_match_in_full_or_short() {
        let m = "sentence-transformers/all-MiniLM-L6-v2";
        assert!(same_model("all-MiniLM-L6-v2", m));
        assert!(same_model("sentence-transformers/all-minilm-l6-v2", m));
        assert!(!same_model("all-mpnet-base-v2", m));
        assert!(!same_model("", m));
    }
}
