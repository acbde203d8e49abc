//! The checks on a snapshot before it is stored: it is of the sending region, of a real quarter, and only counts
//! in the fixed dimensions — each cell once, every enum known.

use crate::error::Error;
use expertnet_proto::v1::{
    AgeBand, BottleneckCategory, LeadTimeBand, Outcome, SignalSnapshot, SignalTotals,
};
use std::collections::HashSet;

/// More than any region closes in a quarter by orders of magnitude; a larger count is an error.
const MAX_COUNT: u64 = 10_000_000;

/// A quarter written `2026-Q1`, as (year, quarter).
pub fn quarter(period: &str) -> Option<(i32, u8)> {
    let (year, quarter) = period.split_once("-Q")?;
    let year = year
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))?;
    let quarter = quarter.parse::<u8>().ok().filter(|q| (1..=4).contains(q))?;
    Some((year, quarter))
}

/// A quarter written `2026-Q1`, or an error naming `field`.
pub fn check_period(field: &str, period: &str) -> Result<(), Error> {
    quarter(period)
        .map(|_| ())
        .ok_or_else(|| Error::invalid(field, format!("'{period}' is not a quarter like 2026-Q1")))
}

fn known<T: TryFrom<i32>>(field: &str, value: i32) -> Result<(), Error> {
    if value != 0 && T::try_from(value).is_ok() {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{value} is not a known value"),
        ))
    }
}

fn bounded(field: &str, count: u64) -> Result<(), Error> {
    if count > MAX_COUNT {
        return Err(Error::invalid(
            field,
            format!("{count} is more than {MAX_COUNT}"),
        ));
    }
    Ok(())
}

/// Checks a snapshot sent by `caller`.
pub fn check(snapshot: &SignalSnapshot, caller: &str) -> Result<(), Error> {
    if snapshot.region != caller {
        tracing::warn!(caller, claimed = %snapshot.region, "refused: snapshot claims another region");
        return Err(Error::PermissionDenied(format!(
            "region: {caller} may not send signals of {}",
            snapshot.region
        )));
    }
    check_period("period", &snapshot.period)?;
    let mut seen = HashSet::new();
    for (i, cell) in snapshot.cells.iter().enumerate() {
        let field = |name: &str| format!("cells[{i}].{name}");
        known::<BottleneckCategory>(&field("category"), cell.category)?;
        known::<AgeBand>(&field("age_band"), cell.age_band)?;
        known::<Outcome>(&field("outcome"), cell.outcome)?;
        known::<LeadTimeBand>(&field("lead_time"), cell.lead_time)?;
        bounded(&field("count"), cell.count)?;
        if !seen.insert((cell.category, cell.age_band, cell.outcome, cell.lead_time)) {
            return Err(Error::invalid(
                format!("cells[{i}]"),
                "the same cell is given twice",
            ));
        }
    }
    let totals = snapshot
        .totals
        .ok_or_else(|| Error::invalid("totals", "must be given"))?;
    let SignalTotals {
        submitted,
        returned,
        discussed,
        escalated,
        closed,
        sessions_held,
        escalations_accepted,
        escalations_accepted_within_14_days,
        consultations_asked,
        consultations_answered,
        consultations_answered_within_7_days,
    } = totals;
    for (name, count) in [
        ("submitted", submitted),
        ("returned", returned),
        ("discussed", discussed),
        ("escalated", escalated),
        ("closed", closed),
        ("sessions_held", sessions_held),
        ("escalations_accepted", escalations_accepted),
        (
            "escalations_accepted_within_14_days",
            escalations_accepted_within_14_days,
        ),
        ("consultations_asked", consultations_asked),
        ("consultations_answered", consultations_answered),
        (
            "consultations_answered_within_7_days",
            consultations_answered_within_7_days,
        ),
    ] {
        bounded(&format!("totals.{name}"), count)?;
    }
    // Each outcome measure counts some of the one before it.
    for (part, part_count, whole, whole_count) in [
        (
            "escalations_accepted",
            escalations_accepted,
            "escalated",
            escalated,
        ),
        (
            "escalations_accepted_within_14_days",
            escalations_accepted_within_14_days,
            "escalations_accepted",
            escalations_accepted,
        ),
        (
            "consultations_answered",
            consultations_answered,
            "consultations_asked",
            consultations_asked,
        ),
        (
            "consultations_answered_within_7_days",
            consultations_answered_within_7_days,
            "consultations_answered",
            consultations_answered,
        ),
    ] {
        if part_count > whole_count {
            return Err(Error::invalid(
                format!("totals.{part}"),
                format!(
                    "is {part_count}, more than the {whole_count} of totals.{whole} it is part of"
                ),
            ));
        }
    }
    let in_cells: u64 = snapshot.cells.iter().map(|c| c.count).sum();
    if in_cells != closed {
        return Err(Error::invalid(
            "cells",
            format!("hold {in_cells} closed cases but totals.closed is {closed}"),
        ));
    }
    let mut categories = HashSet::new();
    for (i, signal) in snapshot.no_fitting_answer.iter().enumerate() {
        known::<BottleneckCategory>(&format!("no_fitting_answer[{i}].category"), signal.category)?;
        bounded(&format!("no_fitting_answer[{i}].count"), signal.count)?;
        if !categories.insert(signal.category) {
            return Err(Error::invalid(
                format!("no_fitting_answer[{i}]"),
                "the same category is given twice",
            ));
        }
    }
    Ok(())
}
