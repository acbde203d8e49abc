//! The counts behind a signals snapshot, grouped in the database so that a quarter of a million cases is a
//! handful of result rows.

use super::rows::word;
use crate::domain::signals::{SignalCell, SignalTotals};
use crate::domain::*;
use crate::error::Result;
use sqlx::Row;
use std::collections::BTreeMap;

/// Closed cases of [`start`, `end`) per (categories, age band, outcome, lead-time band); the caller folds the
/// category lists into primary categories.
pub async fn closed_cells(pool: &sqlx::AnyPool, start: i64, end: i64) -> Result<Vec<SignalCell>> {
    let [four, twelve, twenty_six] = LeadTimeBand::BOUNDS_MS;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT categories, \
           CASE WHEN age <= 11 THEN '0-11' WHEN age <= 15 THEN '12-15' WHEN age <= 17 THEN '16-17' \
                ELSE '18-23' END, \
           outcome, \
           CASE WHEN closed_at - submitted_at < {four} THEN 'under_4_weeks' \
                WHEN closed_at - submitted_at < {twelve} THEN '4_to_12_weeks' \
                WHEN closed_at - submitted_at < {twenty_six} THEN '12_to_26_weeks' \
                ELSE 'over_26_weeks' END, \
           COUNT(*) \
         FROM cases WHERE state = 'closed' AND closed_at >= $1 AND closed_at < $2 \
         GROUP BY 1, 2, 3, 4"
    )))
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    let mut cells: BTreeMap<(BottleneckCategory, AgeBand, Outcome, LeadTimeBand), u64> =
        BTreeMap::new();
    for row in rows {
        let categories: String = row.get(0);
        let primary = categories.split(',').next().unwrap_or_default();
        let key = (
            word("categories", primary, BottleneckCategory::parse)?,
            word("age band", &row.get::<String, _>(1), AgeBand::parse)?,
            word(
                "outcome",
                &row.get::<Option<String>, _>(2).unwrap_or_default(),
                Outcome::parse,
            )?,
            word("lead time", &row.get::<String, _>(3), LeadTimeBand::parse)?,
        );
        *cells.entry(key).or_default() += row.get::<i64, _>(4) as u64;
    }
    Ok(cells
        .into_iter()
        .map(
            |((category, age_band, outcome, lead_time), count)| SignalCell {
                category,
                age_band,
                outcome,
                lead_time,
                count,
            },
        )
        .collect())
}

/// Cases closed in the period with no fitting answer, per category they named.
pub async fn no_fitting_answer(
    pool: &sqlx::AnyPool,
    start: i64,
    end: i64,
) -> Result<Vec<(BottleneckCategory, u64)>> {
    let rows = sqlx::query(
        "SELECT cc.category, COUNT(*) FROM cases c JOIN case_categories cc ON cc.case_id = c.id \
         WHERE c.state = 'closed' AND c.outcome = 'no_fitting_answer' AND c.closed_at >= $1 \
         AND c.closed_at < $2 GROUP BY cc.category ORDER BY cc.category",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                word(
                    "category",
                    &row.get::<String, _>(0),
                    BottleneckCategory::parse,
                )?,
                row.get::<i64, _>(1) as u64,
            ))
        })
        .collect()
}

/// Outgoing escalations sent in the period: all, those the receiver accepted, and those accepted within 14 days.
const ESCALATION_LOOPS: &str = "SELECT COUNT(*), COUNT(accepted_at), \
     COALESCE(SUM(CASE WHEN accepted_at - created_at <= 1209600000 THEN 1 ELSE 0 END), 0) \
     FROM escalations WHERE direction = 'outgoing' AND created_at >= $1 AND created_at < $2";
/// Questions this node asked other regions in the period (to the network, not from elsewhere): all, those
/// another region answered, and those whose first answer from another region came within 7 days.
const CONSULTATION_LOOPS: &str = "SELECT COUNT(*), COUNT(first_answer), \
     COALESCE(SUM(CASE WHEN first_answer - asked_at <= 604800000 THEN 1 ELSE 0 END), 0) \
     FROM (SELECT c.asked_at, (SELECT MIN(a.answered_at) FROM consultation_answers a \
           WHERE a.consultation_id = c.id AND a.region <> '') AS first_answer \
           FROM consultations c WHERE c.to_network = 1 AND c.origin_region IS NULL \
           AND c.asked_at >= $1 AND c.asked_at < $2) asked";

/// The period's flow: submitted, returned, discussed, escalated, closed, sessions held. `first_day` and
/// `next_first_day` bound the sessions, which are kept by calendar date.
pub async fn totals(
    pool: &sqlx::AnyPool,
    (start, end): (i64, i64),
    (first_day, next_first_day): (&str, &str),
) -> Result<SignalTotals> {
    let count = |sql: &'static str| async move {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(start)
            .bind(end)
            .fetch_one(pool)
            .await?;
        Ok::<u64, crate::error::Error>(n as u64)
    };
    // Three counts over the same rows, read in one pass.
    let loops = |sql: &'static str| async move {
        let (all, closed, soon): (i64, i64, i64) = sqlx::query_as(sql)
            .bind(start)
            .bind(end)
            .fetch_one(pool)
            .await?;
        Ok::<_, crate::error::Error>((all as u64, closed as u64, soon as u64))
    };
    let (escalated, escalations_accepted, escalations_accepted_within_14_days) =
        loops(ESCALATION_LOOPS).await?;
    let (consultations_asked, consultations_answered, consultations_answered_within_7_days) =
        loops(CONSULTATION_LOOPS).await?;
    let sessions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM table_sessions WHERE session_date >= $1 AND session_date < $2",
    )
    .bind(first_day)
    .bind(next_first_day)
    .fetch_one(pool)
    .await?;
    Ok(SignalTotals {
        submitted: count("SELECT COUNT(*) FROM cases WHERE submitted_at >= $1 AND submitted_at < $2").await?,
        returned: count(
            "SELECT COUNT(*) FROM cases WHERE state = 'returned' AND updated_at >= $1 AND updated_at < $2",
        )
        .await?,
        discussed: count(
            "SELECT COUNT(DISTINCT case_id) FROM discussions WHERE recorded_at >= $1 AND recorded_at < $2",
        )
        .await?,
        escalated,
        closed: count(
            "SELECT COUNT(*) FROM cases WHERE state = 'closed' AND closed_at >= $1 AND closed_at < $2",
        )
        .await?,
        sessions_held: sessions as u64,
        escalations_accepted,
        escalations_accepted_within_14_days,
        consultations_asked,
        consultations_answered,
        consultations_answered_within_7_days,
    })
}
