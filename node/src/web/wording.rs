//! The board's wording: the expert table's words for states, actions, categories and roles, dates as people in
//! the Netherlands write them, and the workflow's refusals told to a person. Written in Dutch, given in the
//! person's language by [`super::i18n`]. The refusal is the workflow's own (its error value); only its wording
//! is made here.

use super::i18n::{Language, current, t, tf};
use crate::domain::lifecycle::{Action, CaseState, IllegalAction};
use crate::domain::{
    AttendeeRole, BottleneckCategory, CommitmentStatus, ConsentGiver, ConsultationStatus,
    DeliveryState, EscalationStatus, Outcome, ReferrerKind, Role, TaskStatus,
};
use crate::error::Error;
use axum::http::StatusCode;
use time::Date;

pub fn state(state: CaseState) -> &'static str {
    t(match state {
        CaseState::Submitted => "aangemeld",
        CaseState::Intake => "in intake",
        CaseState::Scheduled => "geagendeerd",
        CaseState::Discussed => "besproken",
        CaseState::InProgress => "in uitvoering",
        CaseState::Closed => "afgesloten",
        CaseState::Returned => "teruggelegd",
        CaseState::Escalated => "opgeschaald",
    })
}

pub fn action(action: Action) -> &'static str {
    t(match action {
        Action::StartIntake => "intake starten",
        Action::Accept => "aannemen",
        Action::Return => "teruggeven",
        Action::Schedule => "agenderen",
        Action::RecordDiscussion => "bespreking vastleggen",
        Action::StartPlan => "plan starten",
        Action::Close => "afsluiten",
        Action::Escalate => "opschalen",
        Action::EscalationReturned => "terug van opschaling",
        Action::EscalationNews => "nieuws over opschaling",
        Action::EscalationClosed => "opschaling afgesloten",
        Action::RecordConsent => "toestemming vastleggen",
        Action::WithdrawConsent => "toestemming intrekken",
        Action::EscalationWithdrawn => "opschaling ingetrokken",
        Action::AddCommitment => "toezegging vastleggen",
        Action::AppointProcesregisseur => "procesregisseur aanwijzen",
        Action::AssignCaseManager => "casusregisseur toewijzen",
        Action::AddTask => "taak toevoegen",
        Action::UpdateCommitment => "toezegging bijwerken",
        Action::UpdateTask => "taak bijwerken",
        Action::AddProgressNote => "notitie toevoegen",
        Action::RecordAttendance => "aanwezigheid vastleggen",
    })
}

/// A history entry's action word (as stored) in Dutch.
pub fn action_text(stored: &str) -> String {
    if stored == "submit" {
        return t("aangemeld").into();
    }
    Action::ALL
        .iter()
        .find(|a| a.as_str() == stored)
        .map_or_else(|| stored.replace('_', " "), |a| action(*a).to_owned())
}

pub fn category(category: BottleneckCategory) -> &'static str {
    t(match category {
        BottleneckCategory::ResidentialOutflow => "uitstroom uit residentiële zorg",
        BottleneckCategory::CustomResidentialCare => "maatwerk binnen residentiële zorg",
        BottleneckCategory::WaitingList => "wachtlijst",
        BottleneckCategory::SchoolAbsence => "thuiszitten / schoolverzuim",
        BottleneckCategory::MultiProblemFamily => "multiprobleemgezin",
        BottleneckCategory::MentalHealthAddiction => "ggz en verslaving",
        BottleneckCategory::MildIntellectualDisability => "licht verstandelijke beperking",
        BottleneckCategory::FundingDispute => "financieringsgeschil",
        BottleneckCategory::TransitionToAdulthood => "overgang naar volwassenheid (18-/18+)",
        BottleneckCategory::Other => "anders",
    })
}

pub fn attendee_role(role: AttendeeRole) -> &'static str {
    t(match role {
        AttendeeRole::Youth => "jongere",
        AttendeeRole::Parent => "ouder(s)",
        AttendeeRole::Referrer => "aanmelder",
        AttendeeRole::Provider => "zorgaanbieder",
        AttendeeRole::Municipality => "gemeente",
        AttendeeRole::Education => "onderwijs",
        AttendeeRole::CompulsoryEducationOfficer => "leerplichtambtenaar",
        AttendeeRole::Ggd => "GGD",
        AttendeeRole::ChildProtection => "jeugdbescherming",
        AttendeeRole::Chair => "voorzitter",
        AttendeeRole::Procesregisseur => "procesregisseur",
        AttendeeRole::Other => "anders",
    })
}

