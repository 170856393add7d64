//! GraphiQL from the router binary: the page and every asset it loads come
//! from the router, under a CSP that allows only the router; a headless
//! Chromium (Debian's `chromium`) renders it with no internet.

use std::process::Command;

use router::RouterConfig;

use crate::helpers::{Federation, start_router};

/// `src` and `href` values in `html`.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            found.push(rest[..rest.find('"').expect("closing quote")].to_owned());
        }
    }
    found
}

async fn page(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client.get(url).header("accept", "text/html").send().await.expect("page")
}

#[tokio::test]
async fn the_page_and_its_assets_come_from_the_router_under_a_self_only_csp() {
    let federation = Federation::start().await;
    let client = federation.http();
    let response = page(client, &federation.router.url("/graphql")).await;
    assert_eq!(response.status().as_u16(), 200);
    let csp = response.headers()["content-security-policy"].to_str().expect("csp").to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("http"), "only the router itself: {csp}");
    let html = response.text().await.expect("html");
    assert!(!html.contains("unpkg") && !html.contains("https://"), "{html}");

    let assets = references(&html);
    assert_eq!(assets.len(), 9, "{assets:?}");
    for asset in &assets {
        assert!(asset.starts_with("/graphiql/"), "{asset}");
        let served = client.get(federation.router.url(asset)).send().await.expect("asset");
        assert_eq!(served.status().as_u16(), 200, "{asset}");
        let kind = served.headers()["content-type"].to_str().expect("type").to_owned();
        let expected = match asset.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("svg") => "image/svg+xml",
            _ => "text/plain",
        };
        assert!(kind.starts_with(expected), "{asset}: {kind}");
        let cache = served.headers()["cache-control"].to_str().expect("cache").to_owned();
        assert!(cache.contains("immutable") && cache.contains("max-age=31536000"), "{cache}");
        assert!(!served.bytes().await.expect("body").is_empty(), "{asset}");
    }
    let licences = client
        .get(federation.router.url(assets.iter().find(|a| a.ends_with(".txt")).expect("licences")))
        .send()
        .await
        .expect("licences")
        .text()
        .await
        .expect("text");
    for package in ["react 18.3.1", "react-dom 18.3.1", "graphiql 3.8.3", "plugin-explorer"] {
        assert!(licences.contains(package), "{package} missing from the licence notices");
    }
    let missing = client.get(federation.router.url("/graphiql/0.0.1/graphiql.min.js")).send().await;
    assert_eq!(missing.expect("answer").status().as_u16(), 404, "another version is not served");
}

#[tokio::test]
async fn the_default_document_and_headers_are_configurable_and_cannot_break_out() {
    let federation = Federation::start().await;
    let mut config = RouterConfig::default();
    config.graphiql.title = "Acme <API>".into();
    config.graphiql.default_document = Some("# </script><script>alert(1)</script>\n{ me }".into());
    config.graphiql.default_headers = Some(r#"{"Authorization": "Bearer "}"#.into());
    let router = start_router(&federation.supergraph, config).await;
    let html = page(federation.http(), &router.url("/graphql")).await.text().await.expect("html");
    assert!(html.contains("<title>Acme &lt;API&gt;</title>"), "{html}");
    assert_eq!(html.matches("</script>").count(), 6, "the document must not end a script: {html}");
    assert!(html.contains(r#"\u003c/script>\u003cscript>alert(1)"#), "{html}");
    assert!(html.contains(r#"\"Authorization\": \"Bearer \""#), "{html}");

    let mut off = RouterConfig::default();
    off.graphiql.enabled = false;
    let router = start_router(&federation.supergraph, off).await;
    let response = page(federation.http(), &router.url("/graphql")).await;
    assert!(!response.text().await.expect("body").contains("GraphiQL"));
    let asset = federation.http().get(router.url("/graphiql/3.8.3/graphiql.min.js")).send().await;
    assert_eq!(asset.expect("answer").status().as_u16(), 404);
}

/// Debian's Chromium, if installed (CI installs it; `REQUIRE_BROWSER=1`
/// makes its absence a failure).
fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|binary| Command::new(binary).arg("--version").output().is_ok());
    if found.is_none() {
        assert!(std::env::var_os("REQUIRE_BROWSER").is_none(), "REQUIRE_BROWSER: no chromium");
        eprintln!("skipped: Chromium is not installed (apt-get install chromium)");
    }
    found
}

#[tokio::test]
async fn headless_chromium_renders_graphiql_without_the_internet() {
    let Some(chromium) = chromium() else { return };
    let federation = Federation::start().await;
    let url = federation.router.url("/graphql");
    let profile = std::env::temp_dir().join(format!("graphiql-test-{}", std::process::id()));
    let run = {
        let (url, profile) = (url.clone(), profile.clone());
        move || {
            std::process::Command::new(chromium)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    // Nothing may come from elsewhere: any other host fails.
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    "--virtual-time-budget=15000",
                    "--dump-dom",
                ])
                .arg(format!("--user-data-dir={}", profile.display()))
                .arg(&url)
                .output()
        }
    };
    // On a thread of its own: the router it loads runs on this runtime.
    let rendered = tokio::task::spawn_blocking(run).await.expect("joined").expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        dom.contains("graphiql-container"),
        "GraphiQL did not render: {dom}\n{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    assert!(!dom.contains("Loading GraphiQL"), "{dom}");
    // The explorer plugin is there, and the editors got the schema.
    assert!(dom.contains("graphiql-explorer") || dom.contains("Explorer"), "{dom}");
}
