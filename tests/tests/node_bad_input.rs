//! Bad input over gRPC: each refusal carries a precise status code and a message naming the field, and
//! nothing is written — checked by counting rows in every table before and after.

use expertnet_proto::v1 as pb;
use expertnet_tests::fixtures::{ACTOR, FUTURE, case_ref, date, new_commitment, submit_request};
use expertnet_tests::{TABLES, TestNode, spawn_node};
use pb::CaseState::*;
use tonic::Code;

async fn snapshot(node: &TestNode) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(node.rows(table).await);
    }
    counts
}

#[track_caller]
fn refused<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, tonic::Status>,
    code: Code,
    field: &str,
) {
    let status = result.expect_err("request must be refused");
    assert_eq!(status.code(), code, "{}", status.message());
    assert!(
        status.message().contains(field),
        "message '{}' does not name '{field}'",
        status.message()
    );
}

fn with(change: impl FnOnce(&mut pb::SubmitCaseRequest)) -> pb::SubmitCaseRequest {
    let mut request = submit_request("");
    change(&mut request);
    request
}

#[tokio::test]
async fn bad_submissions_name_the_field_and_write_nothing() {
    let node = spawn_node().await;
    let mut cases = node.cases.clone();
    cases.submit_case(submit_request("first")).await.unwrap();
    let before = snapshot(&node).await;
    let invalid = Code::InvalidArgument;
    let cases_to_refuse = vec![
        (with(|r| r.question = "   ".into()), invalid, "question"),
        (with(|r| r.question = "x".repeat(4001)), invalid, "question"),
        (
            with(|r| r.tried_so_far = String::new()),
            invalid,
            "tried_so_far",
        ),
        (
            with(|r| r.municipality = "a\nb".into()),
            invalid,
            "municipality",
        ),
        (with(|r| r.categories = vec![]), invalid, "categories"),
        (with(|r| r.categories = vec![99]), invalid, "categories[0]"),
        (
            with(|r| r.categories = vec![3, 3]),
            invalid,
            "categories[1]",
        ),
        (with(|r| r.age = 31), invalid, "age"),
        (with(|r| r.referrer = None), invalid, "referrer"),
        (
            with(|r| r.referrer.as_mut().unwrap().kind = 0),
            invalid,
            "referrer.kind",
        ),
        (
            with(|r| r.referrer.as_mut().unwrap().kind = 7),
            invalid,
            "referrer.kind",
        ),
        (
            with(|r| r.referrer.as_mut().unwrap().organisation = "".into()),
            invalid,
            "referrer.organisation",
        ),
        (with(|r| r.youth = None), invalid, "youth"),
        (
            with(|r| r.youth.as_mut().unwrap().name = " ".into()),
            invalid,
            "youth.name",
        ),
        (
            with(|r| r.youth.as_mut().unwrap().bsn = "123456789".into()),
            invalid,
            "youth.bsn",
        ),
        (
            with(|r| r.youth.as_mut().unwrap().bsn = "12345".into()),
            invalid,
            "youth.bsn",
        ),
        (
            with(|r| r.youth.as_mut().unwrap().date_of_birth = "2011-02-30".into()),
            invalid,
            "youth.date_of_birth",
        ),
        (
            with(|r| r.youth.as_mut().unwrap().date_of_birth = "2027-01-01".into()),
            invalid,
            "youth.date_of_birth",
        ),
        (with(|r| r.age = 9), invalid, "age"),
        (
            with(|r| r.request_id = "has spaces".into()),
            invalid,
            "request_id",
        ),
        (
            with(|r| {
                r.request_id = "first".into();
                r.question = "Een andere vraag".into();
            }),
            Code::AlreadyExists,
            "request_id",
        ),
    ];
    for (request, code, field) in cases_to_refuse {
        refused(cases.submit_case(request).await, code, field);
    }
    assert_eq!(
        snapshot(&node).await,
        before,
        "a refused submission wrote something"
    );
    node.stop().await;
}

