//! In-process rate limits: a fixed one-minute window per (action, key), e.g. sign-in attempts
//! per IP address or posts per user. Over the limit is [`AppError::RateLimited`] with the
//! seconds left (sent as `Retry-After`). Several replicas each keep their own counts (issue 7
//! moves them to the database).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::AppError;

const WINDOW: Duration = Duration::from_secs(60);
/// Entries kept before old windows are swept.
const SWEEP_AT: usize = 10_000;

/// Per (action, key): when the current window started and the hits in it.
type Windows = HashMap<(&'static str, String), (Instant, u32)>;

/// Counts per (action, key) in the current window.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<Windows>,
}

impl RateLimiter {
    /// Counts one `action` by `key`; an error once more than `limit` happened this minute.
    pub fn hit(&self, action: &'static str, key: &str, limit: u32) -> Result<(), AppError> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry((action, key.to_string())).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > limit {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0)).as_secs().max(1);
            return Err(AppError::RateLimited { retry_after: left });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_plus_one_is_refused_with_a_retry_time() {
        let limiter = RateLimiter::default();
        for _ in 0..3 {
            limiter.hit("signin", "1.2.3.4", 3).unwrap();
        }
        match limiter.hit("signin", "1.2.3.4", 3) {
            Err(AppError::RateLimited { retry_after }) => assert!((1..=60).contains(&retry_after)),
            other => panic!("{other:?}"),
        }
        limiter.hit("signin", "5.6.7.8", 3).unwrap();
        limiter.hit("comment", "1.2.3.4", 3).unwrap();
    }
}
