//! New cases by group commit, as multi-row inserts. If a shared transaction fails (say, two submits raced on one
//! request id), every submission in it is retried in a transaction of its own, so one bad submission never fails
//! the others.

use super::Storage;
use super::cases::{Submission, insert_many};
use super::group_commit::{GroupCommit, OnFailure};
use crate::error::Result;

/// Most submissions one transaction takes.
const MAX_BATCH: usize = 128;

/// Hands new cases to the writer task. Cheap to clone; the task ends when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct CaseWriter {
    writer: GroupCommit<Submission>,
}

impl CaseWriter {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(storage: Storage) -> CaseWriter {
        CaseWriter {
            writer: GroupCommit::start(
                storage,
                MAX_BATCH,
                |storage, submissions| Box::pin(write(storage, submissions)),
                OnFailure::RetryEach,
            ),
        }
    }

    /// Writes one submission; returns once it is committed (or refused).
    pub async fn write(&self, submission: Submission) -> Result<()> {
        self.writer.write(submission).await
    }
}

async fn write(storage: Storage, submissions: Vec<Submission>) -> Result<()> {
    let mut tx = storage.begin().await?;
    insert_many(&mut tx, storage.backend(), &submissions).await?;
    tx.commit().await
}
