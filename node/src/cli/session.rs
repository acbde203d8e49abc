//! `expertnet-node session …`: planning sessions, agendas and attendance.

use super::args::{ClientArgs, SessionCommand};
use super::client::{answer, sessions, wire};
use super::output::{self, emit};
use crate::domain::AttendeeRole;
use anyhow::{Result, bail};
use expertnet_proto::v1 as pb;

fn optional_date(iso: String) -> Option<pb::Date> {
    (!iso.is_empty()).then_some(pb::Date { iso })
}

pub async fn run(args: &ClientArgs, command: SessionCommand) -> Result<()> {
    let mut client = sessions(args).await?;
    let json = args.json;
    match command {
        SessionCommand::Create {
            date,
            start,
            duration_minutes,
            location,
            chair,
        } => {
            let request = pb::CreateSessionRequest {
                date: Some(pb::Date { iso: date }),
                start_time: start,
                duration_minutes,
                location,
                chair,
                actor: args.actor()?,
            };
            let reply = answer(client.create_session(request).await)?;
            emit(&reply, json, output::print_session)
        }
        SessionCommand::Show { session_id } => {
            let reply = answer(
                client
                    .get_session(pb::GetSessionRequest { session_id })
                    .await,
            )?;
            emit(&reply, json, output::print_session)
        }
        SessionCommand::List { from, to } => {
            let request = pb::ListSessionsRequest {
                from: optional_date(from),
                to: optional_date(to),
            };
            let reply = answer(client.list_sessions(request).await)?;
            emit(&reply, json, |r| {
                r.sessions.iter().for_each(output::print_session)
            })
        }
        SessionCommand::AgendaAdd {
            session_id,
            case_id,
        } => {
            let request = pb::AddToAgendaRequest {
                session_id,
                case_id,
                actor: args.actor()?,
            };
            let reply = answer(client.add_to_agenda(request).await)?;
            emit(&reply, json, output::print_session)
        }
        SessionCommand::Attendance {
            session_id,
            case_id,
            attendees,
            youth_present,
            parents_present,
        } => {
            let attendees = attendees
                .iter()
                .enumerate()
                .map(|(i, a)| parse_attendee(i, a))
                .collect::<Result<_>>()?;
            let request = pb::RecordAttendanceRequest {
                session_id,
                case_id,
                actor: args.actor()?,
                attendees,
                youth_present,
                parents_present,
            };
            let reply = answer(client.record_attendance(request).await)?;
            emit(&reply, json, |a| {
                println!(
                    "{} attendees recorded; youth present: {}, parents present: {}",
                    a.attendees.len(),
                    a.youth_present,
                    a.parents_present
                )
            })
        }
    }
}

/// `ROLE` or `ROLE:ORGANISATION`.
fn parse_attendee(index: usize, text: &str) -> Result<pb::Attendee> {
    let (role, organisation) = text.split_once(':').unwrap_or((text, ""));
    if AttendeeRole::parse(role.trim()).is_none() {
        let known: Vec<&str> = AttendeeRole::ALL.iter().map(|r| r.as_str()).collect();
        bail!(
            "--attendee[{index}]: unknown role '{role}' (one of {})",
            known.join(", ")
        );
    }
    Ok(pb::Attendee {
        role: wire::<AttendeeRole>(role.trim()),
        organisation: organisation.trim().to_owned(),
    })
}
