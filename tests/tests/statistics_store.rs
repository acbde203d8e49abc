//! The gateway's statistics store on SQLite and PostgreSQL alike: a re-sent quarter replaces (never adds) and an
//! older computation never overwrites a newer one; a quarter is released once and kept; the privacy odometer
//! charges up to the budget and refuses past it, per consumer and quarter, also under concurrent queries.

use expertnet_gateway::Error;
use expertnet_gateway::statistics::StatisticsStore;
use expertnet_gateway::statistics::disclosure::{Control, Scope};
use expertnet_gateway::statistics::odometer::Budgets;
use expertnet_gateway::statistics::store::Stored;
use expertnet_gateway::statistics::tables::Family;
use expertnet_proto::v1 as pb;
use expertnet_tests::TestDb;
use expertnet_tests::federation::deployed_registry;

/// After 2025 is over.
const NOW_MS: i64 = 1_767_225_600_000;
/// ε 1 per consumer and quarter, 2.5 for all together.
const BUDGETS: Budgets = Budgets {
    per_consumer: 1.0,
    total: 2.5,
};

fn snapshot(region: &str, solved: u64, computed_at_ms: i64) -> pb::SignalSnapshot {
    pb::SignalSnapshot {
        region: region.into(),
        period: "2025-Q4".into(),
        computed_at_ms,
        cells: vec![pb::SignalCell {
            category: pb::BottleneckCategory::WaitingList as i32,
            age_band: pb::AgeBand::AgeBand1617 as i32,
            outcome: pb::Outcome::Solved as i32,
            lead_time: pb::LeadTimeBand::Over26Weeks as i32,
            count: solved,
        }],
        totals: Some(pb::SignalTotals {
            submitted: solved + 3,
            closed: solved,
            ..Default::default()
        }),
        no_fitting_answer: vec![pb::CategoryCount {
            category: pb::BottleneckCategory::WaitingList as i32,
            count: 7,
        }],
    }
}

async fn the_store_keeps_replaces_releases_and_charges(url: &str) {
    let store = StatisticsStore::open(url).await.unwrap();
    // Opening again (a restart) finds the schema in place.
    let store_again = StatisticsStore::open(url).await.unwrap();

    assert_eq!(
        store
            .put(&snapshot("lekstroom", 20, 10), NOW_MS)
            .await
            .unwrap(),
        Stored::New
    );
    assert_eq!(
        store
            .put(&snapshot("lekstroom", 30, 20), NOW_MS)
            .await
            .unwrap(),
        Stored::Replaced
    );
    assert_eq!(
        store_again
            .put(&snapshot("lekstroom", 99, 15), NOW_MS)
            .await
            .unwrap(),
        Stored::Stale,
        "an older computation never overwrites a newer one"
    );
    store
        .put(&snapshot("rivierenland", 12, 10), NOW_MS)
        .await
        .unwrap();
    let kept = store.of_period("2025-Q4").await.unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].region, "lekstroom");
    assert_eq!(kept[0].cells[0].count, 30, "replaced, not added");
    assert_eq!(kept[0].no_fitting_answer[0].count, 7);

    let areas = deployed_registry().areas().to_vec();
    let first = store
        .release(
            "2025-Q4",
            Family::Categories,
            Control::default(),
            &areas,
            NOW_MS,
        )
        .await
        .unwrap();
    assert_eq!(first.regions, ["lekstroom", "rivierenland"]);
    assert_eq!(
        first
            .areas
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        ["utrecht-flevoland", "oost-nederland"]
    );
    assert_eq!(first.value(Scope::National, None, None), Some(42));
    store
        .put(&snapshot("rivierenland", 13, 11), NOW_MS)
        .await
        .unwrap();
    let again = store_again
        .release(
            "2025-Q4",
            Family::Categories,
            Control::default(),
            &areas,
            NOW_MS + 1,
        )
        .await
        .unwrap();
    assert_eq!(again, first, "a quarter is released once");

    for (consumer, epsilon, spent) in [("ilse", 0.4, 0.4), ("ilse", 0.6, 1.0), ("joost", 0.3, 0.3)]
    {
        let charged = store
            .charge(
                consumer,
                "2025-Q4",
                "category_by_outcome national",
                epsilon,
                BUDGETS,
                NOW_MS,
            )
            .await
            .unwrap();
        assert!(
            (charged.epsilon - spent).abs() < 1e-9,
            "{consumer}: {charged:?}"
        );
    }
    let refused = store
        .charge(
            "ilse",
            "2025-Q4",
            "category_by_outcome national",
            0.01,
            BUDGETS,
            NOW_MS,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::BudgetExhausted(_)), "{refused}");
    assert!(refused.to_string().contains("ε 1 of 1 spent"), "{refused}");
    store
        .charge(
            "ilse",
            "2026-Q1",
            "category_by_outcome national",
            1.0,
            BUDGETS,
            NOW_MS,
        )
        .await
        .unwrap();

    // Twenty concurrent queries of 0.1 against a budget of 1: exactly ten are answered.
    let asked: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .charge(
                        "noor",
                        "2026-Q2",
                        "category_by_age_band national",
                        0.1,
                        BUDGETS,
                        NOW_MS,
                    )
                    .await
            })
        })
        .collect();
    let mut answered = 0;
    for query in asked {
        match query.await.unwrap() {
            Ok(_) => answered += 1,
            Err(Error::BudgetExhausted(_)) => {}
            Err(other) => panic!("a query failed otherwise: {other}"),
        }
    }
    assert_eq!(answered, 10);

    // Together the coordinators may spend 2.5 on 2025-Q4: ilse 1.0 and joost 0.3 leave 1.2 for everyone else.
    store
        .charge(
            "saskia",
            "2025-Q4",
            "category_by_outcome national",
            1.0,
            BUDGETS,
            NOW_MS,
        )
        .await
        .unwrap();
    let refused = store
        .charge(
            "wim",
            "2025-Q4",
            "category_by_outcome national",
            0.5,
            BUDGETS,
            NOW_MS,
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains(
            "the network's privacy budget for 2025-Q4: ε 2.3 of 2.5 spent by all coordinators together"
        ),
        "{refused}"
    );
    // Refused by the total, it cost wim nothing either.
    let charged = store
        .charge(
            "wim",
            "2025-Q4",
            "category_by_outcome national",
            0.2,
            BUDGETS,
            NOW_MS,
        )
        .await
        .unwrap();
    assert!((charged.epsilon - 0.2).abs() < 1e-9, "{charged:?}");
}

#[tokio::test]
async fn statistics_store_on_sqlite() {
    let db = TestDb::sqlite();
    the_store_keeps_replaces_releases_and_charges(&db.url).await;
}

#[tokio::test]
async fn statistics_store_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    the_store_keeps_replaces_releases_and_charges(&db.url).await;
}
