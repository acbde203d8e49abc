//! The gateway's port attacked the way HTTP/2 servers have been attacked, each time by a client holding a valid
//! region certificate (a compromised or buggy node), over real sockets and mutual TLS: rapid reset
//! (CVE-2023-44487), a CONTINUATION flood (the 2024 class), SETTINGS and PING floods, headers without end, an
//! oversized header block, a stream that never sends its body, and a zero-window stall. Each time the gateway
//! stays up, another region's call still goes through in its usual time, the abusive connection is closed (or
//! the abusive stream refused), and memory stays bounded.

use bytes::Bytes;
use expertnet_gateway::transport::ServerLimits;
use expertnet_gateway::transport::preface::PREFACE;
use expertnet_tests::gateway::frames::{self, frame};
use expertnet_tests::gateway::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// How long another region's call may take while the gateway is under attack. Its usual time is milliseconds;
/// this bound only allows for a busy shared machine.
const USUAL: Duration = Duration::from_secs(1);
/// The most the test process (gateway and clients) may grow during one attack.
const MEMORY_BOUND_KB: u64 = 64 * 1024;

/// Keep-alive quick enough for a test to see a silent client dropped.
fn limits() -> ServerLimits {
    ServerLimits {
        keepalive_interval_secs: 1,
        keepalive_timeout_secs: 1,
        ..ServerLimits::default()
    }
}

/// An HTTP/2 connection opened by hand: the preface and an empty SETTINGS frame.
async fn raw(gateway: &TestGateway) -> TlsStream<TcpStream> {
    let mut tls = gateway.tls().await.expect("mutual TLS");
    tls.write_all(PREFACE).await.unwrap();
    tls.write_all(&frame(frames::SETTINGS, 0, 0, &[]))
        .await
        .unwrap();
    tls
}

/// Writes what `next` makes, frame after frame, until the gateway stops taking it or `budget` is spent; the bytes
/// written.
async fn flood(
    io: &mut TlsStream<TcpStream>,
    budget: Duration,
    mut next: impl FnMut(u32) -> Vec<u8>,
) -> usize {
    let started = Instant::now();
    let mut written = 0;
    let mut n = 0;
    while started.elapsed() < budget {
        let bytes = next(n);
        n += 1;
        match tokio::time::timeout(Duration::from_secs(1), io.write_all(&bytes)).await {
            Ok(Ok(())) => written += bytes.len(),
            Ok(Err(_)) | Err(_) => break,
        }
    }
    written
}

/// Another region's call, during or after the attack: answered on its merits, in its usual time.
async fn others_still_served(legit: &mut h2::client::SendRequest<Bytes>) {
    let started = Instant::now();
    assert_eq!(empty_route(legit).await, REFUSED_ON_ITS_MERITS);
    let took = started.elapsed();
    assert!(took < USUAL, "another region's call took {took:?}");
}

/// The end of every attack: the connection is closed, others are served, memory stayed bounded.
async fn survived(
    attack: &str,
    io: &mut TlsStream<TcpStream>,
    legit: &mut h2::client::SendRequest<Bytes>,
    rss_before: u64,
) {
    let closed = closed_within(io).await;
    others_still_served(legit).await;
    let grew = expertnet_tests::rss_kb().saturating_sub(rss_before);
    println!("{attack}: connection closed {closed:?} after the attack; memory grew {grew} KB");
    assert!(grew < MEMORY_BOUND_KB, "{attack}: grew {grew} KB");
}

#[tokio::test]
async fn rapid_reset_closes_the_connection() {
    let gateway = start_gateway(limits()).await;
    let (mut legit, _task) = gateway.h2().await;
    let before = expertnet_tests::rss_kb();
    let mut attacker = raw(&gateway).await;
    let headers = frames::route_headers();
    let written = flood(&mut attacker, Duration::from_secs(3), |n| {
        let stream = 2 * n + 1;
        let mut bytes = frame(frames::HEADERS, frames::END_HEADERS, stream, &headers);
        bytes.extend(frame(frames::RST_STREAM, 0, stream, &8u32.to_be_bytes()));
        bytes
    })
    .await;
    others_still_served(&mut legit).await;
    println!("rapid reset: {written} bytes written before the gateway stopped taking them");
    survived("rapid reset", &mut attacker, &mut legit, before).await;
}

#[tokio::test]
async fn a_continuation_flood_closes_the_connection() {
    let gateway = start_gateway(limits()).await;
    let (mut legit, _task) = gateway.h2().await;
    let before = expertnet_tests::rss_kb();
    let mut attacker = raw(&gateway).await;
    attacker
        .write_all(&frame(frames::HEADERS, 0, 1, &frames::route_headers()))
        .await
        .unwrap();
    let piece = frames::literal(4, &[b'x'; 200]);
    let written = flood(&mut attacker, Duration::from_secs(3), |_| {
        frame(frames::CONTINUATION, 0, 1, &piece)
    })
    .await;
    println!("CONTINUATION flood: {written} bytes written before the gateway stopped taking them");
    survived("CONTINUATION flood", &mut attacker, &mut legit, before).await;
}

#[tokio::test]
async fn settings_and_ping_floods_close_the_connection() {
    let gateway = start_gateway(limits()).await;
    let (mut legit, _task) = gateway.h2().await;
    for (name, kind, payload) in [
        ("SETTINGS flood", frames::SETTINGS, Vec::new()),
        ("PING flood", frames::PING, vec![7u8; 8]),
    ] {
        let before = expertnet_tests::rss_kb();
        let mut attacker = raw(&gateway).await;
        let started = Instant::now();
        let written = flood(&mut attacker, Duration::from_secs(3), |_| {
            frame(kind, 0, 0, &payload)
        })
        .await;
        println!(
            "{name}: {written} bytes ({} frames) taken in {:?}",
            written / (9 + payload.len()),
            started.elapsed()
        );
        survived(name, &mut attacker, &mut legit, before).await;
    }
}

