//! Who may talk to whom: the gateway refuses plaintext, an unknown CA, an expired certificate, a region not in
//! the registry and an envelope claiming another region; a node's inbox takes deliveries from the gateway only;
//! the network view is for coordinators. Bad envelopes get a precise status at the gateway.

use expertnet_federation::peer::{GATEWAY_HOST, node_host};
use expertnet_federation::pki::{Pki, Validity};
use expertnet_federation::{Peer, TlsFiles};
use expertnet_node::clock::{Clock, SystemClock};
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::coordinator_service_client::CoordinatorServiceClient;
use expertnet_proto::v1::envelope::Body;
use expertnet_proto::v1::gateway_service_client::GatewayServiceClient;
use expertnet_proto::v1::inbox_service_client::InboxServiceClient;
use expertnet_tests::federation::*;
use std::time::Duration;
use tonic::Code;
use tonic::transport::Endpoint;

fn question(from: &str, to: &str, tags: &[&str]) -> pb::Envelope {
    pb::Envelope {
        key: format!("test:{}", uuid::Uuid::new_v4()),
        from_region: from.into(),
        to_region: to.into(),
        expertise_tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        body: Some(Body::ConsultationQuestion(pb::ConsultationQuestion {
            consultation_id: uuid::Uuid::now_v7().to_string(),
            asker_kind: pb::AskerKind::Professional as i32,
            asker_organisation: "Sociaal team Houten".into(),
            question: "Wie kan helpen?".into(),
            expertise_tags: vec![],
            asked_at_ms: 1,
        })),
    }
}

fn escalation(from: &str, to: &str, legal_basis: pb::LegalBasis) -> pb::Envelope {
    pb::Envelope {
        key: format!("test:{}", uuid::Uuid::new_v4()),
        from_region: from.into(),
        to_region: to.into(),
        expertise_tags: vec![],
        body: Some(Body::Escalation(pb::EscalationPackage {
            escalation_id: uuid::Uuid::now_v7().to_string(),
            legal_basis: legal_basis as i32,
            reason: "Geen aanbod".into(),
            referrer_kind: pb::ReferrerKind::SocialTeam as i32,
            contact_organisation: "Sociaal team Houten".into(),
            age: 15,
            municipality: "Houten".into(),
            categories: vec![pb::BottleneckCategory::WaitingList as i32],
            question: "Waar kan hij terecht?".into(),
            tried_so_far: "Alles".into(),
            escalated_at_ms: 1,
        })),
    }
}

/// A copy of the federation's CA in another folder, to issue certificates the federation did not hand out.
fn same_ca_elsewhere(fed: &TestFederation, name: &str) -> Pki {
    let pki = Pki::at(fed.dir.path().join(name));
    std::fs::create_dir_all(pki.dir()).unwrap();
    for file in ["ca.pem", "ca.key"] {
        std::fs::copy(fed.federation.pki.dir().join(file), pki.dir().join(file)).unwrap();
    }
    pki
}

async fn gateway_as(
    fed: &TestFederation,
    files: &TlsFiles,
) -> Result<GatewayServiceClient<tonic::transport::Channel>, String> {
    mtls_channel(&fed.gateway_url(), files, GATEWAY_HOST)
        .await
        .map(GatewayServiceClient::new)
        .map_err(|e| format!("{e:?}"))
}

/// The call's status, whether the handshake or the call refused it.
async fn heartbeat_as(fed: &TestFederation, files: &TlsFiles) -> Result<(), String> {
    let mut client = gateway_as(fed, files).await?;
    client
        .heartbeat(pb::HeartbeatRequest::default())
        .await
        .map(|_| ())
        .map_err(|s| format!("{:?}: {}", s.code(), s.message()))
}

