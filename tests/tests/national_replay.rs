//! A national year of the network's traffic, replayed through real processes while they are being killed. Every
//! region runs its node (six in CI; `EXPERTNET_REPLAY_REGIONS=42` for the whole country) holding a year's synthetic
//! cases. Over a year compressed into seconds, the regions escalate cases to regions they have a covenant with and
//! ask questions of named regions and by expertise, while the gateway or a random node is killed with SIGKILL and
//! started again, over and over. Still under faults, every receiver then answers every question that reached it
//! and accepts every escalated case.
//!
//! Nothing may be lost or doubled: each escalation arrives once and its acceptance comes back; each question
//! reaches every region the gateway routed it to once (by expertise: every region offering it), and each of their
//! answers arrives once. The time from an envelope's write to its delivery is printed (p50/p99) per kind.
//!
//! The faults strike the federation — the gateway, the couriers, the inboxes — never a team's own call in flight:
//! a node is killed only between its team's calls, because whether a person's click survives their node dying is
//! not what this test is about.
//!
//! Full length: `EXPERTNET_REPLAY_REGIONS=42 EXPERTNET_REPLAY_ESCALATIONS=300 EXPERTNET_REPLAY_CONSULTATIONS=3000
//! EXPERTNET_REPLAY_SECONDS=120`;
//! `EXPERTNET_FAULT_SEED` repeats a run.

use expertnet_federation::Registry;
use expertnet_local::national;
use expertnet_proto::v1 as pb;
use expertnet_tests::count_from_env;
use expertnet_tests::federation::*;
use expertnet_tests::fixtures::case_ref;
use expertnet_tests::process_federation::{
    Launch, ProcessFederation, delivery_times, incoming_consultations, incoming_escalations,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{RwLock, Semaphore};
use tokio::task::JoinSet;

const REGIONS: usize = 6;
const ESCALATIONS: usize = 24;
const CONSULTATIONS: usize = 120;
/// The year is compressed into this many seconds: each escalation and question is sent at a random moment of it.
const SECONDS: usize = 15;
/// Team calls in flight at once over the whole network.
const IN_FLIGHT: usize = 8;
/// One question in this many is asked by expertise, the others of a named region.
const BY_EXPERTISE_ONE_IN: usize = 5;
const SETTLE: Duration = Duration::from_secs(180);

/// Who a question is asked of.
#[derive(Debug, Clone)]
enum Asked {
    Region(String),
    Expertise(String),
}

/// The year's traffic: escalations (from, to) and questions (from, of whom), each with the moment it is sent.
struct Year {
    escalations: Vec<(String, String, Duration)>,
    questions: Vec<(String, Asked, Duration)>,
}

/// A year's traffic drawn from `rng`: escalations only where a covenant allows them, questions to any other
/// region or by an expertise another region offers.
fn year(
    registry: &Registry,
    escalations: usize,
    questions: usize,
    length: Duration,
    rng: &mut StdRng,
) -> Year {
    let moment = |rng: &mut StdRng| length.mul_f64(rng.random::<f64>());
    let regions: Vec<&str> = registry.regions().map(|r| r.id.as_str()).collect();
    let with_covenants: Vec<_> = registry
        .regions()
        .filter(|r| !r.covenants.is_empty())
        .collect();
    let escalations = (0..escalations)
        .map(|_| {
            let from = with_covenants.choose(rng).expect("covenants exist");
            let to = from.covenants.choose(rng).expect("a covenant");
            (from.id.clone(), to.clone(), moment(rng))
        })
        .collect();
    let questions = (0..questions)
        .map(|i| {
            let from = *regions.choose(rng).expect("regions");
            let asked = if i % BY_EXPERTISE_ONE_IN == 0 {
                let offered: Vec<&String> = registry
                    .regions()
                    .filter(|r| r.id != from)
                    .flat_map(|r| &r.expertise)
                    .collect();
                Asked::Expertise((*offered.choose(rng).expect("expertise offered")).clone())
            } else {
                let others: Vec<&&str> = regions.iter().filter(|r| **r != from).collect();
                Asked::Region((**others.choose(rng).expect("another region")).to_owned())
            };
            (from.to_owned(), asked, moment(rng))
        })
        .collect();
    Year {
        escalations,
        questions,
    }
}

/// The network's teams, each call guarded so that its node is not killed while the call is in flight.
#[derive(Clone)]
struct Teams {
    clients: BTreeMap<String, TeamClients>,
    /// Held for reading by a team's call, for writing by the fault that kills the node.
    running: BTreeMap<String, Arc<RwLock<()>>>,
    in_flight: Arc<Semaphore>,
}

impl Teams {
    /// `call` on `region`'s team API. A call that finds its channel's connection gone with the node that was
    /// killed before it began never reached the node, so it is tried again.
    async fn call<T, F, Fut>(&self, region: &str, call: F) -> T
    where
        F: Fn(TeamClients) -> Fut,
        Fut: Future<Output = Result<T, tonic::Status>>,
    {
        let _slot = self.in_flight.acquire().await.expect("open semaphore");
        let _running = self.running[region].read().await;
        let mut tries = 0;
        loop {
            match call(self.clients[region].clone()).await {
                Ok(value) => return value,
                Err(status) if status.code() == tonic::Code::Unavailable && tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(status) => panic!("{region}'s team call failed: {status}"),
            }
        }
    }
}

/// Kills the gateway (a third of the time) or a random node, every 0.2-1.5 s until `stop`, each down for 50-600
/// ms; returns the federation and how often each was killed.
async fn inject_faults(
    mut fed: ProcessFederation,
    running: BTreeMap<String, Arc<RwLock<()>>>,
    stop: Arc<AtomicBool>,
    seed: u64,
) -> (ProcessFederation, usize, usize) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let regions: Vec<String> = running.keys().cloned().collect();
    let (mut gateway_kills, mut node_kills) = (0, 0);
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(rng.random_range(200..1500))).await;
        let down_for = Duration::from_millis(rng.random_range(50..600));
        if rng.random_ratio(1, 3) {
            let gateway = fed.gateway();
            gateway.kill().await;
            tokio::time::sleep(down_for).await;
            gateway.start().await;
            gateway_kills += 1;
        } else {
            let region = regions.choose(&mut rng).expect("regions");
            let _idle = running[region].write().await;
            let node = &mut fed.node(region).process;
            node.kill().await;
            tokio::time::sleep(down_for).await;
            node.start().await;
            node_kills += 1;
        }
    }
    (fed, gateway_kills, node_kills)
}

