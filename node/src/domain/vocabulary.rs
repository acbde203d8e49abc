//! The fixed vocabularies of the expert table: bottleneck categories, referrer kinds, outcomes, attendee roles
//! and task, commitment and consultation states. Each has one stable text form, used in storage and the CLI.

/// Declares a vocabulary: an enum with a stable text form per variant, `ALL`, `as_str` and `parse`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// Why a case got stuck; the list the regions' seeds name, documented in the README.
    BottleneckCategory {
        ResidentialOutflow => "residential_outflow",
        CustomResidentialCare => "custom_residential_care",
        WaitingList => "waiting_list",
        SchoolAbsence => "school_absence",
        MultiProblemFamily => "multi_problem_family",
        MentalHealthAddiction => "mental_health_addiction",
        MildIntellectualDisability => "mild_intellectual_disability",
        FundingDispute => "funding_dispute",
        TransitionToAdulthood => "transition_to_adulthood",
        Other => "other",
    }
}

vocabulary! {
    /// Who brought a case to the table: a municipality's social or district team, or a care provider.
    ReferrerKind {
        SocialTeam => "social_team",
        CareProvider => "care_provider",
    }
}

vocabulary! {
    /// How a case ended. `NoFittingAnswer` marks a signal: no provider has an answer yet.
    Outcome {
        Solved => "solved",
        PartlySolved => "partly_solved",
        ReferredOn => "referred_on",
        Escalated => "escalated",
        NoFittingAnswer => "no_fitting_answer",
    }
}

vocabulary! {
    /// Who sat at the table for a case.
    AttendeeRole {
        Youth => "youth",
        Parent => "parent",
        Referrer => "referrer",
        Provider => "provider",
        Municipality => "municipality",
        Education => "education",
        CompulsoryEducationOfficer => "compulsory_education_officer",
        Ggd => "ggd",
        ChildProtection => "child_protection",
        Chair => "chair",
        Procesregisseur => "procesregisseur",
        Other => "other",
    }
}

vocabulary! {
    /// What a user of the node does there; `access::policy` says which RPCs each role may call.
    Role {
        Administrator => "administrator",
        Intake => "intake",
        TableMember => "table_member",
        Chair => "chair",
        Procesregisseur => "procesregisseur",
        Auditor => "auditor",
    }
}

vocabulary! {
    /// Age groups of the statistics: small enough to show trends, wide enough that a cell is never one child's
    /// exact age. Youth care runs to 18, prolonged care to 23.
    AgeBand {
        UpTo11 => "0-11",
        From12To15 => "12-15",
        From16To17 => "16-17",
        From18 => "18-23",
    }
}

vocabulary! {
    /// How long a case took from submission to closing, in the bands the statistics publish.
    LeadTimeBand {
        UnderFourWeeks => "under_4_weeks",
        FourToTwelveWeeks => "4_to_12_weeks",
        TwelveToTwentySixWeeks => "12_to_26_weeks",
        OverTwentySixWeeks => "over_26_weeks",
    }
}

vocabulary! {
    TaskStatus {
        Open => "open",
        InProgress => "in_progress",
        Done => "done",
        Cancelled => "cancelled",
    }
}

impl TaskStatus {
    /// Open work can become overdue; finished work cannot.
    pub fn is_open(self) -> bool {
        matches!(self, TaskStatus::Open | TaskStatus::InProgress)
    }
}

vocabulary! {
    CommitmentStatus {
        Open => "open",
        Delivered => "delivered",
        Withdrawn => "withdrawn",
    }
}

vocabulary! {
    /// Consultation is open to professionals and also to parents and youths themselves.
    AskerKind {
        Professional => "professional",
        Parent => "parent",
        Youth => "youth",
    }
}

vocabulary! {
    ConsultationStatus {
        Open => "open",
        Answered => "answered",
    }
}

vocabulary! {
    /// Why a case may be handed to another region: consent (of the youth of 16+ or the parents) or a legal
    /// ground such as a child-protection measure.
    LegalBasis {
        Consent => "consent",
        LegalGround => "legal_ground",
    }
}

vocabulary! {
    /// Which way an escalation goes, seen from this node.
    EscalationDirection {
        Outgoing => "outgoing",
        Incoming => "incoming",
    }
}

vocabulary! {
    /// Where an escalation stands: sent by the sender, then as the receiving region reports it.
    EscalationStatus {
        Sent => "sent",
        Received => "received",
        Accepted => "accepted",
        Returned => "returned",
        Closed => "closed",
        Withdrawn => "withdrawn",
    }
}

vocabulary! {
    /// Where an envelope stands in this node's outbox.
    DeliveryState {
        Pending => "pending",
        Delivered => "delivered",
        Dead => "dead",
        Cancelled => "cancelled",
    }
}

vocabulary! {
    /// What a consent allows.
    ConsentScope {
        Escalate => "escalate",
        ConsultWithIdentifiers => "consult_with_identifiers",
        ShareWithProvider => "share_with_provider",
    }
}

vocabulary! {
    /// Who may give consent: the youth from 16, a parent with custody, or another legal representative.
    ConsentGiver {
        Youth => "youth",
        Parent => "parent",
        LegalRepresentative => "legal_representative",
    }
}

vocabulary! {
    /// What an outbox envelope carries.
    EnvelopeKind {
        ConsultationQuestion => "consultation_question",
        ConsultationReply => "consultation_reply",
        Escalation => "escalation",
        EscalationStatus => "escalation_status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for c in BottleneckCategory::ALL {
            assert_eq!(BottleneckCategory::parse(c.as_str()), Some(*c));
        }
        for r in AttendeeRole::ALL {
            assert_eq!(AttendeeRole::parse(r.as_str()), Some(*r));
        }
        assert_eq!(BottleneckCategory::ALL.len(), 10);
        assert_eq!(Outcome::parse("won"), None);
    }
}
