//! Human tables and JSON. JSON is the canonical protobuf mapping of the reply, so scripts see the same field
//! names as the contract.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use expertnet_proto::v1 as wire;
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;

pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints `value` as JSON or through `human`.
pub fn emit<T: Serialize>(value: &T, as_json: bool, human: impl FnOnce(&T)) -> anyhow::Result<()> {
    if as_json {
        json(value)
    } else {
        human(value);
        Ok(())
    }
}

pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    table
}

pub fn timestamp(ms: i64) -> String {
    if ms == 0 {
        return String::new();
    }
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
                .ok()
        })
        .unwrap_or_default()
}

/// An enum's wire name without its prefix, in lowercase: `CASE_STATE_IN_PROGRESS` → `in_progress`.
pub fn word(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix)
        .unwrap_or(name)
        .to_ascii_lowercase()
}

pub fn state(value: i32) -> String {
    wire::CaseState::try_from(value)
        .map(|s| word(s.as_str_name(), "CASE_STATE_"))
        .unwrap_or_default()
}

pub fn categories(values: &[i32]) -> String {
    values
        .iter()
        .filter_map(|v| wire::BottleneckCategory::try_from(*v).ok())
        .map(|c| word(c.as_str_name(), "BOTTLENECK_CATEGORY_"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn outcome(value: i32) -> String {
    match wire::Outcome::try_from(value) {
        Ok(wire::Outcome::Unspecified) | Err(_) => String::new(),
        Ok(o) => word(o.as_str_name(), "OUTCOME_"),
    }
}

pub fn date(date: &Option<wire::Date>) -> String {
    date.as_ref().map(|d| d.iso.clone()).unwrap_or_default()
}

pub fn days(ms: i64) -> String {
    if ms <= 0 {
        String::new()
    } else {
        format!("{:.1} d", ms as f64 / 86_400_000.0)
    }
}

pub fn print_summaries(cases: &[wire::CaseSummary]) {
    let mut t = table(&[
        "id",
        "state",
        "categories",
        "municipality",
        "age",
        "referrer",
        "submitted",
        "outcome",
    ]);
    for c in cases {
        t.add_row(vec![
            c.id.clone(),
            state(c.state),
            categories(&c.categories),
            c.municipality.clone(),
            c.age.to_string(),
            c.referrer
                .as_ref()
                .map(|r| r.organisation.clone())
                .unwrap_or_default(),
            timestamp(c.submitted_at_ms),
            outcome(c.outcome),
        ]);
    }
    println!("{t}");
}

pub fn print_summary(c: &wire::CaseSummary) {
    let mut t = table(&["field", "value"]);
    t.add_row(vec!["id".to_string(), c.id.clone()]);
    t.add_row(vec!["state".to_string(), state(c.state)]);
    t.add_row(vec![
        "intake accepted".to_string(),
        c.intake_accepted.to_string(),
    ]);
    t.add_row(vec!["categories".to_string(), categories(&c.categories)]);
    t.add_row(vec!["municipality".to_string(), c.municipality.clone()]);
    t.add_row(vec!["age".to_string(), c.age.to_string()]);
    if let Some(r) = &c.referrer {
        let kind = wire::ReferrerKind::try_from(r.kind)
            .map(|k| word(k.as_str_name(), "REFERRER_KIND_"))
            .unwrap_or_default();
        t.add_row(vec![
            "referrer".to_string(),
            format!("{} ({kind})", r.organisation),
        ]);
    }
    t.add_row(vec!["submitted".to_string(), timestamp(c.submitted_at_ms)]);
    t.add_row(vec!["updated".to_string(), timestamp(c.updated_at_ms)]);
    if c.closed_at_ms != 0 {
        t.add_row(vec!["closed".to_string(), timestamp(c.closed_at_ms)]);
        t.add_row(vec!["outcome".to_string(), outcome(c.outcome)]);
        t.add_row(vec!["lead time".to_string(), days(c.lead_time_ms)]);
    }
    println!("{t}");
}

pub fn print_commitments(commitments: &[wire::Commitment]) {
    let mut t = table(&[
        "commitment",
        "case",
        "provider",
        "what",
        "due",
        "authority",
        "status",
    ]);
    for c in commitments {
        t.add_row(vec![
            c.id.clone(),
            c.case_id.clone(),
            c.provider.clone(),
            c.description.clone(),
            date(&c.due),
            if c.authority_confirmed { "yes" } else { "no" }.to_string(),
            wire::CommitmentStatus::try_from(c.status)
                .map(|s| word(s.as_str_name(), "COMMITMENT_STATUS_"))
                .unwrap_or_default(),
        ]);
    }
    println!("{t}");
}

pub fn print_tasks(tasks: &[wire::Task]) {
    let mut t = table(&["task", "case", "what", "owner", "due", "status"]);
    for task in tasks {
        t.add_row(vec![
            task.id.clone(),
            task.case_id.clone(),
            task.description.clone(),
            task.owner.clone(),
            date(&task.due),
            wire::TaskStatus::try_from(task.status)
                .map(|s| word(s.as_str_name(), "TASK_STATUS_"))
                .unwrap_or_default(),
        ]);
    }
    println!("{t}");
}

pub fn print_detail(d: &wire::CaseDetail) {
    if let Some(s) = &d.summary {
        print_summary(s);
    }
    println!("question: {}", d.question);
    println!("tried so far: {}", d.tried_so_far);
    if !d.earlier_case_ids.is_empty() {
        println!(
            "this youth was at the table before: {}",
            d.earlier_case_ids.join(", ")
        );
    }
    if !d.return_reason.is_empty() {
        println!("returned because: {}", d.return_reason);
    }
    if !d.closing_note.is_empty() {
        println!("closing note: {}", d.closing_note);
    }
    if let Some(p) = &d.procesregisseur {
        println!(
            "procesregisseur: {} ({}) since {}",
            p.name,
            p.organisation,
            timestamp(p.appointed_at_ms)
        );
    }
    for a in &d.care_arrangements {
        println!(
            "care arrangement {}: case manager {} ({})",
            a.arrangement, a.case_manager, a.organisation
        );
    }
    for x in &d.discussions {
        println!(
            "discussed at session {} — next step: {} — regie: {} — youth present: {}, parents present: {}",
            x.session_id, x.next_step, x.regie_holder, x.youth_present, x.parents_present
        );
    }
    if !d.commitments.is_empty() {
        print_commitments(&d.commitments);
    }
    if !d.tasks.is_empty() {
        print_tasks(&d.tasks);
    }
    for n in &d.notes {
        println!("note {} by {}: {}", timestamp(n.at_ms), n.author, n.text);
    }
    let mut t = table(&["#", "when", "who", "from", "to", "action", "why"]);
    for h in &d.history {
        t.add_row(vec![
            h.sequence.to_string(),
            timestamp(h.at_ms),
            h.actor.clone(),
            state(h.from_state),
            state(h.to_state),
            h.action.clone(),
            h.reason.clone(),
        ]);
    }
    println!("history:\n{t}");
}

pub fn print_session(s: &wire::TableSession) {
    let mut t = table(&[
        "session", "date", "start", "minutes", "location", "chair", "agenda",
    ]);
    t.add_row(vec![
        s.id.clone(),
        date(&s.date),
        s.start_time.clone(),
        s.duration_minutes.to_string(),
        s.location.clone(),
        s.chair.clone(),
        s.agenda_case_ids.join("\n"),
    ]);
    println!("{t}");
}

pub fn print_consultation(c: &wire::Consultation) {
    let status = wire::ConsultationStatus::try_from(c.status)
        .map(|s| word(s.as_str_name(), "CONSULTATION_STATUS_"))
        .unwrap_or_default();
    println!(
        "consultation {} ({status}), asked {}",
        c.id,
        timestamp(c.asked_at_ms)
    );
    println!("tags: {}", c.expertise_tags.join(", "));
    println!("question: {}", c.question);
    if !c.origin_region.is_empty() {
        println!("asked by region {}", c.origin_region);
    }
    if !c.target_region.is_empty() {
        println!("asked to region {}", c.target_region);
    }
    if !c.routed_to.is_empty() {
        println!("delivered to: {}", c.routed_to.join(", "));
    }
    if c.delivery != 0 {
        println!("delivery: {}", delivery(c.delivery));
    }
    for a in &c.answers {
        let from = if a.region.is_empty() {
            String::new()
        } else {
            format!(" ({})", a.region)
        };
        println!(
            "answer by {}{from} at {}: {}",
            a.expert,
            timestamp(a.answered_at_ms),
            a.answer
        );
    }
}

pub fn delivery(value: i32) -> String {
    wire::OutboxState::try_from(value)
        .map(|s| word(s.as_str_name(), "OUTBOX_STATE_"))
        .unwrap_or_default()
}

pub fn print_consent(c: &wire::Consent) {
    let basis = wire::LegalBasis::try_from(c.basis)
        .map(|b| word(b.as_str_name(), "LEGAL_BASIS_"))
        .unwrap_or_default();
    let target = if c.scope_target.is_empty() {
        String::new()
    } else {
        format!(" {}", c.scope_target)
    };
    let until = match &c.valid_until {
        Some(_) => format!(", until {}", date(&c.valid_until)),
        None => String::new(),
    };
    println!(
        "{basis} {} for case {}: {}{target}{until}; given by {}, recorded by {} at {}",
        c.sequence,
        c.case_id,
        c.scope,
        c.given_by,
        c.recorded_by,
        timestamp(c.recorded_at_ms)
    );
    if c.withdrawn_at_ms > 0 {
        println!(
            "withdrawn by {} at {}: {}",
            c.withdrawn_by,
            timestamp(c.withdrawn_at_ms),
            c.withdrawal_reason
        );
    }
}

pub fn print_withdrawal(w: &wire::WithdrawConsentReply) {
    if let Some(consent) = &w.consent {
        print_consent(consent);
    }
    println!(
        "stopped before leaving: {}",
        if w.stopped_escalation_ids.is_empty() {
            "none".to_owned()
        } else {
            w.stopped_escalation_ids.join(", ")
        }
    );
    if !w.delivered_escalation_ids.is_empty() {
        println!(
            "already delivered (the other region has them): {}",
            w.delivered_escalation_ids.join(", ")
        );
    }
}

pub fn print_escalations(escalations: &[wire::Escalation]) {
    let mut table = table(&[
        "escalation",
        "direction",
        "case",
        "region",
        "status",
        "delivery",
        "reason",
        "their case",
    ]);
    for e in escalations {
        let direction = wire::EscalationDirection::try_from(e.direction)
            .map(|d| word(d.as_str_name(), "ESCALATION_DIRECTION_"))
            .unwrap_or_default();
        let status = wire::EscalationStatus::try_from(e.status)
            .map(|s| word(s.as_str_name(), "ESCALATION_STATUS_"))
            .unwrap_or_default();
        let reason = if e.status_reason.is_empty() {
            e.reason.clone()
        } else {
            format!("{} — {}", e.reason, e.status_reason)
        };
        table.add_row([
            e.id.clone(),
            direction,
            e.case_id.clone(),
            e.partner_region.clone(),
            status,
            delivery(e.delivery),
            reason,
            e.partner_case_id.clone(),
        ]);
    }
    println!("{table}");
}

pub fn print_outbox(entries: &[wire::OutboxEntry]) {
    let mut table = table(&[
        "key",
        "kind",
        "to",
        "state",
        "attempts",
        "written",
        "last error",
    ]);
    for e in entries {
        table.add_row([
            e.key.clone(),
            e.kind.clone(),
            e.destination.clone(),
            delivery(e.state),
            e.attempts.to_string(),
            timestamp(e.created_at_ms),
            e.last_error.clone(),
        ]);
    }
    println!("{table}");
}
