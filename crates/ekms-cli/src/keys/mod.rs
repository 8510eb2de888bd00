//! The key commands: `ekms sym create`, `ekms rsa|ec keys create` ([`create`]), `ekms keys
//! get|locate|activate|revoke|destroy|rekey` ([`lifecycle`]), `ekms keys import|export` of key
//! files ([`files`]) and `ekms keys wrap|unwrap` ([`wrap`]).
//!
//! Key files are read and written with `ekms-crypto`'s key formats (PEM, DER, PKCS#8, PKCS#1,
//! SEC1, SubjectPublicKeyInfo); outputs go through the atomic writer.

pub mod create;
pub mod files;
pub mod lifecycle;
pub mod wrap;

use anyhow::{Result, anyhow};
use ekms_kmip::enums::ObjectType;
use ekms_kmip::operations::get::value_tag;
use ekms_kmip::operations::{KmipRequest, UniqueIdentifier};
use ekms_kmip::{Attributes, Name, Tag, Ttlv};
use serde_json::Value;

use crate::context::Context;
use crate::output::print_json;

/// Prints a command's result: `value` with `--json`, else `line`.
pub(crate) fn print(ctx: &Context, value: Value, line: String) -> Result<()> {
    if ctx.json {
        print_json(&value)
    } else {
        println!("{line}");
        Ok(())
    }
}

/// A second ago: an Activation Date that makes a key Active at once.
pub(crate) fn activation_time() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() - 1
}

/// The attributes of a key file stored on the server: its Name, and when `activate` an
/// Activation Date that makes it Active at once.
pub(crate) fn file_attributes(name: Option<&str>, activate: bool) -> Attributes {
    Attributes {
        names: name.map(Name::text).into_iter().collect(),
        activation_date: activate.then(activation_time),
        ..Default::default()
    }
}

/// Sends a request that stores an object (Register, Import) and prints its identifier.
pub(crate) async fn store<R>(ctx: &Context, request: R, object_type: ObjectType) -> Result<()>
where
    R: KmipRequest<Response = UniqueIdentifier>,
{
    let uid = ctx.client(true)?.call(request).await?.uid;
    print(
        ctx,
        serde_json::json!({"unique_identifier": uid, "object_type": object_type.name()}),
        uid,
    )
}

/// The Object Type of a managed object's value structure (a Get answer's or a wrapped-key
/// file's), for the types ekms stores.
pub(crate) fn object_type_of(tag: Tag) -> Option<ObjectType> {
    [
        ObjectType::SymmetricKey,
        ObjectType::PrivateKey,
        ObjectType::PublicKey,
        ObjectType::Certificate,
        ObjectType::SecretData,
        ObjectType::SplitKey,
        ObjectType::OpaqueObject,
    ]
    .into_iter()
    .find(|t| value_tag(*t) == tag)
}

/// The key material of an object's Key Block (the wrapped bytes for a TTLV-wrapped key).
pub(crate) fn key_material(object: &Ttlv) -> Result<Vec<u8>> {
    let block = object
        .child(Tag::KEY_BLOCK)
        .ok_or_else(|| anyhow!("the key has no Key Block"))?;
    let value = block
        .child(Tag::KEY_VALUE)
        .ok_or_else(|| anyhow!("the key has no Key Value"))?;
    if let Some(wrapped) = value.as_bytes() {
        // TTLV-encoded wrapping: the whole Key Value is the wrapped bytes.
        return Ok(wrapped.to_vec());
    }
    value
        .child(Tag::KEY_MATERIAL)
        .and_then(Ttlv::as_bytes)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| anyhow!("the server's answer has no KeyMaterial"))
}
