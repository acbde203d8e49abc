//! `expertnet-gateway network`: the coordinators' view of the network.

use super::{CoordinatorArgs, NetworkArgs};
use anyhow::{Context, Result};
use comfy_table::Table;
use expertnet_federation::Peer;
use expertnet_federation::peer::GATEWAY_HOST;
use expertnet_federation::pki::Pki;
use expertnet_proto::v1::NetworkViewRequest;
use expertnet_proto::v1::coordinator_service_client::CoordinatorServiceClient;
use std::time::{SystemTime, UNIX_EPOCH};
use tonic::transport::Endpoint;

/// A client of the gateway's coordinator service, presenting the coordinator's certificate.
pub async fn coordinator_client(
    args: &CoordinatorArgs,
) -> Result<CoordinatorServiceClient<tonic::transport::Channel>> {
    let files = Pki::at(&args.pki).files(&Peer::Coordinator(args.coordinator.clone()));
    let tls = files
        .client(GATEWAY_HOST)
        .map_err(|e| anyhow::anyhow!("--pki: {e}"))?;
    let channel = Endpoint::from_shared(args.gateway.clone())
        .with_context(|| format!("--gateway: '{}' is not a URL", args.gateway))?
        .tls_config(tls)?
        .connect()
        .await
        .with_context(|| format!("--gateway: cannot reach {}", args.gateway))?;
    Ok(CoordinatorServiceClient::new(channel))
}

pub async fn run(args: NetworkArgs) -> Result<()> {
    let view = coordinator_client(&args.coordinator)
        .await?
        .network_view(NetworkViewRequest {})
        .await
        .map_err(|s| anyhow::anyhow!("{:?}: {}", s.code(), s.message()))?
        .into_inner();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(());
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut regions = Table::new();
    regions.set_header([
        "region",
        "state",
        "last seen",
        "version",
        "outbox",
        "dead",
        "inbox",
    ]);
    for r in &view.regions {
        let seen = if r.last_seen_ms == 0 {
            "never".to_owned()
        } else {
            format!("{} s ago", (now - r.last_seen_ms).max(0) / 1000)
        };
        regions.add_row([
            r.id.clone(),
            if r.up { "up" } else { "down" }.to_owned(),
            seen,
            r.version.clone(),
            r.outbox_depth.to_string(),
            r.dead_letters.to_string(),
            r.inbox_depth.to_string(),
        ]);
    }
    println!("{regions}");
    let mut flows = Table::new();
    flows.set_header([
        "from",
        "to",
        "consultations",
        "escalations",
        "oldest waiting",
    ]);
    for f in &view.flows {
        flows.add_row([
            f.from_region.clone(),
            f.to_region.clone(),
            f.consultations.to_string(),
            f.escalations.to_string(),
            waited(now - f.oldest_since_ms),
        ]);
    }
    if view.flows.is_empty() {
        println!("Nothing in flight between regions.");
    } else {
        println!("In flight between regions:\n{flows}");
    }
    Ok(())
}

/// How long something has waited, in the largest whole unit: "40 s", "12 min", "5 h", "3 d".
fn waited(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::waited;

    #[test]
    fn waits_read_in_their_largest_whole_unit() {
        assert_eq!(waited(40_000), "40 s");
        assert_eq!(waited(12 * 60_000 + 5_000), "12 min");
        assert_eq!(waited(5 * 3_600_000), "5 h");
        assert_eq!(waited(3 * 86_400_000 + 1), "3 d");
        assert_eq!(waited(-5), "0 s", "a clock a little ahead");
    }
}
