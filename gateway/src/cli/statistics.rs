//! `expertnet-gateway statistics` and `review`: a published table or a region's yearly review, as a
//! coordinator reads them.

use super::network::coordinator_client;
use super::{ReviewArgs, StatisticsArgs};
use crate::statistics::view;
use anyhow::Result;
use comfy_table::Table;
use expertnet_proto::v1::{
    CollectSignalsRequest, ShownValue, StatisticsTableRequest, YearlyReviewRequest,
};

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
            area: args.area.unwrap_or_default(),
            epsilon: args.epsilon.unwrap_or(0.0),
        })
        .await
        .map_err(status)?
        .into_inner();
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&table)?),
        "csv" => print!("{}", view::csv(&table)),
        _ => {
            let mut out = Table::new();
            let mut header = vec![table.row_dimension.clone()];
            header.extend(table.columns.iter().cloned());
            if table.has_totals {
                header.push("total".into());
            }
            out.set_header(header);
            for row in &table.rows {
                let mut line = vec![row.label.clone()];
                line.extend(row.cells.iter().map(|c| cell(Some(c))));
                if table.has_totals {
                    line.push(cell(row.total.as_ref()));
                }
                out.add_row(line);
            }
            if table.has_totals {
                let mut totals = vec!["TOTAL".to_owned()];
                totals.extend(table.column_totals.iter().map(|c| cell(Some(c))));
                totals.push(cell(table.grand_total.as_ref()));
                out.add_row(totals);
            }
            let scope = match (table.region.as_str(), table.area.as_str()) {
                ("", "") => "national".to_owned(),
                (region, "") => format!("region {region}"),
                (_, area) => format!("area {area}"),
            };
            println!(
                "{} {} ({scope}; regions reporting: {})",
                table.table,
                table.period,
                table.regions.join(", ")
            );
            println!("{out}");
            if table.epsilon > 0.0 {
                println!(
                    "differential privacy: noise of ε = {} (no value is exact); ε spent on {}: {} of {} by you, \
                     {} of {} by all coordinators together",
                    table.epsilon,
                    table.period,
                    table.epsilon_spent,
                    table.epsilon_budget,
                    table.network_epsilon_spent,
                    table.network_epsilon_budget
                );
            } else {
                println!(
                    "x: hidden (fewer than {} cases, or it would reveal such a count); other values rounded to {}{}",
                    table.k,
                    table.rounding_base,
                    if table.table == "flows" {
                        ", but sessions_held (meetings, not youths) exactly"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    Ok(())
}

pub async fn review(args: ReviewArgs) -> Result<()> {
    let mut client = coordinator_client(&args.coordinator).await?;
    if args.collect {
        // The year before too: the review's trend starts there.
        for (year, quarter) in [args.year - 1, args.year]
            .into_iter()
            .flat_map(|year| (1..=4).map(move |quarter| (year, quarter)))
        {
            let period = format!("{year}-Q{quarter}");
            let reply = client
                .collect_signals(CollectSignalsRequest {
                    period: period.clone(),
                })
                .await
                .map_err(status)?
                .into_inner();
            for failure in &reply.failed {
                eprintln!(
                    "{period}: {}: not collected: {}",
                    failure.region, failure.reason
                );
            }
        }
    }
    let reply = client
        .yearly_review(YearlyReviewRequest {
            region: args.region.unwrap_or_default(),
            area: args.area.unwrap_or_default(),
            year: args.year,
        })
        .await
        .map_err(status)?
        .into_inner();
    match &args.out {
        Some(path) => {
            std::fs::write(path, &reply.html)
                .map_err(|e| anyhow::anyhow!("--out: cannot write {}: {e}", path.display()))?;
            eprintln!(
                "wrote {} (quarters {})",
                path.display(),
                reply.quarters.join(", ")
            );
        }
        None => print!("{}", reply.html),
    }
    Ok(())
}
