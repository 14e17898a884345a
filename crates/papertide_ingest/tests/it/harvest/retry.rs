//! [`PoliteClient`] driven by a scripted [`HttpFetch`]: which failures are retried, how
//! long it waits, when it gives up, and how the [`RateLimiter`] spaces requests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use papertide_ingest::harvest::{HarvestError, HttpFetch, HttpResponse, PoliteClient, RateLimiter, RetryPolicy};

/// Answers from a script; records when each request came.
struct Scripted {
    replies: Mutex<VecDeque<Result<HttpResponse, HarvestError>>>,
    times: Mutex<Vec<Instant>>,
}

impl Scripted {
    fn new(replies: Vec<Result<HttpResponse, HarvestError>>) -> Arc<Scripted> {
        Arc::new(Scripted { replies: Mutex::new(replies.into()), times: Mutex::new(Vec::new()) })
    }
}

impl HttpFetch for Scripted {
    fn get(&self, url: &str) -> Result<HttpResponse, HarvestError> {
        self.times.lock().unwrap().push(Instant::now());
        self.replies
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| Err(HarvestError::Transport { url: url.into(), message: "script exhausted".into() }))
    }
}

fn reply(status: u16, retry_after: Option<u64>) -> Result<HttpResponse, HarvestError> {
    Ok(HttpResponse { status, retry_after: retry_after.map(Duration::from_millis), body: b"body".to_vec() })
}

fn client(script: &Arc<Scripted>, interval_ms: u64, max_retries: u32) -> PoliteClient {
    let retry =
        RetryPolicy { max_retries, initial_backoff: Duration::from_millis(1), max_backoff: Duration::from_millis(100) };
    PoliteClient::new(script.clone(), RateLimiter::new(Duration::from_millis(interval_ms)), retry)
}

#[test]
fn limiter_spaces_calls() {
    let limiter = RateLimiter::new(Duration::from_millis(30));
    let start = Instant::now();
    for _ in 0..4 {
        limiter.wait();
    }
    assert!(start.elapsed() >= Duration::from_millis(90), "{:?}", start.elapsed());
    let shared = limiter.clone();
    let before = Instant::now();
    shared.wait();
    assert!(before.elapsed() >= Duration::from_millis(20), "clones share the schedule");
}

#[test]
fn retries_then_succeeds() {
    let script = Scripted::new(vec![
        reply(503, Some(20)),
        Err(HarvestError::Transport { url: "u".into(), message: "reset".into() }),
        reply(429, None),
        reply(200, None),
    ]);
    let r = client(&script, 0, 3).get("http://x/").unwrap();
    assert_eq!(r.status, 200);
    let times = script.times.lock().unwrap();
    assert_eq!(times.len(), 4);
    assert!(times[1] - times[0] >= Duration::from_millis(20), "Retry-After honoured");
}

#[test]
fn gives_up_after_max_retries() {
    let script = Scripted::new(vec![reply(500, None), reply(502, None), reply(504, None), reply(200, None)]);
    match client(&script, 0, 2).get("http://x/") {
        Err(HarvestError::RetriesExhausted { attempts, last, .. }) => {
            assert_eq!(attempts, 3);
            assert!(matches!(*last, HarvestError::Http { status: 504, .. }));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(script.times.lock().unwrap().len(), 3);
}

#[test]
fn client_errors_are_not_retried() {
    let script = Scripted::new(vec![reply(404, None), reply(200, None)]);
    assert_eq!(client(&script, 0, 3).get("http://x/").unwrap().status, 404);
    let script = Scripted::new(vec![Err(HarvestError::BodyTooLarge { url: "u".into(), limit: 1 })]);
    assert!(matches!(client(&script, 0, 3).get("http://x/"), Err(HarvestError::BodyTooLarge { .. })));
    assert_eq!(script.times.lock().unwrap().len(), 1);
}

#[test]
fn requests_wait_for_the_limiter() {
    let script = Scripted::new(vec![reply(200, None), reply(200, None), reply(200, None)]);
    let c = client(&script, 25, 0);
    for _ in 0..3 {
        c.get("http://x/").unwrap();
    }
    let times = script.times.lock().unwrap();
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(25));
    }
}
