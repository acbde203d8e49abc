//! The gateway's own port (gateway/src/transport/) held to its limits, over real sockets and mutual TLS with a
//! raw HTTP/2 client holding a region's certificate: calls past the cap of calls in flight are refused at once
//! and a reset call frees its place; connections past the cap are closed; a client that says nothing, or stops
//! answering PINGs, is dropped; a connection is asked to go away at its age; a shutdown takes nothing new and
//! lets the call in flight finish.

use bytes::Bytes;
use expertnet_gateway::transport::ServerLimits;
use expertnet_tests::gateway::*;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn calls_past_the_cap_are_refused_at_once_and_a_reset_call_frees_its_place() {
    let gateway = start_gateway(ServerLimits {
        max_calls_in_flight: 1,
        ..ServerLimits::default()
    })
    .await;
    let (mut send, _task) = gateway.h2().await;
    assert_eq!(
        empty_route(&mut send).await,
        REFUSED_ON_ITS_MERITS,
        "an empty envelope is refused on its merits while there is room"
    );

    let mut stalled = send.clone().ready().await.unwrap();
    let (_response, mut stalled_body) = stalled.send_request(route_request(), false).unwrap();
    stalled_body
        .send_data(Bytes::from_static(b"\0\0\0"), false)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    assert_eq!(empty_route(&mut send).await, tonic::Code::ResourceExhausted);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused at once"
    );

    stalled_body.send_reset(h2::Reason::CANCEL);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        empty_route(&mut send).await,
        REFUSED_ON_ITS_MERITS,
        "the reset call's place is free again"
    );
}

#[tokio::test]
async fn connections_past_the_cap_are_closed_and_a_place_frees_when_one_goes() {
    let gateway = start_gateway(ServerLimits {
        max_connections: 1,
        ..ServerLimits::default()
    })
    .await;
    let (first, first_task) = gateway.h2().await;
    let refused = match gateway.tls().await {
        Err(_) => true,
        Ok(tls) => h2::client::handshake(tls).await.is_err(),
    };
    assert!(refused, "a second connection is not served");
    drop(first);
    first_task.abort();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut send, _task) = gateway.h2().await;
    assert_eq!(empty_route(&mut send).await, REFUSED_ON_ITS_MERITS);
}

#[tokio::test]
async fn a_client_that_says_nothing_is_dropped_after_the_handshake_timeout() {
    let gateway = start_gateway(ServerLimits {
        handshake_timeout_ms: 300,
        ..ServerLimits::default()
    })
    .await;
    let mut silent_tcp = TcpStream::connect(gateway.addr).await.unwrap();
    let waited = closed_within(&mut silent_tcp).await;
    assert!(waited >= Duration::from_millis(250), "{waited:?}");

    let mut silent_tls = gateway.tls().await.unwrap();
    let waited = closed_within(&mut silent_tls).await;
    assert!(waited < Duration::from_secs(3), "{waited:?}");

    let mut http1 = gateway.tls().await.unwrap();
    http1
        .write_all(b"GET / HTTP/1.1\r\nHost: gateway\r\n\r\n")
        .await
        .unwrap();
    let waited = closed_within(&mut http1).await;
    assert!(
        waited < Duration::from_secs(1),
        "not HTTP/2: closed at once ({waited:?})"
    );
}

#[tokio::test]
async fn a_client_that_stops_answering_pings_is_dropped_and_one_that_answers_is_not() {
    let gateway = start_gateway(ServerLimits {
        keepalive_interval_secs: 1,
        keepalive_timeout_secs: 1,
        ..ServerLimits::default()
    })
    .await;
    let (mut answering, task) = gateway.h2().await;

    let mut deaf = gateway.tls().await.unwrap();
    deaf.write_all(expertnet_gateway::transport::preface::PREFACE)
        .await
        .unwrap();
    // An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
    deaf.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap();
    let waited = closed_within(&mut deaf).await;
    assert!(
        (Duration::from_millis(1500)..Duration::from_secs(6)).contains(&waited),
        "dropped after the keep-alive interval and timeout: {waited:?}"
    );
    assert!(!task.is_finished(), "the client that answers PINGs stays");
    assert_eq!(empty_route(&mut answering).await, REFUSED_ON_ITS_MERITS);
}

#[tokio::test]
async fn a_connection_is_asked_to_go_away_at_its_age() {
    let gateway = start_gateway(ServerLimits {
        max_connection_age_secs: 1,
        ..ServerLimits::default()
    })
    .await;
    let started = Instant::now();
    let (send, task) = gateway.h2().await;
    tokio::time::timeout(PATIENCE, task)
        .await
        .expect("the connection ended")
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    drop(send);
    let (mut again, _task) = gateway.h2().await;
    assert_eq!(empty_route(&mut again).await, REFUSED_ON_ITS_MERITS);
}

#[tokio::test]
async fn a_shutdown_takes_nothing_new_and_lets_the_call_in_flight_finish() {
    let mut gateway = start_gateway(ServerLimits::default()).await;
    let (send, _task) = gateway.h2().await;
    let mut in_flight = send.clone().ready().await.unwrap();
    let (response, mut body) = in_flight.send_request(route_request(), false).unwrap();
    body.send_data(Bytes::from_static(b"\0\0\0"), false)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let _ = gateway.stop.take().unwrap().send(());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        gateway.tls().await.is_err(),
        "no new connection once shutting down"
    );
    body.send_data(Bytes::from_static(b"\0\0"), true).unwrap();
    let response = tokio::time::timeout(PATIENCE, response)
        .await
        .expect("the call in flight is answered")
        .expect("not reset");
    let status = tonic::Status::from_header_map(response.headers()).expect("a gRPC status");
    assert_eq!(status.code(), REFUSED_ON_ITS_MERITS);
    tokio::time::timeout(PATIENCE, gateway.served)
        .await
        .expect("the server stops once its calls are done")
        .unwrap()
        .unwrap();
}
