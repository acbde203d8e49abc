//! The dashboard's pages over plain HTTP: nothing opens without a full sign-in, every answer carries the
//! boards' security headers, a form without the session's CSRF token changes nothing, a question that makes no
//! sense gets a Dutch reason with a precise status, and too many failed sign-ins lock the person out.

use expertnet_federation::Peer;
use expertnet_gateway::statistics::release::Asked;
use expertnet_node::clock::{Clock, SystemClock};
use expertnet_tests::federation::{
    LEKSTROOM, TestFederation, gateway_as, spawn_federation, spawn_plain_dashboard,
};
use expertnet_tests::fixtures::signals_quarter;
use expertnet_tests::plain_http::{
    HttpClient, confirm_second_factor, http_client, send, value_after,
};
use expertnet_tests::scrape::scrape;
use expertnet_web::sign_in::SignInPolicy;

const POLICY: SignInPolicy = SignInPolicy {
    max_failures: 3,
    lock_minutes: 15,
    idle_minutes: 15,
    absolute_hours: 10,
};
const EAST: &str = "coordinator-oost-nederland";

/// Signs `name` in with the federation's demo password, setting up the second factor; the session cookie.
async fn signed_in(client: &HttpClient, site: &str, fed: &TestFederation, name: &str) -> String {
    let password = &fed.federation.gateway.coordinator_passwords[name];
    let answer = send(
        client,
        "POST",
        &format!("{site}/aanmelden"),
        "",
        &format!("name={name}&password={password}"),
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.location, "/aanmelden/code");
    assert!(
        answer.set_cookie.contains("HttpOnly") && answer.set_cookie.contains("SameSite=Strict"),
        "{}",
        answer.set_cookie
    );
    let cookie = answer.cookie.expect("a session cookie");
    // Half signed in, the pages stay shut.
    let page = send(client, "GET", &format!("{site}/netwerk"), &cookie, "").await;
    assert_eq!((page.status, page.location.as_str()), (303, "/aanmelden"));
    let renewed =
        confirm_second_factor(client, site, &cookie, SystemClock.now_ms(), "/netwerk").await;
    assert_ne!(renewed, cookie, "a new token once signed in");
    let old = send(client, "GET", &format!("{site}/netwerk"), &cookie, "").await;
    assert_eq!(
        old.status, 303,
        "the token that waited for the code is worthless"
    );
    renewed
}

/// Signs `name` in with `password` up to the code: the session's cookie and the code page's CSRF token (the page
/// offers to cancel).
async fn waiting_for_the_code(
    client: &HttpClient,
    site: &str,
    name: &str,
    password: &str,
) -> (String, String) {
    let half = send(
        client,
        "POST",
        &format!("{site}/aanmelden"),
        "",
        &format!("name={name}&password={password}"),
    )
    .await;
    let cookie = half.cookie.expect("a session waiting for the code");
    let code_page = send(
        client,
        "GET",
        &format!("{site}/aanmelden/code"),
        &cookie,
        "",
    )
    .await;
    assert!(code_page.body.contains("id=\"annuleren\""));
    let csrf = value_after(&code_page.body, "name=\"csrf\" value=\"", '"');
    (cookie, csrf)
}

