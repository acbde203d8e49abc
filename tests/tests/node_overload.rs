//! A node's inbox flooded: thousands of consultation questions delivered at once over the gateway's one
//! connection (as the gateway delivers), with the node's own team working meanwhile. Every answer is a receipt,
//! `RESOURCE_EXHAUSTED` or `UNAVAILABLE`; the inbox sheds what is past its limit at once; every question it took
//! is stored once; the team's calls are answered in their usual time; memory stays bounded.
//! The same flood through the gateway and node as separate processes measures each one's peak memory against a
//! stated bound. `EXPERTNET_OVERLOAD_CALLS` sets the count (2 000 by default; the 10 000 by hand).

use expertnet_federation::Peer;
use expertnet_federation::peer::node_host;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::envelope::Body;
use expertnet_proto::v1::gateway_service_client::GatewayServiceClient;
use expertnet_proto::v1::inbox_service_client::InboxServiceClient;
use expertnet_tests::federation::*;
use expertnet_tests::memory_kb;
use expertnet_tests::process_federation::{ProcessFederation, incoming_consultations};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tonic::Code;

const CALLS: usize = 2000;
/// The team's calls during the flood: their usual time is milliseconds; this bound allows a busy shared machine.
const USUAL: Duration = Duration::from_secs(2);
const MEMORY_BOUND_KB: u64 = 256 * 1024;
/// The peak resident memory the gateway and a node may reach as processes under the flood.
const GATEWAY_PEAK_KB: u64 = 96 * 1024;
const NODE_PEAK_KB: u64 = 160 * 1024;
/// Connections the flood through the gateway comes over, as from many senders.
const CONNECTIONS: usize = 16;

fn question(n: usize) -> pb::Envelope {
    pb::Envelope {
        key: format!("overload:{n}"),
        from_region: LEKSTROOM.into(),
        to_region: RIVIERENLAND.into(),
        expertise_tags: vec![],
        body: Some(Body::ConsultationQuestion(pb::ConsultationQuestion {
            consultation_id: uuid::Uuid::now_v7().to_string(),
            asker_kind: pb::AskerKind::Professional as i32,
            asker_organisation: "Sociaal team Houten".into(),
            question: "Wie heeft ervaring met een passende plek na een opname?".into(),
            expertise_tags: vec![],
            asked_at_ms: 1,
        })),
    }
}

/// What came back from a flood: how many were taken, and how many of each answer. Every answer must be a
/// receipt (checked by `taken_well`), `RESOURCE_EXHAUSTED` or `UNAVAILABLE`.
async fn tally<T>(
    flood: Vec<tokio::task::JoinHandle<Result<T, tonic::Status>>>,
    taken_well: impl Fn(T),
) -> (usize, BTreeMap<String, usize>) {
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut taken = 0;
    for call in flood {
        match call.await.unwrap() {
            Ok(answer) => {
                taken_well(answer);
                taken += 1;
                *codes.entry("OK".into()).or_default() += 1;
            }
            Err(status) => {
                assert!(
                    matches!(status.code(), Code::ResourceExhausted | Code::Unavailable),
                    "an overloaded node answers only with a receipt, RESOURCE_EXHAUSTED or UNAVAILABLE: {status:?}"
                );
                *codes.entry(format!("{:?}", status.code())).or_default() += 1;
            }
        }
    }
    (taken, codes)
}

/// The slowest of `calls` list calls of the team, one after another.
async fn slowest_of(team: &TeamClients, calls: usize) -> Duration {
    let mut slowest = Duration::ZERO;
    for _ in 0..calls {
        let asked = Instant::now();
        team.cases
            .clone()
            .list_cases(pb::ListCasesRequest {
                page_size: 25,
                ..Default::default()
            })
            .await
            .expect("the team is served");
        slowest = slowest.max(asked.elapsed());
    }
    slowest
}

