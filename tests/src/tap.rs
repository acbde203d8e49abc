//! A recording man-in-the-middle for the federation, so a test can read what reached the gateway: it presents
//! the gateway's certificate to one region's node (the test owns the dev PKI), opens its own mutual-TLS
//! connection to the real gateway with that region's certificate, passes every byte on, and keeps a copy of
//! the plaintext both ways. Nodes that connect before [`Tap::arm`] are turned away and retry.

use expertnet_federation::TlsFiles;
use expertnet_federation::peer::GATEWAY_HOST;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

#[derive(Debug, Clone)]
pub struct Tap {
    pub addr: SocketAddr,
    armed: Arc<OnceLock<Armed>>,
    recorded: Arc<Mutex<Vec<u8>>>,
}

#[derive(Clone)]
struct Armed {
    acceptor: TlsAcceptor,
    connector: TlsConnector,
    gateway: SocketAddr,
}

impl std::fmt::Debug for Armed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Armed")
            .field("gateway", &self.gateway)
            .finish()
    }
}

/// A TLS server presenting `files`' certificate, asking no client certificate, offering HTTP/2.
pub fn acceptor(files: &TlsFiles) -> TlsAcceptor {
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .expect("certificate file")
        .map(|c| c.expect("certificate"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(&files.key).expect("key");
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    config.alpn_protocols = vec![b"h2".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

impl Tap {
    /// Listens on a port of its own; arm it before the traffic matters.
    pub async fn listen() -> Tap {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the tap");
        let tap = Tap {
            addr: listener.local_addr().expect("tap address"),
            armed: Arc::new(OnceLock::new()),
            recorded: Arc::new(Mutex::new(Vec::new())),
        };
        let serving = tap.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let Some(armed) = serving.armed.get().cloned() else {
                    continue;
                };
                let recorded = serving.recorded.clone();
                tokio::spawn(async move {
                    let _ = relay(stream, armed, recorded).await;
                });
            }
        });
        tap
    }

    /// Poses as the gateway (`gateway_files`) to the node and as the node (`node_files`) to the gateway.
    pub fn arm(&self, gateway_files: &TlsFiles, node_files: &TlsFiles, gateway: SocketAddr) {
        let client = node_files.rustls_client().expect("client config");
        let _ = self.armed.set(Armed {
            acceptor: acceptor(gateway_files),
            connector: TlsConnector::from(client),
            gateway,
        });
    }

    /// Everything that passed in clear so far, both ways.
    pub fn recorded(&self) -> Vec<u8> {
        self.recorded.lock().expect("recording").clone()
    }
}

async fn relay(
    stream: TcpStream,
    armed: Armed,
    recorded: Arc<Mutex<Vec<u8>>>,
) -> std::io::Result<()> {
    let from_node = armed.acceptor.accept(stream).await?;
    let upstream = TcpStream::connect(armed.gateway).await?;
    let name = ServerName::try_from(GATEWAY_HOST).expect("gateway name");
    let to_gateway = armed.connector.connect(name, upstream).await?;
    let (node_read, node_write) = tokio::io::split(from_node);
    let (gateway_read, gateway_write) = tokio::io::split(to_gateway);
    let up = copy_recording(node_read, gateway_write, recorded.clone());
    let down = copy_recording(gateway_read, node_write, recorded);
    let _ = tokio::join!(up, down);
    Ok(())
}

async fn copy_recording(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    recorded: Arc<Mutex<Vec<u8>>>,
) -> std::io::Result<()> {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buffer).await?;
        if n == 0 {
            return to.shutdown().await;
        }
        recorded
            .lock()
            .expect("recording")
            .extend_from_slice(&buffer[..n]);
        to.write_all(&buffer[..n]).await?;
    }
}
