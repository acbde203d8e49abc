//! The web board in a real headless Chromium against a real node: sign-in with a second factor, a case from
//! submission through intake in the browser, the refusals a person meets, and axe-core on every page type.

use expertnet_node::clock::Clock;
use expertnet_node::domain::people::Role;
use expertnet_tests::browser::{Browser, CaseForm, totp_code};
use expertnet_tests::{add_person, spawn_board, spawn_node};

const PASSWORD: &str = "een lang wachtwoord";

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
        browser.wait_path("/aanmelden").await,
        "/aanmelden",
        "not signed in: to the sign-in page"
    );
    browser.assert_accessible("sign-in").await;
    browser.screenshot("aanmelden").await;
    browser.sign_in(&board, "v.devries", PASSWORD).await;
    assert_eq!(
        browser.wait_path("/aanmelden/code").await,
        "/aanmelden/code"
    );
    let secret = browser.text("#sleutel").await;
    browser.assert_accessible("second factor set-up").await;
    browser.screenshot("tweede-stap-instellen").await;
    browser
        .fill("#code", &totp_code(&secret, node.clock.now_ms()))
        .await;
    browser.click("button[type=submit]").await;
    assert_eq!(browser.wait_path("/werk").await, "/werk");
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
    assert_eq!(browser.wait_text("#status", "aangemeld").await, "aangemeld");
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
    assert_eq!(browser.wait_path("/aanmelden").await, "/aanmelden");
    browser.goto(&format!("{board}/casussen")).await;
    assert_eq!(browser.wait_path("/aanmelden").await, "/aanmelden");
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
    browser
        .sign_in(&board, "t.lid", "niet het wachtwoord")
        .await;
    assert!(
        browser
            .text("#foutmelding")
            .await
            .contains("Naam of wachtwoord klopt niet")
    );
    browser.assert_accessible("sign-in refused").await;
    browser.sign_in(&board, "t.lid", PASSWORD).await;
    assert_eq!(browser.wait_path("/werk").await, "/werk");
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
    // A table member may not add notes at all: the role is refused before the missing token is looked at.
    assert!(
        browser
            .live_text("h1", "Geen toegang")
            .await
            .contains("Geen toegang")
    );

    // An idle session ends: 16 minutes later the board asks to sign in again.
    node.clock.advance_ms(16 * 60_000);
    browser.goto(&format!("{board}/werk")).await;
    assert_eq!(browser.wait_path("/aanmelden").await, "/aanmelden");

    // Five wrong passwords lock the account, even for the right one.
    for _ in 0..5 {
        browser.sign_in(&board, "k.janssen", "fout fout fout").await;
    }
    browser.sign_in(&board, "k.janssen", PASSWORD).await;
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

