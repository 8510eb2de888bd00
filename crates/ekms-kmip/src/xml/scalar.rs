//! The XML form of each scalar type, both ways (KMIP Profiles, "XML Encoding"): the text of a
//! `value` attribute turned into the item's type, and the text written back.
//!
//! Integer: decimal, `0x` hex, or for a bit mask its bit names and `0x` values separated by
//! spaces (`"Encrypt Decrypt"`; `|` accepted too); LongInteger and Interval: decimal (or `0x`
//! hex); BigInteger and ByteString: hex digits (xsd:hexBinary, either case, a `0x` prefix
//! accepted); Enumeration: the value's name or `0x` + 8 hex digits; Boolean: `true`/`false`
//! (`1`/`0` and `0x` hex accepted); DateTime and DateTimeExtended: xsd:dateTime (RFC 3339,
//! any offset) or `0x` hex of the raw value.
//!
//! The enumeration or mask of an `AttributeValue` is the one of the attribute its sibling
//! `AttributeName` names (`"Cryptographic Algorithm"` → `AES`): the caller passes that tag as
//! `names`.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::enums;
use crate::error::clip;
use crate::json::format_datetime;
use crate::json::scalar::{decode_hex, format_datetime_ext, parse_hex_u64};
use crate::tags::Tag;
use crate::ttlv::{Budget, ItemType, Value};

/// Why a value is refused (the caller adds the line and the path).
pub(super) enum Bad {
    /// A value its type does not allow.
    Text(String),
    /// The message's memory bound is reached.
    Budget(crate::Error),
}

impl From<String> for Bad {
    fn from(s: String) -> Self {
        Bad::Text(s)
    }
}

impl From<&str> for Bad {
    fn from(s: &str) -> Self {
        Bad::Text(s.to_string())
    }
}

/// The value of a scalar item of type `ty` from its `value` attribute; `names` is the tag
/// whose enumeration or mask names the value may use.
pub(super) fn parse(
    ty: ItemType,
    raw: &str,
    names: Tag,
    budget: &mut Budget,
) -> Result<Value, Bad> {
    if ty == ItemType::TextString {
        budget.take(raw.len()).map_err(Bad::Budget)?;
        return Ok(Value::TextString(raw.to_owned()));
    }
    let s = raw.trim();
    Ok(match ty {
        ItemType::Structure => return Err("a Structure has no value attribute".into()),
        ItemType::Integer => Value::Integer(integer(names, s)?),
        ItemType::LongInteger => Value::LongInteger(
            number(s)
                .or_else(|| parse_hex_u64(s).map(|u| u as i64))
                .ok_or("a LongInteger must be a decimal 64-bit number or 0x hex")?,
        ),
        ItemType::BigInteger => {
            let d = s
                .strip_prefix("0x")
                .or_else(|| s.strip_prefix("0X"))
                .unwrap_or(s);
            budget.take(d.len() / 2 + 1).map_err(Bad::Budget)?;
            let r = if d.len() % 2 == 1 {
                hex::decode(format!("0{d}"))
            } else {
                decode_hex(d)
            };
            Value::BigInteger(r.map_err(|e| format!("bad BigInteger hex: {e}"))?)
        }
        ItemType::Enumeration => Value::Enumeration(match parse_hex_u64(s) {
            Some(h) => u32::try_from(h).map_err(|_| "Enumeration hex value exceeds 32 bits")?,
            None => match enums::enum_value(names, s) {
                Some(v) => v,
                None => {
                    return Err(
                        format!("unknown enumeration value \"{}\" for {names}", clip(s)).into(),
                    );
                }
            },
        }),
        ItemType::Boolean => Value::Boolean(match s {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => match parse_hex_u64(s) {
                Some(0) => false,
                Some(1) => true,
                _ => return Err("a Boolean must be true or false".into()),
            },
        }),
        ItemType::TextString => Value::TextString(s.to_owned()),
        ItemType::ByteString => {
            let d = s.strip_prefix("0x").unwrap_or(s);
            budget.take(d.len() / 2).map_err(Bad::Budget)?;
            Value::ByteString(decode_hex(d).map_err(|e| format!("bad ByteString hex: {e}"))?)
        }
        ItemType::DateTime => Value::DateTime(time(s, "DateTime", |d| Ok(d.unix_timestamp()))?),
        ItemType::Interval => Value::Interval(
            s.parse::<u32>()
                .ok()
                .or_else(|| parse_hex_u64(s).and_then(|n| u32::try_from(n).ok()))
                .ok_or("an Interval must be an unsigned 32-bit decimal number")?,
        ),
        ItemType::DateTimeExtended => Value::DateTimeExtended(time(s, "DateTimeExtended", |d| {
            i64::try_from(d.unix_timestamp_nanos() / 1000)
                .map_err(|_| "DateTimeExtended out of range".into())
        })?),
    })
}

/// A decimal number, optionally signed.
fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.parse().ok()
}

fn integer(names: Tag, s: &str) -> Result<i32, Bad> {
    if let Some(n) = number::<i32>(s) {
        return Ok(n);
    }
    if let Some(h) = parse_hex_u64(s) {
        // Eight hex digits are the 32-bit two's complement pattern.
        return u32::try_from(h)
            .map(|u| u as i32)
            .map_err(|_| "Integer hex value exceeds 32 bits".into());
    }
    let table =
        enums::mask_names(names).ok_or_else(|| format!("invalid Integer \"{}\"", clip(s)))?;
    let mut acc = 0u32;
    for part in s.split(|c: char| c == '|' || c.is_ascii_whitespace()) {
        if part.is_empty() {
            continue;
        }
        acc |= enums::parse_mask(table, part)
            .ok_or_else(|| format!("unknown bit \"{}\" of {names}", clip(part)))?;
    }
    Ok(acc as i32)
}

fn time(
    s: &str,
    what: &str,
    from_date: impl FnOnce(OffsetDateTime) -> Result<i64, Bad>,
) -> Result<i64, Bad> {
    if let Some(h) = parse_hex_u64(s) {
        return Ok(h as i64);
    }
    let d = OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| format!("a {what} must be an xsd:dateTime (RFC 3339): {e}"))?;
    from_date(d)
}

/// The `value` attribute of a scalar (None for a Structure); `names` as in [`parse`].
pub(super) fn format(v: &Value, names: Tag) -> Option<String> {
    Some(match v {
        Value::Structure(_) => return None,
        Value::Integer(i) => match enums::mask_names(names).and_then(|t| mask(t, *i as u32)) {
            Some(m) => m,
            None => i.to_string(),
        },
        Value::LongInteger(i) => i.to_string(),
        Value::BigInteger(b) | Value::ByteString(b) => hex::encode(b),
        Value::Enumeration(e) => match enums::enum_name(names, *e) {
            Some(n) => n.to_string(),
            None => format!("0x{e:08X}"),
        },
        Value::Boolean(b) => b.to_string(),
        Value::TextString(s) => s.clone(),
        Value::DateTime(s) => format_datetime(*s),
        Value::Interval(i) => i.to_string(),
        Value::DateTimeExtended(us) => format_datetime_ext(*us),
    })
}

/// A mask as its bit names separated by spaces, when every set bit has a name (a mask of no
/// bit is written as a number).
fn mask(table: &[(&str, u32)], m: u32) -> Option<String> {
    let mut left = m;
    let mut out = Vec::new();
    for (name, bit) in table {
        if *bit != 0 && left & bit == *bit {
            out.push(*name);
            left &= !bit;
        }
    }
    (left == 0 && !out.is_empty()).then(|| out.join(" "))
}