pub fn task_status(status: TaskStatus) -> &'static str {
    t(match status {
        TaskStatus::Open => "open",
        TaskStatus::InProgress => "bezig",
        TaskStatus::Done => "afgerond",
        TaskStatus::Cancelled => "vervallen",
    })
}

pub fn commitment_status(status: CommitmentStatus) -> &'static str {
    t(match status {
        CommitmentStatus::Open => "open",
        CommitmentStatus::Delivered => "geleverd",
        CommitmentStatus::Withdrawn => "ingetrokken",
    })
}

pub fn escalation_status(status: EscalationStatus) -> &'static str {
    t(match status {
        EscalationStatus::Sent => "verstuurd",
        EscalationStatus::Received => "ontvangen door de andere regio",
        EscalationStatus::Accepted => "aangenomen door de andere regio",
        EscalationStatus::Returned => "teruggegeven",
        EscalationStatus::Closed => "afgesloten",
        EscalationStatus::Withdrawn => "ingetrokken",
    })
}

pub fn delivery(state: DeliveryState) -> &'static str {
    t(match state {
        DeliveryState::Pending => "onderweg",
        DeliveryState::Delivered => "afgeleverd",
        DeliveryState::Dead => "niet af te leveren (beheerder)",
        DeliveryState::Cancelled => "tegengehouden",
    })
}

pub fn consultation_status(status: ConsultationStatus) -> &'static str {
    t(match status {
        ConsultationStatus::Open => "wacht op antwoord",
        ConsultationStatus::Answered => "beantwoord",
    })
}

pub fn consent_giver(word: &str) -> String {
    match ConsentGiver::parse(word) {
        Some(ConsentGiver::Youth) => t("de jongere (16+)").into(),
        Some(ConsentGiver::Parent) => t("een ouder met gezag").into(),
        Some(ConsentGiver::LegalRepresentative) => t("een wettelijk vertegenwoordiger").into(),
        None => word.to_owned(),
    }
}

pub fn outcome(outcome: Outcome) -> &'static str {
    t(match outcome {
        Outcome::Solved => "opgelost",
        Outcome::PartlySolved => "deels opgelost",
        Outcome::ReferredOn => "doorverwezen",
        Outcome::Escalated => "opgeschaald",
        Outcome::NoFittingAnswer => "geen passend antwoord (signaal)",
    })
}

pub fn referrer_kind(kind: ReferrerKind) -> &'static str {
    t(match kind {
        ReferrerKind::SocialTeam => "sociaal of wijkteam",
        ReferrerKind::CareProvider => "zorgaanbieder",
    })
}

pub fn role(role: Role) -> &'static str {
    t(match role {
        Role::Administrator => "beheerder",
        Role::Intake => "intake",
        Role::TableMember => "tafellid",
        Role::Chair => "voorzitter",
        Role::Procesregisseur => "procesregisseur",
        Role::Auditor => "auditor",
    })
}

/// A stored comma list of role words (as the audit trail keeps them) in Dutch.
pub fn roles_text(stored: &str) -> String {
    match Role::parse_list(stored) {
        Ok(parsed) => roles(&parsed),
        Err(_) => stored.to_owned(),
    }
}

/// An audit outcome (`ok`, `refused:409`, `denied`) in Dutch.
pub fn audit_outcome(stored: &str) -> String {
    if stored == "ok" {
        t("toegestaan").into()
    } else if let Some(reason) = stored.strip_prefix("ok; reden: ") {
        tf("toegestaan; reden: {reden}", &[("reden", &reason)])
    } else if stored == "denied" {
        t("geweigerd (rol)").into()
    } else if stored.starts_with("refused") {
        t("geweigerd").into()
    } else {
        stored.to_owned()
    }
}

