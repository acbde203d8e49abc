//! The writer of the audit trail: events go in by group commit, so auditing every read costs one transaction
//! per batch, not per read; each caller still waits until its own event is committed, so nothing is shown before
//! it is on record.

use super::chain::NewAuditEvent;
use crate::error::{Error, Result};
use crate::storage::group_commit::{GroupCommit, OnFailure};
use crate::storage::{self, Storage};

const MAX_BATCH: usize = 256;

/// Hands events to the writer task. Cheap to clone; the task ends when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct AuditTrail {
    writer: GroupCommit<NewAuditEvent>,
}

impl AuditTrail {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(storage: Storage) -> AuditTrail {
        AuditTrail {
            writer: GroupCommit::start(
                storage,
                MAX_BATCH,
                |storage, events| Box::pin(write(storage, events)),
                OnFailure::FailAll(|err| {
                    Error::Unavailable(format!("the audit trail could not be written: {err}"))
                }),
            ),
        }
    }

    /// Appends one event; returns once it is committed.
    pub async fn record(&self, event: NewAuditEvent) -> Result<()> {
        self.writer.write(event).await
    }
}

async fn write(storage: Storage, events: Vec<NewAuditEvent>) -> Result<()> {
    let mut tx = storage.begin().await?;
    storage::audit::append(&mut tx, events).await?;
    tx.commit().await
}
