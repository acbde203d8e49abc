//! The records of the expert table: what comes in (validated commands) and what is read back.
//!
//! `YouthIdentity` is the only type holding a youth's direct identifiers. Its `Debug` is redacted so that no log
//! line or error can print it by accident.

use super::lifecycle::CaseState;
use super::vocabulary::{
    AskerKind, AttendeeRole, BottleneckCategory, CommitmentStatus, ConsentScope,
    ConsultationStatus, DeliveryState, EnvelopeKind, EscalationDirection, EscalationStatus,
    LegalBasis, Outcome, ReferrerKind, TaskStatus,
};
use time::Date;

/// Unix time in milliseconds.
pub type Millis = i64;

/// Name, BSN and date of birth of a youth: personal data of a child.
#[derive(Clone, PartialEq, Eq)]
pub struct YouthIdentity {
    pub name: String,
    pub bsn: Option<String>,
    pub date_of_birth: Option<Date>,
}

impl std::fmt::Debug for YouthIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("YouthIdentity(redacted)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub organisation: String,
    pub kind: ReferrerKind,
}

/// A validated case submission.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub request_id: Option<String>,
    pub referrer: Referrer,
    pub youth: YouthIdentity,
    pub age: u32,
    pub municipality: String,
    pub question: String,
    pub tried_so_far: String,
    pub categories: Vec<BottleneckCategory>,
}

/// A case as lists show it: no identifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSummary {
    pub id: String,
    pub state: CaseState,
    pub referrer: Referrer,
    pub age: u32,
    pub municipality: String,
    pub categories: Vec<BottleneckCategory>,
    pub submitted_at: Millis,
    pub updated_at: Millis,
    pub intake_accepted: bool,
    pub outcome: Option<Outcome>,
    pub closed_at: Option<Millis>,
    /// How many changes the case has seen (its history length); a change applies only to the version it read.
    pub version: i64,
}

impl CaseSummary {
    /// The summary of a case just submitted, as it will read back from storage.
    pub fn submitted(id: &str, case: &NewCase, at: Millis) -> CaseSummary {
        CaseSummary {
            id: id.to_owned(),
            state: CaseState::Submitted,
            referrer: case.referrer.clone(),
            age: case.age,
            municipality: case.municipality.clone(),
            categories: case.categories.clone(),
            submitted_at: at,
            updated_at: at,
            intake_accepted: false,
            outcome: None,
            closed_at: None,
            version: 1,
        }
    }

    /// Time from submission to closing; `None` while the case is open.
    pub fn lead_time_ms(&self) -> Option<Millis> {
        self.closed_at.map(|closed| closed - self.submitted_at)
    }
}

/// One entry in a case's history: who did what, when, why, and what it did to the state.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub sequence: i64,
    pub at: Millis,
    pub actor: String,
    pub from: CaseState,
    pub to: CaseState,
    pub action: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    pub role: AttendeeRole,
    pub organisation: String,
}

