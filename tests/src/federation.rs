//! A whole federation for a test: the gateway and the four regions of `deploy/registry.toml`, in-process on
//! ports chosen by the OS, over mutual TLS with a fresh dev PKI, each node on its own SQLite file.

use crate::fixtures::{ACTOR, case_ref, submit_request};
use expertnet_federation::peer::GATEWAY_HOST;
use expertnet_federation::{Peer, Registry, TlsFiles};
use expertnet_local::{LocalFederation, Settings};
use expertnet_node::access::{BearerToken, SignedChannel};
use expertnet_node::clock::SystemClock;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::case_service_client::CaseServiceClient;
use expertnet_proto::v1::consultation_service_client::ConsultationServiceClient;
use expertnet_proto::v1::coordinator_service_client::CoordinatorServiceClient;
use expertnet_proto::v1::escalation_service_client::EscalationServiceClient;
use expertnet_proto::v1::gateway_service_client::GatewayServiceClient;
use expertnet_proto::v1::outbox_service_client::OutboxServiceClient;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};

pub const LEKSTROOM: &str = "lekstroom";
pub const MIDDEN_IJSSEL: &str = "midden-ijssel-oost-veluwe";
pub const RIVIERENLAND: &str = "rivierenland";
pub const FLEVOLAND_UTRECHT: &str = "flevoland-utrecht";

/// How long a test waits for something to cross the federation.
pub const WAIT: Duration = Duration::from_secs(15);

/// The registry the project deploys.
pub fn deployed_registry() -> Registry {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/registry.toml");
    Registry::load(&path).expect("deploy/registry.toml")
}

#[derive(Debug)]
pub struct TestFederation {
    pub federation: LocalFederation,
    pub dir: tempfile::TempDir,
}

/// Starts the four regions and the gateway with quick heartbeats and retries.
pub async fn spawn_federation() -> TestFederation {
    spawn_federation_with(|_| {}).await
}

/// Like [`spawn_federation`], with changed settings.
pub async fn spawn_federation_with(change: impl FnOnce(&mut Settings)) -> TestFederation {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut settings = Settings::ephemeral(dir.path(), deployed_registry());
    change(&mut settings);
    let federation = LocalFederation::start(settings, Arc::new(SystemClock))
        .await
        .expect("start the federation");
    TestFederation { federation, dir }
}

/// Typed clients for one region's team API.
#[derive(Debug, Clone)]
pub struct TeamClients {
    pub cases: CaseServiceClient<SignedChannel>,
    pub consultations: ConsultationServiceClient<SignedChannel>,
    pub escalations: EscalationServiceClient<SignedChannel>,
    pub outbox: OutboxServiceClient<SignedChannel>,
}

impl TeamClients {
    pub fn on(channel: Channel, token: &str) -> TeamClients {
        let channel = BearerToken::new(token).sign(channel);
        TeamClients {
            cases: CaseServiceClient::new(channel.clone()),
            consultations: ConsultationServiceClient::new(channel.clone()),
            escalations: EscalationServiceClient::new(channel.clone()),
            outbox: OutboxServiceClient::new(channel),
        }
    }

    /// Clients of a team API over TLS (trusting `ca`) that connect on first use and again after the node
    /// restarts.
    pub fn connect_lazy(url: &str, token: &str, ca: &std::path::Path) -> TeamClients {
        let channel = team_endpoint(url, ca)
            .connect_timeout(Duration::from_secs(2))
            .connect_lazy();
        TeamClients::on(channel, token)
    }
}

/// An endpoint for a team API over TLS, trusting `ca`.
pub fn team_endpoint(url: &str, ca: &std::path::Path) -> Endpoint {
    Endpoint::from_shared(url.to_owned())
        .expect("URL")
        .tls_config(expertnet_federation::tls::trusting(ca).expect("the CA certificate"))
        .expect("TLS configuration")
}

impl TestFederation {
    pub async fn team(&self, region: &str) -> TeamClients {
        let node = self.federation.node(region);
        let channel = team_endpoint(&node.url(), node.ca())
            .connect()
            .await
            .expect("connect to the node's team API");
        TeamClients::on(channel, &node.team_token)
    }

