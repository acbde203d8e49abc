//! What each request tells the audit trail: the case it concerns and the person it is made for (its
//! `actor`). Handlers call [`audited`] first thing; the guard writes the event once the answer is known.

use crate::access::guard::AuditSlot;
use expertnet_proto::v1 as wire;

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
