//! Group commit: items that arrive while a transaction is being written queue up and go into the next
//! transaction together. Each caller still gets its answer only after its own item is committed (or refused).
//! Used for new cases (multi-row inserts) and the audit trail (one transaction per batch of events, not per read).

use super::Storage;
use crate::error::{Error, Result};
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

/// Items waiting beyond this make callers wait for room (back-pressure).
const QUEUE_DEPTH: usize = 4096;

type Job<T> = (T, oneshot::Sender<Result<()>>);

/// Writes one batch in one transaction.
pub type WriteBatch<T> =
    fn(Storage, Vec<T>) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'static>>;

/// What the callers of a batch that failed get.
#[derive(Debug, Clone, Copy)]
pub enum OnFailure {
    /// Every item is written again in a transaction of its own, so one bad item never fails the others.
    RetryEach,
    /// Every caller gets the error, mapped by this function.
    FailAll(fn(&Error) -> Error),
}

/// Hands items to the writer task. Cheap to clone; the task ends when the last clone is dropped.
#[derive(Debug)]
pub struct GroupCommit<T> {
    jobs: mpsc::Sender<Job<T>>,
}

impl<T> Clone for GroupCommit<T> {
    fn clone(&self) -> GroupCommit<T> {
        GroupCommit {
            jobs: self.jobs.clone(),
        }
    }
}

impl<T: Clone + Send + 'static> GroupCommit<T> {
    /// Starts the writer task on the current tokio runtime: at most `max_batch` items per transaction.
    pub fn start(
        storage: Storage,
        max_batch: usize,
        write: WriteBatch<T>,
        on_failure: OnFailure,
    ) -> GroupCommit<T> {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(write_batches(storage, queue, max_batch, write, on_failure));
        GroupCommit { jobs }
    }

    /// Writes one item; returns once it is committed (or refused).
    pub async fn write(&self, item: T) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let closed = || Error::Storage(sqlx::Error::PoolClosed);
        self.jobs.send((item, reply)).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn write_batches<T: Clone>(
    storage: Storage,
    mut queue: mpsc::Receiver<Job<T>>,
    max_batch: usize,
    write: WriteBatch<T>,
    on_failure: OnFailure,
) {
    let mut batch: Vec<Job<T>> = Vec::with_capacity(max_batch);
    while queue.recv_many(&mut batch, max_batch).await > 0 {
        let items: Vec<T> = batch.iter().map(|(item, _)| item.clone()).collect();
        match (write(storage.clone(), items).await, on_failure) {
            (Ok(()), _) => {
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(()));
                }
            }
            (Err(err), OnFailure::RetryEach) if batch.len() == 1 => {
                let (_, reply) = batch.pop().expect("one job");
                let _ = reply.send(Err(err));
            }
            (Err(_), OnFailure::RetryEach) => {
                for (item, reply) in batch.drain(..) {
                    let _ = reply.send(write(storage.clone(), vec![item]).await);
                }
            }
            (Err(err), OnFailure::FailAll(map)) => {
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(map(&err)));
                }
            }
        }
    }
}
