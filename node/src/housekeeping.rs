//! The node's scheduled job: destroys what the retention policy says is past keeping, at start and then every
//! `interval_secs`, until the node stops.

use crate::workflow::{RetentionPolicy, Workflow};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running job; [`Housekeeping::stop`] ends it between two runs.
#[derive(Debug)]
pub struct Housekeeping {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Housekeeping {
    pub fn start(workflow: Workflow, policy: RetentionPolicy) -> Housekeeping {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                if let Err(err) = workflow.purge_expired(&policy).await {
                    tracing::error!(error = %err, "retention run failed; trying again next time");
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(policy.interval_secs)) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        Housekeeping { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
