//! The web board in a real headless Chromium against a real node: sign-in with a second factor, a case from
//! submission through intake in the browser, the refusals a person meets, and axe-core on every page type.

use expertnet_node::access::second_factor::TotpSecret;
use expertnet_node::clock::Clock;
use expertnet_node::domain::people::Role;
use expertnet_tests::browser::Browser;
use expertnet_tests::{add_person, spawn_board, spawn_node};

const PASSWORD: &str = "een lang wachtwoord";

/// The code an authenticator app with `secret` shows at the node's (manual) time.
fn code(secret: &str, node_ms: i64) -> String {
    TotpSecret::from_base32(&secret.replace(' ', "")).code_at((node_ms / 1000) as u64)
}

async fn sign_in(browser: &Browser, board: &str, name: &str, password: &str) {
    browser.goto(&format!("{board}/aanmelden")).await;
    browser.fill("#naam", name).await;
    browser.fill("#wachtwoord", password).await;
    browser.click("button[type=submit]").await;
}

#[tokio::test]
async fn a_case_goes_from_submission_through_intake_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let node = spawn_node().await;
    let board = spawn_board(&node.workflow, "lekstroom").await;
    add_person(
        &node.workflow,
        "v.devries",
        &[Role::Intake, Role::Chair],
        PASSWORD,
    )
    .await;

    // The sign-in page, then the second factor set up from the secret the page shows.
    browser.goto(&format!("{board}/werk")).await;
    assert_eq!(
        browser.path().await,
        "/aanmelden",
        "not signed in: to the sign-in page"
    );
    browser.assert_accessible("sign-in").await;
    browser.screenshot("aanmelden").await;
    sign_in(&browser, &board, "v.devries", PASSWORD).await;
    assert_eq!(browser.path().await, "/aanmelden/code");
    let secret = browser.text("#sleutel").await;
    browser.assert_accessible("second factor set-up").await;
    browser.screenshot("tweede-stap-instellen").await;
    browser
        .fill("#code", &code(&secret, node.clock.now_ms()))
        .await;
    browser.click("button[type=submit]").await;
    assert_eq!(browser.path().await, "/werk");
    browser.assert_accessible("my work").await;
    browser.screenshot("mijn-werk").await;
    assert_eq!(browser.text("[data-testid=telling-intake]").await, "0");

    // A submission with a mistake comes back naming the field, with what was typed kept.
    browser.goto(&format!("{board}/casussen/nieuw")).await;
    browser.assert_accessible("new case").await;
    browser.fill("#organisatie", "Sociaal team Houten").await;
    browser.fill("#naam", "Sanne Voorbeeld").await;
    browser.fill("#bsn", "123456789").await;
    browser.fill("#leeftijd", "15").await;
    browser.fill("#gemeente", "Houten").await;
    browser
        .fill("#vraag", "Geen passende plek na de opname")
        .await;
    browser.fill("#geprobeerd", "Ambulante begeleiding").await;
    browser.click("label[for=knelpunt-waiting_list]").await;
    browser
        .click("form[action='/casussen/nieuw'] button[type=submit]")
        .await;
    let alert = browser.text("#foutmelding").await;
    assert!(alert.contains("BSN: klopt niet (elfproef)"), "{alert}");
    assert!(browser.exists("#bsn[aria-invalid=true]").await);
    assert_eq!(
        browser
            .client
            .find(fantoccini::Locator::Css("#gemeente"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Houten")
    );
    browser.assert_accessible("new case with an error").await;
    browser.screenshot("nieuwe-casus-fout").await;
    browser.fill("#bsn", "111222333").await;
    browser
        .click("form[action='/casussen/nieuw'] button[type=submit]")
        .await;
    let case_path = browser.path().await;
    assert!(case_path.starts_with("/casussen/"), "{case_path}");
    let case_id = case_path.trim_start_matches("/casussen/").to_owned();
    assert_eq!(browser.text("#status").await, "aangemeld");
    assert!(
        !browser.client.source().await.unwrap().contains("Sanne"),
        "no identifier on the case page"
    );
    browser.assert_accessible("case").await;

    // Intake, then a step the state does not allow: refused with the reason, nothing changed.
    browser.click("form[action$='/intake'] button").await;
    assert_eq!(browser.wait_text("#status", "in intake").await, "in intake");
    browser.click("form[action$='/aannemen'] button").await;
    assert!(
        browser.wait_gone("form[action$='/aannemen']").await,
        "accepted once"
    );
    browser
        .client
        .execute(
            "const f = document.querySelector(\"form[action$='/teruggeven']\"); f.action = f.action.replace('teruggeven', 'plan'); f.submit();",
            vec![],
        )
        .await
        .unwrap();
    let alert = browser.text("#foutmelding").await;
    assert!(alert.contains("Er is niets gewijzigd"), "{alert}");
    assert!(
        alert.contains("in intake") && alert.contains("plan starten"),
        "{alert}"
    );
    assert_eq!(browser.text("#status").await, "in intake");
    browser.assert_accessible("case with a refusal").await;
    browser.screenshot("casus").await;

    // The identifiers only after saying why; the reading is on the audit trail.
    browser
        .fill("#doel", "Contact met moeder voor de tafel")
        .await;
    browser.click("form[action$='/identiteit'] button").await;
    assert!(
        browser
            .text("#identiteitsgegevens")
            .await
            .contains("Sanne Voorbeeld")
    );
    browser.goto(&format!("{board}/casussen")).await;
    browser.assert_accessible("case list").await;
    browser.screenshot("casussen").await;
    browser.goto(&format!("{board}/toegankelijkheid")).await;
    browser.assert_accessible("accessibility statement").await;

    // The history names the signed-in person, and the trail holds the page views and the reading.
    let detail = node.workflow.case_detail(&case_id).await.unwrap();
    assert!(
        detail
            .history
            .iter()
            .all(|h| h.actor == "v.devries (Test organisation; intake)"
                || h.actor == "v.devries (Test organisation; intake,chair)"),
        "{:?}",
        detail.history
    );
    let report = node.workflow.access_report(&case_id).await.unwrap();
    let actions: Vec<&str> = report.iter().map(|a| a.action.as_str()).collect();
    assert!(actions.contains(&"CaseService/GetCase"), "{actions:?}");
    assert!(
        actions.contains(&"CaseService/GetYouthIdentity"),
        "{actions:?}"
    );

    // Signing out ends the session: the old cookie no longer opens a page.
    browser.click(".board-person button").await;
    assert_eq!(browser.path().await, "/aanmelden");
    browser.goto(&format!("{board}/casussen")).await;
    assert_eq!(browser.path().await, "/aanmelden");
    browser.close().await;
    node.stop().await;
}

#[tokio::test]
async fn refusals_a_person_meets_are_clear_and_change_nothing() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let node = spawn_node().await;
    let board = spawn_board(&node.workflow, "rivierenland").await;
    add_person(&node.workflow, "t.lid", &[Role::TableMember], PASSWORD).await;
    add_person(&node.workflow, "k.janssen", &[Role::Intake], PASSWORD).await;
    let case_id = node.submit().await;

    // A wrong password, then a table member (no second factor needed) who may not see identifiers or submit.
    sign_in(&browser, &board, "t.lid", "niet het wachtwoord").await;
    assert!(
        browser
            .text("#foutmelding")
            .await
            .contains("Naam of wachtwoord klopt niet")
    );
    browser.assert_accessible("sign-in refused").await;
    sign_in(&browser, &board, "t.lid", PASSWORD).await;
    assert_eq!(browser.path().await, "/werk");
    browser.goto(&format!("{board}/casussen/{case_id}")).await;
    assert!(!browser.exists("form[action$='/identiteit']").await);
    assert!(
        !browser.exists("form[action$='/intake']").await,
        "a table member takes no one in"
    );
    browser.goto(&format!("{board}/casussen/nieuw")).await;
    assert!(browser.text("h1").await.contains("Geen toegang"));
    browser.assert_accessible("refused page").await;
    browser.screenshot("geen-toegang").await;

    // A form without this session's CSRF token changes nothing.
    browser.goto(&format!("{board}/casussen/{case_id}")).await;
    browser
        .client
        .execute(
            "const f = document.createElement('form'); f.method = 'post'; f.action = location.pathname + '/notitie';
             const t = document.createElement('input'); t.name = 'text'; t.value = 'x'; f.appendChild(t);
             document.body.appendChild(f); f.submit();",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        browser.text("h1").await.contains("Geen toegang")
            || browser.text("h1").await.contains("Formulier verlopen")
    );

    // An idle session ends: 16 minutes later the board asks to sign in again.
    node.clock.advance_ms(16 * 60_000);
    browser.goto(&format!("{board}/werk")).await;
    assert_eq!(browser.path().await, "/aanmelden");

    // Five wrong passwords lock the account, even for the right one.
    for _ in 0..5 {
        sign_in(&browser, &board, "k.janssen", "fout fout fout").await;
    }
    sign_in(&browser, &board, "k.janssen", PASSWORD).await;
    let alert = browser.text("#foutmelding").await;
    assert!(alert.contains("geblokkeerd"), "{alert}");
    let trail = node.workflow.audit_events(0, 10_000).await.unwrap();
    let outcomes: Vec<String> = trail
        .iter()
        .filter(|e| e.entry.user == "k.janssen")
        .map(|e| format!("{} {}", e.entry.action, e.entry.outcome))
        .collect();
    assert!(
        outcomes.contains(&"web sign-in refused; locked".to_owned()),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&"web sign-in locked".to_owned()),
        "{outcomes:?}"
    );
    assert_eq!(node.rows("progress_notes").await, 0, "nothing was written");
    browser.close().await;
    node.stop().await;
}
