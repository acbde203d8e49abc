//! Connecting to a node and turning its refusals into messages that name the field.

use super::args::ClientArgs;
use crate::access::{BearerToken, SignedChannel};
use crate::grpc::convert::{Vocabulary, wire_enum};
use anyhow::{Context, Result, anyhow};
use expertnet_proto::v1::audit_service_client::AuditServiceClient;
use expertnet_proto::v1::case_service_client::CaseServiceClient;
use expertnet_proto::v1::consultation_service_client::ConsultationServiceClient;
use expertnet_proto::v1::escalation_service_client::EscalationServiceClient;
use expertnet_proto::v1::outbox_service_client::OutboxServiceClient;
use expertnet_proto::v1::review_service_client::ReviewServiceClient;
use expertnet_proto::v1::session_service_client::SessionServiceClient;
use tonic::transport::{Channel, Endpoint};

/// Environment variable holding the user's API token.
pub const TOKEN_ENV: &str = "EXPERTNET_TOKEN";

/// The user's token: `EXPERTNET_TOKEN`, else the file named by `--token-file`; none when neither is set (the
/// node then says a token is needed).
fn bearer(args: &ClientArgs) -> Result<BearerToken> {
    if let Ok(token) = std::env::var(TOKEN_ENV)
        && !token.trim().is_empty()
    {
        return Ok(BearerToken::new(&token));
    }
    match &args.token_file {
        Some(path) => {
            let token = std::fs::read_to_string(path)
                .with_context(|| format!("--token-file: cannot read {}", path.display()))?;
            Ok(BearerToken::new(&token))
        }
        None => Ok(BearerToken::none()),
    }
}

pub async fn channel(args: &ClientArgs) -> Result<SignedChannel> {
    Ok(bearer(args)?.sign(connect(args).await?))
}

async fn connect(args: &ClientArgs) -> Result<Channel> {
    let mut endpoint = Endpoint::from_shared(args.node.clone())
        .map_err(|_| {
            anyhow!(
                "--node: '{}' is not a URL like https://127.0.0.1:50051",
                args.node
            )
        })?
        .connect_timeout(std::time::Duration::from_secs(5));
    if args.node.starts_with("https://") {
        let ca = args.ca.as_deref().ok_or_else(|| {
            anyhow!("--ca: a node at an https:// address needs the CA certificate that signed its certificate")
        })?;
        let tls = expertnet_federation::tls::trusting(ca).map_err(|e| anyhow!("--ca: {e}"))?;
        endpoint = endpoint.tls_config(tls)?;
    }
    endpoint
        .connect()
        .await
        .with_context(|| format!("cannot reach the node at {}", args.node))
}

pub async fn cases(args: &ClientArgs) -> Result<CaseServiceClient<SignedChannel>> {
    Ok(CaseServiceClient::new(channel(args).await?))
}

pub async fn sessions(args: &ClientArgs) -> Result<SessionServiceClient<SignedChannel>> {
    Ok(SessionServiceClient::new(channel(args).await?))
}

pub async fn consultations(args: &ClientArgs) -> Result<ConsultationServiceClient<SignedChannel>> {
    Ok(ConsultationServiceClient::new(channel(args).await?))
}

pub async fn escalations(args: &ClientArgs) -> Result<EscalationServiceClient<SignedChannel>> {
    Ok(EscalationServiceClient::new(channel(args).await?))
}

pub async fn outbox(args: &ClientArgs) -> Result<OutboxServiceClient<SignedChannel>> {
    Ok(OutboxServiceClient::new(channel(args).await?))
}

pub async fn review(args: &ClientArgs) -> Result<ReviewServiceClient<SignedChannel>> {
    Ok(ReviewServiceClient::new(channel(args).await?))
}

pub async fn audit(args: &ClientArgs) -> Result<AuditServiceClient<SignedChannel>> {
    Ok(AuditServiceClient::new(channel(args).await?))
}

/// The node's answer, or its refusal as an error carrying the status code and the node's message.
pub fn answer<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Result<T> {
    result
        .map(tonic::Response::into_inner)
        .map_err(|status| match status.code() {
            tonic::Code::Unauthenticated => anyhow!(
                "Unauthenticated: {} (set {TOKEN_ENV} or --token-file)",
                status.message()
            ),
            tonic::Code::Internal if status.message().contains("h2 protocol error") => anyhow!(
                "{}: the node did not speak plain gRPC; if it serves TLS, use its https:// address and --ca",
                status.message()
            ),
            code => anyhow!("{code:?}: {}", status.message()),
        })
}

/// A domain word the argument parser already checked, as its wire value.
pub fn wire<V: Vocabulary>(word: &str) -> i32 {
    V::from_word(word).map(wire_enum).unwrap_or(0)
}

pub fn optional_wire<V: Vocabulary>(word: Option<&str>) -> i32 {
    word.map(wire::<V>).unwrap_or(0)
}
