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

const INVALID: Code = Code::InvalidArgument;

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
    let cases_to_refuse = vec![
        (with(|r| r.question = "   ".into()), INVALID, "question"),
        (with(|r| r.question = "x".repeat(4001)), INVALID, "question"),
        (
            with(|r| r.tried_so_far = String::new()),
            INVALID,
            "tried_so_far",
        ),
        (
            with(|r| r.municipality = "a\nb".into()),
            INVALID,
            "municipality",
        ),
        (with(|r| r.categories = vec![]), INVALID, "categories"),
        (with(|r| r.categories = vec![99]), INVALID, "categories[0]"),
        (
            with(|r| r.categories = vec![3, 3]),
            INVALID,
            "categories[1]",
        ),
        (with(|r| r.age = 31), INVALID, "age"),
        (with(|r| r.referrer = None), INVALID, "referrer"),
        (
            with(|r| r.referrer.as_mut().unwrap().kind = 0),
            INVALID,
            "referrer.kind",
        ),
        (
            with(|r| r.referrer.as_mut().unwrap().kind = 7),
            INVALID,
            "referrer.kind",
        ),
        (
            with(|r| r.referrer.as_mut().unwrap().organisation = "".into()),
            INVALID,
            "referrer.organisation",
        ),
        (with(|r| r.youth = None), INVALID, "youth"),
        (
            with(|r| r.youth.as_mut().unwrap().name = " ".into()),
            INVALID,
            "youth.name",
        ),
        (
            with(|r| r.youth.as_mut().unwrap().bsn = "123456789".into()),
            INVALID,
            "youth.bsn",
        ),
        (
            with(|r| r.youth.as_mut().unwrap().bsn = "12345".into()),
            INVALID,
            "youth.bsn",
        ),
        (
            with(|r| r.youth.as_mut().unwrap().date_of_birth = "2011-02-30".into()),
            INVALID,
            "youth.date_of_birth",
        ),
        (
            with(|r| r.youth.as_mut().unwrap().date_of_birth = "2027-01-01".into()),
            INVALID,
            "youth.date_of_birth",
        ),
        (with(|r| r.age = 9), INVALID, "age"),
        (
            with(|r| r.request_id = "has spaces".into()),
            INVALID,
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

/// A node with a case in each state the workflow refusals need, and a count of every table's rows.
struct Workflow {
    node: TestNode,
    scheduled: String,
    session: String,
    in_progress: String,
    unaccepted: String,
    /// An id no record has.
    unknown: String,
    before: Vec<i64>,
}

impl Workflow {
    async fn start() -> Workflow {
        let node = spawn_node().await;
        let (scheduled, session) = node.case_in(Scheduled, true).await;
        let (in_progress, _) = node.case_in(InProgress, true).await;
        let (unaccepted, _) = node.case_in(Intake, false).await;
        let before = snapshot(&node).await;
        Workflow {
            node,
            scheduled,
            session: session.expect("a scheduled case has a session"),
            in_progress,
            unaccepted,
            unknown: uuid::Uuid::now_v7().to_string(),
            before,
        }
    }

    /// Fails when a refused request wrote anything; stops the node.
    async fn wrote_nothing(self) {
        assert_eq!(
            snapshot(&self.node).await,
            self.before,
            "a refused request wrote something"
        );
        self.node.stop().await;
    }
}

#[tokio::test]
async fn malformed_ids_are_invalid_and_unknown_ones_not_found() {
    let w = Workflow::start().await;
    let mut cases = w.node.cases.clone();
    let without_actor = pb::CaseRef {
        case_id: w.scheduled.clone(),
        actor: "".into(),
    };
    for (request, code, field) in [
        (case_ref("not-an-id"), INVALID, "case_id"),
        (case_ref(&w.unknown), Code::NotFound, w.unknown.as_str()),
        // Without an `actor` (it only says on whose behalf), the case's state still decides.
        (without_actor, Code::FailedPrecondition, "scheduled"),
    ] {
        refused(cases.start_intake(request).await, code, field);
    }
    let unknown = || w.unknown.clone();
    refused(
        cases
            .get_case(pb::GetCaseRequest { case_id: unknown() })
            .await,
        Code::NotFound,
        "case",
    );
    refused(
        cases
            .get_youth_identity(pb::GetYouthIdentityRequest { case_id: unknown() })
            .await,
        Code::NotFound,
        "case",
    );
    w.wrote_nothing().await;
}

#[tokio::test]
async fn a_discussion_needs_a_next_step_and_real_commitments() {
    let mut w = Workflow::start().await;
    let mut cases = w.node.cases.clone();
    let other_session = w.node.new_session().await;
    w.before = snapshot(&w.node).await;
    let discussion = |change: &dyn Fn(&mut pb::RecordDiscussionRequest)| {
        let mut request = pb::RecordDiscussionRequest {
            case_id: w.scheduled.clone(),
            session_id: w.session.clone(),
            actor: ACTOR.into(),
            summary: String::new(),
            next_step: "Volgende stap".into(),
            regie_holder: String::new(),
            commitments: vec![new_commitment("Accare")],
        };
        change(&mut request);
        request
    };
    for (request, code, field) in [
        (
            discussion(&|r| r.next_step = "  ".into()),
            INVALID,
            "next_step",
        ),
        (
            discussion(&|r| r.commitments[0].provider = String::new()),
            INVALID,
            "commitments[0].provider",
        ),
        (
            discussion(&|r| r.commitments[0].due = date("2026-02-31")),
            INVALID,
            "commitments[0].due",
        ),
        (
            discussion(&|r| r.commitments[0].due = date("2026-01-01")),
            INVALID,
            "commitments[0].due",
        ),
        (
            discussion(&|r| r.commitments[0].due = None),
            INVALID,
            "commitments[0].due",
        ),
        (
            discussion(&|r| r.session_id = other_session.clone()),
            Code::FailedPrecondition,
            "not on the agenda",
        ),
    ] {
        refused(cases.record_discussion(request).await, code, field);
    }
    let no_commitment = pb::AddCommitmentRequest {
        case_id: w.in_progress.clone(),
        actor: ACTOR.into(),
        commitment: None,
    };
    refused(
        cases.add_commitment(no_commitment).await,
        INVALID,
        "commitment",
    );
    w.wrote_nothing().await;
}

#[tokio::test]
async fn sessions_agendas_and_attendance_refuse_what_cannot_be() {
    let w = Workflow::start().await;
    let mut sessions = w.node.sessions.clone();
    let agenda = |session: &str, case: &str| pb::AddToAgendaRequest {
        session_id: session.into(),
        case_id: case.into(),
        actor: ACTOR.into(),
    };
    for (request, code, field) in [
        (
            agenda(&w.session, &w.scheduled),
            Code::AlreadyExists,
            "case_id",
        ),
        (
            agenda(&w.session, &w.unaccepted),
            Code::FailedPrecondition,
            "not been accepted",
        ),
        (agenda(&w.unknown, &w.unaccepted), Code::NotFound, "session"),
    ] {
        refused(sessions.add_to_agenda(request).await, code, field);
    }

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
    for (request, field) in [
        (create(&|r| r.date = date("2026-13-01")), "date"),
        (create(&|r| r.start_time = "25:00".into()), "start_time"),
        (create(&|r| r.duration_minutes = 10_000), "duration_minutes"),
        (create(&|r| r.location = String::new()), "location"),
    ] {
        refused(sessions.create_session(request).await, INVALID, field);
    }

    // Youth and parents attend by role only; roles must be known.
    let attendance = |role: i32, organisation: &str| pb::RecordAttendanceRequest {
        session_id: w.session.clone(),
        case_id: w.scheduled.clone(),
        actor: ACTOR.into(),
        attendees: vec![pb::Attendee {
            role,
            organisation: organisation.into(),
        }],
        youth_present: true,
        parents_present: false,
    };
    for (request, field) in [
        (
            attendance(pb::AttendeeRole::Youth as i32, "naam"),
            "attendees[0].organisation",
        ),
        (attendance(77, "x"), "attendees[0].role"),
    ] {
        refused(sessions.record_attendance(request).await, INVALID, field);
    }
    w.wrote_nothing().await;
}

#[tokio::test]
async fn plan_items_closing_and_returning_name_the_bad_field() {
    let w = Workflow::start().await;
    let mut cases = w.node.cases.clone();
    let task = |owner: &str, due: &str| pb::AddTaskRequest {
        case_id: w.in_progress.clone(),
        actor: ACTOR.into(),
        description: "Plan".into(),
        owner: owner.into(),
        due: date(due),
    };
    for (request, field) in [
        (task("", FUTURE), "owner"),
        (task("Team", "yesterday"), "due"),
    ] {
        refused(cases.add_task(request).await, INVALID, field);
    }
    let unknown_task = pb::UpdateTaskRequest {
        task_id: w.unknown.clone(),
        actor: ACTOR.into(),
        status: pb::TaskStatus::Done as i32,
    };
    refused(
        cases.update_task(unknown_task).await,
        Code::NotFound,
        "task",
    );
    let reopened = pb::UpdateCommitmentRequest {
        commitment_id: w.unknown.clone(),
        actor: ACTOR.into(),
        status: pb::CommitmentStatus::Open as i32,
    };
    refused(cases.update_commitment(reopened).await, INVALID, "status");
    for outcome in [0, 42] {
        let close = pb::CloseCaseRequest {
            case_id: w.in_progress.clone(),
            actor: ACTOR.into(),
            outcome,
            closing_note: "".into(),
        };
        refused(cases.close_case(close).await, INVALID, "outcome");
    }
    let without_reason = pb::ReturnCaseRequest {
        case_id: w.unaccepted.clone(),
        actor: ACTOR.into(),
        reason: "".into(),
    };
    refused(cases.return_case(without_reason).await, INVALID, "reason");
    w.wrote_nothing().await;
}

#[tokio::test]
async fn lists_refuse_bad_pages_filters_and_ranges() {
    let w = Workflow::start().await;
    let mut cases = w.node.cases.clone();
    for (request, field) in [
        (
            pb::ListCasesRequest {
                page_size: 501,
                ..Default::default()
            },
            "page_size",
        ),
        (
            pb::ListCasesRequest {
                page_token: "garbage".into(),
                ..Default::default()
            },
            "page_token",
        ),
        (
            pb::ListCasesRequest {
                state: 40,
                ..Default::default()
            },
            "state",
        ),
    ] {
        refused(cases.list_cases(request).await, INVALID, field);
    }
    let impossible_day = pb::ListOverdueRequest {
        as_of: date("2026-02-30"),
        limit: 0,
    };
    refused(cases.list_overdue(impossible_day).await, INVALID, "as_of");
    let backwards = pb::ListSessionsRequest {
        from: date("2026-05-01"),
        to: date("2026-04-01"),
    };
    refused(
        w.node.sessions.clone().list_sessions(backwards).await,
        INVALID,
        "to",
    );
    w.wrote_nothing().await;
}

#[tokio::test]
async fn consultations_refuse_bad_askers_tags_and_unknown_ids() {
    let w = Workflow::start().await;
    let mut consultations = w.node.consultations.clone();
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
    for (request, code, field) in [
        (
            ask(&|r| r.asker_organisation = "Accare".into()),
            INVALID,
            "asker_organisation",
        ),
        (ask(&|r| r.asker_kind = 0), INVALID, "asker_kind"),
        (
            ask(&|r| r.expertise_tags = vec!["Mooi Tag!".into()]),
            INVALID,
            "expertise_tags[0]",
        ),
        (ask(&|r| r.question = String::new()), INVALID, "question"),
        (
            ask(&|r| r.case_id = w.unknown.clone()),
            Code::NotFound,
            "case",
        ),
    ] {
        refused(consultations.ask_consultation(request).await, code, field);
    }
    let unknown = pb::AnswerConsultationRequest {
        consultation_id: w.unknown.clone(),
        expert: "E".into(),
        answer: "A".into(),
    };
    refused(
        consultations.answer_consultation(unknown).await,
        Code::NotFound,
        "consultation",
    );
    w.wrote_nothing().await;
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