/// The questions from Lekstroom the node has stored.
async fn stored_questions(node: &expertnet_local::NodeHandle) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM consultations WHERE origin_region = 'lekstroom'")
        .fetch_one(node.workflow.storage().pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooded_inbox_sheds_what_is_past_its_limit_and_the_team_is_still_served() {
    let fed = spawn_federation().await;
    let node = fed.federation.node(RIVIERENLAND);
    let channel = mtls_channel(
        &format!("https://{}", node.inbox_addr),
        &fed.tls(&Peer::Gateway),
        &node_host(RIVIERENLAND),
    )
    .await
    .unwrap();
    let inbox = InboxServiceClient::new(channel);
    let team = fed.team(RIVIERENLAND).await;
    let idle_team_call = slowest_of(&team, 3).await;
    let before = expertnet_tests::rss_kb();

    let calls = expertnet_tests::count_from_env("EXPERTNET_OVERLOAD_CALLS", CALLS);
    let started = Instant::now();
    let flood: Vec<_> = (0..calls)
        .map(|n| {
            let mut inbox = inbox.clone();
            tokio::spawn(async move {
                inbox
                    .deliver(question(n))
                    .await
                    .map(|r| r.into_inner().duplicate)
            })
        })
        .collect();
    let slowest_team_call = slowest_of(&team, 5).await;
    let (taken, codes) = tally(flood, |duplicate| {
        assert!(!duplicate, "each key was sent once")
    })
    .await;
    let took = started.elapsed();
    let grew = expertnet_tests::rss_kb().saturating_sub(before);
    let stored = stored_questions(node).await;
    println!(
        "overload: {calls} deliveries at once in {took:?}: {codes:?}; {stored} questions stored; the team's \
         slowest call {slowest_team_call:?} (idle {idle_team_call:?}); memory grew {grew} KB"
    );
    assert_eq!(stored, taken as i64, "every question taken is stored once");
    assert!(
        codes.get("ResourceExhausted").copied().unwrap_or(0) > 0,
        "past its limit the inbox sheds: {codes:?}"
    );
    assert!(taken > 0, "and it takes what is within it: {codes:?}");
    assert!(
        slowest_team_call < USUAL,
        "the team waited {slowest_team_call:?}"
    );
    assert!(grew < MEMORY_BOUND_KB, "memory grew {grew} KB");
    fed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_through_the_gateway_gets_receipts_or_try_again_and_loses_nothing() {
    let fed = spawn_federation().await;
    let gateway = gateway_as(&fed, Peer::Region(LEKSTROOM.into())).await;
    let node = fed.federation.node(RIVIERENLAND);
    let calls = expertnet_tests::count_from_env("EXPERTNET_OVERLOAD_CALLS", CALLS);
    let started = Instant::now();
    let flood: Vec<_> = (0..calls)
        .map(|n| {
            let mut gateway = gateway.clone();
            tokio::spawn(async move { gateway.route(question(n)).await })
        })
        .collect();
    let (taken, codes) = tally(flood, |reply: tonic::Response<pb::RouteReply>| {
        assert_eq!(reply.into_inner().delivered_to, [RIVIERENLAND]);
    })
    .await;
    let stored = stored_questions(node).await;
    println!(
        "overload through the gateway: {calls} routes at once in {:?}: {codes:?}; {stored} stored",
        started.elapsed()
    );
    assert_eq!(
        stored, taken as i64,
        "every question delivered is stored once"
    );
    assert!(taken > 0, "{codes:?}");
    fed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_and_node_processes_stay_within_their_memory_under_a_flood() {
    let mut fed = ProcessFederation::start(&[LEKSTROOM, RIVIERENLAND]).await;
    let (gateway_pid, node_pid) = (fed.gateway().pid(), fed.node(RIVIERENLAND).process.pid());
    let idle = (
        memory_kb(&gateway_pid, "VmRSS"),
        memory_kb(&node_pid, "VmRSS"),
    );
    let files = fed.pki.files(&Peer::Region(LEKSTROOM.into()));
    let gateway_url = format!("https://{}", fed.gateway_addrs[0]);
    let mut senders = Vec::new();
    for _ in 0..CONNECTIONS {
        let channel = mtls_channel(
            &gateway_url,
            &files,
            expertnet_federation::peer::GATEWAY_HOST,
        )
        .await
        .expect("connect to the gateway");
        senders.push(GatewayServiceClient::new(channel));
    }
    let team = fed.team(RIVIERENLAND);
    let idle_team_call = slowest_of(&team, 3).await;

    let calls = expertnet_tests::count_from_env("EXPERTNET_OVERLOAD_CALLS", CALLS);
    let started = Instant::now();
    let flood: Vec<_> = (0..calls)
        .map(|n| {
            let mut gateway = senders[n % CONNECTIONS].clone();
            tokio::spawn(async move { gateway.route(question(n)).await })
        })
        .collect();
    let slowest_team_call = slowest_of(&team, 5).await;
    let (taken, codes) = tally(flood, |reply: tonic::Response<pb::RouteReply>| {
        assert_eq!(reply.into_inner().delivered_to, [RIVIERENLAND]);
    })
    .await;
    let took = started.elapsed();
    let peak = (
        memory_kb(&gateway_pid, "VmHWM"),
        memory_kb(&node_pid, "VmHWM"),
    );
    let stored = incoming_consultations(&fed.nodes[RIVIERENLAND].database_url).await;
    println!(
        "overload through gateway and node processes: {calls} routes at once over {CONNECTIONS} connections in \
         {took:?}: {codes:?}; {} stored; the team's slowest call {slowest_team_call:?} (idle {idle_team_call:?}); resident memory idle → peak: \
         gateway {} → {} KB, node {} → {} KB",
        stored.len(),
        idle.0,
        peak.0,
        idle.1,
        peak.1
    );
    assert_eq!(stored.len(), taken, "every question delivered is stored");
    assert!(stored.values().all(|n| *n == 1), "and stored once");
    assert!(taken > 0, "{codes:?}");
    assert!(
        slowest_team_call < USUAL,
        "the team waited {slowest_team_call:?}"
    );
    assert!(
        peak.0 < GATEWAY_PEAK_KB,
        "the gateway peaked at {} KB",
        peak.0
    );
    assert!(peak.1 < NODE_PEAK_KB, "the node peaked at {} KB", peak.1);
    fed.stop().await;
}
