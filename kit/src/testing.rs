//! Helpers for services' tests: drive a router without a socket, read
//! error codes. Not used at run time.

use axum::{
    Router,
    body::Body,
    http::{Request, header},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// POSTs a GraphQL request to `router`'s `/graphql` and returns the body.
pub async fn graphql(router: &Router, query: &str, variables: Value, token: Option<&str>) -> Value {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    let authorization = token.map(|token| format!("Bearer {token}"));
    let signature = test_signer().sign(
        "POST",
        "/graphql",
        authorization.as_deref().map(str::as_bytes),
        body.as_bytes(),
    );
    let request = request
        .header(server::signing::SIGNATURE_HEADER, signature)
        .body(Body::from(body))
        .expect("a valid request");
    let response = router.clone().oneshot(request).await.expect("the router answers");
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    serde_json::from_slice(&bytes).expect("a JSON body")
}

/// Sends `request` to `router` without a socket: the status and the body
/// as JSON (`null` when it is not JSON).
pub async fn call(router: &Router, request: Request<Body>) -> (axum::http::StatusCode, Value) {
    let response = router.clone().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Sends `request` to `router` without a socket: the status, the
/// headers and the body as text.
pub async fn call_text(
    router: &Router,
    request: Request<Body>,
) -> (axum::http::StatusCode, axum::http::HeaderMap, String) {
    let response = router.clone().oneshot(request).await.expect("the router answers");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("a body").to_bytes();
    (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

/// POSTs a GraphQL request to a service running at `url`, signed as a
/// caller in this process would; the body.
pub async fn graphql_at(url: &str, query: &str, variables: Value, token: Option<&str>) -> Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let authorization = token.map(|token| format!("Bearer {token}"));
    let path = reqwest::Url::parse(url).expect("a URL").path().to_owned();
    let signature = test_signer().sign(
        "POST",
        &path,
        authorization.as_deref().map(str::as_bytes),
        body.as_bytes(),
    );
    let mut request = reqwest::Client::new()
        .post(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(server::signing::SIGNATURE_HEADER, signature)
        .body(body);
    if let Some(authorization) = authorization {
        request = request.header(header::AUTHORIZATION, authorization);
    }
    request.send().await.expect("the service answers").json().await.expect("a JSON body")
}

/// Signs as a caller inside this process would (the services' signing
/// keys default to this process's own).
pub fn test_signer() -> server::signing::RequestSigner {
    server::signing::RequestSigner::new("test", server::signing::process_key())
}

/// The `extensions.code` of the first error; panics with the response when
/// there is none.
pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code, got {response}"))
}

/// Where RabbitMQ listens in tests.
pub const RABBITMQ_ADDR: &str = "127.0.0.1:5672";

/// A TCP proxy in front of RabbitMQ. Stopping it is, for whoever connects
/// through it, the broker going away; other tests keep their broker.
pub type BrokerProxy = TcpProxy;

/// A TCP proxy that spreads connections round-robin over its backends: a
/// load balancer in front of a service's instances, or a single link to
/// RabbitMQ that a test can cut.
///
/// Cutting a backend closes its open connections and takes it out of the
/// rotation, which is how a crashed instance looks from outside; stopping
/// the proxy does that to every backend at once.
pub struct TcpProxy {
    pub addr: std::net::SocketAddr,
    backends: Arc<Mutex<Vec<Backend>>>,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

#[derive(Clone)]
struct Backend {
    addr: std::net::SocketAddr,
    /// Cancelled when the backend is cut: ends its proxied connections.
    cut: CancellationToken,
}

impl TcpProxy {
    /// A proxy to RabbitMQ.
    pub async fn start() -> Self {
        let broker = RABBITMQ_ADDR.parse().expect("RabbitMQ's address");
        Self::balancing(&[broker]).await
    }

    /// A round-robin proxy over `backends` (more can be added).
    pub async fn balancing(backends: &[std::net::SocketAddr]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let backends = backends.iter().map(|&addr| Backend { addr, cut: CancellationToken::new() });
        Self::serve(listener, Arc::new(Mutex::new(backends.collect())))
    }

    /// Adds a backend to the rotation.
    pub fn add(&self, addr: std::net::SocketAddr) {
        self.lock().push(Backend { addr, cut: CancellationToken::new() });
    }

    /// Takes `addr` out of the rotation and closes its connections.
    pub fn cut(&self, addr: std::net::SocketAddr) {
        let mut backends = self.lock();
        for backend in backends.iter().filter(|b| b.addr == addr) {
            backend.cut.cancel();
        }
        backends.retain(|b| b.addr != addr);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Backend>> {
        self.backends.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn serve(listener: TcpListener, backends: Arc<Mutex<Vec<Backend>>>) -> Self {
        let addr = listener.local_addr().expect("addr");
        let stop = CancellationToken::new();
        let (token, shared) = (stop.clone(), backends.clone());
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            let mut next = 0usize;
            loop {
                tokio::select! {
                    () = token.cancelled() => break,
                    accepted = listener.accept() => {
                        let Ok((client, _)) = accepted else { continue };
                        let candidates = {
                            let backends = shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                            next = next.wrapping_add(1);
                            let n = backends.len();
                            (0..n).map(|i| backends[(next + i) % n].clone()).collect::<Vec<_>>()
                        };
                        connections.spawn(relay(client, candidates));
                    }
                }
            }
            // Aborting the connections closes them: the backends are gone
            // for the clients.
            connections.shutdown().await;
        });
        Self { addr, backends, stop, task: Some(task) }
    }

    pub async fn stop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Starts accepting again on the same address, with the same backends.
    pub async fn restart(&mut self) {
        self.stop().await;
        let listener = TcpListener::bind(self.addr).await.expect("rebind proxy");
        *self = Self::serve(listener, self.backends.clone());
    }
}

/// Connects `client` to the first of `candidates` that accepts (a backend
/// that refuses is skipped, as a load balancer's health check would), and
/// copies both ways until either side closes or the backend is cut.
async fn relay(mut client: TcpStream, candidates: Vec<Backend>) {
    for backend in candidates {
        let Ok(mut upstream) = TcpStream::connect(backend.addr).await else { continue };
        let _ = upstream.set_nodelay(true);
        let _ = client.set_nodelay(true);
        tokio::select! {
            () = backend.cut.cancelled() => {}
            _ = copy_bidirectional(&mut client, &mut upstream) => {}
        }
        return;
    }
}

/// A local SMTP server for tests: it speaks enough SMTP for real clients
/// (lettre), keeps every message it accepts, and can be told to refuse
/// mail with a transient 451 to exercise retries.
pub struct SmtpSink {
    pub addr: std::net::SocketAddr,
    messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    refusing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the SMTP sink");
        let addr = listener.local_addr().expect("an address");
        let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let refusing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (kept, refuse) = (messages.clone(), refusing.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, kept.clone(), refuse.clone()));
            }
        });
        Self { addr, messages, refusing, task }
    }

    /// Every accepted message, headers and body as sent.
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// While on, every message is refused with `451`.
    pub fn refuse(&self, on: bool) {
        self.refusing.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// Waits up to `seconds` for a message containing every one of `parts`.
    pub async fn wait_for(&self, parts: &[&str], seconds: u64) -> String {
        for _ in 0..seconds * 20 {
            if let Some(m) =
                self.messages().into_iter().find(|m| parts.iter().all(|p| m.contains(p)))
            {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no message with {parts:?} arrived; got {:#?}", self.messages());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn smtp_session(
    stream: TcpStream,
    kept: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    refusing: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink\r\n",
            "MAIL" if refusing.load(std::sync::atomic::Ordering::SeqCst) => {
                b"451 4.3.0 try again later\r\n"
            }
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "DATA" => {
                if write.write_all(b"354 end with .\r\n").await.is_err() {
                    return;
                }
                let mut message = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    message.push_str(line.strip_prefix('.').unwrap_or(&line));
                    message.push('\n');
                }
                kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(message);
                b"250 OK queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"502 command not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