    /// The certificate files of a party of this federation's PKI.
    pub fn tls(&self, peer: &Peer) -> TlsFiles {
        self.federation.pki.files(peer)
    }

    pub fn gateway_url(&self) -> String {
        format!("https://{}", self.federation.gateway.addr)
    }

    pub async fn stop(self) {
        self.federation.stop().await;
    }
}

/// A mutual-TLS channel presenting `files`, expecting the server to hold `server_name`'s certificate.
pub async fn mtls_channel(
    url: &str,
    files: &TlsFiles,
    server_name: &str,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(url.to_owned())?
        .tls_config(files.client(server_name).expect("TLS files"))?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
}

/// The gateway's service for nodes, called with `peer`'s certificate.
pub async fn gateway_as(fed: &TestFederation, peer: Peer) -> GatewayServiceClient<Channel> {
    let channel = mtls_channel(&fed.gateway_url(), &fed.tls(&peer), GATEWAY_HOST)
        .await
        .expect("connect to the gateway");
    GatewayServiceClient::new(channel)
}

/// The gateway's coordinator service, called with `peer`'s certificate.
pub async fn coordinator_as(fed: &TestFederation, peer: Peer) -> CoordinatorServiceClient<Channel> {
    let channel = mtls_channel(&fed.gateway_url(), &fed.tls(&peer), GATEWAY_HOST)
        .await
        .expect("connect to the gateway");
    CoordinatorServiceClient::new(channel)
}

/// A statistics table as the gateway answers `client`'s coordinator; the test fails if it refuses.
pub async fn read_table(
    client: &mut CoordinatorServiceClient<Channel>,
    request: pb::StatisticsTableRequest,
) -> pb::StatisticsTable {
    client
        .statistics_table(request)
        .await
        .expect("the table")
        .into_inner()
}

/// The coordinator of an area in `deploy/registry.toml`.
pub fn area_coordinator(area: &str) -> Peer {
    Peer::Coordinator(format!("coordinator-{area}"))
}

/// A request for a published table: national when `region` and `area` are empty.
pub fn table_request(
    period: &str,
    table: &str,
    region: &str,
    area: &str,
) -> pb::StatisticsTableRequest {
    pb::StatisticsTableRequest {
        period: period.into(),
        table: table.into(),
        region: region.into(),
        area: area.into(),
        epsilon: 0.0,
    }
}

/// Runs `expertnet-gateway` with `args` as `coordinator` of this federation (a child process awaited, so the
/// test's runtime keeps serving the in-process gateway).
pub async fn gateway_cli(
    fed: &TestFederation,
    coordinator: &str,
    args: &[&str],
) -> std::process::Output {
    tokio::process::Command::new(crate::workspace_binary("expertnet-gateway"))
        .args(args)
        .args([
            "--gateway",
            &fed.gateway_url(),
            "--coordinator",
            coordinator,
        ])
        .arg("--pki")
        .arg(fed.federation.pki.dir())
        .output()
        .await
        .expect("run expertnet-gateway")
}

/// Asserts that a call was refused with `code` and a message containing `message`.
pub fn assert_refused(status: &tonic::Status, code: tonic::Code, message: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert!(status.message().contains(message), "{}", status.message());
}

