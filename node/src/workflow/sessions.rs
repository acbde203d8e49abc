//! Table sessions: planning them, their agendas, attendance and the discussions that must end in a next step.

use super::{Workflow, new_id, no_fields};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::storage::{self, is_unique_violation};

impl Workflow {
    pub async fn create_session(&self, session: NewSession) -> Result<TableSession> {
        let id = new_id();
        storage::sessions::insert(self.storage.pool(), &id, &session, self.now()).await?;
        tracing::info!(session_id = %id, "session created");
        self.session(&id).await
    }

    pub async fn session(&self, id: &str) -> Result<TableSession> {
        let mut conn = self.storage.pool().acquire().await?;
        storage::sessions::get(&mut conn, id).await
    }

    pub async fn list_sessions(
        &self,
        from: Option<time::Date>,
        to: Option<time::Date>,
    ) -> Result<Vec<TableSession>> {
        storage::sessions::list(self.storage.pool(), from, to).await
    }

    /// Sessions between two days (inclusive) with the length of their agendas, for lists and calendars: unlike
    /// [`Workflow::list_sessions`] it reads no agenda, it counts it.
    pub async fn session_overview(
        &self,
        from: Option<time::Date>,
        to: Option<time::Date>,
    ) -> Result<Vec<SessionListing>> {
        storage::sessions::overview(self.storage.pool(), from, to, true).await
    }

    /// Sessions between two days (inclusive) to choose from in a form: neither agenda read nor counted
    /// (`on_agenda` is 0).
    pub async fn session_choices(
        &self,
        from: Option<time::Date>,
        to: Option<time::Date>,
    ) -> Result<Vec<SessionListing>> {
        storage::sessions::overview(self.storage.pool(), from, to, false).await
    }

    /// Moves a case one place earlier or later on a session's agenda (the chair's order for the two hours);
    /// recorded on the audit trail by the caller. False when there is nothing to move.
    pub async fn move_on_agenda(
        &self,
        session_id: &str,
        case_id: &str,
        earlier: bool,
    ) -> Result<bool> {
        self.session(session_id).await?;
        let mut tx = self.storage.begin().await?;
        let moved =
            storage::sessions::move_on_agenda(&mut tx, session_id, case_id, earlier).await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// Who was at the table for a case on a session's agenda (nobody recorded yet: an empty list).
    pub async fn attendance(&self, session_id: &str, case_id: &str) -> Result<Attendance> {
        let mut conn = self.storage.pool().acquire().await?;
        storage::sessions::attendance(&mut conn, session_id, case_id).await
    }

    /// Puts an accepted case (or one coming back to the table) on a session's agenda.
    pub async fn add_to_agenda(
        &self,
        session_id: &str,
        case_id: &str,
        actor: &str,
    ) -> Result<TableSession> {
        let session = self.session(session_id).await?;
        if session.agenda.iter().any(|c| c == case_id) {
            return Err(duplicate_agenda_entry(case_id, session_id));
        }
        let reason = format!(
            "session {session_id} on {}",
            crate::domain::validate::format_date(session.date)
        );
        let mut open = self
            .begin_change(case_id, actor, Action::Schedule, &reason, |case| {
                if case.state == CaseState::Intake && !case.intake_accepted {
                    return Err(Error::FailedPrecondition(format!(
                        "case {case_id} is in intake but has not been accepted"
                    )));
                }
                Ok(Default::default())
            })
            .await?;
        match storage::sessions::add_to_agenda(&mut open.tx, session_id, case_id, self.now()).await
        {
            Err(Error::Storage(err)) if is_unique_violation(&err) => {
                return Err(duplicate_agenda_entry(case_id, session_id));
            }
            other => other?,
        }
        open.tx.commit().await?;
        self.session(session_id).await
    }

    pub async fn record_attendance(
        &self,
        attendance: Attendance,
        actor: &str,
    ) -> Result<Attendance> {
        let (session_id, case_id) = (attendance.session_id.clone(), attendance.case_id.clone());
        self.session(&session_id).await?;
        let mut open = self
            .begin_change(
                &case_id,
                actor,
                Action::RecordAttendance,
                &format!("session {session_id}"),
                no_fields,
            )
            .await?;
        if !storage::sessions::is_on_agenda(&mut open.tx, &session_id, &case_id).await? {
            return Err(not_on_agenda(&case_id, &session_id));
        }
        storage::sessions::record_attendance(&mut open.tx, &attendance).await?;
        let recorded = storage::sessions::attendance(&mut open.tx, &session_id, &case_id).await?;
        open.tx.commit().await?;
        Ok(recorded)
    }

    /// Records what the table decided. The next step is required by the domain, checked before this call.
    pub async fn record_discussion(&self, discussion: NewDiscussion) -> Result<CaseSummary> {
        let today = self.clock.today();
        for (i, commitment) in discussion.commitments.iter().enumerate() {
            if commitment.due < today {
                return Err(Error::invalid(
                    format!("commitments[{i}].due"),
                    "lies in the past",
                ));
            }
        }
        self.session(&discussion.session_id).await?;
        let case_id = discussion.case_id.as_str();
        let reason = format!("session {}", discussion.session_id);
        let mut open = self
            .begin_change(
                case_id,
                &discussion.actor,
                Action::RecordDiscussion,
                &reason,
                no_fields,
            )
            .await?;
        if !storage::sessions::is_on_agenda(&mut open.tx, &discussion.session_id, case_id).await? {
            return Err(not_on_agenda(case_id, &discussion.session_id));
        }
        let regie_holder = discussion
            .regie_holder
            .clone()
            .unwrap_or_else(|| open.before.referrer.organisation.clone());
        let at = self.now();
        match storage::sessions::insert_discussion(&mut open.tx, &discussion, &regie_holder, at)
            .await
        {
            Err(Error::Storage(err)) if is_unique_violation(&err) => {
                return Err(Error::AlreadyExists {
                    field: "session_id".into(),
                    message: format!("case {case_id} was already discussed at this session"),
                });
            }
            other => other?,
        }
        for new in &discussion.commitments {
            let commitment = Commitment {
                id: new_id(),
                case_id: case_id.to_owned(),
                provider: new.provider.clone(),
                description: new.description.clone(),
                due: new.due,
                authority_confirmed: new.authority_confirmed,
                status: CommitmentStatus::Open,
                recorded_at: at,
            };
            storage::plan::insert_commitment(&mut open.tx, &commitment).await?;
        }
        open.tx.commit().await?;
        tracing::info!(case_id, session_id = %discussion.session_id, "discussion recorded");
        storage::cases::summary(self.storage.pool(), case_id).await
    }
}

fn duplicate_agenda_entry(case_id: &str, session_id: &str) -> Error {
    Error::AlreadyExists {
        field: "case_id".into(),
        message: format!("case {case_id} is already on the agenda of session {session_id}"),
    }
}

fn not_on_agenda(case_id: &str, session_id: &str) -> Error {
    Error::FailedPrecondition(format!(
        "case {case_id} is not on the agenda of session {session_id}"
    ))
}
