//! Keeping the indexes current with the store.
//!
//! - Keyword: [`SearchEngine::sync`] reads the store's change feed after the keyword index's
//!   committed cursor, upserts those papers and commits the new cursor: a restart resumes where
//!   it stopped, and `reindex` is a reset to cursor 0. Far behind ([`MERGE_AFTER`]), it loads
//!   in bulk and ends with one segment.
//! - Vectors: embeddings live in the store (computed once per text, never on restart);
//!   [`SearchEngine::embed_backlog`] ([`super::backlog`]) computes missing ones in batches,
//!   stores them and adds them to the vector index, which is saved to `DIR/index/` and topped
//!   up from the store on open.

use papertide_core::Paper;

use super::SearchEngine;
use crate::vector::VectorIndex;
use crate::SearchError;

/// Papers read from the change feed per step.
const FEED_PAGE: usize = 5_000;
/// Heap for the keyword writer (bulk indexing is faster with more).
const WRITER_HEAP: usize = 256 * 1024 * 1024;
/// Papers between commits in a bulk sync: an interrupted bulk sync redoes at most this many
/// (each commit writes out segments and syncs files).
const BULK_COMMIT_EVERY: u64 = 100_000;
/// A sync at least this many changes behind (a bulk import, a reindex) runs as a bulk load:
/// no background merges, a commit every [`BULK_COMMIT_EVERY`] papers, papers added without
/// deletes into an empty index, and one merge into a single segment at the end (at 1M papers
/// keyword p50 went from 7.0 to 4.0 ms for a 21 s merge; docs/SEARCH.md).
pub const MERGE_AFTER: u64 = 50_000;
/// Stored embeddings added to the vector index per step when it is loaded from the store
/// (150 MiB of f32 vectors at 384 dimensions).
const LOAD_CHUNK: usize = 100_000;

/// The text embedded for a paper: title, then abstract.
pub fn embedding_text(paper: &Paper) -> String {
    if paper.abstract_text.is_empty() {
        paper.title.clone()
    } else {
        format!("{}. {}", paper.title, paper.abstract_text)
    }
}

/// How far back [`SearchEngine::sync`] looks again for embeddings stored by another process:
/// a batch whose transaction committed after a newer one is still picked up, as is one
/// stamped by a clock up to this far behind.
pub const EMBEDDING_OVERLAP_SECS: i64 = 120;
/// How often a sync also compares the vector index's size with the store's count of
/// embeddings (and loads what is missing).
pub const FULL_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(600);
/// Vectors picked up from the store before the vector index file is saved again (a restart
/// loads the rest from the store).
const SAVE_AFTER: usize = 50_000;

/// Where the vector index stands with the store's embeddings ([`SearchEngine::sync`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct VectorsSeen {
    /// The newest `created_at` (unix seconds) of an embedding loaded from the store.
    newest: i64,
    /// When the counts were last compared.
    checked_at: std::time::Instant,
    /// Vectors added since the index file was last saved.
    unsaved: usize,
}

/// What a sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Papers (re)indexed by keyword.
    pub keyword_indexed: u64,
    /// Vectors added to the vector index from the store.
    pub vectors_loaded: u64,
}

