//! The reference storefront (`storefront/`, a Vite build in
//! `storefront/dist`) served by `shopgraph dev` on its own port: its files,
//! `index.html` for every page path (the app routes in the browser), and
//! `/config.json`, which tells the app where the router is.

use std::{
    net::{IpAddr, SocketAddr},
    path::{Component, Path, PathBuf},
    sync::Arc,
};

use axum::{
    Json, Router,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use server::{
    App, Readiness,
    config::{ConfigError, var_opt, var_or},
};

/// Where the storefront comes from and where it is served.
#[derive(Debug, Clone)]
pub struct StorefrontConfig {
    /// `STOREFRONT_DIR`, default `storefront/dist` (relative to the working
    /// directory, like the router's supergraph).
    pub dir: PathBuf,
    /// `BIND_HOST` (as for every service) and `STOREFRONT_PORT`, default 3000.
    pub listen: SocketAddr,
    /// `STOREFRONT_GRAPHQL_URL`: the router's URL as browsers reach it.
    /// Unset: the router's port on whichever host the page was loaded from.
    pub graphql_url: Option<String>,
}

impl StorefrontConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let host: IpAddr = var_or("BIND_HOST", IpAddr::from([127, 0, 0, 1]))?;
        Ok(Self {
            dir: var_or("STOREFRONT_DIR", PathBuf::from("storefront/dist"))?,
            listen: SocketAddr::new(host, var_or("STOREFRONT_PORT", 3000)?),
            graphql_url: var_opt("STOREFRONT_GRAPHQL_URL")?,
        })
    }

    /// Whether `npm run build` has produced the app.
    pub fn is_built(&self) -> bool {
        self.dir.join("index.html").is_file()
    }
}

struct Site {
    dir: PathBuf,
    graphql_url: Option<String>,
    router_port: u16,
}

/// The storefront's routes, talking to the router on `router_port` unless
/// the configuration names its URL.
pub fn build(config: &StorefrontConfig, router_port: u16) -> App {
    let site = Arc::new(Site {
        dir: config.dir.clone(),
        graphql_url: config.graphql_url.clone(),
        router_port,
    });
    let routes = Router::new()
        .route("/config.json", get(client_config))
        .fallback(get(file))
        .with_state(site);
    App::new(routes, Readiness::new())
}

async fn client_config(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    let graphql_url = site.graphql_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(host_without_port)
            .unwrap_or("127.0.0.1");
        format!("http://{host}:{}/graphql", site.router_port)
    });
    let websocket_url = graphql_url.replacen("http", "ws", 1);
    let body = serde_json::json!({ "graphqlUrl": graphql_url, "websocketUrl": websocket_url });
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// `localhost:3000` → `localhost`, `[::1]:3000` → `[::1]`.
fn host_without_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(colon) if !host[colon..].contains(']') => &host[..colon],
        _ => host,
    }
}

async fn file(State(site): State<Arc<Site>>, request: Request) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    let Some(relative) = safe_relative(path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let wanted = site.dir.join(&relative);
    match tokio::fs::read(&wanted).await {
        Ok(bytes) => with_headers(bytes, &relative),
        // A page path (no extension) is the app's to route; a missing
        // asset is a real 404, so a broken build is not masked by HTML.
        Err(_) if relative.extension().is_none() => {
            match tokio::fs::read(site.dir.join("index.html")).await {
                Ok(bytes) => with_headers(bytes, Path::new("index.html")),
                Err(_) => StatusCode::NOT_FOUND.into_response(),
            }
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The request path as a path inside the site, refusing `..` and the like.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let relative = if path.is_empty() { Path::new("index.html") } else { Path::new(path) };
    relative.components().all(|c| matches!(c, Component::Normal(_))).then(|| relative.to_path_buf())
}

fn with_headers(bytes: Vec<u8>, path: &Path) -> Response {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let content_type = match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    // Vite names what it builds under assets/ by content hash: such a file
    // never changes, so browsers may keep it. Everything else is revalidated.
    let cache =
        if path.starts_with("assets") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_site() {
        assert_eq!(safe_relative(""), Some(PathBuf::from("index.html")));
        assert_eq!(safe_relative("assets/a.js"), Some(PathBuf::from("assets/a.js")));
        assert_eq!(safe_relative("../secret"), None);
        assert_eq!(safe_relative("assets/../../x"), None);
        assert_eq!(safe_relative("/etc/passwd"), None);
    }

    #[test]
    fn the_router_is_found_on_the_pages_host() {
        assert_eq!(host_without_port("localhost:3000"), "localhost");
        assert_eq!(host_without_port("[::1]:3000"), "[::1]");
        assert_eq!(host_without_port("[::1]"), "[::1]");
        assert_eq!(host_without_port("shop.example"), "shop.example");
    }
}
