//! Statistics benchmark, one run, figures printed for `docs/BENCHMARKS.md`: 4, 8, 16 and 42 regions' snapshots of
//! a quarter (category × age band × outcome × lead time, sparse as in small regions) in 2 to 8 areas, combined
//! into the table families and put through disclosure control, in memory and through the store's release path —
//! how the disclosure loop grows with the size of the network (the country has 42 regions in 8 areas).
//!
//! Run with `cargo bench -p expertnet-gateway --bench statistics`. Timing is reported, never asserted.

use expertnet_gateway::statistics::StatisticsStore;
use expertnet_gateway::statistics::disclosure::{Control, protect};
use expertnet_gateway::statistics::tables::{self, Family};
use expertnet_proto::v1 as pb;
use std::time::Instant;

/// The networks measured: the four real regions, and larger ones up to the country's 42.
const SIZES: [usize; 4] = [4, 8, 16, 42];
const ROUNDS: usize = 5;

fn region_name(region: usize) -> String {
    let letter = |i: usize| char::from(b'a' + (i % 26) as u8);
    format!("region-{}{}", letter(region / 26), letter(region))
}

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
        region: region_name(region),
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

/// The areas of a network of `regions`: two for the four real regions, up to eight (the country's) for more,
/// the regions dealt out in turn.
fn areas(regions: usize) -> Vec<Vec<usize>> {
    let count = if regions <= 4 {
        2
    } else {
        (regions / 2).min(8)
    };
    (0..count)
        .map(|a| (0..regions).filter(|r| r % count == a).collect())
        .collect()
}

fn registry_areas(regions: usize) -> Vec<expertnet_federation::Area> {
    areas(regions)
        .into_iter()
        .enumerate()
        .map(|(a, members)| expertnet_federation::Area {
            id: format!("area-{}", char::from(b'a' + a as u8)),
            name: format!("Area {a}"),
            regions: members.into_iter().map(region_name).collect(),
            coordinators: vec![],
        })
        .collect()
}

/// Peak resident memory of this process so far, in KiB (Linux).
fn peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn median_max(mut times: Vec<std::time::Duration>) -> (f64, f64) {
    times.sort();
    (
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for regions in SIZES {
        let snapshots: Vec<pb::SignalSnapshot> =
            (0..regions).map(|r| snapshot(r, "2025-Q1")).collect();
        let cases: u64 = snapshots.iter().map(|s| s.totals.unwrap().closed).sum();
        let before = peak_kb();
        let mut in_memory = Vec::new();
        let mut hidden = 0;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            hidden = 0;
            for family in Family::ALL {
                let protected = protect(
                    &tables::cube(family, &snapshots, areas(regions)),
                    Control::default(),
                );
                hidden += protected.hidden.len();
            }
            in_memory.push(started.elapsed());
        }
        let (median, max) = median_max(in_memory);
        println!(
            "{regions} regions in {} areas ({cases} closed cases, {} cells): combine into the table families and \
             protect: median {median:.1} ms, max {max:.1} ms ({hidden} values hidden); peak memory grew {} KB",
            areas(regions).len(),
            regions * 800,
            peak_kb().saturating_sub(before)
        );

        let dir = tempfile::tempdir().unwrap();
        let mut through_store = Vec::new();
        runtime.block_on(async {
            let url = format!("sqlite://{}", dir.path().join("statistics.db").display());
            let store = StatisticsStore::open(&url).await.unwrap();
            for period in ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1"] {
                let started = Instant::now();
                for region in 0..regions {
                    store.put(&snapshot(region, period), 0).await.unwrap();
                }
                for family in Family::ALL {
                    store
                        .release(
                            period,
                            family,
                            Control::default(),
                            &registry_areas(regions),
                            1_767_225_600_000,
                        )
                        .await
                        .unwrap();
                }
                through_store.push(started.elapsed());
            }
        });
        let (median, max) = median_max(through_store);
        println!(
            "{regions} regions: store the snapshots and make the first release of every family (SQLite): \
             median {median:.1} ms, max {max:.1} ms"
        );
    }
}
