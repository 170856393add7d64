//! Trace export over OTLP (HTTP, protobuf), off unless the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
//! is set. Everything else follows the OpenTelemetry environment
//! variables, read by the SDK: `OTEL_SERVICE_NAME` and
//! `OTEL_RESOURCE_ATTRIBUTES` (the binary's name otherwise),
//! `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (parent-based,
//! always on, by default), `OTEL_EXPORTER_OTLP_HEADERS` and the timeouts.
//! `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn it off.

use std::{
    future::Future,
    pin::Pin,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use http_body_util::{BodyExt, Full};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};

/// Set once the exporting layer is installed: spans then carry real
/// OpenTelemetry ids, and those are what is handed on.
static EXPORTING: AtomicBool = AtomicBool::new(false);

pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

pub(super) fn mark_exporting() {
    EXPORTING.store(true, Ordering::Relaxed);
}

/// Whether the environment asks for trace export.
pub(super) fn configured() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|value| !value.trim().is_empty());
    let is = |name: &str, value: &str| {
        std::env::var(name).is_ok_and(|v| v.trim().eq_ignore_ascii_case(value))
    };
    (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        && !is("OTEL_SDK_DISABLED", "true")
        && !is("OTEL_TRACES_EXPORTER", "none")
}

/// Where spans go.
pub(super) enum Destination {
    /// The `OTEL_EXPORTER_OTLP_*` variables say.
    FromEnvironment,
    /// This URL.
    Url(String),
}

/// The tracer provider: spans are batched and sent from the SDK's own
/// thread, so exporting never holds up a request.
pub(super) fn provider(
    default_service_name: &str,
    destination: Destination,
) -> anyhow::Result<SdkTracerProvider> {
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_http_client(ExportClient::new()?);
    if let Destination::Url(url) = destination {
        exporter = exporter.with_endpoint(url);
    }
    let exporter = exporter.build()?;
    let mut resource = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(default_service_name.to_owned());
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}

/// How long one export may take before it is given up (the SDK retries
/// nothing; the spans of a failed batch are dropped and counted in its
/// own log).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The exporter's HTTP client: the same hyper client the services use,
/// run on the process's runtime. The SDK exports from its own thread,
/// outside any runtime, so each request is spawned onto the runtime that
/// was current when telemetry started, and awaited from there.
#[derive(Debug, Clone)]
struct ExportClient {
    http: Client<HttpConnector, Full<Bytes>>,
    runtime: tokio::runtime::Handle,
}

impl ExportClient {
    fn new() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| anyhow::anyhow!("trace export needs a Tokio runtime"))?;
        let http = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        Ok(Self { http, runtime })
    }
}

impl HttpClient for ExportClient {
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let http = self.http.clone();
        let exchange = async move {
            let response = http.request(request.map(Full::new)).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, HttpError>(Response::from_parts(parts, body))
        };
        // The timer too must be made on the runtime.
        let running =
            self.runtime.spawn(async move { tokio::time::timeout(EXPORT_TIMEOUT, exchange).await });
        Box::pin(async move {
            match running.await? {
                Ok(answer) => answer,
                Err(_) => Err("the trace collector did not answer in time".into()),
            }
        })
    }
}
