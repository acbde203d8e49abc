//! Where an envelope goes: the routing rules of the network, apart from any transport.
//!
//! - A consultation question goes to a named region, or to every region offering one of its expertise tags.
//!   Questions carry no identifiers, so any two regions in the registry may exchange them.
//! - Escalations and their status updates carry case data (the minimum dataset): they go only to a named region
//!   that has a data-exchange covenant with the sender.
//! - Nothing goes back to the sender's own region.

use crate::error::{Error, Result};
use expertnet_federation::{Region, Registry};

/// What an envelope carries, as far as routing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cargo {
    ConsultationQuestion,
    ConsultationReply,
    Escalation,
    EscalationStatus,
}

impl Cargo {
    pub fn as_str(self) -> &'static str {
        match self {
            Cargo::ConsultationQuestion => "consultation_question",
            Cargo::ConsultationReply => "consultation_reply",
            Cargo::Escalation => "escalation",
            Cargo::EscalationStatus => "escalation_status",
        }
    }

    fn needs_covenant(self) -> bool {
        matches!(self, Cargo::Escalation | Cargo::EscalationStatus)
    }
}

/// The regions an envelope from `from` goes to.
pub fn targets<'r>(
    registry: &'r Registry,
    from: &str,
    cargo: Cargo,
    to_region: &str,
    tags: &[String],
) -> Result<Vec<&'r Region>> {
    if to_region.is_empty() {
        if cargo != Cargo::ConsultationQuestion {
            return Err(Error::invalid(
                "to_region",
                format!("a {} needs a named region", cargo.as_str()),
            ));
        }
        if tags.is_empty() {
            return Err(Error::invalid(
                "expertise_tags",
                "name a region or give at least one expertise tag",
            ));
        }
        let found = registry.by_expertise(tags, from);
        if found.is_empty() {
            return Err(Error::NotFound(format!(
                "no other region offers any of: {}",
                tags.join(", ")
            )));
        }
        return Ok(found);
    }
    let target = registry
        .get(to_region)
        .ok_or_else(|| Error::NotFound(format!("region {to_region} is not in the registry")))?;
    if target.id == from {
        return Err(Error::invalid(
            "to_region",
            "is the sender's own region; the gateway only routes between regions",
        ));
    }
    if cargo.needs_covenant() && !registry.have_covenant(from, to_region) {
        return Err(Error::PermissionDenied(format!(
            "no data-exchange covenant between {from} and {to_region}: a {} may not cross",
            cargo.as_str()
        )));
    }
    Ok(vec![target])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::parse(
            r#"
[[regions]]
id = "lekstroom"
name = "Lekstroom"
municipalities = ["Houten"]
endpoint = "https://127.0.0.1:1"
expertise = ["school-absence"]
covenants = ["rivierenland"]

[[regions]]
id = "rivierenland"
name = "Rivierenland"
municipalities = ["Tiel"]
endpoint = "https://127.0.0.1:2"
expertise = ["school-absence", "lvb"]
covenants = ["lekstroom"]

[[regions]]
id = "flevoland-utrecht"
name = "Flevoland-Utrecht"
municipalities = ["Almere"]
endpoint = "https://127.0.0.1:3"
expertise = ["residential-outflow", "lvb"]
"#,
        )
        .unwrap()
    }

    fn ids(regions: Vec<&Region>) -> Vec<&str> {
        regions.into_iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn questions_go_by_tag_or_name_to_others_only() {
        let r = registry();
        let by_tag = targets(
            &r,
            "lekstroom",
            Cargo::ConsultationQuestion,
            "",
            &["lvb".into()],
        );
        assert_eq!(ids(by_tag.unwrap()), ["flevoland-utrecht", "rivierenland"]);
        let own = targets(
            &r,
            "rivierenland",
            Cargo::ConsultationQuestion,
            "",
            &["school-absence".into()],
        );
        assert_eq!(ids(own.unwrap()), ["lekstroom"]);
        let named = targets(
            &r,
            "lekstroom",
            Cargo::ConsultationQuestion,
            "flevoland-utrecht",
            &[],
        );
        assert_eq!(
            ids(named.unwrap()),
            ["flevoland-utrecht"],
            "no covenant needed"
        );
        let none = targets(
            &r,
            "lekstroom",
            Cargo::ConsultationQuestion,
            "",
            &["astrology".into()],
        );
        assert!(matches!(none, Err(Error::NotFound(_))));
        let untagged = targets(&r, "lekstroom", Cargo::ConsultationQuestion, "", &[]);
        assert!(
            matches!(untagged, Err(Error::InvalidArgument { ref field, .. }) if field == "expertise_tags")
        );
    }

    #[test]
    fn escalations_need_a_named_region_with_a_covenant() {
        let r = registry();
        assert!(targets(&r, "lekstroom", Cargo::Escalation, "rivierenland", &[]).is_ok());
        let denied = targets(&r, "lekstroom", Cargo::Escalation, "flevoland-utrecht", &[]);
        assert!(matches!(denied, Err(Error::PermissionDenied(ref m)) if m.contains("covenant")));
        let status = targets(
            &r,
            "flevoland-utrecht",
            Cargo::EscalationStatus,
            "lekstroom",
            &[],
        );
        assert!(matches!(status, Err(Error::PermissionDenied(_))));
        let unnamed = targets(&r, "lekstroom", Cargo::Escalation, "", &["lvb".into()]);
        assert!(
            matches!(unnamed, Err(Error::InvalidArgument { ref field, .. }) if field == "to_region")
        );
        let unknown = targets(&r, "lekstroom", Cargo::Escalation, "atlantis", &[]);
        assert!(matches!(unknown, Err(Error::NotFound(_))));
        let own = targets(&r, "lekstroom", Cargo::ConsultationReply, "lekstroom", &[]);
        assert!(matches!(own, Err(Error::InvalidArgument { .. })));
    }
}
