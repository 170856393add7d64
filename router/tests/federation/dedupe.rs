//! In-flight deduplication: identical query requests to a subgraph share
//! one answer while it is on its way; anything that differs, and every
//! mutation, is sent.

use futures::future::join_all;
use router::RouterConfig;
use serde_json::{Value, json};

use crate::{
    fixtures::Probe,
    helpers::{Federation, start_router},
};

async fn ask(http: &reqwest::Client, url: &str, body: &Value, token: Option<&str>) -> Value {
    let mut request = http.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("router answers").json().await.expect("JSON body")
}

#[tokio::test]
async fn identical_queries_in_flight_reach_the_subgraph_once() {
    let federation = Federation::start().await;
    let url = federation.router.url("/graphql");
    let body = json!({ "query": "{ slow }" });
    let answers = join_all((0..8).map(|_| ask(federation.http(), &url, &body, Some("same")))).await;
    for answer in &answers {
        assert_eq!(answer, &json!({ "data": { "slow": "finally" } }));
    }
    assert_eq!(Probe::count(&federation.probe.slow_calls), 1);
}

#[tokio::test]
async fn different_credentials_are_never_shared() {
    let federation = Federation::start().await;
    let url = federation.router.url("/graphql");
    let body = json!({ "query": "{ slow }" });
    let tokens = ["alice", "bob", "carol"];
    join_all(tokens.iter().map(|t| ask(federation.http(), &url, &body, Some(t)))).await;
    assert_eq!(Probe::count(&federation.probe.slow_calls), 3);
}

#[tokio::test]
async fn with_deduplication_off_every_request_is_sent() {
    let federation = Federation::start().await;
    let config = RouterConfig { dedupe_subgraph_requests: false, ..RouterConfig::default() };
    let router = start_router(&federation.supergraph, config).await;
    let url = router.url("/graphql");
    let body = json!({ "query": "{ slow }" });
    join_all((0..4).map(|_| ask(federation.http(), &url, &body, None))).await;
    assert_eq!(Probe::count(&federation.probe.slow_calls), 4);
}

#[tokio::test]
async fn identical_mutations_all_run() {
    let federation = Federation::start().await;
    let url = federation.router.url("/graphql");
    let body = json!({ "query": "mutation { record(entry: \"twice\") }" });
    join_all((0..2).map(|_| ask(federation.http(), &url, &body, None))).await;
    let log = federation.probe.log.lock().expect("log").clone();
    assert_eq!(log, ["products:twice", "products:twice"]);
}
