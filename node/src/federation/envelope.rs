//! The outbox's and the inbox's wire form: a [`Crossing`] as the contract's `Envelope` and back. The outbox
//! stores envelopes as canonical protobuf JSON, so an operator can read a dead letter.

use crate::domain::federation::{Crossing, Destination, MinimumDataset, Outgoing};
use crate::domain::validate;
use crate::error::{Error, Result};
use crate::grpc::convert::{required_enum, wire_enum};
use expertnet_federation::registry::is_region_id;
use expertnet_proto::v1 as wire;
use expertnet_proto::v1::envelope::Body;

/// The envelope for `outgoing`, sent by `from_region`.
pub fn encode(from_region: &str, outgoing: &Outgoing) -> wire::Envelope {
    let (to_region, expertise_tags) = match &outgoing.destination {
        Destination::Region(id) => (id.clone(), Vec::new()),
        Destination::Expertise(tags) => (String::new(), tags.clone()),
    };
    let body = match outgoing.crossing.clone() {
        Crossing::ConsultationQuestion {
            consultation_id,
            asker_kind,
            asker_organisation,
            question,
            expertise_tags,
            asked_at,
        } => Body::ConsultationQuestion(wire::ConsultationQuestion {
            consultation_id,
            asker_kind: wire_enum(asker_kind),
            asker_organisation,
            question,
            expertise_tags,
            asked_at_ms: asked_at,
        }),
        Crossing::ConsultationReply {
            consultation_id,
            expert,
            answer,
            answered_at,
        } => Body::ConsultationReply(wire::ConsultationReply {
            consultation_id,
            expert,
            answer,
            answered_at_ms: answered_at,
        }),
        Crossing::Escalation(m) => Body::Escalation(wire::EscalationPackage {
            escalation_id: m.escalation_id,
            legal_basis: wire_enum(m.legal_basis),
            reason: m.reason,
            referrer_kind: wire_enum(m.referrer_kind),
            contact_organisation: m.contact_organisation,
            age: m.age,
            municipality: m.municipality,
            categories: m.categories.into_iter().map(wire_enum).collect(),
            question: m.question,
            tried_so_far: m.tried_so_far,
            escalated_at_ms: m.escalated_at,
        }),
        Crossing::EscalationStatus {
            escalation_id,
            status,
            reason,
            linked_case_id,
            at,
        } => Body::EscalationStatus(wire::EscalationStatusUpdate {
            escalation_id,
            status: wire_enum(status),
            reason,
            linked_case_id,
            at_ms: at,
        }),
    };
    wire::Envelope {
        key: outgoing.key.clone(),
        from_region: from_region.to_owned(),
        to_region,
        expertise_tags,
        body: Some(body),
    }
}

pub fn to_json(envelope: &wire::Envelope) -> String {
    serde_json::to_string(envelope).expect("an envelope always serialises")
}

pub fn from_json(text: &str) -> Result<wire::Envelope> {
    serde_json::from_str(text).map_err(|e| Error::Unreadable(format!("outbox envelope: {e}")))
}

/// An envelope taken in: its key, the sending region (checked by the gateway) and what it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub key: String,
    pub from_region: String,
    pub crossing: Crossing,
}

