//! Every action × every state, over gRPC against a real node: legal pairs succeed and move the case where the
//! lifecycle says; illegal ones are FAILED_PRECONDITION naming the states, and leave the case untouched.

use expertnet_proto::v1 as pb;
use expertnet_tests::fixtures::{ACTOR, FUTURE, case_ref, date, new_commitment};
use expertnet_tests::{TestNode, spawn_node};
use pb::CaseState::*;
use tonic::Code;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rpc {
    StartIntake,
    Accept,
    Return,
    Schedule,
    RecordDiscussion,
    StartPlan,
    Close,
    AddCommitment,
    AppointProcesregisseur,
    AssignCaseManager,
    AddTask,
    AddProgressNote,
    RecordAttendance,
}

const ALL_RPCS: [Rpc; 13] = [
    Rpc::StartIntake,
    Rpc::Accept,
    Rpc::Return,
    Rpc::Schedule,
    Rpc::RecordDiscussion,
    Rpc::StartPlan,
    Rpc::Close,
    Rpc::AddCommitment,
    Rpc::AppointProcesregisseur,
    Rpc::AssignCaseManager,
    Rpc::AddTask,
    Rpc::AddProgressNote,
    Rpc::RecordAttendance,
];

const ALL_STATES: [pb::CaseState; 8] = [
    Submitted, Intake, Scheduled, Discussed, InProgress, Closed, Returned, Escalated,
];

/// The lifecycle as the issue describes it, written out independently of the node's rule table.
fn expected(rpc: Rpc, state: pb::CaseState) -> Option<pb::CaseState> {
    match (rpc, state) {
        (Rpc::StartIntake, Submitted) => Some(Intake),
        (Rpc::Accept, Intake) => Some(Intake),
        (Rpc::Return, Submitted | Intake) => Some(Returned),
        (Rpc::Schedule, Intake | Discussed | InProgress) => Some(Scheduled),
        (Rpc::RecordDiscussion, Scheduled) => Some(Discussed),
        (Rpc::StartPlan, Discussed) => Some(InProgress),
        (Rpc::Close, Discussed | InProgress) => Some(Closed),
        (Rpc::AddCommitment | Rpc::AssignCaseManager | Rpc::AddTask, Discussed | InProgress) => {
            Some(state)
        }
        (Rpc::AppointProcesregisseur, Scheduled | Discussed | InProgress) => Some(state),
        (Rpc::AddProgressNote, Intake | Scheduled | Discussed | InProgress | Escalated) => {
            Some(state)
        }
        (Rpc::RecordAttendance, Scheduled | Discussed) => Some(state),
        _ => None,
    }
}