#[tokio::test]
async fn the_dashboard_opens_only_when_signed_in_and_refuses_what_makes_no_sense() {
    let fed = spawn_federation().await;
    let mut lekstroom = gateway_as(&fed, Peer::Region(LEKSTROOM.into())).await;
    lekstroom
        .push_snapshot(signals_quarter(LEKSTROOM, "2025-Q3", 40))
        .await
        .unwrap();
    // A quarter of small counts: every cell hidden, the row totals shown.
    lekstroom
        .push_snapshot(signals_quarter(LEKSTROOM, "2025-Q2", 2))
        .await
        .unwrap();
    let site = spawn_plain_dashboard(&fed, POLICY).await;
    let client = http_client();

    for path in [
        "/netwerk",
        "/netwerk/stand",
        "/statistieken",
        "/statistieken/tabel.csv",
        "/statistieken/tabel.json",
        "/jaaroverzicht",
    ] {
        let answer = send(&client, "GET", &format!("{site}{path}"), "", "").await;
        assert_eq!(
            (answer.status, answer.location.as_str()),
            (303, "/aanmelden"),
            "{path}"
        );
    }
    let forged = send(
        &client,
        "GET",
        &format!("{site}/netwerk"),
        "expertnet_dashboard=exn_forged",
        "",
    )
    .await;
    assert_eq!(forged.status, 303);
    let answer = send(
        &client,
        "POST",
        &format!("{site}/statistieken/ruis"),
        "",
        "epsilon=1",
    )
    .await;
    assert_eq!(
        (answer.status, answer.location.as_str()),
        (303, "/aanmelden")
    );

    let page = send(&client, "GET", &format!("{site}/aanmelden"), "", "").await;
    assert_eq!(page.status, 200);
    let headers = &page.headers;
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    let css = send(&client, "GET", &format!("{site}/assets/board.css"), "", "").await;
    assert_eq!(css.status, 200);
    assert!(css.body.contains(".board-state--down"));
    for missing in ["/bestaat-niet", "/assets/geheim.toml"] {
        let answer = send(&client, "GET", &format!("{site}{missing}"), "", "").await;
        assert_eq!(answer.status, 404, "{missing}");
        assert!(answer.body.contains("Pagina niet gevonden"), "{missing}");
    }

    let cookie = signed_in(&client, &site, &fed, EAST).await;
    let network = send(
        &client,
        "GET",
        &format!("{site}/netwerk/stand"),
        &cookie,
        "",
    )
    .await;
    assert_eq!(network.status, 200);
    assert!(
        network.body.contains("4 van 4 regio's bereikbaar"),
        "{}",
        network.body
    );

    // Hidden cells are marked and explained; the sessions a table held are a count of meetings, shown exactly.
    let small = send(
        &client,
        "GET",
        &format!("{site}/statistieken?periode=2025-Q2&tabel=category_by_outcome&bereik=nederland"),
        &cookie,
        "",
    )
    .await;
    assert_eq!(small.status, 200);
    assert!(
        small
            .body
            .contains("<abbr class=\"board-hidden\" title=\"verborgen\">x</abbr>")
    );
    assert!(
        small
            .body
            .contains("Een x betekent: dit aantal is verborgen."),
        "{}",
        small.body
    );
    assert!(
        small
            .body
            .contains("Aantallen van 1 tot en met 4 tonen we nooit")
    );
    let flows = send(
        &client,
        "GET",
        &format!("{site}/statistieken?periode=2025-Q3&tabel=flows&bereik=nederland"),
        &cookie,
        "",
    )
    .await;
    let sessions_row = value_after(&flows.body, "tafelzittingen gehouden</th>", '/');
    assert!(sessions_row.contains(">12<"), "{sessions_row}");
    assert!(flows.body.contains("behalve het aantal tafelzittingen"));
    // Two handed-back cases are too few to show.
    let returned_row = value_after(&flows.body, "aanmeldingen teruggegeven</th>", '/');
    assert!(returned_row.contains(">x<"), "{returned_row}");
    assert!(flows.body.contains("Een x betekent"));

    // A noisy table without the session's CSRF token: refused, and nothing charged to the budget.
    let coordination = fed.federation.gateway.gateway.coordination();
    let form = "periode=2025-Q3&tabel=category_by_outcome&bereik=nederland&epsilon=0.5";
    for csrf in ["", "&csrf=wrong"] {
        let answer = send(
            &client,
            "POST",
            &format!("{site}/statistieken/ruis"),
            &cookie,
            &format!("{form}{csrf}"),
        )
        .await;
        assert_eq!(answer.status, 403, "{csrf}");
        assert!(answer.body.contains("Formulier verlopen"));
    }
    let spent = coordination.budget(EAST, "2025-Q3").await.unwrap();
    assert_eq!(spent.epsilon, 0.0);
    let sign_out = send(&client, "POST", &format!("{site}/afmelden"), &cookie, "").await;
    assert_eq!(sign_out.status, 403, "signing out takes the token too");

    // Questions that make no sense, each with its reason and status.
    let statistics = send(&client, "GET", &format!("{site}/statistieken"), &cookie, "").await;
    let csrf = value_after(&statistics.body, "name=\"csrf\" value=\"", '"');
    let cases = [
        (
            "/statistieken?bereik=regio:%3Cscript%3E",
            422,
            "Deze vraag klopt niet",
        ),
        (
            "/statistieken?tabel=everything",
            422,
            "Deze vraag klopt niet",
        ),
        ("/statistieken?periode=2025-Q5", 422, "Kies een kwartaal"),
        ("/statistieken?periode=2099-Q1", 409, "nog niet voorbij"),
        (
            "/statistieken?periode=2024-Q1&bereik=nederland",
            404,
            "geen cijfers",
        ),
        (
            "/statistieken?periode=2025-Q3&bereik=gebied:noord",
            404,
            "gebied noord staat niet in het register",
        ),
        (
            "/statistieken?periode=2025-Q3&bereik=regio:lekstroom",
            403,
            "Geweigerd",
        ),
        (
            "/statistieken/tabel.csv?periode=2025-Q3&bereik=regio:lekstroom",
            403,
            "Geweigerd",
        ),
        ("/jaaroverzicht?jaar=twintig", 422, "Deze vraag klopt niet"),
        ("/jaaroverzicht?jaar=1999", 422, "Deze vraag klopt niet"),
        (
            "/jaaroverzicht?jaar=2024&bereik=regio:rivierenland",
            404,
            "geen cijfers",
        ),
    ];
    for (path, status, reason) in cases {
        let answer = send(&client, "GET", &format!("{site}{path}"), &cookie, "").await;
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        assert!(answer.body.contains(reason), "{path}: {}", answer.body);
    }
    // A quarter without figures can be asked of the regions, with the session's token; then it shows.
    let empty = send(
        &client,
        "GET",
        &format!("{site}/statistieken?periode=2024-Q1&bereik=gebied:oost-nederland"),
        &cookie,
        "",
    )
    .await;
    assert!(empty.body.contains("id=\"ophalen\""), "{}", empty.body);
    let choice = "periode=2024-Q1&tabel=category_by_outcome&bereik=gebied:oost-nederland";
    let forged = send(
        &client,
        "POST",
        &format!("{site}/statistieken/ophalen"),
        &cookie,
        choice,
    )
    .await;
    assert_eq!(forged.status, 403);
    assert!(
        coordination
            .statistics
            .of_period("2024-Q1")
            .await
            .unwrap()
            .is_empty(),
        "nothing asked without the token"
    );
    let collected = send(
        &client,
        "POST",
        &format!("{site}/statistieken/ophalen"),
        &cookie,
        &format!("csrf={csrf}&{choice}"),
    )
    .await;
    assert_eq!(collected.status, 200, "{}", collected.body);
    // (The page escapes the apostrophe.)
    assert!(
        collected
            .body
            .contains("4 regio&#39;s hebben hun cijfers over 1e kwartaal 2024 gestuurd."),
        "{}",
        collected.body
    );
    assert!(collected.body.contains("id=\"cijfers\""));
    assert!(!collected.body.contains("id=\"ophalen\""));
    // The same for a year's review: its quarters and the year before's.
    let review = send(
        &client,
        "POST",
        &format!("{site}/jaaroverzicht/ophalen"),
        &cookie,
        &format!("csrf={csrf}&jaar=2024&bereik=regio:rivierenland"),
    )
    .await;
    assert_eq!(review.status, 200, "{}", review.body);
    assert!(
        review.body.contains("Jaaroverzicht 2024: Rivierenland"),
        "{}",
        review.body
    );
    assert!(review.body.contains(
        "Kwartalen: 1e kwartaal 2024, 2e kwartaal 2024, 3e kwartaal 2024, 4e kwartaal 2024."
    ));
    assert!(
        !review.body.contains("id=\"ophalen\""),
        "every quarter is there"
    );
    assert_eq!(
        coordination
            .statistics
            .of_period("2023-Q2")
            .await
            .unwrap()
            .len(),
        4
    );

    let noisy_flows = send(
        &client,
        "POST",
        &format!("{site}/statistieken/ruis"),
        &cookie,
        &format!("csrf={csrf}&periode=2025-Q3&tabel=flows&bereik=nederland&epsilon=0.5"),
    )
    .await;
    assert_eq!(noisy_flows.status, 422, "{}", noisy_flows.body);
    assert!(noisy_flows.body.contains("alleen bij de drie tabellen"));
    assert_eq!(
        coordination.budget(EAST, "2025-Q3").await.unwrap().epsilon,
        0.0
    );
    let released = coordination
        .table(
            EAST,
            expertnet_gateway::statistics::read::TableQuery {
                period: "2025-Q3",
                table: expertnet_gateway::statistics::tables::Table::Flows,
                asked: Asked::National,
                epsilon: 0.0,
            },
            SystemClock.now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(released.regions, [LEKSTROOM]);

    // Signing out with the token ends the session.
    let answer = send(
        &client,
        "POST",
        &format!("{site}/afmelden"),
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(
        (answer.status, answer.location.as_str()),
        (303, "/aanmelden")
    );
    assert!(answer.set_cookie.contains("Max-Age=0"));
    let after = send(&client, "GET", &format!("{site}/netwerk"), &cookie, "").await;
    assert_eq!(after.status, 303);

    // Halfway through signing in, the person can give up: the session ends at that stage.
    let west = "coordinator-utrecht-flevoland";
    let west_password = &fed.federation.gateway.coordinator_passwords[west];
    let (half_cookie, half_csrf) = waiting_for_the_code(&client, &site, west, west_password).await;
    let forged = send(
        &client,
        "POST",
        &format!("{site}/aanmelden/annuleren"),
        &half_cookie,
        "",
    )
    .await;
    assert_eq!(forged.status, 403);
    let cancelled = send(
        &client,
        "POST",
        &format!("{site}/aanmelden/annuleren"),
        &half_cookie,
        &format!("csrf={half_csrf}"),
    )
    .await;
    assert_eq!(
        (cancelled.status, cancelled.location.as_str()),
        (303, "/aanmelden")
    );
    assert!(cancelled.set_cookie.contains("Max-Age=0"));
    let gone = send(
        &client,
        "GET",
        &format!("{site}/aanmelden/code"),
        &half_cookie,
        "",
    )
    .await;
    assert_eq!((gone.status, gone.location.as_str()), (303, "/aanmelden"));

    // Three wrong codes lock the person out, and the sign-in page says until when.
    let (half_cookie, half_csrf) = waiting_for_the_code(&client, &site, west, west_password).await;
    let mut last = None;
    for _ in 0..3 {
        last = Some(
            send(
                &client,
                "POST",
                &format!("{site}/aanmelden/code"),
                &half_cookie,
                &format!("csrf={half_csrf}&code=000000"),
            )
            .await,
        );
    }
    let last = last.unwrap();
    assert_eq!(last.status, 401);
    assert!(last.body.contains("geblokkeerd tot"), "{}", last.body);
    assert!(last.set_cookie.contains("Max-Age=0"));

    // Three wrong passwords lock the person out; the right one then waits too, without saying why twice.
    let national = "coordinator";
    for _ in 0..2 {
        let answer = send(
            &client,
            "POST",
            &format!("{site}/aanmelden"),
            "",
            &format!("name={national}&password=fout+fout+fout"),
        )
        .await;
        assert_eq!(answer.status, 401);
        assert!(answer.body.contains("Naam of wachtwoord klopt niet."));
    }
    let answer = send(
        &client,
        "POST",
        &format!("{site}/aanmelden"),
        "",
        &format!("name={national}&password=fout+fout+fout"),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert!(answer.body.contains("geblokkeerd tot"), "{}", answer.body);
    let password = &fed.federation.gateway.coordinator_passwords[national];
    let answer = send(
        &client,
        "POST",
        &format!("{site}/aanmelden"),
        "",
        &format!("name={national}&password={password}"),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert!(answer.body.contains("geblokkeerd tot"));
    assert!(answer.cookie.is_none());

    // Prometheus sees the sign-ins, by step and outcome.
    let scraped = scrape(fed.federation.gateway.metrics_addr).await;
    let count = |step: &str, outcome: &str| {
        scraped.value(
            "expertnet_dashboard_sign_ins_total",
            &[("step", step), ("outcome", outcome)],
        )
    };
    assert_eq!(count("password", "refused"), 2.0);
    assert_eq!(count("password", "locked"), 2.0);
    assert_eq!(count("second_factor", "ok"), 1.0);
    assert_eq!(count("second_factor", "refused"), 2.0);
    assert_eq!(count("second_factor", "locked"), 1.0);
    assert_eq!(count("password", "ok"), 3.0);
}
