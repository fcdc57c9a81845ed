//! The hub's metrics, served at `/metrics` in the Prometheus (OpenMetrics)
//! text format: requests by route and status, push ops by outcome, pull
//! entries served, live sockets, and push latency.
//!
//! Built on `prometheus-client`, the Prometheus project's own small crate:
//! it gives labelled families, histograms and a correct text encoder for a
//! few dependencies, where hand-rolled atomics would have to re-create label
//! maps, bucket maths and escaping. One registry per `AppState`, so every
//! test hub counts on its own.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use stockroom_protocol::sync::{OpOutcome, OpResult};

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the push latency buckets, in seconds.
const PUSH_SECONDS_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route as declared (`/v1/blobs/{sha256}`), or `unmatched`: never
    /// the raw path, so the label set stays small.
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// Every metric the hub keeps.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    push_ops: Family<OutcomeLabels, Counter>,
    pull_entries: Counter,
    live_connections: Gauge,
    push_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("stockroom_hub");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let push_ops = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "push_ops",
            "Ops pushed, by outcome (applied, rejected, duplicate)",
            push_ops.clone(),
        );
        let pull_entries = Counter::default();
        registry.register("pull_entries", "Feed entries served by pulls", pull_entries.clone());
        let live_connections = Gauge::default();
        registry.register(
            "live_connections",
            "Open live WebSockets on this instance",
            live_connections.clone(),
        );
        let push_seconds = Histogram::new(PUSH_SECONDS_BUCKETS);
        registry.register(
            "push_duration_seconds",
            "Time to answer a push, in seconds",
            push_seconds.clone(),
        );
        Metrics {
            registry,
            requests,
            push_ops,
            pull_entries,
            live_connections,
            push_seconds,
        }
    }

    /// One answered request.
    pub fn request(&self, route: &str, method: &str, status: u16) {
        let labels = RequestLabels {
            route: route.to_string(),
            method: method.to_string(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
    }

    pub fn push_answered(&self, took: Duration) {
        self.push_seconds.observe(took.as_secs_f64());
    }

    /// Counts a push's per-op outcomes.
    pub fn push_results(&self, results: &[OpResult]) {
        for result in results {
            let outcome = match result.outcome {
                OpOutcome::Applied { .. } => "applied",
                OpOutcome::Rejected { .. } => "rejected",
                OpOutcome::Duplicate { .. } => "duplicate",
            };
            self.push_ops.get_or_create(&OutcomeLabels { outcome }).inc();
        }
    }

    pub fn pull_served(&self, n_entries: usize) {
        self.pull_entries.inc_by(n_entries as u64);
    }

    /// Counts a live socket while the guard lives.
    pub fn live_connection(&self) -> LiveConnectionGuard {
        self.live_connections.inc();
        LiveConnectionGuard(self.live_connections.clone())
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// Holds one live connection in the gauge.
pub struct LiveConnectionGuard(Gauge);

impl Drop for LiveConnectionGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
