//! What crosses a node's border, free of transport: the four kinds of envelope and the minimum dataset of an
//! escalation. `federation::envelope` turns them into the contract's `Envelope` and back.

use super::*;

/// The minimum dataset of an escalation: enough for the receiving table to judge and take up the question,
/// nothing that identifies the youth. Name, BSN, date of birth, the case's history, discussions and plan stay
/// with the sender.
#[derive(Debug, Clone, PartialEq)]
pub struct MinimumDataset {
    pub escalation_id: String,
    pub legal_basis: LegalBasis,
    pub reason: String,
    pub referrer_kind: ReferrerKind,
    /// The team at the sending region to contact: an organisation, never a person's private details.
    pub contact_organisation: String,
    pub age: u32,
    pub municipality: String,
    pub categories: Vec<BottleneckCategory>,
    pub question: String,
    pub tried_so_far: String,
    pub escalated_at: Millis,
}

/// One item crossing between regions.
#[derive(Debug, Clone, PartialEq)]
pub enum Crossing {
    /// A question to other regions' experts, without case link or identifiers.
    ConsultationQuestion {
        consultation_id: String,
        asker_kind: AskerKind,
        asker_organisation: String,
        question: String,
        expertise_tags: Vec<String>,
        asked_at: Millis,
    },
    /// An answer to the asking region's question `consultation_id`.
    ConsultationReply {
        consultation_id: String,
        expert: String,
        answer: String,
        answered_at: Millis,
    },
    Escalation(MinimumDataset),
    /// The receiving region's news about the sender's escalation `escalation_id`.
    EscalationStatus {
        escalation_id: String,
        status: EscalationStatus,
        reason: String,
        linked_case_id: String,
        at: Millis,
    },
}

impl Crossing {
    pub fn kind(&self) -> EnvelopeKind {
        match self {
            Crossing::ConsultationQuestion { .. } => EnvelopeKind::ConsultationQuestion,
            Crossing::ConsultationReply { .. } => EnvelopeKind::ConsultationReply,
            Crossing::Escalation(_) => EnvelopeKind::Escalation,
            Crossing::EscalationStatus { .. } => EnvelopeKind::EscalationStatus,
        }
    }
}

/// Where an envelope goes: one named region, or every region offering one of the tags.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    Region(String),
    Expertise(Vec<String>),
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Region(id) => f.write_str(id),
            Destination::Expertise(tags) => write!(f, "expertise: {}", tags.join(", ")),
        }
    }
}

/// An envelope about to enter the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub key: String,
    pub destination: Destination,
    pub crossing: Crossing,
}

impl EscalationStatus {
    /// Statuses only move forward; a late, older update changes nothing.
    pub fn rank(self) -> u8 {
        match self {
            EscalationStatus::Sent => 0,
            EscalationStatus::Received => 1,
            EscalationStatus::Accepted => 2,
            EscalationStatus::Returned | EscalationStatus::Closed | EscalationStatus::Withdrawn => {
                3
            }
        }
    }
}
