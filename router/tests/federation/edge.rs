//! The router's HTTP edge as a browser and a CDN see it: CORS preflights
//! and headers, CSRF prevention, compressed responses and request bodies.

use std::io::{Read, Write};

use router::RouterConfig;
use serde_json::{Value, json};

use crate::helpers::{Federation, start_router};

const ALLOWED: &str = "http://localhost:5173";
const QUERY: &str = r#"{ product(upc: "1") { name } }"#;

async fn preflight(url: &str, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, authorization")
        .send()
        .await
        .expect("preflight answered")
}

fn header<'r>(response: &'r reqwest::Response, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_gets_204_and_the_cors_headers() {
    let federation = Federation::start().await;
    let url = federation.router.url("/graphql");
    let allowed = preflight(&url, ALLOWED).await;
    assert_eq!(allowed.status().as_u16(), 204);
    assert_eq!(header(&allowed, "access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(header(&allowed, "access-control-allow-methods"), Some("GET, POST, OPTIONS"));
    let headers = header(&allowed, "access-control-allow-headers").unwrap_or_default();
    assert!(headers.contains("content-type") && headers.contains("authorization"), "{headers}");
    assert_eq!(header(&allowed, "access-control-max-age"), Some("7200"));
    assert!(header(&allowed, "vary").unwrap_or_default().contains("origin"));

    let refused = preflight(&url, "https://evil.example").await;
    assert_eq!(refused.status().as_u16(), 204);
    assert!(
        refused.headers().keys().all(|k| !k.as_str().starts_with("access-control-")),
        "{:?}",
        refused.headers()
    );
}

#[tokio::test]
async fn responses_carry_cors_headers_only_for_allowed_origins() {
    let federation = Federation::start().await;
    let post = |origin: &'static str| {
        federation
            .http()
            .post(federation.router.url("/graphql"))
            .header("origin", origin)
            .json(&json!({ "query": QUERY }))
            .send()
    };
    let allowed = post(ALLOWED).await.expect("response");
    assert_eq!(header(&allowed, "access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(header(&allowed, "access-control-allow-credentials"), None);
    let body: Value = allowed.json().await.expect("json");
    assert_eq!(body, json!({ "data": { "product": { "name": "Table" } } }));

    let other = post("https://evil.example").await.expect("response");
    assert_eq!(header(&other, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn configured_origins_patterns_and_credentials_are_honoured() {
    let federation = Federation::start().await;
    let mut config = RouterConfig::default();
    config.cors.origins = vec!["https://shop.example.com".into()];
    config.cors.origin_patterns = vec!["https://*.preview.example.com".into()];
    config.cors.allow_credentials = true;
    config.cors.max_age_secs = 60;
    let router = start_router(&federation.supergraph, config).await;
    let url = router.url("/graphql");
    for origin in ["https://shop.example.com", "https://pr-42.preview.example.com"] {
        let response = preflight(&url, origin).await;
        assert_eq!(header(&response, "access-control-allow-origin"), Some(origin));
        assert_eq!(header(&response, "access-control-allow-credentials"), Some("true"));
        assert_eq!(header(&response, "access-control-max-age"), Some("60"));
    }
    for origin in [ALLOWED, "https://preview.example.com", "https://shop.example.com.evil.io"] {
        let response = preflight(&url, origin).await;
        assert_eq!(header(&response, "access-control-allow-origin"), None, "{origin}");
    }
}

#[tokio::test]
async fn responses_are_compressed_as_negotiated_and_compressed_bodies_accepted() {
    let federation = Federation::start().await;
    let url = federation.router.url("/graphql");
    let client = reqwest::Client::new();
    // Large enough to be worth compressing (over 1 KiB).
    let large: String = (0..12)
        .map(|i| format!("p{i}: topProducts(first: 5) {{ name price reviews {{ body }} }} "))
        .collect();
    let large = format!("{{ {large} }}");
    let plain = client.post(&url).json(&json!({ "query": large })).send().await.expect("response");
    let expected: Value = plain.json().await.expect("json");

    assert!(expected.to_string().len() > 1024, "{expected}");
    let gzip = client
        .post(&url)
        .header("accept-encoding", "gzip")
        .json(&json!({ "query": large }))
        .send()
        .await
        .expect("response");
    assert_eq!(header(&gzip, "content-encoding"), Some("gzip"));
    let bytes = gzip.bytes().await.expect("body");
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes.as_ref()).read_to_string(&mut text).expect("gzip");
    assert_eq!(serde_json::from_str::<Value>(&text).expect("json"), expected);

    for encoding in ["br", "zstd", "deflate"] {
        let response = client
            .post(&url)
            .header("accept-encoding", encoding)
            .json(&json!({ "query": large }))
            .send()
            .await
            .expect("response");
        assert_eq!(header(&response, "content-encoding"), Some(encoding));
    }

    // A gzip-compressed request body.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(json!({ "query": QUERY }).to_string().as_bytes()).expect("compress");
    let body = encoder.finish().expect("gzip");
    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "content-encoding"), None, "a small answer goes as it is");
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer, json!({ "data": { "product": { "name": "Table" } } }));
}

#[tokio::test]
async fn streamed_responses_are_not_compressed() {
    let federation = Federation::start().await;
    let response = reqwest::Client::new()
        .post(federation.router.url("/graphql"))
        .header("accept", "text/event-stream")
        .header("accept-encoding", "gzip")
        .json(&json!({ "query": QUERY }))
        .send()
        .await
        .expect("response");
    assert_eq!(header(&response, "content-encoding"), None);
    let text = response.text().await.expect("events");
    assert!(text.contains(r#""name":"Table""#), "{text}");
}

#[tokio::test]
async fn compression_and_csrf_prevention_can_be_switched_off() {
    let federation = Federation::start().await;
    let config = RouterConfig {
        compression: false,
        csrf: router::config::CsrfConfig { enabled: false, ..Default::default() },
        ..Default::default()
    };
    let router = start_router(&federation.supergraph, config).await;
    let response = reqwest::Client::new()
        .get(router.url("/graphql"))
        .header("accept-encoding", "gzip")
        .query(&[("query", QUERY)])
        .send()
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "content-encoding"), None);
}
