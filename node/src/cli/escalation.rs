//! `expertnet-node escalation …` and `expertnet-node outbox …`: consent, handing cases to other regions, and
//! the outbox with its dead letters.

use super::args::{ClientArgs, EscalationCommand, OutboxCommand};
use super::client::{answer, escalations, optional_wire, outbox as outbox_client, wire};
use super::output::{self, emit};
use crate::domain::{DeliveryState, EscalationDirection, LegalBasis};
use anyhow::Result;
use expertnet_proto::v1 as pb;

pub async fn run(args: &ClientArgs, command: EscalationCommand) -> Result<()> {
    let mut client = escalations(args).await?;
    let json = args.json;
    match command {
        EscalationCommand::Consent {
            case_id,
            basis,
            given_by,
            note,
            scope,
            to,
            valid_until,
        } => {
            let request = pb::RecordConsentRequest {
                case_id,
                actor: args.actor()?,
                basis: wire::<LegalBasis>(&basis),
                given_by,
                note,
                scope,
                scope_target: to,
                valid_until: (!valid_until.is_empty()).then_some(pb::Date { iso: valid_until }),
            };
            let reply = answer(client.record_consent(request).await)?;
            emit(&reply, json, output::print_consent)
        }
        EscalationCommand::Withdraw {
            case_id,
            sequence,
            reason,
        } => {
            let request = pb::WithdrawConsentRequest {
                case_id,
                sequence,
                actor: args.actor()?,
                reason,
            };
            let reply = answer(client.withdraw_consent(request).await)?;
            emit(&reply, json, output::print_withdrawal)
        }
        EscalationCommand::Send {
            case_id,
            to,
            reason,
            question,
            tried,
        } => {
            let request = pb::EscalateCaseRequest {
                case_id,
                actor: args.actor()?,
                to_region: to,
                reason,
                question: question.unwrap_or_default(),
                tried_so_far: tried.unwrap_or_default(),
            };
            let reply = answer(client.escalate_case(request).await)?;
            emit(&reply, json, |e| {
                output::print_escalations(std::slice::from_ref(e))
            })
        }
        EscalationCommand::List { direction } => {
            let request = pb::ListEscalationsRequest {
                direction: optional_wire::<EscalationDirection>(direction.as_deref()),
            };
            let reply = answer(client.list_escalations(request).await)?;
            emit(&reply, json, |r| output::print_escalations(&r.escalations))
        }
    }
}

pub async fn outbox(args: &ClientArgs, command: OutboxCommand) -> Result<()> {
    let mut client = outbox_client(args).await?;
    let json = args.json;
    match command {
        OutboxCommand::List { state, limit } => {
            let request = pb::ListOutboxRequest {
                state: optional_wire::<DeliveryState>(state.as_deref()),
                limit,
            };
            let reply = answer(client.list_outbox(request).await)?;
            emit(&reply, json, |r| output::print_outbox(&r.entries))
        }
        OutboxCommand::Replay { key } => {
            let request = pb::ReplayDeadLetterRequest {
                key,
                actor: args.actor()?,
            };
            let reply = answer(client.replay_dead_letter(request).await)?;
            emit(&reply, json, |e| {
                output::print_outbox(std::slice::from_ref(e))
            })
        }
    }
}
