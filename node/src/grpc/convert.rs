//! Conversion between the wire contract and the domain: enums by their names, dates as `YYYY-MM-DD`, records
//! field by field. Unknown enum values are refused naming the field.

use crate::domain::{self, validate};
use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use expertnet_proto::v1 as wire;

/// A domain vocabulary and the wire enum that carries it. The wire names are the domain words in capitals
/// behind the enum's prefix (`CASE_STATE_IN_PROGRESS` ↔ `in_progress`).
pub trait Vocabulary: Copy + Sized + 'static {
    const PREFIX: &'static str;
    fn word(self) -> &'static str;
    fn from_word(word: &str) -> Option<Self>;
    fn wire_name(value: i32) -> Option<&'static str>;
    fn wire_value(name: &str) -> Option<i32>;
}

macro_rules! vocabulary_on_wire {
    ($domain:ty, $wire:ty, $prefix:literal) => {
        impl Vocabulary for $domain {
            const PREFIX: &'static str = $prefix;
            fn word(self) -> &'static str {
                self.as_str()
            }
            fn from_word(word: &str) -> Option<Self> {
                <$domain>::parse(word)
            }
            fn wire_name(value: i32) -> Option<&'static str> {
                <$wire>::try_from(value).ok().map(|v| v.as_str_name())
            }
            fn wire_value(name: &str) -> Option<i32> {
                <$wire>::from_str_name(name).map(|v| v as i32)
            }
        }
    };
}

vocabulary_on_wire!(domain::CaseState, wire::CaseState, "CASE_STATE_");
vocabulary_on_wire!(
    domain::BottleneckCategory,
    wire::BottleneckCategory,
    "BOTTLENECK_CATEGORY_"
);
vocabulary_on_wire!(domain::ReferrerKind, wire::ReferrerKind, "REFERRER_KIND_");
vocabulary_on_wire!(domain::Outcome, wire::Outcome, "OUTCOME_");
vocabulary_on_wire!(domain::AttendeeRole, wire::AttendeeRole, "ATTENDEE_ROLE_");
vocabulary_on_wire!(domain::TaskStatus, wire::TaskStatus, "TASK_STATUS_");
vocabulary_on_wire!(
    domain::CommitmentStatus,
    wire::CommitmentStatus,
    "COMMITMENT_STATUS_"
);
vocabulary_on_wire!(domain::AskerKind, wire::AskerKind, "ASKER_KIND_");
vocabulary_on_wire!(
    domain::ConsultationStatus,
    wire::ConsultationStatus,
    "CONSULTATION_STATUS_"
);
vocabulary_on_wire!(domain::LegalBasis, wire::LegalBasis, "LEGAL_BASIS_");
vocabulary_on_wire!(
    domain::EscalationStatus,
    wire::EscalationStatus,
    "ESCALATION_STATUS_"
);
vocabulary_on_wire!(
    domain::EscalationDirection,
    wire::EscalationDirection,
    "ESCALATION_DIRECTION_"
);
vocabulary_on_wire!(domain::DeliveryState, wire::OutboxState, "OUTBOX_STATE_");

/// An enum field that may be left unspecified (0).
pub fn optional_enum<V: Vocabulary>(field: &str, value: i32) -> Result<Option<V>> {
    if value == 0 {
        return Ok(None);
    }
    V::wire_name(value)
        .and_then(|name| name.strip_prefix(V::PREFIX))
        .and_then(|word| V::from_word(&word.to_ascii_lowercase()))
        .map(Some)
        .ok_or_else(|| Error::invalid(field, format!("unknown value {value}")))
}

/// An enum field that must be set.
pub fn required_enum<V: Vocabulary>(field: &str, value: i32) -> Result<V> {
    optional_enum(field, value)?.ok_or_else(|| Error::invalid(field, "must be specified"))
}

pub fn wire_enum<V: Vocabulary>(value: V) -> i32 {
    V::wire_value(&format!(
        "{}{}",
        V::PREFIX,
        value.word().to_ascii_uppercase()
    ))
    .unwrap_or(0)
}

pub fn required_date(field: &str, date: Option<&wire::Date>) -> Result<time::Date> {
    validate::date(field, date.map(|d| d.iso.as_str()).unwrap_or(""))
}

pub fn optional_date(field: &str, date: Option<&wire::Date>) -> Result<Option<time::Date>> {
    match date {
        Some(d) if !d.iso.trim().is_empty() => validate::date(field, &d.iso).map(Some),
        _ => Ok(None),
    }
}

pub fn wire_date(date: time::Date) -> Option<wire::Date> {
    Some(wire::Date {
        iso: validate::format_date(date),
    })
}

/// Page tokens are opaque to clients: the id to continue after, base64url-encoded.
pub fn page_token(after: Option<String>) -> String {
    after
        .map(|id| URL_SAFE_NO_PAD.encode(id))
        .unwrap_or_default()
}

