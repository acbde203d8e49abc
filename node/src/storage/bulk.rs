//! Multi-row inserts for loading many rows at once (synthetic data, imports): one statement per chunk of rows,
//! one transaction per batch.

use super::{Backend, Transaction};
use crate::error::Result;
use sqlx::AssertSqlSafe;

/// A value in a bulk row.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    Int(i64),
    /// A NULL in a text column; PostgreSQL wants the parameter's type to match the column.
    NullText,
    NullInt,
}

/// Parameters per statement: well below SQLite's and PostgreSQL's limits, and small enough that parsing a
/// statement stays cheap.
const MAX_PARAMETERS: usize = 4_000;

/// Inserts `rows` into `table`. SQLite gets anonymous `?` parameters: it resolves named ones (`$n`) by a linear
/// search per parameter, which makes a statement with thousands of them quadratic to parse.
pub async fn insert_rows(
    tx: &mut Transaction,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows_per_statement = (MAX_PARAMETERS / columns.len()).max(1);
    for chunk in rows.chunks(rows_per_statement) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut parameter = 0;
        for (r, row) in chunk.iter().enumerate() {
            debug_assert_eq!(row.len(), columns.len());
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..row.len() {
                parameter += 1;
                if c > 0 {
                    sql.push_str(", ");
                }
                match backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => sql.push_str(&format!("${parameter}")),
                }
            }
            sql.push(')');
        }
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in chunk.iter().flatten() {
            query = match value {
                Value::Text(text) => query.bind(text.clone()),
                Value::Int(int) => query.bind(*int),
                Value::NullText => query.bind(None::<String>),
                Value::NullInt => query.bind(None::<i64>),
            };
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
