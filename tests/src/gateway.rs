//! A gateway of its own for tests of its port, and a region's raw HTTP/2 client for it: mutual TLS with the
//! region's certificate, `h2` for well-behaved calls, and frames written by hand for the ones a library would never
//! send.

use bytes::Bytes;
use expertnet_federation::pki::Pki;
use expertnet_federation::{Peer, Registry};
use expertnet_gateway::config::GatewayConfig;
use expertnet_gateway::server::{Gateway, serve};
use expertnet_gateway::transport::ServerLimits;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;

/// The region the test client speaks for.
pub const REGION: &str = "lekstroom";
pub const ROUTE: &str = "/expertnet.v1.GatewayService/Route";
/// What an empty `Route` call gets when the gateway takes it: an envelope that names no sender is not the
/// calling region's to send. Any other answer means the call met a limit or the connection failed.
pub const REFUSED_ON_ITS_MERITS: tonic::Code = tonic::Code::PermissionDenied;
/// Far longer than any limit under test: a step that takes this long has failed.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A gateway serving on a port of its own, with a registry of one region and a PKI of its own.
#[derive(Debug)]
pub struct TestGateway {
    pub addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    pub stop: Option<oneshot::Sender<()>>,
    pub served: JoinHandle<expertnet_gateway::error::Result<()>>,
    _dir: tempfile::TempDir,
}

/// Starts a gateway held to `limits`.
pub async fn start_gateway(limits: ServerLimits) -> TestGateway {
    expertnet_federation::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::at(dir.path().join("pki"));
    pki.ensure(&[Peer::Gateway, Peer::Region(REGION.into())])
        .unwrap();
    let registry = Registry::parse(&format!(
        "[[regions]]\nid = \"{REGION}\"\nname = \"Lekstroom\"\nmunicipalities = [\"Nieuwegein\"]\n\
         endpoint = \"https://127.0.0.1:9\"\nexpertise = [\"lvb\"]\n"
    ))
    .unwrap();
    let registry_file = dir.path().join("registry.toml");
    std::fs::write(&registry_file, registry.to_toml()).unwrap();
    let config = GatewayConfig {
        registry: registry_file,
        tls: pki.files(&Peer::Gateway),
        statistics_database: format!("sqlite://{}", dir.path().join("statistics.db").display()),
        server: limits,
        ..GatewayConfig::default()
    };
    let gateway = Gateway::from_config(&config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(serve(listener, gateway, async move {
        let _ = stopped.await;
    }));
    TestGateway {
        addr,
        tls: pki
            .files(&Peer::Region(REGION.into()))
            .rustls_client()
            .unwrap(),
        stop: Some(stop),
        served,
        _dir: dir,
    }
}

impl TestGateway {
    /// A mutual-TLS connection as the region, before any HTTP/2.
    pub async fn tls(&self) -> std::io::Result<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(self.addr).await?;
        let name = rustls::pki_types::ServerName::try_from("gateway.expertnet").unwrap();
        tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
    }

    /// An HTTP/2 connection as the region; its task ends when the connection does.
    pub async fn h2(&self) -> (h2::client::SendRequest<Bytes>, JoinHandle<()>) {
        let tls = self.tls().await.expect("mutual TLS");
        let (send, connection) = h2::client::handshake(tls).await.expect("HTTP/2");
        let task = tokio::spawn(async move {
            let _ = connection.await;
        });
        (send, task)
    }
}

pub fn route_request() -> http::Request<()> {
    http::Request::post(format!("https://gateway.expertnet{ROUTE}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap()
}

/// Sends a `Route` call whose message is empty (no envelope at all) and returns its gRPC code.
pub async fn empty_route(send: &mut h2::client::SendRequest<Bytes>) -> tonic::Code {
    let mut send = send
        .clone()
        .ready()
        .await
        .expect("the connection takes a call");
    let (response, mut body) = send.send_request(route_request(), false).unwrap();
    body.send_data(Bytes::from_static(b"\0\0\0\0\0"), true)
        .unwrap();
    let response = tokio::time::timeout(PATIENCE, response)
        .await
        .expect("an answer in time")
        .expect("an answer");
    if let Some(status) = tonic::Status::from_header_map(response.headers()) {
        return status.code();
    }
    let mut body = response.into_body();
    while body.data().await.is_some() {}
    let trailers = body.trailers().await.unwrap().expect("trailers");
    tonic::Status::from_header_map(&trailers).map_or(tonic::Code::Ok, |status| status.code())
}

/// Reads until the peer closes; how long that took.
pub async fn closed_within<IO: tokio::io::AsyncRead + Unpin>(io: &mut IO) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(PATIENCE, async {
        loop {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the gateway closed the connection");
    started.elapsed()
}

/// HTTP/2 frames written by hand (RFC 9113, section 4.1).
pub mod frames {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const RST_STREAM: u8 = 0x3;
    pub const SETTINGS: u8 = 0x4;
    pub const PING: u8 = 0x6;
    pub const CONTINUATION: u8 = 0x9;
    pub const END_STREAM: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;

    pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut bytes = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
        bytes.extend_from_slice(&stream.to_be_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    /// An HPACK string literal, not Huffman-coded, with its length as an integer of a 7-bit prefix.
    fn string(text: &[u8]) -> Vec<u8> {
        let mut bytes = integer(text.len(), 7, 0);
        bytes.extend_from_slice(text);
        bytes
    }

    /// An HPACK integer with an `n`-bit prefix under `mask`.
    fn integer(mut value: usize, n: u32, mask: u8) -> Vec<u8> {
        let max = (1usize << n) - 1;
        if value < max {
            return vec![mask | value as u8];
        }
        let mut bytes = vec![mask | max as u8];
        value -= max;
        while value >= 128 {
            bytes.push((value % 128) as u8 | 0x80);
            value /= 128;
        }
        bytes.push(value as u8);
        bytes
    }

    /// A literal header field without indexing whose name is the static table's entry `index`.
    pub fn literal(index: usize, value: &[u8]) -> Vec<u8> {
        let mut bytes = integer(index, 4, 0);
        bytes.extend(string(value));
        bytes
    }

    /// The header block of a `Route` call: POST, https, its path, the gateway's authority, gRPC's content type.
    pub fn route_headers() -> Vec<u8> {
        let mut block = vec![0x83, 0x87];
        block.extend(literal(4, super::ROUTE.as_bytes()));
        block.extend(literal(1, b"gateway.expertnet"));
        block.extend(literal(31, b"application/grpc"));
        block
    }
}
