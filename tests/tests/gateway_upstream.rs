//! The gateway's own connections to the nodes (gateway/src/upstream.rs) against nodes that misbehave: one that
//! takes the call and never answers, one that never finishes the TLS handshake, and a server holding another
//! region's certificate. Each must give the sender "try again later" (UNAVAILABLE) in bounded time, so its
//! outbox keeps the envelope; the last must never get the envelope at all. And against a node that answers:
//! what of the sender's request goes on with the envelope, and what the node's answer means for the sender.

use expertnet_federation::pki::Pki;
use expertnet_federation::{Peer, Registry, TlsFiles};
use expertnet_gateway::Error;
use expertnet_gateway::nodes::{Caller, NodeClients};
use expertnet_proto::v1 as pb;
use expertnet_tests::tap::acceptor;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const REGION: &str = "rivierenland";

/// A fresh PKI with the gateway, the receiving region and another region.
fn pki(dir: &std::path::Path) -> Pki {
    let pki = Pki::at(dir.join("pki"));
    pki.ensure(&[
        Peer::Gateway,
        Peer::Region(REGION.into()),
        Peer::Region("lekstroom".into()),
    ])
    .expect("dev PKI");
    pki
}

/// The receiving region's certificate, as its node would hold it.
fn region_files(pki: &Pki) -> TlsFiles {
    pki.files(&Peer::Region(REGION.into()))
}

fn registry(addr: SocketAddr) -> Registry {
    Registry::parse(&format!(
        r#"
[[regions]]
id = "{REGION}"
name = "Rivierenland"
municipalities = ["Tiel"]
endpoint = "https://{addr}"
expertise = ["lvb"]
"#
    ))
    .expect("registry")
}

/// What a misbehaving node does with a connection.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// Completes TLS, reads everything, answers nothing.
    Silent,
    /// Accepts TCP and never answers the TLS handshake.
    NoHandshake,
}

/// What a misbehaving node saw: connections accepted, bytes received after the handshake.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    bytes: AtomicUsize,
}

/// Serves `misbehaviour` with `files`' certificate.
async fn misbehaving_node(files: &TlsFiles, misbehaviour: Misbehaviour) -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let seen = Arc::new(Seen::default());
    let counted = seen.clone();
    let acceptor = acceptor(files);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.connections.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let counted = counted.clone();
            tokio::spawn(async move {
                match misbehaviour {
                    Misbehaviour::NoHandshake => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        drop(tcp);
                    }
                    Misbehaviour::Silent => {
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let mut buffer = [0u8; 4096];
                        while let Ok(n) = tls.read(&mut buffer).await {
                            if n == 0 {
                                break;
                            }
                            counted.bytes.fetch_add(n, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
    });
    (addr, seen)
}

fn question() -> pb::Envelope {
    pb::Envelope {
        key: "consultation-question:upstream-test".into(),
        from_region: "lekstroom".into(),
        to_region: REGION.into(),
        expertise_tags: vec![],
        body: Some(pb::envelope::Body::ConsultationQuestion(
            pb::ConsultationQuestion {
                consultation_id: "upstream-test".into(),
                question: "Wie kent een passende plek?".into(),
                ..Default::default()
            },
        )),
    }
}

fn node_clients(pki: &Pki, addr: SocketAddr, timeout: Duration) -> NodeClients {
    expertnet_federation::install_crypto_provider();
    NodeClients::new(&registry(addr), &pki.files(&Peer::Gateway), timeout).expect("node clients")
}

/// Delivers one question; the outcome and how long it took.
async fn deliver(nodes: &NodeClients) -> (Result<pb::DeliveryReceipt, Error>, Duration) {
    deliver_with(nodes, &http::HeaderMap::new()).await
}

/// A sender's call with these request headers, forwarded without a span of the gateway's own.
fn unspanned(headers: &http::HeaderMap) -> Caller<'_> {
    Caller {
        headers,
        in_span: false,
    }
}

/// Delivers one question as a sender with these request headers would have it delivered.
async fn deliver_with(
    nodes: &NodeClients,
    sender: &http::HeaderMap,
) -> (Result<pb::DeliveryReceipt, Error>, Duration) {
    let started = Instant::now();
    let outcome = nodes
        .deliver(
            REGION,
            expertnet_gateway::transport::wire::frame(&question()),
            unspanned(sender),
        )
        .await;
    (outcome, started.elapsed())
}

#[tokio::test]
async fn a_node_that_takes_the_call_but_never_answers_is_unavailable_after_the_forward_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let (addr, seen) = misbehaving_node(&region_files(&pki), Misbehaviour::Silent).await;
    let nodes = node_clients(&pki, addr, Duration::from_millis(400));
    let (outcome, took) = deliver(&nodes).await;
    match outcome {
        Err(Error::Unavailable(message)) => {
            assert!(message.contains(REGION), "{message}");
            assert!(message.contains("try again"), "{message}");
        }
        other => panic!("expected UNAVAILABLE, got {other:?}"),
    }
    assert!(
        seen.bytes.load(Ordering::SeqCst) > 0,
        "the call reached the node"
    );
    assert!(
        took >= Duration::from_millis(400),
        "gave up early: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "waited too long: {took:?}");
    // A connection that swallowed a call may be dead without anyone having noticed: the next call dials anew.
    let (again, _) = deliver(&nodes).await;
    assert!(matches!(again, Err(Error::Unavailable(_))), "{again:?}");
    assert_eq!(seen.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_node_that_never_finishes_the_handshake_is_unavailable_after_the_connect_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let (addr, _) = misbehaving_node(&region_files(&pki), Misbehaviour::NoHandshake).await;
    let (outcome, took) = deliver(&node_clients(&pki, addr, Duration::from_secs(30))).await;
    assert!(
        matches!(outcome, Err(Error::Unavailable(_))),
        "expected UNAVAILABLE, got {outcome:?}"
    );
    assert!(took < Duration::from_secs(5), "waited too long: {took:?}");
}

#[tokio::test]
async fn a_server_holding_another_regions_certificate_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let impostor = pki.files(&Peer::Region("lekstroom".into()));
    let (addr, seen) = misbehaving_node(&impostor, Misbehaviour::Silent).await;
    let (outcome, _) = deliver(&node_clients(&pki, addr, Duration::from_secs(5))).await;
    assert!(
        matches!(outcome, Err(Error::Unavailable(_))),
        "expected UNAVAILABLE, got {outcome:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        seen.bytes.load(Ordering::SeqCst),
        0,
        "nothing may reach a server without the region's certificate"
    );
}

#[tokio::test]
async fn a_senders_shorter_deadline_ends_its_call_but_keeps_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let (addr, seen) = misbehaving_node(&region_files(&pki), Misbehaviour::Silent).await;
    let nodes = node_clients(&pki, addr, Duration::from_secs(5));
    let mut sender = http::HeaderMap::new();
    sender.insert("grpc-timeout", "200m".parse().unwrap());
    for _ in 0..2 {
        let (outcome, took) = deliver_with(&nodes, &sender).await;
        assert!(
            matches!(&outcome, Err(Error::DeadlineExceeded(m)) if m.contains("sender's deadline")),
            "{outcome:?}"
        );
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_secs(2),
            "{took:?}"
        );
    }
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        1,
        "the sender's deadline is no sign of a dead connection"
    );
}

