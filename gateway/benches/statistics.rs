//! Statistics benchmark, one run, figures printed for `docs/BENCHMARKS.md`: four regions' snapshots of a quarter
//! (category × age band × outcome × lead time, sparse as in small regions) combined into the
//! three table families and put through disclosure control, in memory and through the store's release path.
//!
//! Run with `cargo bench -p expertnet-gateway --bench statistics`. Timing is reported, never asserted.

use expertnet_gateway::statistics::StatisticsStore;
use expertnet_gateway::statistics::disclosure::{Control, protect};
use expertnet_gateway::statistics::tables::{self, Family};
use expertnet_proto::v1 as pb;
use std::time::Instant;

const REGIONS: [&str; 4] = [
    "flevoland-utrecht",
    "lekstroom",
    "midden-ijssel-oost-veluwe",
    "rivierenland",
];
const ROUNDS: usize = 5;

/// A region's quarter over the 800 cells: a fifth hold 1-3 cases, one in twenty 4-20, the rest none — many small
/// cells once combined, as in a network of small regions.
fn snapshot(region: usize, period: &str) -> pb::SignalSnapshot {
    let mut cells = Vec::new();
    let mut state = 0x9E37_79B9_u64 + region as u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for category in 1..=10 {
        for outcome in 1..=5 {
            for age_band in 1..=4 {
                for lead_time in 1..=4 {
                    let count = match next() % 20 {
                        0..=3 => 1 + next() % 3,
                        4 => 4 + next() % 17,
                        _ => 0,
                    };
                    cells.push(pb::SignalCell {
                        category,
                        age_band,
                        outcome,
                        lead_time,
                        count,
                    });
                }
            }
        }
    }
    let closed = cells.iter().map(|c| c.count).sum();
    pb::SignalSnapshot {
        region: REGIONS[region].into(),
        period: period.into(),
        computed_at_ms: 1,
        cells,
        totals: Some(pb::SignalTotals {
            closed,
            ..Default::default()
        }),
        no_fitting_answer: vec![],
    }
}

/// The two areas of `deploy/registry.toml`, as region indices into [`REGIONS`].
fn areas() -> Vec<Vec<usize>> {
    vec![vec![0, 1], vec![2, 3]]
}

fn registry_areas() -> Vec<expertnet_federation::Area> {
    ["utrecht-flevoland", "oost-nederland"]
        .iter()
        .zip(areas())
        .map(|(id, members)| expertnet_federation::Area {
            id: (*id).into(),
            name: (*id).into(),
            regions: members.iter().map(|r| REGIONS[*r].into()).collect(),
            coordinators: vec![],
        })
        .collect()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let snapshots: Vec<pb::SignalSnapshot> =
        (0..REGIONS.len()).map(|r| snapshot(r, "2025-Q1")).collect();
    let cases: u64 = snapshots.iter().map(|s| s.totals.unwrap().closed).sum();

    let mut in_memory = Vec::new();
    let mut hidden = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        hidden = 0;
        for family in Family::ALL {
            let protected = protect(
                &tables::cube(family, &snapshots, areas()),
                Control::default(),
            );
            hidden += protected.hidden.len();
        }
        in_memory.push(started.elapsed());
    }
    in_memory.sort();
    println!(
        "combine 4 regions ({cases} closed cases, 3 200 cells) into the 2 table families and protect them: median {:.1} ms, max {:.1} ms ({hidden} values hidden)",
        in_memory[ROUNDS / 2].as_secs_f64() * 1e3,
        in_memory[ROUNDS - 1].as_secs_f64() * 1e3
    );

    let dir = tempfile::tempdir().unwrap();
    let mut through_store = Vec::new();
    runtime.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("statistics.db").display());
        let store = StatisticsStore::open(&url).await.unwrap();
        for period in ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1"] {
            let started = Instant::now();
            for (r, _) in REGIONS.iter().enumerate() {
                store.put(&snapshot(r, period), 0).await.unwrap();
            }
            for family in Family::ALL {
                store
                    .release(
                        period,
                        family,
                        Control::default(),
                        &registry_areas(),
                        1_767_225_600_000,
                    )
                    .await
                    .unwrap();
            }
            through_store.push(started.elapsed());
        }
    });
    through_store.sort();
    println!(
        "store 4 snapshots and release 2 families (SQLite, first release of a period): median {:.1} ms, max {:.1} ms",
        through_store[ROUNDS / 2].as_secs_f64() * 1e3,
        through_store[ROUNDS - 1].as_secs_f64() * 1e3
    );
}
