//! Helpers for services' tests: drive a router without a socket, read
//! error codes. Not used at run time.

use axum::{
    Router,
    body::Body,
    http::{Request, header},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
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
    let request = request.body(Body::from(body)).expect("a valid request");
    let response = router.clone().oneshot(request).await.expect("the router answers");
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    serde_json::from_slice(&bytes).expect("a JSON body")
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
pub struct BrokerProxy {
    pub addr: std::net::SocketAddr,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl BrokerProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        Self::serve(listener)
    }

    fn serve(listener: TcpListener) -> Self {
        let addr = listener.local_addr().expect("addr");
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    () = token.cancelled() => break,
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { continue };
                        connections.spawn(async move {
                            if let Ok(mut upstream) = TcpStream::connect(RABBITMQ_ADDR).await {
                                let _ = copy_bidirectional(&mut client, &mut upstream).await;
                            }
                        });
                    }
                }
            }
            // Dropping the set aborts every proxied connection: the broker
            // is gone for the clients.
            connections.shutdown().await;
        });
        Self { addr, stop, task: Some(task) }
    }

    pub async fn stop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Starts accepting again on the same address.
    pub async fn restart(&mut self) {
        self.stop().await;
        let listener = TcpListener::bind(self.addr).await.expect("rebind proxy");
        *self = Self::serve(listener);
    }
}
