//! `expertnet-node retention run`: the scheduled purge, once, now (on the node's machine).

use super::args::RetentionCommand;
use super::open_local;
use anyhow::Result;

pub async fn run(command: RetentionCommand) -> Result<()> {
    let RetentionCommand::Run(database) = command;
    let (config, workflow) = open_local(database).await?;
    let report = workflow
        .purge_expired(&config.retention)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "destroyed {} case files (help ended over {} years ago), {} delivered envelopes, {} audit events (over {} years old)",
        report.cases.len(),
        config.retention.case_years,
        report.envelopes,
        report.audit_events,
        config.retention.audit_years
    );
    Ok(())
}
