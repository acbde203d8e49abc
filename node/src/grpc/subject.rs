//! What each request tells the audit trail: the case it concerns and the person it is made for (its
//! `actor`). Handlers call [`audited`] first thing; the guard writes the event once the answer is known.
//!
//! A request's `actor` only says on whose behalf it was made; a change is recorded under the person the guard
//! signed in ([`acting`]), so a client cannot choose whose name a case's history carries.

use crate::access::guard::{Acting, AuditSlot};
use expertnet_proto::v1 as wire;
use tonic::Status;

/// A request's case and on-whose-behalf fields, as sent (empty when it has none).
pub(crate) trait Subject {
    fn case_id(&self) -> &str {
        ""
    }
    fn on_behalf_of(&self) -> &str {
        ""
    }
}

macro_rules! subject {
    ($($message:ident $(case: $case:ident)? $(behalf: $behalf:ident)?;)+) => {
        $(impl Subject for wire::$message {
            $(fn case_id(&self) -> &str { &self.$case })?
            $(fn on_behalf_of(&self) -> &str { &self.$behalf })?
        })+
    };
}

subject! {
    SubmitCaseRequest;
    CaseRef case: case_id behalf: actor;
    GetCaseRequest case: case_id;
    ReturnCaseRequest case: case_id behalf: actor;
    ListCasesRequest;
    GetYouthIdentityRequest case: case_id;
    RecordDiscussionRequest case: case_id behalf: actor;
    AddCommitmentRequest case: case_id behalf: actor;
    UpdateCommitmentRequest behalf: actor;
    AppointProcesregisseurRequest case: case_id behalf: actor;
    AssignCaseManagerRequest case: case_id behalf: actor;
    AddTaskRequest case: case_id behalf: actor;
    UpdateTaskRequest behalf: actor;
    AddProgressNoteRequest case: case_id behalf: author;
    CloseCaseRequest case: case_id behalf: actor;
    ListOverdueRequest;
    CreateSessionRequest behalf: actor;
    GetSessionRequest;
    ListSessionsRequest;
    AddToAgendaRequest case: case_id behalf: actor;
    RecordAttendanceRequest case: case_id behalf: actor;
    AskConsultationRequest case: case_id;
    AnswerConsultationRequest;
    GetConsultationRequest;
    ListConsultationsRequest;
    RecordConsentRequest case: case_id behalf: actor;
    WithdrawConsentRequest case: case_id behalf: actor;
    EscalateCaseRequest case: case_id behalf: actor;
    ListEscalationsRequest;
    ListOutboxRequest;
    ReplayDeadLetterRequest behalf: actor;
}

/// Notes the request's subject for its audit event; returns the slot, for a case known only from the answer.
pub(crate) fn audited<T: Subject>(request: &tonic::Request<T>) -> AuditSlot {
    let slot = AuditSlot::of(request);
    let message = request.get_ref();
    slot.note(message.case_id(), message.on_behalf_of());
    slot
}

/// Who a change is recorded under: the signed-in person with their organisation and the roles that allow the
/// call, as the guard put it in the request. A request that did not pass the guard has nobody to record.
pub(crate) fn acting<T>(request: &tonic::Request<T>) -> Result<String, Status> {
    request
        .extensions()
        .get::<Acting>()
        .map(|acting| acting.0.clone())
        .ok_or_else(|| Status::unauthenticated("nobody is signed in for this change"))
}
