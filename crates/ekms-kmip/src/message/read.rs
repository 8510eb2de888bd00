//! Field readers of the message layer (private): each takes the item by value so that text and
//! bytes move into the typed message without a copy, and each error names the tag, never the
//! value.

use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::{Ttlv, Value};

pub(super) fn wrong(t: &Ttlv, expected: &'static str) -> Error {
    Error::WrongType {
        tag: t.tag,
        expected,
        found: t.value.type_name(),
    }
}

pub(super) fn invalid(tag: Tag, reason: impl Into<String>) -> Error {
    Error::InvalidValue {
        tag,
        offset: 0,
        reason: reason.into(),
    }
}

pub(super) fn missing(parent: Tag, field: Tag) -> Error {
    Error::MissingField { parent, field }
}

pub(super) fn unexpected(parent: Tag, field: Tag) -> Error {
    invalid(parent, format!("unexpected field {field}"))
}

pub(super) fn duplicate(parent: Tag, field: Tag) -> Error {
    invalid(parent, format!("field {field} appears more than once"))
}

/// Refuses an item whose tag is not `tag`.
pub(super) fn expect_tag(t: &Ttlv, tag: Tag) -> Result<(), Error> {
    if t.tag == tag {
        Ok(())
    } else {
        Err(invalid(t.tag, format!("expected {tag}")))
    }
}

/// Reads a single-valued field into its slot; a second occurrence is an error (KMIP: "the same
/// field is contained in a header/batch item/payload more than once" is an invalid message).
/// The duplicate is detected before the value is read.
pub(super) fn once<T>(
    slot: &mut Option<T>,
    parent: Tag,
    t: Ttlv,
    read: impl FnOnce(Ttlv) -> Result<T, Error>,
) -> Result<(), Error> {
    if slot.is_some() {
        return Err(duplicate(parent, t.tag));
    }
    *slot = Some(read(t)?);
    Ok(())
}

/// The tag of the item and its children (a Structure), or an error.
pub(super) fn structure(t: Ttlv) -> Result<Vec<Ttlv>, Error> {
    match t.value {
        Value::Structure(items) => Ok(items),
        _ => Err(wrong(&t, "Structure")),
    }
}

pub(super) fn text(t: Ttlv) -> Result<String, Error> {
    match t.value {
        Value::TextString(s) => Ok(s),
        _ => Err(wrong(&t, "TextString")),
    }
}

pub(super) fn bytes(t: Ttlv) -> Result<Vec<u8>, Error> {
    match t.value {
        Value::ByteString(b) => Ok(b),
        _ => Err(wrong(&t, "ByteString")),
    }
}

pub(super) fn int(t: Ttlv) -> Result<i32, Error> {
    t.as_i32().ok_or_else(|| wrong(&t, "Integer"))
}

pub(super) fn boolean(t: Ttlv) -> Result<bool, Error> {
    t.as_bool().ok_or_else(|| wrong(&t, "Boolean"))
}

/// A DateTime (a DateTimeExtended is accepted and truncated to seconds).
pub(super) fn datetime(t: Ttlv) -> Result<i64, Error> {
    t.as_datetime().ok_or_else(|| wrong(&t, "DateTime"))
}

pub(super) fn enum_raw(t: Ttlv) -> Result<u32, Error> {
    t.as_enum().ok_or_else(|| wrong(&t, "Enumeration"))
}

/// An Enumeration that must be one of the values `from` knows.
pub(super) fn enumeration<E>(t: Ttlv, from: fn(u32) -> Option<E>) -> Result<E, Error> {
    let v = t.as_enum().ok_or_else(|| wrong(&t, "Enumeration"))?;
    from(v).ok_or_else(|| invalid(t.tag, format!("unknown enumeration value 0x{v:08X}")))
}

// ---------------------------------------------------------------------------------------------
// writers

pub(super) fn opt_text(out: &mut Vec<Ttlv>, tag: Tag, v: &Option<String>) {
    if let Some(v) = v {
        out.push(Ttlv::text(tag, v.clone()));
    }
}

pub(super) fn opt_bytes(out: &mut Vec<Ttlv>, tag: Tag, v: &Option<Vec<u8>>) {
    if let Some(v) = v {
        out.push(Ttlv::bytes(tag, v.clone()));
    }
}

pub(super) fn opt_bool(out: &mut Vec<Ttlv>, tag: Tag, v: Option<bool>) {
    if let Some(v) = v {
        out.push(Ttlv::boolean(tag, v));
    }
}

pub(super) fn opt_int(out: &mut Vec<Ttlv>, tag: Tag, v: Option<i32>) {
    if let Some(v) = v {
        out.push(Ttlv::integer(tag, v));
    }
}

/// A count as a TTLV Integer (saturating: a message never holds 2^31 items).
pub(super) fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