/// How a node answers every call.
#[derive(Clone, Copy)]
enum Answer {
    /// A receipt and `grpc-status: 0`.
    Receipt,
    /// No message, the status in the head (a trailers-only answer): its `grpc-status` and `grpc-message`.
    TrailersOnly(&'static str, &'static str),
    /// An HTTP answer that is not gRPC: this status, no `grpc-status` anywhere.
    NotGrpc(u16),
}

/// A node that answers every call with `answer` and keeps the request headers it got.
async fn answering_node(
    files: &TlsFiles,
    answer: Answer,
) -> (SocketAddr, Arc<Mutex<Vec<http::HeaderMap>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let keeping = recorded.clone();
    let acceptor = acceptor(files);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tls = acceptor.accept(tcp).await.expect("TLS");
            let mut connection = h2::server::handshake(tls).await.expect("HTTP/2");
            let keeping = keeping.clone();
            tokio::spawn(async move {
                while let Some(Ok((request, mut respond))) = connection.accept().await {
                    keeping.lock().unwrap().push(request.headers().clone());
                    let head = http::Response::builder();
                    match answer {
                        Answer::Receipt => {
                            let head = head.header("content-type", "application/grpc");
                            let mut stream = respond
                                .send_response(head.body(()).unwrap(), false)
                                .unwrap();
                            let receipt = pb::DeliveryReceipt { duplicate: false };
                            stream
                                .send_data(
                                    expertnet_gateway::transport::wire::frame(&receipt),
                                    false,
                                )
                                .unwrap();
                            let mut trailers = http::HeaderMap::new();
                            trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
                            stream.send_trailers(trailers).unwrap();
                        }
                        Answer::TrailersOnly(status, message) => {
                            let head = head
                                .header("content-type", "application/grpc")
                                .header("grpc-status", status)
                                .header("grpc-message", message);
                            respond.send_response(head.body(()).unwrap(), true).unwrap();
                        }
                        Answer::NotGrpc(status) => {
                            let head = head.status(status);
                            respond.send_response(head.body(()).unwrap(), true).unwrap();
                        }
                    }
                }
            });
        }
    });
    (addr, recorded)
}