pub fn roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| role(*r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Netherlands' time at `ms` (CET/CEST), as "5 maart 2026 14:05".
pub fn moment(ms: i64) -> String {
    let Some(local) = expertnet_web::dutch_time::at(ms) else {
        return String::new();
    };
    format!(
        "{} {:02}:{:02}",
        date(local.date()),
        local.hour(),
        local.minute()
    )
}

/// "5 maart 2026".
pub fn date(date: Date) -> String {
    let month = expertnet_web::dutch_time::MONTHS[usize::from(u8::from(date.month())) - 1];
    format!("{} {} {}", date.day(), t(month), date.year())
}

/// What a person asked for through `rpc` (`CaseService/SubmitCase`), as a refusal names it.
pub fn request(rpc: &str) -> &str {
    let dutch = match rpc {
        "CaseService/SubmitCase" => "een nieuwe casus aanmelden",
        "CaseService/ListCases" => "de lijst met casussen bekijken",
        "CaseService/GetCase" => "een casus bekijken",
        "CaseService/GetYouthIdentity" => "de identificerende gegevens van een jongere zien",
        "CaseService/StartIntake" | "CaseService/AcceptCase" | "CaseService/ReturnCase" => {
            "een aanmelding innemen, aannemen of teruggeven"
        }
        "CaseService/StartPlan" | "CaseService/CloseCase" | "CaseService/AddProgressNote" => {
            "het plan van een casus bijhouden of de casus afsluiten"
        }
        "Board/ManagePeople" => "de mensen van deze node beheren",
        "AuditService/VerifyAudit" => "het auditspoor bekijken",
        "ReviewService/GetRegionReview" => "het jaaroverzicht van de regio bekijken",
        other => return other,
    };
    t(dutch)
}

/// What an access was for (`workflow::purpose_of`), in Dutch.
pub fn purpose(english: &str) -> &'static str {
    t(match english {
        "registering the case at the expert table" => "de casus aanmelden bij de experttafel",
        "intake: deciding whether the table takes the case" => {
            "intake: past de casus aan deze tafel"
        }
        "reading the case file" => "het dossier lezen",
        "reading the youth's name, BSN and date of birth" => "naam, BSN en geboortedatum inzien",
        "discussing the case at the table" => "de casus aan tafel bespreken",
        "recording what a provider committed to" => "vastleggen wat een aanbieder toezegt",
        "appointing who coordinates the help" => "regie beleggen",
        "carrying out the plan" => "het plan uitvoeren",
        "closing the case" => "de casus afsluiten",
        "recording consent" => "toestemming vastleggen",
        "handing the case to another region" => "de casus overdragen aan een andere regio",
        "asking other experts for advice" => "advies vragen aan andere experts",
        _ => "andere behandeling van de casus",
    })
}

/// The form label a request field is shown under.
pub fn field(field: &str) -> String {
    // A field inside a list, `commitments[0].due`: "Toezegging 1, Uiterlijk".
    if let Some((list, rest)) = field.split_once('[')
        && let Some((index, inner)) = rest.split_once("].")
        && let Ok(index) = index.parse::<usize>()
    {
        return format!(
            "{} {}, {}",
            self::field(list),
            index + 1,
            self::field(inner).to_lowercase()
        );
    }
    let base = field.split('[').next().unwrap_or(field);
    let label = match base {
        "referrer.organisation" => "Organisatie van de aanmelder",
        "referrer.kind" => "Soort aanmelder",
        "youth.name" => "Naam van de jongere",
        "youth.bsn" => "BSN",
        "youth.date_of_birth" => "Geboortedatum",
        "age" => "Leeftijd",
        "municipality" => "Gemeente",
        "question" => "Vraag aan de tafel",
        "tried_so_far" => "Wat is al geprobeerd",
        "categories" => "Knelpunten",
        "reason" => "Reden",
        "outcome" => "Uitkomst",
        "closing_note" => "Toelichting bij afsluiten",
        "text" => "Notitie",
        "request_id" => "Formuliernummer",
        "case_id" => "Casusnummer",
        "purpose" => "Reden van inzage",
        "password" => "Wachtwoord",
        "roles" => "Rollen",
        "date" => "Datum",
        "start_time" => "Begintijd",
        "duration_minutes" => "Duur",
        "location" => "Plaats",
        "chair" => "Voorzitter",
        "session_id" => "Tafel",
        "next_step" => "Volgende stap",
        "summary" => "Samenvatting",
        "regie_holder" => "Wie houdt regie",
        "commitments" => "Toezegging",
        "attendees" => "Aanwezigen",
        "name" => "Naam",
        "organisation" => "Organisatie",
        "arrangement" => "Zorgarrangement",
        "case_manager" => "Casusregisseur",
        "description" => "Omschrijving",
        "owner" => "Wie",
        "due" => "Uiterlijk",
        "provider" => "Aanbieder",
        "replacement_reason" => "Reden van vervanging",
        "status" => "Stand",
        "task_id" => "Taak",
        "commitment_id" => "Toezegging",
        "given_by" => "Gegeven door",
        "scope_target" => "Regio",
        "valid_until" => "Geldig tot en met",
        "note" => "Toelichting",
        "to_region" => "Naar regio",
        "sequence" => "Toestemming",
        "expertise_tags" => "Expertise",
        "target_region" => "Regio",
        "asker_organisation" => "Organisatie van de vrager",
        "answer" => "Antwoord",
        "expert" => "Expert",
        _ => return field.to_owned(),
    };
    t(label).to_owned()
}

