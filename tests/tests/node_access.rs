//! Who may do what at a node, over a real socket: every RPC of the team API called by a user of every role
//! (the RPC × role matrix), every kind of bad credential, and the limit on guessing.

use expertnet_node::access::policy::{self, MATRIX};
use expertnet_node::access::{BearerToken, SignedChannel};
use expertnet_node::domain::people::Role;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::case_service_client::CaseServiceClient;
use expertnet_tests::{TestNode, add_user, spawn_node};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;

/// Services the node serves on its team port, as the contract names them.
const TEAM_SERVICES: &[&str] = &[
    "CaseService",
    "SessionService",
    "ConsultationService",
    "EscalationService",
    "OutboxService",
    "AuditService",
    "ReviewService",
];

/// Every method of the team API, from the compiled contract (so a new RPC cannot slip past this test).
fn team_methods() -> Vec<(String, String)> {
    let set = prost_types::FileDescriptorSet::decode(expertnet_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let mut methods = Vec::new();
    for file in &set.file {
        for service in &file.service {
            let name = service.name();
            if TEAM_SERVICES.contains(&name) {
                for method in &service.method {
                    methods.push((format!("expertnet.v1.{name}"), method.name().to_owned()));
                }
            }
        }
    }
    methods
}

/// Calls `/service/method` with an empty message: enough to pass or fail the guard, and no handler accepts
/// an empty change, so nothing is written.
async fn call_empty(
    channel: &SignedChannel,
    service: &str,
    method: &str,
) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path = tonic::codegen::http::uri::PathAndQuery::try_from(format!("/{service}/{method}"))
        .expect("path");
    grpc.unary::<(), (), _>(
        tonic::Request::new(()),
        path,
        tonic_prost::ProstCodec::default(),
    )
    .await
    .map(|_| ())
}

fn denied_by_guard(result: &Result<(), tonic::Status>) -> bool {
    matches!(result, Err(status) if status.code() == Code::PermissionDenied
        && status.message().contains("not allowed for role"))
}

async fn signed(node: &TestNode, name: &str, roles: &[Role]) -> SignedChannel {
    let token = add_user(&node.workflow, name, roles).await;
    BearerToken::new(&token).sign(node.raw_channel.clone())
}

async fn denied_events(node: &TestNode) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE outcome = 'denied'")
        .fetch_one(node.workflow.storage().pool())
        .await
        .expect("count denied events")
}

#[tokio::test]
async fn every_rpc_by_every_role_follows_the_matrix() {
    let node = spawn_node().await;
    let methods = team_methods();
    assert_eq!(
        methods.len(),
        MATRIX.len(),
        "every RPC of the team API is in the matrix"
    );
    let (mut allowed, mut denied) = (0, 0);
    for role in Role::ALL {
        let channel = signed(&node, &format!("only.{role}"), &[*role]).await;
        for (service, method) in &methods {
            let path = format!("/{service}/{method}");
            let expected = policy::permits(&path, &[*role]);
            let result = call_empty(&channel, service, method).await;
            assert_eq!(
                !denied_by_guard(&result),
                expected,
                "{role} calling {method}: {result:?}"
            );
            if let Err(status) = &result {
                assert_ne!(status.code(), Code::Unauthenticated, "{role} {method}");
                assert_ne!(status.code(), Code::Unimplemented, "{role} {method}");
            }
            if expected {
                allowed += 1;
            } else {
                denied += 1;
            }
        }
    }
    assert_eq!(allowed + denied, methods.len() * Role::ALL.len());
    assert!(allowed > 0 && denied > 0);
    assert_eq!(
        denied_events(&node).await,
        denied as i64,
        "every denial is audited"
    );
    eprintln!(
        "authorization matrix: {} calls, {allowed} allowed, {denied} denied",
        allowed + denied
    );
    node.stop().await;
}

