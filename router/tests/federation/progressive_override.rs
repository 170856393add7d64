//! Progressive `@override(from:, label:)`: a `percent(N)` label moves about
//! N% of requests to the overriding subgraph, drawn per request; a flag
//! label moves all of them when the flag is on in the router's config.

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
use router::{RouterConfig, compose::compose};
use serde_json::json;

use crate::helpers::{SubgraphServer, post_query, start_router};

/// Which subgraph answered, for every field.
struct Query(&'static str);

#[Object]
impl Query {
    #[graphql(shareable)]
    async fn half(&self) -> &str {
        self.0
    }
    #[graphql(shareable)]
    async fn never(&self) -> &str {
        self.0
    }
    #[graphql(shareable)]
    async fn always(&self) -> &str {
        self.0
    }
    #[graphql(shareable)]
    async fn flagged(&self) -> &str {
        self.0
    }
}

fn schema(name: &'static str) -> Schema<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query(name), EmptyMutation, EmptySubscription).enable_federation().finish()
}

/// The modern subgraph's SDL with each field overriding the legacy one
/// under `labels` (field, label).
fn overriding(sdl: &str, labels: &[(&str, &str)]) -> String {
    let mut sdl = sdl.to_owned();
    for (field, label) in labels {
        let plain = format!("\t{field}: String! @shareable");
        assert!(sdl.contains(&plain), "{sdl}");
        sdl = sdl.replace(
            &plain,
            &format!(
                "\t{field}: String! @shareable @override(from: \"legacy\", label: \"{label}\")"
            ),
        );
    }
    sdl
}

const LABELS: [(&str, &str); 4] = [
    ("half", "percent(50)"),
    ("never", "percent(0)"),
    ("always", "percent(100)"),
    ("flagged", "beta"),
];

struct Running {
    _subgraphs: [SubgraphServer; 2],
    url: String,
    _router: server::RunningApp,
}

async fn start(config: RouterConfig) -> Running {
    let legacy = SubgraphServer::start("legacy", schema("legacy")).await;
    let modern = SubgraphServer::start("modern", schema("modern")).await;
    let mut modern_source = modern.source();
    modern_source.sdl = overriding(&modern_source.sdl, &LABELS);
    let supergraph = compose(&[legacy.source(), modern_source]).unwrap_or_else(|e| panic!("{e:?}"));
    let router = start_router(&supergraph, config).await;
    Running { url: router.url("/graphql"), _subgraphs: [legacy, modern], _router: router }
}

#[tokio::test]
async fn a_percentage_label_sends_that_share_of_requests_to_the_overriding_subgraph() {
    let running = start(RouterConfig::default()).await;
    let mut modern = 0;
    for _ in 0..200 {
        let response = post_query(&running.url, "{ half never always }").await;
        assert_eq!(response["data"]["never"], "legacy", "{response}");
        assert_eq!(response["data"]["always"], "modern", "{response}");
        if response["data"]["half"] == "modern" {
            modern += 1;
        } else {
            assert_eq!(response["data"]["half"], "legacy", "{response}");
        }
    }
    // Expected 100 of 200; the bounds are more than five standard
    // deviations (7.1) away.
    assert!((60..=140).contains(&modern), "{modern} of 200 went to the overriding subgraph");
}

#[tokio::test]
async fn a_flag_label_overrides_only_when_the_flag_is_on() {
    let off = start(RouterConfig::default()).await;
    let on = start(RouterConfig { override_flags: vec!["beta".into()], ..RouterConfig::default() })
        .await;
    for _ in 0..5 {
        assert_eq!(
            post_query(&off.url, "{ flagged }").await,
            json!({ "data": { "flagged": "legacy" } })
        );
        assert_eq!(
            post_query(&on.url, "{ flagged }").await,
            json!({ "data": { "flagged": "modern" } })
        );
    }
}

#[tokio::test]
async fn composition_refuses_malformed_override_labels() {
    let legacy = SubgraphServer::start("legacy", schema("legacy")).await;
    let modern = SubgraphServer::start("modern", schema("modern")).await;
    for label in
        ["percent(101)", "percent(1.123456789)", "percent(-1)", "percent()", "9lives", "a b"]
    {
        let mut modern_source = modern.source();
        modern_source.sdl = overriding(&modern_source.sdl, &[("half", label)]);
        let error = compose(&[legacy.source(), modern_source])
            .expect_err(&format!("`{label}` must be refused"));
        let message = format!("{error:?}");
        assert!(message.contains("Query.half") && message.contains(label), "{message}");
    }
}
