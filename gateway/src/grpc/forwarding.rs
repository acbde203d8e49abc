//! `GatewayService/Route`, the forwarding path, served below tonic's codec: the envelope is decoded once to
//! check and route it, and the bytes the sender sent go on to the target inboxes as they came — no second
//! encoding, no streaming codec around a message that is always one. The server ([`crate::server`]) sends the
//! other methods to tonic's generated server. The gateway has to add no more to a call than a plain proxy hop
//! (docs/BENCHMARKS.md).

use super::GatewayApi;
use crate::error::Error;
use crate::wire;
use bytes::Bytes;
use expertnet_proto::v1::Envelope;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use http_body_util::{BodyExt, Full, Limited};
use prost::Message;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;
use tonic::body::Body;

/// The method served here; every other goes to the generated servers.
pub const ROUTE_PATH: &str = "/expertnet.v1.GatewayService/Route";
/// Longest the rest of an envelope may take to arrive once its call has begun (less if the sender's
/// `grpc-timeout` says so).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Answers one `Route` call: the framed reply with `grpc-status: 0`, or the error's status.
pub async fn answer<B>(
    api: &GatewayApi,
    request: http::Request<B>,
    max_message_bytes: usize,
) -> http::Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match route(api, request, max_message_bytes).await {
        Ok(framed_reply) => success(framed_reply),
        Err(err) => tonic::Status::from(err).into_http(),
    }
}

/// Reads, checks and routes one envelope; the framed reply.
async fn route<B>(
    api: &GatewayApi,
    request: http::Request<B>,
    max_message_bytes: usize,
) -> Result<Bytes, Error>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // Who is calling first: nothing of an unauthenticated caller's body is read.
    let region = api.region_of(request.extensions())?;
    let (head, body) = request.into_parts();
    let body_timeout = wire::deadline_within(&head.headers, BODY_TIMEOUT);
    let body = read_body(body, max_message_bytes, body_timeout).await?;
    let message = wire::unframe(&body, max_message_bytes, "envelope")?;
    let envelope = Envelope::decode(message.clone())
        .map_err(|_| Error::invalid("envelope", "is not an expertnet.v1.Envelope"))?;
    let framed = wire::as_checked(body, message.len(), &envelope);
    let reply = api
        .route_framed(&region, &envelope, framed, &head.headers)
        .await?;
    Ok(wire::frame(&reply))
}

/// The whole request body, at most one framed envelope long. A body that is not all here yet must arrive
/// within `timeout`; one that is (headers and message usually come in one packet) costs no timer.
async fn read_body<B>(body: B, max_message_bytes: usize, timeout: Duration) -> Result<Bytes, Error>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut collecting = pin!(Limited::new(body, wire::PREFIX_BYTES + max_message_bytes).collect());
    let collected = match futures_util::poll!(collecting.as_mut()) {
        Poll::Ready(collected) => collected,
        Poll::Pending => tokio::time::timeout(timeout, collecting)
            .await
            .map_err(|_| {
                Error::DeadlineExceeded(format!("envelope: not received whole within {timeout:?}"))
            })?,
    };
    let collected = collected.map_err(|err| {
        if err.is::<http_body_util::LengthLimitError>() {
            Error::TooLarge(format!(
                "envelope: over the limit of {max_message_bytes} bytes"
            ))
        } else {
            Error::invalid("envelope", "the request body could not be read")
        }
    })?;
    Ok(collected.to_bytes())
}

/// A successful unary answer: the framed reply, then `grpc-status: 0` in the trailers.
fn success(framed_reply: Bytes) -> http::Response<Body> {
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let body = Full::new(framed_reply).with_trailers(std::future::ready(Some(Ok(trailers))));
    let mut response = http::Response::new(Body::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use http_body_util::StreamBody;
    use http_body_util::combinators::BoxBody;
    use std::time::Instant;

    type Boxed = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn arrived(bytes: &'static [u8]) -> Boxed {
        Full::new(Bytes::from_static(bytes))
            .map_err(|never| match never {})
            .boxed()
    }

    /// A body whose first part came and whose rest never comes.
    fn stalled() -> Boxed {
        let first =
            futures_util::stream::iter([Ok(http_body::Frame::data(Bytes::from_static(b"\0\0\0")))]);
        BodyExt::boxed(StreamBody::new(
            first.chain(futures_util::stream::pending()),
        ))
    }

    #[tokio::test]
    async fn a_body_that_is_here_is_read_and_one_that_stalls_runs_out_of_time() {
        let body = read_body(arrived(b"\0\0\0\0\x02ab"), 64, Duration::from_millis(50)).await;
        assert_eq!(body.unwrap(), Bytes::from_static(b"\0\0\0\0\x02ab"));
        let started = Instant::now();
        let stalled = read_body(stalled(), 64, Duration::from_millis(50)).await;
        assert!(
            matches!(&stalled, Err(Error::DeadlineExceeded(m)) if m.contains("envelope")),
            "{stalled:?}"
        );
        assert!(started.elapsed() >= Duration::from_millis(50));
        let tonic_status = tonic::Status::from(stalled.unwrap_err());
        assert_eq!(tonic_status.code(), tonic::Code::DeadlineExceeded);
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_out_of_range() {
        let too_long = read_body(arrived(&[0; 80]), 64, Duration::from_secs(1)).await;
        assert!(
            matches!(&too_long, Err(Error::TooLarge(m)) if m.contains("limit of 64")),
            "{too_long:?}"
        );
    }
}