fn ms_percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_national_year_under_faults_loses_and_doubles_nothing() {
    let seed = expertnet_tests::fault_seed();
    println!("national replay: seed {seed} (EXPERTNET_FAULT_SEED={seed} repeats this run)");
    let mut rng = StdRng::seed_from_u64(seed);
    let regions = count_from_env("EXPERTNET_REPLAY_REGIONS", REGIONS);
    let registry =
        national::registry(&deployed_registry(), regions).expect("4 to 42 regions to replay");
    let traffic = year(
        &registry,
        count_from_env("EXPERTNET_REPLAY_ESCALATIONS", ESCALATIONS),
        count_from_env("EXPERTNET_REPLAY_CONSULTATIONS", CONSULTATIONS),
        Duration::from_secs(count_from_env("EXPERTNET_REPLAY_SECONDS", SECONDS) as u64),
        &mut rng,
    );
    let ids: Vec<String> = registry.regions().map(|r| r.id.clone()).collect();
    let synthetic_cases = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), national::youths_a_year(i) as u32))
        .collect();
    let started = Instant::now();
    let fed = ProcessFederation::launch(
        &ids.iter().map(String::as_str).collect::<Vec<_>>(),
        Launch {
            registry: Some(registry.clone()),
            synthetic_cases,
            ..Launch::default()
        },
    )
    .await;
    println!(
        "national replay: {regions} regions started in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let teams = Teams {
        clients: ids.iter().map(|id| (id.clone(), fed.team(id))).collect(),
        running: ids
            .iter()
            .map(|id| (id.clone(), Arc::new(RwLock::new(()))))
            .collect(),
        in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
    };
    let databases: BTreeMap<String, String> = fed
        .nodes
        .iter()
        .map(|(id, node)| (id.clone(), node.database_url.clone()))
        .collect();

    // Cases with consent, ready to go: the table's own work, before the faults begin.
    let mut ready = Vec::new();
    for (i, (from, to, at)) in traffic.escalations.iter().enumerate() {
        let case_id = case_ready_to_escalate(&teams.clients[from], &format!("jaar-{i}"), to).await;
        ready.push((from.clone(), to.clone(), *at, case_id));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let faults = tokio::spawn(inject_faults(
        fed,
        teams.running.clone(),
        stop.clone(),
        seed,
    ));
    let replay_started = tokio::time::Instant::now();
    let mut sending = JoinSet::new();
    for (from, to, at, case_id) in ready {
        let teams = teams.clone();
        sending.spawn(async move {
            tokio::time::sleep_until(replay_started + at).await;
            let sent = teams
                .call(&from, |team| {
                    let (case_id, to) = (case_id.clone(), to.clone());
                    async move { escalate(&team, &case_id, &to).await }
                })
                .await;
            (from, Sent::Escalation { id: sent.id, to })
        });
    }
    for (i, (from, asked, at)) in traffic.questions.iter().cloned().enumerate() {
        let teams = teams.clone();
        sending.spawn(async move {
            tokio::time::sleep_until(replay_started + at).await;
            let request = match &asked {
                Asked::Region(region) => ask_network(&format!("Vraag {i}"), &[], region),
                Asked::Expertise(tag) => ask_network(&format!("Vraag {i}"), &[tag], ""),
            };
            let request = pb::AskConsultationRequest {
                request_id: format!("jaar-vraag-{i}"),
                ..request
            };
            let asked_id = teams
                .call(&from, |team| {
                    let request = request.clone();
                    async move {
                        team.consultations
                            .clone()
                            .ask_consultation(request)
                            .await
                            .map(tonic::Response::into_inner)
                    }
                })
                .await
                .id;
            (from, Sent::Question { id: asked_id })
        });
    }
    let mut escalated: Vec<(String, String, String)> = Vec::new();
    let mut asked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    while let Some(done) = sending.join_next().await {
        match done.expect("sending task") {
            (from, Sent::Escalation { id, to }) => escalated.push((from, to, id)),
            (from, Sent::Question { id }) => {
                asked.entry(from).or_default().insert(id);
            }
        }
    }
    let sent_in = replay_started.elapsed();

    // Every question routed and every escalation received, then answered and accepted, all under faults.
    let by_sender = |status| {
        let mut ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (from, _, id) in &escalated {
            ids.entry(from.as_str()).or_default().push(id.clone());
        }
        let teams = &teams;
        async move {
            for (from, ids) in ids {
                escalations_reach(&teams.clients[from], &ids, status, SETTLE).await;
            }
        }
    };
    by_sender(pb::EscalationStatus::Received).await;
    for (from, ids) in &asked {
        consultations_reach(&teams.clients[from], ids, |c| !c.routed_to.is_empty()).await;
    }
    let delivered_in = replay_started.elapsed();
    for region in &ids {
        answer_and_accept(&teams, region).await;
    }
    by_sender(pb::EscalationStatus::Accepted).await;
    let mut answered = BTreeMap::new();
    for (from, ids) in &asked {
        let consultations = consultations_reach(&teams.clients[from], ids, |c| {
            c.answers.len() >= c.routed_to.len()
        })
        .await;
        answered.insert(from.clone(), consultations);
    }
    let settled_in = replay_started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (fed, gateway_kills, node_kills) = faults.await.expect("fault task");

    // Exactly once, read from every node's database.
    let mut incoming = BTreeMap::new();
    let mut questions_in = BTreeMap::new();
    let mut cases = BTreeMap::new();
    for (region, url) in &databases {
        let (escalations, held) = incoming_escalations(url).await;
        incoming.insert(region.clone(), escalations);
        cases.insert(region.clone(), held);
        questions_in.insert(region.clone(), incoming_consultations(url).await);
    }
    let mut problems = Vec::new();
    for (from, to, id) in &escalated {
        match incoming[to].get(id) {
            Some(1) => {}
            n => problems.push(format!("escalation {id} {from} → {to} arrived {n:?} times")),
        }
    }
    for (region, escalations) in &incoming {
        let expected: usize = escalated.iter().filter(|(_, to, _)| to == region).count();
        if escalations.len() != expected {
            problems.push(format!(
                "{region} holds {} incoming escalations, {expected} were sent",
                escalations.len()
            ));
        }
    }
    for (i, region) in ids.iter().enumerate() {
        let own = national::youths_a_year(i) as i64
            + escalated
                .iter()
                .filter(|(from, _, _)| from == region)
                .count() as i64
            + escalated.iter().filter(|(_, to, _)| to == region).count() as i64;
        if cases[region] != own {
            problems.push(format!(
                "{region} holds {} cases, {own} expected (one linked case per escalation)",
                cases[region]
            ));
        }
    }
    let mut routed = 0;
    for (from, consultations) in &answered {
        for consultation in consultations {
            let reached: BTreeSet<&String> = consultation.routed_to.iter().collect();
            if let [tag] = consultation.expertise_tags.as_slice() {
                let offering: BTreeSet<&String> = registry
                    .by_expertise(std::slice::from_ref(tag), from)
                    .into_iter()
                    .map(|r| &r.id)
                    .collect();
                if reached != offering {
                    problems.push(format!(
                        "question {} on {tag} reached {reached:?}, offered by {offering:?}",
                        consultation.id
                    ));
                }
            }
            for region in &reached {
                routed += 1;
                let times = questions_in[*region].get(&consultation.id).copied();
                if times != Some(1) {
                    problems.push(format!(
                        "question {} from {from} reached {region} {times:?} times",
                        consultation.id
                    ));
                }
            }
            let answered_by: Vec<&String> =
                consultation.answers.iter().map(|a| &a.region).collect();
            let distinct: BTreeSet<&String> = answered_by.iter().copied().collect();
            if answered_by.len() != reached.len() || distinct != reached {
                problems.push(format!(
                    "question {} from {from}: answers from {answered_by:?}, asked of {reached:?}",
                    consultation.id
                ));
            }
        }
    }
    let asked_ids: BTreeSet<&String> = asked.values().flatten().collect();
    for (region, questions) in &questions_in {
        for id in questions.keys().filter(|id| !asked_ids.contains(id)) {
            problems.push(format!("{region} holds a question no one asked: {id}"));
        }
    }

    // How long deliveries took, outbox write to delivery, per kind of envelope.
    let mut times: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for url in databases.values() {
        for (kind, ms) in delivery_times(url).await {
            times.entry(kind).or_default().push(ms);
        }
    }
    for (kind, ms) in &mut times {
        ms.sort_unstable();
        println!(
            "national replay: {kind}: {} delivered, p50 {} ms, p99 {} ms, max {} ms",
            ms.len(),
            ms_percentile(ms, 0.5),
            ms_percentile(ms, 0.99),
            ms.last().expect("one at least"),
        );
    }
    println!(
        "national replay: {regions} regions, {} escalations and {} questions ({routed} deliveries) sent in \
         {:.1} s, all delivered after {:.1} s, answered and accepted after {:.1} s; \
         {gateway_kills} gateway and {node_kills} node kills; {} problems",
        escalated.len(),
        asked_ids.len(),
        sent_in.as_secs_f64(),
        delivered_in.as_secs_f64(),
        settled_in.as_secs_f64(),
        problems.len(),
    );
    assert!(problems.is_empty(), "lost or doubled: {problems:#?}");
    assert!(
        gateway_kills + node_kills > 0,
        "the replay ran long enough for a fault"
    );
    fed.stop().await;
}