#[tokio::test]
async fn the_gateway_refuses_whom_it_cannot_trust() {
    let fed = spawn_federation().await;
    let lekstroom = fed.tls(&Peer::Region(LEKSTROOM.into()));
    heartbeat_as(&fed, &lekstroom)
        .await
        .expect("a registered region is let in");

    // Plaintext: no TLS at all.
    let plaintext = async {
        let channel = Endpoint::from_shared(format!("http://{}", fed.federation.gateway.addr))
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        GatewayServiceClient::new(channel)
            .heartbeat(pb::HeartbeatRequest::default())
            .await
            .map(|_| ())
            .map_err(|s| s.to_string())
    }
    .await;
    assert!(plaintext.is_err(), "plaintext must be refused");

    // A certificate from an unknown CA (the client still trusts the real CA, so only the server refuses).
    let stranger = Pki::at(fed.dir.path().join("other-ca"));
    stranger.ensure(&[Peer::Region(LEKSTROOM.into())]).unwrap();
    let foreign = TlsFiles {
        ca: lekstroom.ca.clone(),
        ..stranger.files(&Peer::Region(LEKSTROOM.into()))
    };
    assert!(
        heartbeat_as(&fed, &foreign).await.is_err(),
        "unknown CA must be refused"
    );

    // An expired certificate from the right CA.
    let expired_pki = same_ca_elsewhere(&fed, "expired");
    let now = time::OffsetDateTime::now_utc();
    let expired = expired_pki
        .issue(
            &Peer::Region(LEKSTROOM.into()),
            Validity {
                not_before: now - time::Duration::days(30),
                not_after: now - time::Duration::days(1),
            },
        )
        .unwrap();
    assert!(
        heartbeat_as(&fed, &expired).await.is_err(),
        "expired certificate must be refused"
    );

    // A valid certificate for a region the registry does not know.
    let atlantis_pki = same_ca_elsewhere(&fed, "atlantis");
    let atlantis = atlantis_pki
        .issue(
            &Peer::Region("atlantis".into()),
            Validity::from_now(time::Duration::days(1)),
        )
        .unwrap();
    let refused = heartbeat_as(&fed, &atlantis).await.unwrap_err();
    assert!(
        refused.starts_with("PermissionDenied") && refused.contains("atlantis"),
        "{refused}"
    );

    // A coordinator is no region node.
    let coordinator = fed.tls(&Peer::Coordinator("coordinator".into()));
    let refused = heartbeat_as(&fed, &coordinator).await.unwrap_err();
    assert!(refused.starts_with("PermissionDenied"), "{refused}");
    fed.stop().await;
}

