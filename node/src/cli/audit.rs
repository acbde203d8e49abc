//! `expertnet-node audit …`: the auditor's commands, over the node's `AuditService`.

use super::args::{AuditCommand, ClientArgs};
use super::client::{answer, audit};
use super::output::{emit, table, timestamp};
use anyhow::{Result, bail};
use expertnet_proto::v1 as pb;

pub async fn run(args: &ClientArgs, command: AuditCommand) -> Result<()> {
    let mut client = audit(args).await?;
    match command {
        AuditCommand::Verify => {
            let reply = answer(client.verify_audit(pb::VerifyAuditRequest {}).await)?;
            emit(&reply, args.json, |r| {
                if r.intact {
                    println!(
                        "intact: {} events checked; head is event {} with hash {}",
                        r.events, r.head_seq, r.head_hash
                    );
                } else {
                    println!("BROKEN: {}", r.problem);
                }
            })?;
            if !reply.intact {
                bail!("the audit trail does not verify: {}", reply.problem);
            }
            Ok(())
        }
        AuditCommand::Export { after } => {
            let mut after_seq = after;
            loop {
                let request = pb::ExportAuditRequest {
                    after_seq,
                    page_size: 0,
                };
                let reply = answer(client.export_audit(request).await)?;
                for event in &reply.events {
                    println!("{}", serde_json::to_string(event)?);
                }
                if reply.next_after_seq == 0 {
                    return Ok(());
                }
                after_seq = reply.next_after_seq;
            }
        }
        AuditCommand::AccessReport { case_id } => {
            let reply = answer(
                client
                    .access_report(pb::AccessReportRequest { case_id })
                    .await,
            )?;
            emit(&reply, args.json, |r| {
                let mut out = table(&["when", "organisation", "role", "what for", "outcome"]);
                for access in &r.accesses {
                    out.add_row(vec![
                        timestamp(access.at_ms),
                        access.organisation.clone(),
                        access.roles.clone(),
                        access.purpose.clone(),
                        access.outcome.clone(),
                    ]);
                }
                println!("accesses to case {}\n{out}", r.case_id);
            })
        }
    }
}
