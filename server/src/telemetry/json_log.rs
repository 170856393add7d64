//! JSON log lines for central logging: one object per line with
//! `timestamp`, `level`, `target`, the event's fields at the top level,
//! the innermost `span`'s name, and the `trace_id` and `span_id` the line
//! was written under, so a log search finds every line of one trace.

use std::fmt;

use serde_json::{Map, Value};
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
    span::{Attributes, Id, Record},
};
use tracing_subscriber::{
    Layer,
    fmt::{
        FmtContext, FormatEvent, FormatFields, MakeWriter,
        format::Writer,
        time::{FormatTime, SystemTime},
    },
    layer::Context,
    registry::LookupSpan,
};

/// JSON lines to `writer` (standard output in services).
pub fn layer<S, W>(writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer().event_format(JsonLines).with_writer(writer)
}

/// The ids a span recorded with `trace_context::record`, kept beside it.
#[derive(Debug, Default, Clone)]
struct SpanTraceIds {
    trace_id: Option<String>,
    span_id: Option<String>,
}

impl Visit for SpanTraceIds {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.keep(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if matches!(field.name(), "trace_id" | "span_id") {
            self.keep(field, format!("{value:?}"));
        }
    }
}

impl SpanTraceIds {
    fn keep(&mut self, field: &Field, value: String) {
        match field.name() {
            "trace_id" => self.trace_id = Some(value),
            "span_id" => self.span_id = Some(value),
            _ => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.trace_id.is_none() && self.span_id.is_none()
    }
}

/// Keeps the `trace_id` and `span_id` fields of each span where the log
/// lines written inside it can find them.
pub struct TraceIds;

impl<S> Layer<S> for TraceIds
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut ids = SpanTraceIds::default();
        attrs.record(&mut ids);
        if !ids.is_empty()
            && let Some(span) = ctx.span(id)
        {
            span.extensions_mut().insert(ids);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        let mut ids = extensions.get_mut::<SpanTraceIds>().cloned().unwrap_or_default();
        values.record(&mut ids);
        if !ids.is_empty() {
            extensions.replace(ids);
        }
    }
}

/// The event's fields as JSON values.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
}

struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = Map::new();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        line.insert("timestamp".into(), Value::from(timestamp));
        let metadata = event.metadata();
        line.insert("level".into(), Value::from(metadata.level().as_str()));
        line.insert("target".into(), Value::from(metadata.target()));
        event.record(&mut Fields(&mut line));
        if let Some(scope) = ctx.event_scope() {
            let mut trace_id = None;
            let mut span_id = None;
            for (depth, span) in scope.enumerate() {
                if depth == 0 {
                    line.insert("span".into(), Value::from(span.name()));
                }
                if let Some(ids) = span.extensions().get::<SpanTraceIds>() {
                    span_id = span_id.or_else(|| ids.span_id.clone());
                    trace_id = trace_id.or_else(|| ids.trace_id.clone());
                }
                if trace_id.is_some() && span_id.is_some() {
                    break;
                }
            }
            if let Some(trace_id) = trace_id {
                line.insert("trace_id".into(), Value::from(trace_id));
            }
            if let Some(span_id) = span_id {
                line.insert("span_id".into(), Value::from(span_id));
            }
        }
        writeln!(writer, "{}", Value::Object(line))
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::telemetry::{CapturedLines, TraceParent, trace_context::record};

    #[test]
    fn every_line_inside_a_traced_span_carries_its_ids_at_the_top_level() {
        let lines = CapturedLines::default();
        let subscriber = tracing_subscriber::registry().with(TraceIds).with(
            tracing_subscriber::fmt::layer().event_format(JsonLines).with_writer(lines.clone()),
        );
        let trace = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .expect("valid");
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(order = 7, "outside any span");
            let request = tracing::info_span!(
                "request",
                trace_id = tracing::field::Empty,
                span_id = tracing::field::Empty
            );
            record(&request, &trace);
            let _entered = request.enter();
            let inner = tracing::info_span!("query");
            let _inner = inner.enter();
            tracing::warn!(order = 8, reason = "late", "inside");
        });
        let parsed = lines.json();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0]["message"], "outside any span");
        assert_eq!(parsed[0]["order"], 7);
        assert!(parsed[0].get("trace_id").is_none());
        let inside = &parsed[1];
        assert_eq!(inside["level"], "WARN");
        assert_eq!(inside["reason"], "late");
        assert_eq!(inside["span"], "query");
        assert_eq!(inside["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(inside["span_id"], "00f067aa0ba902b7");
        assert!(inside["timestamp"].as_str().is_some_and(|t| t.contains('T')));
    }
}

/// Log lines kept in memory, for tests that read what was logged.
#[cfg(any(test, feature = "testing"))]
#[derive(Clone, Default)]
pub struct CapturedLines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(any(test, feature = "testing"))]
impl CapturedLines {
    /// Every line so far, each parsed as one JSON object.
    pub fn json(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }
}

#[cfg(any(test, feature = "testing"))]
impl std::io::Write for CapturedLines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(any(test, feature = "testing"))]
impl<'a> MakeWriter<'a> for CapturedLines {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}
