//! The whole country in one process: 42 regions in 8 areas — the four real ones and 38 synthetic — each on its own
//! SQLite file, with the gateway, over mutual TLS. Every region comes up in the coordinators' network view, and a
//! question to the network on one expertise reaches every region offering it, whose answers all come back.

use expertnet_federation::Peer;
use expertnet_local::national::{self, NATIONAL_REGIONS};
use expertnet_proto::v1 as pb;
use expertnet_tests::federation::*;
use std::time::{Duration, Instant};

/// Starting 42 nodes on a shared machine in a debug build takes a while.
const SETTLE: Duration = Duration::from_secs(90);
const TAG: &str = "lvb";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_two_regions_come_up_and_a_question_reaches_every_region_with_its_tag() {
    let registry = national::registry(&deployed_registry(), NATIONAL_REGIONS).unwrap();
    let started = Instant::now();
    let fed = spawn_federation_with(|s| s.registry = registry.clone()).await;
    let start_up = started.elapsed();
    let coordinator = coordinator_as(&fed, Peer::Coordinator("coordinator".into())).await;
    let view = eventually("every region up", SETTLE, || async {
        let view = coordinator
            .clone()
            .network_view(pb::NetworkViewRequest {})
            .await
            .ok()?
            .into_inner();
        view.regions.iter().all(|r| r.up).then_some(view)
    })
    .await;
    assert_eq!(view.regions.len(), NATIONAL_REGIONS);
    let all_up = started.elapsed();

    let mut offering: Vec<String> = registry
        .regions()
        .filter(|r| r.id != LEKSTROOM && r.expertise.iter().any(|t| t == TAG))
        .map(|r| r.id.clone())
        .collect();
    offering.sort();
    assert!(offering.len() >= 8, "{offering:?}");
    let lekstroom = fed.team(LEKSTROOM).await;
    let asked = lekstroom
        .consultations
        .clone()
        .ask_consultation(ask_network(
            "Wie heeft ervaring met een jongere met een LVB die thuiszit?",
            &[TAG],
            "",
        ))
        .await
        .unwrap()
        .into_inner();
    let get = || {
        let mut consultations = lekstroom.consultations.clone();
        let id = asked.id.clone();
        async move {
            consultations
                .get_consultation(pb::GetConsultationRequest {
                    consultation_id: id,
                })
                .await
                .ok()
                .map(tonic::Response::into_inner)
        }
    };
    let delivered = eventually("the question delivered", SETTLE, || async {
        get()
            .await
            .filter(|c| c.delivery == pb::OutboxState::Delivered as i32)
    })
    .await;
    let mut routed_to = delivered.routed_to.clone();
    routed_to.sort();
    assert_eq!(routed_to, offering, "every region offering {TAG}, no other");

    for region in &offering {
        let team = fed.team(region).await;
        let theirs = eventually(&format!("the question at {region}"), SETTLE, || async {
            team.consultations
                .clone()
                .list_consultations(pb::ListConsultationsRequest::default())
                .await
                .ok()?
                .into_inner()
                .consultations
                .into_iter()
                .find(|c| c.origin_region == LEKSTROOM)
        })
        .await;
        team.consultations
            .clone()
            .answer_consultation(pb::AnswerConsultationRequest {
                consultation_id: theirs.id,
                expert: format!("Expert van {region}"),
                answer: "Bel ons; wij denken mee.".into(),
            })
            .await
            .unwrap();
    }
    let answered = eventually("every answer back at lekstroom", SETTLE, || async {
        get().await.filter(|c| c.answers.len() >= offering.len())
    })
    .await;
    let mut from: Vec<String> = answered.answers.iter().map(|a| a.region.clone()).collect();
    from.sort();
    assert_eq!(from, offering, "one answer from each, none twice");
    println!(
        "national: {NATIONAL_REGIONS} regions started in {start_up:?}, all up at the gateway after {all_up:?}; a \
         question on {TAG} went to {} regions and all answered; test process RSS {} KB",
        offering.len(),
        expertnet_tests::rss_kb()
    );
    fed.stop().await;
}
