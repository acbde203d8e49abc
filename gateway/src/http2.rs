//! The gateway's side of one HTTP/2 connection from a client, on `h2` directly: every request is handed to a
//! handler, and the handler's answer goes back with HTTP/2 flow control. Keep-alive PINGs find clients that
//! vanished without a word; a shutdown lets the requests in flight finish.
//!
//! Why not tonic's server: a forwarded call went through hyper's dispatch, tonic's tower layers and axum's
//! router before the gateway saw it, and the gateway added ~100 µs more than nginx's hop where a bare `h2`
//! pass-through on the same machine added no more than nginx (docs/BENCHMARKS.md). The generated services
//! still serve behind the handler, through tonic's router.

use bytes::Bytes;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use h2::server::SendResponse;
use h2::{RecvStream, SendStream};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use pin_project_lite::pin_project;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

/// How much a client may send before the gateway has read it, per stream and per connection.
const RECEIVE_WINDOW_BYTES: u32 = 1024 * 1024;

/// How a connection is held to account.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Streams a client may have open at once on one connection.
    pub max_concurrent_streams: u32,
    /// The largest header block a client may send.
    pub max_header_list_bytes: u32,
    /// A PING goes out after this long without one…
    pub keepalive_interval: Duration,
    /// …and the connection is dropped when its answer takes longer than this.
    pub keepalive_timeout: Duration,
    /// Longest a client may take to open HTTP/2 once TLS is up.
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_concurrent_streams: 200,
            max_header_list_bytes: 16 * 1024,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(20),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves HTTP/2 on `io` until the client goes, the keep-alive goes unanswered, or `shutdown` turns true
/// (then no new requests are taken and those in flight finish).
pub async fn serve_connection<IO, H, F>(
    io: IO,
    limits: Limits,
    handler: H,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), h2::Error>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: Fn(http::Request<RecvBody>) -> F,
    F: Future<Output: Into<Answer>> + Send + 'static,
{
    let handshake = h2::server::Builder::new()
        .max_concurrent_streams(limits.max_concurrent_streams)
        .max_header_list_size(limits.max_header_list_bytes)
        // What hyper gave clients before: a snapshot of a few hundred kilobytes needs no window updates.
        .initial_window_size(RECEIVE_WINDOW_BYTES)
        .initial_connection_window_size(RECEIVE_WINDOW_BYTES)
        .handshake::<_, Bytes>(io);
    let Ok(handshake) = tokio::time::timeout(limits.handshake_timeout, handshake).await else {
        tracing::debug!("client did not open HTTP/2 in time; closing its connection");
        return Ok(());
    };
    let mut connection = handshake?;
    let mut keepalive = pin!(keepalive(
        connection.ping_pong().expect("taken once, here"),
        limits
    ));
    // One future for the whole connection, not one per turn of the loop (each would join and leave the
    // channel's waiters). A sender gone counts as a shutdown.
    let mut shutdown_asked = pin!(async move {
        let _ = shutdown.wait_for(|closing| *closing).await;
    });
    let mut closing = false;
    // The calls in flight are driven here, with the connection, rather than each in a task of its own: no
    // spawning per call, and a client that is gone gets no more work done for it.
    let mut calls = FuturesUnordered::new();
    loop {
        tokio::select! {
            // Calls first: one whose answer is ready goes out before anything new is taken on.
            biased;
            Some(()) = calls.next(), if !calls.is_empty() => {}
            next = connection.accept() => match next {
                Some(Ok((request, respond))) => {
                    let answering = handler(request.map(RecvBody::new));
                    calls.push(Responding::new(answering, respond));
                }
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
            () = &mut keepalive => {
                tracing::debug!("client did not answer a keep-alive ping; closing its connection");
                return Ok(());
            }
            () = &mut shutdown_asked, if !closing => {
                closing = true;
                connection.graceful_shutdown();
            }
        }
    }
}

/// Resolves when the client has let a PING go unanswered (or the connection has ended).
async fn keepalive(mut ping_pong: h2::PingPong, limits: Limits) {
    loop {
        tokio::time::sleep(limits.keepalive_interval).await;
        match tokio::time::timeout(limits.keepalive_timeout, ping_pong.ping(h2::Ping::opaque()))
            .await
        {
            Ok(Ok(_pong)) => {}
            Ok(Err(_)) | Err(_) => return,
        }
    }
}

pin_project! {
    /// One call: the handler's answer awaited, then sent on its stream. A client that resets the stream stops
    /// the call: the handler's work is dropped, and so is what is left of the response. (A reset stream no
    /// longer counts against the client's concurrent streams, so a call that went on after one would escape
    /// that limit.)
    ///
    /// A future of its own rather than an `async fn`: that would hold the handler's future twice (as its
    /// argument and pinned), and a forwarded call's future is kilobytes, copied with every move — which showed
    /// in the time every call took (docs/BENCHMARKS.md).
    struct Responding<F> {
        #[pin]
        answering: F,
        // Until the answer is there.
        respond: Option<SendResponse<Bytes>>,
        // A response with a body, while it is sent.
        sending: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    }
}

impl<F> Responding<F> {
    fn new(answering: F, respond: SendResponse<Bytes>) -> Responding<F> {
        Responding {
            answering,
            respond: Some(respond),
            sending: None,
        }
    }
}

impl<F: Future<Output: Into<Answer>>> Future for Responding<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if let Some(sending) = this.sending {
            return sending.as_mut().poll(cx);
        }
        let Some(respond) = this.respond else {
            return Poll::Ready(());
        };
        // The answer first: one that is ready goes out even if a reset came after it.
        let Poll::Ready(answer) = this.answering.poll(cx) else {
            if respond.poll_reset(cx).is_ready() {
                tracing::debug!("client reset its call; stopped answering it");
                *this.respond = None;
                return Poll::Ready(());
            }
            return Poll::Pending;
        };
        let respond = this.respond.take().expect("checked above");
        match answer.into() {
            Answer::Unary(message) => {
                if let Err(err) = send_unary(respond, message) {
                    tracing::debug!(error = %err, "client went before its answer");
                }
                Poll::Ready(())
            }
            Answer::Response(response) => {
                let sending = this
                    .sending
                    .insert(Box::pin(send_response(respond, response)));
                sending.as_mut().poll(cx)
            }
        }
    }
}

