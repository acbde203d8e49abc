//! The expertnet wire contract, generated from `proto/expertnet/v1/*.proto`.
//!
//! Generated code is not held to the workspace's documentation lints; the `.proto` files carry the comments.

#[allow(missing_debug_implementations, clippy::all)]
pub mod v1 {
    tonic::include_proto!("expertnet.v1");
    include!(concat!(env!("OUT_DIR"), "/expertnet.v1.serde.rs"));
}

impl std::fmt::Debug for v1::YouthIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("YouthIdentity(redacted)")
    }
}

/// Encoded `FileDescriptorSet` of the whole contract, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/expertnet_descriptor.bin"));

#[cfg(test)]
mod tests {
    use super::v1::{SubmitCaseRequest, YouthIdentity};

    #[test]
    fn debug_output_carries_no_identifiers() {
        let request = SubmitCaseRequest {
            youth: Some(YouthIdentity {
                name: "Geheime Naam".into(),
                bsn: "999990019".into(),
                date_of_birth: "2011-04-03".into(),
            }),
            ..Default::default()
        };
        let printed = format!("{request:?}");
        for secret in ["Geheime", "999990019", "2011-04-03"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("redacted"), "{printed}");
    }
}
