//! Two regions' boards in one browser, over the real federation (gateway, mutual TLS, outbox and inbox): an
//! escalation sent from Lekstroom's board and accepted on Rivierenland's, its status following at Lekstroom
//! without a reload; a consultation asked on one board and answered on the other.

use expertnet_node::clock::{Clock, SystemClock};
use expertnet_tests::browser::{Browser, CaseForm};
use expertnet_tests::federation::{LEKSTROOM, RIVIERENLAND, spawn_federation};

/// Signs the demo `team` user in to a board, setting up its second factor.
async fn sign_in_team(browser: &Browser, board: &str, password: &str) {
    browser
        .sign_in_enrolling(board, "team", password, SystemClock.now_ms())
        .await;
}

#[tokio::test]
async fn an_escalation_and_a_consultation_across_two_boards() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let test = spawn_federation().await;
    let lekstroom = test.federation.node(LEKSTROOM);
    let rivierenland = test.federation.node(RIVIERENLAND);
    let lekstroom_board = lekstroom.board_url();
    // The other board by name, so the two sessions are two sites to the browser as they would be in use.
    let rivierenland_board = rivierenland.board_url().replace("127.0.0.1", "localhost");
    sign_in_team(&browser, &lekstroom_board, &lekstroom.team_password).await;

    // Lekstroom: a case taken in, consent of a parent for Rivierenland, then the escalation.
    browser
        .submit_case(
            &lekstroom_board,
            CaseForm {
                organisation: "Sociaal team Houten",
                name: "Noor Voorbeeld",
                age: "15",
                municipality: "Houten",
                question: "Zit thuis; school en zorg sluiten niet aan",
                tried: "Twee scholen en ambulante hulp",
                category: "school_absence",
            },
        )
        .await;
    browser.take_in().await;
    browser.click("form[action$='/toestemming'] button").await;
    assert!(
        browser
            .text("#toestemmingen")
            .await
            .contains("een ouder met gezag")
    );
    browser
        .fill(
            "#opschaal-reden",
            "Rivierenland heeft een passende actietafel voor thuiszitters",
        )
        .await;
    browser.click("form[action$='/opschalen'] button").await;
    assert_eq!(
        browser.wait_text("#status", "opgeschaald").await,
        "opgeschaald"
    );
    let received = browser
        .live_text("#opschalingen", "ontvangen door de andere regio")
        .await;
    assert!(
        received.contains("Actietafel") || received.contains("Rivierenland"),
        "{received}"
    );
    assert!(
        received.contains("ontvangen door de andere regio"),
        "{received}"
    );
    browser.assert_accessible("case with an escalation").await;
    browser.screenshot("opschaling").await;
    let escalated_page = browser.client.current_url().await.unwrap().to_string();

    // Rivierenland: the escalation waits in "Mijn werk"; its linked case is taken in and accepted.
    sign_in_team(&browser, &rivierenland_board, &rivierenland.team_password).await;
    assert!(
        browser
            .text("#opschaling")
            .await
            .contains("Binnenkomende opschalingen")
    );
    browser.click("section[aria-labelledby=opschaling] a").await;
    // An escalated case arrives in intake: the sending table already took it in.
    assert_eq!(browser.wait_text("#status", "in intake").await, "in intake");
    assert!(
        !browser.client.source().await.unwrap().contains("Noor"),
        "identifiers stay at Lekstroom"
    );
    browser.click("form[action$='/aannemen'] button").await;
    assert!(browser.wait_gone("form[action$='/aannemen']").await);

    // Back at Lekstroom's page: the status follows without a reload.
    browser.goto(&escalated_page).await;
    let accepted = browser
        .live_text("#opschalingen", "aangenomen door de andere regio")
        .await;
    assert!(
        accepted.contains("aangenomen door de andere regio"),
        "{accepted}"
    );

    // A consultation asked at Lekstroom to Rivierenland, answered on Rivierenland's board.
    browser
        .goto(&format!("{lekstroom_board}/consultatie"))
        .await;
    browser.assert_accessible("consultations").await;
    browser
        .fill("#vraag", "Welke aanpak werkt bij thuiszitters met een lvb?")
        .await;
    browser.click("label[for=aan-regio]").await;
    browser
        .client
        .execute(
            "document.getElementById('vraag-regio').value = arguments[0];",
            vec![serde_json::json!(RIVIERENLAND)],
        )
        .await
        .unwrap();
    browser
        .click("form[action='/consultatie'] button[type=submit]")
        .await;
    assert!(browser.wait_path_prefix("/consultatie/").await);
    let question_page = browser.client.current_url().await.unwrap().to_string();
    browser
        .goto(&format!("{rivierenland_board}/consultatie"))
        .await;
    let waiting = browser
        .live_text("#te-beantwoorden", "regio lekstroom")
        .await;
    assert!(waiting.contains("lvb"), "{waiting}");
    browser.click("#te-beantwoorden a").await;
    browser
        .fill(
            "#antwoord",
            "Begin met een onderwijs-zorgarrangement en een vaste coach",
        )
        .await;
    browser.click("form[action$='/antwoord'] button").await;
    assert!(browser.text("#antwoorden").await.contains("vaste coach"));
    browser.assert_accessible("consultation").await;
    browser.goto(&question_page).await;
    let answered = browser.live_text("#consultatiestatus", "beantwoord").await;
    assert!(answered.contains("beantwoord (1 antwoord)"), "{answered}");
    browser.goto(&question_page).await;
    assert!(browser.text("#antwoorden").await.contains("vaste coach"));
    browser.close().await;
    test.federation.stop().await;
}
