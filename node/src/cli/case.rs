//! `expertnet-node case …` and `overdue`: the case workflow from the command line.

use super::args::{
    CaseCommand, ClientArgs, CommitArgs, DiscussArgs, ListArgs, OverdueArgs, SubmitArgs,
    TaskCommand,
};
use super::client::{answer, cases, optional_wire, wire};
use super::output::{self, emit};
use crate::access::SignedChannel;
use crate::domain::*;
use anyhow::{Result, bail};
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::case_service_client::CaseServiceClient;

/// What a call answers, before `answer` makes a CLI error of a refusal.
type Reply<T> = std::result::Result<tonic::Response<T>, tonic::Status>;

pub async fn run(args: &ClientArgs, command: CaseCommand) -> Result<()> {
    let mut client = cases(args).await?;
    let json = args.json;
    match command {
        CaseCommand::Submit(submit) => {
            summary(json, client.submit_case(submit_request(submit)?).await)
        }
        CaseCommand::Intake { case_id } => {
            summary(json, client.start_intake(case_ref(args, case_id)?).await)
        }
        CaseCommand::Accept { case_id } => {
            summary(json, client.accept_case(case_ref(args, case_id)?).await)
        }
        CaseCommand::Return { case_id, reason } => {
            let request = pb::ReturnCaseRequest {
                case_id,
                actor: args.actor()?,
                reason,
            };
            summary(json, client.return_case(request).await)
        }
        CaseCommand::Show { case_id } => {
            let reply = answer(client.get_case(pb::GetCaseRequest { case_id }).await)?;
            emit(&reply, json, output::print_detail)
        }
        CaseCommand::List(list) => {
            let reply = answer(client.list_cases(list_request(list)).await)?;
            emit(&reply, json, |r| {
                output::print_summaries(&r.cases);
                if !r.next_page_token.is_empty() {
                    println!("more: --page-token {}", r.next_page_token);
                }
            })
        }
        CaseCommand::Identity { case_id } => {
            let request = pb::GetYouthIdentityRequest { case_id };
            let reply = answer(client.get_youth_identity(request).await)?;
            emit(&reply, json, |y| {
                println!(
                    "name: {}\nbsn: {}\ndate of birth: {}",
                    y.name, y.bsn, y.date_of_birth
                );
            })
        }
        CaseCommand::Discuss(discuss) => {
            let request = discussion_request(args, discuss)?;
            summary(json, client.record_discussion(request).await)
        }
        CaseCommand::Commit(commit) => {
            let request = commitment_request(args, commit)?;
            commitment(json, client.add_commitment(request).await)
        }
        CaseCommand::Commitment {
            commitment_id,
            status,
        } => {
            let request = pb::UpdateCommitmentRequest {
                commitment_id,
                actor: args.actor()?,
                status: wire::<CommitmentStatus>(&status),
            };
            commitment(json, client.update_commitment(request).await)
        }
        CaseCommand::Procesregisseur {
            case_id,
            name,
            organisation,
            replacement_reason,
        } => {
            let request = pb::AppointProcesregisseurRequest {
                case_id,
                actor: args.actor()?,
                name,
                organisation,
                replacement_reason: replacement_reason.unwrap_or_default(),
            };
            let reply = answer(client.appoint_procesregisseur(request).await)?;
            emit(&reply, json, |p| {
                println!("procesregisseur: {} ({})", p.name, p.organisation)
            })
        }
        CaseCommand::CaseManager {
            case_id,
            arrangement,
            name,
            organisation,
        } => {
            let request = pb::AssignCaseManagerRequest {
                case_id,
                actor: args.actor()?,
                arrangement,
                case_manager: name,
                organisation,
            };
            let reply = answer(client.assign_case_manager(request).await)?;
            emit(&reply, json, |a| {
                println!(
                    "care arrangement {}: case manager {} ({})",
                    a.arrangement, a.case_manager, a.organisation
                )
            })
        }
        CaseCommand::Plan { case_id } => {
            summary(json, client.start_plan(case_ref(args, case_id)?).await)
        }
        CaseCommand::Task(command) => task(&mut client, args, command).await,
        CaseCommand::Note { case_id, text } => {
            let request = pb::AddProgressNoteRequest {
                case_id,
                author: args.actor()?,
                text,
            };
            let reply = answer(client.add_progress_note(request).await)?;
            emit(&reply, json, |n| {
                println!("note recorded at {}", output::timestamp(n.at_ms))
            })
        }
        CaseCommand::Close {
            case_id,
            outcome,
            note,
        } => {
            let request = pb::CloseCaseRequest {
                case_id,
                actor: args.actor()?,
                outcome: wire::<Outcome>(&outcome),
                closing_note: note,
            };
            summary(json, client.close_case(request).await)
        }
    }
}

/// `case task add` and `case task update`.
async fn task(
    client: &mut CaseServiceClient<SignedChannel>,
    args: &ClientArgs,
    command: TaskCommand,
) -> Result<()> {
    let reply = match command {
        TaskCommand::Add {
            case_id,
            what,
            owner,
            due,
        } => {
            let request = pb::AddTaskRequest {
                case_id,
                actor: args.actor()?,
                description: what,
                owner,
                due: Some(pb::Date { iso: due }),
            };
            client.add_task(request).await
        }
        TaskCommand::Update { task_id, status } => {
            let request = pb::UpdateTaskRequest {
                task_id,
                actor: args.actor()?,
                status: wire::<TaskStatus>(&status),
            };
            client.update_task(request).await
        }
    };
    emit(&answer(reply)?, args.json, |t| {
        output::print_tasks(std::slice::from_ref(t))
    })
}

/// A case's summary, as every move of a case answers.
fn summary(json: bool, reply: Reply<pb::CaseSummary>) -> Result<()> {
    emit(&answer(reply)?, json, output::print_summary)
}

