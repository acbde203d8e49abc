//! The development PKI: a federation CA and a certificate per node, the gateway and coordinators.
//!
//! Everything lives in one folder: `ca.pem` / `ca.key`, and `<name>.pem` / `<name>.key` per party, where the
//! name is `gateway`, `region-<id>` or `coordinator-<name>`. Private keys are written with mode 0600 and the
//! folder with 0700. Production deployments bring certificates from their own CA with the same SAN layout.

use crate::peer::{GATEWAY_HOST, Peer, node_host};
use crate::registry::Registry;
use crate::tls::TlsFiles;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// How long a certificate issued by the dev PKI is valid.
const LEAF_VALIDITY: Duration = Duration::days(825);
const CA_VALIDITY: Duration = Duration::days(3650);

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("pki: {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("pki: {0}")]
    Certificate(#[from] rcgen::Error),
}

/// The validity window of a certificate to issue.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// From an hour ago (clock skew) for `length`.
    pub fn from_now(length: Duration) -> Validity {
        let now = OffsetDateTime::now_utc();
        Validity {
            not_before: now - Duration::hours(1),
            not_after: now + length,
        }
    }
}

/// A PKI folder.
#[derive(Debug, Clone)]
pub struct Pki {
    dir: PathBuf,
}

/// Everyone in `registry`'s federation who needs a certificate: the gateway, every region, every area's
/// coordinators, and the coordinators named in `coordinators` — each once.
pub fn parties(registry: &Registry, coordinators: &[String]) -> Vec<Peer> {
    let mut parties = vec![Peer::Gateway];
    parties.extend(registry.regions().map(|r| Peer::Region(r.id.clone())));
    let area_coordinators = registry.areas().iter().flat_map(|a| a.coordinators.iter());
    for name in coordinators.iter().chain(area_coordinators) {
        let coordinator = Peer::Coordinator(name.clone());
        if !parties.contains(&coordinator) {
            parties.push(coordinator);
        }
    }
    parties
}

impl Pki {
    pub fn at(dir: impl Into<PathBuf>) -> Pki {
        Pki { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The file stem a party's certificate and key are stored under.
    pub fn file_stem(peer: &Peer) -> String {
        match peer {
            Peer::Region(id) => format!("region-{id}"),
            Peer::Gateway => "gateway".into(),
            Peer::Coordinator(name) => format!("coordinator-{name}"),
        }
    }

    /// The certificate, key and CA a party presents and trusts.
    pub fn files(&self, peer: &Peer) -> TlsFiles {
        let stem = Pki::file_stem(peer);
        TlsFiles {
            ca: self.ca_cert(),
            cert: self.dir.join(format!("{stem}.pem")),
            key: self.dir.join(format!("{stem}.key")),
        }
    }

    /// Creates the CA if the folder has none, then a certificate for every party that lacks one. Returns the
    /// parties it issued a certificate for.
    pub fn ensure(&self, parties: &[Peer]) -> Result<Vec<Peer>, PkiError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|source| self.io_error(&self.dir, source))?;
        if !self.ca_cert().exists() {
            self.create_ca()?;
        }
        let mut issued = Vec::new();
        for peer in parties {
            if !self.files(peer).cert.exists() {
                self.issue(peer, Validity::from_now(LEAF_VALIDITY))?;
                issued.push(peer.clone());
            }
        }
        Ok(issued)
    }

    fn create_ca(&self) -> Result<(), PkiError> {
        let key = KeyPair::generate()?;
        let cert = ca_params(Validity::from_now(CA_VALIDITY)).self_signed(&key)?;
        self.write(&self.dir.join("ca.key"), &key.serialize_pem(), true)?;
        self.write(&self.ca_cert(), &cert.pem(), false)
    }

    /// Issues (or reissues) a certificate for `peer` signed by this folder's CA.
    pub fn issue(&self, peer: &Peer, validity: Validity) -> Result<TlsFiles, PkiError> {
        let ca_key_path = self.dir.join("ca.key");
        let ca_key = KeyPair::from_pem(&self.read(&ca_key_path)?)?;
        let issuer = Issuer::from_ca_cert_pem(&self.read(&self.ca_cert())?, ca_key)?;
        let key = KeyPair::generate()?;
        let cert = leaf_params(peer, validity)?.signed_by(&key, &issuer)?;
        let files = self.files(peer);
        self.write(&files.key, &key.serialize_pem(), true)?;
        self.write(&files.cert, &cert.pem(), false)?;
        Ok(files)
    }

    fn read(&self, path: &Path) -> Result<String, PkiError> {
        fs::read_to_string(path).map_err(|source| self.io_error(path, source))
    }

    fn write(&self, path: &Path, text: &str, secret: bool) -> Result<(), PkiError> {
        let mode = if secret { 0o600 } else { 0o644 };
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(path)
            .map_err(|source| self.io_error(path, source))?;
        file.write_all(text.as_bytes())
            .map_err(|source| self.io_error(path, source))
    }

    fn io_error(&self, path: &Path, source: std::io::Error) -> PkiError {
        PkiError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

fn ca_params(validity: Validity) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name("expertnet federation CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params
}

fn leaf_params(peer: &Peer, validity: Validity) -> Result<CertificateParams, PkiError> {
    let host = match peer {
        Peer::Region(id) => node_host(id),
        Peer::Gateway => GATEWAY_HOST.to_owned(),
        Peer::Coordinator(name) => format!("{name}.coordinator.expertnet"),
    };
    let mut params = CertificateParams::default();
    params.distinguished_name = name(&peer.to_string());
    params.subject_alt_names = vec![
        SanType::URI(peer.uri().try_into()?),
        SanType::DnsName(host.try_into()?),
    ];
    if let Peer::Region(_) = peer {
        // A dev node also serves its team API on this machine with this certificate; clients dial it by
        // address. The federation's own checks use the URI and role name above, which these do not touch.
        params.subject_alt_names.extend([
            SanType::DnsName("localhost".try_into()?),
            SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])),
        ]);
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    // Nodes both serve (their inbox) and call (the gateway), so every certificate is good for both ends.
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.use_authority_key_identifier_extension = true;
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    Ok(params)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "expertnet");
    name.push(DnType::CommonName, common_name);
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn issues_certificates_naming_their_party_with_private_keys() {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::at(dir.path().join("pki"));
        let parties = [Peer::Region("lekstroom".into()), Peer::Gateway];
        assert_eq!(pki.ensure(&parties).unwrap(), parties);
        assert!(
            pki.ensure(&parties).unwrap().is_empty(),
            "second run keeps what exists"
        );
        for peer in &parties {
            let files = pki.files(peer);
            let mode = fs::metadata(&files.key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", files.key.display());
            let pem = fs::read_to_string(&files.cert).unwrap();
            let der = x509_parser::pem::parse_x509_pem(pem.as_bytes())
                .unwrap()
                .1
                .contents;
            assert_eq!(&Peer::from_der(&der).unwrap(), peer);
        }
        let ca_key = fs::metadata(pki.dir().join("ca.key")).unwrap();
        assert_eq!(ca_key.permissions().mode() & 0o777, 0o600);
        let folder = fs::metadata(pki.dir()).unwrap();
        assert_eq!(folder.permissions().mode() & 0o777, 0o700);
    }
}
