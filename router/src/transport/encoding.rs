//! Compressed responses and request bodies, only where they are used.
//! tower-http's layers wrap every body they see, encoded or not (measured
//! at about 8 µs a request), and choosing between two routers per request
//! cost about as much again. This layer wraps each route instead: a
//! request without `Content-Encoding` goes straight to the route, and its
//! answer reaches the compressor only when it is worth compressing.

use std::{
    convert::Infallible,
    task::{Context, Poll},
};

use axum::{
    body::Body,
    extract::Request,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::future::{BoxFuture, Either};
use tower::{Layer, Service, ServiceExt};
use tower_http::{
    compression::{
        Compression, Predicate,
        predicate::{NotForContentType, SizeAbove},
    },
    decompression::{DecompressionBody, RequestDecompression},
};

/// Responses smaller than this go uncompressed: a compressor's state costs
/// more to set up than a small answer saves (profiled: deflate's tables and
/// zeroed buffers per response).
const COMPRESS_ABOVE_BYTES: u16 = 1024;

/// Which answers are compressed.
#[derive(Clone, Copy)]
pub struct WorthCompressing;

impl Predicate for WorthCompressing {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        // Incremental parts and events must reach the client as they are
        // written, so streams are never compressed.
        SizeAbove::new(COMPRESS_ABOVE_BYTES)
            .and(NotForContentType::const_new("multipart/mixed"))
            .and(NotForContentType::SSE)
            .and(NotForContentType::IMAGES)
            .should_compress(response)
    }
}

#[derive(Clone, Copy)]
pub struct NegotiatedEncodingLayer;

impl<S: Clone> Layer<S> for NegotiatedEncodingLayer {
    type Service = NegotiatedEncoding<S>;

    fn layer(&self, route: S) -> Self::Service {
        let codec = RequestDecompression::new(
            Compression::new(route.clone()).compress_when(WorthCompressing),
        );
        NegotiatedEncoding { route, codec }
    }
}

/// A route, and the same route behind the codec layers.
#[derive(Clone)]
pub struct NegotiatedEncoding<S> {
    route: S,
    codec: RequestDecompression<Compression<S, WorthCompressing>>,
}

impl<S> Service<Request> for NegotiatedEncoding<S>
where
    S: Service<Request, Response = Response, Error = Infallible>
        + Service<Request<DecompressionBody<Body>>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    <S as Service<Request>>::Future: Send + 'static,
    <S as Service<Request<DecompressionBody<Body>>>>::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future =
        Either<<S as Service<Request>>::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request>::poll_ready(&mut self.route, cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let headers = request.headers();
        if headers.contains_key(header::CONTENT_ENCODING) {
            let codec = self.codec.clone();
            return Either::Right(Box::pin(async move {
                Ok(match codec.oneshot(request).await {
                    Ok(response) => response.map(Body::new),
                    Err(error) => {
                        tracing::warn!(%error, "could not decode the request or encode the answer");
                        StatusCode::INTERNAL_SERVER_ERROR.into_response()
                    }
                })
            }));
        }
        let Some(accepted) = headers.get(header::ACCEPT_ENCODING).cloned() else {
            return Either::Left(self.route.call(request));
        };
        // Browsers always accept an encoding, and most answers are small:
        // only an answer worth compressing goes through the compressor.
        let answer = self.route.call(request);
        Either::Right(Box::pin(async move {
            let response = answer.await?;
            if !WorthCompressing.should_compress(&response) {
                return Ok(response);
            }
            let mut asked = Request::new(Body::empty());
            asked.headers_mut().insert(header::ACCEPT_ENCODING, accepted);
            let mut response = Some(response);
            let answered = tower::service_fn(move |_: Request| {
                std::future::ready(Ok::<_, Infallible>(response.take().unwrap_or_default()))
            });
            let compressed =
                Compression::new(answered).compress_when(WorthCompressing).oneshot(asked).await?;
            Ok(compressed.map(Body::new))
        }))
    }
}
