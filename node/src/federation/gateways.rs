//! The gateway replicas a node talks to. A node may name several gateways that share one statistics store; it
//! keeps calling the one that last answered, and when that one cannot be reached (the connection refused or
//! broken, or no reply within the call's time) it tries the next, so a replica killed mid-call costs a retry, not
//! a message. Retrying is safe for every call a node makes: envelopes carry their idempotency key and the
//! receiving node recognises one it has already taken, a signals push replaces the last, a heartbeat is a beat.

use expertnet_proto::v1::gateway_service_client::GatewayServiceClient;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tonic::Status;
use tonic::transport::Channel;

/// The gateway URLs in a node's configuration: `gateway = "https://…"` for one, or a list of the replicas in the
/// order the node tries them first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayUrls(Vec<String>);

impl GatewayUrls {
    pub fn one(url: impl Into<String>) -> GatewayUrls {
        GatewayUrls(vec![url.into()])
    }

    pub fn replicas(urls: impl IntoIterator<Item = impl Into<String>>) -> GatewayUrls {
        GatewayUrls(urls.into_iter().map(Into::into).collect())
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for GatewayUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

impl Serialize for GatewayUrls {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for GatewayUrls {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<GatewayUrls, D::Error> {
        struct UrlOrList;
        impl<'de> serde::de::Visitor<'de> for UrlOrList {
            type Value = GatewayUrls;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a gateway URL, or a list of the gateway replicas' URLs")
            }
            fn visit_str<E: serde::de::Error>(self, url: &str) -> Result<GatewayUrls, E> {
                Ok(GatewayUrls::one(url))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<GatewayUrls, A::Error> {
                let mut urls = Vec::new();
                while let Some(url) = seq.next_element::<String>()? {
                    urls.push(url);
                }
                Ok(GatewayUrls(urls))
            }
        }
        deserializer.deserialize_any(UrlOrList)
    }
}

/// Why a configured list of gateways cannot be used.
pub fn check(urls: &GatewayUrls) -> Result<(), String> {
    if urls.0.is_empty() {
        return Err("names no gateway; give one URL or a list of the replicas".into());
    }
    for (i, url) in urls.0.iter().enumerate() {
        if !url.starts_with("https://") {
            return Err(format!("'{url}' must be an https:// URL"));
        }
        if urls.0[..i].contains(url) {
            return Err(format!("'{url}' is named twice"));
        }
    }
    Ok(())
}

/// One client per replica and the one calls go to now.
#[derive(Debug, Clone)]
pub struct Gateways {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    replicas: Vec<Replica>,
    current: AtomicUsize,
}

#[derive(Debug)]
struct Replica {
    url: String,
    client: GatewayServiceClient<Channel>,
}

impl Gateways {
    /// `replicas` as (URL, channel), in the order they are tried first; at least one.
    pub fn new(replicas: Vec<(String, Channel)>) -> Gateways {
        assert!(!replicas.is_empty(), "a node needs at least one gateway");
        Gateways {
            inner: Arc::new(Inner {
                replicas: replicas
                    .into_iter()
                    .map(|(url, channel)| Replica {
                        url,
                        client: GatewayServiceClient::new(channel),
                    })
                    .collect(),
                current: AtomicUsize::new(0),
            }),
        }
    }

    /// Every replica, for what each must hear (the heartbeat).
    pub fn each(&self) -> impl Iterator<Item = (&str, GatewayServiceClient<Channel>)> {
        self.inner
            .replicas
            .iter()
            .map(|r| (r.url.as_str(), r.client.clone()))
    }

    /// Makes `call` on the current replica, and on the next ones while a replica cannot be reached; each replica
    /// is tried at most once. An attempt that has no reply within `within` counts as unreachable. What a replica
    /// answered, success or refusal, is returned as it is.
    pub async fn call<T, F, Fut>(&self, within: Duration, mut call: F) -> Result<T, Status>
    where
        F: FnMut(GatewayServiceClient<Channel>) -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        let replicas = &self.inner.replicas;
        let mut last = None;
        for _ in 0..replicas.len() {
            let i = self.inner.current.load(Ordering::Acquire);
            let replica = &replicas[i];
            let status = match tokio::time::timeout(within, call(replica.client.clone())).await {
                Ok(Ok(reply)) => return Ok(reply),
                Ok(Err(status)) if !unreachable(&status) => return Err(status),
                Ok(Err(status)) => status,
                Err(_) => Status::deadline_exceeded(format!(
                    "the gateway at {} did not answer within {within:?}",
                    replica.url
                )),
            };
            let next = (i + 1) % replicas.len();
            // Only the first caller to find this replica gone moves on; the others then use its choice.
            if replicas.len() > 1
                && self
                    .inner
                    .current
                    .compare_exchange(i, next, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                tracing::warn!(
                    gateway = %replica.url,
                    next = %replicas[next].url,
                    code = ?status.code(),
                    "gateway unreachable; trying the next replica"
                );
            }
            last = Some(status);
        }
        Err(last.expect("at least one replica was tried"))
    }
}

/// Whether a failed call never got an answer from the replica: tonic made the status itself from a transport
/// error (connection refused, reset or closed), rather than reading one the gateway sent.
fn unreachable(status: &Status) -> bool {
    std::error::Error::source(status).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Section {
        gateway: GatewayUrls,
    }

    #[test]
    fn one_url_or_a_list_of_replicas() {
        let one: Section = toml::from_str(r#"gateway = "https://a:1""#).unwrap();
        assert_eq!(one.gateway.as_slice(), ["https://a:1"]);
        assert_eq!(
            toml::to_string(&one).unwrap().trim(),
            r#"gateway = "https://a:1""#
        );
        let two: Section = toml::from_str(r#"gateway = ["https://a:1", "https://b:1"]"#).unwrap();
        assert_eq!(two.gateway.as_slice(), ["https://a:1", "https://b:1"]);
        assert_eq!(
            toml::from_str::<Section>(&toml::to_string(&two).unwrap()).unwrap(),
            two
        );
        let wrong = toml::from_str::<Section>("gateway = 5")
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("a gateway URL, or a list"), "{wrong}");
    }

    #[test]
    fn a_list_must_name_distinct_https_gateways() {
        assert!(check(&GatewayUrls::replicas(["https://a:1", "https://b:1"])).is_ok());
        let none = check(&GatewayUrls::replicas(Vec::<String>::new())).unwrap_err();
        assert!(none.contains("names no gateway"), "{none}");
        let plain = check(&GatewayUrls::replicas(["https://a:1", "http://b:1"])).unwrap_err();
        assert!(
            plain.contains("'http://b:1' must be an https:// URL"),
            "{plain}"
        );
        let twice = check(&GatewayUrls::replicas(["https://a:1", "https://a:1"])).unwrap_err();
        assert!(twice.contains("named twice"), "{twice}");
    }

    #[test]
    fn only_a_status_tonic_made_from_a_transport_error_means_unreachable() {
        assert!(!unreachable(&Status::unavailable("region down")));
        let broken = Status::from_error(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert!(unreachable(&broken));
    }
}