pub fn page_after(token: &str) -> Result<Option<String>> {
    if token.is_empty() {
        return Ok(None);
    }
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|id| validate::id("page_token", &id).ok())
        .map(Some)
        .ok_or_else(|| Error::invalid("page_token", "is not a token this node handed out"))
}

/// 0 means the default; more than the maximum is refused rather than silently cut.
pub fn page_size(field: &str, requested: u32, default: u32, max: u32) -> Result<u32> {
    match requested {
        0 => Ok(default),
        n if n > max => Err(Error::invalid(field, format!("must be at most {max}"))),
        n => Ok(n),
    }
}

pub fn summary(case: domain::CaseSummary) -> wire::CaseSummary {
    wire::CaseSummary {
        lead_time_ms: case.lead_time_ms().unwrap_or(0),
        state: wire_enum(case.state),
        referrer: Some(referrer(case.referrer)),
        age: case.age,
        municipality: case.municipality,
        categories: case.categories.into_iter().map(wire_enum).collect(),
        submitted_at_ms: case.submitted_at,
        updated_at_ms: case.updated_at,
        intake_accepted: case.intake_accepted,
        outcome: case.outcome.map(wire_enum).unwrap_or(0),
        closed_at_ms: case.closed_at.unwrap_or(0),
        id: case.id,
    }
}

fn referrer(referrer: domain::Referrer) -> wire::Referrer {
    wire::Referrer {
        organisation: referrer.organisation,
        kind: wire_enum(referrer.kind),
    }
}

pub fn attendee(a: domain::Attendee) -> wire::Attendee {
    wire::Attendee {
        role: wire_enum(a.role),
        organisation: a.organisation,
    }
}

pub fn commitment(c: domain::Commitment) -> wire::Commitment {
    wire::Commitment {
        id: c.id,
        case_id: c.case_id,
        provider: c.provider,
        description: c.description,
        due: wire_date(c.due),
        authority_confirmed: c.authority_confirmed,
        status: wire_enum(c.status),
        recorded_at_ms: c.recorded_at,
    }
}

pub fn task(t: domain::Task) -> wire::Task {
    wire::Task {
        id: t.id,
        case_id: t.case_id,
        description: t.description,
        owner: t.owner,
        due: wire_date(t.due),
        status: wire_enum(t.status),
        created_at_ms: t.created_at,
        updated_at_ms: t.updated_at,
    }
}

pub fn note(n: domain::ProgressNote) -> wire::ProgressNote {
    wire::ProgressNote {
        at_ms: n.at,
        author: n.author,
        text: n.text,
    }
}

pub fn care_arrangement(a: domain::CareArrangement) -> wire::CareArrangement {
    wire::CareArrangement {
        arrangement: a.arrangement,
        case_manager: a.case_manager,
        organisation: a.organisation,
        assigned_at_ms: a.assigned_at,
    }
}

pub fn procesregisseur(p: domain::Procesregisseur) -> wire::Procesregisseur {
    wire::Procesregisseur {
        name: p.name,
        organisation: p.organisation,
        appointed_at_ms: p.appointed_at,
    }
}

pub fn detail(d: domain::CaseDetail) -> wire::CaseDetail {
    wire::CaseDetail {
        summary: Some(summary(d.summary)),
        question: d.question,
        tried_so_far: d.tried_so_far,
        return_reason: d.return_reason.unwrap_or_default(),
        closing_note: d.closing_note.unwrap_or_default(),
        history: d
            .history
            .into_iter()
            .map(|t| wire::Transition {
                sequence: u64::try_from(t.sequence).unwrap_or(0),
                at_ms: t.at,
                actor: t.actor,
                from_state: wire_enum(t.from),
                to_state: wire_enum(t.to),
                action: t.action,
                reason: t.reason,
            })
            .collect(),
        discussions: d
            .discussions
            .into_iter()
            .map(|x| wire::Discussion {
                session_id: x.session_id,
                summary: x.summary,
                next_step: x.next_step,
                regie_holder: x.regie_holder,
                attendees: x.attendees.into_iter().map(attendee).collect(),
                youth_present: x.youth_present,
                parents_present: x.parents_present,
                recorded_at_ms: x.recorded_at,
                recorded_by: x.recorded_by,
            })
            .collect(),
        commitments: d.commitments.into_iter().map(commitment).collect(),
        tasks: d.tasks.into_iter().map(task).collect(),
        notes: d.notes.into_iter().map(note).collect(),
        care_arrangements: d
            .care_arrangements
            .into_iter()
            .map(care_arrangement)
            .collect(),
        procesregisseur: d.procesregisseur.map(procesregisseur),
        session_ids: d.session_ids,
        earlier_case_ids: d.earlier_cases,
    }
}

