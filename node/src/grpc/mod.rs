//! The gRPC adapters: thin handlers that parse and validate a request, call one workflow function and map the
//! result. `status` holds the one mapping from errors to gRPC statuses.

mod audit;
mod cases;
mod consultations;
pub mod convert;
mod escalations;
mod inbox;
pub mod review;
mod sessions;
mod status;
mod subject;

pub use audit::AuditApi;
pub use cases::{CaseApi, MAX_PAGE_SIZE, parse_discussion, parse_new_case, parse_new_commitment};
pub use consultations::{ConsultationApi, parse_new_consultation};
pub use escalations::{EscalationApi, OutboxApi, parse_escalation, parse_new_consent};
pub use inbox::InboxApi;
pub use review::ReviewApi;
pub use sessions::{DEFAULT_DURATION_MINUTES, SessionApi, parse_attendees, parse_new_session};