#[tokio::test]
async fn headers_without_end_are_dropped_with_the_connection() {
    let gateway = start_gateway(limits()).await;
    let (mut legit, _task) = gateway.h2().await;
    let before = expertnet_tests::rss_kb();
    let mut attacker = raw(&gateway).await;
    attacker
        .write_all(&frame(frames::HEADERS, 0, 1, &frames::route_headers()))
        .await
        .unwrap();
    others_still_served(&mut legit).await;
    survived("headers without end", &mut attacker, &mut legit, before).await;
}

#[tokio::test]
async fn an_oversized_header_block_is_refused_and_not_served() {
    let gateway = start_gateway(limits()).await;
    let (mut legit, _task) = gateway.h2().await;
    let before = expertnet_tests::rss_kb();
    let mut attacker = raw(&gateway).await;
    // A header of 64 KiB (the limit is 16 KiB), across a HEADERS frame and CONTINUATION frames of 16 KiB.
    let mut block = frames::route_headers();
    block.push(0x00);
    block.extend(frames::literal(0, b"x-padding")[1..].to_vec());
    block.extend(frames::literal(0, &vec![b'p'; 64 * 1024])[1..].to_vec());
    let pieces: Vec<&[u8]> = block.chunks(16 * 1024).collect();
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let (kind, flags) = match (i, last) {
            (0, true) => (frames::HEADERS, frames::END_HEADERS | frames::END_STREAM),
            (0, false) => (frames::HEADERS, frames::END_STREAM),
            (_, true) => (frames::CONTINUATION, frames::END_HEADERS),
            (_, false) => (frames::CONTINUATION, 0),
        };
        if attacker
            .write_all(&frame(kind, flags, 1, piece))
            .await
            .is_err()
        {
            break;
        }
    }
    // Read what comes back for stream 1: a refusal, a 431, a GOAWAY or the end — never a gRPC answer.
    let served = tokio::time::timeout(PATIENCE, async {
        let mut header = [0u8; 9];
        loop {
            if attacker.read_exact(&mut header).await.is_err() {
                return false;
            }
            let len =
                usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
            let mut payload = vec![0u8; len];
            if attacker.read_exact(&mut payload).await.is_err() {
                return false;
            }
            let stream =
                u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff;
            match (header[3], stream) {
                (frames::RST_STREAM, 1) | (0x7, _) => return false,
                (frames::HEADERS, 1) => {
                    return !payload.windows(3).any(|w| w == b"431");
                }
                _ => {}
            }
        }
    })
    .await
    .expect("the gateway answered the oversized block");
    assert!(
        !served,
        "an oversized header block must not reach a handler"
    );
    others_still_served(&mut legit).await;
    let grew = expertnet_tests::rss_kb().saturating_sub(before);
    assert!(grew < MEMORY_BOUND_KB, "grew {grew} KB");
}

#[tokio::test]
async fn a_stream_that_never_sends_its_body_ends_at_its_deadline() {
    let gateway = start_gateway(limits()).await;
    let (mut legit, _task) = gateway.h2().await;
    let (send, _abuser) = gateway.h2().await;
    let mut send = send.ready().await.unwrap();
    let mut request = route_request();
    request
        .headers_mut()
        .insert("grpc-timeout", http::HeaderValue::from_static("500m"));
    let (response, mut body) = send.send_request(request, false).unwrap();
    body.send_data(Bytes::from_static(b"\0\0\0"), false)
        .unwrap();
    let started = Instant::now();
    let response = tokio::time::timeout(PATIENCE, response)
        .await
        .expect("answered")
        .expect("not reset");
    let status = tonic::Status::from_header_map(response.headers()).expect("a gRPC status");
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    others_still_served(&mut legit).await;
}

#[tokio::test]
async fn a_zero_window_stall_ends_with_the_connections_age() {
    let gateway = start_gateway(ServerLimits {
        max_connection_age_secs: 1,
        ..limits()
    })
    .await;
    let before = expertnet_tests::rss_kb();
    let tls = gateway.tls().await.unwrap();
    // A client that answers PINGs but never lets the gateway send it a byte of body.
    let (send, connection) = h2::client::Builder::new()
        .initial_window_size(0)
        .handshake::<_, Bytes>(tls)
        .await
        .unwrap();
    let stalled = tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut answers = Vec::new();
    for _ in 0..50 {
        let mut send = send.clone().ready().await.unwrap();
        let request = http::Request::post("https://gateway.expertnet/grpc.health.v1.Health/Check")
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .unwrap();
        let (response, mut body) = send.send_request(request, false).unwrap();
        body.send_data(Bytes::from_static(b"\0\0\0\0\0"), true)
            .unwrap();
        answers.push(response);
    }
    let started = Instant::now();
    let (mut legit, _task) = gateway.h2().await;
    others_still_served(&mut legit).await;
    tokio::time::timeout(Duration::from_secs(20), stalled)
        .await
        .expect("the stalled connection is closed: its age, then the grace for what is in flight")
        .unwrap();
    println!(
        "zero-window stall: connection closed {:?} after the stall began",
        started.elapsed()
    );
    // Every connection here lives a second: another region's client dials again, as a node's channel does.
    let (mut again, _task) = gateway.h2().await;
    others_still_served(&mut again).await;
    let grew = expertnet_tests::rss_kb().saturating_sub(before);
    assert!(grew < MEMORY_BOUND_KB, "grew {grew} KB");
}
