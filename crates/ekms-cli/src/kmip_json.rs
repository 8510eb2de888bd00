//! Requests as KMIP 2.1 JSON TTLV (the names of the KMIP specification), sent with
//! [`ekms_client::Client::kmip_2_1`], and readers of the answers' fields, for the commands
//! whose operations have no shared request type in `ekms_kmip::operations` yet (key files and
//! wrapping: Register, Import, Export, Get); the others use those types through
//! [`ekms_client::Client::call`].

use anyhow::{Result, anyhow};
use ekms_kmip::Ttlv;
use serde_json::{Value, json};

use crate::context::Context;

/// An Enumeration item, its value named as in the specification.
pub(crate) fn e(tag: &str, name: &str) -> Value {
    json!({"tag": tag, "type": "Enumeration", "value": name})
}

/// An Integer item.
pub(crate) fn int(tag: &str, v: i64) -> Value {
    json!({"tag": tag, "type": "Integer", "value": v})
}

/// A Text String item.
pub(crate) fn text(tag: &str, v: &str) -> Value {
    json!({"tag": tag, "type": "TextString", "value": v})
}

/// A Byte String item (upper-case hex).
pub(crate) fn bytes(tag: &str, v: &[u8]) -> Value {
    json!({"tag": tag, "type": "ByteString", "value": hex::encode_upper(v)})
}

/// A Structure item.
pub(crate) fn st(tag: &str, items: Vec<Value>) -> Value {
    json!({"tag": tag, "type": "Structure", "value": items})
}

/// A Name attribute (uninterpreted text).
pub(crate) fn name_attr(name: &str) -> Value {
    st(
        "Name",
        vec![
            text("NameValue", name),
            e("NameType", "UninterpretedTextString"),
        ],
    )
}

/// A second ago: an Activation Date that makes a key Active at once.
pub(crate) fn activation_time() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() - 1
}

/// An Activation Date of a second ago, so that the key is Active at once.
pub(crate) fn activation_now() -> Value {
    json!({"tag": "ActivationDate", "type": "DateTime",
           "value": ekms_kmip::json::format_datetime(activation_time())})
}

/// Sends operation `op` with payload `items`; returns the response payload as JSON TTLV.
pub(crate) async fn call(ctx: &Context, op: &str, items: Vec<Value>) -> Result<Value> {
    let request = ekms_kmip::json::from_value(&st(op, items))
        .map_err(|e| anyhow!("cannot build the {op} request: {e}"))?;
    let response: Ttlv = ctx.client(true)?.kmip_2_1(&request).await?;
    Ok(ekms_kmip::json::to_value(&response))
}

/// The items of a structure.
pub(crate) fn items(v: &Value) -> &[Value] {
    v.get("value")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The first child of `v` with `tag`.
pub(crate) fn child<'a>(v: &'a Value, tag: &str) -> Option<&'a Value> {
    items(v).iter().find(|c| c["tag"] == tag)
}

/// The text of the child of `v` with `tag`; the error names the missing field.
pub(crate) fn child_str<'a>(v: &'a Value, tag: &str) -> Result<&'a str> {
    child(v, tag)
        .and_then(|c| c["value"].as_str())
        .ok_or_else(|| anyhow!("the server's answer has no {tag}"))
}

/// The bytes of the child of `v` with `tag`.
pub(crate) fn child_bytes(v: &Value, tag: &str) -> Result<Vec<u8>> {
    let h = child_str(v, tag)?;
    hex::decode(h).map_err(|_| anyhow!("{tag} in the server's answer is not hex"))
}
