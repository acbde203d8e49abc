//! `GatewayService/Route`, the forwarding path, served below tonic's codec: the envelope is decoded once to
//! check and route it, and the bytes the sender sent go on to the target inboxes as they came — no second
//! encoding, no streaming codec around a message that is always one. The server ([`crate::server`]) sends the
//! other methods to tonic's generated server. The gateway has to add no more to a call than a plain proxy hop
//! (docs/BENCHMARKS.md).

use crate::error::Error;
use crate::forwarding::Forwarder;
use crate::nodes::Caller;
use crate::transport::Answer;
use crate::transport::wire;
use bytes::{Bytes, BytesMut};
use expertnet_federation::{Peer, PeerError};
use expertnet_proto::v1::Envelope;
use http_body_util::BodyExt;
use prost::Message;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

/// The method served here; every other goes to the generated servers.
pub const ROUTE_PATH: &str = "/expertnet.v1.GatewayService/Route";
/// Longest the rest of an envelope may take to arrive once its call has begun (less if the sender's
/// `grpc-timeout` says so).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Answers one `Route` call from `caller` (the identity its connection's certificate gave): the framed reply
/// with `grpc-status: 0`, or the error's status. `in_span` says whether the call has a span of its own.
pub async fn answer<B>(
    forwarder: &Forwarder,
    caller: &Result<Peer, PeerError>,
    request: http::Request<B>,
    max_message_bytes: usize,
    in_span: bool,
) -> Answer
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match route(forwarder, caller, request, max_message_bytes, in_span).await {
        Ok(framed_reply) => Answer::Unary(framed_reply),
        Err(err) => Answer::Response(tonic::Status::from(err).into_http()),
    }
}

/// Reads, checks and routes one envelope; the framed reply.
async fn route<B>(
    forwarder: &Forwarder,
    caller: &Result<Peer, PeerError>,
    request: http::Request<B>,
    max_message_bytes: usize,
    in_span: bool,
) -> Result<Bytes, Error>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // Who is calling first: nothing of an unauthenticated caller's body is read.
    let region = super::region_of(caller, forwarder.registry())?;
    let (head, body) = request.into_parts();
    let body = read_body(body, max_message_bytes, || {
        wire::deadline_within(&head.headers, BODY_TIMEOUT)
    })
    .await?;
    let message = wire::unframe(&body, max_message_bytes, "envelope")?;
    let envelope = Envelope::decode(message.clone())
        .map_err(|_| Error::invalid("envelope", "is not an expertnet.v1.Envelope"))?;
    let framed = wire::as_checked(body, message.len(), &envelope);
    let reply = forwarder
        .route_framed(
            region,
            &envelope,
            framed,
            Caller {
                headers: &head.headers,
                in_span,
            },
        )
        .await?;
    Ok(wire::frame(&reply))
}

/// The whole request body, at most one framed envelope long. A body that is not all here yet must arrive
/// within `timeout()`; one that is (headers and message usually come in one packet) costs no timer.
async fn read_body<B>(
    body: B,
    max_message_bytes: usize,
    timeout: impl FnOnce() -> Duration,
) -> Result<Bytes, Error>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut gathering = pin!(gather(body, max_message_bytes));
    match futures_util::poll!(gathering.as_mut()) {
        Poll::Ready(gathered) => gathered,
        Poll::Pending => {
            let timeout = timeout();
            tokio::time::timeout(timeout, gathering)
                .await
                .map_err(|_| {
                    Error::DeadlineExceeded(format!(
                        "envelope: not received whole within {timeout:?}"
                    ))
                })?
        }
    }
}

/// The body's data, at most one framed message of `max_message_bytes`: a body that came as one chunk (the usual
/// case) as it came, else its chunks joined.
async fn gather<B>(body: B, max_message_bytes: usize) -> Result<Bytes, Error>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limit = wire::PREFIX_BYTES + max_message_bytes;
    let mut body = pin!(body);
    let mut first = None::<Bytes>;
    let mut joined = BytesMut::new();
    let mut received = 0;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| Error::invalid("envelope", "the request body could not be read"))?;
        // Trailers on a request mean nothing to gRPC.
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        received += chunk.len();
        if received > limit {
            return Err(Error::TooLarge(format!(
                "envelope: over the limit of {max_message_bytes} bytes"
            )));
        }
        if first.is_none() && joined.is_empty() {
            first = Some(chunk);
            continue;
        }
        if let Some(earlier) = first.take() {
            joined.extend_from_slice(&earlier);
        }
        joined.extend_from_slice(&chunk);
    }
    Ok(first.unwrap_or_else(|| joined.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use http_body_util::Full;
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
        let body = read_body(arrived(b"\0\0\0\0\x02ab"), 64, || Duration::from_millis(50)).await;
        assert_eq!(body.unwrap(), Bytes::from_static(b"\0\0\0\0\x02ab"));
        let started = Instant::now();
        let stalled = read_body(stalled(), 64, || Duration::from_millis(50)).await;
        assert!(
            matches!(&stalled, Err(Error::DeadlineExceeded(m)) if m.contains("envelope")),
            "{stalled:?}"
        );
        assert!(started.elapsed() >= Duration::from_millis(50));
        let tonic_status = tonic::Status::from(stalled.unwrap_err());
        assert_eq!(tonic_status.code(), tonic::Code::DeadlineExceeded);
    }

    /// A body that comes in `chunks`, all at once.
    fn chunked(chunks: &[&'static [u8]]) -> Boxed {
        let frames: Vec<Result<_, Box<dyn std::error::Error + Send + Sync>>> = chunks
            .iter()
            .map(|chunk| Ok(http_body::Frame::data(Bytes::from_static(chunk))))
            .collect();
        BodyExt::boxed(StreamBody::new(futures_util::stream::iter(frames)))
    }

    #[tokio::test]
    async fn a_body_in_several_chunks_is_read_whole_and_counted_whole() {
        let joined = read_body(chunked(&[b"\0\0", b"", b"\0\0\x03", b"abc"]), 64, || {
            Duration::from_secs(1)
        })
        .await;
        assert_eq!(joined.unwrap(), Bytes::from_static(b"\0\0\0\0\x03abc"));
        let too_long = read_body(chunked(&[&[0; 40], &[0; 40]]), 64, || {
            Duration::from_secs(1)
        })
        .await;
        assert!(
            matches!(&too_long, Err(Error::TooLarge(m)) if m.contains("limit of 64")),
            "{too_long:?}"
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_out_of_range() {
        let too_long = read_body(arrived(&[0; 80]), 64, || Duration::from_secs(1)).await;
        assert!(
            matches!(&too_long, Err(Error::TooLarge(m)) if m.contains("limit of 64")),
            "{too_long:?}"
        );
    }
}