/// The README's Lekstroom walk-through, in the browser alone: from submission to closing, then the auditor's
/// view of who read the file.
#[tokio::test]
async fn the_lekstroom_walk_through_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let node = spawn_node().await;
    let board = spawn_board(&node.workflow, "lekstroom").await;
    let team = [
        Role::Intake,
        Role::TableMember,
        Role::Chair,
        Role::Procesregisseur,
    ];
    add_person(&node.workflow, "m.bakker", &team, PASSWORD).await;
    add_person(&node.workflow, "a.visser", &[Role::Auditor], PASSWORD).await;
    browser
        .sign_in_enrolling(&board, "m.bakker", PASSWORD, node.clock.now_ms())
        .await;

    // Submission and intake.
    let case_id = browser
        .submit_case(
            &board,
            CaseForm {
                organisation: "Sociaal team Nieuwegein",
                name: "Daan Voorbeeld",
                age: "14",
                municipality: "Nieuwegein",
                question: "Thuiszitter sinds een half jaar; geen school past",
                tried: "Twee scholen, ambulante hulp",
                category: "school_absence",
            },
        )
        .await;
    browser.take_in().await;

    // A session, the case on its agenda, and the chair's mode: attendance, discussion, a commitment.
    browser.goto(&format!("{board}/tafels")).await;
    browser.assert_accessible("sessions").await;
    browser.fill("#datum", "03102026").await;
    browser.fill("#begintijd", "1330").await;
    browser.fill("#plaats", "Stadshuis Nieuwegein").await;
    browser.fill("#voorzitter", "m.bakker").await;
    browser
        .click("form[action='/tafels'] button[type=submit]")
        .await;
    assert!(
        browser
            .live_text("h1", "10 maart 2026")
            .await
            .contains("10 maart 2026"),
        "the session's page"
    );
    browser.click("form[action$='/agenda'] button").await;
    assert!(
        browser
            .text("#agenda")
            .await
            .contains(&case_id[case_id.len() - 12..])
    );
    browser.assert_accessible("session").await;
    browser.screenshot("tafel").await;
    browser.click("#voorzittersmodus").await;
    assert!(
        browser
            .live_text("h1", "Casus 1 van 1")
            .await
            .contains("Casus 1 van 1")
    );
    browser.click("label[for=jongere]").await;
    browser.click("label[for=ouders]").await;
    browser.fill("#org-provider", "Accare").await;
    browser.click("form[action$='/aanwezigheid'] button").await;
    // Without a next step the discussion is refused, and what was typed stays.
    browser
        .fill("#samenvatting", "Breed besproken met moeder en Daan")
        .await;
    browser.click("form[action$='/bespreking'] button").await;
    let alert = browser.text("#foutmelding").await;
    assert!(
        alert.contains("Volgende stap: elke bespreking eindigt in een vastgelegde volgende stap"),
        "{alert}"
    );
    assert!(
        browser.exists("#jongere:checked").await,
        "attendance was kept"
    );
    browser.assert_accessible("chair's mode").await;
    browser.screenshot("voorzittersmodus").await;
    // At the table the chair often has a tablet: the same page at a tablet's width, checked again.
    browser.client.set_window_size(820, 1180).await.unwrap();
    browser.assert_accessible("chair's mode on a tablet").await;
    browser.screenshot("voorzittersmodus-tablet").await;
    browser.client.set_window_size(1280, 1000).await.unwrap();
    browser
        .fill(
            "#volgende-stap",
            "Maatwerktraject bij Accare, start binnen twee weken",
        )
        .await;
    browser.fill("#c0-aanbieder", "Accare").await;
    browser.fill("#c0-wat", "Start maatwerktraject").await;
    browser.fill("#c0-uiterlijk", "03202026").await;
    browser.click("label[for=c0-doorzetting]").await;
    browser.click("form[action$='/bespreking'] button").await;
    assert!(browser.wait_path_prefix("/tafels/").await);
    let session_page = browser.client.current_url().await.unwrap().to_string();

    // A second case joins the agenda and the chair puts it first; the minutes and the calendar show the session.
    let second = node.submit().await;
    node.workflow.start_intake(&second, "test").await.unwrap();
    node.workflow.accept_case(&second, "test").await.unwrap();
    browser.goto(&session_page).await;
    browser
        .client
        .execute(
            "document.getElementById('agendacasus').value = arguments[0];",
            vec![serde_json::json!(second)],
        )
        .await
        .unwrap();
    browser.click("form[action$='/agenda'] button").await;
    let short = |id: &str| id[id.len() - 12..].to_owned();
    // Whether the agenda lists `first` before `then`.
    let in_order = |text: &str, first: &str, then: &str| matches!((text.find(&short(first)), text.find(&short(then))), (Some(a), Some(b)) if a < b);
    let agenda = browser.live_text("#agenda", &short(&second)).await;
    assert!(in_order(&agenda, &case_id, &second), "{agenda}");
    browser.click("#agenda form button").await;
    let mut reordered = false;
    for _ in 0..100 {
        if in_order(&browser.text("#agenda").await, &second, &case_id) {
            reordered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reordered, "the second case is first now");
    // The case list filtered by this session holds its agenda.
    let session_id = session_page.rsplit('/').next().unwrap().to_owned();
    browser
        .goto(&format!("{board}/casussen?tafel={session_id}"))
        .await;
    let listed = browser.text("#casuslijst").await;
    assert!(
        listed.contains(&short(&second)) && listed.contains(&short(&case_id)),
        "{listed}"
    );
    assert!(listed.contains("Casussen op deze pagina: 2"), "{listed}");
    browser.goto(&session_page).await;
    browser.click("#verslag").await;
    let minutes = browser.text("main").await;
    assert!(minutes.contains("Maatwerktraject bij Accare"), "{minutes}");
    assert!(
        minutes.contains("de jongere, ouder(s), zorgaanbieder (Accare)"),
        "{minutes}"
    );
    // The summary the chair typed named Daan: the minutes leave it out.
    assert!(!minutes.contains("Daan"), "no identifiers in the minutes");
    assert!(minutes.contains("niet afgedrukt"), "{minutes}");
    browser.assert_accessible("minutes").await;
    browser.goto(&format!("{board}/tafels?maand=2026-03")).await;
    assert!(
        browser
            .text("#maand")
            .await
            .contains("Stadshuis Nieuwegein")
    );
    browser.assert_accessible("sessions calendar").await;

    // The plan: procesregisseur, case manager, start, a task done, the commitment delivered, then closing.
    browser.goto(&format!("{board}/casussen/{case_id}")).await;
    assert_eq!(browser.text("#status").await, "besproken");
    browser.fill("#pr-naam", "Ilse de Wit").await;
    browser
        .fill("#pr-organisatie", "Regionaal Expertteam")
        .await;
    browser
        .click("form[action$='/procesregisseur'] button")
        .await;
    assert!(
        browser
            .text("#procesregisseur")
            .await
            .contains("Ilse de Wit")
    );
    browser.fill("#cr-arrangement", "Maatwerktraject").await;
    browser.fill("#cr-naam", "Joost Smit").await;
    browser.fill("#cr-organisatie", "Accare").await;
    browser
        .click("form[action$='/casusregisseur'] button")
        .await;
    assert!(browser.text("#casusregie").await.contains("Joost Smit"));
    browser.click("form[action$='/plan'] button").await;
    assert_eq!(
        browser.wait_text("#status", "in uitvoering").await,
        "in uitvoering"
    );
    browser.fill("#taak-wat", "Intake bij school plannen").await;
    browser.fill("#taak-wie", "Ilse de Wit").await;
    browser.fill("#taak-uiterlijk", "03162026").await;
    browser.click("form[action$='/taak'] button").await;
    assert!(
        browser
            .live_text("#plan", "Intake bij school plannen")
            .await
            .contains("Intake bij school plannen")
    );
    // Plan en termijnen, from the menu: the task and the commitment across the node; the task marked done there.
    browser.click("a[href='/termijnen']").await;
    assert_eq!(browser.wait_path("/termijnen").await, "/termijnen");
    let open = browser.text("#termijnen").await;
    assert!(
        open.contains("Intake bij school plannen") && open.contains("Start maatwerktraject"),
        "{open}"
    );
    browser.assert_accessible("deadlines").await;
    browser.screenshot("termijnen").await;
    browser
        .click("form[action$='/taak-bijwerken'] button")
        .await;
    assert!(browser.wait_gone("form[action$='/taak-bijwerken']").await);
    assert_eq!(browser.wait_path("/termijnen").await, "/termijnen");
    browser.goto(&format!("{board}/casussen/{case_id}")).await;
    browser
        .click("form[action$='/toezegging-bijwerken'] button")
        .await;
    assert!(
        browser
            .wait_gone("form[action$='/toezegging-bijwerken']")
            .await
    );
    assert!(browser.text("#plan").await.contains("geleverd"));
    browser.assert_accessible("case with a plan").await;
    browser.screenshot("casus-plan").await;
    browser.click("form[action$='/afsluiten'] button").await;
    assert_eq!(
        browser.wait_text("#status", "afgesloten").await,
        "afgesloten"
    );
    let detail = node.workflow.case_detail(&case_id).await.unwrap();
    assert_eq!(detail.discussions.len(), 1);
    assert!(detail.discussions[0].youth_present && detail.discussions[0].parents_present);
    assert_eq!(detail.commitments[0].provider, "Accare");
    assert!(detail.commitments[0].authority_confirmed);
    browser.click(".board-person button").await;

    // The auditor: the chain holds, and the access report shows the team's reads of this file.
    node.clock.advance_ms(60_000);
    browser
        .sign_in_enrolling(&board, "a.visser", PASSWORD, node.clock.now_ms())
        .await;
    browser
        .goto(&format!("{board}/audit?controleren=ja&casus={case_id}"))
        .await;
    assert!(
        browser
            .text("#ketencontrole")
            .await
            .contains("De keten klopt")
    );
    let report = browser.text("#inzageoverzicht").await;
    assert!(report.contains("het dossier lezen"), "{report}");
    assert!(report.contains("de casus aan tafel bespreken"), "{report}");
    assert!(report.contains("de casus afsluiten"), "{report}");
    assert!(!report.contains("m.bakker"), "no staff names in the report");
    browser.assert_accessible("audit").await;
    browser.screenshot("audit").await;
    browser.goto(&format!("{board}/casussen")).await;
    assert!(
        browser.text("h1").await.contains("Geen toegang"),
        "the auditor reads no case content"
    );
    browser.close().await;
    node.stop().await;
}

