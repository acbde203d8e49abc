//! Every page of the board against every role, over plain HTTP: a page opens for exactly the roles the API's
//! table allows for what it shows, a refusal is 403 with a Dutch page and an audit event, and a form without the
//! session's CSRF token changes nothing. The board asks the API's table; this test holds it to that.

use expertnet_node::access::policy;
use expertnet_node::clock::Clock;
use expertnet_node::domain::people::Role;
use expertnet_tests::plain_http::{
    HttpClient, confirm_second_factor, http_client, send, value_after,
};
use expertnet_tests::{add_person, spawn_board, spawn_node};

const PASSWORD: &str = "een lang wachtwoord";

/// Each page, and what the API's table must allow for it to open (`Board/…`: the board's own actions).
const PAGES: &[(&str, &str)] = &[
    ("/werk", "CaseService/ListCases"),
    ("/casussen", "CaseService/ListCases"),
    ("/casussen/nieuw", "CaseService/SubmitCase"),
    ("/tafels", "SessionService/ListSessions"),
    ("/termijnen", "CaseService/ListOverdue"),
    ("/consultatie", "ConsultationService/ListConsultations"),
    ("/jaaroverzicht", "ReviewService/GetRegionReview"),
    ("/audit", "AuditService/VerifyAudit"),
    ("/beheer", "Board/ManagePeople"),
];

/// Signs a person in over HTTP, setting up the second factor when their role needs one; the session cookie.
async fn signed_in(client: &HttpClient, board: &str, name: &str, now_ms: i64) -> String {
    let answer = send(
        client,
        "POST",
        &format!("{board}/aanmelden"),
        "",
        &format!("name={name}&password=een+lang+wachtwoord"),
    )
    .await;
    assert_eq!(answer.status, 303, "{name}: {}", answer.body);
    let cookie = answer.cookie.expect("a session cookie");
    if answer.location == "/aanmelden/code" {
        return confirm_second_factor(client, board, &cookie, now_ms, "/werk").await;
    }
    cookie
}

#[tokio::test]
async fn every_page_opens_for_exactly_the_roles_the_table_allows() {
    let node = spawn_node().await;
    let board = spawn_board(&node.workflow, "lekstroom").await;
    let client = http_client();
    let mut checked = 0;
    for role in Role::ALL {
        let name = format!("alleen.{}", role.as_str().replace('_', "-"));
        add_person(&node.workflow, &name, &[*role], PASSWORD).await;
        let cookie = signed_in(&client, &board, &name, node.clock.now_ms()).await;
        for (path, needs) in PAGES {
            let allowed = if needs.starts_with("Board/") {
                policy::board_permits(needs, &[*role])
            } else {
                policy::permits(&format!("/expertnet.v1.{needs}"), &[*role])
            };
            let answer = send(&client, "GET", &format!("{board}{path}"), &cookie, "").await;
            let expected = if allowed { 200 } else { 403 };
            assert_eq!(answer.status, expected, "{role} on {path}");
            if !allowed {
                assert!(
                    answer.body.contains("Geen toegang"),
                    "{role} on {path}: a Dutch refusal"
                );
            }
            checked += 1;
        }
        let denied = node
            .workflow
            .audit_events(0, 100_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.entry.user == name && e.entry.outcome == "denied")
            .count();
        let refused_pages = PAGES
            .iter()
            .filter(|(_, needs)| {
                !(if needs.starts_with("Board/") {
                    policy::board_permits(needs, &[*role])
                } else {
                    policy::permits(&format!("/expertnet.v1.{needs}"), &[*role])
                })
            })
            .count();
        assert_eq!(
            denied, refused_pages,
            "{role}: every refusal is on the audit trail"
        );
    }
    assert_eq!(checked, PAGES.len() * Role::ALL.len());
    node.stop().await;
}

#[tokio::test]
async fn a_form_without_the_session_token_changes_nothing() {
    let node = spawn_node().await;
    let board = spawn_board(&node.workflow, "lekstroom").await;
    let client = http_client();
    add_person(&node.workflow, "v.voorzitter", &[Role::Chair], PASSWORD).await;
    let cookie = signed_in(&client, &board, "v.voorzitter", node.clock.now_ms()).await;
    let case_id = node.submit().await;
    for (path, form) in [
        (format!("/casussen/{case_id}/intake"), String::new()),
        (format!("/casussen/{case_id}/notitie"), "text=x".to_owned()),
        (
            "/tafels".to_owned(),
            "date=2026-03-10&start_time=13:30&location=x&chair=x".to_owned(),
        ),
        (
            format!("/casussen/{case_id}/intake"),
            "csrf=exn_forged".to_owned(),
        ),
    ] {
        let answer = send(&client, "POST", &format!("{board}{path}"), &cookie, &form).await;
        assert_eq!(answer.status, 403, "{path} {form}");
        assert!(answer.body.contains("Formulier verlopen"), "{path}");
    }
    let detail = node.workflow.case_detail(&case_id).await.unwrap();
    assert_eq!(detail.history.len(), 1, "nothing happened to the case");
    assert_eq!(node.rows("table_sessions").await, 0);
    // The same step with the session's token goes through.
    let page = send(
        &client,
        "GET",
        &format!("{board}/casussen/{case_id}"),
        &cookie,
        "",
    )
    .await;
    let csrf = value_after(&page.body, "name=\"csrf\" value=\"", '"');
    let answer = send(
        &client,
        "POST",
        &format!("{board}/casussen/{case_id}/intake"),
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(answer.status, 303);
    assert_eq!(
        node.workflow
            .case_detail(&case_id)
            .await
            .unwrap()
            .history
            .len(),
        2
    );
    node.stop().await;
}
