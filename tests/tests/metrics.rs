//! The metrics endpoints of a running federation, scraped as Prometheus would and parsed with an exposition-format
//! parser: the counters of a node and of the gateway move as calls are made — RPCs by service, method and code,
//! refusals, the courier's deliveries and their time, what a receiver took in, the regions as the gateway sees
//! them — and no label carries anything a caller wrote.

use expertnet_federation::Peer;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::case_service_client::CaseServiceClient;
use expertnet_tests::federation::*;
use expertnet_tests::fixtures::{TEST_BSN, TEST_NAME, signals_quarter, submit_request};
use expertnet_tests::scrape::{Scraped, scrape};
use tonic::Code;

const CASES: &str = "expertnet.v1.CaseService";
const HANDLED: &str = "grpc_server_handled_total";

fn rpc<'a>(service: &'a str, method: &'a str, code: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("grpc_service", service),
        ("grpc_method", method),
        ("grpc_code", code),
    ]
}

/// Nothing a caller or a case could put in a label: label values are words, region ids and quarters.
fn assert_no_personal_data(scraped: &Scraped, case_id: &str) {
    for value in scraped.label_values() {
        assert!(
            value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-+".contains(c)),
            "label value {value:?}"
        );
    }
    for secret in [case_id, TEST_NAME, TEST_BSN] {
        assert!(!scraped.text.contains(secret), "{secret} in the metrics");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counters_of_node_and_gateway_move_as_calls_are_made() {
    let fed = spawn_federation().await;
    let lekstroom = fed.federation.node(LEKSTROOM);
    let rivierenland = fed.federation.node(RIVIERENLAND);
    let gateway = &fed.federation.gateway;
    let team = fed.team(LEKSTROOM).await;

    let node_before = scrape(lekstroom.metrics_addr).await;
    let gateway_before = scrape(gateway.metrics_addr).await;
    assert_eq!(
        node_before.value(HANDLED, &rpc(CASES, "SubmitCase", "OK")),
        0.0
    );

    let case_id = case_ready_to_escalate(&team, "metrics-1", RIVIERENLAND).await;
    let refused = team
        .cases
        .clone()
        .submit_case(pb::SubmitCaseRequest {
            age: 250,
            ..submit_request("metrics-bad")
        })
        .await
        .expect_err("an age of 250 is refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    let channel = team_endpoint(&lekstroom.url(), lekstroom.ca())
        .connect()
        .await
        .unwrap();
    let anonymous = CaseServiceClient::new(channel)
        .get_case(pb::GetCaseRequest {
            case_id: case_id.clone(),
        })
        .await
        .expect_err("no token, no case");
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let board = expertnet_tests::spawn_board(&lekstroom.workflow, LEKSTROOM).await;
    for password in ["not the password", lekstroom.team_password.as_str()] {
        sign_in(&board, "team", password).await;
    }
    let sent = escalate(&team, &case_id, RIVIERENLAND).await.unwrap();
    outgoing_reaches(&team, &sent.id, pb::EscalationStatus::Received).await;

    let node = scrape(lekstroom.metrics_addr).await;
    let moved = |metric: &str, labels: &[(&str, &str)]| {
        node.value(metric, labels) - node_before.value(metric, labels)
    };
    assert_eq!(moved(HANDLED, &rpc(CASES, "SubmitCase", "OK")), 1.0);
    assert_eq!(
        moved(HANDLED, &rpc(CASES, "SubmitCase", "INVALID_ARGUMENT")),
        1.0
    );
    assert_eq!(
        moved(HANDLED, &rpc(CASES, "GetCase", "UNAUTHENTICATED")),
        1.0
    );
    assert_eq!(
        moved(
            HANDLED,
            &rpc("expertnet.v1.EscalationService", "EscalateCase", "OK")
        ),
        1.0
    );
    assert_eq!(
        moved(
            "expertnet_access_refusals_total",
            &[("reason", "unauthenticated")]
        ),
        1.0
    );
    for outcome in ["refused", "ok"] {
        assert_eq!(
            moved(
                "expertnet_sign_ins_total",
                &[("step", "password"), ("outcome", outcome)]
            ),
            1.0,
            "{outcome}"
        );
    }
    assert!(
        moved(
            "expertnet_outbox_delivery_attempts_total",
            &[("kind", "escalation"), ("outcome", "delivered")]
        ) >= 1.0
    );
    assert!(
        node.value(
            "expertnet_outbox_delivery_seconds",
            &[("kind", "escalation")]
        ) >= 1.0,
        "the delivery's time from writing is observed"
    );
    assert!(
        node.samples(
            "grpc_server_handling_seconds",
            &rpc(CASES, "SubmitCase", "OK")
        )
        .next()
        .is_some(),
        "a latency histogram per RPC"
    );
    assert_eq!(
        node.samples("expertnet_outbox_envelopes", &[("state", "dead")])
            .count(),
        1,
        "the outbox gauges are read at scrape"
    );
    assert!(
        node.value("expertnet_database_pool_connections", &[("state", "idle")])
            + node.value(
                "expertnet_database_pool_connections",
                &[("state", "in_use")]
            )
            >= 1.0
    );
    assert_no_personal_data(&node, &case_id);

    let receiver = scrape(rivierenland.metrics_addr).await;
    assert!(
        receiver.value(
            "expertnet_inbox_envelopes_total",
            &[("kind", "escalation"), ("receipt", "taken")]
        ) >= 1.0
    );
    assert!(
        receiver.value(HANDLED, &rpc("expertnet.v1.InboxService", "Deliver", "OK")) >= 1.0,
        "the inbox server counts its calls too"
    );

    for region in [LEKSTROOM, FLEVOLAND_UTRECHT] {
        gateway_as(&fed, Peer::Region(region.into()))
            .await
            .push_snapshot(signals_quarter(region, "2025-Q1", 40))
            .await
            .unwrap();
    }
    let mut coordinator = coordinator_as(&fed, area_coordinator("utrecht-flevoland")).await;
    let table = || table_request("2025-Q1", "category_by_outcome", "", "utrecht-flevoland");
    read_table(&mut coordinator, table()).await;
    let noisy = read_table(
        &mut coordinator,
        pb::StatisticsTableRequest {
            epsilon: 0.4,
            ..table()
        },
    )
    .await;
    assert_eq!(noisy.epsilon_spent, 0.4);

    let gateway_after = scrape(gateway.metrics_addr).await;
    assert!(gateway_after.value("expertnet_statistics_releases", &[]) >= 1.0);
    assert_eq!(
        gateway_after.value("expertnet_privacy_epsilon_spent", &[("period", "2025-Q1")]),
        0.4,
        "the network's ε spent on the quarter"
    );
    let route = rpc("expertnet.v1.GatewayService", "Route", "OK");
    assert!(
        gateway_after.value(HANDLED, &route) > gateway_before.value(HANDLED, &route),
        "the routed escalation is counted at the gateway"
    );
    assert!(
        gateway_after.value(
            HANDLED,
            &rpc("expertnet.v1.GatewayService", "Heartbeat", "OK")
        ) >= 1.0
    );
    assert_eq!(
        gateway_after.value("expertnet_gateway_region_up", &[("region", LEKSTROOM)]),
        1.0
    );
    assert_eq!(
        gateway_after
            .samples("expertnet_gateway_region_up", &[])
            .count(),
        4,
        "one series per region of the registry"
    );
    assert_no_personal_data(&gateway_after, &case_id);

    let known: Vec<&str> = [&node, &receiver, &gateway_after]
        .iter()
        .flat_map(|s| s.scrape.samples.iter().map(|sample| sample.metric.as_str()))
        .collect();
    for metric in dashboard_metrics() {
        assert!(
            known.contains(&metric.as_str()),
            "deploy/grafana/expertnet.json asks for {metric}, which no endpoint serves"
        );
    }
    fed.stop().await;
}

/// Posts the board's sign-in form.
async fn sign_in(board: &str, name: &str, password: &str) {
    use http_body_util::Full;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<bytes::Bytes>>();
    let form = format!(
        "name={name}&password={}",
        password.replace(' ', "+").replace('-', "%2D")
    );
    let request = http::Request::post(format!("{board}/aanmelden"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::from(form))
        .unwrap();
    client.request(request).await.expect("the board answers");
}

/// Every metric the Grafana dashboard's queries read (a histogram by its base name).
fn dashboard_metrics() -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/grafana/expertnet.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("dashboard JSON");
    let name = regex::Regex::new(r"\b(?:expertnet|grpc_server)_[a-z_]+").unwrap();
    let mut metrics: Vec<String> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|target| target["expr"].as_str().map(str::to_owned))
        .flat_map(|expr| {
            name.find_iter(&expr)
                .map(|m| m.as_str().trim_end_matches("_bucket").to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    metrics.sort();
    metrics.dedup();
    assert!(metrics.len() >= 10, "{metrics:?}");
    metrics
}
