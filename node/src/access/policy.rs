//! Who may call what: the node's one table of RPC × role. The guard looks every request up here before a
//! handler runs; a method missing from the table is refused to everyone, so a new RPC is closed until someone
//! decides who needs it. The README's "security model" section prints this table.
//!
//! The reasoning per role: intake registers cases and needs the youth's identifiers to do so; table members
//! discuss cases and answer consultations without identifiers; the chair runs the table; the procesregisseur
//! (or case manager) carries the plan out and needs the identifiers to reach the family; the administrator runs
//! the node (outbox, dead letters) and sees no case content; the auditor reads the audit trail and nothing else.

use crate::domain::people::Caller;
use crate::domain::vocabulary::Role::{self, *};

/// Services whose every method is open without a credential: a load balancer's health probe.
pub const OPEN_SERVICES: &[&str] = &["grpc.health.v1.Health"];

/// Services any signed-in user may call whatever their role: the schema (reflection) holds no data.
pub const SIGNED_IN_SERVICES: &[&str] = &[
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

const CASE_READERS: &[Role] = &[Intake, TableMember, Chair, Procesregisseur];
const IDENTITY_READERS: &[Role] = &[Intake, Chair, Procesregisseur];
const INTAKE_DESK: &[Role] = &[Intake, Chair];
const CHAIR: &[Role] = &[Chair];
const PLAN_KEEPERS: &[Role] = &[Chair, Procesregisseur];
const CONSENT_KEEPERS: &[Role] = &[Intake, Chair, Procesregisseur];
const ANSWERERS: &[Role] = &[TableMember, Chair];
const ASKERS: &[Role] = &[Intake, TableMember, Chair, Procesregisseur];
const OPERATORS: &[Role] = &[Administrator];
const AUDITORS: &[Role] = &[Auditor];

/// Every RPC of the team API as (service, method, roles allowed).
pub const MATRIX: &[(&str, &str, &[Role])] = &[
    ("expertnet.v1.CaseService", "SubmitCase", &[Intake]),
    ("expertnet.v1.CaseService", "StartIntake", INTAKE_DESK),
    ("expertnet.v1.CaseService", "AcceptCase", INTAKE_DESK),
    ("expertnet.v1.CaseService", "ReturnCase", INTAKE_DESK),
    ("expertnet.v1.CaseService", "GetCase", CASE_READERS),
    ("expertnet.v1.CaseService", "ListCases", CASE_READERS),
    (
        "expertnet.v1.CaseService",
        "GetYouthIdentity",
        IDENTITY_READERS,
    ),
    ("expertnet.v1.CaseService", "RecordDiscussion", CHAIR),
    ("expertnet.v1.CaseService", "AddCommitment", CHAIR),
    ("expertnet.v1.CaseService", "UpdateCommitment", PLAN_KEEPERS),
    ("expertnet.v1.CaseService", "AppointProcesregisseur", CHAIR),
    (
        "expertnet.v1.CaseService",
        "AssignCaseManager",
        PLAN_KEEPERS,
    ),
    ("expertnet.v1.CaseService", "StartPlan", PLAN_KEEPERS),
    ("expertnet.v1.CaseService", "AddTask", PLAN_KEEPERS),
    ("expertnet.v1.CaseService", "UpdateTask", PLAN_KEEPERS),
    ("expertnet.v1.CaseService", "AddProgressNote", PLAN_KEEPERS),
    ("expertnet.v1.CaseService", "CloseCase", PLAN_KEEPERS),
    ("expertnet.v1.CaseService", "ListOverdue", PLAN_KEEPERS),
    ("expertnet.v1.SessionService", "CreateSession", CHAIR),
    ("expertnet.v1.SessionService", "GetSession", CASE_READERS),
    ("expertnet.v1.SessionService", "ListSessions", CASE_READERS),
    ("expertnet.v1.SessionService", "AddToAgenda", CHAIR),
    ("expertnet.v1.SessionService", "RecordAttendance", CHAIR),
    (
        "expertnet.v1.ConsultationService",
        "AskConsultation",
        ASKERS,
    ),
    (
        "expertnet.v1.ConsultationService",
        "AnswerConsultation",
        ANSWERERS,
    ),
    (
        "expertnet.v1.ConsultationService",
        "GetConsultation",
        ASKERS,
    ),
    (
        "expertnet.v1.ConsultationService",
        "ListConsultations",
        ASKERS,
    ),
    (
        "expertnet.v1.EscalationService",
        "RecordConsent",
        CONSENT_KEEPERS,
    ),
    (
        "expertnet.v1.EscalationService",
        "WithdrawConsent",
        CONSENT_KEEPERS,
    ),
    (
        "expertnet.v1.EscalationService",
        "EscalateCase",
        PLAN_KEEPERS,
    ),
    (
        "expertnet.v1.EscalationService",
        "ListEscalations",
        CONSENT_KEEPERS,
    ),
    ("expertnet.v1.OutboxService", "ListOutbox", OPERATORS),
    ("expertnet.v1.OutboxService", "ReplayDeadLetter", OPERATORS),
    (
        "expertnet.v1.AuditService",
        "VerifyAudit",
        &[Auditor, Administrator],
    ),
    ("expertnet.v1.AuditService", "ExportAudit", AUDITORS),
    ("expertnet.v1.AuditService", "AccessReport", AUDITORS),
    (
        "expertnet.v1.ReviewService",
        "GetRegionReview",
        CASE_READERS,
    ),
];

/// What the web board does besides the RPCs above, with the roles allowed: managing the node's people (their
/// roles, passwords, second factors and API tokens), which the API leaves to the operator's command line, and the
/// order of an agenda.
pub const BOARD_ACTIONS: &[(&str, &[Role])] = &[
    ("Board/ManagePeople", OPERATORS),
    // The order of a session's agenda: the chair's, like the agenda itself.
    ("Board/ReorderAgenda", CHAIR),
];

/// Whether someone holding `held` may do the board action `action` (`Board/ManagePeople`); an action missing
/// from [`BOARD_ACTIONS`] is allowed to nobody.
pub fn board_permits(action: &str, held: &[Role]) -> bool {
    BOARD_ACTIONS
        .iter()
        .find(|(name, _)| *name == action)
        .is_some_and(|(_, allowed)| held.iter().any(|role| allowed.contains(role)))
}

/// What the table says about one request path (`/package.Service/Method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// No credential needed.
    Open,
    /// Any valid credential.
    SignedIn,
    /// A credential holding one of these roles.
    Roles(&'static [Role]),
    /// Not in the table: nobody.
    Closed,
}

/// Looks a request path up.
pub fn rule_for(path: &str) -> Rule {
    let Some((service, method)) = path.trim_start_matches('/').split_once('/') else {
        return Rule::Closed;
    };
    if OPEN_SERVICES.contains(&service) {
        return Rule::Open;
    }
    if SIGNED_IN_SERVICES.contains(&service) {
        return Rule::SignedIn;
    }
    MATRIX
        .iter()
        .find(|(s, m, _)| *s == service && *m == method)
        .map_or(Rule::Closed, |(_, _, roles)| Rule::Roles(roles))
}

/// Whether someone holding `held` may call `path`.
pub fn permits(path: &str, held: &[Role]) -> bool {
    match rule_for(path) {
        Rule::Open | Rule::SignedIn => true,
        Rule::Roles(allowed) => held.iter().any(|role| allowed.contains(role)),
        Rule::Closed => false,
    }
}

/// Whether a person holding `roles` must sign in with a second factor: whoever may see a youth's identifiers
/// or read the audit trail, and the administrator, who manages the people who may.
pub fn needs_second_factor(roles: &[Role]) -> bool {
    roles.iter().any(|role| {
        *role == Administrator
            || MATRIX.iter().any(|(service, method, allowed)| {
                allowed.contains(role)
                    && (*method == "GetYouthIdentity" || *service == "expertnet.v1.AuditService")
            })
    })
}

/// How a change made through `path` names the person behind it: their name, organisation and the roles they
/// hold that allow it, e.g. `j.jansen (Sociaal team Houten; intake)`. Taken from the credential, never from the
/// request.
pub fn signature(caller: &Caller, path: &str) -> String {
    let acting: Vec<Role> = match rule_for(path) {
        Rule::Roles(allowed) => caller
            .roles
            .iter()
            .copied()
            .filter(|role| allowed.contains(role))
            .collect(),
        _ => caller.roles.clone(),
    };
    format!(
        "{} ({}; {})",
        caller.user,
        caller.organisation,
        crate::domain::people::roles_text(&acting)
    )
}

/// The table as Markdown, one row per RPC and a column per role, as the README prints it.
pub fn markdown() -> String {
    let mut out = String::from("| RPC |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n| --- |");
    out.push_str(&" :-: |".repeat(Role::ALL.len()));
    out.push('\n');
    for (service, method, roles) in MATRIX {
        let service = service.trim_start_matches("expertnet.v1.");
        out.push_str(&format!("| `{service}/{method}` |"));
        for role in Role::ALL {
            out.push_str(if roles.contains(role) {
                " ✓ |"
            } else {
                "   |"
            });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_paths_are_closed_and_health_is_open() {
        assert_eq!(
            rule_for("/expertnet.v1.CaseService/DropTables"),
            Rule::Closed
        );
        assert_eq!(rule_for("nonsense"), Rule::Closed);
        assert_eq!(rule_for("/grpc.health.v1.Health/Check"), Rule::Open);
        assert!(!permits("/expertnet.v1.CaseService/DropTables", Role::ALL));
    }

    #[test]
    fn auditor_and_administrator_read_no_case_content() {
        for (service, method, roles) in MATRIX {
            let touches_cases = !matches!(
                *service,
                "expertnet.v1.AuditService" | "expertnet.v1.OutboxService"
            );
            if touches_cases {
                assert!(!roles.contains(&Auditor), "{service}/{method}");
                assert!(!roles.contains(&Administrator), "{service}/{method}");
            }
        }
    }

    #[test]
    fn a_signature_names_the_person_and_only_the_roles_that_allow_the_call() {
        let caller = Caller {
            user: "j.jansen".into(),
            organisation: "Sociaal team Houten".into(),
            roles: vec![Intake, TableMember, Chair],
        };
        assert_eq!(
            signature(&caller, "/expertnet.v1.CaseService/CloseCase"),
            "j.jansen (Sociaal team Houten; chair)"
        );
        assert_eq!(
            signature(&caller, "/expertnet.v1.CaseService/AcceptCase"),
            "j.jansen (Sociaal team Houten; intake,chair)"
        );
    }

    #[test]
    fn a_second_factor_is_needed_by_every_role_but_the_table_member() {
        for role in Role::ALL {
            assert_eq!(
                needs_second_factor(&[*role]),
                *role != TableMember,
                "{role}"
            );
        }
        assert!(needs_second_factor(&[TableMember, Auditor]));
    }

    #[test]
    fn only_the_administrator_manages_people_and_unknown_board_actions_are_closed() {
        assert!(board_permits("Board/ManagePeople", &[Administrator]));
        for role in Role::ALL.iter().filter(|r| **r != Administrator) {
            assert!(!board_permits("Board/ManagePeople", &[*role]), "{role}");
        }
        assert!(!board_permits("Board/DropTables", Role::ALL));
    }

    #[test]
    fn every_method_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (service, method, roles) in MATRIX {
            assert!(seen.insert((service, method)), "{service}/{method} twice");
            assert!(!roles.is_empty(), "{service}/{method} open to no role");
        }
    }
}