/// A field check's message in Dutch; a message this table does not know stays as the workflow gave it.
fn check_message(message: &str) -> String {
    if current() == Language::English {
        return message.to_owned();
    }
    let known = [
        ("must not be empty", "is verplicht"),
        ("must be given", "is verplicht"),
        (
            "must be exactly nine digits",
            "moet precies negen cijfers zijn",
        ),
        ("fails the elfproef (check digit)", "klopt niet (elfproef)"),
        (
            "is not a real date in the form YYYY-MM-DD",
            "is geen bestaande datum (JJJJ-MM-DD)",
        ),
        ("lies in the future", "ligt in de toekomst"),
        (
            "does not match youth.date_of_birth",
            "past niet bij de geboortedatum",
        ),
        (
            "name at least one bottleneck category",
            "kies minstens één knelpunt",
        ),
        ("is not a valid id", "is geen geldig nummer"),
        (
            "must be a single line without control characters",
            "moet één regel zijn",
        ),
        (
            "must not contain control characters",
            "bevat ongeldige tekens",
        ),
        (
            "was used before for a submission with other content",
            "is al gebruikt voor een andere aanmelding",
        ),
        (
            "every discussion must end in a recorded next step",
            "elke bespreking eindigt in een vastgelegde volgende stap",
        ),
        ("lies in the past", "ligt in het verleden"),
        ("name at least one role", "kies minstens één rol"),
        (
            "must be empty for the youth and parents",
            "blijft leeg voor jongere en ouders",
        ),
        (
            "must not be empty (YYYY-MM-DD)",
            "is verplicht (JJJJ-MM-DD)",
        ),
        (
            "must be delivered or withdrawn",
            "moet geleverd of ingetrokken zijn",
        ),
    ];
    if let Some((_, dutch)) = known.iter().find(|(english, _)| *english == message) {
        return (*dutch).to_owned();
    }
    if message.starts_with("must be 1-64 of letters, digits") {
        return "bestaat uit 1 tot 64 letters, cijfers, '.', '-', '_' en '@' (bijvoorbeeld j.jansen)".into();
    }
    if let Some(rest) = message.strip_prefix("must be at least ")
        && let Some((min, _)) = rest.split_once(" characters long")
    {
        return format!("moet minstens {min} tekens lang zijn");
    }
    if message.ends_with("is not a time in the form HH:MM") {
        return "is geen tijd (UU:MM)".into();
    }
    if let Some(rest) = message.strip_prefix("is ")
        && let Some((length, max)) = rest.split_once(" characters long, at most ")
    {
        return format!(
            "is {length} tekens lang; er mogen er {} zijn",
            max.trim_end_matches(" allowed")
        );
    }
    message.to_owned()
}

