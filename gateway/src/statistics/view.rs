//! Tables as people see them: one scope (a region, an area or the nation) of a table, from a release (hidden
//! values marked, shown values rounded to base 5 — but for the sessions held, a count of meetings) or with
//! differential-privacy noise.

use super::disclosure::{Key, Scope, round_base};
use super::privacy;
use super::release::{Asked, Figures, Release};
use super::tables::Table;
use crate::error::Result;
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

fn exact(value: u64) -> wire::ShownValue {
    wire::ShownValue {
        value,
        hidden: false,
    }
}

/// A table's frame: everything but its values.
fn frame(
    period: &str,
    table: Table,
    asked: Asked<'_>,
    regions: &[String],
) -> wire::StatisticsTable {
    let (region, area) = match asked {
        Asked::National => ("", ""),
        Asked::Region(id) => (id, ""),
        Asked::Area(id) => ("", id),
    };
    wire::StatisticsTable {
        period: period.to_owned(),
        table: table.as_str().to_owned(),
        region: region.to_owned(),
        area: area.to_owned(),
        row_dimension: table.row_dimension().to_owned(),
        has_totals: table.has_totals(),
        columns: table
            .column_labels()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        regions: regions.to_vec(),
        ..Default::default()
    }
}

/// Fills the rows and totals of `out` with `value` at each place of `scope`.
fn fill(
    out: &mut wire::StatisticsTable,
    table: Table,
    scope: Scope,
    value: impl Fn(Key) -> wire::ShownValue,
) {
    let at = |row, col| value(Key { scope, row, col });
    let columns = table.columns();
    out.rows = table
        .row_labels()
        .into_iter()
        .enumerate()
        .map(|(i, label)| wire::TableRow {
            label: label.to_owned(),
            cells: columns.clone().map(|j| at(Some(i), Some(j))).collect(),
            total: table.has_totals().then(|| at(Some(i), None)),
        })
        .collect();
    if table.has_totals() {
        out.column_totals = columns.map(|j| at(None, Some(j))).collect();
        out.grand_total = Some(at(None, None));
    }
}

/// `table` of `asked` in `release`, after disclosure control.
pub fn table(release: &Release, table: Table, asked: Asked<'_>) -> Result<wire::StatisticsTable> {
    let scope = release.scope(asked)?;
    let mut out = frame(&release.period, table, asked, &release.regions);
    out.k = release.k;
    out.rounding_base = ROUNDING_BASE;
    out.released_at_ms = release.released_at_ms;
    fill(&mut out, table, scope, |key| {
        match release.value(key.scope, key.row, key.col) {
            Some(meetings) if table.counts_meetings(key.row) => exact(meetings),
            value => shown(value),
        }
    });
    Ok(out)
}

/// `table` of `asked` with discrete Laplace noise of `epsilon` on its cells; totals are sums of the noisy
/// cells. Nothing is hidden or rounded: the noise protects.
pub fn noisy_table(
    figures: &Figures,
    period: &str,
    table: Table,
    asked: Asked<'_>,
    epsilon: f64,
) -> Result<wire::StatisticsTable> {
    let scope = figures.scope(period, asked)?;
    let rows = table.row_labels().len();
    let columns: Vec<usize> = table.columns().collect();
    let exact_cells: Vec<u64> = (0..rows)
        .flat_map(|i| {
            columns.iter().map(move |j| {
                figures.cube.value(Key {
                    scope,
                    row: Some(i),
                    col: Some(*j),
                })
            })
        })
        .collect();
    let noisy = privacy::noisy(&exact_cells, epsilon)?;
    let cell = |i: usize, j: usize| noisy[i * columns.len() + (j - columns[0])];
    let mut out = frame(period, table, asked, &figures.regions);
    out.epsilon = epsilon;
    fill(&mut out, table, scope, |key| {
        let rows_of = key.row.map_or(0..rows, |i| i..i + 1);
        let cols_of: Vec<usize> = key.col.map_or(columns.clone(), |j| vec![j]);
        exact(
            rows_of
                .flat_map(|i| cols_of.iter().map(move |j| cell(i, *j)))
                .sum(),
        )
    });
    Ok(out)
}

/// The table as CSV: a header of columns, a row per category or measure, and (with totals) a totals row;
/// hidden values as `x`.
pub fn csv(table: &wire::StatisticsTable) -> String {
    let cell = |v: &wire::ShownValue| {
        if v.hidden {
            "x".to_owned()
        } else {
            v.value.to_string()
        }
    };
    let mut header = vec![table.row_dimension.clone()];
    header.extend(table.columns.iter().cloned());
    if table.has_totals {
        header.push("total".into());
    }
    let mut out = header.join(",") + "\n";
    for row in &table.rows {
        let mut line = vec![row.label.clone()];
        line.extend(row.cells.iter().map(cell));
        line.extend(row.total.as_ref().map(cell));
        out.push_str(&(line.join(",") + "\n"));
    }
    if table.has_totals {
        let mut line = vec!["TOTAL".to_owned()];
        line.extend(table.column_totals.iter().map(cell));
        line.extend(table.grand_total.as_ref().map(cell));
        out.push_str(&(line.join(",") + "\n"));
    }
    out
}
