//! The KMIP JSON encoding of TTLV (KMIP Additional Message Encodings; the shape Cosmian KMS
//! clients send on `POST /kmip/2_1`).
//!
//! Each item is `{"tag": "<JSON name or 0x42XXXX>", "type": "<type>", "value": …}`:
//! Structure → array of items (`"type"` may be omitted on input); Integer → number (bit masks
//! may also arrive as `"Encrypt|Decrypt"`); LongInteger → `"0x"` + 16 hex digits (a number is
//! accepted on input); BigInteger → `"0x"` + hex of the two's complement bytes; Enumeration →
//! the value's name, or `"0x"` + 8 hex digits when the tag's enumeration has no name for it;
//! Boolean → `true`/`false`; TextString → string; ByteString → upper-case hex (either case
//! accepted); DateTime → RFC 3339 (a `"0x…"` hex or a number of seconds accepted);
//! Interval → number; DateTimeExtended → RFC 3339 with microseconds (or hex).
//!
//! This module owns that mapping, a nesting limit of [`MAX_DEPTH`] and the serde
//! implementation of [`Ttlv`] (which uses this form).

use serde_json::{Map, Value as J};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::enums;
use crate::error::{Error, clip};
use crate::tags::Tag;
use crate::ttlv::{ItemType, Ttlv, Value};

/// Deepest nesting of structures accepted (the top-level item is depth 1).
pub const MAX_DEPTH: usize = 64;

/// The JSON form of an item.
pub fn to_value(t: &Ttlv) -> J {
    let mut m = Map::new();
    let tag = match t.tag.name() {
        Some(n) => n.to_string(),
        None => format!("0x{:06X}", t.tag.0),
    };
    m.insert("tag".into(), J::String(tag));
    m.insert("type".into(), J::String(t.value.type_name().into()));
    let v = match &t.value {
        Value::Structure(items) => J::Array(items.iter().map(to_value).collect()),
        Value::Integer(v) => J::from(*v),
        Value::LongInteger(v) => J::String(format!("0x{:016X}", *v as u64)),
        Value::BigInteger(b) => {
            let mut s = String::with_capacity(2 + 2 * b.len());
            s.push_str("0x");
            push_hex_upper(&mut s, b);
            J::String(s)
        }
        Value::Enumeration(v) => J::String(match enums::enum_name(t.tag, *v) {
            Some(n) => n.to_string(),
            None => format!("0x{v:08X}"),
        }),
        Value::Boolean(b) => J::Bool(*b),
        Value::TextString(s) => J::String(s.clone()),
        Value::ByteString(b) => {
            let mut s = String::with_capacity(2 * b.len());
            push_hex_upper(&mut s, b);
            J::String(s)
        }
        Value::DateTime(s) => J::String(format_datetime(*s)),
        Value::Interval(v) => J::from(*v),
        Value::DateTimeExtended(us) => J::String(format_datetime_ext(*us)),
    };
    m.insert("value".into(), v);
    J::Object(m)
}

/// Appends upper-case hex; byte by byte into the reserved String, because `hex`'s
/// `encode_upper` collects an iterator of chars, a visible cost on 1 KiB payloads.
fn push_hex_upper(out: &mut String, bytes: &[u8]) {
    fn digit(n: u8) -> char {
        // n < 16: the sums stay in ASCII.
        char::from(if n < 10 { b'0' + n } else { b'A' + (n - 10) })
    }
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0F));
    }
}

/// Decodes hex (either case) into a buffer sized once.
fn decode_hex(s: &str) -> Result<Vec<u8>, hex::FromHexError> {
    if !s.len().is_multiple_of(2) {
        return Err(hex::FromHexError::OddLength);
    }
    let mut out = vec![0u8; s.len() / 2];
    hex::decode_to_slice(s, &mut out)?;
    Ok(out)
}

/// The JSON text of an item.
pub fn to_vec(t: &Ttlv) -> Vec<u8> {
    serde_json::to_vec(&to_value(t)).unwrap_or_default()
}

/// The JSON text of an item, as a String.
pub fn to_string(t: &Ttlv) -> String {
    to_value(t).to_string()
}

/// Parses JSON text into an item.
pub fn from_slice(b: &[u8]) -> Result<Ttlv, Error> {
    // serde_json refuses nesting deeper than 128 while parsing, so a hostile document cannot
    // exhaust the stack here; `from_value` then enforces the tighter TTLV limit.
    let v: J = serde_json::from_slice(b).map_err(|e| Error::Json(e.to_string()))?;
    from_value(&v)
}

/// Parses JSON text into an item.
pub fn from_str(s: &str) -> Result<Ttlv, Error> {
    from_slice(s.as_bytes())
}

