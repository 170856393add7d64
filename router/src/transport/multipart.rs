//! Incremental delivery over HTTP: `multipart/mixed`, one JSON payload per
//! part, the body streamed as each payload is ready.

use std::convert::Infallible;

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use tracing::Instrument;

use crate::{admission::Admitted, execution::Format};

const BOUNDARY: &str = "graphql";

/// The format the client asked for with `Accept`, if it takes parts:
/// `deferSpec=20220824` is Apollo Client's; any other `multipart/mixed`
/// gets the current incremental delivery format.
pub fn wanted(headers: &HeaderMap) -> Option<Format> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())?;
    let multipart = accept
        .split(',')
        .map(str::trim)
        .find(|media| media.to_ascii_lowercase().starts_with("multipart/mixed"))?;
    if multipart.replace(' ', "").contains("deferSpec=20220824") {
        Some(Format::Legacy)
    } else {
        Some(Format::Current)
    }
}

pub fn respond(
    admitted: Admitted,
    forwarded: HeaderMap,
    format: Format,
    span: tracing::Span,
) -> Response {
    let (parts, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(
        async move {
            admitted.execution(&forwarded).run_incremental(format, parts).await;
        }
        .instrument(span),
    );
    // Each part ends with the next delimiter, so a client knows the part
    // is whole as soon as it arrives; the last delimiter is closed at the end.
    let mut first = true;
    let parts = futures::stream::poll_fn(move |cx| receiver.poll_recv(cx))
        .map(move |payload| {
            let mut part = Vec::with_capacity(payload.len() + 96);
            if first {
                first = false;
                part.extend_from_slice(b"--");
                part.extend_from_slice(BOUNDARY.as_bytes());
            }
            part.extend_from_slice(b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n");
            part.extend_from_slice(&payload);
            part.extend_from_slice(b"\r\n--");
            part.extend_from_slice(BOUNDARY.as_bytes());
            Bytes::from(part)
        })
        .chain(futures::stream::once(async { Bytes::from_static(b"--\r\n") }))
        .map(Ok::<_, Infallible>);
    let content_type = match format {
        Format::Legacy => "multipart/mixed;boundary=\"graphql\";deferSpec=20220824",
        Format::Current => "multipart/mixed;boundary=\"graphql\"",
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        Body::from_stream(parts),
    )
        .into_response()
}
