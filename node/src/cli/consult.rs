//! `expertnet-node consult …`: consultation and advice.

use super::args::{ClientArgs, ConsultCommand};
use super::client::{answer, consultations, optional_wire, wire};
use super::output::{self, emit};
use crate::domain::{AskerKind, ConsultationStatus};
use anyhow::Result;
use expertnet_proto::v1 as pb;

pub async fn run(args: &ClientArgs, command: ConsultCommand) -> Result<()> {
    let mut client = consultations(args).await?;
    let json = args.json;
    match command {
        ConsultCommand::Ask {
            question,
            tags,
            asker,
            organisation,
            case,
            request_id,
            network,
            region,
        } => {
            let request = pb::AskConsultationRequest {
                request_id,
                asker_kind: wire::<AskerKind>(&asker),
                asker_organisation: organisation,
                question,
                expertise_tags: tags,
                case_id: case,
                to_network: network,
                target_region: region,
            };
            let reply = answer(client.ask_consultation(request).await)?;
            emit(&reply, json, output::print_consultation)
        }
        ConsultCommand::Answer {
            consultation_id,
            expert,
            answer: text,
        } => {
            let request = pb::AnswerConsultationRequest {
                consultation_id,
                expert,
                answer: text,
            };
            let reply = answer(client.answer_consultation(request).await)?;
            emit(&reply, json, output::print_consultation)
        }
        ConsultCommand::Show { consultation_id } => {
            let reply = answer(
                client
                    .get_consultation(pb::GetConsultationRequest { consultation_id })
                    .await,
            )?;
            emit(&reply, json, output::print_consultation)
        }
        ConsultCommand::List {
            status,
            page_size,
            page_token,
        } => {
            let request = pb::ListConsultationsRequest {
                status: optional_wire::<ConsultationStatus>(status.as_deref()),
                page_size,
                page_token,
            };
            let reply = answer(client.list_consultations(request).await)?;
            emit(&reply, json, |r| {
                let mut t = output::table(&["consultation", "status", "tags", "asked", "answers"]);
                for c in &r.consultations {
                    t.add_row(vec![
                        c.id.clone(),
                        output::word(
                            pb::ConsultationStatus::try_from(c.status)
                                .map(|s| s.as_str_name())
                                .unwrap_or(""),
                            "CONSULTATION_STATUS_",
                        ),
                        c.expertise_tags.join(", "),
                        output::timestamp(c.asked_at_ms),
                        c.answers.len().to_string(),
                    ]);
                }
                println!("{t}");
                if !r.next_page_token.is_empty() {
                    println!("more: --page-token {}", r.next_page_token);
                }
            })
        }
    }
}
