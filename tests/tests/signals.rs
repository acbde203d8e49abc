//! Signals: a node's quarter reduced to counts (on SQLite and PostgreSQL), pushed to the gateway over mutual TLS
//! and stored there so that a re-sent period replaces and never adds, collected on a coordinator's request,
//! and every bad snapshot refused with a precise status.

use expertnet_federation::Peer;
use expertnet_federation::peer::node_host;
use expertnet_node::domain::signals::Quarter;
use expertnet_node::domain::{AgeBand, BottleneckCategory, LeadTimeBand, Outcome};
use expertnet_node::federation::signals::to_wire;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::inbox_service_client::InboxServiceClient;
use expertnet_tests::federation::{
    LEKSTROOM, RIVIERENLAND, WAIT, area_coordinator, assert_refused, coordinator_as, eventually,
    gateway_as, gateway_cli, mtls_channel, read_table, spawn_federation, table_request,
};
use expertnet_tests::{TEST_NOW_MS, TestDb, TestNode, spawn_node_on};
use tonic::Code;

async fn a_quarter_in_counts(node: TestNode) {
    let (closed, _) = node.case_in(pb::CaseState::Closed, true).await;
    node.case_in(pb::CaseState::Returned, false).await;
    node.case_in(pb::CaseState::InProgress, true).await;
    let period = Quarter::containing(TEST_NOW_MS);
    let snapshot = node.workflow.snapshot(LEKSTROOM, period).await.unwrap();
    assert_eq!(snapshot.region, LEKSTROOM);
    assert_eq!(snapshot.period, period);
    assert_eq!(snapshot.totals.submitted, 3);
    assert_eq!(snapshot.totals.returned, 1);
    assert_eq!(snapshot.totals.closed, 1);
    assert_eq!(
        snapshot.totals.discussed, 2,
        "the closed and the ongoing case were discussed"
    );
    assert!(snapshot.totals.sessions_held <= 2);
    assert_eq!(snapshot.cells.len(), 1, "{:?}", snapshot.cells);
    let cell = snapshot.cells[0];
    let detail = node
        .cases
        .clone()
        .get_case(pb::GetCaseRequest { case_id: closed })
        .await
        .unwrap()
        .into_inner();
    let summary = detail.summary.unwrap();
    assert_eq!(cell.count, 1);
    assert_eq!(cell.age_band, AgeBand::of(summary.age));
    assert_eq!(cell.lead_time, LeadTimeBand::UnderFourWeeks);
    assert_eq!(
        Some(cell.category),
        BottleneckCategory::ALL
            .iter()
            .copied()
            .find(|c| pb::BottleneckCategory::try_from(summary.categories[0])
                .unwrap()
                .as_str_name()
                == format!("BOTTLENECK_CATEGORY_{}", c.as_str().to_ascii_uppercase())),
        "the primary category is the first named"
    );
    assert!(Outcome::ALL.contains(&cell.outcome));

    // The next quarter has nothing yet.
    let empty = node
        .workflow
        .snapshot(LEKSTROOM, period.next())
        .await
        .unwrap();
    assert!(empty.cells.is_empty() && empty.totals.submitted == 0);

    // Nothing in it but counts and the fixed dimensions.
    let wire = format!("{:?}", to_wire(&snapshot));
    assert!(!wire.contains(&detail.question) && !wire.contains(&summary.id));
    node.stop().await;
}

#[tokio::test]
async fn a_quarter_in_counts_on_sqlite() {
    a_quarter_in_counts(spawn_node_on(TestDb::sqlite()).await).await;
}

#[tokio::test]
async fn a_quarter_in_counts_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    a_quarter_in_counts(spawn_node_on(db).await).await;
}

fn snapshot(region: &str, period: &str, closed: u64, computed_at_ms: i64) -> pb::SignalSnapshot {
    pb::SignalSnapshot {
        region: region.into(),
        period: period.into(),
        computed_at_ms,
        cells: vec![pb::SignalCell {
            category: pb::BottleneckCategory::WaitingList as i32,
            age_band: pb::AgeBand::AgeBand1215 as i32,
            outcome: pb::Outcome::Solved as i32,
            lead_time: pb::LeadTimeBand::Under4Weeks as i32,
            count: closed,
        }],
        totals: Some(pb::SignalTotals {
            submitted: closed + 2,
            closed,
            ..Default::default()
        }),
        no_fitting_answer: vec![],
    }
}

