//! The four regions and the gateway over real mutual TLS: consultations routed by tag and answered,
//! escalations received, accepted, returned and closed on both sides, refusals that write nothing, and
//! nodes or the gateway going down without anything lost or doubled.

use expertnet_node::clock::{Clock, SystemClock};
use expertnet_node::domain::signals::{Quarter, SignalTotals};
use expertnet_node::domain::{NewCommitment, NewDiscussion, NewSession, Outcome};
use expertnet_proto::v1 as pb;
use expertnet_tests::federation::*;
use expertnet_tests::fixtures::{ACTOR, TEST_BSN, TEST_NAME, case_ref, submit_request};
use std::time::{Duration, Instant};
use tonic::Code;

#[tokio::test]
async fn consultation_routed_by_tag_is_answered() {
    let fed = spawn_federation().await;
    let lekstroom = fed.team(LEKSTROOM).await;
    let midden = fed.team(MIDDEN_IJSSEL).await;
    let rivierenland = fed.team(RIVIERENLAND).await;

    let asked = lekstroom
        .consultations
        .clone()
        .ask_consultation(ask_network(
            "Wie heeft ervaring met LVB en verslaving?",
            &["lvb"],
            "",
        ))
        .await
        .unwrap()
        .into_inner();
    let delivered = eventually("question delivered", WAIT, || async {
        let c = lekstroom
            .consultations
            .clone()
            .get_consultation(pb::GetConsultationRequest {
                consultation_id: asked.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        (c.delivery == pb::OutboxState::Delivered as i32).then_some(c)
    })
    .await;
    assert_eq!(
        delivered.routed_to,
        [FLEVOLAND_UTRECHT, MIDDEN_IJSSEL],
        "both regions offering lvb"
    );

    let inbox = midden
        .consultations
        .clone()
        .list_consultations(pb::ListConsultationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .consultations;
    assert_eq!(inbox.len(), 1);
    let theirs = &inbox[0];
    assert_eq!(theirs.origin_region, LEKSTROOM);
    assert_eq!(theirs.question, asked.question);
    assert!(theirs.case_id.is_empty(), "no case link crosses");
    let none = rivierenland
        .consultations
        .clone()
        .list_consultations(pb::ListConsultationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .consultations;
    assert!(none.is_empty(), "rivierenland offers no lvb expertise");

    midden
        .consultations
        .clone()
        .answer_consultation(pb::AnswerConsultationRequest {
            consultation_id: theirs.id.clone(),
            expert: "RET Deventer".into(),
            answer: "Wij hebben een LVB-specialist; bel ons.".into(),
        })
        .await
        .unwrap();
    let answered = eventually("answer back at lekstroom", WAIT, || async {
        let c = lekstroom
            .consultations
            .clone()
            .get_consultation(pb::GetConsultationRequest {
                consultation_id: asked.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        (!c.answers.is_empty()).then_some(c)
    })
    .await;
    assert_eq!(answered.status, pb::ConsultationStatus::Answered as i32);
    assert_eq!(answered.answers.len(), 1);
    assert_eq!(answered.answers[0].region, MIDDEN_IJSSEL);
    assert_eq!(answered.answers[0].expert, "RET Deventer");
    let totals = this_quarter(&fed, LEKSTROOM).await;
    assert_eq!(
        (
            totals.consultations_asked,
            totals.consultations_answered,
            totals.consultations_answered_within_7_days
        ),
        (1, 1, 1),
        "the asker's signals count the question and its answer"
    );
    let totals = this_quarter(&fed, MIDDEN_IJSSEL).await;
    assert_eq!(
        totals.consultations_asked, 0,
        "a question from elsewhere is not one the region asked"
    );
    fed.stop().await;
}

/// The region's signals of the quarter the test runs in.
async fn this_quarter(fed: &TestFederation, region: &str) -> SignalTotals {
    fed.federation
        .node(region)
        .workflow
        .snapshot(region, Quarter::containing(SystemClock.now_ms()))
        .await
        .unwrap()
        .totals
}

#[tokio::test]
async fn questions_that_may_not_leave_are_refused() {
    let fed = spawn_federation().await;
    let lekstroom = fed.team(LEKSTROOM).await;
    let mut consultations = lekstroom.consultations.clone();
    let refusals = [
        (
            ask_network(&format!("Kind met BSN {TEST_BSN} zit thuis"), &["lvb"], ""),
            Code::InvalidArgument,
            "question",
        ),
        (
            ask_network("Vraag", &[], ""),
            Code::InvalidArgument,
            "expertise_tags",
        ),
        (
            ask_network("Vraag", &[], "atlantis"),
            Code::NotFound,
            "atlantis",
        ),
        (
            ask_network("Vraag", &[], LEKSTROOM),
            Code::InvalidArgument,
            "target_region",
        ),
        (
            ask_network("Vraag", &[], "Lek Stroom"),
            Code::InvalidArgument,
            "target_region",
        ),
    ];
    for (request, code, names) in refusals {
        let status = consultations.ask_consultation(request).await.unwrap_err();
        assert_eq!(status.code(), code, "{status:?}");
        assert!(status.message().contains(names), "{status:?}");
        assert!(
            !status.message().contains(TEST_BSN),
            "the BSN is not echoed"
        );
    }
    let outbox = lekstroom
        .outbox
        .clone()
        .list_outbox(pb::ListOutboxRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(outbox.entries.is_empty(), "nothing was queued: {outbox:?}");
    fed.stop().await;
}

#[tokio::test]
async fn escalation_is_received_accepted_and_returned_on_both_sides() {
    let fed = spawn_federation().await;
    let lekstroom = fed.team(LEKSTROOM).await;
    let rivierenland = fed.team(RIVIERENLAND).await;
    let case_id = case_ready_to_escalate(&lekstroom, "esc-accept", RIVIERENLAND).await;

    let sent = escalate(&lekstroom, &case_id, RIVIERENLAND).await.unwrap();
    assert_eq!(sent.status, pb::EscalationStatus::Sent as i32);
    let escalated = lekstroom
        .cases
        .clone()
        .get_case(pb::GetCaseRequest {
            case_id: case_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        escalated.summary.unwrap().state,
        pb::CaseState::Escalated as i32
    );

    let received = outgoing_reaches(&lekstroom, &sent.id, pb::EscalationStatus::Received).await;
    let linked_id = received.partner_case_id.clone();
    let incoming = escalations(&rivierenland, pb::EscalationDirection::Incoming).await;
    assert_eq!(incoming.len(), 1);
    assert_eq!(incoming[0].case_id, linked_id);
    assert_eq!(incoming[0].partner_region, LEKSTROOM);

    let mut their_cases = rivierenland.cases.clone();
    let linked = their_cases
        .get_case(pb::GetCaseRequest {
            case_id: linked_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        linked.summary.as_ref().unwrap().state,
        pb::CaseState::Intake as i32
    );
    assert_eq!(
        linked.question,
        submit_request("x").question,
        "the minimum dataset crossed"
    );
    let printed = format!("{linked:?}");
    assert!(
        !printed.contains(TEST_NAME)
            && !printed.contains(TEST_BSN)
            && !printed.contains("2011-01-15"),
        "no identifier crossed: {printed}"
    );
    let identity = their_cases
        .get_youth_identity(pb::GetYouthIdentityRequest {
            case_id: linked_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(identity.code(), Code::FailedPrecondition);
    assert!(identity.message().contains(LEKSTROOM), "{identity:?}");

    their_cases.accept_case(case_ref(&linked_id)).await.unwrap();
    outgoing_reaches(&lekstroom, &sent.id, pb::EscalationStatus::Accepted).await;

    // A second escalation, handed back with a reason: the case continues at the sender.
    let second = case_ready_to_escalate(&lekstroom, "esc-return", RIVIERENLAND).await;
    let sent_back = escalate(&lekstroom, &second, RIVIERENLAND).await.unwrap();
    let received =
        outgoing_reaches(&lekstroom, &sent_back.id, pb::EscalationStatus::Received).await;
    their_cases
        .return_case(pb::ReturnCaseRequest {
            case_id: received.partner_case_id.clone(),
            actor: ACTOR.into(),
            reason: "Past beter bij de jeugdbescherming".into(),
        })
        .await
        .unwrap();
    let returned =
        outgoing_reaches(&lekstroom, &sent_back.id, pb::EscalationStatus::Returned).await;
    assert_eq!(returned.status_reason, "Past beter bij de jeugdbescherming");
    let back = lekstroom
        .cases
        .clone()
        .get_case(pb::GetCaseRequest { case_id: second })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        back.summary.unwrap().state,
        pb::CaseState::InProgress as i32
    );
    assert!(
        back.history
            .iter()
            .any(|t| t.reason.contains("Past beter bij de jeugdbescherming")),
        "the sender learns why"
    );
    let totals = this_quarter(&fed, LEKSTROOM).await;
    assert_eq!(
        (
            totals.escalated,
            totals.escalations_accepted,
            totals.escalations_accepted_within_14_days
        ),
        (2, 1, 1),
        "two sent, one accepted (within days), one handed back"
    );

    // Every crossing of each node's border is in that node's audit trail.
    let crossings = |region: &'static str| {
        let pool = fed
            .federation
            .node(region)
            .workflow
            .storage()
            .pool()
            .clone();
        async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT action, access_point FROM audit_events WHERE action LIKE 'federation %' ORDER BY seq",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let sent_events = crossings(LEKSTROOM).await;
    let request_sent = (
        format!("federation send escalation escalation:{}", sent.id),
        format!("federation to {RIVIERENLAND}"),
    );
    assert!(sent_events.contains(&request_sent), "{sent_events:?}");
    let news_received = |event: &(String, String)| {
        event.0.starts_with("federation receive escalation_status")
            && event.0.ends_with(":accepted")
            && event.1 == format!("federation from {RIVIERENLAND}")
    };
    assert!(sent_events.iter().any(news_received), "{sent_events:?}");
    let received_events = crossings(RIVIERENLAND).await;
    let request_received = (
        format!("federation receive escalation escalation:{}", sent.id),
        format!("federation from {LEKSTROOM}"),
    );
    assert!(
        received_events.contains(&request_received),
        "{received_events:?}"
    );
    assert!(
        received_events
            .iter()
            .any(|(action, _)| action.starts_with("federation send escalation_status")),
        "{received_events:?}"
    );
    fed.stop().await;
}

#[tokio::test]
async fn escalation_closed_at_the_receiver_closes_the_sender_case() {
    let fed = spawn_federation().await;
    let lekstroom = fed.team(LEKSTROOM).await;
    let case_id = case_ready_to_escalate(&lekstroom, "esc-close", FLEVOLAND_UTRECHT).await;
    let sent = escalate(&lekstroom, &case_id, FLEVOLAND_UTRECHT)
        .await
        .unwrap();
    let received = outgoing_reaches(&lekstroom, &sent.id, pb::EscalationStatus::Received).await;

    // The receiving table works the linked case to its end.
    let theirs = &fed.federation.node(FLEVOLAND_UTRECHT).workflow;
    let linked = received.partner_case_id.as_str();
    theirs.accept_case(linked, "intake").await.unwrap();
    let day = time::OffsetDateTime::now_utc().date() + time::Duration::days(7);
    let session = theirs
        .create_session(NewSession {
            date: day,
            start_time: "13:30".into(),
            duration_minutes: 120,
            location: "Utrecht".into(),
            chair: "Voorzitter".into(),
        })
        .await
        .unwrap();
    theirs
        .add_to_agenda(&session.id, linked, "chair")
        .await
        .unwrap();
    theirs
        .record_discussion(NewDiscussion {
            case_id: linked.to_owned(),
            session_id: session.id.clone(),
            actor: "chair".into(),
            summary: "besproken".into(),
            next_step: "Plaatsing bij een bovenregionale aanbieder".into(),
            regie_holder: None,
            commitments: vec![NewCommitment {
                provider: "Pluryn".into(),
                description: "Plek binnen twee weken".into(),
                due: day + time::Duration::days(14),
                authority_confirmed: true,
            }],
        })
        .await
        .unwrap();
    theirs.start_plan(linked, "chair").await.unwrap();
    theirs
        .close_case(linked, "chair", Outcome::Solved, "Plek gevonden")
        .await
        .unwrap();

    let closed = outgoing_reaches(&lekstroom, &sent.id, pb::EscalationStatus::Closed).await;
    assert!(closed.status_reason.contains("Plek gevonden"), "{closed:?}");
    let ours = lekstroom
        .cases
        .clone()
        .get_case(pb::GetCaseRequest { case_id })
        .await
        .unwrap()
        .into_inner();
    let summary = ours.summary.unwrap();
    assert_eq!(summary.state, pb::CaseState::Closed as i32);
    assert_eq!(summary.outcome, pb::Outcome::Escalated as i32);
    fed.stop().await;
}

#[tokio::test]
async fn escalation_refusals_write_nothing() {
    let fed = spawn_federation().await;
    let lekstroom = fed.team(LEKSTROOM).await;
    let mut cases = lekstroom.cases.clone();
    let case = cases
        .submit_case(submit_request("no-consent"))
        .await
        .unwrap()
        .into_inner();
    cases.start_intake(case_ref(&case.id)).await.unwrap();

    let no_consent = escalate(&lekstroom, &case.id, RIVIERENLAND)
        .await
        .unwrap_err();
    assert_eq!(no_consent.code(), Code::PermissionDenied);
    assert!(no_consent.message().contains("consent"), "{no_consent:?}");

    let with_consent = case_ready_to_escalate(&lekstroom, "no-covenant", RIVIERENLAND).await;
    let no_covenant = escalate(&lekstroom, &with_consent, MIDDEN_IJSSEL)
        .await
        .unwrap_err();
    assert_eq!(no_covenant.code(), Code::PermissionDenied);
    assert!(
        no_covenant.message().contains("covenant"),
        "{no_covenant:?}"
    );
    let unknown = escalate(&lekstroom, &with_consent, "atlantis")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    let own = escalate(&lekstroom, &with_consent, LEKSTROOM)
        .await
        .unwrap_err();
    assert_eq!(own.code(), Code::InvalidArgument);
    assert!(own.message().contains("to_region"));

    for id in [&case.id, &with_consent] {
        let detail = cases
            .get_case(pb::GetCaseRequest {
                case_id: id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(detail.summary.unwrap().state, pb::CaseState::Intake as i32);
    }
    let outbox = lekstroom
        .outbox
        .clone()
        .list_outbox(pb::ListOutboxRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(outbox.entries.is_empty(), "{outbox:?}");
    assert!(
        escalations(&lekstroom, pb::EscalationDirection::Unspecified)
            .await
            .is_empty()
    );
    fed.stop().await;
}

/// The detector at the border: the youth's name, a BSN or a date of birth in text about to leave is refused,
/// naming the field, and nothing leaves; the team can send a rewritten text instead of the case's own.
#[tokio::test]
async fn identifiers_in_free_text_do_not_leave_the_node() {
    let fed = spawn_federation().await;
    let lekstroom = fed.team(LEKSTROOM).await;
    let mut request = submit_request("detector");
    request.question = format!("{TEST_NAME} zit al maanden thuis");
    let case = lekstroom
        .cases
        .clone()
        .submit_case(request)
        .await
        .unwrap()
        .into_inner();
    lekstroom
        .cases
        .clone()
        .start_intake(case_ref(&case.id))
        .await
        .unwrap();
    lekstroom
        .escalations
        .clone()
        .record_consent(consent_request(&case.id, "parent", RIVIERENLAND))
        .await
        .unwrap();
    let send = |reason: &str, question: &str, tried: &str| pb::EscalateCaseRequest {
        case_id: case.id.clone(),
        actor: ACTOR.into(),
        to_region: RIVIERENLAND.into(),
        reason: reason.into(),
        question: question.into(),
        tried_so_far: tried.into(),
    };
    let refusals = [
        (send("Plek gezocht", "", ""), "question", "name"),
        (
            send(
                "Plek gezocht",
                "Thuiszitter, 15 jaar",
                "Sinds 15-01-2011 bekend",
            ),
            "tried_so_far",
            "date of birth",
        ),
        (
            send(&format!("BSN {TEST_BSN}"), "Thuiszitter", ""),
            "reason",
            "BSN",
        ),
        (
            send("Plek gezocht", "Fixture wil naar school", ""),
            "question",
            "name",
        ),
    ];
    for (request, field, what) in refusals {
        let status = lekstroom
            .escalations
            .clone()
            .escalate_case(request)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with(field) && status.message().contains(what),
            "{status:?}"
        );
        assert!(!status.message().contains(TEST_NAME) && !status.message().contains(TEST_BSN));
    }
    assert!(
        lekstroom
            .outbox
            .clone()
            .list_outbox(pb::ListOutboxRequest::default())
            .await
            .unwrap()
            .into_inner()
            .entries
            .is_empty(),
        "nothing left"
    );
    let question = "Thuiszitter van 15, geen school in de regio neemt haar aan";
    let sent = lekstroom
        .escalations
        .clone()
        .escalate_case(send("Plek gezocht", question, ""))
        .await
        .unwrap()
        .into_inner();
    let received = outgoing_reaches(&lekstroom, &sent.id, pb::EscalationStatus::Received).await;
    let rivierenland = fed.team(RIVIERENLAND).await;
    let linked = rivierenland
        .cases
        .clone()
        .get_case(pb::GetCaseRequest {
            case_id: received.partner_case_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(linked.question, question, "the rewritten text crossed");

    let status = lekstroom
        .consultations
        .clone()
        .ask_consultation(pb::AskConsultationRequest {
            asker_kind: pb::AskerKind::Professional as i32,
            asker_organisation: "Sociaal team Houten".into(),
            question: "Meisje, geboren 3 maart 2012, zit thuis".into(),
            to_network: true,
            target_region: FLEVOLAND_UTRECHT.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().starts_with("question") && status.message().contains("date of birth"),
        "{status:?}"
    );
    fed.stop().await;
}

/// A consent names who gave it, what it allows and until when; withdrawn, it allows nothing more, and an
/// escalation it allowed that is still in the outbox (the receiver is down) is stopped and never arrives.
#[tokio::test]
async fn consents_are_scoped_dated_and_withdrawn() {
    let mut fed = spawn_federation().await;
    let lekstroom = fed.team(LEKSTROOM).await;
    let mut cases = lekstroom.cases.clone();
    let mut escalations_api = lekstroom.escalations.clone();
    let case = cases
        .submit_case(submit_request("consent"))
        .await
        .unwrap()
        .into_inner();
    cases.start_intake(case_ref(&case.id)).await.unwrap();

    let mut expired = consent_request(&case.id, "parent", RIVIERENLAND);
    expired.valid_until = Some(pb::Date {
        iso: "2020-01-01".into(),
    });
    let mut provider_without_name = consent_request(&case.id, "parent", "");
    provider_without_name.scope = "share_with_provider".into();
    let refusals = [
        (
            consent_request(&case.id, "youth", RIVIERENLAND),
            "given_by",
            "16",
        ),
        (
            consent_request(&case.id, "oma", RIVIERENLAND),
            "given_by",
            "parent",
        ),
        (
            consent_request(&case.id, "parent", ""),
            "scope_target",
            "region",
        ),
        (
            consent_request(&case.id, "parent", "atlantis"),
            "atlantis",
            "",
        ),
        (expired, "valid_until", "past"),
        (provider_without_name, "scope_target", "provider"),
    ];
    for (request, field, what) in refusals {
        let status = escalations_api.record_consent(request).await.unwrap_err();
        assert!(
            matches!(status.code(), Code::InvalidArgument | Code::NotFound),
            "{status:?}"
        );
        assert!(
            status.message().contains(field) && status.message().contains(what),
            "{status:?}"
        );
    }

    let consent = escalations_api
        .record_consent(consent_request(&case.id, "parent", RIVIERENLAND))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(consent.sequence, 1);
    assert_eq!(consent.scope_target, RIVIERENLAND);
    let elsewhere = escalate(&lekstroom, &case.id, FLEVOLAND_UTRECHT)
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), Code::PermissionDenied);
    assert!(
        elsewhere.message().contains(FLEVOLAND_UTRECHT),
        "{elsewhere:?}"
    );

    // Rivierenland is down: the escalation waits in Lekstroom's outbox when the parents withdraw.
    fed.federation.stop_node(RIVIERENLAND).await;
    let sent = escalate(&lekstroom, &case.id, RIVIERENLAND).await.unwrap();
    let withdrawn = escalations_api
        .withdraw_consent(withdrawal(&case.id, 1, "Ouders trekken toestemming in"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        withdrawn.stopped_escalation_ids,
        std::slice::from_ref(&sent.id)
    );
    assert!(withdrawn.delivered_escalation_ids.is_empty());
    assert!(withdrawn.consent.unwrap().withdrawn_at_ms > 0);
    let stopped = escalations(&lekstroom, pb::EscalationDirection::Outgoing).await;
    assert_eq!(stopped[0].status, pb::EscalationStatus::Withdrawn as i32);
    assert_eq!(stopped[0].delivery, pb::OutboxState::Cancelled as i32);
    let state = cases
        .get_case(pb::GetCaseRequest {
            case_id: case.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap()
        .state;
    assert_eq!(
        state,
        pb::CaseState::InProgress as i32,
        "the case continues here"
    );
    let waiting = lekstroom
        .outbox
        .clone()
        .list_outbox(pb::ListOutboxRequest::default())
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(waiting.is_empty(), "nothing waits to leave: {waiting:?}");

    fed.federation.restart_node(RIVIERENLAND).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rivierenland = fed.team(RIVIERENLAND).await;
    assert!(
        escalations(&rivierenland, pb::EscalationDirection::Incoming)
            .await
            .is_empty(),
        "the stopped escalation never arrived"
    );
    let again = escalate(&lekstroom, &case.id, RIVIERENLAND)
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::PermissionDenied, "{again:?}");
    let twice = escalations_api
        .withdraw_consent(withdrawal(&case.id, 1, "nogmaals"))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    let unknown = escalations_api
        .withdraw_consent(withdrawal(&case.id, 7, "onbekend"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    // A legal ground names the ground instead of a person.
    let mut ground = consent_request(&case.id, "ondertoezichtstelling", RIVIERENLAND);
    ground.basis = pb::LegalBasis::LegalGround as i32;
    assert_eq!(
        escalations_api
            .record_consent(ground)
            .await
            .unwrap()
            .into_inner()
            .sequence,
        2
    );
    fed.stop().await;
}

#[tokio::test]
async fn a_node_that_is_down_delays_delivery_but_loses_and_doubles_nothing() {
    let mut fed = spawn_federation().await;
    let lekstroom = fed.team(LEKSTROOM).await;
    fed.federation.stop_node(RIVIERENLAND).await;
    let mut sent = Vec::new();
    for i in 0..3 {
        let case_id = case_ready_to_escalate(&lekstroom, &format!("down-{i}"), RIVIERENLAND).await;
        sent.push(
            escalate(&lekstroom, &case_id, RIVIERENLAND)
                .await
                .unwrap()
                .id,
        );
    }
    let waiting = eventually("failed attempts recorded", WAIT, || async {
        let entries = lekstroom
            .outbox
            .clone()
            .list_outbox(pb::ListOutboxRequest::default())
            .await
            .unwrap()
            .into_inner()
            .entries;
        (entries.len() == 3 && entries.iter().all(|e| e.attempts >= 2)).then_some(entries)
    })
    .await;
    assert!(
        waiting
            .iter()
            .all(|e| e.state == pb::OutboxState::Pending as i32)
    );
    assert!(
        waiting[0].last_error.contains("Unavailable"),
        "{:?}",
        waiting[0]
    );

    fed.federation.restart_node(RIVIERENLAND).await.unwrap();
    let back = Instant::now();
    for id in &sent {
        outgoing_reaches(&lekstroom, id, pb::EscalationStatus::Received).await;
    }
    println!(
        "delivered 3 waiting escalations {:?} after the node came back",
        back.elapsed()
    );
    let rivierenland = fed.team(RIVIERENLAND).await;
    let incoming = escalations(&rivierenland, pb::EscalationDirection::Incoming).await;
    assert_eq!(
        incoming.len(),
        3,
        "each escalation opened exactly one linked case"
    );
    fed.stop().await;
}

#[tokio::test]
async fn a_gateway_that_is_down_delays_delivery_but_loses_nothing() {
    let mut fed = spawn_federation().await;
    let lekstroom = fed.team(LEKSTROOM).await;
    fed.federation.stop_gateway().await;
    let asked = lekstroom
        .consultations
        .clone()
        .ask_consultation(ask_network(
            "Wie kent een plek voor verblijf op maat?",
            &[],
            FLEVOLAND_UTRECHT,
        ))
        .await
        .unwrap()
        .into_inner();
    eventually("failed attempt recorded", WAIT, || async {
        let entries = lekstroom
            .outbox
            .clone()
            .list_outbox(pb::ListOutboxRequest::default())
            .await
            .unwrap()
            .into_inner()
            .entries;
        entries.first().filter(|e| e.attempts >= 1).cloned()
    })
    .await;
    fed.federation.restart_gateway().await.unwrap();
    let flevoland = fed.team(FLEVOLAND_UTRECHT).await;
    let theirs = eventually(
        "question delivered after the gateway is back",
        WAIT,
        || async {
            let list = flevoland
                .consultations
                .clone()
                .list_consultations(pb::ListConsultationsRequest::default())
                .await
                .unwrap()
                .into_inner()
                .consultations;
            (!list.is_empty()).then_some(list)
        },
    )
    .await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].question, asked.question);
    fed.stop().await;
}

#[tokio::test]
async fn dead_letters_are_listed_and_replayed() {
    let mut fed = spawn_federation_with(|settings| settings.dead_letter_after_secs = 1).await;
    let lekstroom = fed.team(LEKSTROOM).await;
    fed.federation.stop_node(RIVIERENLAND).await;
    let case_id = case_ready_to_escalate(&lekstroom, "dead", RIVIERENLAND).await;
    let sent = escalate(&lekstroom, &case_id, RIVIERENLAND).await.unwrap();
    let mut outbox = lekstroom.outbox.clone();
    let dead = eventually("envelope given up on", WAIT, || {
        let mut outbox = outbox.clone();
        async move {
            let entries = outbox
                .list_outbox(pb::ListOutboxRequest {
                    state: pb::OutboxState::Dead as i32,
                    limit: 10,
                })
                .await
                .unwrap()
                .into_inner()
                .entries;
            entries.into_iter().next()
        }
    })
    .await;
    assert_eq!(dead.kind, "escalation");
    assert_eq!(dead.destination, RIVIERENLAND);

    let not_dead = outbox
        .replay_dead_letter(pb::ReplayDeadLetterRequest {
            key: "escalation:unknown".into(),
            actor: ACTOR.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(not_dead.code(), Code::NotFound);

    fed.federation.restart_node(RIVIERENLAND).await.unwrap();
    let replayed = outbox
        .replay_dead_letter(pb::ReplayDeadLetterRequest {
            key: dead.key.clone(),
            actor: ACTOR.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replayed.state, pb::OutboxState::Pending as i32);
    outgoing_reaches(&lekstroom, &sent.id, pb::EscalationStatus::Received).await;
    let again = outbox
        .replay_dead_letter(pb::ReplayDeadLetterRequest {
            key: dead.key,
            actor: ACTOR.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        again.code(),
        Code::FailedPrecondition,
        "a delivered envelope is no dead letter"
    );
    fed.stop().await;
}