/// Sends a response on its stream, its body no faster than the client's flow-control window allows.
async fn send_response(
    mut respond: SendResponse<Bytes>,
    response: http::Response<tonic::body::Body>,
) {
    let (head, body) = response.into_parts();
    let head = http::Response::from_parts(head, ());
    let end_of_stream = body.is_end_stream();
    let stream = match respond.send_response(head, end_of_stream) {
        Ok(stream) => stream,
        Err(err) => {
            tracing::debug!(error = %err, "client went before its response");
            return;
        }
    };
    if !end_of_stream && let Err(err) = send_body(stream, body).await {
        tracing::debug!(error = %err, "response not sent whole");
    }
}

/// What a handler answers a request with.
#[derive(Debug)]
pub enum Answer {
    /// A successful unary gRPC answer: the framed message, then `grpc-status: 0`. For small messages only: it
    /// goes to the stream whole, and `h2` holds what the client's window does not take yet.
    Unary(Bytes),
    /// Any response; its body goes no faster than the client's flow-control window allows.
    Response(http::Response<tonic::body::Body>),
}

impl From<http::Response<tonic::body::Body>> for Answer {
    fn from(response: http::Response<tonic::body::Body>) -> Answer {
        Answer::Response(response)
    }
}

/// Sends a successful unary answer: head, message and trailers, queued together so they leave in one write.
fn send_unary(mut respond: SendResponse<Bytes>, message: Bytes) -> Result<(), h2::Error> {
    let mut head = http::Response::new(());
    head.headers_mut()
        .insert(http::header::CONTENT_TYPE, crate::wire::APPLICATION_GRPC);
    let mut stream = respond.send_response(head, false)?;
    stream.send_data(message, false)?;
    let mut trailers = http::HeaderMap::with_capacity(1);
    trailers.insert(
        crate::wire::GRPC_STATUS,
        http::HeaderValue::from_static("0"),
    );
    stream.send_trailers(trailers)
}

/// Writes `body` onto `stream`, taking no more than the client's flow-control window allows at a time.
async fn send_body(
    mut stream: SendStream<Bytes>,
    body: tonic::body::Body,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut body = pin!(body);
    loop {
        // A frame that is ready (every frame of a unary answer) goes without watching for a reset.
        let frame = match body.frame().now_or_never() {
            Some(frame) => frame,
            None => tokio::select! {
                frame = body.frame() => frame,
                reset = poll_fn(|cx| stream.poll_reset(cx)) => {
                    return Err(format!("client reset the stream: {:?}", reset?).into());
                }
            },
        };
        let Some(frame) = frame else {
            stream.send_data(Bytes::new(), true)?;
            return Ok(());
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(err) => {
                stream.send_reset(h2::Reason::INTERNAL_ERROR);
                return Err(err.into());
            }
        };
        match frame.into_data() {
            Ok(mut data) => {
                while !data.is_empty() {
                    stream.reserve_capacity(data.len());
                    let granted = poll_fn(|cx| stream.poll_capacity(cx))
                        .await
                        .ok_or("stream closed while sending")??;
                    stream.send_data(data.split_to(granted.min(data.len())), false)?;
                }
            }
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    stream.send_trailers(trailers)?;
                    return Ok(());
                }
            }
        }
    }
}