#[tokio::test]
async fn bad_workflow_requests_name_the_field_and_write_nothing() {
    let node = spawn_node().await;
    let mut cases = node.cases.clone();
    let mut sessions = node.sessions.clone();
    let mut consultations = node.consultations.clone();
    let (scheduled, session) = node.case_in(Scheduled, true).await;
    let session = session.unwrap();
    let (in_progress, _) = node.case_in(InProgress, true).await;
    let (unaccepted, _) = node.case_in(Intake, false).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let before = snapshot(&node).await;

    // Ids: malformed is INVALID_ARGUMENT, unknown is NOT_FOUND.
    refused(
        cases.start_intake(case_ref("not-an-id")).await,
        Code::InvalidArgument,
        "case_id",
    );
    refused(
        cases.start_intake(case_ref(&unknown)).await,
        Code::NotFound,
        &unknown,
    );
    refused(
        cases
            .get_case(pb::GetCaseRequest {
                case_id: unknown.clone(),
            })
            .await,
        Code::NotFound,
        "case",
    );
    refused(
        cases
            .get_youth_identity(pb::GetYouthIdentityRequest {
                case_id: unknown.clone(),
            })
            .await,
        Code::NotFound,
        "case",
    );
    // Without an `actor` (it only says on whose behalf), the case's state still decides.
    refused(
        cases
            .start_intake(pb::CaseRef {
                case_id: scheduled.clone(),
                actor: "".into(),
            })
            .await,
        Code::FailedPrecondition,
        "scheduled",
    );

    // A discussion must end in a next step; a commitment needs a provider; due dates are real and ahead.
    let discussion = |change: &dyn Fn(&mut pb::RecordDiscussionRequest)| {
        let mut request = pb::RecordDiscussionRequest {
            case_id: scheduled.clone(),
            session_id: session.clone(),
            actor: ACTOR.into(),
            summary: String::new(),
            next_step: "Volgende stap".into(),
            regie_holder: String::new(),
            commitments: vec![new_commitment("Accare")],
        };
        change(&mut request);
        request
    };
    refused(
        cases
            .record_discussion(discussion(&|r| r.next_step = "  ".into()))
            .await,
        Code::InvalidArgument,
        "next_step",
    );
    refused(
        cases
            .record_discussion(discussion(&|r| r.commitments[0].provider = String::new()))
            .await,
        Code::InvalidArgument,
        "commitments[0].provider",
    );
    refused(
        cases
            .record_discussion(discussion(&|r| r.commitments[0].due = date("2026-02-31")))
            .await,
        Code::InvalidArgument,
        "commitments[0].due",
    );
    refused(
        cases
            .record_discussion(discussion(&|r| r.commitments[0].due = date("2026-01-01")))
            .await,
        Code::InvalidArgument,
        "commitments[0].due",
    );
    refused(
        cases
            .record_discussion(discussion(&|r| r.commitments[0].due = None))
            .await,
        Code::InvalidArgument,
        "commitments[0].due",
    );
    let other_session = node.new_session().await;
    let before = {
        let mut b = before;
        b[4] += 1; // the session just created
        b
    };
    refused(
        cases
            .record_discussion(discussion(&|r| r.session_id = other_session.clone()))
            .await,
        Code::FailedPrecondition,
        "not on the agenda",
    );
    refused(
        cases
            .add_commitment(pb::AddCommitmentRequest {
                case_id: in_progress.clone(),
                actor: ACTOR.into(),
                commitment: None,
            })
            .await,
        Code::InvalidArgument,
        "commitment",
    );

    // Agenda: duplicates, unaccepted cases, unknown sessions.
    refused(
        sessions
            .add_to_agenda(pb::AddToAgendaRequest {
                session_id: session.clone(),
                case_id: scheduled.clone(),
                actor: ACTOR.into(),
            })
            .await,
        Code::AlreadyExists,
        "case_id",
    );
    refused(
        sessions
            .add_to_agenda(pb::AddToAgendaRequest {
                session_id: session.clone(),
                case_id: unaccepted.clone(),
                actor: ACTOR.into(),
            })
            .await,
        Code::FailedPrecondition,
        "not been accepted",
    );
    refused(
        sessions
            .add_to_agenda(pb::AddToAgendaRequest {
                session_id: unknown.clone(),
                case_id: unaccepted.clone(),
                actor: ACTOR.into(),
            })
            .await,
        Code::NotFound,
        "session",
    );

    // Sessions: impossible dates and times, overlong durations.
    let create = |change: &dyn Fn(&mut pb::CreateSessionRequest)| {
        let mut request = pb::CreateSessionRequest {
            date: date(FUTURE),
            start_time: "13:30".into(),
            duration_minutes: 0,
            location: "Stadshuis".into(),
            chair: "Voorzitter".into(),
            actor: ACTOR.into(),
        };
        change(&mut request);
        request
    };
    refused(
        sessions
            .create_session(create(&|r| r.date = date("2026-13-01")))
            .await,
        Code::InvalidArgument,
        "date",
    );
    refused(
        sessions
            .create_session(create(&|r| r.start_time = "25:00".into()))
            .await,
        Code::InvalidArgument,
        "start_time",
    );
    refused(
        sessions
            .create_session(create(&|r| r.duration_minutes = 10_000))
            .await,
        Code::InvalidArgument,
        "duration_minutes",
    );
    refused(
        sessions
            .create_session(create(&|r| r.location = String::new()))
            .await,
        Code::InvalidArgument,
        "location",
    );

    // Attendance: youth and parents by role only; roles must be known.
    let attendance = |attendees: Vec<pb::Attendee>| pb::RecordAttendanceRequest {
        session_id: session.clone(),
        case_id: scheduled.clone(),
        actor: ACTOR.into(),
        attendees,
        youth_present: true,
        parents_present: false,
    };
    refused(
        sessions
            .record_attendance(attendance(vec![pb::Attendee {
                role: pb::AttendeeRole::Youth as i32,
                organisation: "naam".into(),
            }]))
            .await,
        Code::InvalidArgument,
        "attendees[0].organisation",
    );
    refused(
        sessions
            .record_attendance(attendance(vec![pb::Attendee {
                role: 77,
                organisation: "x".into(),
            }]))
            .await,
        Code::InvalidArgument,
        "attendees[0].role",
    );

    // Plan: tasks, procesregisseur, closing.
    refused(
        cases
            .add_task(pb::AddTaskRequest {
                case_id: in_progress.clone(),
                actor: ACTOR.into(),
                description: "Plan".into(),
                owner: "".into(),
                due: date(FUTURE),
            })
            .await,
        Code::InvalidArgument,
        "owner",
    );
    refused(
        cases
            .add_task(pb::AddTaskRequest {
                case_id: in_progress.clone(),
                actor: ACTOR.into(),
                description: "Plan".into(),
                owner: "Team".into(),
                due: date("yesterday"),
            })
            .await,
        Code::InvalidArgument,
        "due",
    );
    refused(
        cases
            .update_task(pb::UpdateTaskRequest {
                task_id: unknown.clone(),
                actor: ACTOR.into(),
                status: pb::TaskStatus::Done as i32,
            })
            .await,
        Code::NotFound,
        "task",
    );
    refused(
        cases
            .update_commitment(pb::UpdateCommitmentRequest {
                commitment_id: unknown.clone(),
                actor: ACTOR.into(),
                status: pb::CommitmentStatus::Open as i32,
            })
            .await,
        Code::InvalidArgument,
        "status",
    );
    refused(
        cases
            .close_case(pb::CloseCaseRequest {
                case_id: in_progress.clone(),
                actor: ACTOR.into(),
                outcome: 0,
                closing_note: "".into(),
            })
            .await,
        Code::InvalidArgument,
        "outcome",
    );
    refused(
        cases
            .close_case(pb::CloseCaseRequest {
                case_id: in_progress.clone(),
                actor: ACTOR.into(),
                outcome: 42,
                closing_note: "".into(),
            })
            .await,
        Code::InvalidArgument,
        "outcome",
    );
    refused(
        cases
            .return_case(pb::ReturnCaseRequest {
                case_id: unaccepted.clone(),
                actor: ACTOR.into(),
                reason: "".into(),
            })
            .await,
        Code::InvalidArgument,
        "reason",
    );

    // Lists: page sizes and tokens.
    refused(
        cases
            .list_cases(pb::ListCasesRequest {
                page_size: 501,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "page_size",
    );
    refused(
        cases
            .list_cases(pb::ListCasesRequest {
                page_token: "garbage".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "page_token",
    );
    refused(
        cases
            .list_cases(pb::ListCasesRequest {
                state: 40,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "state",
    );
    refused(
        cases
            .list_overdue(pb::ListOverdueRequest {
                as_of: date("2026-02-30"),
                limit: 0,
            })
            .await,
        Code::InvalidArgument,
        "as_of",
    );
    refused(
        sessions
            .list_sessions(pb::ListSessionsRequest {
                from: date("2026-05-01"),
                to: date("2026-04-01"),
            })
            .await,
        Code::InvalidArgument,
        "to",
    );

    // Consultations.
    let ask = |change: &dyn Fn(&mut pb::AskConsultationRequest)| {
        let mut request = pb::AskConsultationRequest {
            request_id: String::new(),
            asker_kind: pb::AskerKind::Parent as i32,
            asker_organisation: String::new(),
            question: "Waar kunnen we terecht?".into(),
            expertise_tags: vec!["lvb".into()],
            case_id: String::new(),
            ..Default::default()
        };
        change(&mut request);
        request
    };
    refused(
        consultations
            .ask_consultation(ask(&|r| r.asker_organisation = "Accare".into()))
            .await,
        Code::InvalidArgument,
        "asker_organisation",
    );
    refused(
        consultations
            .ask_consultation(ask(&|r| r.asker_kind = 0))
            .await,
        Code::InvalidArgument,
        "asker_kind",
    );
    refused(
        consultations
            .ask_consultation(ask(&|r| r.expertise_tags = vec!["Mooi Tag!".into()]))
            .await,
        Code::InvalidArgument,
        "expertise_tags[0]",
    );
    refused(
        consultations
            .ask_consultation(ask(&|r| r.question = String::new()))
            .await,
        Code::InvalidArgument,
        "question",
    );
    refused(
        consultations
            .ask_consultation(ask(&|r| r.case_id = unknown.clone()))
            .await,
        Code::NotFound,
        "case",
    );
    refused(
        consultations
            .answer_consultation(pb::AnswerConsultationRequest {
                consultation_id: unknown.clone(),
                expert: "E".into(),
                answer: "A".into(),
            })
            .await,
        Code::NotFound,
        "consultation",
    );

    assert_eq!(
        snapshot(&node).await,
        before,
        "a refused request wrote something"
    );
    node.stop().await;
}

#[tokio::test]
async fn state_bound_refusals_write_nothing() {
    let node = spawn_node().await;
    let mut cases = node.cases.clone();
    let (in_progress, _) = node.case_in(InProgress, true).await;
    let task = cases
        .add_task(pb::AddTaskRequest {
            case_id: in_progress.clone(),
            actor: ACTOR.into(),
            description: "Plan".into(),
            owner: "Team".into(),
            due: date(FUTURE),
        })
        .await
        .unwrap()
        .into_inner();
    cases
        .update_task(pb::UpdateTaskRequest {
            task_id: task.id.clone(),
            actor: ACTOR.into(),
            status: pb::TaskStatus::Done as i32,
        })
        .await
        .unwrap();
    let appoint = |reason: &str| pb::AppointProcesregisseurRequest {
        case_id: in_progress.clone(),
        actor: ACTOR.into(),
        name: "P".into(),
        organisation: "RET".into(),
        replacement_reason: reason.into(),
    };
    cases.appoint_procesregisseur(appoint("")).await.unwrap();
    let before = snapshot(&node).await;
    refused(
        cases
            .update_task(pb::UpdateTaskRequest {
                task_id: task.id.clone(),
                actor: ACTOR.into(),
                status: pb::TaskStatus::Open as i32,
            })
            .await,
        Code::FailedPrecondition,
        "already done",
    );
    refused(
        cases.appoint_procesregisseur(appoint("")).await,
        Code::FailedPrecondition,
        "replacement_reason",
    );
    refused(
        cases.accept_case(case_ref(&in_progress)).await,
        Code::FailedPrecondition,
        "in_progress",
    );
    assert_eq!(snapshot(&node).await, before);
    cases
        .appoint_procesregisseur(appoint("vertrokken"))
        .await
        .unwrap();
    node.stop().await;
}

#[tokio::test]
async fn oversized_request_is_refused() {
    let node = spawn_node().await;
    let mut request = submit_request("");
    request.tried_so_far = "x".repeat(2 * 1024 * 1024);
    let status = node.cases.clone().submit_case(request).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{}", status.message());
    assert_eq!(node.rows("cases").await, 0);
    node.stop().await;
}

#[tokio::test]
async fn plan_items_of_a_closed_case_cannot_change() {
    let node = spawn_node().await;
    let mut cases = node.cases.clone();
    let (id, _) = node.case_in(InProgress, true).await;
    let task = cases
        .add_task(pb::AddTaskRequest {
            case_id: id.clone(),
            actor: ACTOR.into(),
            description: "Plan".into(),
            owner: "Team".into(),
            due: date(FUTURE),
        })
        .await
        .unwrap()
        .into_inner();
    let detail = cases
        .get_case(pb::GetCaseRequest {
            case_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let commitment = detail.commitments[0].id.clone();
    cases
        .close_case(pb::CloseCaseRequest {
            case_id: id.clone(),
            actor: ACTOR.into(),
            outcome: pb::Outcome::Solved as i32,
            closing_note: String::new(),
        })
        .await
        .unwrap();
    let before = snapshot(&node).await;
    refused(
        cases
            .update_task(pb::UpdateTaskRequest {
                task_id: task.id,
                actor: ACTOR.into(),
                status: pb::TaskStatus::Done as i32,
            })
            .await,
        Code::FailedPrecondition,
        "closed",
    );
    refused(
        cases
            .update_commitment(pb::UpdateCommitmentRequest {
                commitment_id: commitment,
                actor: ACTOR.into(),
                status: pb::CommitmentStatus::Delivered as i32,
            })
            .await,
        Code::FailedPrecondition,
        "closed",
    );
    assert_eq!(snapshot(&node).await, before);
    node.stop().await;
}
