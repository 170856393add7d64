//! W3C Trace Context: the `traceparent` every request and event carries,
//! and the bridge between it and the spans of this process.
//!
//! An incoming `traceparent` is adopted, otherwise a new trace starts. When
//! traces are exported (see `otlp`), the ids handed on are those of the
//! exporting span, so the next hop's spans become its children; otherwise
//! the trace id travels on with a fresh span id, for the logs.

use std::fmt;

use axum::http::HeaderMap;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use rand::RngCore;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::otlp;

/// A W3C `traceparent`: version 00, trace id, parent span id, flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub sampled: bool,
}

impl TraceParent {
    /// Starts a new trace.
    pub fn new_root() -> Self {
        let mut rng = rand::thread_rng();
        let mut trace_id = [0u8; 16];
        let mut span_id = [0u8; 8];
        rng.fill_bytes(&mut trace_id);
        rng.fill_bytes(&mut span_id);
        Self { trace_id, span_id, sampled: true }
    }

    /// The same trace, with a new span id for work done here.
    pub fn child(&self) -> Self {
        let mut span_id = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut span_id);
        Self { span_id, ..*self }
    }

    /// Parses a header value; anything malformed is `None` (the spec says to
    /// start a new trace rather than fail the request).
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let version = parts.next()?;
        let trace = parts.next()?;
        let span = parts.next()?;
        let flags = parts.next()?;
        if version != "00" || parts.next().is_some() || flags.len() != 2 {
            return None;
        }
        let trace_id: [u8; 16] = decode_hex(trace)?;
        let span_id: [u8; 8] = decode_hex(span)?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(Self { trace_id, span_id, sampled: flags & 1 == 1 })
    }

    /// The caller's context, from a `traceparent` header.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        headers.get("traceparent").and_then(|v| v.to_str().ok()).and_then(Self::parse)
    }

    /// Work continuing `incoming`'s trace, or a new trace.
    pub fn continuing(incoming: Option<Self>) -> Self {
        incoming.map_or_else(Self::new_root, |parent| parent.child())
    }

    /// The context of `span` as OpenTelemetry knows it: `None` unless
    /// traces are exported.
    pub fn of_span(span: &Span) -> Option<Self> {
        if !otlp::exporting() {
            return None;
        }
        let context = span.context();
        let span_context = context.span().span_context().clone();
        span_context.is_valid().then(|| Self {
            trace_id: span_context.trace_id().to_bytes(),
            span_id: span_context.span_id().to_bytes(),
            sampled: span_context.is_sampled(),
        })
    }

    /// `of_span` for the span the caller runs in.
    pub fn of_current_span() -> Option<Self> {
        if !otlp::exporting() {
            return None;
        }
        Self::of_span(&Span::current())
    }

    fn remote_context(&self) -> opentelemetry::Context {
        let flags = if self.sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
        let span_context = SpanContext::new(
            TraceId::from_bytes(self.trace_id),
            SpanId::from_bytes(self.span_id),
            flags,
            true,
            TraceState::default(),
        );
        opentelemetry::Context::new().with_remote_span_context(span_context)
    }

    pub fn trace_id_hex(&self) -> String {
        let mut text = [0u8; 32];
        encode_hex(&self.trace_id, &mut text);
        text.iter().map(|&b| char::from(b)).collect()
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `00-` trace id `-` span id `-` flags: 55 ASCII bytes, written
        // in place (this runs for every request the router forwards).
        let mut text = *b"00-00000000000000000000000000000000-0000000000000000-00";
        encode_hex(&self.trace_id, &mut text[3..35]);
        encode_hex(&self.span_id, &mut text[36..52]);
        encode_hex(&[u8::from(self.sampled)], &mut text[53..55]);
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

/// Starts the work `span` stands for as part of the caller's trace, and
/// returns the context to hand on to the next hop. With export on, the
/// span becomes the child of `incoming` and hands on its own ids; without,
/// the trace id travels on under a fresh span id. Either way the span
/// records `trace_id` and `span_id` (declare both as `Empty`), which the
/// JSON logs put on every line written inside it.
pub fn start(span: &Span, incoming: Option<TraceParent>) -> TraceParent {
    if otlp::exporting()
        && let Some(parent) = incoming
    {
        // Only a span that no subscriber wants refuses, and then nothing
        // is recorded anyway.
        let _ = span.set_parent(parent.remote_context());
    }
    let own = TraceParent::of_span(span).unwrap_or_else(|| TraceParent::continuing(incoming));
    record(span, &own);
    own
}

/// Puts `trace`'s ids on `span`, for the logs.
pub(super) fn record(span: &Span, trace: &TraceParent) {
    if !span.is_disabled() {
        span.record("trace_id", tracing::field::display(Hex(&trace.trace_id)));
        span.record("span_id", tracing::field::display(Hex(&trace.span_id)));
    }
}

/// Bytes written as lowercase hex, without allocating.
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0u8; 64];
        let text = &mut text[..2 * self.0.len().min(32)];
        encode_hex(self.0, text);
        f.write_str(std::str::from_utf8(text).map_err(|_| fmt::Error)?)
    }
}

/// Lowercase hex of exactly `N` bytes; `None` for anything else.
fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let nibble = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(bytes)
}

/// Lowercase hex of `bytes` into `out` (twice as long).
fn encode_hex(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (byte, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_valid_traceparent() {
        let raw = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parsed = TraceParent::parse(raw).expect("valid");
        assert_eq!(parsed.to_string(), raw);
        assert_eq!(parsed.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
        assert_eq!(TraceParent::parse(unsampled).expect("valid").to_string(), unsampled);
    }

    #[test]
    fn rejects_malformed_or_all_zero_ids() {
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7x-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47g6-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_child_keeps_the_trace_and_changes_the_span() {
        let root = TraceParent::new_root();
        let child = root.child();
        assert_eq!(child.trace_id, root.trace_id);
        assert_ne!(child.span_id, root.span_id);
    }
}
