//! The JSON form of each scalar type, both ways: a value as read (string, number, boolean)
//! turned into the item's type (bit masks by name, hex forms, RFC 3339 times, enumeration
//! names), and the text forms of times written back.

use std::borrow::Cow;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{render, shape};
use crate::enums;
use crate::error::{Error, clip};
use crate::tags::Tag;
use crate::ttlv::{Budget, ItemType, Value};

/// A JSON scalar as read, before the item's type says what it means. Strings borrow from the
/// input unless they hold escapes.
pub(super) enum Scalar<'de> {
    Str(Cow<'de, str>),
    Num(serde_json::Number),
    Bool(bool),
    /// Anything else (null, an object, an array), named for the error message.
    Other,
}

/// The value of a scalar item of type `ty`. With `keep` false the value is only checked (the
/// decoder's counting pass, which drops it): a ByteString's hex is then not decoded into a
/// buffer, nor a TextString copied, and the value returned holds neither.
pub(super) fn scalar(
    tag: Tag,
    ty: ItemType,
    v: Scalar<'_>,
    path: &[Tag],
    budget: &mut Budget,
    keep: bool,
) -> Result<Value, Error> {
    Ok(match ty {
        ItemType::Structure => return Err(shape(path, "a Structure's value must be an array")),
        ItemType::Integer => Value::Integer(integer(tag, &v, path)?),
        ItemType::LongInteger => Value::LongInteger(long(&v, path)?),
        ItemType::BigInteger => {
            let b = big_integer(&v, path)?;
            budget.take(b.len())?;
            Value::BigInteger(b)
        }
        ItemType::Enumeration => Value::Enumeration(enumeration(tag, &v, path)?),
        ItemType::Boolean => Value::Boolean(match &v {
            Scalar::Bool(b) => *b,
            Scalar::Str(s) => match parse_hex_u64(s) {
                Some(0) => false,
                Some(1) => true,
                _ => return Err(shape(path, "a Boolean must be true, false, or 0x0/0x1")),
            },
            _ => return Err(shape(path, "a Boolean must be true or false")),
        }),
        ItemType::TextString => match v {
            Scalar::Str(s) => {
                budget.take(s.len())?;
                Value::TextString(if keep { s.into_owned() } else { String::new() })
            }
            _ => return Err(shape(path, "a TextString must be a string")),
        },
        ItemType::ByteString => {
            let Scalar::Str(s) = &v else {
                return Err(shape(path, "a ByteString must be a hex string"));
            };
            let s = s.strip_prefix("0x").unwrap_or(s);
            budget.take(s.len() / 2)?;
            let bytes = if keep {
                decode_hex(s)
            } else {
                check_hex(s).map(|()| Vec::new())
            };
            Value::ByteString(bytes.map_err(|e| shape(path, format!("bad ByteString hex: {e}")))?)
        }
        ItemType::DateTime => Value::DateTime(datetime(&v, path)?),
        ItemType::Interval => Value::Interval(match &v {
            Scalar::Num(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| shape(path, "an Interval must be an unsigned 32-bit number"))?,
            Scalar::Str(s) => parse_hex_u64(s)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| shape(path, "an Interval must be a number or 0x hex"))?,
            _ => return Err(shape(path, "an Interval must be a number")),
        }),
        ItemType::DateTimeExtended => Value::DateTimeExtended(datetime_ext(&v, path)?),
    })
}

pub(crate) fn parse_hex_u64(s: &str) -> Option<u64> {
    let d = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if d.is_empty() || d.len() > 16 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(d, 16).ok()
}

