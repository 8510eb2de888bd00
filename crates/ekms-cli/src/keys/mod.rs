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
use serde_json::Value;

use crate::context::Context;
use crate::kmip_json::{child, child_bytes, items};
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

/// The tags of the managed objects a Get answer or a wrapped-key file may hold.
pub(crate) const OBJECTS: [&str; 7] = [
    "SymmetricKey",
    "PrivateKey",
    "PublicKey",
    "Certificate",
    "SecretData",
    "SplitKey",
    "OpaqueObject",
];

/// The object structure of a Get response.
pub(crate) fn object_of(response: &Value) -> Result<&Value> {
    items(response)
        .iter()
        .find(|c| c["tag"].as_str().is_some_and(|t| OBJECTS.contains(&t)))
        .ok_or_else(|| anyhow!("the server's Get answer holds no object"))
}

/// The key material of an object's Key Block (the wrapped bytes for a TTLV-wrapped key).
pub(crate) fn key_material(object: &Value) -> Result<Vec<u8>> {
    let block = child(object, "KeyBlock").ok_or_else(|| anyhow!("the key has no Key Block"))?;
    let value = child(block, "KeyValue").ok_or_else(|| anyhow!("the key has no Key Value"))?;
    if value["type"] == "ByteString" {
        // TTLV-encoded wrapping: the whole Key Value is the wrapped bytes.
        return hex::decode(value["value"].as_str().unwrap_or_default())
            .map_err(|_| anyhow!("KeyValue is not hex"));
    }
    child_bytes(value, "KeyMaterial")
}
