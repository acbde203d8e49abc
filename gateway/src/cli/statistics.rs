//! `expertnet-gateway statistics`: a published table, as a coordinator reads it.

use super::StatisticsArgs;
use super::network::coordinator_client;
use crate::statistics::view;
use anyhow::Result;
use comfy_table::Table;
use expertnet_proto::v1::{CollectSignalsRequest, ShownValue, StatisticsTableRequest};

fn status(s: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", s.code(), s.message())
}

fn cell(value: Option<&ShownValue>) -> String {
    match value {
        Some(v) if !v.hidden => v.value.to_string(),
        _ => "x".to_owned(),
    }
}

pub async fn run(args: StatisticsArgs) -> Result<()> {
    let mut client = coordinator_client(&args.coordinator).await?;
    if args.collect {
        let reply = client
            .collect_signals(CollectSignalsRequest {
                period: args.period.clone(),
            })
            .await
            .map_err(status)?
            .into_inner();
        for failure in &reply.failed {
            eprintln!("{}: not collected: {}", failure.region, failure.reason);
        }
    }
    let table = client
        .statistics_table(StatisticsTableRequest {
            period: args.period,
            table: args.table,
            region: args.region.unwrap_or_default(),
        })
        .await
        .map_err(status)?
        .into_inner();
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&table)?),
        "csv" => print!("{}", view::csv(&table)),
        _ => {
            let mut out = Table::new();
            let mut header = vec!["category".to_owned()];
            header.extend(table.columns.iter().cloned());
            header.push("total".into());
            out.set_header(header);
            for row in &table.rows {
                let mut line = vec![row.label.clone()];
                line.extend(row.cells.iter().map(|c| cell(Some(c))));
                line.push(cell(row.total.as_ref()));
                out.add_row(line);
            }
            let mut totals = vec!["TOTAL".to_owned()];
            totals.extend(table.column_totals.iter().map(|c| cell(Some(c))));
            totals.push(cell(table.grand_total.as_ref()));
            out.add_row(totals);
            let scope = if table.region.is_empty() {
                "national"
            } else {
                &table.region
            };
            println!(
                "{} {} ({scope}; regions: {})",
                table.table,
                table.period,
                table.regions.join(", ")
            );
            println!("{out}");
            println!(
                "x: hidden (fewer than {} cases, or it would reveal such a count); other values rounded to {}",
                table.k, table.rounding_base
            );
        }
    }
    Ok(())
}
