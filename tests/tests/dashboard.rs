//! The coordinators' dashboard in a real headless Chromium, over the in-process federation: coordinators sign
//! in as people (password, then setting up the second factor), watch a region go down and come back without
//! reloading, read national and area tables and are refused a region outside their area with the reason shown,
//! download CSV and JSON equal to the RPC's figures, draw noisy tables until the budget refuses, and read a
//! published yearly review. axe-core finds no serious or critical violation on any page.

use expertnet_federation::Peer;
use expertnet_node::clock::{Clock, SystemClock};
use expertnet_proto::v1 as pb;
use expertnet_tests::browser::{Browser, totp_code};
use expertnet_tests::federation::{
    FLEVOLAND_UTRECHT, LEKSTROOM, MIDDEN_IJSSEL, RIVIERENLAND, TestFederation, area_coordinator,
    coordinator_as, gateway_as, read_table, spawn_federation, table_request,
};
use expertnet_tests::fixtures::signals_quarter;

const PERIOD: &str = "2025-Q3";

async fn report(fed: &TestFederation, period: &str) {
    for region in [LEKSTROOM, FLEVOLAND_UTRECHT, RIVIERENLAND, MIDDEN_IJSSEL] {
        gateway_as(fed, Peer::Region(region.into()))
            .await
            .push_snapshot(signals_quarter(region, period, 40))
            .await
            .unwrap();
    }
}

