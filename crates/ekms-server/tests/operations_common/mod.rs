//! Builders and readers shared by the operations_* end-to-end tests: KMIP 2.1 JSON TTLV items,
//! common requests (keys, key pairs, lifecycle) and checks of failures.
#![allow(dead_code)]

use super::support::*;
use serde_json::{Value, json};

pub fn e(tag: &str, name: &str) -> Value {
    json!({"tag": tag, "type": "Enumeration", "value": name})
}

pub fn i(tag: &str, v: i64) -> Value {
    json!({"tag": tag, "type": "Integer", "value": v})
}

pub fn boolean(tag: &str, v: bool) -> Value {
    json!({"tag": tag, "type": "Boolean", "value": v})
}

pub fn st(tag: &str, items: Vec<Value>) -> Value {
    json!({"tag": tag, "type": "Structure", "value": items})
}

/// A SecretData object of type Seed holding `material` (Opaque key format).
pub fn seed_data(material: &[u8]) -> Value {
    st(
        "SecretData",
        vec![
            e("SecretDataType", "Seed"),
            st(
                "KeyBlock",
                vec![
                    e("KeyFormatType", "Opaque"),
                    st("KeyValue", vec![bytes("KeyMaterial", material)]),
                ],
            ),
        ],
    )
}

pub fn dt(tag: &str, unix: i64) -> Value {
    let s = time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    json!({"tag": tag, "type": "DateTime", "value": s})
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn attributes(items: Vec<Value>) -> Value {
    st("Attributes", items)
}

pub fn name(v: &str) -> Value {
    st(
        "Name",
        vec![
            text("NameValue", v),
            e("NameType", "UninterpretedTextString"),
        ],
    )
}

/// Usage mask bits.
pub const SIGN: i64 = 0x1;
pub const VERIFY: i64 = 0x2;
pub const ENCRYPT: i64 = 0x4;
pub const DECRYPT: i64 = 0x8;
pub const WRAP: i64 = 0x10;
pub const UNWRAP: i64 = 0x20;
pub const MAC_GENERATE: i64 = 0x80;
pub const MAC_VERIFY: i64 = 0x100;
pub const DERIVE: i64 = 0x200;

pub fn mask(v: i64) -> Value {
    i("CryptographicUsageMask", v)
}

pub fn active_now() -> Value {
    dt("ActivationDate", now() - 1)
}

/// A Create of a symmetric key with extra attributes.
pub fn create(alg: &str, bits: i64, extra: Vec<Value>) -> Value {
    let mut a = vec![
        e("CryptographicAlgorithm", alg),
        i("CryptographicLength", bits),
    ];
    a.extend(extra);
    op(
        "Create",
        vec![e("ObjectType", "SymmetricKey"), attributes(a)],
    )
}

/// A CreateKeyPair; `common` are common attributes, then private and public ones.
pub fn create_key_pair(common: Vec<Value>, private: Vec<Value>, public: Vec<Value>) -> Value {
    op(
        "CreateKeyPair",
        vec![
            st("CommonAttributes", common),
            st("PrivateKeyAttributes", private),
            st("PublicKeyAttributes", public),
        ],
    )
}

/// A Register of `object` (a value structure such as `SymmetricKey`) with attributes.
pub fn register(object_type: &str, attrs: Vec<Value>, object: Value) -> Value {
    op(
        "Register",
        vec![e("ObjectType", object_type), attributes(attrs), object],
    )
}

/// A Key Block value structure (`SymmetricKey`, `PrivateKey`, …) with byte key material.
pub fn key_object(
    tag: &str,
    format: &str,
    material: &[u8],
    alg: Option<&str>,
    bits: Option<i64>,
) -> Value {
    let mut block = vec![
        e("KeyFormatType", format),
        st("KeyValue", vec![bytes("KeyMaterial", material)]),
    ];
    if let Some(a) = alg {
        block.push(e("CryptographicAlgorithm", a));
    }
    if let Some(b) = bits {
        block.push(i("CryptographicLength", b));
    }
    st(tag, vec![st("KeyBlock", block)])
}

pub fn hexv(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap_or_else(|| panic!("not hex: {v}"))).unwrap()
}

/// The items of a structure value.
pub fn items(v: &Value) -> Vec<Value> {
    v.as_array()
        .cloned()
        .unwrap_or_else(|| panic!("not a structure: {v}"))
}

/// The Key Block of a Get response (the object structure tagged `object`).
pub fn key_block(resp: &[Value], object: &str) -> Vec<Value> {
    let obj = items(field(resp, object));
    items(field(&obj, "KeyBlock"))
}

/// The byte Key Material of a Get response.
pub fn material(resp: &[Value], object: &str) -> Vec<u8> {
    let block = key_block(resp, object);
    let kv = items(field(&block, "KeyValue"));
    hexv(field(&kv, "KeyMaterial"))
}

/// The Key Value of a Get response whose key was wrapped: a byte string, as KMIP writes a
/// wrapped Key Value (the wrapped Key Material, or the wrapped TTLV-encoded Key Value).
pub fn wrapped_value(resp: &[Value], object: &str) -> Vec<u8> {
    let block = key_block(resp, object);
    hexv(field(&block, "KeyValue"))
}

/// The attributes of a GetAttributes response.
pub fn attrs_of(resp: &[Value]) -> Vec<Value> {
    items(field(resp, "Attributes"))
}

/// Sends a request that must fail; returns (HTTP status, ResultReason).
pub async fn fails(s: &Server, secret: &str, body: Value) -> (u16, String) {
    let (status, v) = s.kmip(Some(secret), &body).await;
    assert_ne!(status, 200, "{body} should fail, got {v}");
    (status, v["error"].as_str().unwrap_or_default().to_string())
}

/// Asserts a failure with `reason` (and the status the reason maps to).
pub async fn fails_with(s: &Server, secret: &str, body: Value, reason: &str) {
    let (status, got) = fails(s, secret, body.clone()).await;
    assert_eq!(got, reason, "{body}");
    let want = match reason {
        "ItemNotFound" | "ObjectNotFound" => 404,
        "InvalidMessage" => 400,
        _ => 422,
    };
    assert_eq!(status, want, "{reason}");
}

pub async fn activate(s: &Server, secret: &str, uid: &str) {
    s.ok(secret, uid_op("Activate", uid)).await;
}

pub fn revoke(uid: &str, reason: &str) -> Value {
    op(
        "Revoke",
        vec![
            text("UniqueIdentifier", uid),
            st("RevocationReason", vec![e("RevocationReasonCode", reason)]),
        ],
    )
}

/// The UniqueIdentifiers of a Locate response.
pub fn uids(resp: &[Value]) -> Vec<String> {
    resp.iter()
        .filter(|i| i["tag"] == "UniqueIdentifier")
        .map(|i| i["value"].as_str().unwrap().to_string())
        .collect()
}

pub fn locate(filters: Vec<Value>, extra: Vec<Value>) -> Value {
    let mut v = extra;
    v.push(attributes(filters));
    op("Locate", v)
}

pub fn params(items: Vec<Value>) -> Value {
    st("CryptographicParameters", items)
}

/// A fresh server and group.
pub async fn server() -> (tempfile::TempDir, Server, String) {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    (tmp, s, secret)
}
