//! [`QueryBatcher`]: embeds search queries, batching the ones that arrive together.
//!
//! A query is a dozen tokens, so embedding one alone is bound by reading the model's weights
//! (about 40 MB per pass), not by arithmetic. When many searches run at once (a busy site),
//! the queries waiting at the moment a worker becomes free are embedded in one forward pass:
//! the weights are read once for all of them. A lone query is never delayed: a worker takes
//! what is queued *now* and does not wait for more.
//!
//! Workers: one per core, each running candle on its own one-thread rayon pool (splitting a
//! tiny matmul across threads costs more than it saves, and the workers already use every
//! core). Bulk embedding (`embed_backlog`) does not go through here and keeps all threads.
//!
//! Measured (`examples/embed_bench --queries`, one thread): 8.8 ms per query alone, 7.2 ms
//! per query in batches of 4 to 32. Query embedding is compute-bound (gemm 50%, GELU's erf
//! 15%), so batching gains less than it would if reading the weights dominated.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use crate::embed::{EmbedError, Embedder};

/// Most queries per forward pass.
pub const MAX_BATCH: usize = 32;

struct Job {
    text: String,
    reply: Sender<Result<Vec<f32>, String>>,
}

/// A pool of workers that embed queries, batching those queued together.
pub struct QueryBatcher {
    jobs: Mutex<Option<Sender<Job>>>,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for QueryBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryBatcher").finish_non_exhaustive()
    }
}

impl QueryBatcher {
    /// Starts `workers` threads (at least one) over `embedder`.
    pub fn start(embedder: Arc<dyn Embedder>, workers: usize) -> QueryBatcher {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::new();
        for i in 0..workers.max(1) {
            let (rx, embedder) = (rx.clone(), embedder.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("query-embed-{i}"))
                .spawn(move || work(&rx, embedder.as_ref()));
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => tracing::warn!(error = %e, "could not start a query-embedding thread"),
            }
        }
        QueryBatcher { jobs: Mutex::new(Some(tx)), workers: Mutex::new(handles) }
    }

    /// The embedding of `text` (unit length).
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let (reply, answer) = mpsc::channel();
        let sent = {
            let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
            jobs.as_ref().map(|tx| tx.send(Job { text: text.to_string(), reply }))
        };
        if !matches!(sent, Some(Ok(()))) {
            return Err(EmbedError::Options("the query embedder has stopped".into()));
        }
        match answer.recv() {
            Ok(result) => result.map_err(EmbedError::Options),
            Err(_) => Err(EmbedError::Options("the query embedder stopped before answering".into())),
        }
    }
}

impl Drop for QueryBatcher {
    fn drop(&mut self) {
        // Closing the channel ends the workers once the queue is empty.
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        for h in self.workers.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            let _ = h.join();
        }
    }
}

/// A worker: take the first waiting job (blocking), then whatever else is queued, embed them
/// together, answer each.
fn work(rx: &Mutex<Receiver<Job>>, embedder: &dyn Embedder) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().ok();
    loop {
        let batch = {
            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
            let Ok(first) = rx.recv() else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        let texts: Vec<&str> = batch.iter().map(|j| j.text.as_str()).collect();
        let run = || embedder.embed(&texts);
        let result = match &pool {
            Some(pool) => pool.install(run),
            None => run(),
        };
        match result {
            Ok(vectors) if vectors.len() == batch.len() => {
                for (job, v) in batch.into_iter().zip(vectors) {
                    let _ = job.reply.send(Ok(v));
                }
            }
            Ok(_) => {
                for job in batch {
                    let _ = job.reply.send(Err("the embedder returned the wrong number of vectors".into()));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for job in batch {
                    let _ = job.reply.send(Err(message.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts forward passes; the vector of a text is its length.
    struct Counting(std::sync::atomic::AtomicUsize);

    impl Embedder for Counting {
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            Ok(texts.iter().map(|t| vec![t.len() as f32]).collect())
        }
        fn dim(&self) -> usize {
            1
        }
        fn model_name(&self) -> &str {
            "counting"
        }
    }

    #[test]
    fn concurrent_queries_share_forward_passes_and_get_their_own_vectors() {
        let embedder = Arc::new(Counting(Default::default()));
        let batcher = Arc::new(QueryBatcher::start(embedder.clone(), 1));
        let handles: Vec<_> = (1..=16)
            .map(|n| {
                let b = batcher.clone();
                std::thread::spawn(move || (n, b.embed(&"x".repeat(n)).unwrap()))
            })
            .collect();
        for h in handles {
            let (n, v) = h.join().unwrap();
            assert_eq!(v, vec![n as f32]);
        }
        let passes = embedder.0.load(std::sync::atomic::Ordering::SeqCst);
        assert!(passes < 16, "16 concurrent queries took {passes} passes");
    }

    #[test]
    fn errors_reach_every_caller() {
        struct Failing;
        impl Embedder for Failing {
            fn embed(&self, _: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
                Err(EmbedError::Options("boom".into()))
            }
            fn dim(&self) -> usize {
                1
            }
            fn model_name(&self) -> &str {
                "failing"
            }
        }
        let batcher = QueryBatcher::start(Arc::new(Failing), 2);
        assert!(batcher.embed("q").unwrap_err().to_string().contains("boom"));
    }
}
