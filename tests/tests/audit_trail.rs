//! The audit trail through the running node: every call leaves an event with who, role, on whose behalf, what,
//! which case, where from and how it ended; the chain check names an edited or deleted event; the export
//! pages through everything; the access report of one case shows no other case; and when the trail cannot be
//! written, nothing is shown.

use expertnet_node::access::BearerToken;
use expertnet_node::domain::people::Role;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::audit_service_client::AuditServiceClient;
use expertnet_proto::v1::case_service_client::CaseServiceClient;
use expertnet_tests::fixtures::{ACTOR, case_ref, submit_request};
use expertnet_tests::{TEST_USER, TestNode, add_user, spawn_node};
use tonic::Code;

async fn auditor(node: &TestNode) -> AuditServiceClient<expertnet_node::access::SignedChannel> {
    let token = add_user(&node.workflow, "the.auditor", &[Role::Auditor]).await;
    AuditServiceClient::new(BearerToken::new(&token).sign(node.raw_channel.clone()))
}

async fn export_all(
    audit: &mut AuditServiceClient<expertnet_node::access::SignedChannel>,
    page_size: u32,
) -> Vec<pb::AuditEvent> {
    let mut events = Vec::new();
    let mut after_seq = 0;
    loop {
        let reply = audit
            .export_audit(pb::ExportAuditRequest {
                after_seq,
                page_size,
            })
            .await
            .unwrap()
            .into_inner();
        events.extend(reply.events);
        if reply.next_after_seq == 0 {
            return events;
        }
        after_seq = reply.next_after_seq;
    }
}

/// Two cases, one read several times, one not.
async fn two_cases(node: &TestNode) -> (String, String) {
    let mut cases = node.cases.clone();
    let first = cases
        .submit_case(submit_request("audit-a"))
        .await
        .unwrap()
        .into_inner()
        .id;
    let second = cases
        .submit_case(submit_request("audit-b"))
        .await
        .unwrap()
        .into_inner()
        .id;
    cases.start_intake(case_ref(&first)).await.unwrap();
    cases
        .get_case(pb::GetCaseRequest {
            case_id: first.clone(),
        })
        .await
        .unwrap();
    cases
        .get_youth_identity(pb::GetYouthIdentityRequest {
            case_id: first.clone(),
        })
        .await
        .unwrap();
    let refused = cases
        .start_plan(case_ref(&first))
        .await
        .expect_err("a plan before the table is refused");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    (first, second)
}

#[tokio::test]
async fn every_call_is_on_record_and_the_chain_holds() {
    let node = spawn_node().await;
    let (first, _) = two_cases(&node).await;
    let mut audit = auditor(&node).await;
    let events = export_all(&mut audit, 2).await;
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "numbered without gaps"
    );

    let about_first: Vec<&pb::AuditEvent> = events.iter().filter(|e| e.case_id == first).collect();
    let actions: Vec<(&str, &str)> = about_first
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("CaseService/SubmitCase", "ok"),
            ("CaseService/StartIntake", "ok"),
            ("CaseService/GetCase", "ok"),
            ("CaseService/GetYouthIdentity", "ok"),
            ("CaseService/StartPlan", "refused:FailedPrecondition"),
        ]
    );
    let intake = about_first[1];
    assert_eq!(intake.user, TEST_USER);
    assert_eq!(intake.organisation, "Test organisation");
    assert!(intake.roles.contains("intake"), "{}", intake.roles);
    assert_eq!(intake.on_behalf_of, ACTOR);
    assert!(
        intake.access_point.starts_with("team-api 127.0.0.1:"),
        "{}",
        intake.access_point
    );

    let check = audit
        .verify_audit(pb::VerifyAuditRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(check.intact, "{}", check.problem);
    // The check itself is on record after it ran, so it saw every event before it.
    assert_eq!(check.events as usize, events.len() + 1);
    assert_eq!(check.head_seq as usize, events.len() + 1);
    node.stop().await;
}

#[tokio::test]
async fn the_check_names_an_edited_and_a_deleted_event() {
    let node = spawn_node().await;
    two_cases(&node).await;
    let mut audit = auditor(&node).await;
    let pool = node.workflow.storage().pool();

    sqlx::query("UPDATE audit_events SET outcome = 'denied' WHERE seq = 6")
        .execute(pool)
        .await
        .unwrap();
    let edited = audit
        .verify_audit(pb::VerifyAuditRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(!edited.intact);
    assert_eq!(
        edited.problem,
        "event 6 was altered: its content no longer matches its hash"
    );

    sqlx::query("DELETE FROM audit_events WHERE seq IN (5, 6)")
        .execute(pool)
        .await
        .unwrap();
    let deleted = audit
        .verify_audit(pb::VerifyAuditRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(!deleted.intact);
    assert_eq!(deleted.problem, "events 5 to 6 are missing");
    node.stop().await;
}

#[tokio::test]
async fn the_access_report_tells_a_youth_who_looked_and_nothing_about_others() {
    let node = spawn_node().await;
    let (first, second) = two_cases(&node).await;
    let mut audit = auditor(&node).await;
    let report = audit
        .access_report(pb::AccessReportRequest {
            case_id: first.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.case_id, first);
    let purposes: Vec<&str> = report.accesses.iter().map(|a| a.purpose.as_str()).collect();
    assert_eq!(
        purposes,
        vec![
            "registering the case at the expert table",
            "intake: deciding whether the table takes the case",
            "reading the case file",
            "reading the youth's name, BSN and date of birth",
            "carrying out the plan",
        ]
    );
    assert!(
        report
            .accesses
            .iter()
            .all(|a| a.organisation == "Test organisation")
    );
    let text = format!("{report:?}");
    assert!(!text.contains(&second), "another youth's case shows");
    assert!(
        !text.contains(TEST_USER),
        "staff names are not part of the extract"
    );

    let unknown = audit
        .access_report(pb::AccessReportRequest {
            case_id: "0190c7a0-0000-7000-8000-000000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    node.stop().await;
}

#[tokio::test]
async fn nothing_is_shown_when_the_trail_cannot_be_written() {
    let node = spawn_node().await;
    let (first, _) = two_cases(&node).await;
    sqlx::query("DROP TABLE audit_events")
        .execute(node.workflow.storage().pool())
        .await
        .unwrap();
    let status = CaseServiceClient::new(node.channel.clone())
        .get_youth_identity(pb::GetYouthIdentityRequest { case_id: first })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert!(
        status.message().contains("audit trail"),
        "{}",
        status.message()
    );
    node.stop().await;
}

#[tokio::test]
async fn bad_export_requests_are_refused_by_field() {
    let node = spawn_node().await;
    let mut audit = auditor(&node).await;
    let negative = audit
        .export_audit(pb::ExportAuditRequest {
            after_seq: -1,
            page_size: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    assert!(
        negative.message().starts_with("after_seq:"),
        "{}",
        negative.message()
    );
    let huge = audit
        .export_audit(pb::ExportAuditRequest {
            after_seq: 0,
            page_size: 1_000_000,
        })
        .await
        .unwrap_err();
    assert_eq!(huge.code(), Code::InvalidArgument);
    assert!(
        huge.message().starts_with("page_size:"),
        "{}",
        huge.message()
    );
    node.stop().await;
}
