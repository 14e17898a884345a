//! Request metrics in the Prometheus text format (`GET /metrics`): requests by route and
//! status, a latency histogram per route, and gauges read at scrape time (papers, embedding
//! backlog, vectors in the index).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// Histogram bucket bounds, seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// Request counts by (method, route pattern, status).
type Counters = BTreeMap<(String, String, u16), u64>;

/// Counters and histograms, keyed by route pattern (`/papers/{id}`, not the raw path).
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<(Counters, BTreeMap<String, Histogram>)>,
}

impl Metrics {
    /// Records one request.
    pub fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner.0.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        let h = inner.1.entry(route.to_string()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// The text exposition, with the gauges appended.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let (requests, latencies) = {
            let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            (inner.0.clone(), inner.1.clone())
        };
        let mut out = String::new();
        out.push_str("# HELP papertide_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE papertide_http_requests_total counter\n");
        for ((method, route, status), n) in &requests {
            let _ = writeln!(
                out,
                "papertide_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP papertide_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE papertide_http_request_duration_seconds histogram\n");
        for (route, h) in &latencies {
            let route = escape(route);
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "papertide_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "papertide_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "papertide_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "papertide_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Middleware: times every request and records it under its route pattern.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    state.metrics().record(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.record("GET", "/papers/{id}", 200, 0.003);
        m.record("GET", "/papers/{id}", 404, 0.0005);
        let text = m.render(&[("papertide_papers", "Papers in the database.", 42.0)]);
        assert!(text.contains("papertide_http_requests_total{method=\"GET\",route=\"/papers/{id}\",status=\"200\"} 1"));
        assert!(text.contains("papertide_http_request_duration_seconds_bucket{route=\"/papers/{id}\",le=\"0.005\"} 2"));
        assert!(text.contains("papertide_http_request_duration_seconds_bucket{route=\"/papers/{id}\",le=\"0.001\"} 1"));
        assert!(text.contains("papertide_http_request_duration_seconds_count{route=\"/papers/{id}\"} 2"));
        assert!(text.contains("# TYPE papertide_papers gauge\npapertide_papers 42"));
    }
}
