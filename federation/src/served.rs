//! What every expertnet gRPC server serves beside its own services — the schema by reflection, `v1` and (for
//! python's grpcio-reflection and older grpcurl) `v1alpha` — and the descriptor sets that name the RPCs it
//! may be asked for, which its metrics count by name.

use tonic_reflection::server::{Builder, Error};

/// The contract, health and reflection: every RPC a node or the gateway serves.
pub const DESCRIPTOR_SETS: &[&[u8]] = &[
    expertnet_proto::FILE_DESCRIPTOR_SET,
    tonic_health::pb::FILE_DESCRIPTOR_SET,
    tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
    tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
];

fn schema() -> Builder<'static> {
    Builder::configure()
        .register_encoded_file_descriptor_set(expertnet_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

/// Reflection over the contract and health, `v1`.
pub fn reflection_v1() -> Result<
    tonic_reflection::server::v1::ServerReflectionServer<
        impl tonic_reflection::server::v1::ServerReflection,
    >,
    Error,
> {
    schema().build_v1()
}

/// The same, `v1alpha`.
pub fn reflection_v1alpha() -> Result<
    tonic_reflection::server::v1alpha::ServerReflectionServer<
        impl tonic_reflection::server::v1alpha::ServerReflection,
    >,
    Error,
> {
    schema().build_v1alpha()
}
