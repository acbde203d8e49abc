//! The writer of the audit trail. Events that arrive while a batch is being written go into the next
//! transaction together (group commit), so auditing every read costs one transaction per batch, not per read;
//! each caller still waits until its own event is committed, so nothing is shown before it is on record.

use super::chain::NewAuditEvent;
use crate::error::{Error, Result};
use crate::storage::{self, Storage};
use tokio::sync::{mpsc, oneshot};

const MAX_BATCH: usize = 256;
const QUEUE_DEPTH: usize = 4096;

type Job = (NewAuditEvent, oneshot::Sender<Result<()>>);

/// Hands events to the writer task. Cheap to clone; the task ends when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct AuditTrail {
    jobs: mpsc::Sender<Job>,
}

impl AuditTrail {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(storage: Storage) -> AuditTrail {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(write_batches(storage, queue));
        AuditTrail { jobs }
    }

    /// Appends one event; returns once it is committed.
    pub async fn record(&self, event: NewAuditEvent) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let closed = || Error::Storage(sqlx::Error::PoolClosed);
        self.jobs.send((event, reply)).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn write_batches(storage: Storage, mut queue: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let events = batch.iter().map(|(event, _)| event.clone()).collect();
        let written = write(&storage, events).await;
        for (_, reply) in batch.drain(..) {
            let _ = reply.send(match &written {
                Ok(()) => Ok(()),
                Err(err) => Err(Error::Unavailable(format!(
                    "the audit trail could not be written: {err}"
                ))),
            });
        }
    }
}

async fn write(storage: &Storage, events: Vec<NewAuditEvent>) -> Result<()> {
    let mut tx = storage.begin().await?;
    storage::audit::append(&mut tx, events).await?;
    tx.commit().await
}
