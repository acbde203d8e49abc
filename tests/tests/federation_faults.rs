//! Fault trials with real processes: while escalations are in flight from Lekstroom to Rivierenland, the gateway
//! or the receiving node is killed with SIGKILL at a random moment and started again. Over every trial, each
//! escalation must arrive exactly once — one incoming record and one linked case at the receiver — and its status
//! must flow back. The seed is printed; `EXPERTNET_FAULT_SEED` repeats a run, `EXPERTNET_FAULT_TRIALS` makes it
//! longer.

use expertnet_proto::v1 as pb;
use expertnet_tests::federation::*;
use expertnet_tests::fixtures::case_ref;
use expertnet_tests::process_federation::{ProcessFederation, incoming_escalations};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::Duration;

/// Trials per run; `EXPERTNET_FAULT_TRIALS` asks for more.
const TRIALS: usize = 10;
const PER_TRIAL: usize = 6;
const SETTLE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Victim {
    Gateway,
    Receiver,
}

/// Kills the victim with SIGKILL, waits, and starts it again on the same ports and data.
async fn crash(fed: &mut ProcessFederation, victim: Victim, down_for: Duration) {
    let process = match victim {
        Victim::Gateway => fed.gateway(),
        Victim::Receiver => &mut fed.node(RIVIERENLAND).process,
    };
    process.kill().await;
    tokio::time::sleep(down_for).await;
    process.start().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_gateway_or_the_receiver_loses_and_doubles_no_escalation() {
    let seed = expertnet_tests::fault_seed();
    println!("fault trials: seed {seed} (EXPERTNET_FAULT_SEED={seed} repeats this run)");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut fed = ProcessFederation::start(&[LEKSTROOM, RIVIERENLAND]).await;
    let lekstroom = fed.team(LEKSTROOM);
    let rivierenland = fed.team(RIVIERENLAND);

    let mut sent = Vec::new();
    let mut kills = BTreeMap::from([("gateway", 0), ("receiver", 0)]);
    let trials = expertnet_tests::count_from_env("EXPERTNET_FAULT_TRIALS", TRIALS);
    for trial in 0..trials {
        let mut ready = Vec::new();
        for i in 0..PER_TRIAL {
            ready.push(
                case_ready_to_escalate(&lekstroom, &format!("fault-{trial}-{i}"), RIVIERENLAND)
                    .await,
            );
        }
        let pauses: Vec<u64> = (0..PER_TRIAL).map(|_| rng.random_range(0..40)).collect();
        let escalating = tokio::spawn({
            let team = lekstroom.clone();
            async move {
                let mut ids = Vec::new();
                for (case_id, pause) in ready.iter().zip(pauses) {
                    let sent = escalate(&team, case_id, RIVIERENLAND)
                        .await
                        .expect("the sending node accepts the escalation");
                    ids.push(sent.id);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                ids
            }
        });
        let victim = if trial % 2 == 0 {
            Victim::Gateway
        } else {
            Victim::Receiver
        };
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..150))).await;
        let down_for = Duration::from_millis(rng.random_range(50..600));
        crash(&mut fed, victim, down_for).await;
        *kills
            .get_mut(match victim {
                Victim::Gateway => "gateway",
                Victim::Receiver => "receiver",
            })
            .expect("known victim") += 1;
        sent.extend(escalating.await.expect("escalating task"));
    }
    let settled =
        escalations_reach(&lekstroom, &sent, pb::EscalationStatus::Received, SETTLE).await;

    let receiver_db = fed.nodes[RIVIERENLAND].database_url.clone();
    let (incoming, cases) = incoming_escalations(&receiver_db).await;
    let lost: Vec<_> = sent
        .iter()
        .filter(|id| !incoming.contains_key(*id))
        .collect();
    let doubled: Vec<_> = incoming.iter().filter(|(_, n)| **n > 1).collect();
    let strangers: Vec<_> = incoming.keys().filter(|id| !sent.contains(id)).collect();
    let retried = lekstroom
        .outbox
        .clone()
        .list_outbox(pb::ListOutboxRequest {
            state: pb::OutboxState::Delivered as i32,
            limit: 1000,
        })
        .await
        .expect("list delivered envelopes")
        .into_inner()
        .entries
        .iter()
        .filter(|e| e.attempts > 1)
        .count();
    let deduplicated = fed.nodes[RIVIERENLAND]
        .process
        .log_text()
        .lines()
        .filter(|line| line.contains("envelope received") && line.contains("Duplicate"))
        .count();
    println!(
        "fault trials: {trials} trials ({} gateway kills, {} receiver kills), {} escalations sent; \
         lost {}, doubled {}, unknown {}; {retried} envelopes needed more than one attempt, \
         {deduplicated} redeliveries were recognised by the receiver; \
         settled {settled:?} after the last restart",
        kills["gateway"],
        kills["receiver"],
        sent.len(),
        lost.len(),
        doubled.len(),
        strangers.len(),
    );
    assert!(lost.is_empty(), "lost escalations: {lost:?}");
    assert!(doubled.is_empty(), "doubled escalations: {doubled:?}");
    assert!(strangers.is_empty(), "unknown escalations: {strangers:?}");
    assert_eq!(
        cases,
        sent.len() as i64,
        "one linked case per escalation at the receiver"
    );

    // The status flows back exactly once too: the receiver accepts every linked case while the gateway dies.
    let linked: Vec<String> = escalations(&rivierenland, pb::EscalationDirection::Incoming)
        .await
        .into_iter()
        .map(|e| e.case_id)
        .collect();
    let accepting = tokio::spawn({
        let team = rivierenland.clone();
        async move {
            for case_id in linked {
                team.cases
                    .clone()
                    .accept_case(case_ref(&case_id))
                    .await
                    .expect("accept the linked case");
            }
        }
    });
    crash(
        &mut fed,
        Victim::Gateway,
        Duration::from_millis(rng.random_range(50..600)),
    )
    .await;
    accepting.await.expect("accepting task");
    escalations_reach(&lekstroom, &sent, pb::EscalationStatus::Accepted, SETTLE).await;
    assert_eq!(fed.gateway().starts(), 1 + kills["gateway"] + 1);
    fed.stop().await;
}
