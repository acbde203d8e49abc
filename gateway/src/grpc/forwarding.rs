//! `GatewayService` with `Route`, the forwarding path, served below tonic's codec: the envelope is decoded
//! once to check and route it, and the bytes the sender sent go on to the target inboxes as they came — no
//! second encoding, no streaming codec around a message that is always one. The other methods go to tonic's
//! generated server. The gateway has to add no more to a call than a plain proxy hop (docs/BENCHMARKS.md).

use super::GatewayApi;
use crate::error::Error;
use crate::wire;
use bytes::Bytes;
use expertnet_proto::v1::Envelope;
use expertnet_proto::v1::gateway_service_server::GatewayServiceServer;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use http_body_util::{BodyExt, Full, Limited};
use prost::Message;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::server::NamedService;
use tower_service::Service;

const ROUTE_PATH: &str = "/expertnet.v1.GatewayService/Route";

/// The gateway's service for nodes, as added to the server.
#[derive(Debug, Clone)]
pub struct GatewayRoutes {
    api: GatewayApi,
    generated: GatewayServiceServer<GatewayApi>,
    max_message_bytes: usize,
}

impl GatewayRoutes {
    pub fn new(api: GatewayApi, max_message_bytes: usize) -> GatewayRoutes {
        GatewayRoutes {
            generated: GatewayServiceServer::new(api.clone())
                .max_decoding_message_size(max_message_bytes),
            api,
            max_message_bytes,
        }
    }
}

impl NamedService for GatewayRoutes {
    const NAME: &'static str = <GatewayServiceServer<GatewayApi> as NamedService>::NAME;
}

type Answering = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

impl Service<http::Request<Body>> for GatewayRoutes {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Answering;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Answering {
        if request.uri().path() != ROUTE_PATH {
            return Box::pin(self.generated.call(request));
        }
        let api = self.api.clone();
        let max_message_bytes = self.max_message_bytes;
        Box::pin(async move {
            Ok(match route(&api, request, max_message_bytes).await {
                Ok(framed_reply) => answer(framed_reply),
                Err(err) => tonic::Status::from(err).into_http(),
            })
        })
    }
}

/// Reads, checks and routes one envelope; the framed reply.
async fn route(
    api: &GatewayApi,
    request: http::Request<Body>,
    max_message_bytes: usize,
) -> Result<Bytes, Error> {
    // Who is calling first: nothing of an unauthenticated caller's body is read.
    let region = api.region_of(request.extensions())?;
    let body = Limited::new(request.into_body(), wire::PREFIX_BYTES + max_message_bytes)
        .collect()
        .await
        .map_err(|err| {
            if err.is::<http_body_util::LengthLimitError>() {
                Error::TooLarge(format!(
                    "envelope: over the limit of {max_message_bytes} bytes"
                ))
            } else {
                Error::invalid("envelope", "the request body could not be read")
            }
        })?
        .to_bytes();
    let message = wire::unframe(&body, max_message_bytes, "envelope")?;
    let envelope = Envelope::decode(message.clone())
        .map_err(|_| Error::invalid("envelope", "is not an expertnet.v1.Envelope"))?;
    let framed = wire::as_checked(body, message.len(), &envelope);
    let reply = api.route_framed(&region, &envelope, framed).await?;
    Ok(wire::frame(&reply))
}

/// A successful unary answer: the framed reply, then `grpc-status: 0` in the trailers.
fn answer(framed_reply: Bytes) -> http::Response<Body> {
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let body = Full::new(framed_reply).with_trailers(std::future::ready(Some(Ok(trailers))));
    let mut response = http::Response::new(Body::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    response
}
