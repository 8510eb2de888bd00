//! Writing an item as JSON TTLV, straight from the tree, never through a `serde_json::Value`
//! (whose maps and strings cost an allocation per member).
//!
//! What each item's members hold is decided once, by [`Member::of`]; two sinks write it: the
//! text writer ([`text`], what the server answers with), which appends to one buffer and
//! writes hex digits as they are, since they never need escaping (serde_json's escaping scan
//! of a 64 KiB ByteString costs more than its SIMD encoding); and serde's `Serialize` (for
//! [`super::to_value`] and the `Serialize` of [`Ttlv`]). Strings that may need escaping go
//! through serde_json in both.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as J;
use std::fmt::{self, Display};
use std::io::Write as _;

use super::EnumForm;
use super::scalar::{format_datetime, format_datetime_ext};
use crate::enums;
use crate::ttlv::{Ttlv, Value};

/// An item to write, its enumerations in `form`; `tag` replaces the item's own tag name at
/// the top (an answer of `POST /kmip/2_1` is tagged `<Operation>Response`).
pub(super) struct Item<'a> {
    pub(super) t: &'a Ttlv,
    pub(super) form: EnumForm,
    pub(super) tag: Option<&'a str>,
}

/// The JSON form of a member of an item (its tag, type or value).
enum Member<'a> {
    /// A Structure's items, as an array.
    Items(&'a [Ttlv]),
    Number(i64),
    Bool(bool),
    Str(&'a str),
    Owned(String),
    /// `"0x"` and the value in `digits` upper-case hex digits.
    Word(u64, usize),
    /// A prefix and the bytes in upper-case hex.
    Hex(&'static str, &'a [u8]),
}

impl<'a> Member<'a> {
    /// The `"tag"`, `"type"` and `"value"` of `item`.
    fn of(item: &Item<'a>) -> [Member<'a>; 3] {
        let t = item.t;
        let tag = match (item.tag, t.tag.name()) {
            (Some(n), _) | (None, Some(n)) => Member::Str(n),
            (None, None) => Member::Word(u64::from(t.tag.0), 6),
        };
        let value = match &t.value {
            Value::Structure(items) => Member::Items(items),
            Value::Integer(v) => Member::Number(i64::from(*v)),
            Value::LongInteger(v) => Member::Word(*v as u64, 16),
            Value::BigInteger(b) => Member::Hex("0x", b),
            Value::Enumeration(v) => match (item.form, enums::enum_name(t.tag, *v)) {
                (EnumForm::Name, Some(n)) => Member::Str(n),
                _ => Member::Word(u64::from(*v), 8),
            },
            Value::Boolean(b) => Member::Bool(*b),
            Value::TextString(v) => Member::Str(v),
            Value::ByteString(b) => Member::Hex("", b),
            Value::DateTime(v) => Member::Owned(format_datetime(*v)),
            Value::Interval(v) => Member::Number(i64::from(*v)),
            Value::DateTimeExtended(v) => Member::Owned(format_datetime_ext(*v)),
        };
        [tag, Member::Str(t.value.type_name()), value]
    }
}

const NAMES: [&str; 3] = ["tag", "type", "value"];

impl Serialize for Item<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        for (name, member) in NAMES.iter().zip(Member::of(self)) {
            m.serialize_entry(
                name,
                &Sink {
                    member,
                    form: self.form,
                },
            )?;
        }
        m.end()
    }
}

/// A member written through serde.
struct Sink<'a> {
    member: Member<'a>,
    form: EnumForm,
}

impl Serialize for Sink<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.member {
            Member::Items(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for t in *items {
                    seq.serialize_element(&Item {
                        t,
                        form: self.form,
                        tag: None,
                    })?;
                }
                seq.end()
            }
            Member::Number(n) => s.serialize_i64(*n),
            Member::Bool(b) => s.serialize_bool(*b),
            Member::Str(v) => s.serialize_str(v),
            Member::Owned(v) => s.serialize_str(v),
            Member::Word(v, digits) => s.collect_str(&format_args!("0x{v:0digits$X}")),
            Member::Hex(prefix, bytes) => s.collect_str(&Hex { prefix, bytes }),
        }
    }
}

/// Bytes as upper-case hex after `prefix`, written as one string without an intermediate
/// `String`.
struct Hex<'a> {
    prefix: &'a str,
    bytes: &'a [u8],
}

impl Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix)?;
        // Written in chunks: each `write_str` is a call through the serializer's escaping.
        let mut buf = [0u8; 2048];
        for chunk in self.bytes.chunks(buf.len() / 2) {
            let out = buf.get_mut(..2 * chunk.len()).ok_or(fmt::Error)?;
            let text = faster_hex::hex_encode_upper(chunk, out).map_err(|_| fmt::Error)?;
            f.write_str(text)?;
        }
        Ok(())
    }
}

/// The JSON text of `t`, enumerations in `form`, its top tag replaced by `tag` when given.
pub(super) fn text(t: &Ttlv, form: EnumForm, tag: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(estimate(t));
    write_item(&mut out, &Item { t, form, tag });
    out
}

fn write_item(out: &mut Vec<u8>, item: &Item<'_>) {
    let mut sep = b'{';
    for (name, member) in NAMES.iter().zip(Member::of(item)) {
        out.push(sep);
        sep = b',';
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        write_member(out, member, item.form);
    }
    out.push(b'}');
}

fn write_member(out: &mut Vec<u8>, member: Member<'_>, form: EnumForm) {
    match member {
        Member::Items(items) => {
            out.push(b'[');
            for (i, t) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_item(out, &Item { t, form, tag: None });
            }
            out.push(b']');
        }
        // Writing into a Vec fails only if a Display or Serialize impl does; these do not.
        Member::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Member::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Member::Str(v) => {
            let _ = serde_json::to_writer(&mut *out, v);
        }
        Member::Owned(v) => {
            let _ = serde_json::to_writer(&mut *out, &v);
        }
        Member::Word(v, digits) => {
            let _ = write!(out, "\"0x{v:0digits$X}\"");
        }
        Member::Hex(prefix, bytes) => {
            out.push(b'"');
            out.extend_from_slice(prefix.as_bytes());
            let start = out.len();
            out.resize(start + 2 * bytes.len(), 0);
            if let Some(digits) = out.get_mut(start..) {
                // The buffer is exactly twice the bytes: encoding cannot fail.
                let _ = faster_hex::hex_encode_upper(bytes, digits);
            }
            out.push(b'"');
        }
    }
}

/// The JSON value of `t`.
pub(super) fn value(t: &Ttlv, form: EnumForm) -> J {
    serde_json::to_value(Item { t, form, tag: None }).unwrap_or(J::Null)
}

/// About the length of `t`'s text, so that the output grows once or never: each item's
/// members and punctuation, plus two characters per byte of byte and big-integer values.
fn estimate(t: &Ttlv) -> usize {
    64 + match &t.value {
        Value::Structure(items) => items.iter().map(estimate).sum(),
        Value::ByteString(b) | Value::BigInteger(b) => 2 * b.len(),
        Value::TextString(s) => s.len() + 8,
        _ => 32,
    }
}