#[tokio::test]
async fn the_auditor_and_administrator_see_no_case_content() {
    let node = spawn_node().await;
    let case = CaseServiceClient::new(node.channel.clone())
        .submit_case(expertnet_tests::fixtures::submit_request("access-1"))
        .await
        .unwrap()
        .into_inner();
    for role in [Role::Auditor, Role::Administrator, Role::TableMember] {
        let channel = signed(&node, &format!("reader.{role}"), &[role]).await;
        let identity = CaseServiceClient::new(channel.clone())
            .get_youth_identity(pb::GetYouthIdentityRequest {
                case_id: case.id.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(identity.code(), Code::PermissionDenied, "{role}");
        assert!(
            identity.message().contains("GetYouthIdentity"),
            "{}",
            identity.message()
        );
        let detail = CaseServiceClient::new(channel)
            .get_case(pb::GetCaseRequest {
                case_id: case.id.clone(),
            })
            .await;
        assert_eq!(
            detail.is_ok(),
            role == Role::TableMember,
            "{role}: {detail:?}"
        );
    }
    node.stop().await;
}

async fn get_case_with(channel: Channel, token: Option<&str>) -> tonic::Status {
    let bearer = token.map_or_else(BearerToken::none, BearerToken::new);
    CaseServiceClient::new(bearer.sign(channel))
        .list_cases(pb::ListCasesRequest::default())
        .await
        .expect_err("refused")
}

#[tokio::test]
async fn every_bad_credential_gets_the_same_unauthenticated() {
    let node = spawn_node().await;
    let short_lived = {
        let new = expertnet_node::workflow::NewUser {
            name: "short.lived".into(),
            organisation: "Test".into(),
            roles: vec![Role::Chair],
        };
        let (_, token) = node.workflow.add_user("op", new, Some(1)).await.unwrap();
        token.reveal().to_owned()
    };
    let revoked = add_user(&node.workflow, "gone", &[Role::Chair]).await;
    node.workflow.disable_user("op", "gone").await.unwrap();
    let replaced = add_user(&node.workflow, "rotated", &[Role::Chair]).await;
    let current = node
        .workflow
        .issue_token("op", "rotated", None, true)
        .await
        .unwrap();
    let unknown = expertnet_node::access::token::Token::generate();
    node.clock.advance_ms(2 * 86_400_000);

    let cases: Vec<(&str, Option<&str>)> = vec![
        ("missing", None),
        ("malformed", Some("not-a-token")),
        ("unknown", Some(unknown.reveal())),
        ("revoked user", Some(&revoked)),
        ("replaced token", Some(&replaced)),
        ("expired", Some(&short_lived)),
    ];
    let mut messages = Vec::new();
    for (what, token) in &cases {
        let status = get_case_with(node.raw_channel.clone(), *token).await;
        assert_eq!(status.code(), Code::Unauthenticated, "{what}");
        messages.push(status.message().to_owned());
    }
    messages.dedup();
    assert_eq!(
        messages.len(),
        1,
        "no answer tells which kind of bad: {messages:?}"
    );

    let fine =
        CaseServiceClient::new(BearerToken::new(current.reveal()).sign(node.raw_channel.clone()))
            .list_cases(pb::ListCasesRequest::default())
            .await;
    assert!(fine.is_ok(), "the new token works: {fine:?}");
    let refused: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE outcome = 'unauthenticated'")
            .fetch_one(node.workflow.storage().pool())
            .await
            .unwrap();
    assert_eq!(
        refused,
        cases.len() as i64,
        "every refused credential is audited"
    );
    node.stop().await;
}

#[tokio::test]
async fn guessing_is_held_off_until_the_window_ends() {
    let node = spawn_node().await;
    let good = add_user(&node.workflow, "patient", &[Role::Chair]).await;
    for _ in 0..expertnet_node::access::limiter::MAX_FAILURES {
        let status = get_case_with(node.raw_channel.clone(), Some("exn_guess")).await;
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    // From this address, even a good token is not looked at now.
    let held = get_case_with(node.raw_channel.clone(), Some(&good)).await;
    assert_eq!(held.code(), Code::ResourceExhausted, "{held:?}");
    assert!(
        held.message().contains("too many failed sign-ins"),
        "{}",
        held.message()
    );

    node.clock
        .advance_ms(expertnet_node::access::limiter::WINDOW_MS);
    let ok = CaseServiceClient::new(BearerToken::new(&good).sign(node.raw_channel.clone()))
        .list_cases(pb::ListCasesRequest::default())
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    node.stop().await;
}

#[tokio::test]
async fn health_needs_no_credential_and_reflection_needs_one() {
    let node = spawn_node().await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(node.raw_channel.clone());
    let reply = health
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await;
    assert!(reply.is_ok(), "{reply:?}");
    let anonymous = BearerToken::none().sign(node.raw_channel.clone());
    let result = call_empty(
        &anonymous,
        "grpc.reflection.v1.ServerReflection",
        "ServerReflectionInfo",
    )
    .await;
    assert_eq!(result.unwrap_err().code(), Code::Unauthenticated);
    node.stop().await;
}

/// A node whose team API speaks TLS with a certificate of a fresh dev PKI; returns its address, the CA file,
/// a token and the shutdown sender.
async fn spawn_tls_node(
    dir: &std::path::Path,
) -> (
    std::net::SocketAddr,
    std::path::PathBuf,
    String,
    tokio::sync::oneshot::Sender<()>,
) {
    use expertnet_federation::{Peer, ServerIdentity, pki::Pki};
    expertnet_federation::install_crypto_provider();
    let pki = Pki::at(dir.join("pki"));
    let region = Peer::Region("lekstroom".into());
    pki.ensure(std::slice::from_ref(&region)).unwrap();
    let files = pki.files(&region);
    let tls = ServerIdentity {
        cert: files.cert,
        key: files.key,
    }
    .server()
    .unwrap();
    let db = expertnet_tests::TestDb::sqlite();
    let (workflow, _clock) = expertnet_tests::workflow_on(&db).await;
    let token = add_user(&workflow, "tls.user", &[Role::Chair]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _db = db;
        expertnet_node::server::serve(listener, workflow, Some(tls), async move {
            let _ = stopped.await;
        })
        .await
    });
    (addr, files.ca, token, stop)
}

#[tokio::test]
async fn the_team_port_with_tls_refuses_plaintext_and_unknown_servers() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, ca, token, stop) = spawn_tls_node(dir.path()).await;

    let endpoint = expertnet_tests::federation::team_endpoint(&format!("https://{addr}"), &ca);
    let channel = endpoint.connect().await.expect("TLS with the right CA");
    let listed = CaseServiceClient::new(BearerToken::new(&token).sign(channel))
        .list_cases(pb::ListCasesRequest::default())
        .await;
    assert!(listed.is_ok(), "{listed:?}");

    let plain = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await;
    if let Ok(plain) = plain {
        let refused = CaseServiceClient::new(BearerToken::new(&token).sign(plain))
            .list_cases(pb::ListCasesRequest::default())
            .await;
        assert!(
            refused.is_err(),
            "a plaintext call got through: {refused:?}"
        );
    }

    let other = tempfile::tempdir().unwrap();
    let other_pki = expertnet_federation::pki::Pki::at(other.path().join("pki"));
    other_pki
        .ensure(&[expertnet_federation::Peer::Gateway])
        .unwrap();
    let stranger = expertnet_tests::federation::team_endpoint(
        &format!("https://{addr}"),
        &other_pki.files(&expertnet_federation::Peer::Gateway).ca,
    )
    .connect()
    .await;
    assert!(
        stranger.is_err(),
        "a server signed by another CA was trusted"
    );
    let _ = stop.send(());
}

#[test]
fn the_readme_prints_the_matrix_the_node_enforces() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    assert!(
        readme.contains(&policy::markdown()),
        "README.md's role table differs from access::policy; paste this:\n{}",
        policy::markdown()
    );
}
