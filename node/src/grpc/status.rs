//! The one mapping from the node's errors to gRPC statuses. Storage details stay in the node's log; the
//! caller learns only that something failed on the node's side.

use crate::error::Error;
use tonic::Status;

impl From<Error> for Status {
    fn from(err: Error) -> Status {
        match &err {
            Error::InvalidArgument { .. } => Status::invalid_argument(err.to_string()),
            Error::NotFound { .. } => Status::not_found(err.to_string()),
            Error::IllegalAction(_) | Error::FailedPrecondition(_) => {
                Status::failed_precondition(err.to_string())
            }
            Error::AlreadyExists { .. } => Status::already_exists(err.to_string()),
            Error::Conflict(_) => Status::aborted(err.to_string()),
            Error::PermissionDenied(_) => Status::permission_denied(err.to_string()),
            Error::Unavailable(_) => Status::unavailable(err.to_string()),
            Error::Storage(sqlx::Error::PoolTimedOut) => {
                Status::unavailable("the node's database is busy; retry")
            }
            Error::Storage(_)
            | Error::Migration(_)
            | Error::Config(_)
            | Error::Vault(_)
            | Error::Unreadable(_)
            | Error::Server(_) => {
                tracing::error!(error = %err, "request failed inside the node");
                Status::internal("internal error at the node")
            }
        }
    }
}
