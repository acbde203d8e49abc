//! The node as a server: health, reflection, idempotent submits, privacy of list responses, pagination and a
//! consultation, all over a real socket.

use expertnet_proto::v1 as pb;
use expertnet_tests::fixtures::{TEST_BSN, TEST_NAME, submit_request};
use expertnet_tests::spawn_node;
use tokio_stream::StreamExt;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

#[tokio::test]
async fn health_reports_every_service_serving() {
    let node = spawn_node().await;
    let mut health = HealthClient::new(node.channel.clone());
    for service in [
        "",
        "expertnet.v1.CaseService",
        "expertnet.v1.SessionService",
        "expertnet.v1.ConsultationService",
    ] {
        let reply = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.status(), ServingStatus::Serving, "{service}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "nope.Service".into(),
        })
        .await;
    assert_eq!(unknown.unwrap_err().code(), tonic::Code::NotFound);
    node.stop().await;
}

#[tokio::test]
async fn reflection_lists_the_contract() {
    let node = spawn_node().await;
    let mut reflection = ServerReflectionClient::new(node.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("unexpected reflection reply");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "expertnet.v1.CaseService",
        "expertnet.v1.SessionService",
        "expertnet.v1.ConsultationService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    node.stop().await;
}

#[tokio::test]
async fn retried_submit_returns_the_same_case() {
    let node = spawn_node().await;
    let mut cases = node.cases.clone();
    let first = cases
        .submit_case(submit_request("retry-1"))
        .await
        .unwrap()
        .into_inner();
    let second = cases
        .submit_case(submit_request("retry-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.id, second.id);
    let third = cases
        .submit_case(submit_request("retry-2"))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(first.id, third.id);
    assert_eq!(node.rows("cases").await, 2);
    assert_eq!(node.rows("case_events").await, 2);
    node.stop().await;
}

#[tokio::test]
async fn identifiers_only_through_get_youth_identity() {
    let node = spawn_node().await;
    let mut cases = node.cases.clone();
    let (id, _) = node.case_in(pb::CaseState::InProgress, true).await;
    let list = cases
        .list_cases(pb::ListCasesRequest::default())
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
    for text in [
        serde_json::to_string(&list).unwrap(),
        serde_json::to_string(&detail).unwrap(),
    ] {
        assert!(
            !text.contains(TEST_NAME) && !text.contains(TEST_BSN) && !text.contains("2011-01-15")
        );
    }
    let youth = cases
        .get_youth_identity(pb::GetYouthIdentityRequest { case_id: id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            youth.name.as_str(),
            youth.bsn.as_str(),
            youth.date_of_birth.as_str()
        ),
        (TEST_NAME, TEST_BSN, "2011-01-15")
    );
    node.stop().await;
}

#[tokio::test]
async fn list_pages_through_all_cases_and_filters() {
    let node = spawn_node().await;
    let mut cases = node.cases.clone();
    for _ in 0..5 {
        node.submit().await;
    }
    let (scheduled, session) = node.case_in(pb::CaseState::Scheduled, true).await;
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = cases
            .list_cases(pb::ListCasesRequest {
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.cases.len() <= 2);
        seen.extend(page.cases.into_iter().map(|c| c.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 6);
    let on_session = cases
        .list_cases(pb::ListCasesRequest {
            session_id: session.unwrap(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        on_session
            .cases
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        vec![scheduled]
    );
    let by_category = cases
        .list_cases(pb::ListCasesRequest {
            category: pb::BottleneckCategory::FundingDispute as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(by_category.cases.is_empty());
    node.stop().await;
}

#[tokio::test]
async fn overdue_work_appears_when_the_clock_passes_its_due_date() {
    let node = spawn_node().await;
    let mut cases = node.cases.clone();
    let (id, _) = node.case_in(pb::CaseState::InProgress, true).await;
    let overdue = cases
        .list_overdue(pb::ListOverdueRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(overdue.commitments.is_empty());
    node.clock.advance_ms(45 * 86_400_000);
    let overdue = cases
        .list_overdue(pb::ListOverdueRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overdue.commitments.len(), 1);
    assert_eq!(overdue.commitments[0].case_id, id);
    assert_eq!(overdue.as_of.unwrap().iso, "2026-04-16");
    let flagged = cases
        .list_cases(pb::ListCasesRequest {
            overdue_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(flagged.cases.len(), 1);
    node.stop().await;
}

#[tokio::test]
async fn consultation_asked_by_a_parent_is_answered() {
    let node = spawn_node().await;
    let mut consultations = node.consultations.clone();
    let asked = consultations
        .ask_consultation(pb::AskConsultationRequest {
            request_id: "ouder-1".into(),
            asker_kind: pb::AskerKind::Parent as i32,
            asker_organisation: String::new(),
            question: "Mijn zoon zit al maanden thuis. Wie kan helpen?".into(),
            expertise_tags: vec!["School-Absence".into()],
            case_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(asked.expertise_tags, vec!["school-absence"]);
    assert_eq!(asked.status(), pb::ConsultationStatus::Open);
    let answered = consultations
        .answer_consultation(pb::AnswerConsultationRequest {
            consultation_id: asked.id.clone(),
            expert: "Leerplichtambtenaar".into(),
            answer: "Neem contact op met het thuiszittersoverleg.".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answered.status(), pb::ConsultationStatus::Answered);
    let listed = consultations
        .list_consultations(pb::ListConsultationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.consultations.len(), 1);
    assert_eq!(listed.consultations[0].answers.len(), 1);
    node.stop().await;
}

#[tokio::test]
async fn graceful_stop_finishes_and_refuses_new_connections() {
    let node = spawn_node().await;
    let addr = node.addr;
    node.submit().await;
    node.stop().await;
    let reconnect = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await;
    assert!(
        reconnect.is_err(),
        "a stopped node must not accept connections"
    );
}

#[tokio::test]
async fn reflection_v1alpha_lists_the_contract_and_an_unknown_method_is_unimplemented() {
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let node = spawn_node().await;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let reply = ServerReflectionClient::new(node.channel.clone())
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("v1alpha answers a signed-in user")
        .into_inner()
        .next()
        .await
        .unwrap()
        .unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("unexpected reflection reply");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "expertnet.v1.CaseService"),
        "{:?}",
        list.service
    );

    let call = |channel| async move {
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.unwrap();
        grpc.unary::<(), (), _>(
            tonic::Request::new(()),
            http::uri::PathAndQuery::from_static("/expertnet.v1.CaseService/DropTables"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err()
    };
    let signed_in = call(node.channel.clone()).await;
    assert_eq!(
        signed_in.code(),
        tonic::Code::Unimplemented,
        "{signed_in:?}"
    );
    assert!(
        signed_in.message().contains("no such method"),
        "{signed_in:?}"
    );
    let stranger =
        expertnet_node::access::BearerToken::new("not-a-token").sign(node.raw_channel.clone());
    let anonymous = call(stranger).await;
    assert_eq!(
        anonymous.code(),
        tonic::Code::Unauthenticated,
        "{anonymous:?}"
    );
    node.stop().await;
}
