//! What a call is answered with: a successful unary message (the forwarding path's usual answer, built without
//! tonic's encoder), or any response.

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// What a handler answers a request with.
#[derive(Debug)]
pub enum Answer {
    /// A successful unary gRPC answer: the framed message, then `grpc-status: 0`.
    Unary(Bytes),
    /// Any response.
    Response(http::Response<tonic::body::Body>),
}

impl From<http::Response<tonic::body::Body>> for Answer {
    fn from(response: http::Response<tonic::body::Body>) -> Answer {
        Answer::Response(response)
    }
}

impl Answer {
    pub fn into_response(self) -> http::Response<tonic::body::Body> {
        match self {
            Answer::Unary(message) => {
                let mut response = http::Response::new(tonic::body::Body::new(UnaryBody {
                    message: Some(message),
                    trailers_sent: false,
                }));
                response
                    .headers_mut()
                    .insert(http::header::CONTENT_TYPE, super::wire::APPLICATION_GRPC);
                response
            }
            Answer::Response(response) => response,
        }
    }
}

/// One framed message, then the trailers of a successful call.
struct UnaryBody {
    message: Option<Bytes>,
    trailers_sent: bool,
}

impl Body for UnaryBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        if let Some(message) = self.message.take() {
            return Poll::Ready(Some(Ok(Frame::data(message))));
        }
        if self.trailers_sent {
            return Poll::Ready(None);
        }
        self.trailers_sent = true;
        let mut trailers = http::HeaderMap::with_capacity(1);
        trailers.insert(
            super::wire::GRPC_STATUS,
            http::HeaderValue::from_static("0"),
        );
        Poll::Ready(Some(Ok(Frame::trailers(trailers))))
    }

    fn is_end_stream(&self) -> bool {
        self.message.is_none() && self.trailers_sent
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.message.as_ref().map_or(0, |m| m.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_unary_answer_is_grpc_with_its_message_and_an_ok_status() {
        let response = Answer::Unary(Bytes::from_static(b"\0\0\0\0\x01x")).into_response();
        assert_eq!(response.headers()["content-type"], "application/grpc");
        let collected = response.into_body().collect().await.unwrap();
        let trailers = collected.trailers().cloned().expect("trailers");
        assert_eq!(trailers["grpc-status"], "0");
        assert_eq!(collected.to_bytes(), Bytes::from_static(b"\0\0\0\0\x01x"));
    }
}