impl SearchEngine {
    /// Brings the keyword index up to the store's change feed and the vector index up to the
    /// stored embeddings. `progress(done)` is called after each page.
    pub fn sync(&self, progress: &mut dyn FnMut(u64)) -> Result<SyncReport, SearchError> {
        let mut report = SyncReport::default();
        let mut cursor = self.keyword.cursor()?;
        // A bulk sync (an import, a reindex): no background merges, a commit every
        // BULK_COMMIT_EVERY papers, one merge at the end. Into an empty index, the changes up
        // to `start` are each a paper's only entry in the feed, so they are added without a
        // delete; later changes (written during the sync) replace as usual.
        let start = self.store.max_seq().map_err(SearchError::store)?;
        let bulk = start.saturating_sub(cursor) >= self.bulk_after;
        let fresh = bulk && self.keyword.num_docs() == 0;
        let mut uncommitted = 0u64;
        let mut writer = None;
        loop {
            let changes = self.store.papers_changed_since(cursor, FEED_PAGE).map_err(SearchError::store)?;
            let Some(last) = changes.last() else { break };
            let last_seq = last.seq;
            if writer.is_none() {
                let mut w = self.keyword.writer(WRITER_HEAP)?;
                if bulk {
                    w.bulk_mode();
                }
                writer = Some(w);
            }
            if let Some(w) = writer.as_mut() {
                for change in &changes {
                    if fresh && change.seq <= start {
                        w.insert(change.key, &change.paper)?;
                    } else {
                        w.upsert(change.key, &change.paper)?;
                    }
                }
                uncommitted += changes.len() as u64;
                if !bulk || uncommitted >= BULK_COMMIT_EVERY {
                    w.commit(last_seq)?;
                    uncommitted = 0;
                }
            }
            // A changed text drops its stored embedding: drop the stale vector too.
            let stale: Vec<u64> = {
                let vectors = self.vectors.read().map_err(|_| SearchError::Poisoned)?;
                changes.iter().map(|c| c.key).filter(|k| vectors.get(*k).is_some()).collect()
            };
            for key in stale {
                if self.store.embedding(&self.model_name, key).map_err(SearchError::store)?.is_none() {
                    self.vectors.write().map_err(|_| SearchError::Poisoned)?.remove(key)?;
                }
            }
            report.keyword_indexed += changes.len() as u64;
            cursor = last_seq;
            progress(report.keyword_indexed);
        }
        if let Some(w) = writer.as_mut() {
            if uncommitted > 0 {
                w.commit(cursor)?;
            }
            if report.keyword_indexed >= self.bulk_after {
                let segments = w.merge_into(self.keyword.threads())?;
                tracing::info!(segments, papers = report.keyword_indexed, "merged the keyword index after a bulk sync");
            }
            self.keyword.reload()?;
        }
        report.vectors_loaded = self.load_new_vectors()?;
        if report.keyword_indexed + report.vectors_loaded > 0 {
            self.bump_version();
        }
        Ok(report)
    }

    /// Adds embeddings another process stored (the replica holding the embedder lease) to the
    /// vector index: those stored since the last look (less [`EMBEDDING_OVERLAP_SECS`], for
    /// batches that committed late), replacing changed vectors. The first sync, and one every
    /// [`FULL_CHECK_EVERY`], compares counts instead and loads whatever is missing (all of it
    /// after a lost index file, or after clocks disagreed by more than the overlap).
    fn load_new_vectors(&self) -> Result<u64, SearchError> {
        let mut seen = self.vectors_seen.lock().map_err(|_| SearchError::Poisoned)?;
        let now = chrono::Utc::now().timestamp();
        let full = match *seen {
            None => true,
            Some(s) => s.checked_at.elapsed() >= FULL_CHECK_EVERY,
        };
        if full {
            let since = seen.map_or(now - EMBEDDING_OVERLAP_SECS, |s| s.newest);
            let loaded = self.load_missing_vectors()?;
            *seen = Some(VectorsSeen { newest: since, checked_at: std::time::Instant::now(), unsaved: 0 });
            return Ok(loaded);
        }
        let Some(state) = seen.as_mut() else { return Ok(0) };
        let rows = self
            .store
            .embeddings_since(&self.model_name, state.newest - EMBEDDING_OVERLAP_SECS)
            .map_err(SearchError::store)?;
        let (mut keys, mut flat) = (Vec::new(), Vec::new());
        {
            let vectors = self.vectors.read().map_err(|_| SearchError::Poisoned)?;
            for (key, at, v) in &rows {
                state.newest = state.newest.max(*at);
                if v.len() == super::DIM && vectors.get(*key).as_deref() != Some(v.as_slice()) {
                    keys.push(*key);
                    flat.extend_from_slice(v);
                }
            }
        }
        if keys.is_empty() {
            return Ok(0);
        }
        self.vectors.write().map_err(|_| SearchError::Poisoned)?.upsert_batch(&keys, &flat)?;
        state.unsaved += keys.len();
        if state.unsaved >= SAVE_AFTER {
            self.save_vectors()?;
            state.unsaved = 0;
        }
        Ok(keys.len() as u64)
    }

