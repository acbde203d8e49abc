//! The attack test of the national statistics. A synthetic network of four regions in two areas, with many
//! small cells, sends its signals for three quarters; the gateway releases every table family for each. An
//! attacker then holds every release ever made — each region's tables, each area's and the national ones, with
//! all their margins (the three category tables share theirs), exact (not rounded: stronger than anyone outside)
//! — plus a second release of one quarter after one more case came in, and for every hidden value that is really
//! between 1 and k − 1 solves linear programs for the least and most it can be. It must not narrow any of them
//! to fewer than k possible values. Against the same figures released without secondary suppression, it must.

use expertnet_gateway::statistics::StatisticsStore;
use expertnet_gateway::statistics::disclosure::{Control, Cube, Key};
use expertnet_gateway::statistics::release::Release;
use expertnet_gateway::statistics::tables::{self, Family};
use expertnet_proto::v1 as pb;
use expertnet_tests::federation::deployed_registry;
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const REGIONS: [&str; 4] = [
    "flevoland-utrecht",
    "lekstroom",
    "midden-ijssel-oost-veluwe",
    "rivierenland",
];
const PERIODS: [&str; 3] = ["2025-Q1", "2025-Q2", "2025-Q3"];
const K: u64 = 5;
/// After every quarter is over.
const NOW_MS: i64 = 1_767_225_600_000;

/// A region's snapshot with mostly empty cells and the rest holding 1 to 3 cases: many small cells.
fn synthetic(rng: &mut ChaCha8Rng, region: &str, period: &str) -> pb::SignalSnapshot {
    let mut cells = Vec::new();
    for category in 1..=10 {
        for outcome in 1..=5 {
            for age_band in 1..=4 {
                for lead_time in 1..=4 {
                    if rng.random_bool(0.15) {
                        cells.push(pb::SignalCell {
                            category,
                            age_band,
                            outcome,
                            lead_time,
                            count: rng.random_range(1..=3),
                        });
                    }
                }
            }
        }
    }
    let closed = cells.iter().map(|c| c.count).sum();
    pb::SignalSnapshot {
        region: region.into(),
        period: period.into(),
        computed_at_ms: 1,
        cells,
        totals: Some(pb::SignalTotals {
            submitted: closed,
            returned: rng.random_range(0..=6),
            discussed: rng.random_range(2..=30),
            escalated: rng.random_range(0..=4),
            closed,
            sessions_held: rng.random_range(1..=12),
        }),
        no_fitting_answer: vec![],
    }
}

/// Every snapshot of the synthetic network, per period, regions in order.
fn network() -> Vec<Vec<pb::SignalSnapshot>> {
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_130);
    PERIODS
        .iter()
        .map(|period| {
            REGIONS
                .iter()
                .map(|region| synthetic(&mut rng, region, period))
                .collect()
        })
        .collect()
}

/// A store holding the network's snapshots, released with `control`; returns every release made, including
/// a second release of the first quarter after one more case arrived there.
async fn releases(control: Control) -> (tempfile::TempDir, Vec<Release>) {
    let dir = tempfile::tempdir().unwrap();
    let store = StatisticsStore::open(&format!(
        "sqlite://{}",
        dir.path().join("statistics.db").display()
    ))
    .await
    .unwrap();
    let network = network();
    let areas = deployed_registry().areas().to_vec();
    for snapshots in &network {
        for snapshot in snapshots {
            store.put(snapshot, NOW_MS).await.unwrap();
        }
    }
    let mut made = Vec::new();
    for period in PERIODS {
        for family in Family::ALL {
            made.push(
                store
                    .release(period, family, control, &areas, NOW_MS)
                    .await
                    .unwrap(),
            );
        }
    }
    // One more case closes late in the first quarter; its region sends the quarter again; everything is
    // released again.
    let mut late = network[0][1].clone();
    late.cells[0].count += 1;
    late.totals.as_mut().unwrap().closed += 1;
    late.computed_at_ms = 2;
    store.put(&late, NOW_MS).await.unwrap();
    for family in Family::ALL {
        let again = store
            .release(PERIODS[0], family, control, &areas, NOW_MS + 1)
            .await
            .unwrap();
        let first = made
            .iter()
            .find(|r| r.period == PERIODS[0] && r.family == family)
            .unwrap();
        assert_eq!(
            &again, first,
            "a period is released once; later releases are the first one"
        );
        made.push(again);
    }
    (dir, made)
}

/// The true cube behind a release.
fn truth(release: &Release) -> Cube {
    let network = network();
    let period = PERIODS.iter().position(|p| *p == release.period).unwrap();
    let members = release
        .areas
        .iter()
        .map(|area| {
            area.regions
                .iter()
                .map(|id| release.regions.iter().position(|r| r == id).unwrap())
                .collect()
        })
        .collect();
    tables::cube(release.family, &network[period], members)
}

