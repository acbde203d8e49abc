//! W3C trace context in gRPC metadata, so one consultation or escalation is one trace across node → gateway
//! → node. Clients [`inject`] the current span's context into each outgoing request; servers start each RPC's
//! span with [`rpc_span`], which continues the caller's trace.

use opentelemetry::propagation::{Extractor, Injector};
use std::collections::HashMap;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Writes the current span's trace context (`traceparent`, `tracestate`) into outgoing metadata.
pub fn inject(metadata: &mut MetadataMap) {
    let span = tracing::Span::current();
    // Outside any span there is nothing to continue (and looking for it costs a call on a hot path).
    if span.is_none() {
        return;
    }
    let context = span.context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MetadataInjector(metadata))
    });
}

/// The W3C trace context headers.
const TRACE_HEADERS: [http::HeaderName; 2] = [
    http::HeaderName::from_static("traceparent"),
    http::HeaderName::from_static("tracestate"),
];

/// Passes a caller's trace context on as it came, where the hop records no span of its own (the gateway's
/// forwarding path when it exports no spans): the next hop's span then continues the caller's trace, as
/// behind any proxy. A context the current span already wrote is left alone.
pub fn pass_on(from: &http::HeaderMap, to: &mut http::HeaderMap) {
    for name in TRACE_HEADERS {
        if !to.contains_key(&name)
            && let Some(value) = from.get(&name)
        {
            to.insert(name, value.clone());
        }
    }
}

/// The span of one incoming RPC, a child of the caller's span when the request carries trace context.
/// Use as tonic's `trace_fn`.
pub fn rpc_span<B>(request: &http::Request<B>) -> tracing::Span {
    let span = tracing::info_span!("rpc", path = %request.uri().path());
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    let _ = span.set_parent(parent);
    span
}

/// The current span's W3C `traceparent`, to store with work done later (an outbox envelope).
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let mut carrier = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut carrier)
    });
    carrier.remove("traceparent")
}

/// Makes `span` continue the trace a stored `traceparent` names.
pub fn continue_trace(span: &tracing::Span, traceparent: &str) {
    if traceparent.is_empty() {
        return;
    }
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let parent =
        opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&carrier));
    let _ = span.set_parent(parent);
}

/// The current span's trace id (32 hex digits), for logs and tests; `None` outside a traced span.
pub fn current_trace_id() -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    let context = tracing::Span::current().context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}
