//! Two gateway replicas, separate processes over one PostgreSQL statistics store, and nodes that name both. In
//! every trial one replica is killed with SIGKILL while Lekstroom escalates cases and asks Rivierenland questions,
//! and four coordinators ask for noisy tables on both replicas at once; the replica then starts again. Over all
//! trials: every escalation and question arrives exactly once, the nodes having failed over to the other replica,
//! every answer comes back once, and the ε odometer is exact: each coordinator's and the network's spending is
//! the sum of the queries charged and never passes its budget. `EXPERTNET_REPLICA_TRIALS` makes the run longer,
//! `EXPERTNET_FAULT_SEED` repeats one.

use expertnet_federation::peer::GATEWAY_HOST;
use expertnet_federation::{Peer, TlsFiles};
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::coordinator_service_client::CoordinatorServiceClient;
use expertnet_proto::v1::gateway_service_client::GatewayServiceClient;
use expertnet_tests::TestDb;
use expertnet_tests::federation::*;
use expertnet_tests::fixtures::signals_quarter;
use expertnet_tests::process_federation::{
    Launch, ProcessFederation, incoming_consultations, incoming_escalations,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

/// Trials per run; `EXPERTNET_REPLICA_TRIALS` asks for more.
const TRIALS: usize = 4;
/// Escalations, and questions, per trial.
const PER_TRIAL: usize = 4;
const SETTLE: Duration = Duration::from_secs(60);
/// Coordinators reading national tables, each with a budget of 1.0 per quarter; together they may spend 3.0.
const CONSUMERS: [&str; 4] = [
    "coordinator-noord",
    "coordinator-oost",
    "coordinator-zuid",
    "coordinator-west",
];
const EPSILON: f64 = 0.1;
/// Enough asks to pass both budgets: 12 × 0.1 per coordinator, 4 × 1.0 together.
const ASKS: usize = 12;
const BUDGET_MICRO: i64 = 1_000_000;
const TOTAL_MICRO: i64 = 3_000_000;

/// A finished quarter of its own for each trial, so each starts with fresh budgets.
fn period(trial: usize) -> String {
    format!("{}-Q{}", 2010 + trial / 4, trial % 4 + 1)
}

fn channel(addr: std::net::SocketAddr, files: &TlsFiles) -> Channel {
    Endpoint::from_shared(format!("https://{addr}"))
        .expect("gateway URL")
        .tls_config(files.client(GATEWAY_HOST).expect("TLS files"))
        .expect("TLS")
        .connect_timeout(Duration::from_secs(2))
        .connect_lazy()
}

/// What one coordinator's asks came to.
#[derive(Debug, Default, Clone, Copy)]
struct Asked {
    answered: usize,
    exhausted: usize,
    unreachable: usize,
}

/// Asks `ASKS` noisy national tables of `period`, starting on each replica in turn and going to the other when
/// one cannot be reached, until the budget refuses.
async fn ask_noisy(replicas: Vec<Channel>, period: String) -> Asked {
    let mut asked = Asked::default();
    for i in 0..ASKS {
        for attempt in 0..replicas.len() {
            let replica = &replicas[(i + attempt) % replicas.len()];
            match ask(replica.clone(), &period).await {
                Ok(table) => {
                    assert!(
                        table.epsilon_spent <= table.epsilon_budget + 1e-9,
                        "an answer past the budget: {table:?}"
                    );
                    asked.answered += 1;
                    break;
                }
                Err(Some(status)) if status.code() == Code::ResourceExhausted => {
                    asked.exhausted += 1;
                    return asked;
                }
                Err(status) => {
                    assert!(
                        status.as_ref().is_none_or(|s| {
                            std::error::Error::source(s).is_some() || s.code() == Code::Unavailable
                        }),
                        "only an unreachable replica may fail a query: {status:?}"
                    );
                    asked.unreachable += 1;
                }
            }
        }
    }
    asked
}

/// One noisy table; `Err(None)` when the replica gave no answer in time.
async fn ask(replica: Channel, period: &str) -> Result<pb::StatisticsTable, Option<tonic::Status>> {
    let request = pb::StatisticsTableRequest {
        epsilon: EPSILON,
        ..table_request(period, "category_by_outcome", "", "")
    };
    let mut client = CoordinatorServiceClient::new(replica);
    match tokio::time::timeout(Duration::from_secs(10), client.statistics_table(request)).await {
        Ok(Ok(table)) => Ok(table.into_inner()),
        Ok(Err(status)) => Err(Some(status)),
        Err(_) => Err(None),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_gateway_replica_loses_doubles_and_overspends_nothing() {
    let Some(store) = TestDb::postgres().await else {
        return;
    };
    let seed = expertnet_tests::fault_seed();
    println!("replica trials: seed {seed} (EXPERTNET_FAULT_SEED={seed} repeats this run)");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut fed = ProcessFederation::launch(
        &[LEKSTROOM, RIVIERENLAND],
        Launch {
            replicas: 2,
            statistics_database: Some(store.url.clone()),
            ..Launch::default()
        },
    )
    .await;
    let consumers: Vec<Peer> = CONSUMERS
        .iter()
        .map(|c| Peer::Coordinator((*c).into()))
        .collect();
    fed.pki
        .ensure(&consumers)
        .expect("coordinator certificates");
    let lekstroom = fed.team(LEKSTROOM);
    let rivierenland = fed.team(RIVIERENLAND);

    let mut escalated = Vec::new();
    let mut questions = Vec::new();
    let mut answered: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut totals = Asked::default();
    let trials = expertnet_tests::count_from_env("EXPERTNET_REPLICA_TRIALS", TRIALS);
    for trial in 0..trials {
        let period = period(trial);
        for region in [LEKSTROOM, RIVIERENLAND] {
            let files = fed.pki.files(&Peer::Region(region.into()));
            GatewayServiceClient::new(channel(fed.gateway_addrs[trial % 2], &files))
                .push_snapshot(signals_quarter(region, &period, 40))
                .await
                .expect("both replicas run between trials");
        }
        let mut ready = Vec::new();
        for i in 0..PER_TRIAL {
            ready.push(
                case_ready_to_escalate(&lekstroom, &format!("replica-{trial}-{i}"), RIVIERENLAND)
                    .await,
            );
        }
        let pauses: Vec<u64> = (0..PER_TRIAL).map(|_| rng.random_range(30..90)).collect();
        let (first_sent, sending) = oneshot::channel();
        let traffic = tokio::spawn({
            let team = lekstroom.clone();
            async move {
                let mut first_sent = Some(first_sent);
                let (mut escalations, mut questions) = (Vec::new(), Vec::new());
                for (i, (case_id, pause)) in ready.iter().zip(pauses).enumerate() {
                    let sent = escalate(&team, case_id, RIVIERENLAND)
                        .await
                        .expect("the sending node accepts the escalation");
                    escalations.push(sent.id);
                    let asked = team
                        .consultations
                        .clone()
                        .ask_consultation(pb::AskConsultationRequest {
                            request_id: format!("replica-question-{trial}-{i}"),
                            ..ask_network("Wie kent een passende dagbesteding?", &[], RIVIERENLAND)
                        })
                        .await
                        .expect("the sending node accepts the question")
                        .into_inner();
                    questions.push(asked.id);
                    if let Some(signal) = first_sent.take() {
                        let _ = signal.send(());
                    }
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                (escalations, questions)
            }
        });
        let statistics: Vec<_> = consumers
            .iter()
            .map(|consumer| {
                let files = fed.pki.files(consumer);
                let replicas = fed
                    .gateway_addrs
                    .iter()
                    .map(|addr| channel(*addr, &files))
                    .collect();
                tokio::spawn(ask_noisy(replicas, period.clone()))
            })
            .collect();

        // Each replica in turn: the nodes stay with the one that last answered, so the victim is the one in use.
        sending.await.expect("the first escalation is sent");
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..50))).await;
        let victim = &mut fed.gateways[trial % 2];
        victim.kill().await;
        tokio::time::sleep(Duration::from_millis(rng.random_range(200..600))).await;
        victim.start().await;

        let (sent, asked) = traffic.await.expect("traffic task");
        escalated.extend(sent);
        questions.extend(asked);
        for (consumer, task) in CONSUMERS.iter().zip(statistics) {
            let asked = task.await.expect("statistics task");
            totals.answered += asked.answered;
            totals.exhausted += asked.exhausted;
            totals.unreachable += asked.unreachable;
            answered.insert(((*consumer).to_owned(), period.clone()), asked.answered);
        }
    }

    // Escalations and questions: each arrived once.
    let settled = escalations_reach(
        &lekstroom,
        &escalated,
        pb::EscalationStatus::Received,
        SETTLE,
    )
    .await;
    let receiver_db = fed.nodes[RIVIERENLAND].database_url.clone();
    let (incoming, cases) = incoming_escalations(&receiver_db).await;
    let lost: Vec<_> = escalated
        .iter()
        .filter(|id| !incoming.contains_key(*id))
        .collect();
    let doubled: Vec<_> = incoming.iter().filter(|(_, n)| **n > 1).collect();
    assert!(lost.is_empty(), "lost escalations: {lost:?}");
    assert!(doubled.is_empty(), "doubled escalations: {doubled:?}");
    assert_eq!(cases, escalated.len() as i64, "one linked case each");
    let arrived = eventually("every question at rivierenland", SETTLE, || async {
        let arrived = incoming_consultations(&receiver_db).await;
        questions
            .iter()
            .all(|id| arrived.contains_key(id))
            .then_some(arrived)
    })
    .await;
    let doubled: Vec<_> = arrived.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "doubled questions: {doubled:?}");
    assert_eq!(arrived.len(), questions.len(), "no question from nowhere");

    // Every question answered, and each answer back once.
    let theirs = rivierenland
        .consultations
        .clone()
        .list_consultations(pb::ListConsultationsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("rivierenland's consultations")
        .into_inner()
        .consultations;
    for question in theirs.iter().filter(|c| c.origin_region == LEKSTROOM) {
        rivierenland
            .consultations
            .clone()
            .answer_consultation(pb::AnswerConsultationRequest {
                consultation_id: question.id.clone(),
                expert: "RET Rivierenland".into(),
                answer: "Bel ons, wij denken mee.".into(),
            })
            .await
            .expect("answer the question");
    }
    for id in &questions {
        let answers = eventually("the answer back at lekstroom", SETTLE, || async {
            let asked = lekstroom
                .consultations
                .clone()
                .get_consultation(pb::GetConsultationRequest {
                    consultation_id: id.clone(),
                })
                .await
                .ok()?
                .into_inner();
            (!asked.answers.is_empty()).then_some(asked.answers)
        })
        .await;
        assert_eq!(answers.len(), 1, "one answer, once: {answers:?}");
    }

    // The odometer: spent is what was charged, within every budget, across both replicas.
    let pool = sqlx::PgPool::connect(&store.url)
        .await
        .expect("the statistics store");
    let spent: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT consumer, period, spent_micro FROM privacy_spent")
            .fetch_all(&pool)
            .await
            .expect("the odometer");
    let charged: BTreeMap<(String, String), (i64, i64)> = sqlx::query_as::<_, (String, String, i64, i64)>(
        "SELECT consumer, period, SUM(epsilon_micro)::BIGINT, COUNT(*) FROM privacy_queries GROUP BY consumer, period",
    )
    .fetch_all(&pool)
    .await
    .expect("the charged queries")
    .into_iter()
    .map(|(consumer, period, micro, count)| ((consumer, period), (micro, count)))
    .collect();
    pool.close().await;
    let mut charged_unanswered = 0;
    for (consumer, period, micro) in &spent {
        if consumer == "*" {
            let all: i64 = charged
                .iter()
                .filter(|((_, p), _)| p == period)
                .map(|(_, (m, _))| m)
                .sum();
            assert_eq!(
                *micro, all,
                "the network's ε for {period} is the sum of its charges"
            );
            assert!(
                *micro <= TOTAL_MICRO,
                "{period}: the network spent {micro} µε"
            );
        } else {
            let key = (consumer.clone(), period.clone());
            let (sum, count) = charged.get(&key).copied().unwrap_or((0, 0));
            assert_eq!(
                *micro, sum,
                "{consumer}'s ε for {period} is the sum of its charges"
            );
            assert!(
                *micro <= BUDGET_MICRO,
                "{consumer} spent {micro} µε on {period}"
            );
            let answers = answered.get(&key).copied().unwrap_or(0) as i64;
            assert!(
                answers <= count,
                "{consumer}: {answers} answers, {count} charges"
            );
            charged_unanswered += count - answers;
        }
    }
    let network: Vec<i64> = spent
        .iter()
        .filter(|(c, _, _)| c == "*")
        .map(|(_, _, m)| *m)
        .collect();
    assert_eq!(network.len(), trials, "every trial's quarter was charged");

    let failovers: usize = [LEKSTROOM, RIVIERENLAND]
        .iter()
        .map(|region| {
            fed.nodes[*region]
                .process
                .log_text()
                .matches("trying the next replica")
                .count()
        })
        .sum();
    println!(
        "replica trials: {trials} trials, one SIGKILL each; {} escalations and {} questions sent, none lost or \
         doubled, settled {settled:?} after the last restart; {failovers} node failovers; noisy queries: {} \
         answered, {} refused for budget, {} on a dead replica, {charged_unanswered} charged but not answered; \
         network ε per quarter (µε): {network:?}",
        escalated.len(),
        questions.len(),
        totals.answered,
        totals.exhausted,
        totals.unreachable,
    );
    assert!(failovers >= 1, "the nodes never used the other replica");
    assert!(totals.exhausted >= 1, "the budgets were reached");
    fed.stop().await;
    store.remove().await;
}