/// Converts a parsed JSON document into an item.
pub fn from_value(v: &J) -> Result<Ttlv, Error> {
    let mut path = Vec::new();
    item(v, &mut path)
}

fn render(path: &[Tag]) -> String {
    if path.is_empty() {
        return "/".into();
    }
    let mut s = String::new();
    for t in path {
        s.push('/');
        match t.name() {
            Some(n) => s.push_str(n),
            None => s.push_str(&format!("0x{:06X}", t.0)),
        }
    }
    s
}

fn shape(path: &[Tag], reason: impl Into<String>) -> Error {
    Error::JsonShape {
        path: render(path),
        reason: reason.into(),
    }
}

fn item(v: &J, path: &mut Vec<Tag>) -> Result<Ttlv, Error> {
    let obj = v
        .as_object()
        .ok_or_else(|| shape(path, "an item must be a JSON object"))?;
    let tag_s = obj
        .get("tag")
        .and_then(J::as_str)
        .ok_or_else(|| shape(path, "\"tag\" missing or not a string"))?;
    let tag = Tag::from_name(tag_s).ok_or_else(|| Error::UnknownTagName {
        name: clip(tag_s),
        path: render(path),
    })?;
    path.push(tag);
    let r = item_body(tag, obj, path);
    path.pop();
    r
}

fn item_body(tag: Tag, obj: &Map<String, J>, path: &mut Vec<Tag>) -> Result<Ttlv, Error> {
    for k in obj.keys() {
        if k != "tag" && k != "type" && k != "value" {
            return Err(shape(path, format!("unexpected member \"{}\"", clip(k))));
        }
    }
    let ty = match obj.get("type") {
        None => ItemType::Structure,
        Some(J::String(s)) => ItemType::from_name(s)
            .ok_or_else(|| shape(path, format!("unknown type \"{}\"", clip(s))))?,
        Some(_) => return Err(shape(path, "\"type\" must be a string")),
    };
    let v = obj
        .get("value")
        .ok_or_else(|| shape(path, "\"value\" missing"))?;
    let value = match ty {
        ItemType::Structure => {
            let arr = v
                .as_array()
                .ok_or_else(|| shape(path, "a Structure's value must be an array"))?;
            if path.len() > MAX_DEPTH {
                return Err(Error::TooDeep {
                    limit: MAX_DEPTH,
                    location: render(path),
                });
            }
            let mut items = Vec::with_capacity(arr.len());
            for c in arr {
                items.push(item(c, path)?);
            }
            Value::Structure(items)
        }
        ItemType::Integer => Value::Integer(integer(tag, v, path)?),
        ItemType::LongInteger => Value::LongInteger(long(v, path)?),
        ItemType::BigInteger => Value::BigInteger(big_integer(v, path)?),
        ItemType::Enumeration => Value::Enumeration(enumeration(tag, v, path)?),
        ItemType::Boolean => Value::Boolean(match v {
            J::Bool(b) => *b,
            J::String(s) => match parse_hex_u64(s) {
                Some(0) => false,
                Some(1) => true,
                _ => return Err(shape(path, "a Boolean must be true, false, or 0x0/0x1")),
            },
            _ => return Err(shape(path, "a Boolean must be true or false")),
        }),
        ItemType::TextString => Value::TextString(
            v.as_str()
                .ok_or_else(|| shape(path, "a TextString must be a string"))?
                .to_string(),
        ),
        ItemType::ByteString => {
            let s = v
                .as_str()
                .ok_or_else(|| shape(path, "a ByteString must be a hex string"))?;
            let s = s.strip_prefix("0x").unwrap_or(s);
            Value::ByteString(
                decode_hex(s).map_err(|e| shape(path, format!("bad ByteString hex: {e}")))?,
            )
        }
        ItemType::DateTime => Value::DateTime(datetime(v, path)?),
        ItemType::Interval => Value::Interval(match v {
            J::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| shape(path, "an Interval must be an unsigned 32-bit number"))?,
            J::String(s) => parse_hex_u64(s)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| shape(path, "an Interval must be a number or 0x hex"))?,
            _ => return Err(shape(path, "an Interval must be a number")),
        }),
        ItemType::DateTimeExtended => Value::DateTimeExtended(datetime_ext(v, path)?),
    };
    Ok(Ttlv { tag, value })
}

fn parse_hex_u64(s: &str) -> Option<u64> {
    let d = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if d.is_empty() || d.len() > 16 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(d, 16).ok()
}

fn integer(tag: Tag, v: &J, path: &[Tag]) -> Result<i32, Error> {
    match v {
        J::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| shape(path, "an Integer must be a signed 32-bit number")),
        J::String(s) => {
            if let Some(h) = parse_hex_u64(s) {
                // Eight hex digits are the 32-bit two's complement pattern.
                return u32::try_from(h)
                    .map(|u| u as i32)
                    .map_err(|_| shape(path, "Integer hex value exceeds 32 bits"));
            }
            enums::mask_names(tag)
                .and_then(|names| enums::parse_mask(names, s))
                .map(|u| u as i32)
                .ok_or_else(|| shape(path, format!("invalid Integer \"{}\"", clip(s))))
        }
        _ => Err(shape(path, "an Integer must be a number")),
    }
}