/// Why an action is not possible now, in Dutch.
fn illegal(err: &IllegalAction) -> String {
    let allowed: Vec<&str> = err
        .action
        .allowed_from()
        .iter()
        .map(|s| state(*s))
        .collect();
    tf(
        "De casus staat op ‘{staat}’; ‘{stap}’ kan alleen als de casus {toegestaan} is.",
        &[
            ("staat", &state(err.from)),
            ("stap", &action(err.action)),
            ("toegestaan", &allowed.join(t(" of "))),
        ],
    )
}

/// A workflow error told in Dutch.
pub fn error(err: &Error) -> String {
    match err {
        Error::InvalidArgument { field: name, message } => {
            format!("{}: {}", field(name), check_message(message))
        }
        Error::IllegalAction(illegal_action) => illegal(illegal_action),
        Error::NotFound { kind, id } => match *kind {
            "case" => tf(
                "Casus {id} bestaat niet (meer) op deze node.",
                &[("id", id)],
            ),
            _ => tf("{soort} {id} is niet gevonden.", &[("soort", kind), ("id", id)]),
        },
        Error::AlreadyExists { field: name, message } => {
            format!("{}: {}", field(name), check_message(message))
        }
        Error::Conflict(_) => t(
            "Iemand anders wijzigde de casus op hetzelfde moment. Er is niets gewijzigd; probeer het opnieuw.",
        )
        .into(),
        Error::FailedPrecondition(message) | Error::PermissionDenied(message) => {
            tf("Dat kan nu niet: {reden}.", &[("reden", message)])
        }
        Error::Unavailable(_) | Error::Storage(sqlx::Error::PoolTimedOut) => t(
            "De node is even te druk of kan het auditspoor niet schrijven. Er is niets getoond of gewijzigd; \
             probeer het zo opnieuw.",
        )
        .into(),
        _ => t("Er ging iets mis op de node. Er is niets gewijzigd; probeer het later opnieuw.").into(),
    }
}

/// The HTTP status a refusal is answered with.
pub fn status_of(err: &Error) -> StatusCode {
    match err {
        Error::InvalidArgument { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::IllegalAction(_) | Error::FailedPrecondition(_) | Error::AlreadyExists { .. } => {
            StatusCode::CONFLICT
        }
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::PermissionDenied(_) => StatusCode::FORBIDDEN,
        Error::Unavailable(_) | Error::Storage(sqlx::Error::PoolTimedOut) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => {
            tracing::error!(error = %err, "web board: request failed inside the node");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_illegal_step_is_explained_with_both_states() {
        let err = Error::IllegalAction(Action::Close.apply(CaseState::Submitted).unwrap_err());
        let text = error(&err);
        assert!(text.contains("aangemeld"), "{text}");
        assert!(text.contains("afsluiten"), "{text}");
        assert!(text.contains("besproken of in uitvoering"), "{text}");
    }

    #[test]
    fn field_checks_speak_dutch_and_name_the_label() {
        let text = error(&Error::invalid(
            "youth.bsn",
            "fails the elfproef (check digit)",
        ));
        assert_eq!(text, "BSN: klopt niet (elfproef)");
        let text = error(&Error::invalid(
            "question",
            "is 4001 characters long, at most 4000 allowed",
        ));
        assert_eq!(
            text,
            "Vraag aan de tafel: is 4001 tekens lang; er mogen er 4000 zijn"
        );
    }

    #[test]
    fn a_field_in_a_list_is_named_with_its_number() {
        assert_eq!(field("commitments[1].due"), "Toezegging 2, uiterlijk");
        assert_eq!(field("next_step"), "Volgende stap");
    }

    #[test]
    fn the_access_report_speaks_dutch() {
        assert_eq!(roles_text("intake,chair"), "intake, voorzitter");
        assert_eq!(
            audit_outcome("ok; reden: gesprek"),
            "toegestaan; reden: gesprek"
        );
        assert_eq!(audit_outcome("refused:409"), "geweigerd");
        assert_eq!(purpose("reading the case file"), "het dossier lezen");
    }

    #[test]
    fn moments_are_in_dutch_time() {
        // 2 March 2026 09:00 UTC is 10:00 in winter; 1 July 2026 09:00 UTC is 11:00 in summer.
        assert_eq!(moment(1_772_442_000_000), "2 maart 2026 10:00");
        assert_eq!(moment(1_782_896_400_000), "1 juli 2026 11:00");
    }
}