/// The administrator manages people on the board: a new colleague signs in with the password given, a lost
/// phone's second factor is removed, and a disabled account's session ends at once.
#[tokio::test]
async fn the_administrator_manages_people() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let node = spawn_node().await;
    let board = spawn_board(&node.workflow, "flevoland-utrecht").await;
    add_person(&node.workflow, "b.beheer", &[Role::Administrator], PASSWORD).await;
    add_person(&node.workflow, "c.chair", &[Role::Chair], PASSWORD).await;
    browser
        .sign_in_enrolling(&board, "c.chair", PASSWORD, node.clock.now_ms())
        .await;
    browser.goto(&format!("{board}/beheer")).await;
    assert!(
        browser.text("h1").await.contains("Geen toegang"),
        "only the administrator"
    );
    browser.click(".board-person button").await;

    node.clock.advance_ms(60_000);
    browser
        .sign_in_enrolling(&board, "b.beheer", PASSWORD, node.clock.now_ms())
        .await;
    browser.goto(&format!("{board}/beheer")).await;
    browser.assert_accessible("people").await;
    // A password that is too short is refused at the field, and nobody is added.
    browser.fill("#nieuwe-naam", "t.nieuw").await;
    browser.fill("#nieuwe-organisatie", "Wijkteam Almere").await;
    browser.click("label[for=rol-table_member]").await;
    browser.fill("#nieuw-wachtwoord", "kort").await;
    browser
        .click("form[action='/beheer'] button[type=submit]")
        .await;
    let alert = browser.text("#foutmelding").await;
    assert!(
        alert.contains("Wachtwoord: moet minstens 12 tekens lang zijn"),
        "{alert}"
    );
    assert!(!browser.text("#mensen").await.contains("t.nieuw"));
    browser.fill("#nieuwe-naam", "t.nieuw").await;
    browser.fill("#nieuwe-organisatie", "Wijkteam Almere").await;
    browser.click("label[for=rol-table_member]").await;
    browser
        .fill("#nieuw-wachtwoord", "een nieuw wachtwoord")
        .await;
    browser
        .click("form[action='/beheer'] button[type=submit]")
        .await;
    assert!(
        browser.text("#nieuw-token").await.starts_with("exn_"),
        "the token, once"
    );
    assert!(browser.text("#mensen").await.contains("Wijkteam Almere"));
    browser.screenshot("beheer").await;
    // The chair lost their phone: the second factor goes, and they set up a new one at the next sign-in.
    browser
        .client
        .execute(
            "document.querySelector(\"form[action='/beheer/c.chair/tweede-stap']\").submit();",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(browser.wait_path("/beheer").await, "/beheer");
    browser.click(".board-person button").await;

    // The new colleague signs in (a table member needs no second factor) ...
    browser
        .sign_in(&board, "t.nieuw", "een nieuw wachtwoord")
        .await;
    assert_eq!(browser.wait_path("/werk").await, "/werk");
    // ... and is disabled meanwhile: the next page asks to sign in again.
    node.workflow
        .disable_user("b.beheer", "t.nieuw")
        .await
        .unwrap();
    browser.goto(&format!("{board}/casussen")).await;
    assert_eq!(browser.wait_path("/aanmelden").await, "/aanmelden");
    browser.sign_in(&board, "c.chair", PASSWORD).await;
    assert_eq!(
        browser.wait_path("/aanmelden/code").await,
        "/aanmelden/code"
    );
    assert!(
        browser.exists("#sleutel").await,
        "a new second factor to set up"
    );
    let trail = node.workflow.audit_events(0, 10_000).await.unwrap();
    let actions: Vec<(&str, &str, &str)> = trail
        .iter()
        .filter(|e| e.entry.user == "b.beheer")
        .map(|e| {
            (
                e.entry.action.as_str(),
                e.entry.on_behalf_of.as_str(),
                e.entry.access_point.as_str(),
            )
        })
        .collect();
    assert!(
        actions
            .iter()
            .any(|(a, whom, at)| *a == "user add" && *whom == "t.nieuw" && at.starts_with("web ")),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|(a, whom, _)| *a == "user reset second factor" && *whom == "c.chair")
    );
    browser.close().await;
    node.stop().await;
}

