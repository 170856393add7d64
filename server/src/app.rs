//! A server process's lifecycle: `build(config) -> App` assembles routes
//! and background tasks without binding; tests drive `app.router` without a
//! socket or [`App::spawn`] it on port 0; binaries call [`App::run`].
//! Every app answers `/health` (the process is up) and `/ready` (its
//! dependencies answer), and stops on SIGINT/SIGTERM through one path.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{Request, State},
    http::StatusCode,
    middleware::{Next, from_fn},
    response::{IntoResponse, Response},
    routing::get,
};
use futures::{FutureExt, future::BoxFuture};
use serde_json::json;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// Work that runs beside the HTTP server and stops with it.
pub type BackgroundTask = Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send>;

type Check = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// The dependencies `/ready` checks.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(&'static str, Check)>,
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check<F, Fut>(mut self, name: &'static str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.checks.push((name, Arc::new(move || check().boxed())));
        self
    }
}

/// A built service: routes plus background tasks, not yet bound to a port.
pub struct App {
    pub router: Router,
    tasks: Vec<BackgroundTask>,
    /// Where `/metrics` is served when not on the main port.
    metrics_listener: Option<TcpListener>,
}

impl App {
    /// Adds `/health` and `/ready` to the service's routes.
    pub fn new(routes: Router, readiness: Readiness) -> Self {
        let router = routes
            .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
            .route("/ready", get(ready).with_state(readiness));
        Self { router, tasks: Vec::new(), metrics_listener: None }
    }

    pub fn with_task<F, Fut>(mut self, task: F) -> Self
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tasks.push(Box::new(move |token| task(token).boxed()));
        self
    }

    /// Serves `/metrics` on `listener` rather than on the main port (which
    /// then answers it 404): for a port only the scraper can reach.
    pub fn with_metrics_listener(mut self, listener: Option<TcpListener>) -> Self {
        self.metrics_listener = listener;
        self
    }

    /// Serves until `shutdown` is cancelled, then drains HTTP connections and
    /// waits for the background tasks to stop.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let mut handles: Vec<JoinHandle<()>> =
            self.tasks.into_iter().map(|task| tokio::spawn(task(shutdown.child_token()))).collect();
        let mut router = self.router;
        if let Some(metrics_listener) = self.metrics_listener {
            let metrics = router.clone().layer(from_fn(|request: Request, next: Next| {
                path_filter(request, next, |path| path == METRICS_PATH)
            }));
            router = router.layer(from_fn(|request: Request, next: Next| {
                path_filter(request, next, |path| path != METRICS_PATH)
            }));
            let stopping = shutdown.clone().cancelled_owned();
            handles.push(tokio::spawn(async move {
                if let Err(e) =
                    axum::serve(metrics_listener, metrics).with_graceful_shutdown(stopping).await
                {
                    tracing::error!(error = %e, "the metrics listener failed");
                }
            }));
        }
        let router = router.layer(axum::Extension(Stopping(shutdown.clone())));
        // No Nagle: GraphQL responses and subscription events are small and
        // latency-bound; delaying them for coalescing only adds waiting.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
        });
        // Handlers may ask for the peer's address (`ConnectInfo`).
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned())
            .await;
        shutdown.cancel();
        for handle in handles {
            if tokio::time::timeout(Duration::from_secs(10), handle).await.is_err() {
                tracing::warn!("a background task did not stop within 10s");
            }
        }
        result
    }

    /// Serves in the background on `listener` (port 0 in tests).
    pub fn spawn(self, listener: TcpListener) -> RunningApp {
        let addr = listener.local_addr().expect("a bound listener has an address");
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(self.serve(listener, shutdown.clone()));
        RunningApp { addr, shutdown, handle: Some(handle) }
    }
}

const METRICS_PATH: &str = "/metrics";

/// Passes on requests whose path `serves`, answers 404 to the rest.
async fn path_filter(request: Request, next: Next, serves: fn(&str) -> bool) -> Response {
    if serves(request.uri().path()) {
        next.run(request).await
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// Cancelled when the service stops. Available to handlers as a request
/// extension, so that long-lived connections (WebSocket subscriptions),
/// which graceful shutdown does not wait for, end with the service.
#[derive(Clone)]
pub struct Stopping(pub CancellationToken);

impl Stopping {
    /// The service's token; a never-cancelled one outside a served `App`.
    pub fn of(extensions: &axum::http::Extensions) -> CancellationToken {
        extensions.get::<Self>().map(|s| s.0.clone()).unwrap_or_default()
    }
}

/// A service running in the background; stops when dropped.
pub struct RunningApp {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server and its background tasks and waits for them.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            let _ = handle.await;
        }
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn ready(State(readiness): State<Readiness>) -> impl IntoResponse {
    let mut failures = serde_json::Map::new();
    for (name, check) in &readiness.checks {
        let outcome = tokio::time::timeout(Duration::from_secs(3), check()).await;
        let error = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => format!("{e:#}"),
            Err(_) => "timed out".to_owned(),
        };
        tracing::warn!(dependency = name, error = %error, "readiness check failed");
        // Name the dependency, not the cause: causes can carry internals.
        failures.insert((*name).to_owned(), json!("unavailable"));
    }
    if failures.is_empty() {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "failing": failures })),
        )
    }
}

/// Binds `host:port`, naming the address on failure.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

impl App {
    /// What a service binary does: bind, log where, serve until SIGINT or
    /// SIGTERM.
    /// `metrics_addr`: where `/metrics` goes instead of the main port.
    pub async fn run(
        self,
        service: &str,
        addr: SocketAddr,
        metrics_addr: Option<SocketAddr>,
    ) -> anyhow::Result<()> {
        let listener = bind(addr).await?;
        tracing::info!(service, addr = %listener.local_addr()?, "listening");
        let metrics_listener = match metrics_addr {
            Some(addr) => {
                let listener = bind(addr).await?;
                tracing::info!(service, addr = %listener.local_addr()?, "metrics on their own port");
                Some(listener)
            }
            None => None,
        };
        self.with_metrics_listener(metrics_listener).serve(listener, shutdown_on_signal()).await?;
        Ok(())
    }
}

/// A token cancelled on SIGINT or SIGTERM: the one shutdown path.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            () = terminate => {},
        }
        tracing::info!("shutdown signal received");
        trigger.cancel();
    });
    token
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// The status line's code of `GET path` on `addr`.
    async fn status(addr: SocketAddr, path: &str) -> u16 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status line")
    }

    #[tokio::test]
    async fn metrics_move_to_their_own_port_and_leave_the_main_one() {
        let routes = Router::new()
            .route("/metrics", get(|| async { "metric 1" }))
            .route("/graphql", get(|| async { "graphql" }));
        let main = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let metrics = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let metrics_addr = metrics.local_addr().expect("addr");
        let app = App::new(routes.clone(), Readiness::new()).with_metrics_listener(Some(metrics));
        let running = app.spawn(main);
        assert_eq!(status(running.addr, "/graphql").await, 200);
        assert_eq!(status(running.addr, "/health").await, 200);
        assert_eq!(status(running.addr, "/metrics").await, 404);
        assert_eq!(status(metrics_addr, "/metrics").await, 200);
        assert_eq!(status(metrics_addr, "/graphql").await, 404);
        running.stop().await;
        assert!(tokio::net::TcpStream::connect(metrics_addr).await.is_err(), "still listening");

        // By default they stay on the main port.
        let main = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let running = App::new(routes, Readiness::new()).spawn(main);
        assert_eq!(status(running.addr, "/metrics").await, 200);
        running.stop().await;
    }
}
