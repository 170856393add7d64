//! `GET /images/{id}`: the stored bytes, with an `ETag` and caching for a
//! year. An id's file never changes, so caches may keep it that long and
//! a revalidation with `If-None-Match` is answered 304 without reading it.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::storage::ImageStorage;

const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

pub fn routes(storage: ImageStorage) -> Router {
    Router::new().route("/images/{id}", get(serve)).with_state(storage)
}

async fn serve(
    State(storage): State<ImageStorage>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let plausible =
        (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !plausible {
        return StatusCode::NOT_FOUND.into_response();
    }
    let etag = format!("\"{id}\"");
    let Ok(etag_value) = HeaderValue::from_str(&etag) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let caching = [
        (header::ETAG, etag_value),
        (header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL)),
    ];
    if revalidates(&headers, &etag) {
        return (StatusCode::NOT_MODIFIED, caching).into_response();
    }
    match storage.get(&id).await {
        Ok(Some(file)) => {
            let content_type = HeaderValue::from_str(&file.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            let headers = [
                (header::CONTENT_TYPE, content_type),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ];
            (StatusCode::OK, caching, headers, file.bytes).into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, image = %id, "reading an image failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Whether `If-None-Match` names this ETag (or `*`); weak or strong, as
/// RFC 9110 compares for GET.
fn revalidates(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|list| {
        list.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
    })
}
