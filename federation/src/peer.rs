//! Who is on the other end of a mutual-TLS connection, read from the certificate it presented.
//!
//! Each certificate carries one SPIFFE-style URI in its subject alternative names:
//! `spiffe://expertnet/region/<id>` for a region's node, `spiffe://expertnet/gateway` for the gateway and
//! `spiffe://expertnet/coordinator/<name>` for a supra-regional coordinator. Servers also get a DNS name per
//! role ([`node_host`], [`GATEWAY_HOST`]) that clients verify, so a connection to a region's endpoint only
//! succeeds if the server holds that region's certificate.

use crate::registry::is_region_id;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

const URI_PREFIX: &str = "spiffe://expertnet/";

/// The DNS name the gateway's certificate carries and nodes verify.
pub const GATEWAY_HOST: &str = "gateway.expertnet";

/// The DNS name a region's node certificate carries and the gateway verifies.
pub fn node_host(region: &str) -> String {
    format!("{region}.node.expertnet")
}

/// A party of the federation as its certificate names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Peer {
    Region(String),
    Gateway,
    Coordinator(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeerError {
    #[error("no client certificate was presented")]
    NoCertificate,
    #[error("the client certificate cannot be read")]
    Unreadable,
    #[error("the client certificate names no expertnet identity")]
    NoIdentity,
}

impl Peer {
    /// The URI this party's certificate carries.
    pub fn uri(&self) -> String {
        match self {
            Peer::Region(id) => format!("{URI_PREFIX}region/{id}"),
            Peer::Gateway => format!("{URI_PREFIX}gateway"),
            Peer::Coordinator(name) => format!("{URI_PREFIX}coordinator/{name}"),
        }
    }

    pub fn parse_uri(uri: &str) -> Option<Peer> {
        let rest = uri.strip_prefix(URI_PREFIX)?;
        if rest == "gateway" {
            return Some(Peer::Gateway);
        }
        if let Some(id) = rest.strip_prefix("region/") {
            return is_region_id(id).then(|| Peer::Region(id.to_owned()));
        }
        let name = rest.strip_prefix("coordinator/")?;
        is_region_id(name).then(|| Peer::Coordinator(name.to_owned()))
    }

    /// The identity in a DER certificate. The TLS layer has already checked the chain and validity.
    pub fn from_der(der: &[u8]) -> Result<Peer, PeerError> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|_| PeerError::Unreadable)?;
        let names = cert
            .subject_alternative_name()
            .map_err(|_| PeerError::Unreadable)?
            .ok_or(PeerError::NoIdentity)?;
        names
            .value
            .general_names
            .iter()
            .find_map(|name| match name {
                GeneralName::URI(uri) => Peer::parse_uri(uri),
                _ => None,
            })
            .ok_or(PeerError::NoIdentity)
    }

    /// The identity in the first (leaf) certificate of those a TLS client presented.
    pub fn of_certificates(
        certs: Option<Arc<Vec<CertificateDer<'static>>>>,
    ) -> Result<Peer, PeerError> {
        let leaf = certs
            .as_deref()
            .and_then(|certs| certs.first())
            .ok_or(PeerError::NoCertificate)?;
        Peer::from_der(leaf.as_ref())
    }

    /// The identity of the caller of a gRPC request served over mutual TLS.
    pub fn of_request<T>(request: &tonic::Request<T>) -> Result<Peer, PeerError> {
        Peer::of_certificates(request.peer_certs())
    }
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Peer::Region(id) => write!(f, "region {id}"),
            Peer::Gateway => f.write_str("the gateway"),
            Peer::Coordinator(name) => write!(f, "coordinator {name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip_and_reject_strangers() {
        for peer in [
            Peer::Region("rivierenland".into()),
            Peer::Gateway,
            Peer::Coordinator("ilse".into()),
        ] {
            assert_eq!(Peer::parse_uri(&peer.uri()), Some(peer));
        }
        for bad in [
            "spiffe://other/region/lekstroom",
            "spiffe://expertnet/region/Lek Stroom",
            "spiffe://expertnet/region/",
            "spiffe://expertnet/admin",
        ] {
            assert_eq!(Peer::parse_uri(bad), None, "{bad}");
        }
    }
}
