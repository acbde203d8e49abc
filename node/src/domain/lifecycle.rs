//! The case lifecycle as a pure state machine.
//!
//! submitted → intake → scheduled → discussed → in progress → closed, with *returned* and *escalated* as exits.
//! Every action on a case is checked here first; storage then applies the result only if the case is still in
//! the state the check saw, so two concurrent requests cannot both move a case.

use std::fmt;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    Submitted,
    Intake,
    Scheduled,
    Discussed,
    InProgress,
    Closed,
    Returned,
    Escalated,
}

impl CaseState {
    pub const ALL: [CaseState; 8] = [
        CaseState::Submitted,
        CaseState::Intake,
        CaseState::Scheduled,
        CaseState::Discussed,
        CaseState::InProgress,
        CaseState::Closed,
        CaseState::Returned,
        CaseState::Escalated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Submitted => "submitted",
            CaseState::Intake => "intake",
            CaseState::Scheduled => "scheduled",
            CaseState::Discussed => "discussed",
            CaseState::InProgress => "in_progress",
            CaseState::Closed => "closed",
            CaseState::Returned => "returned",
            CaseState::Escalated => "escalated",
        }
    }

    pub fn parse(text: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Closed and returned cases are finished at this node; an escalated case waits for the other region.
    pub fn is_terminal(self) -> bool {
        matches!(self, CaseState::Closed | CaseState::Returned)
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a user can do to a case. Some actions move it, others only add to its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    StartIntake,
    Accept,
    Return,
    Schedule,
    RecordDiscussion,
    StartPlan,
    Close,
    Escalate,
    /// The other region handed an escalated case back: it continues here.
    EscalationReturned,
    /// The other region received or accepted an escalated case.
    EscalationNews,
    /// The other region closed an escalated case; it is closed here too.
    EscalationClosed,
    /// Consent or a legal ground for handing the case to another region was recorded.
    RecordConsent,
    /// A consent was withdrawn (nothing it allowed has left yet, or nothing was under way).
    WithdrawConsent,
    /// A consent was withdrawn before the escalation it allowed left this node: the case continues here.
    EscalationWithdrawn,
    AddCommitment,
    AppointProcesregisseur,
    AssignCaseManager,
    AddTask,
    UpdateCommitment,
    UpdateTask,
    AddProgressNote,
    RecordAttendance,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::StartIntake,
        Action::Accept,
        Action::Return,
        Action::Schedule,
        Action::RecordDiscussion,
        Action::StartPlan,
        Action::Close,
        Action::Escalate,
        Action::EscalationReturned,
        Action::EscalationNews,
        Action::EscalationClosed,
        Action::RecordConsent,
        Action::WithdrawConsent,
        Action::EscalationWithdrawn,
        Action::AddCommitment,
        Action::AppointProcesregisseur,
        Action::AssignCaseManager,
        Action::AddTask,
        Action::UpdateCommitment,
        Action::UpdateTask,
        Action::AddProgressNote,
        Action::RecordAttendance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::StartIntake => "start_intake",
            Action::Accept => "accept",
            Action::Return => "return",
            Action::Schedule => "schedule",
            Action::RecordDiscussion => "record_discussion",
            Action::StartPlan => "start_plan",
            Action::Close => "close",
            Action::Escalate => "escalate",
            Action::EscalationReturned => "escalation_returned",
            Action::EscalationNews => "escalation_news",
            Action::EscalationClosed => "escalation_closed",
            Action::RecordConsent => "record_consent",
            Action::WithdrawConsent => "withdraw_consent",
            Action::EscalationWithdrawn => "escalation_withdrawn",
            Action::AddCommitment => "add_commitment",
            Action::AppointProcesregisseur => "appoint_procesregisseur",
            Action::AssignCaseManager => "assign_case_manager",
            Action::AddTask => "add_task",
            Action::UpdateCommitment => "update_commitment",
            Action::UpdateTask => "update_task",
            Action::AddProgressNote => "add_progress_note",
            Action::RecordAttendance => "record_attendance",
        }
    }

    /// The states this action may start from and where it leads. `None` as target: the state stays.
    fn rule(self) -> (&'static [CaseState], Option<CaseState>) {
        use CaseState::*;
        const ACTIVE: &[CaseState] = &[Scheduled, Discussed, InProgress];
        const PLANNING: &[CaseState] = &[Discussed, InProgress];
        match self {
            Action::StartIntake => (&[Submitted], Some(Intake)),
            Action::Accept => (&[Intake], None),
            Action::Return => (&[Submitted, Intake], Some(Returned)),
            Action::Schedule => (&[Intake, Discussed, InProgress], Some(Scheduled)),
            Action::RecordDiscussion => (&[Scheduled], Some(Discussed)),
            Action::StartPlan => (&[Discussed], Some(InProgress)),
            Action::Close => (PLANNING, Some(Closed)),
            Action::Escalate => (&[Intake, Scheduled, Discussed, InProgress], Some(Escalated)),
            Action::EscalationReturned => (&[Escalated], Some(InProgress)),
            Action::EscalationNews => (&[Escalated], None),
            Action::EscalationClosed => (&[Escalated], Some(Closed)),
            Action::EscalationWithdrawn => (&[Escalated], Some(InProgress)),
            Action::WithdrawConsent => (
                &[
                    Submitted, Intake, Scheduled, Discussed, InProgress, Escalated,
                ],
                None,
            ),
            Action::RecordConsent => (&[Submitted, Intake, Scheduled, Discussed, InProgress], None),
            Action::AddCommitment => (PLANNING, None),
            Action::AppointProcesregisseur => (ACTIVE, None),
            Action::AssignCaseManager => (PLANNING, None),
            Action::AddTask | Action::UpdateCommitment | Action::UpdateTask => (PLANNING, None),
            Action::AddProgressNote => {
                (&[Intake, Scheduled, Discussed, InProgress, Escalated], None)
            }
            Action::RecordAttendance => (&[Scheduled, Discussed], None),
        }
    }

    /// The states from which this action is allowed.
    pub fn allowed_from(self) -> &'static [CaseState] {
        self.rule().0
    }

    /// Where the case is after this action from `from`, or why it may not happen.
    pub fn apply(self, from: CaseState) -> Result<CaseState, IllegalAction> {
        let (allowed, target) = self.rule();
        if allowed.contains(&from) {
            Ok(target.unwrap_or(from))
        } else {
            Err(IllegalAction {
                action: self,
                from,
                to: target,
            })
        }
    }
}

