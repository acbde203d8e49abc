//! The expertnet wire contract, generated from `proto/expertnet/v1/*.proto`.
//!
//! Generated code is not held to the workspace's documentation lints; the `.proto` files carry the comments.

#[allow(missing_debug_implementations, clippy::all)]
pub mod v1 {
    tonic::include_proto!("expertnet.v1");
    include!(concat!(env!("OUT_DIR"), "/expertnet.v1.serde.rs"));
}

/// Encoded `FileDescriptorSet` of the whole contract, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/expertnet_descriptor.bin"));