/// The region's own yearly review on the board: for the team, with its tables and charts, another year on
/// request, accessible; refused to a role that does not read the region's cases.
#[tokio::test]
async fn the_yearly_review_is_on_the_board() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let node = spawn_node().await;
    let board = spawn_board(&node.workflow, "lekstroom").await;
    node.case_in(expertnet_proto::v1::CaseState::Closed, true)
        .await;
    node.case_in(expertnet_proto::v1::CaseState::Returned, false)
        .await;
    node.case_in(expertnet_proto::v1::CaseState::InProgress, true)
        .await;
    add_person(&node.workflow, "t.lid", &[Role::TableMember], PASSWORD).await;
    add_person(&node.workflow, "b.heer", &[Role::Administrator], PASSWORD).await;

    browser.sign_in(&board, "t.lid", PASSWORD).await;
    assert_eq!(browser.wait_path("/werk").await, "/werk");
    browser.click("a[href='/jaaroverzicht']").await;
    assert_eq!(browser.wait_path("/jaaroverzicht").await, "/jaaroverzicht");
    assert_eq!(browser.text("h1").await, "Jaaroverzicht 2026");
    let words = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let flow = words(browser.text("#verloop-tabel").await);
    assert!(flow.contains("Aangemeld 0 3 +3"), "{flow}");
    assert!(flow.contains("Afgesloten 0 1 +1"), "{flow}");
    assert_eq!(
        browser.text("#teruggelegd-lijst").await,
        "Hoort bij de wijkteams"
    );
    assert!(
        browser.exists("section[aria-labelledby=verloop] svg").await,
        "a chart beside the table"
    );
    browser.assert_accessible("yearly review").await;
    browser.screenshot("jaaroverzicht").await;

    // Another year, chosen on the page.
    browser.choose("#jaar", "2025").await;
    browser
        .click("form[action='/jaaroverzicht'] button[type=submit]")
        .await;
    assert_eq!(
        browser.wait_text("h1", "Jaaroverzicht 2025").await,
        "Jaaroverzicht 2025"
    );
    let flow = words(browser.text("#verloop-tabel").await);
    assert!(flow.contains("Aangemeld 0 0 +0"), "{flow}");

    // The administrator runs the node but does not read its cases.
    browser
        .click("form[action='/afmelden'] button[type=submit]")
        .await;
    browser
        .sign_in_enrolling(&board, "b.heer", PASSWORD, node.clock.now_ms())
        .await;
    assert!(!browser.exists("a[href='/jaaroverzicht']").await);
    browser.goto(&format!("{board}/jaaroverzicht")).await;
    assert!(browser.text("h1").await.contains("Geen toegang"));
    assert!(
        browser
            .text("main")
            .await
            .contains("het jaaroverzicht van de regio bekijken")
    );
    browser.close().await;
}