fn commitment(json: bool, reply: Reply<pb::Commitment>) -> Result<()> {
    emit(&answer(reply)?, json, |c| {
        output::print_commitments(std::slice::from_ref(c))
    })
}

pub async fn overdue(args: &ClientArgs, overdue: OverdueArgs) -> Result<()> {
    let mut client = cases(args).await?;
    let as_of = (!overdue.as_of.is_empty()).then_some(pb::Date { iso: overdue.as_of });
    let reply = answer(
        client
            .list_overdue(pb::ListOverdueRequest {
                as_of,
                limit: overdue.limit,
            })
            .await,
    )?;
    emit(&reply, args.json, |r| {
        println!("overdue before {}", output::date(&r.as_of));
        output::print_commitments(&r.commitments);
        output::print_tasks(&r.tasks);
    })
}

fn case_ref(args: &ClientArgs, case_id: String) -> Result<pb::CaseRef> {
    Ok(pb::CaseRef {
        case_id,
        actor: args.actor()?,
    })
}

/// The youth's identifiers as `--youth-stdin` reads them.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct YouthOnStdin {
    name: String,
    #[serde(default)]
    bsn: String,
    #[serde(default)]
    date_of_birth: String,
}

fn youth(s: &SubmitArgs) -> Result<pb::YouthIdentity> {
    if !s.youth_stdin {
        return Ok(pb::YouthIdentity {
            name: s.name.clone().unwrap_or_default(),
            bsn: s.bsn.clone(),
            date_of_birth: s.date_of_birth.clone(),
        });
    }
    // serde_json's own message can quote the value it choked on; this one gives only the position.
    let read: YouthOnStdin = serde_json::from_reader(std::io::stdin().lock()).map_err(|e| {
        anyhow::anyhow!(
            "--youth-stdin: expected a JSON object with string fields name, bsn and date_of_birth \
                 (problem at line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    Ok(pb::YouthIdentity {
        name: read.name,
        bsn: read.bsn,
        date_of_birth: read.date_of_birth,
    })
}

fn submit_request(s: SubmitArgs) -> Result<pb::SubmitCaseRequest> {
    Ok(pb::SubmitCaseRequest {
        youth: Some(youth(&s)?),
        request_id: s.request_id.unwrap_or_default(),
        referrer: Some(pb::Referrer {
            organisation: s.referrer,
            kind: wire::<ReferrerKind>(&s.referrer_kind),
        }),
        age: s.age,
        municipality: s.municipality,
        question: s.question,
        tried_so_far: s.tried,
        categories: s
            .categories
            .iter()
            .map(|c| wire::<BottleneckCategory>(c))
            .collect(),
    })
}

fn list_request(l: ListArgs) -> pb::ListCasesRequest {
    pb::ListCasesRequest {
        state: l
            .state
            .as_deref()
            .and_then(CaseState::parse)
            .map(crate::grpc::convert::wire_enum)
            .unwrap_or(0),
        category: optional_wire::<BottleneckCategory>(l.category.as_deref()),
        municipality: l.municipality.unwrap_or_default(),
        session_id: l.session.unwrap_or_default(),
        overdue_only: l.overdue,
        page_size: l.page_size,
        page_token: l.page_token,
    }
}

fn commitment_request(args: &ClientArgs, c: CommitArgs) -> Result<pb::AddCommitmentRequest> {
    Ok(pb::AddCommitmentRequest {
        case_id: c.case_id,
        actor: args.actor()?,
        commitment: Some(pb::NewCommitment {
            provider: c.provider,
            description: c.what,
            due: Some(pb::Date { iso: c.due }),
            authority_confirmed: c.authority_confirmed,
        }),
    })
}

fn discussion_request(args: &ClientArgs, d: DiscussArgs) -> Result<pb::RecordDiscussionRequest> {
    let commitments = d
        .commitments
        .iter()
        .enumerate()
        .map(|(i, text)| parse_commitment(i, text))
        .collect::<Result<_>>()?;
    Ok(pb::RecordDiscussionRequest {
        case_id: d.case_id,
        session_id: d.session,
        actor: args.actor()?,
        summary: d.summary,
        next_step: d.next_step,
        regie_holder: d.regie,
        commitments,
    })
}

/// Parses `provider=..; due=YYYY-MM-DD; what=..; authority=yes|no`.
fn parse_commitment(index: usize, text: &str) -> Result<pb::NewCommitment> {
    let mut commitment = pb::NewCommitment::default();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            bail!("--commitment[{index}]: '{part}' is not key=value");
        };
        let value = value.trim().to_owned();
        match key.trim() {
            "provider" => commitment.provider = value,
            "due" => commitment.due = Some(pb::Date { iso: value }),
            "what" => commitment.description = value,
            "authority" => {
                commitment.authority_confirmed = match value.as_str() {
                    "yes" | "true" => true,
                    "no" | "false" => false,
                    _ => bail!("--commitment[{index}].authority: say yes or no"),
                }
            }
            other => bail!(
                "--commitment[{index}]: unknown key '{other}' (provider, due, what, authority)"
            ),
        }
    }
    Ok(commitment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_text_is_parsed_and_bad_keys_are_named() {
        let c = parse_commitment(
            0,
            "provider=Accare; due=2026-12-01; what=crisis bed; authority=yes",
        )
        .unwrap();
        assert_eq!(c.provider, "Accare");
        assert!(c.authority_confirmed);
        assert_eq!(c.due.unwrap().iso, "2026-12-01");
        let err = parse_commitment(2, "provider=X; colour=red").unwrap_err();
        assert!(err.to_string().starts_with("--commitment[2]"), "{err}");
        assert!(parse_commitment(0, "authority=maybe").is_err());
    }
}
