//! What every process's Prometheus metrics share: the latency histogram's
//! buckets, the label shape, and the `/metrics` answer (OpenMetrics text
//! from a `prometheus-client` registry). The router keeps one registry per
//! router, the services one per process; both render through here, so a
//! dashboard reads their histograms alike.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::text::encode,
    metrics::{
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// Label pairs: static names, values known only at run time.
pub type Labels = Vec<(&'static str, String)>;

/// Durations in seconds, by labels.
pub type LatencyFamily = Family<Labels, Histogram, fn() -> Histogram>;

/// Seconds: 0.5 ms to about 16 s.
pub fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

pub fn latency_family() -> LatencyFamily {
    LatencyFamily::new_with_constructor(latency_histogram as fn() -> Histogram)
}

/// The `/metrics` response for `registry`.
pub fn exposition(registry: &Registry) -> Response {
    let mut text = String::new();
    if encode(&mut text, registry).is_err() {
        tracing::warn!("could not encode the metrics");
    }
    let media =
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    ([(header::CONTENT_TYPE, media)], text).into_response()
}

/// A `/metrics` text read back with an independent parser, for tests.
#[cfg(feature = "testing")]
pub struct Scraped {
    samples: Vec<prometheus_parse::Sample>,
    /// The text as served, for assertion messages.
    pub text: String,
}

#[cfg(feature = "testing")]
impl Scraped {
    /// Parses `text`; panics when it is not the Prometheus text format.
    pub fn parse(text: String) -> Self {
        let lines = text.lines().map(|l| Ok(l.to_owned()));
        let samples = prometheus_parse::Scrape::parse(lines).expect("Prometheus text").samples;
        Self { samples, text }
    }

    /// The sum of `metric`'s samples whose labels include every pair.
    pub fn value(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.sum(metric, |found| labels.iter().all(|(k, v)| found.get(k) == Some(*v)))
    }

    /// Whether any sample is named `metric` (a histogram's `_bucket`
    /// series stand under its own name).
    pub fn has(&self, metric: &str) -> bool {
        let histogram = metric.strip_suffix("_bucket");
        self.samples.iter().any(|s| s.metric == metric || Some(s.metric.as_str()) == histogram)
    }

    /// The sum of `metric`'s samples whose labels satisfy `wanted`.
    pub fn sum(&self, metric: &str, wanted: impl Fn(&prometheus_parse::Labels) -> bool) -> f64 {
        use prometheus_parse::Value;
        self.samples
            .iter()
            .filter(|s| s.metric == metric && wanted(&s.labels))
            .map(|s| match s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    }
}
