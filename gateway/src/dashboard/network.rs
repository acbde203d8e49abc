//! The network on one page: every region up or down, when it last reported, its version and its queues, and
//! what is in flight between each pair of regions with how long the oldest has waited. The page's script reads
//! `/netwerk/stand` again every five seconds; without script the page says when it was drawn.

use super::error::DashboardError;
use super::session::{Coordinator, Watching};
use super::wording;
use crate::network::now_ms;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use std::time::SystemTime;

/// A region's row.
#[derive(Debug, Clone)]
pub struct RegionRow {
    pub id: String,
    pub name: String,
    pub up: bool,
    pub last_seen: String,
    pub version: String,
    pub outbox: u64,
    pub inbox: u64,
    pub dead_letters: u64,
}

/// A pair of regions with something in flight.
#[derive(Debug, Clone)]
pub struct FlowRow {
    pub from: String,
    pub to: String,
    pub consultations: u64,
    pub escalations: u64,
    pub oldest: String,
}

#[derive(Template)]
#[template(path = "network_state.html")]
struct NetworkState {
    regions: Vec<RegionRow>,
    flows: Vec<FlowRow>,
    up: usize,
    drawn_at: String,
    down_after_secs: u64,
}

#[derive(Template)]
#[template(path = "network.html")]
struct NetworkPage {
    state: NetworkState,
    frame: Option<super::session::Frame>,
}

fn state(coordinator: &Coordinator) -> NetworkState {
    let coordination = &coordinator.dashboard.coordination;
    let view = coordination.network.view(SystemTime::now());
    let now = now_ms();
    let name_of = |id: &str| {
        coordination
            .registry()
            .get(id)
            .map_or_else(|| id.to_owned(), |r| r.name.clone())
    };
    let regions: Vec<RegionRow> = view
        .regions
        .into_iter()
        .map(|r| RegionRow {
            last_seen: r
                .last_seen_ms
                .map_or_else(|| "nog nooit".to_owned(), |ms| wording::ago(ms, now)),
            id: r.id,
            name: r.name,
            up: r.up,
            version: if r.report.version.is_empty() {
                "onbekend".to_owned()
            } else {
                r.report.version
            },
            outbox: r.report.outbox_depth,
            inbox: r.report.inbox_depth,
            dead_letters: r.report.dead_letters,
        })
        .collect();
    let flows = view
        .flows
        .into_iter()
        .map(|f| FlowRow {
            from: name_of(&f.from),
            to: name_of(&f.to),
            consultations: f.consultations,
            escalations: f.escalations,
            oldest: if f.oldest_since_ms > 0 {
                wording::waited(f.oldest_since_ms, now)
            } else {
                "–".to_owned()
            },
        })
        .collect();
    NetworkState {
        up: regions.iter().filter(|r| r.up).count(),
        regions,
        flows,
        drawn_at: wording::moment(now),
        down_after_secs: coordination.network.down_after().as_secs(),
    }
}

#[tracing::instrument(name = "dashboard", skip_all, fields(person = %coordinator.session.person))]
pub async fn page(coordinator: Coordinator) -> Result<Response, DashboardError> {
    let page = NetworkPage {
        state: state(&coordinator),
        frame: Some(coordinator.frame("/netwerk")),
    };
    tracing::info!(coordinator = coordinator.identity(), "dashboard: network");
    Ok(Html(page.render()?).into_response())
}

/// The page's changing part alone, for the script that refreshes it.
pub async fn current(Watching(coordinator): Watching) -> Result<Response, DashboardError> {
    Ok(Html(state(&coordinator).render()?).into_response())
}