fn integer(tag: Tag, v: &Scalar<'_>, path: &[Tag]) -> Result<i32, Error> {
    match v {
        Scalar::Num(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| shape(path, "an Integer must be a signed 32-bit number")),
        Scalar::Str(s) => {
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

fn long(v: &Scalar<'_>, path: &[Tag]) -> Result<i64, Error> {
    match v {
        Scalar::Num(n) => n
            .as_i64()
            .ok_or_else(|| shape(path, "a LongInteger must be a signed 64-bit number")),
        Scalar::Str(s) => parse_hex_u64(s).map(|u| u as i64).ok_or_else(|| {
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

fn big_integer(v: &Scalar<'_>, path: &[Tag]) -> Result<Vec<u8>, Error> {
    match v {
        Scalar::Str(s) => {
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
        Scalar::Num(n) => n
            .as_i64()
            .map(|i| i.to_be_bytes().to_vec())
            .ok_or_else(|| shape(path, "a BigInteger number must fit 64 bits; use hex")),
        _ => Err(shape(path, "a BigInteger must be a hex string")),
    }
}

fn enumeration(tag: Tag, v: &Scalar<'_>, path: &[Tag]) -> Result<u32, Error> {
    match v {
        Scalar::Str(s) => {
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
        Scalar::Num(n) => n
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

fn datetime(v: &Scalar<'_>, path: &[Tag]) -> Result<i64, Error> {
    time_value(
        v,
        path,
        "DateTime",
        "a DateTime number must be 64-bit seconds",
        |d| Ok(d.unix_timestamp()),
    )
}

fn datetime_ext(v: &Scalar<'_>, path: &[Tag]) -> Result<i64, Error> {
    time_value(
        v,
        path,
        "DateTimeExtended",
        "a DateTimeExtended number must be 64-bit",
        |d| {
            i64::try_from(d.unix_timestamp_nanos() / 1000)
                .map_err(|_| shape(path, "DateTimeExtended out of range"))
        },
    )
}

/// A time of type `what` (DateTime, DateTimeExtended) as JSON gives it: `0x` hex (the raw
/// value), an RFC 3339 string (its value is `from_date` of the date), or a number (refused with
/// `number_error` when it is not a 64-bit integer).
fn time_value(
    v: &Scalar<'_>,
    path: &[Tag],
    what: &str,
    number_error: &str,
    from_date: impl FnOnce(OffsetDateTime) -> Result<i64, Error>,
) -> Result<i64, Error> {
    match v {
        Scalar::Str(s) => {
            if let Some(h) = parse_hex_u64(s) {
                return Ok(h as i64);
            }
            let d = OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|e| shape(path, format!("a {what} must be RFC 3339: {e}")))?;
            from_date(d)
        }
        Scalar::Num(n) => n.as_i64().ok_or_else(|| shape(path, number_error)),
        _ => Err(shape(path, format!("a {what} must be an RFC 3339 string"))),
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

pub(crate) fn format_datetime_ext(us: i64) -> String {
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

/// Checks hex as [`decode_hex`] does, with the same errors, without a buffer for the bytes.
pub(crate) fn check_hex(s: &str) -> Result<(), hex::FromHexError> {
    if !s.len().is_multiple_of(2) {
        return Err(hex::FromHexError::OddLength);
    }
    if faster_hex::hex_check(s.as_bytes()) {
        return Ok(());
    }
    // The fast check says only that some character is wrong: find which, chunk by chunk.
    const CHUNK: usize = 64;
    let mut buf = [0u8; CHUNK / 2];
    for (k, chunk) in s.as_bytes().chunks(CHUNK).enumerate() {
        let out = buf
            .get_mut(..chunk.len() / 2)
            .ok_or(hex::FromHexError::InvalidStringLength)?;
        hex::decode_to_slice(chunk, out).map_err(|e| match e {
            hex::FromHexError::InvalidHexCharacter { c, index } => {
                hex::FromHexError::InvalidHexCharacter {
                    c,
                    index: index + k * CHUNK,
                }
            }
            e => e,
        })?;
    }
    Ok(())
}

/// Decodes hex (either case) straight into a buffer sized once: checked and decoded with
/// SIMD where the processor has it.
pub(crate) fn decode_hex(s: &str) -> Result<Vec<u8>, hex::FromHexError> {
    if !s.len().is_multiple_of(2) {
        return Err(hex::FromHexError::OddLength);
    }
    let mut out = vec![0u8; s.len() / 2];
    if faster_hex::hex_decode(s.as_bytes(), &mut out).is_err() {
        // Only the error is wanted here, naming the character and where it is.
        hex::decode_to_slice(s, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checking_hex_finds_what_decoding_finds() {
        let long_good = "0aF9".repeat(50);
        let mut late_bad = "ab".repeat(70);
        late_bad.replace_range(131..132, "g");
        let cases = [
            "",
            "00",
            long_good.as_str(),
            "abc",
            "zz",
            "0g",
            late_bad.as_str(),
            "ключ",
            "00ключ00",
        ];
        for s in cases {
            assert_eq!(
                check_hex(s).err(),
                decode_hex(s).err(),
                "{s}: check and decode disagree"
            );
        }
        assert!(matches!(
            check_hex(&late_bad),
            Err(hex::FromHexError::InvalidHexCharacter { c: 'g', index: 131 })
        ));
    }
}
