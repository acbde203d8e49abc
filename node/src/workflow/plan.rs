//! Following the plan: commitments, tasks, progress notes, case managers and the procesregisseur.

use super::{Workflow, new_id, no_fields};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::storage;

impl Workflow {
    fn check_due(&self, field: &str, due: time::Date) -> Result<()> {
        if due < self.clock.today() {
            return Err(Error::invalid(field, "lies in the past"));
        }
        Ok(())
    }

    pub async fn add_commitment(
        &self,
        case_id: &str,
        actor: &str,
        new: NewCommitment,
    ) -> Result<Commitment> {
        self.check_due("commitment.due", new.due)?;
        let reason = format!("commitment by {}", new.provider);
        let mut open = self
            .begin_change(case_id, actor, Action::AddCommitment, &reason, no_fields)
            .await?;
        let commitment = Commitment {
            id: new_id(),
            case_id: case_id.to_owned(),
            provider: new.provider,
            description: new.description,
            due: new.due,
            authority_confirmed: new.authority_confirmed,
            status: CommitmentStatus::Open,
            recorded_at: self.now(),
        };
        storage::plan::insert_commitment(&mut open.tx, &commitment).await?;
        open.tx.commit().await?;
        Ok(commitment)
    }

    pub async fn update_commitment(
        &self,
        commitment_id: &str,
        actor: &str,
        status: CommitmentStatus,
    ) -> Result<Commitment> {
        if status == CommitmentStatus::Open {
            return Err(Error::invalid("status", "must be delivered or withdrawn"));
        }
        let current = storage::plan::commitment(self.storage.pool(), commitment_id).await?;
        if current.status != CommitmentStatus::Open {
            return Err(Error::FailedPrecondition(format!(
                "commitment {commitment_id} is already {}",
                current.status
            )));
        }
        let reason = format!("commitment {commitment_id} {status}");
        let mut open = self
            .begin_change(
                &current.case_id,
                actor,
                Action::UpdateCommitment,
                &reason,
                no_fields,
            )
            .await?;
        storage::plan::set_commitment_status(&mut open.tx, commitment_id, status, self.now())
            .await?;
        let updated = storage::plan::commitment(&mut *open.tx, commitment_id).await?;
        open.tx.commit().await?;
        Ok(updated)
    }

    /// Appoints the procesregisseur. One who is appointed stays until the solution is realised, so replacing
    /// them needs a stated reason.
    pub async fn appoint_procesregisseur(
        &self,
        case_id: &str,
        actor: &str,
        name: String,
        organisation: String,
        replacement_reason: Option<String>,
    ) -> Result<Procesregisseur> {
        let mut open = self
            .begin_change(
                case_id,
                actor,
                Action::AppointProcesregisseur,
                "",
                no_fields,
            )
            .await?;
        let reason = match (
            storage::plan::procesregisseur(&mut open.tx, case_id).await?,
            &replacement_reason,
        ) {
            (Some(_), None) => {
                return Err(Error::FailedPrecondition(format!(
                    "case {case_id} has a procesregisseur, who stays until the solution is realised; \
                     give replacement_reason to replace them"
                )));
            }
            (Some(former), Some(why)) => format!(
                "{name} ({organisation}) replaces {} ({}): {why}",
                former.name, former.organisation
            ),
            (None, _) => format!("{name} ({organisation})"),
        };
        storage::cases::set_reason(&mut open.tx, case_id, open.before.version + 1, &reason).await?;
        let appointed = Procesregisseur {
            name,
            organisation,
            appointed_at: self.now(),
        };
        storage::plan::set_procesregisseur(&mut open.tx, case_id, &appointed).await?;
        open.tx.commit().await?;
        Ok(appointed)
    }

    /// Sets the one case manager of a care arrangement; a new one replaces the former.
    pub async fn assign_case_manager(
        &self,
        case_id: &str,
        actor: &str,
        arrangement: String,
        case_manager: String,
        organisation: String,
    ) -> Result<CareArrangement> {
        let mut open = self
            .begin_change(case_id, actor, Action::AssignCaseManager, "", no_fields)
            .await?;
        let assigned = CareArrangement {
            arrangement,
            case_manager,
            organisation,
            assigned_at: self.now(),
        };
        let former = storage::plan::assign_case_manager(&mut open.tx, case_id, &assigned).await?;
        let mut reason = format!(
            "arrangement {}: {} ({})",
            assigned.arrangement, assigned.case_manager, assigned.organisation
        );
        if let Some(former) = former {
            reason.push_str(&format!(", replaces {former}"));
        }
        storage::cases::set_reason(&mut open.tx, case_id, open.before.version + 1, &reason).await?;
        open.tx.commit().await?;
        Ok(assigned)
    }

    pub async fn add_task(
        &self,
        case_id: &str,
        actor: &str,
        description: String,
        owner: String,
        due: time::Date,
    ) -> Result<Task> {
        self.check_due("due", due)?;
        let now = self.now();
        let task = Task {
            id: new_id(),
            case_id: case_id.to_owned(),
            description,
            owner,
            due,
            status: TaskStatus::Open,
            created_at: now,
            updated_at: now,
        };
        let reason = format!("task {}", task.id);
        let mut open = self
            .begin_change(case_id, actor, Action::AddTask, &reason, no_fields)
            .await?;
        storage::plan::insert_task(&mut open.tx, &task).await?;
        open.tx.commit().await?;
        Ok(task)
    }

    pub async fn update_task(
        &self,
        task_id: &str,
        actor: &str,
        status: TaskStatus,
    ) -> Result<Task> {
        let current = storage::plan::task(self.storage.pool(), task_id).await?;
        if !current.status.is_open() {
            return Err(Error::FailedPrecondition(format!(
                "task {task_id} is already {}",
                current.status
            )));
        }
        let reason = format!("task {task_id} {status}");
        let mut open = self
            .begin_change(
                &current.case_id,
                actor,
                Action::UpdateTask,
                &reason,
                no_fields,
            )
            .await?;
        storage::plan::set_task_status(&mut open.tx, task_id, status, self.now()).await?;
        let updated = storage::plan::task(&mut *open.tx, task_id).await?;
        open.tx.commit().await?;
        Ok(updated)
    }

    pub async fn add_progress_note(
        &self,
        case_id: &str,
        author: &str,
        text: String,
    ) -> Result<ProgressNote> {
        let mut open = self
            .begin_change(case_id, author, Action::AddProgressNote, "", no_fields)
            .await?;
        let note = ProgressNote {
            at: self.now(),
            author: author.to_owned(),
            text,
        };
        storage::plan::insert_note(&mut open.tx, case_id, &note).await?;
        open.tx.commit().await?;
        Ok(note)
    }

    /// Open commitments and tasks due before `as_of` (default: today), across the node.
    pub async fn overdue(
        &self,
        as_of: Option<time::Date>,
        limit: u32,
    ) -> Result<(time::Date, Overdue)> {
        let day = as_of.unwrap_or_else(|| self.clock.today());
        Ok((
            day,
            storage::plan::overdue(self.storage.pool(), day, limit).await?,
        ))
    }
}
