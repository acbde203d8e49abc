//! The gateway's one error type and its mapping to gRPC statuses.

use tonic::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller presented no usable certificate.
    #[error("{0}")]
    Unauthenticated(String),

    /// The caller is known but may not do this: a region not in the registry, a spoofed region, no covenant.
    #[error("{0}")]
    PermissionDenied(String),

    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },

    /// A message is over the gateway's size limit.
    #[error("{0}")]
    TooLarge(String),

    /// The request uses something the gateway does not offer (a compressed message).
    #[error("{0}")]
    Unimplemented(String),

    /// A named region is not in the registry, or no region offers the expertise asked for.
    #[error("{0}")]
    NotFound(String),

    /// A person of that name exists already.
    #[error("{0}")]
    AlreadyExists(String),

    /// The state does not allow it yet (a quarter that is not over).
    #[error("{0}")]
    FailedPrecondition(String),

    /// A consumer's differential-privacy budget would be exceeded.
    #[error("{0}")]
    BudgetExhausted(String),

    /// A call ran out of time: its body did not arrive, or its own deadline (`grpc-timeout`) passed.
    #[error("{0}")]
    DeadlineExceeded(String),

    /// A target node could not be reached; the sender's outbox tries again later.
    #[error("{0}")]
    Unavailable(String),

    /// A target node refused the envelope; its code is passed on to the sender.
    #[error("region {region} refused: {message}")]
    Refused {
        region: String,
        code: Code,
        message: String,
    },

    /// The statistics store failed; details stay in the gateway's log.
    #[error("statistics store: {0}")]
    Storage(String),

    #[error("configuration: {0}")]
    Config(String),

    /// The noise mechanism could not be built or applied; details stay in the gateway's log.
    #[error("differential privacy: {0}")]
    Privacy(String),

    /// A report (a yearly review's chart) could not be drawn.
    #[error("report: {0}")]
    Report(String),
}

impl Error {
    /// Whether this is a refusal of what was asked (a person may be told why), not a failure inside the gateway.
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Error::Storage(_) | Error::Privacy(_) | Error::Report(_) | Error::Config(_)
        )
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Status {
        let message = err.to_string();
        match err {
            Error::Unauthenticated(_) => Status::unauthenticated(message),
            Error::PermissionDenied(_) => Status::permission_denied(message),
            Error::InvalidArgument { .. } => Status::invalid_argument(message),
            Error::NotFound(_) => Status::not_found(message),
            Error::AlreadyExists(_) => Status::already_exists(message),
            Error::TooLarge(_) => Status::out_of_range(message),
            Error::Unimplemented(_) => Status::unimplemented(message),
            Error::FailedPrecondition(_) => Status::failed_precondition(message),
            Error::Unavailable(_) => Status::unavailable(message),
            Error::DeadlineExceeded(_) => Status::deadline_exceeded(message),
            Error::BudgetExhausted(_) => Status::resource_exhausted(message),
            Error::Refused { code, .. } => Status::new(code, message),
            Error::Storage(_) | Error::Privacy(_) | Error::Report(_) => {
                tracing::error!(error = %message, "statistics failed inside the gateway");
                Status::internal("internal error at the gateway")
            }
            Error::Config(_) => Status::internal(message),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