/// The state a region's row shows, read again until it is `expected` (the page refreshes itself).
async fn wait_state(browser: &Browser, region: &str, expected: &str) -> String {
    let css = format!("#regio-{region} td");
    let mut shown = String::new();
    for _ in 0..300 {
        shown = browser.text(&css).await;
        if shown == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    shown
}

#[tokio::test]
async fn coordinators_watch_the_network_and_read_the_figures_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let mut fed = spawn_federation().await;
    report(&fed, "2025-Q2").await;
    report(&fed, PERIOD).await;
    let dashboard = format!("https://{}", fed.federation.gateway.dashboard_addr);
    let east = "coordinator-oost-nederland";
    let password = fed.federation.gateway.coordinator_passwords[east].clone();

    // A wrong password is refused without saying which half was wrong.
    browser
        .sign_in(&dashboard, east, "not the password at all")
        .await;
    assert_eq!(
        browser.text("#foutmelding").await,
        "Naam of wachtwoord klopt niet."
    );
    browser.assert_accessible("dashboard sign-in refused").await;
    browser
        .sign_in_enrolling_to(
            &dashboard,
            east,
            &password,
            SystemClock.now_ms(),
            "/netwerk",
        )
        .await;
    assert!(browser.text("#persoon").await.contains("Oost-Nederland"));

    // The network: every region up; one stopped goes down within down_after_secs and comes back, unreloaded.
    assert_eq!(
        wait_state(&browser, LEKSTROOM, "bereikbaar").await,
        "bereikbaar"
    );
    assert!(
        browser
            .text("#samenvatting")
            .await
            .contains("4 van 4 regio's bereikbaar")
    );
    browser.assert_accessible("network").await;
    browser.screenshot("dashboard-netwerk").await;
    fed.federation.stop_node(LEKSTROOM).await;
    assert_eq!(
        wait_state(&browser, LEKSTROOM, "niet bereikbaar").await,
        "niet bereikbaar"
    );
    assert!(browser.text("#samenvatting").await.contains("3 van 4"));
    fed.federation.restart_node(LEKSTROOM).await.unwrap();
    assert_eq!(
        wait_state(&browser, LEKSTROOM, "bereikbaar").await,
        "bereikbaar"
    );
    assert!(
        browser.path().await.ends_with("/netwerk"),
        "never left the page"
    );

    // The national table, hidden cells explained; its CSV and JSON downloads equal the RPC's figures.
    let mut rpc = coordinator_as(&fed, area_coordinator("oost-nederland")).await;
    let query = format!("periode={PERIOD}&tabel=category_by_outcome&bereik=nederland");
    browser
        .goto(&format!("{dashboard}/statistieken?{query}"))
        .await;
    let national = read_table(
        &mut rpc,
        table_request(PERIOD, "category_by_outcome", "", ""),
    )
    .await;
    let shown = browser.text("#cijfers").await;
    let grand_total = national.grand_total.unwrap();
    assert!(!grand_total.hidden);
    assert!(shown.contains(&grand_total.value.to_string()), "{shown}");
    assert!(shown.contains("wachtlijst"), "{shown}");
    assert!(
        browser
            .text("#uitleg")
            .await
            .contains("afgerond op 5-tallen")
    );
    assert!(
        browser.exists("#grafiek svg").await,
        "the chart over the quarters"
    );
    browser.assert_accessible("national table").await;
    browser.screenshot("dashboard-statistieken").await;
    let csv_link = browser.attribute("#download-csv", "href").await;
    let (status, csv) = browser.fetch(&csv_link).await;
    assert_eq!(status, 200);
    assert_eq!(csv, expertnet_gateway::statistics::view::csv(&national));
    let (status, json) = browser
        .fetch(&browser.attribute("#download-json", "href").await)
        .await;
    assert_eq!(status, 200);
    let downloaded: pb::StatisticsTable = serde_json::from_str(&json).expect("the table as JSON");
    assert_eq!(downloaded, national);

    // The area's table; a region outside the area is refused, with the reason.
    browser
        .goto(&format!(
            "{dashboard}/statistieken?periode={PERIOD}&tabel=flows&bereik=gebied:oost-nederland"
        ))
        .await;
    let area = read_table(
        &mut rpc,
        table_request(PERIOD, "flows", "", "oost-nederland"),
    )
    .await;
    let shown = browser.text("#cijfers").await;
    assert!(shown.contains("tafelzittingen gehouden"), "{shown}");
    let submitted = &area.rows[0].cells[0];
    assert!(!submitted.hidden);
    assert!(shown.contains(&submitted.value.to_string()), "{shown}");
    browser
        .goto(&format!(
            "{dashboard}/statistieken?periode={PERIOD}&tabel=flows&bereik=regio:lekstroom"
        ))
        .await;
    let refusal = browser.text("#foutmelding").await;
    assert!(refusal.starts_with("Geweigerd"), "{refusal}");
    assert!(
        refusal.contains("niet die van regio Lekstroom"),
        "{refusal}"
    );
    assert!(!browser.exists("#cijfers").await);
    browser.assert_accessible("refused region").await;
    let (status, _) = browser
        .fetch(&format!(
            "/statistieken/tabel.csv?periode={PERIOD}&tabel=flows&bereik=regio:lekstroom"
        ))
        .await;
    assert_eq!(status, 403, "no download of what the page refuses");

    // Noisy tables: each shows the budgets before and after, until the coordinator's budget (1.0) refuses.
    browser
        .goto(&format!(
            "{dashboard}/statistieken?periode={PERIOD}&tabel=category_by_outcome&bereik=gebied:oost-nederland"
        ))
        .await;
    assert_eq!(
        browser.text("#budget-eigen").await,
        "ε 0,00 van 1,00 besteed; 1,00 over"
    );
    for (before, after, spent) in [("1,00", "0,60", "0,40"), ("0,60", "0,20", "0,80")] {
        browser.fill("#epsilon", "0,4").await;
        browser.click("#ruis-vragen").await;
        let own = browser
            .wait_text("#budget-eigen", &format!("na: {after} over"))
            .await;
        assert_eq!(
            own,
            format!("vóór: {before} over; na: {after} over (ε {spent} van 1,00 besteed)")
        );
        let network = browser.text("#budget-netwerk").await;
        assert!(
            network.contains(&format!("(ε {spent} van 3,00 besteed)")),
            "{network}"
        );
        assert!(browser.text("#cijfers").await.contains("met ruis"));
    }
    browser.assert_accessible("noisy table").await;
    browser.fill("#epsilon", "0,4").await;
    browser.click("#ruis-vragen").await;
    let refusal = browser.wait_text("#foutmelding", "privacybudget").await;
    assert!(refusal.contains("niet toereikend"), "{refusal}");
    assert_eq!(
        browser.text("#budget-eigen").await,
        "ε 0,80 van 1,00 besteed; 0,20 over"
    );
    browser.fill("#epsilon", "twaalf").await;
    browser.click("#ruis-vragen").await;
    assert!(
        browser
            .wait_text("#foutmelding", "0,01 tot en met 10")
            .await
            .contains("ε")
    );

    // The area's published review.
    browser
        .goto(&format!(
            "{dashboard}/jaaroverzicht?jaar=2025&bereik=gebied:oost-nederland"
        ))
        .await;
    assert!(
        browser
            .text("#overzicht h2")
            .await
            .starts_with("Jaaroverzicht 2025: Bovenregionaal expertisenetwerk Oost-Nederland")
    );
    assert!(
        browser.exists("#overzicht svg").await,
        "the review's charts"
    );
    browser.assert_accessible("published review").await;
    browser.screenshot("dashboard-jaaroverzicht").await;

    // The national coordinator reads the nation only; an area is refused with the reason.
    browser.click("form[action='/afmelden'] button").await;
    assert_eq!(browser.wait_path("/aanmelden").await, "/aanmelden");
    let national_password = fed.federation.gateway.coordinator_passwords["coordinator"].clone();
    // The set-up of the second factor, looked at before the code is typed.
    browser
        .sign_in(&dashboard, "coordinator", &national_password)
        .await;
    let secret = browser.text("#sleutel").await;
    assert!(browser.exists("#annuleren").await);
    browser.assert_accessible("second factor set-up").await;
    browser.screenshot("dashboard-tweede-stap").await;
    browser
        .fill("#code", &totp_code(&secret, SystemClock.now_ms()))
        .await;
    browser.click("button[type=submit]").await;
    assert_eq!(browser.wait_path("/netwerk").await, "/netwerk");

    // From the menu the statistics page only offers its lists; a quarter without figures offers to ask the
    // regions, and asking shows the table.
    browser.goto(&format!("{dashboard}/statistieken")).await;
    assert!(browser.text("#kies").await.contains("Toon tabel"));
    assert!(!browser.exists("#cijfers").await);
    browser.assert_accessible("statistics from the menu").await;
    browser
        .goto(&format!(
            "{dashboard}/statistieken?periode=2024-Q1&tabel=category_by_outcome&bereik=nederland"
        ))
        .await;
    assert!(browser.text("#foutmelding").await.contains("geen cijfers"));
    browser.assert_accessible("a quarter without figures").await;
    browser.click("#ophalen-knop").await;
    let sent = browser.wait_text("#gemeld", "gestuurd").await;
    assert!(sent.starts_with("4 regio's hebben hun cijfers"), "{sent}");
    assert!(browser.exists("#cijfers").await);
    browser
        .assert_accessible("a quarter asked of the regions")
        .await;
    browser.screenshot("dashboard-opgevraagd").await;
    browser
        .goto(&format!(
            "{dashboard}/statistieken?periode={PERIOD}&tabel=category_by_outcome&bereik=gebied:oost-nederland"
        ))
        .await;
    let refusal = browser.text("#foutmelding").await;
    assert!(
        refusal.contains("alleen de landelijke cijfers"),
        "{refusal}"
    );
    browser
        .goto(&format!("{dashboard}/statistieken?{query}"))
        .await;
    assert!(
        browser
            .text("#cijfers")
            .await
            .contains(&grand_total.value.to_string())
    );

    // Signed out, nothing is shown.
    browser.click("form[action='/afmelden'] button").await;
    browser
        .goto(&format!("{dashboard}/statistieken?{query}"))
        .await;
    assert_eq!(browser.wait_path("/aanmelden").await, "/aanmelden");
    browser.close().await;
    fed.federation.stop().await;
}
