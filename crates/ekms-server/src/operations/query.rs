//! Query: what this server supports, truthfully: the operations of [`super::OPERATIONS`] (the
//! dispatcher's table) and the object types Register stores, limited to what the client's
//! KMIP version defines; the vendor and server information; no application namespaces,
//! extensions, attestation types or client registration methods; the DRBG of aws-lc-rs as the
//! RNG (KMIP 1.3+); the capabilities (KMIP 1.3+: batch undo and continue, no streaming or
//! asynchronous requests).

use super::Context;
use crate::error::KmipError;
use crate::objects::attrs;
use ekms_kmip::enums::{
    DrbgAlgorithm, ObjectType, Operation, QueryFunction, ResultReason, RngAlgorithm,
};
use ekms_kmip::operations::Payload;
use ekms_kmip::operations::query::{Request, Response};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};

/// Every object type Register stores and Get serves (of the versions that define it,
/// [`object_defined`]).
pub const SUPPORTED_OBJECTS: &[ObjectType] = &[
    ObjectType::Certificate,
    ObjectType::SymmetricKey,
    ObjectType::PublicKey,
    ObjectType::PrivateKey,
    ObjectType::SplitKey,
    ObjectType::Template,
    ObjectType::SecretData,
    ObjectType::OpaqueObject,
    ObjectType::PgpKey,
    ObjectType::CertificateRequest,
];

/// Whether KMIP `v` defines object type `t`: PGP Key came with 1.2, Certificate Request with
/// 2.0, and 2.0 removed Template (its value is reserved there).
pub fn object_defined(t: ObjectType, v: ProtocolVersion) -> bool {
    match t {
        ObjectType::Template => v.is_v1(),
        ObjectType::PgpKey => v >= ProtocolVersion::V1_2,
        ObjectType::CertificateRequest => v >= ProtocolVersion::V2_0,
        _ => true,
    }
}

/// The KMIP version that introduced an operation (the specification's table,
/// [`Operation::introduced`]).
pub fn operation_introduced(op: Operation) -> ProtocolVersion {
    op.introduced()
}

/// The KMIP version that introduced a query function.
fn function_introduced(f: QueryFunction) -> ProtocolVersion {
    match f.as_u32() {
        0x01..=0x04 => ProtocolVersion::V1_0,
        0x05 | 0x06 => ProtocolVersion::V1_1,
        0x07 => ProtocolVersion::V1_2,
        0x08..=0x0C => ProtocolVersion::V1_3,
        _ => ProtocolVersion::V2_0,
    }
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let v = attrs::version(ctx);
    let mut wanted: Vec<QueryFunction> = Vec::new();
    for f in &req.functions {
        let f = QueryFunction::from_u32(*f).ok_or_else(|| {
            KmipError::new(
                ResultReason::InvalidField,
                format!("unknown QueryFunction 0x{f:08X}"),
            )
        })?;
        if function_introduced(f) <= v && !wanted.contains(&f) {
            wanted.push(f);
        }
    }
    let has = |f: QueryFunction| wanted.contains(&f);
    // The response lists its parts in the order the specification defines them.
    let mut items = Vec::new();
    if has(QueryFunction::QueryOperations) {
        items.extend(
            super::OPERATIONS
                .iter()
                .filter(|(op, _)| operation_introduced(*op) <= v)
                .map(|(op, _)| Ttlv::enumeration(Tag::OPERATION, op.as_u32())),
        );
    }
    if has(QueryFunction::QueryObjects) {
        items.extend(
            SUPPORTED_OBJECTS
                .iter()
                .filter(|t| object_defined(**t, v))
                .map(|t| Ttlv::enumeration(Tag::OBJECT_TYPE, t.as_u32())),
        );
    }
    if has(QueryFunction::QueryServerInformation) {
        items.push(Ttlv::text(Tag::VENDOR_IDENTIFICATION, "ekms"));
        let mut info = Vec::new();
        if v.is_v2() {
            info.push(Ttlv::text(Tag::SERVER_NAME, "ekms-server"));
            info.push(Ttlv::text(Tag::SERVER_VERSION, env!("CARGO_PKG_VERSION")));
        }
        items.push(Ttlv::structure(Tag::SERVER_INFORMATION, info));
    }
    if has(QueryFunction::QueryRnGs) {
        items.push(Ttlv::structure(
            Tag::RNG_PARAMETERS,
            vec![
                Ttlv::enumeration(Tag::RNG_ALGORITHM, RngAlgorithm::Drbg.as_u32()),
                Ttlv::enumeration(Tag::DRBG_ALGORITHM, DrbgAlgorithm::Ctr.as_u32()),
                Ttlv::enumeration(
                    Tag::CRYPTOGRAPHIC_ALGORITHM,
                    ekms_kmip::enums::CryptographicAlgorithm::Aes.as_u32(),
                ),
                Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 256),
            ],
        ));
    }
    if has(QueryFunction::QueryCapabilities) {
        items.push(Ttlv::structure(
            Tag::CAPABILITY_INFORMATION,
            vec![
                Ttlv::boolean(Tag::STREAMING_CAPABILITY, false),
                Ttlv::boolean(Tag::ASYNCHRONOUS_CAPABILITY, false),
                Ttlv::boolean(Tag::ATTESTATION_CAPABILITY, false),
                Ttlv::boolean(Tag::BATCH_UNDO_CAPABILITY, true),
                Ttlv::boolean(Tag::BATCH_CONTINUE_CAPABILITY, true),
            ],
        ));
    }
    Ok(Payload(items))
}
