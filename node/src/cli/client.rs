//! Connecting to a node and turning its refusals into messages that name the field.

use super::args::ClientArgs;
use crate::grpc::convert::{Vocabulary, wire_enum};
use anyhow::{Context, Result, anyhow};
use expertnet_proto::v1::case_service_client::CaseServiceClient;
use expertnet_proto::v1::consultation_service_client::ConsultationServiceClient;
use expertnet_proto::v1::escalation_service_client::EscalationServiceClient;
use expertnet_proto::v1::outbox_service_client::OutboxServiceClient;
use expertnet_proto::v1::session_service_client::SessionServiceClient;
use tonic::transport::{Channel, Endpoint};

pub async fn channel(args: &ClientArgs) -> Result<Channel> {
    let endpoint = Endpoint::from_shared(args.node.clone())
        .map_err(|_| {
            anyhow!(
                "--node: '{}' is not a URL like http://127.0.0.1:50051",
                args.node
            )
        })?
        .connect_timeout(std::time::Duration::from_secs(5));
    endpoint
        .connect()
        .await
        .with_context(|| format!("cannot reach the node at {}", args.node))
}

pub async fn cases(args: &ClientArgs) -> Result<CaseServiceClient<Channel>> {
    Ok(CaseServiceClient::new(channel(args).await?))
}

pub async fn sessions(args: &ClientArgs) -> Result<SessionServiceClient<Channel>> {
    Ok(SessionServiceClient::new(channel(args).await?))
}

pub async fn consultations(args: &ClientArgs) -> Result<ConsultationServiceClient<Channel>> {
    Ok(ConsultationServiceClient::new(channel(args).await?))
}

pub async fn escalations(args: &ClientArgs) -> Result<EscalationServiceClient<Channel>> {
    Ok(EscalationServiceClient::new(channel(args).await?))
}

pub async fn outbox(args: &ClientArgs) -> Result<OutboxServiceClient<Channel>> {
    Ok(OutboxServiceClient::new(channel(args).await?))
}

/// The node's answer, or its refusal as an error carrying the status code and the node's message.
pub fn answer<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Result<T> {
    result
        .map(tonic::Response::into_inner)
        .map_err(|status| anyhow!("{:?}: {}", status.code(), status.message()))
}

/// A domain word the argument parser already checked, as its wire value.
pub fn wire<V: Vocabulary>(word: &str) -> i32 {
    V::from_word(word).map(wire_enum).unwrap_or(0)
}

pub fn optional_wire<V: Vocabulary>(word: Option<&str>) -> i32 {
    word.map(wire::<V>).unwrap_or(0)
}