fn long(v: &J, path: &[Tag]) -> Result<i64, Error> {
    match v {
        J::Number(n) => n
            .as_i64()
            .ok_or_else(|| shape(path, "a LongInteger must be a signed 64-bit number")),
        J::String(s) => parse_hex_u64(s).map(|u| u as i64).ok_or_else(|| {
            shape(
                path,
                "a LongInteger must be 0x followed by up to 16 hex digits",
            )
        }),
        _ => Err(shape(
            path,
            "a LongInteger must be a hex string or a number",
        )),
    }
}

fn big_integer(v: &J, path: &[Tag]) -> Result<Vec<u8>, Error> {
    match v {
        J::String(s) => {
            let d = s
                .strip_prefix("0x")
                .or_else(|| s.strip_prefix("0X"))
                .ok_or_else(|| shape(path, "a BigInteger must be 0x followed by hex digits"))?;
            if d.is_empty() {
                return Err(shape(path, "a BigInteger needs at least one hex digit"));
            }
            let r = if d.len() % 2 == 1 {
                hex::decode(format!("0{d}"))
            } else {
                hex::decode(d)
            };
            r.map_err(|e| shape(path, format!("bad BigInteger hex: {e}")))
        }
        J::Number(n) => n
            .as_i64()
            .map(|i| i.to_be_bytes().to_vec())
            .ok_or_else(|| shape(path, "a BigInteger number must fit 64 bits; use hex")),
        _ => Err(shape(path, "a BigInteger must be a hex string")),
    }
}

fn enumeration(tag: Tag, v: &J, path: &[Tag]) -> Result<u32, Error> {
    match v {
        J::String(s) => {
            if let Some(h) = parse_hex_u64(s) {
                return u32::try_from(h)
                    .map_err(|_| shape(path, "Enumeration hex value exceeds 32 bits"));
            }
            enums::enum_value(tag, s).ok_or_else(|| Error::UnknownEnumName {
                tag,
                name: clip(s),
                path: render(path),
            })
        }
        J::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                shape(
                    path,
                    "an Enumeration number must be an unsigned 32-bit value",
                )
            }),
        _ => Err(shape(path, "an Enumeration must be a name or 0x hex")),
    }
}

fn datetime(v: &J, path: &[Tag]) -> Result<i64, Error> {
    match v {
        J::String(s) => {
            if let Some(h) = parse_hex_u64(s) {
                return Ok(h as i64);
            }
            OffsetDateTime::parse(s, &Rfc3339)
                .map(|d| d.unix_timestamp())
                .map_err(|e| shape(path, format!("a DateTime must be RFC 3339: {e}")))
        }
        J::Number(n) => n
            .as_i64()
            .ok_or_else(|| shape(path, "a DateTime number must be 64-bit seconds")),
        _ => Err(shape(path, "a DateTime must be an RFC 3339 string")),
    }
}

fn datetime_ext(v: &J, path: &[Tag]) -> Result<i64, Error> {
    match v {
        J::String(s) => {
            if let Some(h) = parse_hex_u64(s) {
                return Ok(h as i64);
            }
            let d = OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|e| shape(path, format!("a DateTimeExtended must be RFC 3339: {e}")))?;
            i64::try_from(d.unix_timestamp_nanos() / 1000)
                .map_err(|_| shape(path, "DateTimeExtended out of range"))
        }
        J::Number(n) => n
            .as_i64()
            .ok_or_else(|| shape(path, "a DateTimeExtended number must be 64-bit")),
        _ => Err(shape(path, "a DateTimeExtended must be an RFC 3339 string")),
    }
}

/// RFC 3339 in UTC for representable times, else `0x` + 16 hex digits.
pub fn format_datetime(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .filter(|d| (0..=9999).contains(&d.year()))
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("0x{:016X}", secs as u64))
}

fn format_datetime_ext(us: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .ok()
        .filter(|d| (0..=9999).contains(&d.year()))
        .and_then(|d| {
            let base = d.replace_nanosecond(0).ok()?.format(&Rfc3339).ok()?;
            let stem = base.strip_suffix('Z')?;
            Some(format!("{stem}.{:06}Z", d.microsecond()))
        })
        .unwrap_or_else(|| format!("0x{:016X}", us as u64))
}

impl serde::Serialize for Ttlv {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        to_value(self).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Ttlv {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = J::deserialize(d)?;
        from_value(&v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
