//! The node's place in the federation, as the workflow needs it: its own region, the registry (who exists,
//! who has a covenant with whom) and the bell that wakes the courier when the outbox has something new.

use super::Workflow;
use crate::domain::federation::Outgoing;
use crate::error::{Error, Result};
use crate::federation::envelope;
use crate::storage::{self, Transaction};
use expertnet_federation::Registry;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct FederationLink {
    pub region: String,
    pub registry: Arc<Registry>,
    pub outbox_ready: Arc<Notify>,
}

impl FederationLink {
    pub fn new(region: impl Into<String>, registry: Arc<Registry>) -> FederationLink {
        FederationLink {
            region: region.into(),
            registry,
            outbox_ready: Arc::new(Notify::new()),
        }
    }

    /// Checks that `region` (given in `field`) is another region of the registry.
    pub fn check_partner(&self, field: &str, region: &str) -> Result<()> {
        if region == self.region {
            return Err(Error::invalid(field, "is this node's own region"));
        }
        if self.registry.get(region).is_none() {
            return Err(Error::not_found("region", region));
        }
        Ok(())
    }

    /// Checks that case data may go to `region`: a data-exchange covenant binds both.
    pub fn check_covenant(&self, field: &str, region: &str) -> Result<()> {
        self.check_partner(field, region)?;
        if !self.registry.have_covenant(&self.region, region) {
            return Err(Error::PermissionDenied(format!(
                "no data-exchange covenant between {} and {region}: case data may not go there",
                self.region
            )));
        }
        Ok(())
    }
}

impl Workflow {
    /// Connects this workflow to the federation: it may then send and receive across regions.
    pub fn federated(mut self, link: FederationLink) -> Workflow {
        self.federation = Some(link);
        self
    }

    pub fn federation(&self) -> Option<&FederationLink> {
        self.federation.as_ref()
    }

    pub(crate) fn link(&self) -> Result<&FederationLink> {
        self.federation.as_ref().ok_or_else(|| {
            Error::FailedPrecondition(
                "this node is not part of a federation (its configuration has no [federation] section)"
                    .into(),
            )
        })
    }

    /// Puts `outgoing` in the outbox inside the caller's transaction.
    pub(crate) async fn enqueue(&self, tx: &mut Transaction, outgoing: &Outgoing) -> Result<()> {
        let link = self.link()?;
        let json = envelope::to_json(&envelope::encode(&link.region, outgoing));
        storage::outbox::enqueue(
            tx,
            &outgoing.key,
            outgoing.crossing.kind(),
            &outgoing.destination.to_string(),
            &json,
            self.now(),
        )
        .await
    }

    /// Tells the courier the outbox may have something new; call after committing.
    pub(crate) fn wake_courier(&self) {
        if let Some(link) = &self.federation {
            link.outbox_ready.notify_one();
        }
    }
}
