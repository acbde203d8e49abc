//! Compiles the contract with protox (pure Rust), so a fresh machine needs no system protoc.

use prost::Message;
use std::{env, fs, path::PathBuf};

const PROTOS: &[&str] = &[
    "proto/expertnet/v1/node.proto",
    "proto/expertnet/v1/federation.proto",
    "proto/expertnet/v1/escalation.proto",
    "proto/expertnet/v1/audit.proto",
    "proto/expertnet/v1/signals.proto",
    "proto/expertnet/v1/review.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let encoded = descriptors.encode_to_vec();
    fs::write(out_dir.join("expertnet_descriptor.bin"), &encoded)?;
    // The youth's identifiers get a hand-written Debug (in lib.rs) that prints none of them, so a request
    // logged with `{:?}` anywhere cannot leak them.
    tonic_prost_build::configure()
        .skip_debug([".expertnet.v1.YouthIdentity"])
        .compile_fds(descriptors)?;
    // Canonical protobuf JSON (enum names, snake_case field names) for the CLI's --json output.
    pbjson_build::Builder::new()
        .register_descriptors(&encoded)?
        .preserve_proto_field_names()
        .build(&[".expertnet.v1"])?;
    Ok(())
}