async fn call(
    node: &TestNode,
    rpc: Rpc,
    case_id: &str,
    session: Option<String>,
) -> Result<(), tonic::Status> {
    let mut cases = node.cases.clone();
    let mut sessions = node.sessions.clone();
    let id = case_id.to_owned();
    match rpc {
        Rpc::StartIntake => cases.start_intake(case_ref(&id)).await.map(drop),
        Rpc::Accept => cases.accept_case(case_ref(&id)).await.map(drop),
        Rpc::Return => cases
            .return_case(pb::ReturnCaseRequest {
                case_id: id,
                actor: ACTOR.into(),
                reason: "past niet".into(),
            })
            .await
            .map(drop),
        Rpc::Schedule => {
            let session_id = node.new_session().await;
            sessions
                .add_to_agenda(pb::AddToAgendaRequest {
                    session_id,
                    case_id: id,
                    actor: ACTOR.into(),
                })
                .await
                .map(drop)
        }
        Rpc::RecordDiscussion => {
            let session_id = match session {
                Some(s) => s,
                None => node.new_session().await,
            };
            cases
                .record_discussion(pb::RecordDiscussionRequest {
                    case_id: id,
                    session_id,
                    actor: ACTOR.into(),
                    summary: String::new(),
                    next_step: "Volgende stap".into(),
                    regie_holder: String::new(),
                    commitments: vec![],
                })
                .await
                .map(drop)
        }
        Rpc::StartPlan => cases.start_plan(case_ref(&id)).await.map(drop),
        Rpc::Close => cases
            .close_case(pb::CloseCaseRequest {
                case_id: id,
                actor: ACTOR.into(),
                outcome: pb::Outcome::PartlySolved as i32,
                closing_note: String::new(),
            })
            .await
            .map(drop),
        Rpc::AddCommitment => cases
            .add_commitment(pb::AddCommitmentRequest {
                case_id: id,
                actor: ACTOR.into(),
                commitment: Some(new_commitment("Pluryn")),
            })
            .await
            .map(drop),
        Rpc::AppointProcesregisseur => cases
            .appoint_procesregisseur(pb::AppointProcesregisseurRequest {
                case_id: id,
                actor: ACTOR.into(),
                name: "P. Regisseur".into(),
                organisation: "RET".into(),
                replacement_reason: String::new(),
            })
            .await
            .map(drop),
        Rpc::AssignCaseManager => cases
            .assign_case_manager(pb::AssignCaseManagerRequest {
                case_id: id,
                actor: ACTOR.into(),
                arrangement: "verblijf".into(),
                case_manager: "C. Manager".into(),
                organisation: "Pluryn".into(),
            })
            .await
            .map(drop),
        Rpc::AddTask => cases
            .add_task(pb::AddTaskRequest {
                case_id: id,
                actor: ACTOR.into(),
                description: "Plan opstellen".into(),
                owner: "Sociaal team".into(),
                due: date(FUTURE),
            })
            .await
            .map(drop),
        Rpc::AddProgressNote => cases
            .add_progress_note(pb::AddProgressNoteRequest {
                case_id: id,
                author: ACTOR.into(),
                text: "Voortgang".into(),
            })
            .await
            .map(drop),
        Rpc::RecordAttendance => {
            let session_id = match session {
                Some(s) => s,
                None => node.new_session().await,
            };
            sessions
                .record_attendance(pb::RecordAttendanceRequest {
                    session_id,
                    case_id: id,
                    actor: ACTOR.into(),
                    attendees: vec![pb::Attendee {
                        role: pb::AttendeeRole::Provider as i32,
                        organisation: "Accare".into(),
                    }],
                    youth_present: true,
                    parents_present: true,
                })
                .await
                .map(drop)
        }
    }
}

fn word(state: pb::CaseState) -> String {
    state
        .as_str_name()
        .trim_start_matches("CASE_STATE_")
        .to_ascii_lowercase()
}

#[tokio::test]
async fn every_action_in_every_state() {
    let node = spawn_node().await;
    let (mut legal, mut illegal) = (0, 0);
    for rpc in ALL_RPCS {
        for state in ALL_STATES {
            let (case_id, session) = node.case_in(state, rpc != Rpc::Accept).await;
            let (before, history_before) = node.state_of(&case_id).await;
            assert_eq!(before, state);
            let result = call(&node, rpc, &case_id, session).await;
            let (after, history_after) = node.state_of(&case_id).await;
            match expected(rpc, state) {
                Some(target) => {
                    result.unwrap_or_else(|s| {
                        panic!("{rpc:?} from {state:?} refused: {}", s.message())
                    });
                    assert_eq!(after, target, "{rpc:?} from {state:?}");
                    assert_eq!(
                        history_after,
                        history_before + 1,
                        "{rpc:?} from {state:?} leaves one entry"
                    );
                    legal += 1;
                }
                None => {
                    let status =
                        result.expect_err(&format!("{rpc:?} from {state:?} must be refused"));
                    assert_eq!(
                        status.code(),
                        Code::FailedPrecondition,
                        "{rpc:?} from {state:?}: {}",
                        status.message()
                    );
                    assert!(
                        status.message().contains(&word(state)),
                        "{}",
                        status.message()
                    );
                    assert!(
                        status.message().starts_with("cannot"),
                        "{}",
                        status.message()
                    );
                    assert_eq!(
                        (after, history_after),
                        (before, history_before),
                        "{rpc:?} from {state:?} wrote"
                    );
                    illegal += 1;
                }
            }
        }
    }
    assert_eq!(legal + illegal, 13 * 8);
    assert_eq!(legal, 27);
    node.stop().await;
}

#[tokio::test]
async fn illegal_transition_names_both_states() {
    let node = spawn_node().await;
    let (id, _) = node.case_in(Scheduled, true).await;
    let status = node
        .cases
        .clone()
        .start_plan(case_ref(&id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        status.message(),
        "cannot move case from scheduled to in_progress (start_plan is allowed from: discussed)"
    );
    node.stop().await;
}