/// What a team sent: an escalation (to whom) or a question.
enum Sent {
    Escalation { id: String, to: String },
    Question { id: String },
}

/// Every consultation of a team's node, all pages; `None` while the node does not answer (it may be down).
async fn all_consultations(team: &TeamClients) -> Option<Vec<pb::Consultation>> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = team
            .consultations
            .clone()
            .list_consultations(pb::ListConsultationsRequest {
                status: pb::ConsultationStatus::Unspecified as i32,
                page_size: 500,
                page_token,
            })
            .await
            .ok()?
            .into_inner();
        all.extend(page.consultations);
        if page.next_page_token.is_empty() {
            return Some(all);
        }
        page_token = page.next_page_token;
    }
}

/// Waits until every consultation `ids` of the team's node satisfies `done`; returns them.
async fn consultations_reach(
    team: &TeamClients,
    ids: &BTreeSet<String>,
    done: impl Fn(&pb::Consultation) -> bool,
) -> Vec<pb::Consultation> {
    eventually(&format!("{} questions", ids.len()), SETTLE, || async {
        let mine: Vec<pb::Consultation> = all_consultations(team)
            .await?
            .into_iter()
            .filter(|c| ids.contains(&c.id))
            .collect();
        (mine.len() == ids.len() && mine.iter().all(&done)).then_some(mine)
    })
    .await
}