/// A request's body as it arrives on its stream; what is read is released to the client's flow-control
/// window at once.
#[derive(Debug)]
pub struct RecvBody {
    stream: RecvStream,
    data_done: bool,
}

impl RecvBody {
    fn new(stream: RecvStream) -> RecvBody {
        RecvBody {
            stream,
            data_done: false,
        }
    }
}

impl Body for RecvBody {
    type Data = Bytes;
    type Error = h2::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, h2::Error>>> {
        let this = self.get_mut();
        if !this.data_done {
            match ready!(this.stream.poll_data(cx)) {
                Some(Ok(data)) => {
                    // Fails only when the stream is gone, which the next poll reports.
                    let _ = this.stream.flow_control().release_capacity(data.len());
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Some(Err(err)) => return Poll::Ready(Some(Err(err))),
                None => this.data_done = true,
            }
        }
        Poll::Ready(
            ready!(this.stream.poll_trailers(cx))
                .transpose()
                .map(|trailers| trailers.map(Frame::trailers)),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.stream.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;
    use tokio::io::DuplexStream;

    type Answering = Pin<Box<dyn Future<Output = http::Response<tonic::body::Body>> + Send>>;

    fn quick() -> Limits {
        Limits {
            keepalive_interval: Duration::from_millis(100),
            keepalive_timeout: Duration::from_millis(100),
            ..Limits::default()
        }
    }

    /// Fails a test that hangs (a flow-control deadlock, a connection that never closes) instead of hanging it.
    async fn bounded<T>(test: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(10), test)
            .await
            .expect("the test finished in time")
    }

    /// Answers every request with `size` bytes and `grpc-status: 0` trailers after `delay`, saying how many
    /// bytes it was sent.
    fn handler(size: usize, delay: Duration) -> impl Fn(http::Request<RecvBody>) -> Answering {
        move |request| {
            Box::pin(async move {
                let body = request.into_body().collect().await.expect("request body");
                tokio::time::sleep(delay).await;
                let mut payload = format!("{}:", body.to_bytes().len()).into_bytes();
                payload.resize(payload.len().max(size), b'x');
                let mut trailers = http::HeaderMap::new();
                trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
                let body = Full::new(Bytes::from(payload))
                    .with_trailers(std::future::ready(Some(Ok(trailers))));
                http::Response::new(tonic::body::Body::new(body))
            })
        }
    }

    /// Never answers; sets its flag when its work is dropped.
    fn hanging(dropped: Arc<AtomicBool>) -> impl Fn(http::Request<RecvBody>) -> Answering {
        struct SetOnDrop(Arc<AtomicBool>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        move |_request| {
            let guard = SetOnDrop(dropped.clone());
            Box::pin(async move {
                let _guard = guard;
                std::future::pending().await
            })
        }
    }

    /// A connection served with `answers`: the client's end, the serving task, and its shutdown switch.
    fn serving<F>(
        answers: impl Fn(http::Request<RecvBody>) -> F + Send + 'static,
    ) -> (
        DuplexStream,
        tokio::task::JoinHandle<Result<(), h2::Error>>,
        watch::Sender<bool>,
    )
    where
        F: Future<Output: Into<Answer>> + Send + 'static,
    {
        let (near, far) = tokio::io::duplex(64 * 1024);
        let (shutdown, closed) = watch::channel(false);
        let task = tokio::spawn(serve_connection(far, quick(), answers, closed));
        (near, task, shutdown)
    }

    fn request() -> http::Request<()> {
        http::Request::post("https://gateway/x").body(()).unwrap()
    }

    async fn client(io: DuplexStream) -> h2::client::SendRequest<Bytes> {
        let (send, connection) = h2::client::handshake(io).await.expect("client handshake");
        tokio::spawn(connection);
        send
    }

    #[tokio::test]
    async fn a_unary_answer_arrives_as_grpc_with_its_message_and_status() {
        bounded(async {
            let message = Bytes::from_static(b"\0\0\0\0\x02hi");
            let answer = message.clone();
            let (near, _serving, _shutdown) = serving(move |_request| {
                let answer = answer.clone();
                async move { Answer::Unary(answer) }
            });
            let send = client(near).await;
            let mut ready = send.clone().ready().await.unwrap();
            let (response, mut stream) = ready.send_request(request(), false).unwrap();
            stream.send_data(Bytes::from_static(b"x"), true).unwrap();
            let response = response.await.unwrap();
            assert_eq!(response.status(), http::StatusCode::OK);
            assert_eq!(response.headers()["content-type"], "application/grpc");
            let mut body = response.into_body();
            let received = body.data().await.expect("the message").unwrap();
            assert_eq!(received, message);
            assert!(body.data().await.is_none(), "one message only");
            let trailers = body.trailers().await.unwrap().expect("trailers");
            assert_eq!(trailers["grpc-status"], "0");
        })
        .await;
    }

    /// One call: the answer's body and trailers.
    async fn post(
        send: &h2::client::SendRequest<Bytes>,
        body: &'static [u8],
    ) -> Result<(Bytes, Option<http::HeaderMap>), h2::Error> {
        let mut send = send.clone().ready().await?;
        let (response, mut stream) = send.send_request(request(), false)?;
        stream.send_data(Bytes::from_static(body), true)?;
        let mut body = response.await?.into_body();
        let mut received = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            body.flow_control().release_capacity(chunk.len())?;
            received.extend_from_slice(&chunk);
        }
        Ok((received.into(), body.trailers().await?))
    }

    #[tokio::test]
    async fn answers_larger_than_the_window_arrive_whole_with_their_trailers() {
        bounded(async {
            let size = 3 * 1024 * 1024;
            let (near, _serving, _shutdown) = serving(handler(size, Duration::ZERO));
            let send = client(near).await;
            let (answer, trailers) = post(&send, b"hello").await.unwrap();
            assert_eq!(answer.len(), size, "more than the 64 KiB default window");
            assert!(answer.starts_with(b"5:"), "{:?}", &answer[..20]);
            assert_eq!(trailers.unwrap()["grpc-status"], "0");
        })
        .await;
    }

    #[tokio::test]
    async fn a_shutdown_refuses_new_calls_lets_the_one_in_flight_finish_and_closes() {
        bounded(async {
            let (near, serving, shutdown) = serving(handler(0, Duration::from_millis(300)));
            let send = client(near).await;
            let in_flight = tokio::spawn({
                let send = send.clone();
                async move { post(&send, b"in flight").await }
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
            shutdown.send(true).unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            let late = post(&send, b"late").await;
            assert!(
                late.is_err(),
                "a call after the shutdown was taken: {late:?}"
            );
            let (answer, _) = in_flight.await.unwrap().expect("the call in flight");
            assert_eq!(answer, Bytes::from_static(b"9:"));
            assert!(serving.await.unwrap().is_ok());
        })
        .await;
    }

    #[tokio::test]
    async fn a_client_that_stops_answering_pings_is_dropped_and_one_that_answers_is_not() {
        bounded(async {
            let (near, answering, _shutdown) = serving(handler(0, Duration::ZERO));
            let _send = client(near).await;
            tokio::time::sleep(Duration::from_millis(600)).await;
            assert!(
                !answering.is_finished(),
                "dropped a client that answers its PINGs"
            );

            let started = Instant::now();
            let (near, silent, _shutdown) = serving(handler(0, Duration::ZERO));
            // This client finishes its handshake and is never polled again: PINGs go unanswered.
            let (_send, _connection) = h2::client::handshake(near).await.expect("client handshake");
            assert!(silent.await.unwrap().is_ok());
            assert!(
                started.elapsed() >= Duration::from_millis(200),
                "closed before a PING could go unanswered: {:?}",
                started.elapsed()
            );
        })
        .await;
    }

    #[tokio::test]
    async fn a_call_stops_when_its_client_resets_it_or_goes_away() {
        bounded(async {
            let dropped = Arc::new(AtomicBool::new(false));
            let (near, _serving, _shutdown) = serving(hanging(dropped.clone()));
            let send = client(near).await;
            let mut ready = send.ready().await.unwrap();
            let (_response, mut stream) = ready.send_request(request(), true).unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(!dropped.load(Ordering::SeqCst), "dropped before the reset");
            stream.send_reset(h2::Reason::CANCEL);
            while !dropped.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }

            let dropped = Arc::new(AtomicBool::new(false));
            let (near, served, _shutdown) = serving(hanging(dropped.clone()));
            let (send, connection) = h2::client::handshake(near).await.expect("client handshake");
            let connection = tokio::spawn(connection);
            let mut ready = send.ready().await.unwrap();
            let _call = ready.send_request(request(), true).unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            connection.abort();
            let _ = served.await.unwrap();
            // Aborted with the connection's task set; the abort lands on the runtime's next turn.
            while !dropped.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
    }
}