#[tokio::test]
async fn a_region_cannot_speak_for_another() {
    let fed = spawn_federation().await;
    let mut lekstroom = gateway_as(&fed, &fed.tls(&Peer::Region(LEKSTROOM.into())))
        .await
        .unwrap();
    let status = lekstroom
        .route(question(RIVIERENLAND, FLEVOLAND_UTRECHT, &[]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(status.message().contains("from_region"), "{status:?}");
    let flevoland = fed.team(FLEVOLAND_UTRECHT).await;
    let delivered = flevoland
        .consultations
        .clone()
        .list_consultations(pb::ListConsultationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .consultations;
    assert!(delivered.is_empty(), "the spoofed envelope went nowhere");
    fed.stop().await;
}

#[tokio::test]
async fn only_the_gateway_delivers_to_an_inbox() {
    let fed = spawn_federation().await;
    let inbox_url = format!("https://{}", fed.federation.node(RIVIERENLAND).inbox_addr);
    let channel = mtls_channel(
        &inbox_url,
        &fed.tls(&Peer::Region(LEKSTROOM.into())),
        &node_host(RIVIERENLAND),
    )
    .await
    .unwrap();
    let status = InboxServiceClient::new(channel)
        .deliver(question(LEKSTROOM, RIVIERENLAND, &[]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

    // A client expecting rivierenland's certificate does not accept another region's server.
    let wrong_server =
        mtls_channel(&inbox_url, &fed.tls(&Peer::Gateway), &node_host(LEKSTROOM)).await;
    assert!(
        wrong_server.is_err(),
        "server name mismatch must fail the handshake"
    );
    fed.stop().await;
}

#[tokio::test]
async fn bad_envelopes_get_a_precise_status() {
    let fed = spawn_federation().await;
    let mut gateway = gateway_as(&fed, &fed.tls(&Peer::Region(LEKSTROOM.into())))
        .await
        .unwrap();
    let refused = |envelope: pb::Envelope| {
        let mut gateway = gateway.clone();
        async move { gateway.route(envelope).await.unwrap_err() }
    };
    let cases: Vec<(pb::Envelope, Code, &str)> = vec![
        (
            question(LEKSTROOM, "atlantis", &[]),
            Code::NotFound,
            "atlantis",
        ),
        (
            question(LEKSTROOM, LEKSTROOM, &[]),
            Code::InvalidArgument,
            "to_region",
        ),
        (
            question(LEKSTROOM, "", &[]),
            Code::InvalidArgument,
            "expertise_tags",
        ),
        (
            question(LEKSTROOM, "", &["astrology"]),
            Code::NotFound,
            "astrology",
        ),
        (
            escalation(LEKSTROOM, MIDDEN_IJSSEL, pb::LegalBasis::Consent),
            Code::PermissionDenied,
            "covenant",
        ),
        (
            escalation(LEKSTROOM, RIVIERENLAND, pb::LegalBasis::Unspecified),
            Code::PermissionDenied,
            "consent",
        ),
        (
            escalation(LEKSTROOM, "", pb::LegalBasis::Consent),
            Code::InvalidArgument,
            "to_region",
        ),
        (
            pb::Envelope {
                body: None,
                ..question(LEKSTROOM, RIVIERENLAND, &[])
            },
            Code::InvalidArgument,
            "body",
        ),
        (
            pb::Envelope {
                key: "has spaces".into(),
                ..question(LEKSTROOM, RIVIERENLAND, &[])
            },
            Code::InvalidArgument,
            "key",
        ),
    ];
    for (envelope, code, names) in cases {
        let status = refused(envelope).await;
        assert_eq!(status.code(), code, "{status:?}");
        assert!(status.message().contains(names), "{status:?}");
    }
    let mut oversized = question(LEKSTROOM, RIVIERENLAND, &[]);
    if let Some(Body::ConsultationQuestion(q)) = &mut oversized.body {
        q.question = "x".repeat(200 * 1024);
    }
    let status = gateway.route(oversized).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert!(status.message().contains("limit"), "{status:?}");
    fed.stop().await;
}

#[tokio::test]
async fn coordinators_see_the_network() {
    let mut fed = spawn_federation().await;
    let channel = mtls_channel(
        &fed.gateway_url(),
        &fed.tls(&Peer::Coordinator("coordinator".into())),
        GATEWAY_HOST,
    )
    .await
    .unwrap();
    let mut coordinator = CoordinatorServiceClient::new(channel);
    let view = eventually("all four regions up", Duration::from_secs(10), || {
        let mut coordinator = coordinator.clone();
        async move {
            let view = coordinator
                .network_view(pb::NetworkViewRequest {})
                .await
                .unwrap()
                .into_inner();
            view.regions.iter().all(|r| r.up).then_some(view)
        }
    })
    .await;
    let ids: Vec<&str> = view.regions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [LEKSTROOM, MIDDEN_IJSSEL, RIVIERENLAND, FLEVOLAND_UTRECHT]
    );
    assert!(
        view.regions
            .iter()
            .all(|r| !r.version.is_empty() && r.last_seen_ms > 0)
    );

    // A question in flight from lekstroom to rivierenland shows as a flow until it is answered.
    let lekstroom = fed.team(LEKSTROOM).await;
    lekstroom
        .consultations
        .clone()
        .ask_consultation(pb::AskConsultationRequest {
            asker_kind: pb::AskerKind::Parent as i32,
            question: "Onze zoon zit thuis; wie helpt?".into(),
            target_region: RIVIERENLAND.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let flow = eventually("flow shown", Duration::from_secs(10), || {
        let mut coordinator = coordinator.clone();
        async move {
            let view = coordinator
                .network_view(pb::NetworkViewRequest {})
                .await
                .unwrap()
                .into_inner();
            view.flows.into_iter().find(|f| f.from_region == LEKSTROOM)
        }
    })
    .await;
    assert_eq!(flow.to_region, RIVIERENLAND);
    assert_eq!((flow.consultations, flow.escalations), (1, 0));
    let waited = SystemClock.now_ms() - flow.oldest_since_ms;
    assert!(
        (0..60_000).contains(&waited),
        "the question waits since it was asked, moments ago: {waited} ms"
    );

    fed.federation.stop_node(MIDDEN_IJSSEL).await;
    eventually("a silent region goes down", Duration::from_secs(10), || {
        let mut coordinator = coordinator.clone();
        async move {
            let view = coordinator
                .network_view(pb::NetworkViewRequest {})
                .await
                .unwrap()
                .into_inner();
            view.regions
                .iter()
                .any(|r| r.id == MIDDEN_IJSSEL && !r.up)
                .then_some(())
        }
    })
    .await;

    let region_cert = mtls_channel(
        &fed.gateway_url(),
        &fed.tls(&Peer::Region(LEKSTROOM.into())),
        GATEWAY_HOST,
    )
    .await
    .unwrap();
    let status = CoordinatorServiceClient::new(region_cert)
        .network_view(pb::NetworkViewRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    coordinator
        .network_view(pb::NetworkViewRequest {})
        .await
        .unwrap();
    fed.stop().await;
}

#[tokio::test]
async fn the_gateway_answers_reflection_v1alpha_beside_v1() {
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let fed = spawn_federation().await;
    let channel = mtls_channel(
        &fed.gateway_url(),
        &fed.tls(&Peer::Region(LEKSTROOM.into())),
        GATEWAY_HOST,
    )
    .await
    .unwrap();
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let reply = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("v1alpha is served")
        .into_inner()
        .message()
        .await
        .unwrap()
        .expect("a reply");
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("unexpected reflection reply");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"expertnet.v1.GatewayService"), "{names:?}");
    assert!(
        names.contains(&"expertnet.v1.CoordinatorService"),
        "{names:?}"
    );
    fed.stop().await;
}