#[tokio::test]
async fn snapshots_reach_the_gateway_and_a_resent_period_replaces() {
    let fed = spawn_federation().await;
    let team = fed.team(LEKSTROOM).await;
    team.cases
        .clone()
        .submit_case(expertnet_tests::fixtures::submit_request("signal-1"))
        .await
        .unwrap();
    let store = fed.federation.gateway.gateway.statistics.clone();
    let current = Quarter::containing(expertnet_node::clock::Clock::now_ms(
        &expertnet_node::clock::SystemClock,
    ))
    .to_string();
    // The nodes push on their own (every second in tests): lekstroom's submission arrives.
    eventually("lekstroom's signals at the gateway", WAIT, || async {
        let kept = store.of_period(&current).await.unwrap();
        kept.iter()
            .find(|s| s.region == LEKSTROOM && s.totals.unwrap().submitted == 1)
            .map(|_| ())
    })
    .await;

    // Pushed by hand, twice, for a closed quarter: the second replaces the first; an older one is ignored.
    let mut lekstroom = gateway_as(&fed, Peer::Region(LEKSTROOM.into())).await;
    let first = lekstroom
        .push_snapshot(snapshot(LEKSTROOM, "2025-Q3", 7, 1_000))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.replaced);
    let again = lekstroom
        .push_snapshot(snapshot(LEKSTROOM, "2025-Q3", 9, 2_000))
        .await
        .unwrap()
        .into_inner();
    assert!(again.replaced);
    lekstroom
        .push_snapshot(snapshot(LEKSTROOM, "2025-Q3", 5, 1_500))
        .await
        .unwrap();
    let kept = store.of_period("2025-Q3").await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0].totals.unwrap().closed,
        9,
        "replaced, not added, and not rolled back"
    );
    assert_eq!(kept[0].cells[0].count, 9);

    // A coordinator has every region asked now.
    let collected = coordinator_as(&fed, Peer::Coordinator("coordinator".into()))
        .await
        .collect_signals(pb::CollectSignalsRequest {
            period: "2026-Q1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(collected.collected.len(), 4, "{collected:?}");
    assert!(collected.failed.is_empty());
    assert_eq!(store.of_period("2026-Q1").await.unwrap().len(), 4);

    // A node may not ask another node for its signals.
    let inbox = mtls_channel(
        &format!("https://{}", fed.federation.node(RIVIERENLAND).inbox_addr),
        &fed.tls(&Peer::Region(LEKSTROOM.into())),
        &node_host(RIVIERENLAND),
    )
    .await
    .unwrap();
    let status = InboxServiceClient::new(inbox)
        .provide_snapshot(pb::SnapshotRequest {
            period: "2026-Q1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let audit: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action LIKE 'federation provide signals 2026-Q1%'",
    )
    .fetch_one(fed.federation.node(RIVIERENLAND).workflow.storage().pool())
    .await
    .unwrap();
    assert_eq!(audit, 1, "the crossing is on rivierenland's audit trail");
    fed.stop().await;
}

#[tokio::test]
async fn bad_snapshots_get_a_precise_status() {
    let fed = spawn_federation().await;
    let mut lekstroom = gateway_as(&fed, Peer::Region(LEKSTROOM.into())).await;
    let good = snapshot(LEKSTROOM, "2025-Q4", 3, 1);
    let mut duplicate = good.clone();
    duplicate.cells.push(duplicate.cells[0]);
    duplicate.totals.as_mut().unwrap().closed = 6;
    let mut unknown = good.clone();
    unknown.cells[0].age_band = 0;
    let mut mismatch = good.clone();
    mismatch.totals.as_mut().unwrap().closed = 4;
    let mut no_totals = good.clone();
    no_totals.totals = None;
    let mut overcounted = good.clone();
    overcounted.totals.as_mut().unwrap().escalations_accepted = 3;
    let mut unanswered = good.clone();
    let totals = unanswered.totals.as_mut().unwrap();
    totals.consultations_asked = 4;
    totals.consultations_answered = 2;
    totals.consultations_answered_within_7_days = 3;
    let cases = [
        (
            snapshot(RIVIERENLAND, "2025-Q4", 3, 1),
            Code::PermissionDenied,
            "region: lekstroom may not send signals of rivierenland",
        ),
        (
            snapshot(LEKSTROOM, "2025-Q5", 3, 1),
            Code::InvalidArgument,
            "period: '2025-Q5' is not a quarter",
        ),
        (
            duplicate,
            Code::InvalidArgument,
            "cells[1]: the same cell is given twice",
        ),
        (
            unknown,
            Code::InvalidArgument,
            "cells[0].age_band: 0 is not a known value",
        ),
        (
            mismatch,
            Code::InvalidArgument,
            "cells: hold 3 closed cases but totals.closed is 4",
        ),
        (no_totals, Code::InvalidArgument, "totals: must be given"),
        (
            overcounted,
            Code::InvalidArgument,
            "totals.escalations_accepted: is 3, more than the 0 of totals.escalated it is part of",
        ),
        (
            unanswered,
            Code::InvalidArgument,
            "totals.consultations_answered_within_7_days: is 3, more than the 2 of \
             totals.consultations_answered it is part of",
        ),
    ];
    for (bad, code, message) in cases {
        let status = lekstroom.push_snapshot(bad).await.unwrap_err();
        assert_eq!(status.code(), code, "{status:?}");
        assert!(
            status.message().starts_with(message),
            "{}",
            status.message()
        );
    }
    assert!(
        fed.federation
            .gateway
            .gateway
            .statistics
            .of_period("2025-Q4")
            .await
            .unwrap()
            .is_empty(),
        "nothing refused was stored"
    );

    // Only a coordinator may have the regions asked.
    let status = coordinator_as(&fed, Peer::Region(LEKSTROOM.into()))
        .await
        .collect_signals(pb::CollectSignalsRequest {
            period: "2026-Q1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    fed.stop().await;
}

#[tokio::test]
async fn coordinators_read_protected_tables_and_bad_requests_are_refused() {
    let fed = spawn_federation().await;
    // Two regions report a past quarter: lekstroom with a small cell, rivierenland with larger ones.
    for (region, counts) in [(LEKSTROOM, [3u64, 40]), (RIVIERENLAND, [12, 25])] {
        let mut client = gateway_as(&fed, Peer::Region(region.into())).await;
        let cells: Vec<pb::SignalCell> = counts
            .iter()
            .zip([pb::Outcome::Solved, pb::Outcome::NoFittingAnswer])
            .map(|(count, outcome)| pb::SignalCell {
                category: pb::BottleneckCategory::WaitingList as i32,
                age_band: pb::AgeBand::AgeBand1215 as i32,
                outcome: outcome as i32,
                lead_time: pb::LeadTimeBand::Under4Weeks as i32,
                count: *count,
            })
            .collect();
        let closed = counts.iter().sum();
        client
            .push_snapshot(pb::SignalSnapshot {
                region: region.into(),
                period: "2025-Q2".into(),
                computed_at_ms: 1,
                cells,
                totals: Some(pb::SignalTotals {
                    closed,
                    ..Default::default()
                }),
                no_fitting_answer: vec![],
            })
            .await
            .unwrap();
    }
    let mut coordinator = coordinator_as(&fed, Peer::Coordinator("coordinator".into())).await;
    let national = read_table(
        &mut coordinator,
        table_request("2025-Q2", "category_by_outcome", "", ""),
    )
    .await;
    assert_eq!(national.regions, [LEKSTROOM, RIVIERENLAND]);
    assert_eq!((national.k, national.rounding_base), (5, 5));
    let waiting = &national.rows[2];
    assert_eq!(waiting.label, "WAITING_LIST");
    assert_eq!(waiting.cells[0].value, 15, "3 + 12 solved, rounded");
    assert_eq!(
        waiting.cells[4].value, 65,
        "40 + 25 with no fitting answer, rounded"
    );
    let grand = national.grand_total.unwrap();
    assert!(!grand.hidden && grand.value % 5 == 0);

    // A region's and an area's tables are for the coordinators of that area.
    let mut area = coordinator_as(&fed, area_coordinator("utrecht-flevoland")).await;
    let lekstroom = read_table(
        &mut area,
        table_request("2025-Q2", "category_by_outcome", LEKSTROOM, ""),
    )
    .await;
    let row = &lekstroom.rows[2];
    assert!(row.cells[0].hidden, "lekstroom's 3 is hidden");
    assert!(
        row.cells[4].hidden || row.total.unwrap().hidden,
        "and so is what would give it away"
    );
    // Shown the same ever after.
    let again = read_table(
        &mut area,
        table_request("2025-Q2", "category_by_outcome", LEKSTROOM, ""),
    )
    .await;
    assert_eq!(again, lekstroom);
    // The area holds only lekstroom's figures this quarter: its table hides the same.
    let utrecht_flevoland = read_table(
        &mut area,
        table_request("2025-Q2", "category_by_outcome", "", "utrecht-flevoland"),
    )
    .await;
    assert_eq!(utrecht_flevoland.area, "utrecht-flevoland");
    assert!(utrecht_flevoland.rows[2].cells[0].hidden);
    for (who, request, code, message) in [
        (
            Peer::Coordinator("coordinator".into()),
            table_request("2025-Q2", "category_by_outcome", LEKSTROOM, ""),
            Code::PermissionDenied,
            "coordinator coordinator may read the national figures only; not those of region lekstroom",
        ),
        (
            area_coordinator("oost-nederland"),
            table_request("2025-Q2", "category_by_outcome", "", "utrecht-flevoland"),
            Code::PermissionDenied,
            "and those of area oost-nederland and its regions; not those of area utrecht-flevoland",
        ),
        (
            area_coordinator("oost-nederland"),
            table_request("2025-Q2", "category_by_outcome", "", "noord"),
            Code::NotFound,
            "area noord is not in the registry",
        ),
        (
            area_coordinator("oost-nederland"),
            table_request(
                "2025-Q2",
                "category_by_outcome",
                RIVIERENLAND,
                "oost-nederland",
            ),
            Code::InvalidArgument,
            "area: give a region or an area, not both",
        ),
    ] {
        let status = coordinator_as(&fed, who)
            .await
            .statistics_table(request)
            .await
            .unwrap_err();
        assert_refused(&status, code, message);
    }

    let current = Quarter::containing(expertnet_node::clock::Clock::now_ms(
        &expertnet_node::clock::SystemClock,
    ))
    .to_string();
    for (request, code, message) in [
        (
            table_request("2025-Q2", "everything", "", ""),
            Code::InvalidArgument,
            "table: 'everything' is not one of",
        ),
        (
            table_request("2025-13", "category_by_outcome", "", ""),
            Code::InvalidArgument,
            "period:",
        ),
        (
            table_request("2025-Q2", "category_by_outcome", "atlantis", ""),
            Code::NotFound,
            "region atlantis is not in the registry",
        ),
        (
            table_request("2024-Q1", "category_by_outcome", "", ""),
            Code::NotFound,
            "no region has sent signals for 2024-Q1",
        ),
        (
            table_request(&current, "category_by_outcome", "", ""),
            Code::FailedPrecondition,
            "is not over yet",
        ),
        (
            table_request("2025-Q2", "category_by_outcome", "flevoland-utrecht", ""),
            Code::NotFound,
            "region flevoland-utrecht has no figures for 2025-Q2",
        ),
    ] {
        let status = area.statistics_table(request).await.unwrap_err();
        assert_refused(&status, code, message);
    }
    let refused = coordinator_as(&fed, Peer::Region(LEKSTROOM.into()))
        .await
        .statistics_table(table_request("2025-Q2", "category_by_outcome", "", ""))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    // The command line, as CSV (a child process awaited, so this test's runtime keeps serving the gateway).
    let output = gateway_cli(
        &fed,
        "coordinator-utrecht-flevoland",
        &[
            "statistics",
            "--period",
            "2025-Q2",
            "--format",
            "csv",
            "--region",
            LEKSTROOM,
        ],
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = String::from_utf8(output.stdout).unwrap();
    assert!(
        csv.starts_with(
            "category,SOLVED,PARTLY_SOLVED,REFERRED_ON,ESCALATED,NO_FITTING_ANSWER,total\n"
        ),
        "{csv}"
    );
    assert!(csv.contains("\nWAITING_LIST,x,"), "{csv}");
    fed.stop().await;
}