    /// Adds stored embeddings the vector index lacks (all of them after a lost index file),
    /// [`LOAD_CHUNK`] at a time, so that memory holds the index and one chunk of f32 vectors
    /// rather than every vector in f32 besides a compact index.
    fn load_missing_vectors(&self) -> Result<u64, SearchError> {
        let papers = self.store.count_papers().map_err(SearchError::store)?;
        let backlog = self.store.embedding_backlog(&self.model_name).map_err(SearchError::store)?;
        let stored = papers.saturating_sub(backlog) as usize;
        if self.vector_count() >= stored {
            return Ok(0);
        }
        let mut keys = Vec::new();
        let mut flat = Vec::new();
        let mut added = 0u64;
        let mut failed = None;
        let mut vectors = self.vectors.write().map_err(|_| SearchError::Poisoned)?;
        self.store
            .for_each_embedding(&self.model_name, &mut |key, v| {
                if failed.is_some() {
                    return Ok(()); // reported after the scan
                }
                if vectors.get(key).is_none() && v.len() == super::DIM {
                    keys.push(key);
                    flat.extend_from_slice(&v);
                }
                if keys.len() >= LOAD_CHUNK {
                    added += keys.len() as u64;
                    failed = vectors.upsert_batch(&keys, &flat).err();
                    keys.clear();
                    flat.clear();
                }
                Ok(())
            })
            .map_err(SearchError::store)?;
        if let Some(e) = failed {
            return Err(e);
        }
        vectors.upsert_batch(&keys, &flat)?;
        added += keys.len() as u64;
        drop(vectors);
        self.save_vectors()?;
        Ok(added)
    }

    /// Saves the vector index next to the keyword index (no-op in memory).
    pub fn save_vectors(&self) -> Result<(), SearchError> {
        if let Some(path) = &self.vector_path {
            let _one_at_a_time = self.save_lock.lock().map_err(|_| SearchError::Poisoned)?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|source| SearchError::Io { path: dir.to_path_buf(), source })?;
            }
            self.vectors.read().map_err(|_| SearchError::Poisoned)?.save(path)?;
        }
        Ok(())
    }

    /// Number of papers still to embed.
    pub fn embedding_backlog(&self) -> Result<u64, SearchError> {
        self.store.embedding_backlog(&self.model_name).map_err(SearchError::store)
    }

    /// Stores a batch in the database, then adds it to the vector index.
    pub(super) fn store_vectors(&self, items: &[(u64, Vec<f32>)]) -> Result<(), SearchError> {
        self.store.put_embeddings(&self.model_name, items).map_err(SearchError::store)?;
        let keys: Vec<u64> = items.iter().map(|i| i.0).collect();
        let flat: Vec<f32> = items.iter().flat_map(|i| i.1.iter().copied()).collect();
        self.vectors.write().map_err(|_| SearchError::Poisoned)?.upsert_batch(&keys, &flat)?;
        self.bump_version();
        Ok(())
    }

    /// Rebuilds the keyword index from the store (cursor 0) and the vector index from the
    /// stored embeddings.
    pub fn reindex(&self, progress: &mut dyn FnMut(u64)) -> Result<SyncReport, SearchError> {
        let mut writer = self.keyword.writer(WRITER_HEAP)?;
        writer.delete_all()?;
        writer.commit(0)?;
        drop(writer);
        *self.vectors.write().map_err(|_| SearchError::Poisoned)? =
            crate::vector::AutoIndex::with_config(super::DIM, self.vector_config.clone())?;
        self.sync(progress)
    }
}