/// An action refused because of the case's state; the message names both states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalAction {
    pub action: Action,
    pub from: CaseState,
    pub to: Option<CaseState>,
}

impl std::error::Error for IllegalAction {}

impl fmt::Display for IllegalAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<&str> = self
            .action
            .allowed_from()
            .iter()
            .map(|s| s.as_str())
            .collect();
        match self.to {
            Some(to) => write!(
                f,
                "cannot move case from {} to {} ({} is allowed from: {})",
                self.from,
                to,
                self.action.as_str(),
                allowed.join(", ")
            ),
            None => write!(
                f,
                "cannot {} while the case is {} (allowed in: {})",
                self.action.as_str(),
                self.from,
                allowed.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn happy_path_reaches_closed() {
        let mut state = CaseState::Submitted;
        for action in [
            Action::StartIntake,
            Action::Accept,
            Action::Schedule,
            Action::RecordDiscussion,
            Action::StartPlan,
            Action::Close,
        ] {
            state = action.apply(state).unwrap();
        }
        assert_eq!(state, CaseState::Closed);
    }

    #[test]
    fn every_state_action_pair_is_decided_by_the_rule_table() {
        let mut legal = 0;
        let mut illegal = 0;
        for action in Action::ALL {
            for state in CaseState::ALL {
                match action.apply(state) {
                    Ok(_) => {
                        assert!(action.allowed_from().contains(&state));
                        legal += 1;
                    }
                    Err(err) => {
                        assert!(!action.allowed_from().contains(&state));
                        assert!(err.to_string().contains(state.as_str()));
                        illegal += 1;
                    }
                }
            }
        }
        assert_eq!(legal + illegal, Action::ALL.len() * CaseState::ALL.len());
        assert!(legal > 20, "{legal}");
    }

    #[test]
    fn terminal_states_allow_nothing() {
        for state in [CaseState::Closed, CaseState::Returned] {
            assert!(state.is_terminal());
            for action in Action::ALL {
                assert!(action.apply(state).is_err(), "{action:?} from {state}");
            }
        }
    }

    #[test]
    fn illegal_transition_message_names_both_states() {
        let err = Action::Close.apply(CaseState::Submitted).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot move case from submitted to closed (close is allowed from: discussed, in_progress)"
        );
    }

    #[test]
    fn states_round_trip_through_text() {
        for state in CaseState::ALL {
            assert_eq!(CaseState::parse(state.as_str()), Some(state));
        }
        assert_eq!(CaseState::parse("open"), None);
    }
}
