//! What the gateway knows about the network beyond the registry: when each node last reported, and the queue
//! depths and flows in flight it reported. Counts only; nothing about any case.

use expertnet_federation::Registry;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a node says about itself in a heartbeat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub version: String,
    pub outbox_depth: u64,
    pub dead_letters: u64,
    pub inbox_depth: u64,
    /// Per partner region: what this node has in flight with it.
    pub in_flight: BTreeMap<String, InFlight>,
}

/// Consultations and escalations one node has in flight with one partner, and since when the oldest waits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InFlight {
    pub consultations: u64,
    pub escalations: u64,
    /// Milliseconds since the epoch.
    pub oldest_since_ms: i64,
}

/// One region as coordinators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionStatus {
    pub id: String,
    pub name: String,
    pub up: bool,
    /// Milliseconds since the epoch; `None` when not seen since the gateway started.
    pub last_seen_ms: Option<i64>,
    pub report: Report,
    pub expertise: Vec<String>,
    pub covenants: Vec<String>,
}

/// Consultations and escalations from one region to another that have not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub from: String,
    pub to: String,
    pub consultations: u64,
    pub escalations: u64,
    /// When the oldest of them was asked or sent (milliseconds since the epoch).
    pub oldest_since_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkView {
    pub regions: Vec<RegionStatus>,
    pub flows: Vec<Flow>,
}

/// The heartbeats received, shared by the gateway's services.
#[derive(Debug, Clone)]
pub struct Network {
    registry: Arc<Registry>,
    down_after: Duration,
    seen: Arc<Mutex<HashMap<String, (SystemTime, Report)>>>,
}

impl Network {
    pub fn new(registry: Arc<Registry>, down_after: Duration) -> Network {
        Network {
            registry,
            down_after,
            seen: Arc::default(),
        }
    }

    /// How long a region may be silent before it is shown as down.
    pub fn down_after(&self) -> Duration {
        self.down_after
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Records a heartbeat; flows to regions not in the registry are dropped.
    pub fn heartbeat(&self, region: &str, mut report: Report, at: SystemTime) {
        report
            .in_flight
            .retain(|partner, _| partner != region && self.registry.get(partner).is_some());
        self.seen
            .lock()
            .expect("network state lock")
            .insert(region.to_owned(), (at, report));
    }

    pub fn view(&self, now: SystemTime) -> NetworkView {
        let seen = self.seen.lock().expect("network state lock").clone();
        let mut regions = Vec::new();
        let mut flows = Vec::new();
        for region in self.registry.regions() {
            let entry = seen.get(&region.id);
            let up = entry.is_some_and(|(at, _)| {
                now.duration_since(*at).unwrap_or_default() <= self.down_after
            });
            let report = entry.map(|(_, r)| r.clone()).unwrap_or_default();
            for (partner, flight) in &report.in_flight {
                if flight.consultations + flight.escalations > 0 {
                    flows.push(Flow {
                        from: region.id.clone(),
                        to: partner.clone(),
                        consultations: flight.consultations,
                        escalations: flight.escalations,
                        oldest_since_ms: flight.oldest_since_ms,
                    });
                }
            }
            regions.push(RegionStatus {
                id: region.id.clone(),
                name: region.name.clone(),
                up,
                last_seen_ms: entry.map(|(at, _)| millis(*at)),
                report,
                expertise: region.expertise.clone(),
                covenants: region.covenants.clone(),
            });
        }
        NetworkView { regions, flows }
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    millis(SystemTime::now())
}

pub fn millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_go_down_when_silent_and_flows_come_from_reports() {
        let registry = Registry::parse(
            r#"
[[regions]]
id = "lekstroom"
name = "Lekstroom"
municipalities = ["Houten"]
endpoint = "https://127.0.0.1:1"

[[regions]]
id = "rivierenland"
name = "Rivierenland"
municipalities = ["Tiel"]
endpoint = "https://127.0.0.1:2"
"#,
        )
        .unwrap();
        let network = Network::new(Arc::new(registry), Duration::from_secs(15));
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut report = Report {
            version: "0.1.0".into(),
            outbox_depth: 2,
            ..Report::default()
        };
        let flight = |consultations, escalations| InFlight {
            consultations,
            escalations,
            oldest_since_ms: 999_000_000,
        };
        report.in_flight.insert("rivierenland".into(), flight(1, 2));
        report.in_flight.insert("atlantis".into(), flight(9, 9));
        network.heartbeat("lekstroom", report, t0);

        let view = network.view(t0 + Duration::from_secs(10));
        assert!(view.regions[0].up);
        assert_eq!(view.regions[0].report.outbox_depth, 2);
        assert!(!view.regions[1].up, "never seen");
        assert_eq!(view.regions[1].last_seen_ms, None);
        assert_eq!(
            view.flows,
            [Flow {
                from: "lekstroom".into(),
                to: "rivierenland".into(),
                consultations: 1,
                escalations: 2,
                oldest_since_ms: 999_000_000,
            }]
        );
        let later = network.view(t0 + Duration::from_secs(16));
        assert!(!later.regions[0].up, "silent longer than down_after");
    }
}
