//! Mutual-TLS configuration for both ends of every federation connection.
//!
//! Servers require a client certificate from the federation CA (rustls refuses plaintext, unknown CAs and
//! expired certificates during the handshake); clients verify the server against the role name its
//! certificate must carry, whatever address they dial.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// Where a party's certificate, private key and the federation CA certificate are.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The federation CA certificate (PEM) that peers must be signed by.
    pub ca: PathBuf,
    /// This party's certificate (PEM).
    pub cert: PathBuf,
    /// This party's private key (PEM); keep it mode 0600.
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("{key}: {path}: {message}")]
pub struct TlsError {
    /// The configuration key that named the file (`ca`, `cert` or `key`).
    pub key: &'static str,
    pub path: PathBuf,
    pub message: String,
}

impl TlsFiles {
    fn read(key: &'static str, path: &Path) -> Result<String, TlsError> {
        let text = std::fs::read_to_string(path).map_err(|e| TlsError {
            key,
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        if !text.contains("-----BEGIN ") {
            return Err(TlsError {
                key,
                path: path.to_owned(),
                message: "not a PEM file".into(),
            });
        }
        Ok(text)
    }

    fn identity(&self) -> Result<(Identity, Certificate), TlsError> {
        let cert = TlsFiles::read("cert", &self.cert)?;
        let key = TlsFiles::read("key", &self.key)?;
        let ca = TlsFiles::read("ca", &self.ca)?;
        Ok((Identity::from_pem(cert, key), Certificate::from_pem(ca)))
    }

    /// A server that only talks to clients holding a certificate from the federation CA.
    pub fn server(&self) -> Result<ServerTlsConfig, TlsError> {
        let (identity, ca) = self.identity()?;
        Ok(ServerTlsConfig::new().identity(identity).client_ca_root(ca))
    }

    /// A client presenting this party's certificate and accepting only a server whose certificate carries
    /// `server_name` (see [`crate::peer::node_host`] and [`crate::peer::GATEWAY_HOST`]).
    pub fn client(&self, server_name: &str) -> Result<ClientTlsConfig, TlsError> {
        let (identity, ca) = self.identity()?;
        Ok(ClientTlsConfig::new()
            .identity(identity)
            .ca_certificate(ca)
            .domain_name(server_name))
    }
}

impl TlsFiles {
    /// The same client as [`TlsFiles::client`] as a rustls configuration, for a connection the caller drives
    /// itself (the gateway's forwarding path) rather than through a tonic channel. Offers HTTP/2 by ALPN.
    pub fn rustls_client(&self) -> Result<std::sync::Arc<rustls::ClientConfig>, TlsError> {
        // The CA first, so a missing or non-PEM file gets the same message as everywhere else.
        let roots = self.roots()?;
        let (chain, key) = self.own_certificate()?;
        let mut config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|e| self.unreadable("key", &self.key, e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(std::sync::Arc::new(config))
    }

    /// The same server as [`TlsFiles::server`] as a rustls configuration, for a server that drives its own
    /// HTTP/2 connections (the gateway): a client without a certificate from the federation CA, or with an
    /// expired one, does not get past the handshake. Offers HTTP/2 by ALPN.
    pub fn rustls_server(&self) -> Result<std::sync::Arc<rustls::ServerConfig>, TlsError> {
        let roots = self.roots()?;
        let (chain, key) = self.own_certificate()?;
        let verifier = rustls::server::WebPkiClientVerifier::builder(roots.into())
            .build()
            .map_err(|e| self.unreadable("ca", &self.ca, e.to_string()))?;
        let mut config = rustls::ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(|e| self.unreadable("key", &self.key, e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(std::sync::Arc::new(config))
    }

    /// The federation CA as a root store.
    fn roots(&self) -> Result<rustls::RootCertStore, TlsError> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let ca = TlsFiles::read("ca", &self.ca)?;
        let mut roots = rustls::RootCertStore::empty();
        for der in CertificateDer::pem_slice_iter(ca.as_bytes()) {
            let der = der.map_err(|e| self.unreadable("ca", &self.ca, e.to_string()))?;
            roots
                .add(der)
                .map_err(|e| self.unreadable("ca", &self.ca, e.to_string()))?;
        }
        Ok(roots)
    }

    /// This party's certificate chain and private key.
    fn own_certificate(&self) -> Result<CertificateAndKey, TlsError> {
        certificate_and_key(&self.cert, &self.key)
    }

    fn unreadable(&self, key: &'static str, path: &Path, message: String) -> TlsError {
        TlsError {
            key,
            path: path.to_owned(),
            message,
        }
    }
}

/// A server's own certificate and key, for a port that people's clients reach (a node's team API): TLS
/// without client certificates; the caller proves who they are with an API token inside the connection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerIdentity {
    /// The server's certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM); keep it mode 0600.
    pub key: PathBuf,
}

impl ServerIdentity {
    pub fn server(&self) -> Result<ServerTlsConfig, TlsError> {
        let cert = TlsFiles::read("cert", &self.cert)?;
        let key = TlsFiles::read("key", &self.key)?;
        Ok(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)))
    }

    /// The same identity for a port people's browsers reach (a node's web board): no client certificate,
    /// HTTP/2 or HTTP/1.1 by ALPN.
    pub fn rustls_browser(&self) -> Result<std::sync::Arc<rustls::ServerConfig>, TlsError> {
        let (chain, key) = certificate_and_key(&self.cert, &self.key)?;
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TlsError {
                key: "key",
                path: self.key.clone(),
                message: e.to_string(),
            })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(std::sync::Arc::new(config))
    }
}

type CertificateAndKey = (
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
);

/// A certificate chain and its private key from PEM files.
fn certificate_and_key(cert_path: &Path, key_path: &Path) -> Result<CertificateAndKey, TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let unreadable = |key: &'static str, path: &Path, message: String| TlsError {
        key,
        path: path.to_owned(),
        message,
    };
    let cert = TlsFiles::read("cert", cert_path)?;
    let key = TlsFiles::read("key", key_path)?;
    let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unreadable("cert", cert_path, e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
        .map_err(|e| unreadable("key", key_path, e.to_string()))?;
    Ok((chain, key))
}

/// A client that accepts only servers whose certificate the CA in `ca` signed, and presents none itself.
pub fn trusting(ca: &Path) -> Result<ClientTlsConfig, TlsError> {
    let ca = TlsFiles::read("ca", ca)?;
    Ok(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca)))
}

/// Makes ring the process's rustls crypto provider. Call once at start; later calls change nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