pub fn session(s: domain::TableSession) -> wire::TableSession {
    wire::TableSession {
        id: s.id,
        date: wire_date(s.date),
        start_time: s.start_time,
        duration_minutes: s.duration_minutes,
        location: s.location,
        chair: s.chair,
        agenda_case_ids: s.agenda,
        created_at_ms: s.created_at,
    }
}

pub fn consultation(c: domain::Consultation) -> wire::Consultation {
    wire::Consultation {
        id: c.id,
        asker_kind: wire_enum(c.asker_kind),
        asker_organisation: c.asker_organisation,
        question: c.question,
        expertise_tags: c.expertise_tags,
        case_id: c.case_id.unwrap_or_default(),
        status: wire_enum(c.status),
        asked_at_ms: c.asked_at,
        answers: c
            .answers
            .into_iter()
            .map(|a| wire::ConsultationAnswer {
                expert: a.expert,
                answer: a.answer,
                answered_at_ms: a.answered_at,
                region: a.region.unwrap_or_default(),
            })
            .collect(),
        origin_region: c.origin_region.unwrap_or_default(),
        target_region: c.target_region.unwrap_or_default(),
        routed_to: c.routed_to,
        delivery: c.delivery.map_or(0, wire_enum),
    }
}

pub fn consent(c: domain::Consent) -> wire::Consent {
    let withdrawal = c.withdrawal.unwrap_or(domain::ConsentWithdrawal {
        at: 0,
        by: String::new(),
        reason: String::new(),
    });
    wire::Consent {
        case_id: c.case_id,
        basis: wire_enum(c.basis),
        given_by: c.given_by,
        note: c.note,
        recorded_by: c.recorded_by,
        recorded_at_ms: c.recorded_at,
        sequence: c.sequence,
        scope: c.scope.as_str().to_owned(),
        scope_target: c.scope_target.unwrap_or_default(),
        valid_until: c.valid_until.and_then(wire_date),
        withdrawn_at_ms: withdrawal.at,
        withdrawn_by: withdrawal.by,
        withdrawal_reason: withdrawal.reason,
    }
}

pub fn escalation(e: domain::Escalation) -> wire::Escalation {
    let partner_case_id = match e.direction {
        domain::EscalationDirection::Outgoing => e.partner_ref.unwrap_or_default(),
        domain::EscalationDirection::Incoming => String::new(),
    };
    wire::Escalation {
        id: e.id,
        direction: wire_enum(e.direction),
        case_id: e.case_id,
        partner_region: e.partner_region,
        status: wire_enum(e.status),
        reason: e.reason,
        status_reason: e.status_reason,
        partner_case_id,
        created_at_ms: e.created_at,
        updated_at_ms: e.updated_at,
        delivery: e.delivery.map_or(0, wire_enum),
    }
}

pub fn outbox_entry(e: domain::OutboxEntry) -> wire::OutboxEntry {
    wire::OutboxEntry {
        key: e.key,
        kind: e.kind.as_str().to_owned(),
        destination: e.destination,
        state: wire_enum(e.state),
        attempts: e.attempts,
        created_at_ms: e.created_at,
        next_attempt_at_ms: e.next_attempt_at,
        last_error: e.last_error,
        delivered_at_ms: e.delivered_at.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_word_has_a_wire_value_and_back() {
        for state in domain::CaseState::ALL {
            let value = wire_enum(state);
            assert_ne!(value, 0, "{state}");
            assert_eq!(
                required_enum::<domain::CaseState>("s", value).unwrap(),
                state
            );
        }
        for c in domain::BottleneckCategory::ALL {
            assert_eq!(optional_enum("c", wire_enum(*c)).unwrap(), Some(*c));
        }
        for r in domain::AttendeeRole::ALL {
            assert_eq!(optional_enum("r", wire_enum(*r)).unwrap(), Some(*r));
        }
        for o in domain::Outcome::ALL {
            assert_eq!(optional_enum("o", wire_enum(*o)).unwrap(), Some(*o));
        }
    }

    #[test]
    fn unknown_and_missing_enum_values_name_the_field() {
        let err = required_enum::<domain::Outcome>("outcome", 99).unwrap_err();
        assert_eq!(err.to_string(), "outcome: unknown value 99");
        let err = required_enum::<domain::Outcome>("outcome", 0).unwrap_err();
        assert_eq!(err.to_string(), "outcome: must be specified");
    }

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        let id = "0190f2a4-5b6c-7d8e-9f00-112233445566".to_owned();
        assert_eq!(page_after(&page_token(Some(id.clone()))).unwrap(), Some(id));
        assert!(page_after("!!!").is_err());
        assert!(page_after(&URL_SAFE_NO_PAD.encode("x")).is_err());
    }
}