/// A region's experts answer every question from another region, and its table accepts every escalated case.
async fn answer_and_accept(teams: &Teams, region: &str) {
    let team = &teams.clients[region];
    let questions = eventually("the questions to answer", SETTLE, || {
        all_consultations(team)
    })
    .await;
    for question in questions
        .iter()
        .filter(|c| !c.origin_region.is_empty() && c.answers.is_empty())
    {
        teams
            .call(region, |team| {
                let id = question.id.clone();
                async move {
                    team.consultations
                        .clone()
                        .answer_consultation(pb::AnswerConsultationRequest {
                            consultation_id: id,
                            expert: "Gedragsdeskundige".into(),
                            answer: "Overweeg een gezinsgerichte aanpak".into(),
                        })
                        .await
                }
            })
            .await;
    }
    let incoming = eventually("the escalations to accept", SETTLE, || async {
        team.escalations
            .clone()
            .list_escalations(pb::ListEscalationsRequest {
                direction: pb::EscalationDirection::Incoming as i32,
            })
            .await
            .ok()
            .map(|r| r.into_inner().escalations)
    })
    .await;
    for escalation in incoming {
        teams
            .call(region, |team| {
                let case_id = escalation.case_id.clone();
                async move { team.cases.clone().accept_case(case_ref(&case_id)).await }
            })
            .await;
    }
}
