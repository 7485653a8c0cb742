//! Request metrics in the Prometheus text format: requests by route, method and status, and latency histograms
//! by route.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

/// The gateway's counters.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// Records one finished request.
    pub fn record(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let Ok(mut m) = self.inner.lock() else { return };
        *m.requests.entry((route.to_owned(), method.to_owned(), status)).or_default() += 1;
        let h = m.latency.entry(route.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound
                && let Some(c) = h.counts.get_mut(i)
            {
                *c += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// The Prometheus text exposition, with `documents_stored` from the store.
    pub fn render(&self, documents_stored: Option<i64>, backend: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP ecmr_http_requests_total HTTP requests answered, by route, method and status.");
        let _ = writeln!(out, "# TYPE ecmr_http_requests_total counter");
        if let Ok(m) = self.inner.lock() {
            for ((route, method, status), n) in &m.requests {
                let _ = writeln!(
                    out,
                    "ecmr_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                    escape(route),
                    escape(method)
                );
            }
            let _ = writeln!(out, "# HELP ecmr_http_request_duration_seconds Time to answer, by route.");
            let _ = writeln!(out, "# TYPE ecmr_http_request_duration_seconds histogram");
            for (route, h) in &m.latency {
                let route = escape(route);
                for (bound, c) in BUCKETS.iter().zip(h.counts.iter()) {
                    let _ = writeln!(
                        out,
                        "ecmr_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {c}"
                    );
                }
                let _ = writeln!(
                    out,
                    "ecmr_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(out, "ecmr_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
                let _ = writeln!(out, "ecmr_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
            }
        }
        if let Some(n) = documents_stored {
            let _ = writeln!(out, "# HELP ecmr_documents_stored Signed documents in the store.");
            let _ = writeln!(out, "# TYPE ecmr_documents_stored gauge");
            let _ = writeln!(out, "ecmr_documents_stored{{backend=\"{backend}\"}} {n}");
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Middleware that records every request under its route template (unmatched routes as `unmatched`).
pub async fn track(State(metrics): State<std::sync::Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let resp = next.run(req).await;
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    metrics.record(&route, &method, resp.status().as_u16(), start.elapsed().as_secs_f64());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.record("/v1/documents", "POST", 201, 0.003);
        m.record("/v1/documents", "POST", 201, 0.2);
        m.record("/v1/documents", "POST", 409, 0.002);
        let text = m.render(Some(7), "sqlite");
        assert!(text.contains("ecmr_http_requests_total{route=\"/v1/documents\",method=\"POST\",status=\"201\"} 2"));
        assert!(text.contains("status=\"409\"} 1"));
        assert!(text.contains("ecmr_http_request_duration_seconds_bucket{route=\"/v1/documents\",le=\"0.005\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 3"));
        assert!(text.contains("ecmr_documents_stored{backend=\"sqlite\"} 7"));
    }
}