/// Checks an envelope delivered by the gateway; a bad field is refused by name.
pub fn decode(envelope: wire::Envelope) -> Result<Incoming> {
    if !is_region_id(&envelope.from_region) {
        return Err(Error::invalid("from_region", "is not a region id"));
    }
    let key = validate::short_text("key", &envelope.key)?;
    let crossing = match envelope.body {
        None => return Err(Error::invalid("body", "is required")),
        Some(Body::ConsultationQuestion(q)) => Crossing::ConsultationQuestion {
            consultation_id: validate::id(
                "consultation_question.consultation_id",
                &q.consultation_id,
            )?,
            asker_kind: required_enum("consultation_question.asker_kind", q.asker_kind)?,
            asker_organisation: validate::optional_short_text(
                "consultation_question.asker_organisation",
                &q.asker_organisation,
            )?
            .unwrap_or_default(),
            question: validate::long_text("consultation_question.question", &q.question)?,
            expertise_tags: q.expertise_tags,
            asked_at: q.asked_at_ms,
        },
        Some(Body::ConsultationReply(r)) => Crossing::ConsultationReply {
            consultation_id: validate::id(
                "consultation_reply.consultation_id",
                &r.consultation_id,
            )?,
            expert: validate::short_text("consultation_reply.expert", &r.expert)?,
            answer: validate::long_text("consultation_reply.answer", &r.answer)?,
            answered_at: r.answered_at_ms,
        },
        Some(Body::Escalation(p)) => {
            let categories = p
                .categories
                .iter()
                .enumerate()
                .map(|(i, c)| required_enum(&format!("escalation.categories[{i}]"), *c))
                .collect::<Result<Vec<_>>>()?;
            if categories.is_empty() {
                return Err(Error::invalid("escalation.categories", "at least one"));
            }
            Crossing::Escalation(MinimumDataset {
                escalation_id: validate::id("escalation.escalation_id", &p.escalation_id)?,
                legal_basis: required_enum("escalation.legal_basis", p.legal_basis)?,
                reason: validate::long_text("escalation.reason", &p.reason)?,
                referrer_kind: required_enum("escalation.referrer_kind", p.referrer_kind)?,
                contact_organisation: validate::short_text(
                    "escalation.contact_organisation",
                    &p.contact_organisation,
                )?,
                age: if p.age <= 30 {
                    p.age
                } else {
                    return Err(Error::invalid("escalation.age", "must be at most 30"));
                },
                municipality: validate::short_text("escalation.municipality", &p.municipality)?,
                categories,
                question: validate::long_text("escalation.question", &p.question)?,
                tried_so_far: validate::long_text("escalation.tried_so_far", &p.tried_so_far)?,
                escalated_at: p.escalated_at_ms,
            })
        }
        Some(Body::EscalationStatus(s)) => Crossing::EscalationStatus {
            escalation_id: validate::id("escalation_status.escalation_id", &s.escalation_id)?,
            status: required_enum("escalation_status.status", s.status)?,
            reason: validate::optional_long_text("escalation_status.reason", &s.reason)?,
            linked_case_id: validate::id("escalation_status.linked_case_id", &s.linked_case_id)?,
            at: s.at_ms,
        },
    };
    Ok(Incoming {
        key,
        from_region: envelope.from_region,
        crossing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    #[test]
    fn envelopes_round_trip_through_json() {
        let outgoing = Outgoing {
            key: "esc:0190f2a4-5b6c-7d8e-9f00-112233445566".into(),
            destination: Destination::Region("rivierenland".into()),
            crossing: Crossing::Escalation(MinimumDataset {
                escalation_id: "0190f2a4-5b6c-7d8e-9f00-112233445566".into(),
                legal_basis: LegalBasis::Consent,
                reason: "Geen passend aanbod in de regio".into(),
                referrer_kind: ReferrerKind::SocialTeam,
                contact_organisation: "Sociaal team Houten".into(),
                age: 15,
                municipality: "Houten".into(),
                categories: vec![BottleneckCategory::ResidentialOutflow],
                question: "Waar kan zij wonen?".into(),
                tried_so_far: "Twee plaatsingen".into(),
                escalated_at: 1_700_000_000_000,
            }),
        };
        let json = to_json(&encode("lekstroom", &outgoing));
        let incoming = decode(from_json(&json).unwrap()).unwrap();
        assert_eq!(incoming.key, outgoing.key);
        assert_eq!(incoming.from_region, "lekstroom");
        assert_eq!(incoming.crossing, outgoing.crossing);
    }

    #[test]
    fn bad_envelopes_name_the_field() {
        let mut envelope = encode(
            "lekstroom",
            &Outgoing {
                key: "k".into(),
                destination: Destination::Region("rivierenland".into()),
                crossing: Crossing::ConsultationReply {
                    consultation_id: "0190f2a4-5b6c-7d8e-9f00-112233445566".into(),
                    expert: "".into(),
                    answer: "Ja".into(),
                    answered_at: 0,
                },
            },
        );
        let err = decode(envelope.clone()).unwrap_err();
        assert!(
            err.to_string().contains("consultation_reply.expert"),
            "{err}"
        );
        envelope.body = None;
        assert!(decode(envelope).unwrap_err().to_string().contains("body"));
    }
}
