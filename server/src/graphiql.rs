//! GraphiQL from the server's own binary, for the router and the
//! subgraphs alike: the page, and the pinned GraphiQL, React and
//! explorer-plugin builds it loads (`server/graphiql/`, embedded at build
//! time). It works without internet, behind proxies, and under a
//! Content-Security-Policy that allows only the server itself.

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

/// GraphiQL's version (server/graphiql/package.json): in the assets' path,
/// so that browsers may cache them forever.
macro_rules! version {
    () => {
        "3.8.3"
    };
}
const VERSION: &str = version!();
const ASSETS_PATH: &str = concat!("/graphiql/", version!());

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../graphiql/assets/", $name)),
        }
    };
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const ASSETS: &[Asset] = &[
    asset!("react.production.min.js", JAVASCRIPT),
    asset!("react-dom.production.min.js", JAVASCRIPT),
    asset!("graphiql.min.js", JAVASCRIPT),
    asset!("graphiql.min.css", CSS),
    asset!("plugin-explorer.umd.js", JAVASCRIPT),
    asset!("plugin-explorer.css", CSS),
    asset!("THIRD-PARTY-LICENSES.txt", "text/plain; charset=utf-8"),
    Asset { name: "start.js", content_type: JAVASCRIPT, body: include_bytes!("graphiql.js") },
    // So that the browser does not ask for /favicon.ico, which a GraphQL
    // endpoint answers 404 (an error in the page's console).
    Asset { name: "favicon.svg", content_type: "image/svg+xml", body: FAVICON },
];

const FAVICON: &[u8] = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#e10098"/><path d="M16 5l9.5 5.5v11L16 27l-9.5-5.5v-11z" fill="none" stroke="#fff" stroke-width="2"/></svg>"##;

/// Only the server itself. GraphiQL sets inline styles (editor layout) and
/// its stylesheet embeds its fonts as data: URLs.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /graphiql/<version>/<file>`.
pub fn asset_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/graphiql/{version}/{file}", get(asset))
}

async fn asset(Path((version, file)): Path<(String, String)>) -> Response {
    let found = ASSETS.iter().find(|a| a.name == file).filter(|_| version == VERSION);
    let Some(asset) = found else { return StatusCode::NOT_FOUND.into_response() };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response()
}

/// What a GraphiQL page shows.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    pub title: &'a str,
    /// The operation a first-time visitor sees; none: GraphiQL's welcome.
    pub default_document: Option<&'a str>,
    /// The Headers tab's starting JSON.
    pub default_headers: Option<&'a str>,
}

/// The GraphiQL page for `/graphql`, with its assets under `/graphiql/`
/// (see [`asset_routes`]).
pub fn page(config: Page<'_>) -> Response {
    let settings = json!({
        "defaultDocument": config.default_document,
        "defaultHeaders": config.default_headers,
    });
    // JSON inside <script> must not close the element: escape '<'.
    let settings = settings.to_string().replace('<', "\\u003c");
    let title = html_escape(config.title);
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <title>{title}</title>
    <link rel="stylesheet" href="{ASSETS_PATH}/graphiql.min.css">
    <link rel="stylesheet" href="{ASSETS_PATH}/plugin-explorer.css">
    <link rel="license" href="{ASSETS_PATH}/THIRD-PARTY-LICENSES.txt">
    <link rel="icon" type="image/svg+xml" href="{ASSETS_PATH}/favicon.svg">
  </head>
  <body style="margin: 0">
    <div id="graphiql" style="height: 100vh">Loading GraphiQL…</div>
    <script id="graphiql-config" type="application/json">{settings}</script>
    <script src="{ASSETS_PATH}/react.production.min.js"></script>
    <script src="{ASSETS_PATH}/react-dom.production.min.js"></script>
    <script src="{ASSETS_PATH}/graphiql.min.js"></script>
    <script src="{ASSETS_PATH}/plugin-explorer.umd.js"></script>
    <script src="{ASSETS_PATH}/start.js"></script>
  </body>
</html>
"#
    );
    let mut response = axum::response::Html(html).into_response();
    let headers = response.headers_mut();
    headers
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
