//! The node's one error type. Each variant says what the caller can act on; `grpc::status` maps it to the wire.
//! Messages never carry personal data: they name fields and ids, not values of identity fields.

use crate::domain::lifecycle::IllegalAction;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input; `field` is the request field (dotted path) at fault.
    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },

    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },

    /// The case's state does not allow the action.
    #[error("{0}")]
    IllegalAction(#[from] IllegalAction),

    /// Another precondition on the node's data does not hold (e.g. a case not on the session's agenda).
    #[error("{0}")]
    FailedPrecondition(String),

    /// The thing exists already (a duplicate agenda entry, a reused request id with other content).
    #[error("{field}: {message}")]
    AlreadyExists { field: String, message: String },

    /// The caller may not do this: no consent on record, no covenant, a region that may not send this.
    #[error("{0}")]
    PermissionDenied(String),

    /// A concurrent request changed the case first; the caller may retry.
    #[error("case {0} was changed concurrently; retry")]
    Conflict(String),

    /// Something the node needs is out of reach for now (the audit trail cannot be written); retry.
    #[error("{0}")]
    Unavailable(String),

    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),

    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    #[error("configuration: {0}")]
    Config(String),

    /// Stored identifiers that do not decrypt (a wrong or missing key, an altered row). Names the case and
    /// field, never a value.
    #[error("identity vault: {0}")]
    Vault(String),

    /// Something the node stored that it cannot read back (an outbox envelope that is no longer valid JSON).
    #[error("unreadable stored data: {0}")]
    Unreadable(String),

    /// The gRPC server could not be set up or stopped serving.
    #[error("server: {0}")]
    Server(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Error {
        Error::NotFound {
            kind,
            id: id.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