/// What the attacker achieves: every hidden value that is really 1 to k − 1 and that linear programming over
/// all of the period's releases of the family (bounds rounded to whole counts) narrows to fewer than k possible
/// values.
fn pinned(releases: &[Release]) -> Vec<String> {
    let mut found = Vec::new();
    let mut groups: Vec<(&str, Family)> = releases
        .iter()
        .map(|r| (r.period.as_str(), r.family))
        .collect();
    groups.sort();
    groups.dedup();
    for (period, family) in groups {
        let held: Vec<&Release> = releases
            .iter()
            .filter(|r| r.period == period && r.family == family)
            .collect();
        let cube = truth(held[0]);
        for target in &held[0].values {
            let key = target.key();
            let real = cube.value(key);
            if target.value.is_some() || !(1..K).contains(&real) {
                continue;
            }
            let least = solve(&cube, &held, key, OptimizationDirection::Minimize);
            let most = solve(&cube, &held, key, OptimizationDirection::Maximize);
            if most - least + 1 < K as i64 {
                found.push(format!(
                    "{period} {family:?} {key:?} = {real} within [{least}, {most}]"
                ));
            }
        }
    }
    found
}

/// The least or most the value at `target` can be, given everything shown.
fn solve(shape: &Cube, held: &[&Release], target: Key, direction: OptimizationDirection) -> i64 {
    let mut problem = Problem::new(direction);
    let covered = shape.cells(target);
    let mut vars = Vec::new();
    for r in 0..shape.regions {
        for i in 0..shape.rows {
            for j in 0..shape.cols {
                let weight = if covered.contains(&(r, i, j)) {
                    1.0
                } else {
                    0.0
                };
                vars.push(problem.add_var(weight, (0.0, 10_000.0)));
            }
        }
    }
    let var = |r: usize, i: usize, j: usize| vars[(r * shape.rows + i) * shape.cols + j];
    // Every value shown is exact; and, by the rules, zeros are never hidden, so every hidden value is at least one.
    for release in held {
        for published in &release.values {
            let terms: Vec<(microlp::Variable, f64)> = shape
                .cells(published.key())
                .into_iter()
                .map(|(r, i, j)| (var(r, i, j), 1.0))
                .collect();
            match published.value {
                Some(value) => {
                    problem.add_constraint(terms.as_slice(), ComparisonOp::Eq, value as f64)
                }
                None => problem.add_constraint(terms.as_slice(), ComparisonOp::Ge, 1.0),
            };
        }
    }
    // What the attacker knows of the structure: every breakdown of a region's row counts the same cases.
    if let Some((first, others)) = shape.partitions.split_first() {
        for r in 0..shape.regions {
            for i in 0..shape.rows {
                for other in others {
                    let terms: Vec<(microlp::Variable, f64)> = first
                        .clone()
                        .map(|j| (var(r, i, j), 1.0))
                        .chain(other.clone().map(|j| (var(r, i, j), -1.0)))
                        .collect();
                    problem.add_constraint(terms.as_slice(), ComparisonOp::Eq, 0.0);
                }
            }
        }
    }
    let solution = problem.solve();
    let bound = solution
        .expect("the true figures are a solution")
        .objective();
    // Counts are whole: the bound is rounded to the nearest whole number it allows.
    match direction {
        OptimizationDirection::Minimize => (bound - 1e-6).ceil() as i64,
        OptimizationDirection::Maximize => (bound + 1e-6).floor() as i64,
    }
}

#[tokio::test]
async fn no_small_cell_can_be_pinned_from_everything_released() {
    let (_dir, made) = releases(Control {
        k: K,
        secondary: true,
    })
    .await;
    let hidden: usize = made
        .iter()
        .map(|r| r.values.iter().filter(|v| v.value.is_none()).count())
        .sum();
    let small: usize = made
        .iter()
        .map(|r| {
            let cube = truth(r);
            r.values
                .iter()
                .filter(|v| {
                    let key = v.key();
                    (1..K).contains(&cube.value(key))
                })
                .count()
        })
        .sum();
    assert!(
        small > 50,
        "the synthetic network has many small cells ({small})"
    );
    let pinned = pinned(&made);
    assert!(
        pinned.is_empty(),
        "{} of the small cells were narrowed below k: {pinned:#?}",
        pinned.len()
    );
    eprintln!(
        "{} releases, {small} small values, {hidden} values hidden: none pinned",
        made.len()
    );
}

#[tokio::test]
async fn without_secondary_suppression_the_same_attack_pins_small_cells() {
    let (_dir, made) = releases(Control {
        k: K,
        secondary: false,
    })
    .await;
    let pinned = pinned(&made);
    assert!(
        !pinned.is_empty(),
        "the attack found nothing without secondary suppression"
    );
    eprintln!(
        "without secondary suppression {} small values were pinned, e.g. {}",
        pinned.len(),
        pinned[0]
    );
}
