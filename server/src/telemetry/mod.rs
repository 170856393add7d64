//! Logging, trace context and trace export.
//!
//! One subscriber per process, configured by `RUST_LOG` (default `info`)
//! and `LOG_FORMAT` (`pretty` or `json`); spans also go to an OTLP
//! collector when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (see `otlp`).

mod json_log;
pub mod otlp;
mod trace_context;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{
    EnvFilter, Layer,
    fmt::{MakeWriter, writer::BoxMakeWriter},
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

#[cfg(any(test, feature = "testing"))]
pub use json_log::CapturedLines;
pub use trace_context::{TraceParent, start};

use crate::config::{LogFormat, var_or};

/// What goes into exported traces: every span and event at `info` and
/// above, but not the chatter of the database, broker and HTTP libraries.
const TRACED: &str = "info,sqlx=warn,lapin=warn,hyper=warn,h2=warn,mongodb=warn";

/// Keeps trace export running; dropping it sends the spans still queued.
#[must_use = "dropping it stops trace export"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans queued so far and waits for the collector's answer.
    /// Blocks: call it off the runtime's threads (`spawn_blocking`).
    pub fn flush(&self) {
        if let Some(provider) = &self.provider
            && let Err(e) = provider.force_flush()
        {
            tracing::warn!(error = %e, "trace export failed");
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("trace export did not finish: {e}");
        }
    }
}

/// Installs the global subscriber; `service` names the process in
/// exported traces unless `OTEL_SERVICE_NAME` does. Must run inside the
/// Tokio runtime when traces are exported. Safe to call more than once:
/// later calls change nothing, which keeps tests and the all-in-one dev
/// binary simple.
pub fn init(service: &str) -> Telemetry {
    let format = var_or("LOG_FORMAT", LogFormat::Pretty).unwrap_or(LogFormat::Pretty);
    let lines = match format {
        LogFormat::Pretty => Lines::Pretty,
        LogFormat::Json => Lines::Json(BoxMakeWriter::new(std::io::stdout)),
    };
    install(service, otlp::configured().then_some(otlp::Destination::FromEnvironment), lines)
}

/// `init` for tests, which cannot set the environment: traces go to
/// `endpoint` (the full URL, `…/v1/traces`), JSON log lines to `lines`.
pub fn init_for_test(
    service: &str,
    endpoint: &str,
    lines: impl for<'w> MakeWriter<'w> + Send + Sync + 'static,
) -> Telemetry {
    let destination = otlp::Destination::Url(endpoint.to_owned());
    install(service, Some(destination), Lines::Json(BoxMakeWriter::new(lines)))
}

/// How log lines are written.
enum Lines {
    /// For people, on standard output.
    Pretty,
    /// JSON objects, one per line, for log collectors.
    Json(BoxMakeWriter),
}

fn install(service: &str, export_to: Option<otlp::Destination>, lines: Lines) -> Telemetry {
    // `RUST_LOG` chooses what is logged, not what is traced: a quiet log
    // keeps its traces.
    let log_filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,lapin=warn"));
    let trace_filter = EnvFilter::new(TRACED);
    let provider = export_to.and_then(|destination| {
        otlp::provider(service, destination)
            .inspect_err(|e| eprintln!("traces will not be exported: {e:#}"))
            .ok()
    });
    let export = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("shopgraph"))
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            // Nothing here reads OpenTelemetry's own current context (the
            // spans are tracing's), so entering a span need not attach it.
            .with_context_activation(false)
            .with_filter(trace_filter)
    });
    let json = matches!(lines, Lines::Json(_));
    let lines = match lines {
        Lines::Json(writer) => json_log::layer(writer).boxed(),
        Lines::Pretty => tracing_subscriber::fmt::layer().boxed(),
    };
    let installed = tracing_subscriber::registry()
        .with(json.then_some(json_log::TraceIds))
        .with(lines.with_filter(log_filter))
        .with(export)
        .try_init()
        .is_ok();
    if installed && provider.is_some() {
        otlp::mark_exporting();
    }
    Telemetry { provider: provider.filter(|_| installed) }
}
