//! A release as people see it: one scope (a region or the nation) of a table family, hidden values marked,
//! shown values rounded to base 5.

use super::disclosure::round_base;
use super::release::Release;
use super::tables;
use crate::error::{Error, Result};
use expertnet_proto::v1 as wire;

/// Published values are multiples of this.
pub const ROUNDING_BASE: u64 = 5;

fn shown(value: Option<u64>) -> wire::ShownValue {
    match value {
        Some(v) => wire::ShownValue {
            value: round_base(v, ROUNDING_BASE),
            hidden: false,
        },
        None => wire::ShownValue {
            value: 0,
            hidden: true,
        },
    }
}

/// The table of `region` (`None`: the nation) in `release`.
pub fn table(release: &Release, region: Option<&str>) -> Result<wire::StatisticsTable> {
    let scope = match region {
        None => None,
        Some(id) => Some(
            release
                .regions
                .iter()
                .position(|r| r == id)
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "region {id} has no figures in the release of {} (it holds {})",
                        release.period,
                        release.regions.join(", ")
                    ))
                })?,
        ),
    };
    let columns = release.family.columns();
    let rows = tables::rows()
        .into_iter()
        .enumerate()
        .map(|(i, label)| wire::TableRow {
            label: label.to_owned(),
            cells: (0..columns.len())
                .map(|j| shown(release.value(scope, Some(i), Some(j))))
                .collect(),
            total: Some(shown(release.value(scope, Some(i), None))),
        })
        .collect();
    Ok(wire::StatisticsTable {
        period: release.period.clone(),
        table: release.family.as_str().to_owned(),
        region: region.unwrap_or_default().to_owned(),
        k: release.k,
        rounding_base: ROUNDING_BASE,
        columns: columns.into_iter().map(str::to_owned).collect(),
        rows,
        column_totals: (0..release.family.columns().len())
            .map(|j| shown(release.value(scope, None, Some(j))))
            .collect(),
        grand_total: Some(shown(release.value(scope, None, None))),
        released_at_ms: release.released_at_ms,
        regions: release.regions.clone(),
    })
}

/// The table as CSV: a header of columns, a row per category and a totals row; hidden values as `x`.
pub fn csv(table: &wire::StatisticsTable) -> String {
    let cell = |v: &Option<wire::ShownValue>| match v {
        Some(v) if !v.hidden => v.value.to_string(),
        _ => "x".to_owned(),
    };
    let mut out = format!("category,{},total\n", table.columns.join(","));
    for row in &table.rows {
        let cells: Vec<String> = row.cells.iter().map(|c| cell(&Some(*c))).collect();
        out.push_str(&format!(
            "{},{},{}\n",
            row.label,
            cells.join(","),
            cell(&row.total)
        ));
    }
    let totals: Vec<String> = table
        .column_totals
        .iter()
        .map(|c| cell(&Some(*c)))
        .collect();
    out.push_str(&format!(
        "TOTAL,{},{}\n",
        totals.join(","),
        cell(&table.grand_total)
    ));
    out
}