#[tokio::test]
async fn a_nodes_refusal_passes_on_with_its_code_and_what_is_not_a_refusal_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let outcome = async |answer: Answer| {
        let (addr, _) = answering_node(&region_files(&pki), answer).await;
        deliver(&node_clients(&pki, addr, Duration::from_secs(5)))
            .await
            .0
    };
    let refused = outcome(Answer::TrailersOnly("9", "case is closed")).await;
    assert!(
        matches!(&refused, Err(Error::Refused { region, code: tonic::Code::FailedPrecondition, message })
            if region == REGION && message == "case is closed"),
        "{refused:?}"
    );
    let busy = outcome(Answer::TrailersOnly("14", "busy")).await;
    assert!(matches!(&busy, Err(Error::Unavailable(_))), "{busy:?}");
    let not_grpc = outcome(Answer::NotGrpc(502)).await;
    assert!(
        matches!(&not_grpc, Err(Error::Unavailable(_))),
        "{not_grpc:?}"
    );
    // A success without its receipt is no delivery the sender can count on: it tries again, and the node
    // recognises the key if it had the envelope after all.
    let no_receipt = outcome(Answer::TrailersOnly("0", "")).await;
    assert!(
        matches!(&no_receipt, Err(Error::Unavailable(_))),
        "{no_receipt:?}"
    );
}

#[tokio::test]
async fn the_senders_trace_context_and_shorter_deadline_go_on_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let (addr, recorded) = answering_node(&region_files(&pki), Answer::Receipt).await;
    let nodes = node_clients(&pki, addr, Duration::from_secs(5));
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut sender = http::HeaderMap::new();
    sender.insert("traceparent", traceparent.parse().unwrap());
    sender.insert("tracestate", "expertnet=1".parse().unwrap());
    sender.insert("grpc-timeout", "300m".parse().unwrap());
    sender.insert("x-sender-secret", "not for the node".parse().unwrap());
    let frame = || expertnet_gateway::transport::wire::frame(&question());
    let receipt = nodes.deliver(REGION, frame(), unspanned(&sender)).await;
    assert_eq!(receipt.unwrap(), pb::DeliveryReceipt { duplicate: false });
    // A sender that gives more time than the gateway's forward timeout gets the forward timeout.
    sender.insert("grpc-timeout", "60S".parse().unwrap());
    nodes
        .deliver(REGION, frame(), unspanned(&sender))
        .await
        .unwrap();
    let recorded = recorded.lock().unwrap().clone();
    assert_eq!(recorded.len(), 2);
    let first = &recorded[0];
    assert_eq!(first["traceparent"], traceparent);
    assert_eq!(first["tracestate"], "expertnet=1");
    assert_eq!(first["grpc-timeout"], "300m");
    assert!(first.get("x-sender-secret").is_none(), "{first:?}");
    assert_eq!(recorded[1]["grpc-timeout"], "5000m");
}

/// A node that answers the first call on each connection and then stops reading it: the socket stays open, and
/// nothing on it is answered any more, PINGs included (a process hung, or a machine gone behind a firewall that
/// keeps the connection). How many connections it took.
async fn freezing_node(files: &TlsFiles) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let connections = Arc::new(AtomicUsize::new(0));
    let counting = connections.clone();
    let acceptor = acceptor(files);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counting.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let tls = acceptor.accept(tcp).await.expect("TLS");
                let mut connection = h2::server::handshake(tls).await.expect("HTTP/2");
                let Some(Ok((_request, mut respond))) = connection.accept().await else {
                    return;
                };
                let head = http::Response::builder()
                    .header("content-type", "application/grpc")
                    .body(())
                    .unwrap();
                let mut stream = respond.send_response(head, false).unwrap();
                let receipt = pb::DeliveryReceipt { duplicate: false };
                stream
                    .send_data(expertnet_gateway::transport::wire::frame(&receipt), false)
                    .unwrap();
                let mut trailers = http::HeaderMap::new();
                trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
                stream.send_trailers(trailers).unwrap();
                // Flush what was queued, then hold the connection without reading it.
                let _ = tokio::time::timeout(Duration::from_millis(50), connection.accept()).await;
                std::future::pending::<()>().await;
                drop(connection);
            });
        }
    });
    (addr, connections)
}

#[tokio::test]
async fn a_node_connection_that_stops_answering_pings_is_dropped_before_a_call_waits_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let (addr, connections) = freezing_node(&region_files(&pki)).await;
    let keepalive = Duration::from_millis(300);
    let nodes = NodeClients::with_keepalive(
        &registry(addr),
        &pki.files(&Peer::Gateway),
        Duration::from_secs(5),
        Some(keepalive),
    )
    .expect("node clients");
    let (first, _) = deliver(&nodes).await;
    first.expect("the first call is answered");
    // A PING after 300 ms, unanswered for 300 ms: the connection is given up well within this.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (second, took) = deliver(&nodes).await;
    second.expect("the second call goes on a new connection and is answered");
    assert!(
        took < Duration::from_secs(2),
        "it did not wait for the frozen connection's forward timeout: {took:?}"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 2);

    let (addr, connections) = freezing_node(&region_files(&pki)).await;
    let without = NodeClients::with_keepalive(
        &registry(addr),
        &pki.files(&Peer::Gateway),
        Duration::from_millis(800),
        None,
    )
    .expect("node clients");
    deliver(&without).await.0.expect("answered");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (second, _) = deliver(&without).await;
    assert!(
        matches!(second, Err(Error::Unavailable(_))),
        "without PINGs the call waits on the frozen connection until the forward timeout: {second:?}"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}
