//! What coordinators read besides the category tables: noisy tables under differential privacy with a budget
//! per coordinator and quarter (spent until refused), the flow and no-fitting-answer tables, and a region's
//! yearly review as HTML with SVG charts — over real mutual TLS to an in-process federation.

use expertnet_federation::Peer;
use expertnet_proto::v1 as pb;
use expertnet_tests::federation::{
    FLEVOLAND_UTRECHT, LEKSTROOM, TestFederation, area_coordinator, assert_refused, coordinator_as,
    gateway_as, gateway_cli, read_table, spawn_federation, table_request,
};
use expertnet_tests::fixtures::signals_quarter;
use tonic::Code;

async fn report(fed: &TestFederation, region: &str, period: &str, scale: u64) {
    gateway_as(fed, Peer::Region(region.into()))
        .await
        .push_snapshot(signals_quarter(region, period, scale))
        .await
        .unwrap();
}

fn noisy(period: &str, table: &str, area: &str, epsilon: f64) -> pb::StatisticsTableRequest {
    pb::StatisticsTableRequest {
        epsilon,
        ..table_request(period, table, "", area)
    }
}

#[tokio::test]
async fn noisy_tables_spend_a_budget_until_it_is_refused() {
    let fed = spawn_federation().await;
    for region in [LEKSTROOM, FLEVOLAND_UTRECHT] {
        report(&fed, region, "2025-Q1", 40).await;
        report(&fed, region, "2025-Q2", 40).await;
    }
    let mut area = coordinator_as(&fed, area_coordinator("utrecht-flevoland")).await;
    let first = read_table(
        &mut area,
        noisy("2025-Q1", "category_by_outcome", "utrecht-flevoland", 0.4),
    )
    .await;
    assert_eq!(
        (first.epsilon, first.epsilon_spent, first.epsilon_budget),
        (0.4, 0.4, 1.0)
    );
    assert_eq!(first.area, "utrecht-flevoland");
    let mut exact_everywhere = true;
    for row in &first.rows {
        let cells: u64 = row.cells.iter().map(|c| c.value).sum();
        assert_eq!(
            row.total.unwrap().value,
            cells,
            "totals are sums of the noisy cells"
        );
        for cell in &row.cells {
            assert!(!cell.hidden);
            // Two regions × 40 cases, with Laplace noise of scale 2.5: never far off.
            assert!(cell.value.abs_diff(80) <= 60, "{}", cell.value);
            exact_everywhere &= cell.value == 80;
        }
    }
    assert!(!exact_everywhere, "50 cells with noise are not all exact");
    let second = read_table(
        &mut area,
        noisy("2025-Q1", "category_by_age_band", "utrecht-flevoland", 0.4),
    )
    .await;
    assert!(
        (second.epsilon_spent - 0.8).abs() < 1e-9,
        "{}",
        second.epsilon_spent
    );

    // 0.8 + 0.4 would pass the budget of 1.0: refused, and it costs nothing.
    let refused = area
        .statistics_table(noisy("2025-Q1", "category_by_outcome", "", 0.4))
        .await
        .unwrap_err();
    assert_refused(
        &refused,
        Code::ResourceExhausted,
        "privacy budget of coordinator-utrecht-flevoland for 2025-Q1: ε 0.8 of 1 spent, this table needs 0.4",
    );
    let last = read_table(&mut area, noisy("2025-Q1", "category_by_outcome", "", 0.2)).await;
    assert!((last.epsilon_spent - 1.0).abs() < 1e-9);
    let exhausted = area
        .statistics_table(noisy("2025-Q1", "category_by_lead_time", "", 0.01))
        .await
        .unwrap_err();
    assert_eq!(exhausted.code(), Code::ResourceExhausted);

    // The suppressed tables stay open; another quarter and another coordinator have budgets of their own.
    let suppressed = read_table(
        &mut area,
        table_request("2025-Q1", "category_by_outcome", "", "utrecht-flevoland"),
    )
    .await;
    assert_eq!(suppressed.epsilon, 0.0);
    assert_eq!(suppressed.rows[0].cells[0].value, 80);
    area.statistics_table(noisy("2025-Q2", "category_by_outcome", "", 0.5))
        .await
        .unwrap();
    let national = coordinator_as(&fed, Peer::Coordinator("coordinator".into()))
        .await
        .statistics_table(noisy("2025-Q1", "category_by_outcome", "", 1.0))
        .await
        .unwrap()
        .into_inner();
    assert!((national.epsilon_spent - 1.0).abs() < 1e-9);

    for (request, message) in [
        (
            noisy("2025-Q2", "flows", "", 0.1),
            "epsilon: noise is offered for the category tables",
        ),
        (
            noisy("2025-Q2", "category_by_outcome", "", 20.0),
            "epsilon: 20 is not between 0.01 and 10",
        ),
        (
            noisy("2025-Q2", "category_by_outcome", "", -0.5),
            "epsilon: -0.5 is not between",
        ),
    ] {
        let status = area.statistics_table(request).await.unwrap_err();
        assert_refused(&status, Code::InvalidArgument, message);
    }
    // A region without figures, and a quarter not over, cost nothing.
    let mut east = coordinator_as(&fed, area_coordinator("oost-nederland")).await;
    let status = east
        .statistics_table(pb::StatisticsTableRequest {
            epsilon: 0.5,
            ..table_request("2025-Q2", "category_by_outcome", "rivierenland", "")
        })
        .await
        .unwrap_err();
    assert_refused(
        &status,
        Code::NotFound,
        "region rivierenland has no figures for 2025-Q2",
    );
    let status = east
        .statistics_table(noisy("2099-Q1", "category_by_outcome", "", 0.5))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let spent = read_table(&mut east, noisy("2025-Q2", "category_by_outcome", "", 1.0)).await;
    assert!(
        (spent.epsilon_spent - 1.0).abs() < 1e-9,
        "nothing was charged before"
    );
    assert!(
        (spent.network_epsilon_spent - 1.5).abs() < 1e-9,
        "the network's ledger holds the area coordinator's 0.5 too: {}",
        spent.network_epsilon_spent
    );
    assert!(spent.network_epsilon_budget >= spent.epsilon_budget);
    // Noise does not open an area to a coordinator of another.
    let status = east
        .statistics_table(noisy(
            "2025-Q2",
            "category_by_outcome",
            "utrecht-flevoland",
            0.1,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    fed.stop().await;
}

#[tokio::test]
async fn flows_and_signals_without_a_fitting_answer_are_published_protected() {
    let fed = spawn_federation().await;
    report(&fed, LEKSTROOM, "2025-Q3", 10).await;
    report(&fed, FLEVOLAND_UTRECHT, "2025-Q3", 10).await;
    let mut area = coordinator_as(&fed, area_coordinator("utrecht-flevoland")).await;
    let flows = read_table(&mut area, table_request("2025-Q3", "flows", LEKSTROOM, "")).await;
    assert_eq!(flows.row_dimension, "measure");
    assert!(!flows.has_totals && flows.grand_total.is_none());
    let shown: Vec<(String, Option<u64>)> = flows
        .rows
        .iter()
        .map(|r| {
            (
                r.label.clone(),
                (!r.cells[0].hidden).then_some(r.cells[0].value),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("submitted".to_owned(), Some(520)),
            ("returned".to_owned(), None),
            ("discussed".to_owned(), Some(510)),
            ("escalated".to_owned(), Some(15)),
            ("sessions_held".to_owned(), Some(12)),
            ("escalations_accepted".to_owned(), Some(10)),
            ("escalations_accepted_within_14_days".to_owned(), Some(5)),
            ("consultations_asked".to_owned(), Some(40)),
            ("consultations_answered".to_owned(), Some(35)),
            ("consultations_answered_within_7_days".to_owned(), Some(25)),
        ],
        "2 returned is hidden; the 12 sessions, meetings and not youths, are shown exactly; the network's \
         outcome measures are published beside the flows"
    );
    let mut quiet = signals_quarter(LEKSTROOM, "2025-Q4", 10);
    quiet.totals.as_mut().unwrap().sessions_held = 1;
    gateway_as(&fed, Peer::Region(LEKSTROOM.into()))
        .await
        .push_snapshot(quiet)
        .await
        .unwrap();
    let flows = read_table(&mut area, table_request("2025-Q4", "flows", LEKSTROOM, "")).await;
    assert_eq!(flows.rows[4].label, "sessions_held");
    assert_eq!(
        (flows.rows[4].cells[0].value, flows.rows[4].cells[0].hidden),
        (1, false),
        "one session in a quarter reads as one, not as none"
    );
    // Two regions each returned 2: the area's and the nation's 4 are hidden too.
    let national = read_table(&mut area, table_request("2025-Q3", "flows", "", "")).await;
    assert!(national.rows[1].cells[0].hidden);

    let signals = read_table(
        &mut area,
        table_request("2025-Q3", "no_fitting_answer", "", "utrecht-flevoland"),
    )
    .await;
    // The outcome table's NO_FITTING_ANSWER column on its own, protected with it: the same values, hidden alike.
    let by_outcome = read_table(
        &mut area,
        table_request("2025-Q3", "category_by_outcome", "", "utrecht-flevoland"),
    )
    .await;
    assert_eq!(signals.columns, ["COUNT"]);
    assert!(!signals.has_totals && signals.grand_total.is_none());
    assert_eq!(signals.rows.len(), 10);
    for (signal, row) in signals.rows.iter().zip(&by_outcome.rows) {
        assert_eq!(signal.label, row.label);
        assert_eq!(signal.cells[0], row.cells[4], "{}", row.label);
        assert_eq!(
            signal.cells[0].value, 20,
            "10 + 10 closed with no fitting answer"
        );
    }

    // No region of Oost-Nederland reported the quarter: its area has no figures.
    let status = coordinator_as(&fed, area_coordinator("oost-nederland"))
        .await
        .statistics_table(table_request("2025-Q3", "flows", "", "oost-nederland"))
        .await
        .unwrap_err();
    assert_refused(
        &status,
        Code::NotFound,
        "area oost-nederland has no figures for 2025-Q3: no region of it sent signals",
    );

    // The same as JSON from the command line (a child process awaited, so the gateway keeps serving).
    let output = gateway_cli(
        &fed,
        "coordinator-utrecht-flevoland",
        &[
            "statistics",
            "--period",
            "2025-Q3",
            "--table",
            "flows",
            "--format",
            "json",
            "--area",
            "utrecht-flevoland",
        ],
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["area"], "utrecht-flevoland");
    assert_eq!(json["rows"][0]["label"], "submitted");
    assert_eq!(json["rows"][0]["cells"][0]["value"], "1040", "{json}");
    assert_eq!(json["rows"][1]["cells"][0]["hidden"], true, "{json}");
    fed.stop().await;
}

/// `expertnet-gateway review` of lekstroom's 2025, written to `out`.
async fn review_to(fed: &TestFederation, out: &std::path::Path) -> std::process::Output {
    let out = out.display().to_string();
    gateway_cli(
        fed,
        "coordinator-utrecht-flevoland",
        &[
            "review", "--region", LEKSTROOM, "--year", "2025", "--out", &out,
        ],
    )
    .await
}

#[tokio::test]
async fn a_regions_yearly_review_is_html_with_charts_from_published_figures() {
    let fed = spawn_federation().await;
    for (period, scale) in [
        ("2024-Q4", 9),
        ("2025-Q1", 8),
        ("2025-Q2", 10),
        ("2025-Q3", 6),
    ] {
        report(&fed, LEKSTROOM, period, scale).await;
    }
    let mut area = coordinator_as(&fed, area_coordinator("utrecht-flevoland")).await;
    let review = area
        .yearly_review(pb::YearlyReviewRequest {
            region: LEKSTROOM.into(),
            year: 2025,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(review.quarters, ["2025-Q1", "2025-Q2", "2025-Q3"]);
    let html = &review.html;
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert!(html.contains("Jaaroverzicht 2025: Lekstroom"));
    assert_eq!(
        html.matches("<svg").count(),
        6,
        "trend, outcomes, lead times, age bands, categories, signals"
    );
    assert!(
        html.contains("<td>2025-Q2</td><td>520</td>"),
        "submitted in Q2 (500 + 20)"
    );
    assert!(
        html.contains("<td>x</td>"),
        "the 2 returned per quarter are hidden"
    );

    let out = fed.dir.path().join("review.html");
    let output = review_to(&fed, &out).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("<svg"));
    let output = review_to(&fed, &fed.dir.path().join("no-such-folder/review.html")).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--out: cannot write"), "{stderr}");

    for (who, request, code, message) in [
        (
            area_coordinator("oost-nederland"),
            (LEKSTROOM, 2025),
            Code::PermissionDenied,
            "not those of region lekstroom",
        ),
        (
            area_coordinator("utrecht-flevoland"),
            (LEKSTROOM, 2019),
            Code::NotFound,
            "lekstroom has no released quarter in 2019",
        ),
        (
            area_coordinator("utrecht-flevoland"),
            (LEKSTROOM, 12),
            Code::InvalidArgument,
            "year: 12 is not a year like 2026",
        ),
        (
            area_coordinator("utrecht-flevoland"),
            ("atlantis", 2025),
            Code::NotFound,
            "region atlantis is not in the registry",
        ),
    ] {
        let status = coordinator_as(&fed, who)
            .await
            .yearly_review(pb::YearlyReviewRequest {
                region: request.0.into(),
                year: request.1,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_refused(&status, code, message);
    }
    fed.stop().await;
}

#[tokio::test]
async fn a_federation_of_synthetic_cases_publishes_national_and_area_statistics_and_a_review() {
    let fed = expertnet_tests::federation::spawn_federation_with(|settings| {
        settings.synthetic_cases = 1500;
    })
    .await;
    let mut national = coordinator_as(&fed, Peer::Coordinator("coordinator".into())).await;
    for quarter in ["2026-Q1", "2026-Q2", "2026-Q3"] {
        let collected = national
            .collect_signals(pb::CollectSignalsRequest {
                period: quarter.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(collected.collected.len(), 4, "{:?}", collected.failed);
    }
    let table = read_table(
        &mut national,
        table_request("2026-Q2", "category_by_outcome", "", ""),
    )
    .await;
    let grand = table.grand_total.unwrap();
    assert!(!grand.hidden && grand.value > 0, "{grand:?}");
    let hidden = table
        .rows
        .iter()
        .flat_map(|r| r.cells.iter())
        .filter(|c| c.hidden)
        .count();
    assert!(
        hidden > 0,
        "small synthetic regions have small cells to hide"
    );
    let mut east = coordinator_as(&fed, area_coordinator("oost-nederland")).await;
    let area = read_table(
        &mut east,
        table_request("2026-Q2", "category_by_age_band", "", "oost-nederland"),
    )
    .await;
    assert_eq!(area.area, "oost-nederland");
    let review = |region: &str, area: &str| pb::YearlyReviewRequest {
        region: region.into(),
        area: area.into(),
        year: 2026,
    };
    for (request, title) in [
        (review("rivierenland", ""), "Rivierenland"),
        (
            review("", "oost-nederland"),
            "Gebied <code>oost-nederland</code>",
        ),
        (review("", ""), "Jaaroverzicht 2026: Nederland"),
    ] {
        let published = east.yearly_review(request).await.unwrap().into_inner();
        assert_eq!(published.quarters, ["2026-Q1", "2026-Q2", "2026-Q3"]);
        assert!(published.html.contains(title), "{title}");
        assert!(published.html.contains("Tussen regio's"));
    }
    for (request, code, message) in [
        (review("", "utrecht-flevoland"), Code::PermissionDenied, ""),
        (
            review("rivierenland", "oost-nederland"),
            Code::InvalidArgument,
            "area: give a region or an area, not both",
        ),
        (
            review("", "atlantis"),
            Code::NotFound,
            "area atlantis is not in the registry",
        ),
    ] {
        let status = east.yearly_review(request).await.unwrap_err();
        assert_refused(&status, code, message);
    }
    fed.stop().await;
}
