//! The attack test of the national statistics. A synthetic network of four regions in two areas (or, with
//! `EXPERTNET_ATTACK_REGIONS=42`, the whole country's 42 in eight), with many small cells, sends its signals for
//! three quarters; the gateway releases every table family for each. An
//! attacker then holds every release ever made — each region's tables, each area's and the national ones, with
//! all their margins (the three category tables share theirs), exact (not rounded: stronger than anyone outside)
//! — plus a second release of one quarter after one more case came in, and for every hidden value that is really
//! between 1 and k − 1 solves linear programs for the least and most it can be. It must not narrow any of them
//! to fewer than k possible values. Against the same figures released without secondary suppression, it must.

use expertnet_federation::{Area, Registry};
use expertnet_gateway::statistics::StatisticsStore;
use expertnet_gateway::statistics::disclosure::{Control, Cube, Key};
use expertnet_gateway::statistics::release::Release;
use expertnet_gateway::statistics::tables::{self, Family};
use expertnet_local::national;
use expertnet_proto::v1 as pb;
use expertnet_tests::count_from_env;
use expertnet_tests::federation::deployed_registry;
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The deployed network's four regions unless `EXPERTNET_ATTACK_REGIONS` asks for more (up to 42).
fn registry() -> Registry {
    let deployed = deployed_registry();
    let regions = count_from_env("EXPERTNET_ATTACK_REGIONS", deployed.regions().count());
    national::registry(&deployed, regions).expect("EXPERTNET_ATTACK_REGIONS is 4 to 42")
}

/// The network's region ids in the order the gateway releases them (sorted), and its areas.
fn shape() -> (Vec<String>, Vec<Area>) {
    let registry = registry();
    let mut regions: Vec<String> = registry.regions().map(|r| r.id.clone()).collect();
    regions.sort();
    (regions, registry.areas().to_vec())
}
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
    let escalated = rng.random_range(0..=4);
    let escalations_accepted = rng.random_range(0..=escalated);
    let consultations_asked = rng.random_range(0..=12);
    let consultations_answered = rng.random_range(0..=consultations_asked);
    pb::SignalSnapshot {
        region: region.into(),
        period: period.into(),
        computed_at_ms: 1,
        cells,
        totals: Some(pb::SignalTotals {
            submitted: closed,
            returned: rng.random_range(0..=6),
            discussed: rng.random_range(2..=30),
            escalated,
            closed,
            sessions_held: rng.random_range(1..=12),
            escalations_accepted,
            escalations_accepted_within_14_days: rng.random_range(0..=escalations_accepted),
            consultations_asked,
            consultations_answered,
            consultations_answered_within_7_days: rng.random_range(0..=consultations_answered),
        }),
        no_fitting_answer: vec![],
    }
}

