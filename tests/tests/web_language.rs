//! The board in English, in a real headless Chromium: Dutch by default, the switch in the header, the choice
//! remembered across pages, sign-out and sign-in, the page's `lang` following it, the workflow's refusals in
//! English, axe-core on English pages, and a switch that only ever leads back into the board.

use expertnet_node::clock::Clock;
use expertnet_node::domain::people::Role;
use expertnet_tests::browser::Browser;
use expertnet_tests::{add_person, spawn_board, spawn_node};

const PASSWORD: &str = "een lang wachtwoord";

#[tokio::test]
async fn the_board_speaks_english_when_asked_and_remembers_it() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let node = spawn_node().await;
    let board = spawn_board(&node.workflow, "lekstroom").await;
    add_person(
        &node.workflow,
        "r.bakker",
        &[Role::Intake, Role::TableMember],
        PASSWORD,
    )
    .await;

    // Dutch by default, the switch offering English in English.
    browser.goto(&format!("{board}/aanmelden")).await;
    assert_eq!(browser.attribute("html", "lang").await, "nl");
    assert_eq!(
        browser.text("h1").await,
        "Aanmelden bij de experttafel lekstroom"
    );
    assert_eq!(browser.text("#taal").await, "English");
    assert_eq!(browser.attribute("#taal", "lang").await, "en");

    // The switch comes back to the same page, now in English.
    browser.click("#taal").await;
    assert_eq!(
        browser
            .wait_text("h1", "Sign in to the expert table lekstroom")
            .await,
        "Sign in to the expert table lekstroom"
    );
    assert_eq!(browser.path().await, "/aanmelden");
    assert_eq!(browser.attribute("html", "lang").await, "en");
    assert_eq!(browser.text("#taal").await, "Nederlands");
    browser.assert_accessible("sign-in in English").await;

    // A wrong password is refused in English.
    browser
        .sign_in(&board, "r.bakker", "niet het wachtwoord")
        .await;
    assert_eq!(
        browser
            .wait_text(
                "#foutmelding",
                "Nothing was changed. Name or password is not right."
            )
            .await,
        "Nothing was changed. Name or password is not right."
    );

    // Signed in, every page of the menu is in English.
    browser
        .sign_in_enrolling(&board, "r.bakker", PASSWORD, node.clock.now_ms())
        .await;
    assert_eq!(browser.text("h1").await, "My work");
    let menu = browser.text("nav").await;
    for label in ["My work", "Cases", "New case"] {
        assert!(menu.contains(label), "menu: {menu}");
    }
    assert!(!menu.contains("Casussen"), "menu: {menu}");
    browser.assert_accessible("my work in English").await;
    browser.screenshot("my-work-english").await;

    // The workflow's refusal of a submission, in English and at the field.
    browser.goto(&format!("{board}/casussen/nieuw")).await;
    assert_eq!(browser.text("h1").await, "Submit a new case");
    browser
        .click("form[action='/casussen/nieuw'] button[type=submit]")
        .await;
    assert_eq!(
        browser.text("#foutmelding").await,
        "The case has not been submitted yet. Age: must not be empty"
    );
    assert_eq!(
        browser.text("#leeftijd-fout").await,
        "Age: must not be empty"
    );
    browser
        .assert_accessible("a refused submission in English")
        .await;

    // A page with a query keeps it across the switch, and Dutch comes back when chosen.
    browser
        .goto(&format!("{board}/casussen?status=submitted"))
        .await;
    assert_eq!(browser.text("h1").await, "Cases");
    browser.click("#taal").await;
    assert_eq!(browser.wait_text("h1", "Casussen").await, "Casussen");
    assert_eq!(browser.path().await, "/casussen");
    let shown = browser.value("#status").await;
    assert_eq!(shown, "submitted", "the filter survived the switch");
    browser.click("#taal").await;
    assert_eq!(browser.wait_text("h1", "Cases").await, "Cases");

    // Remembered after signing out and in again.
    browser
        .click("form[action='/afmelden'] button[type=submit]")
        .await;
    assert_eq!(browser.wait_path("/aanmelden").await, "/aanmelden");
    assert_eq!(
        browser.text("h1").await,
        "Sign in to the expert table lekstroom"
    );

    // The switch never leads out of the board.
    for elsewhere in ["//example.org/x", "https://example.org/", "/\\example.org"] {
        browser
            .goto(&format!("{board}/taal/nl?terug={elsewhere}"))
            .await;
        assert_eq!(browser.wait_path("/aanmelden").await, "/aanmelden");
        let url = browser.url().await;
        assert!(url.starts_with(&board), "{elsewhere} led to {url}");
    }
    assert_eq!(
        browser.text("h1").await,
        "Aanmelden bij de experttafel lekstroom"
    );
    browser.close().await;
}
