//! Forwarding an envelope between regions, the gateway's use case apart from any transport: the envelope is
//! checked (its sender, key, tags and legal basis), its targets found by the network's rules ([`crate::routing`]),
//! and the bytes the sender sent passed on as they came to each target's inbox. [`crate::grpc::forwarding`] reads
//! the call below tonic's codec and hands it here.

use crate::error::Error;
use crate::network::Network;
use crate::nodes::{Caller, NodeClients};
use crate::routing::{self, Cargo};
use bytes::Bytes;
use expertnet_federation::{Region, Registry};
use expertnet_proto::v1::envelope::Body;
use expertnet_proto::v1::{Envelope, LegalBasis, RouteReply};
use futures_util::future::join_all;

/// Longest idempotency key a node may choose.
const MAX_KEY_CHARS: usize = 200;
const MAX_TAGS: usize = 16;

/// The network's registry and the connections to its nodes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Forwarder {
    network: Network,
    nodes: NodeClients,
}

impl Forwarder {
    pub fn new(network: Network, nodes: NodeClients) -> Forwarder {
        Forwarder { network, nodes }
    }

    pub fn registry(&self) -> &Registry {
        self.network.registry()
    }

    /// Routes `envelope`, sent by `region` as `framed` on the call `caller`, and passes `framed`
    /// on unchanged to every target.
    pub async fn route_framed(
        &self,
        region: &str,
        envelope: &Envelope,
        framed: Bytes,
        caller: Caller<'_>,
    ) -> Result<RouteReply, Error> {
        if envelope.from_region != region {
            tracing::warn!(
                certificate = %region,
                claimed = %envelope.from_region,
                "refused: envelope claims another region than its sender's certificate"
            );
            return Err(Error::PermissionDenied(format!(
                "from_region: '{}' is not the region of the sender's certificate ({region})",
                envelope.from_region
            )));
        }
        let cargo = check_envelope(envelope)?;
        let targets = routing::targets(
            self.network.registry(),
            region,
            cargo,
            &envelope.to_region,
            &envelope.expertise_tags,
        )?;
        // A named target, nearly every envelope, is one.
        if let [target] = targets[..] {
            let delivered = self.deliver(region, cargo, target, framed, caller).await?;
            return Ok(RouteReply {
                delivered_to: vec![delivered],
            });
        }
        // Every target at once: a question routed by tag waits for the slowest inbox, not for their sum. A
        // partial delivery fails as a whole: the sender retries, and the regions that have it already
        // recognise the key.
        let deliveries = targets
            .into_iter()
            .map(|target| self.deliver(region, cargo, target, framed.clone(), caller));
        let outcomes = join_all(deliveries).await;
        let delivered_to = outcomes.into_iter().collect::<Result<Vec<_>, Error>>()?;
        Ok(RouteReply { delivered_to })
    }

    /// Delivers `framed`, an envelope of `cargo` from `region`, to `target`'s inbox; `target`'s id once it has it.
    async fn deliver(
        &self,
        region: &str,
        cargo: Cargo,
        target: &Region,
        framed: Bytes,
        caller: Caller<'_>,
    ) -> Result<String, Error> {
        match self.nodes.deliver(&target.id, framed, caller).await {
            Ok(receipt) => {
                tracing::debug!(
                    from = %region,
                    to = %target.id,
                    cargo = cargo.as_str(),
                    duplicate = receipt.duplicate,
                    "delivered"
                );
                Ok(target.id.clone())
            }
            Err(err) => {
                tracing::warn!(from = %region, to = %target.id, cargo = cargo.as_str(), error = %err, "not delivered");
                Err(err)
            }
        }
    }
}

fn cargo_of(envelope: &Envelope) -> Result<Cargo, Error> {
    match &envelope.body {
        Some(Body::ConsultationQuestion(_)) => Ok(Cargo::ConsultationQuestion),
        Some(Body::ConsultationReply(_)) => Ok(Cargo::ConsultationReply),
        Some(Body::Escalation(_)) => Ok(Cargo::Escalation),
        Some(Body::EscalationStatus(_)) => Ok(Cargo::EscalationStatus),
        None => Err(Error::invalid("body", "is required")),
    }
}

fn check_envelope(envelope: &Envelope) -> Result<Cargo, Error> {
    // Only ASCII passes, so counting bytes counts characters.
    let key = envelope.key.as_bytes();
    let key_ok = !key.is_empty()
        && key.len() <= MAX_KEY_CHARS
        && key
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'));
    if !key_ok {
        return Err(Error::invalid(
            "key",
            format!("must be 1-{MAX_KEY_CHARS} of A-Z, a-z, 0-9, '-', '_', ':' and '.'"),
        ));
    }
    if envelope.expertise_tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            "expertise_tags",
            format!("at most {MAX_TAGS}"),
        ));
    }
    if let Some(Body::Escalation(package)) = &envelope.body {
        let on_record = [LegalBasis::Consent as i32, LegalBasis::LegalGround as i32];
        if !on_record.contains(&package.legal_basis) {
            return Err(Error::PermissionDenied(
                "escalation.legal_basis: no consent or legal ground on record; a case may not cross without one"
                    .into(),
            ));
        }
    }
    cargo_of(envelope)
}