/// Polls `check` until it yields a value, for at most `timeout`; panics naming `what` otherwise.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if started.elapsed() > timeout {
            panic!("{what}: not within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A consent given by `given_by` to escalate the case to `to`, without an end date.
pub fn consent_request(case_id: &str, given_by: &str, to: &str) -> pb::RecordConsentRequest {
    pb::RecordConsentRequest {
        case_id: case_id.into(),
        actor: ACTOR.into(),
        basis: pb::LegalBasis::Consent as i32,
        given_by: given_by.into(),
        note: String::new(),
        scope: "escalate".into(),
        scope_target: to.into(),
        valid_until: None,
    }
}

/// The withdrawal of consent number `sequence` of a case.
pub fn withdrawal(case_id: &str, sequence: i64, reason: &str) -> pb::WithdrawConsentRequest {
    pb::WithdrawConsentRequest {
        case_id: case_id.into(),
        sequence,
        actor: ACTOR.into(),
        reason: reason.into(),
    }
}

/// Submits a case at `team`, takes it into intake and records the parents' consent to escalate it to `to`.
pub async fn case_ready_to_escalate(team: &TeamClients, request_id: &str, to: &str) -> String {
    let mut cases = team.cases.clone();
    let case = cases
        .submit_case(submit_request(request_id))
        .await
        .unwrap()
        .into_inner();
    cases.start_intake(case_ref(&case.id)).await.unwrap();
    team.escalations
        .clone()
        .record_consent(pb::RecordConsentRequest {
            note: "Moeder stemt in met overdracht".into(),
            ..consent_request(&case.id, "parent", to)
        })
        .await
        .unwrap();
    case.id
}

pub async fn escalate(
    team: &TeamClients,
    case_id: &str,
    to: &str,
) -> Result<pb::Escalation, tonic::Status> {
    team.escalations
        .clone()
        .escalate_case(pb::EscalateCaseRequest {
            case_id: case_id.into(),
            actor: ACTOR.into(),
            to_region: to.into(),
            reason: "Geen passend aanbod in de eigen regio".into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

pub async fn escalations(
    team: &TeamClients,
    direction: pb::EscalationDirection,
) -> Vec<pb::Escalation> {
    team.escalations
        .clone()
        .list_escalations(pb::ListEscalationsRequest {
            direction: direction as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .escalations
}

/// The outgoing escalation `id` once its status is `status`.
pub async fn outgoing_reaches(
    team: &TeamClients,
    id: &str,
    status: pb::EscalationStatus,
) -> pb::Escalation {
    eventually(&format!("escalation {id} {status:?}"), WAIT, || async {
        escalations(team, pb::EscalationDirection::Outgoing)
            .await
            .into_iter()
            .find(|e| e.id == id && e.status == status as i32)
    })
    .await
}

/// Waits until every escalation in `ids` shows `status` at the sender; how long that took.
pub async fn escalations_reach(
    team: &TeamClients,
    ids: &[String],
    status: pb::EscalationStatus,
    within: Duration,
) -> Duration {
    let started = Instant::now();
    eventually(
        &format!("{} escalations {status:?}", ids.len()),
        within,
        || async {
            let listed = team
                .escalations
                .clone()
                .list_escalations(pb::ListEscalationsRequest {
                    direction: pb::EscalationDirection::Outgoing as i32,
                })
                .await
                .ok()?
                .into_inner()
                .escalations;
            let done = ids.iter().all(|id| {
                listed
                    .iter()
                    .any(|e| &e.id == id && e.status == status as i32)
            });
            done.then_some(())
        },
    )
    .await;
    started.elapsed()
}

/// A professional's question to the other regions' experts: by expertise `tags`, or to the region `target` when
/// it is not empty.
pub fn ask_network(question: &str, tags: &[&str], target: &str) -> pb::AskConsultationRequest {
    pb::AskConsultationRequest {
        asker_kind: pb::AskerKind::Professional as i32,
        asker_organisation: "Sociaal team Houten".into(),
        question: question.into(),
        expertise_tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        to_network: true,
        target_region: target.into(),
        ..Default::default()
    }
}

/// The federation's dashboard once more, on a port of its own over plain HTTP with `policy`, until the test
/// ends: for tests of its pages' statuses, headers and refusals with a client that speaks no TLS. The base URL.
pub async fn spawn_plain_dashboard(
    fed: &TestFederation,
    policy: expertnet_web::sign_in::SignInPolicy,
) -> String {
    let dashboard = fed.federation.gateway.gateway.dashboard(policy, false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port for the dashboard");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(expertnet_gateway::dashboard::serve(
        listener,
        dashboard,
        None,
        std::future::pending(),
    ));
    format!("http://{addr}")
}