/// Every snapshot of the synthetic network, per period, regions in order.
fn network(regions: &[String]) -> Vec<Vec<pb::SignalSnapshot>> {
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_130);
    PERIODS
        .iter()
        .map(|period| {
            regions
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
    let (regions, areas) = shape();
    let network = network(&regions);
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
    assert_eq!(
        release.regions,
        shape().0,
        "the release lists every region, in order"
    );
    let network = network(&release.regions);
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
///
/// At the whole country's size a program takes seconds: `EXPERTNET_ATTACK_TARGETS=N` attacks N hidden values per
/// period and family, drawn at random, instead of all of them. Returns what was pinned and how many were attacked.
fn pinned(releases: &[Release]) -> (Vec<String>, usize) {
    let sample = std::env::var("EXPERTNET_ATTACK_TARGETS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok());
    let mut attacked = 0;
    let mut found = Vec::new();
    let mut groups: Vec<(&str, Family)> = releases
        .iter()
        .map(|r| (r.period.as_str(), r.family))
        .collect();
    groups.sort();
    groups.dedup();
    for (period, family) in groups {
        let mut held: Vec<&Release> = releases
            .iter()
            .filter(|r| r.period == period && r.family == family)
            .collect();
        // A release made again is the first one (asserted above): the same equations twice add nothing.
        held.dedup();
        let cube = truth(held[0]);
        let mut targets: Vec<(Key, u64)> = held[0]
            .values
            .iter()
            .filter(|target| target.value.is_none())
            .map(|target| (target.key(), cube.value(target.key())))
            .filter(|(_, real)| (1..K).contains(real))
            .collect();
        if let Some(sample) = sample {
            let seed = targets.len() as u64;
            targets.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
            targets.truncate(sample);
        }
        attacked += targets.len();
        for (key, real) in targets {
            // The true value is always within the bounds, so a most at least k − 1 above it leaves k values
            // whatever the least: the second program is then not needed.
            let most = solve(&cube, &held, key, OptimizationDirection::Maximize);
            if most - real as i64 >= K as i64 - 1 {
                continue;
            }
            let least = solve(&cube, &held, key, OptimizationDirection::Minimize);
            if most - least + 1 < K as i64 {
                found.push(format!(
                    "{period} {family:?} {key:?} = {real} within [{least}, {most}]"
                ));
            }
        }
    }
    (found, attacked)
}

/// The least or most the value at `target` can be, given everything shown.
/// Cells (by index) with their coefficients, how they compare, and with what.
type Equation = (Vec<(usize, f64)>, ComparisonOp, f64);

fn solve(shape: &Cube, held: &[&Release], target: Key, direction: OptimizationDirection) -> i64 {
    let index = |(r, i, j): (usize, usize, usize)| (r * shape.rows + i) * shape.cols + j;
    // Every value shown is exact; and, by the rules, zeros are never hidden, so every hidden value is at least
    // one. A value of one cell bounds that cell; the others are equations over several cells.
    let mut bounds = vec![(0.0, 10_000.0); shape.regions * shape.rows * shape.cols];
    let mut equations: Vec<Equation> = Vec::new();
    for release in held {
        for published in &release.values {
            let cells = shape.cells(published.key());
            match (cells.as_slice(), published.value) {
                ([cell], Some(value)) => bounds[index(*cell)] = (value as f64, value as f64),
                ([cell], None) => bounds[index(*cell)].0 = f64::max(bounds[index(*cell)].0, 1.0),
                (_, value) => {
                    let terms = cells.iter().map(|cell| (index(*cell), 1.0)).collect();
                    equations.push(match value {
                        Some(value) => (terms, ComparisonOp::Eq, value as f64),
                        None => (terms, ComparisonOp::Ge, 1.0),
                    });
                }
            }
        }
    }
    // What the attacker knows of the structure: every breakdown of a region's row counts the same cases.
    if let Some((first, others)) = shape.partitions.split_first() {
        for r in 0..shape.regions {
            for i in 0..shape.rows {
                for other in others {
                    let terms = first
                        .clone()
                        .map(|j| (index((r, i, j)), 1.0))
                        .chain(other.clone().map(|j| (index((r, i, j)), -1.0)))
                        .collect();
                    equations.push((terms, ComparisonOp::Eq, 0.0));
                }
            }
        }
    }
    // The cells a shown value fixes are constants, not variables: the same solutions, a far smaller program.
    // (With every cell a variable, the solver called the true figures infeasible at 42 regions.)
    let covered: Vec<usize> = shape.cells(target).into_iter().map(index).collect();
    let mut problem = Problem::new(direction);
    let mut constant = 0.0;
    let vars: Vec<Option<microlp::Variable>> = bounds
        .iter()
        .enumerate()
        .map(|(cell, &(least, most))| {
            let weight = if covered.contains(&cell) { 1.0 } else { 0.0 };
            if least == most {
                constant += weight * least;
                None
            } else {
                Some(problem.add_var(weight, (least, most)))
            }
        })
        .collect();
    for (terms, op, mut rhs) in equations {
        let mut free = Vec::new();
        for (cell, coefficient) in terms {
            match vars[cell] {
                Some(var) => free.push((var, coefficient)),
                None => rhs -= coefficient * bounds[cell].0,
            }
        }
        if !free.is_empty() {
            problem.add_constraint(free.as_slice(), op, rhs);
        }
    }
    let outcome = problem.solve().expect("the true figures are a solution");
    let microlp::SolveOutcome::Solution(solution) = outcome else {
        panic!("the solver stopped before an answer: {outcome:?}");
    };
    assert_eq!(
        solution.status(),
        microlp::SolutionStatus::Optimal,
        "the attacker's bound is the proven optimum"
    );
    let bound = constant + solution.objective();
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
    let started = std::time::Instant::now();
    let (pinned, attacked) = pinned(&made);
    assert!(
        pinned.is_empty(),
        "{} of the small cells were narrowed below k: {pinned:#?}",
        pinned.len()
    );
    eprintln!(
        "{} regions: {} releases, {small} small values, {hidden} values hidden; {attacked} small hidden values \
         attacked in {:.1} s: none pinned",
        shape().0.len(),
        made.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn without_secondary_suppression_the_same_attack_pins_small_cells() {
    let (_dir, made) = releases(Control {
        k: K,
        secondary: false,
    })
    .await;
    let (pinned, attacked) = pinned(&made);
    assert!(
        !pinned.is_empty(),
        "the attack found nothing without secondary suppression"
    );
    eprintln!(
        "without secondary suppression {} of the {attacked} small values attacked were pinned, e.g. {}",
        pinned.len(),
        pinned[0]
    );
}
