//! `papertide embed`: computing the missing embeddings as a bounded three-stage pipeline.
//!
//! Owns [`SearchEngine::embed_backlog`]. A reader thread pages through the papers without an
//! embedding and makes their texts; the calling thread's scope runs inference (the embedder
//! uses every core); a writer stage stores each batch in the database, adds it to the vector
//! index and reports progress. Channels between the stages hold [`IN_FLIGHT`] batches, so
//! reading and writing overlap inference while memory stays bounded (a few batches of texts
//! and vectors), and a slow stage holds the others back instead of queueing without end.
//! Batches are stored in key order as they complete, so an interrupted run keeps every
//! stored batch and a re-run skips them. Next: [`super::sync`] for the index upkeep.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use super::sync::embedding_text;
use super::SearchEngine;
use crate::SearchError;

/// Batches queued between two stages.
const IN_FLIGHT: usize = 2;
/// Vectors added between saves of the vector index file during a long run.
const SAVE_EVERY: usize = 50_000;

type Texts = (Vec<u64>, Vec<String>);
type Vectors = Vec<(u64, Vec<f32>)>;

impl SearchEngine {
    /// Embeds papers that have no embedding yet, `batch` at a time: each batch is stored (so
    /// an interrupted run keeps it and a re-run skips it) and added to the vector index.
    /// `progress(embedded_so_far)` is called after each stored batch; `stop` ends the run once
    /// the batch being embedded is stored (batches already read are dropped). Returns the
    /// number embedded. See the [module docs](self).
    pub fn embed_backlog(
        &self,
        batch: usize,
        progress: &mut dyn FnMut(u64),
        stop: &AtomicBool,
    ) -> Result<u64, SearchError> {
        let Some(embedder) = &self.embedder else {
            return Err(SearchError::Embed(self.model_problem.clone().unwrap_or_else(|| "no model".into())));
        };
        let batch = batch.max(1);
        let (text_tx, text_rx) = sync_channel::<Texts>(IN_FLIGHT);
        let (vec_tx, vec_rx) = sync_channel::<Vectors>(IN_FLIGHT);
        let (read, inferred, write) = std::thread::scope(|scope| {
            let reader = scope.spawn(|| self.read_backlog(batch, stop, text_tx));
            let inference = scope.spawn(move || infer(&**embedder, stop, text_rx, vec_tx));
            let write = self.write_embeddings(vec_rx, progress);
            let join = |r: std::thread::Result<Result<(), SearchError>>| {
                r.unwrap_or_else(|_| Err(SearchError::Embed("an embedding stage panicked".into())))
            };
            (join(reader.join()), join(inference.join()), write)
        });
        // The first failure along the pipeline is the cause; later stages only saw it stop.
        read?;
        inferred?;
        let done = write?;
        self.save_vectors()?;
        Ok(done)
    }

    /// Stage 1: pages through papers without an embedding, in key order.
    fn read_backlog(&self, batch: usize, stop: &AtomicBool, out: SyncSender<Texts>) -> Result<(), SearchError> {
        let mut after = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let todo =
                self.store.papers_without_embedding(&self.model_name, after, batch).map_err(SearchError::store)?;
            let Some(last) = todo.last() else { break };
            after = last.0;
            let keys = todo.iter().map(|(k, _)| *k).collect();
            let texts = todo.iter().map(|(_, p)| embedding_text(p)).collect();
            if out.send((keys, texts)).is_err() {
                break; // a later stage stopped; its error is reported
            }
        }
        Ok(())
    }

    /// Stage 3: stores each batch and adds it to the vector index; returns the count.
    fn write_embeddings(&self, input: Receiver<Vectors>, progress: &mut dyn FnMut(u64)) -> Result<u64, SearchError> {
        let (mut done, mut since_save) = (0u64, 0usize);
        for items in input {
            self.store_vectors(&items)?;
            done += items.len() as u64;
            since_save += items.len();
            if since_save >= SAVE_EVERY {
                self.save_vectors()?;
                since_save = 0;
            }
            progress(done);
        }
        Ok(done)
    }
}

/// Stage 2: embeds each batch of texts; after `stop`, batches read but not yet embedded are
/// dropped (they are still missing, so the next run takes them).
fn infer(
    embedder: &dyn crate::embed::Embedder,
    stop: &AtomicBool,
    input: Receiver<Texts>,
    out: SyncSender<Vectors>,
) -> Result<(), SearchError> {
    for (keys, texts) in input {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed(&refs).map_err(|e| SearchError::Embed(e.to_string()))?;
        if vectors.len() != keys.len() {
            return Err(SearchError::Embed(format!("{} vectors for {} texts", vectors.len(), keys.len())));
        }
        if out.send(keys.into_iter().zip(vectors).collect()).is_err() {
            break;
        }
    }
    Ok(())
}
