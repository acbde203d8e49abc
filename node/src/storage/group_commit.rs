//! Group commit for new cases. Submissions that arrive while a transaction is being written queue up and go
//! into the next transaction together, as multi-row inserts. Each caller still gets its answer only after its
//! own case is committed. If a shared transaction fails (say, two submits raced on one request id), every
//! submission in it is retried in a transaction of its own, so one bad submission never fails the others.

use super::Storage;
use super::cases::{Submission, insert_many};
use crate::error::{Error, Result};
use tokio::sync::{mpsc, oneshot};

/// Most submissions one transaction takes.
const MAX_BATCH: usize = 128;
/// Submissions waiting beyond this make callers wait for room (back-pressure).
const QUEUE_DEPTH: usize = 4096;

type Job = (Submission, oneshot::Sender<Result<()>>);

/// Hands new cases to the writer task. Cheap to clone; the task ends when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct CaseWriter {
    jobs: mpsc::Sender<Job>,
}

impl CaseWriter {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(storage: Storage) -> CaseWriter {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(write_batches(storage, queue));
        CaseWriter { jobs }
    }

    /// Writes one submission; returns once it is committed (or refused).
    pub async fn write(&self, submission: Submission) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send((submission, reply))
            .await
            .map_err(|_| Error::Storage(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| Error::Storage(sqlx::Error::PoolClosed))?
    }
}

async fn write_batches(storage: Storage, mut queue: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let submissions: Vec<Submission> = batch.iter().map(|(s, _)| s.clone()).collect();
        match write(&storage, &submissions).await {
            Ok(()) => {
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(err) if batch.len() == 1 => {
                let (_, reply) = batch.pop().expect("one job");
                let _ = reply.send(Err(err));
            }
            Err(_) => {
                for (submission, reply) in batch.drain(..) {
                    let _ = reply.send(write(&storage, std::slice::from_ref(&submission)).await);
                }
            }
        }
    }
}

async fn write(storage: &Storage, submissions: &[Submission]) -> Result<()> {
    let mut tx = storage.begin().await?;
    insert_many(&mut tx, storage.backend(), submissions).await?;
    tx.commit().await
}