/// What the table decided about one case at one session.
#[derive(Debug, Clone, PartialEq)]
pub struct Discussion {
    pub session_id: String,
    pub summary: String,
    pub next_step: String,
    pub regie_holder: String,
    pub attendees: Vec<Attendee>,
    pub youth_present: bool,
    pub parents_present: bool,
    pub recorded_at: Millis,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCommitment {
    pub provider: String,
    pub description: String,
    pub due: Date,
    pub authority_confirmed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Commitment {
    pub id: String,
    pub case_id: String,
    pub provider: String,
    pub description: String,
    pub due: Date,
    pub authority_confirmed: bool,
    pub status: CommitmentStatus,
    pub recorded_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CareArrangement {
    pub arrangement: String,
    pub case_manager: String,
    pub organisation: String,
    pub assigned_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Procesregisseur {
    pub name: String,
    pub organisation: String,
    pub appointed_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub case_id: String,
    pub description: String,
    pub owner: String,
    pub due: Date,
    pub status: TaskStatus,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgressNote {
    pub at: Millis,
    pub author: String,
    pub text: String,
}

/// A case with its whole file, still without identifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDetail {
    pub summary: CaseSummary,
    pub question: String,
    pub tried_so_far: String,
    pub return_reason: Option<String>,
    pub closing_note: Option<String>,
    pub history: Vec<Transition>,
    pub discussions: Vec<Discussion>,
    pub commitments: Vec<Commitment>,
    pub tasks: Vec<Task>,
    pub notes: Vec<ProgressNote>,
    pub care_arrangements: Vec<CareArrangement>,
    pub procesregisseur: Option<Procesregisseur>,
    pub session_ids: Vec<String>,
    /// Cases submitted before this one about the same youth at this node, oldest first.
    pub earlier_cases: Vec<String>,
}

/// The free text of an escalation: why, and — when the case's own text may not leave the node — what crosses
/// instead of its question and what was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationTexts {
    pub reason: String,
    pub question: Option<String>,
    pub tried_so_far: Option<String>,
}

/// Filters of the case list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub state: Option<CaseState>,
    pub category: Option<BottleneckCategory>,
    pub municipality: Option<String>,
    pub session_id: Option<String>,
    /// Only cases with open work due before this day.
    pub overdue_before: Option<Date>,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_after: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub date: Date,
    pub start_time: String,
    pub duration_minutes: u32,
    pub location: String,
    pub chair: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableSession {
    pub id: String,
    pub date: Date,
    pub start_time: String,
    pub duration_minutes: u32,
    pub location: String,
    pub chair: String,
    pub agenda: Vec<String>,
    pub created_at: Millis,
}

/// A session as lists show it: how many cases its agenda holds, not which (a list of sessions reads no agenda).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionListing {
    pub id: String,
    pub date: Date,
    pub start_time: String,
    pub duration_minutes: u32,
    pub location: String,
    pub chair: String,
    pub on_agenda: u64,
}

impl From<&TableSession> for SessionListing {
    fn from(session: &TableSession) -> SessionListing {
        SessionListing {
            id: session.id.clone(),
            date: session.date,
            start_time: session.start_time.clone(),
            duration_minutes: session.duration_minutes,
            location: session.location.clone(),
            chair: session.chair.clone(),
            on_agenda: session.agenda.len() as u64,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attendance {
    pub session_id: String,
    pub case_id: String,
    pub attendees: Vec<Attendee>,
    pub youth_present: bool,
    pub parents_present: bool,
}

#[derive(Debug, Clone)]
pub struct NewDiscussion {
    pub case_id: String,
    pub session_id: String,
    pub actor: String,
    pub summary: String,
    pub next_step: String,
    pub regie_holder: Option<String>,
    pub commitments: Vec<NewCommitment>,
}

#[derive(Debug, Clone)]
pub struct NewConsultation {
    pub request_id: Option<String>,
    pub asker_kind: AskerKind,
    pub asker_organisation: String,
    pub question: String,
    pub expertise_tags: Vec<String>,
    pub case_id: Option<String>,
    /// Ask other regions' experts through the gateway.
    pub to_network: bool,
    /// Ask one named region (implies `to_network`).
    pub target_region: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConsultationAnswer {
    pub expert: String,
    pub answer: String,
    pub answered_at: Millis,
    /// The region of the expert; `None` for this node's own experts.
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consultation {
    pub id: String,
    pub asker_kind: AskerKind,
    pub asker_organisation: String,
    pub question: String,
    pub expertise_tags: Vec<String>,
    pub case_id: Option<String>,
    pub status: ConsultationStatus,
    pub asked_at: Millis,
    pub answers: Vec<ConsultationAnswer>,
    /// Set when the question came from another region.
    pub origin_region: Option<String>,
    pub to_network: bool,
    pub target_region: Option<String>,
    /// The regions the gateway delivered a question asked to the network to.
    pub routed_to: Vec<String>,
    /// For a question asked to the network, or one from another region: where this node's last envelope about
    /// it (the question, or the latest answer) stands in the outbox.
    pub delivery: Option<DeliveryState>,
}

/// The consent or legal ground on record for handing a case to another region.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub case_id: String,
    /// Its number within the case.
    pub sequence: i64,
    pub basis: LegalBasis,
    /// With consent, a [`ConsentGiver`] word; with a legal ground, the ground.
    pub given_by: String,
    pub note: String,
    pub scope: ConsentScope,
    /// The region (escalate) or provider (share_with_provider) it allows; none for consult_with_identifiers.
    pub scope_target: Option<String>,
    /// The last day it holds.
    pub valid_until: Option<time::Date>,
    pub recorded_by: String,
    pub recorded_at: Millis,
    pub withdrawal: Option<ConsentWithdrawal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentWithdrawal {
    pub at: Millis,
    pub by: String,
    pub reason: String,
}

impl Consent {
    /// Whether this record allows handing the case to `region` on `today`.
    pub fn allows_escalation_to(&self, region: &str, today: time::Date) -> bool {
        self.withdrawal.is_none()
            && self.scope == ConsentScope::Escalate
            && self.scope_target.as_deref() == Some(region)
            && self.valid_until.is_none_or(|last| today <= last)
    }
}

/// A consent or legal ground as a team records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    pub basis: LegalBasis,
    pub given_by: String,
    pub note: String,
    pub scope: ConsentScope,
    pub scope_target: Option<String>,
    pub valid_until: Option<time::Date>,
}

/// What a withdrawal did.
#[derive(Debug, Clone, PartialEq)]
pub struct WithdrawalOutcome {
    pub consent: Consent,
    pub stopped: Vec<String>,
    pub delivered: Vec<String>,
}

/// A case handed from one region to another, seen from this node.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub id: String,
    pub direction: EscalationDirection,
    /// The escalated case (outgoing) or the linked case opened here (incoming).
    pub case_id: String,
    pub partner_region: String,
    /// Outgoing: the linked case over there, once received. Incoming: the sender's escalation id.
    pub partner_ref: Option<String>,
    pub legal_basis: LegalBasis,
    pub status: EscalationStatus,
    pub reason: String,
    pub status_reason: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Where this node's last envelope about the escalation stands.
    pub delivery: Option<DeliveryState>,
}

/// One envelope in the outbox, as an operator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub key: String,
    pub kind: EnvelopeKind,
    pub destination: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub created_at: Millis,
    pub next_attempt_at: Millis,
    pub last_error: String,
    pub delivered_at: Option<Millis>,
}

/// Open work past its due date, across the node.
#[derive(Debug, Clone, Default)]
pub struct Overdue {
    pub commitments: Vec<Commitment>,
    pub tasks: Vec<Task>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn consent() -> Consent {
        Consent {
            case_id: "c".into(),
            sequence: 1,
            basis: LegalBasis::Consent,
            given_by: "parent".into(),
            note: String::new(),
            scope: ConsentScope::Escalate,
            scope_target: Some("rivierenland".into()),
            valid_until: Some(date!(2026 - 12 - 31)),
            recorded_by: "ilse".into(),
            recorded_at: 0,
            withdrawal: None,
        }
    }

    #[test]
    fn a_consent_allows_its_region_until_its_last_day_unless_withdrawn() {
        let c = consent();
        assert!(c.allows_escalation_to("rivierenland", date!(2026 - 12 - 31)));
        assert!(!c.allows_escalation_to("rivierenland", date!(2027 - 01 - 01)));
        assert!(!c.allows_escalation_to("flevoland-utrecht", date!(2026 - 06 - 01)));
        let mut share = consent();
        share.scope = ConsentScope::ShareWithProvider;
        assert!(!share.allows_escalation_to("rivierenland", date!(2026 - 06 - 01)));
        let mut withdrawn = consent();
        withdrawn.withdrawal = Some(ConsentWithdrawal {
            at: 1,
            by: "ilse".into(),
            reason: "ingetrokken".into(),
        });
        assert!(!withdrawn.allows_escalation_to("rivierenland", date!(2026 - 06 - 01)));
    }
}
