//! Writing an item as JSON TTLV: the tree is serialized straight to text (serde's `Serialize`
//! on a borrowed view of it), without building a `serde_json::Value` first, whose maps and
//! strings cost an allocation per member. `to_value` goes through the same serializer, so the
//! text and the value forms cannot disagree.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as J;
use std::fmt::{self, Display};

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

impl Serialize for Item<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.t;
        let mut m = s.serialize_map(Some(3))?;
        match (self.tag, t.tag.name()) {
            (Some(n), _) | (None, Some(n)) => m.serialize_entry("tag", n)?,
            (None, None) => m.serialize_entry("tag", &format_args!("0x{:06X}", t.tag.0))?,
        }
        m.serialize_entry("type", t.value.type_name())?;
        match &t.value {
            Value::Structure(items) => m.serialize_entry(
                "value",
                &Items {
                    items,
                    form: self.form,
                },
            )?,
            Value::Integer(v) => m.serialize_entry("value", v)?,
            Value::LongInteger(v) => {
                m.serialize_entry("value", &format_args!("0x{:016X}", *v as u64))?
            }
            Value::BigInteger(b) => m.serialize_entry(
                "value",
                &Hex {
                    prefix: "0x",
                    bytes: b,
                },
            )?,
            Value::Enumeration(v) => match (self.form, enums::enum_name(t.tag, *v)) {
                (EnumForm::Name, Some(n)) => m.serialize_entry("value", n)?,
                _ => m.serialize_entry("value", &format_args!("0x{v:08X}"))?,
            },
            Value::Boolean(b) => m.serialize_entry("value", b)?,
            Value::TextString(v) => m.serialize_entry("value", v)?,
            Value::ByteString(b) => m.serialize_entry(
                "value",
                &Hex {
                    prefix: "",
                    bytes: b,
                },
            )?,
            Value::DateTime(v) => m.serialize_entry("value", &format_datetime(*v))?,
            Value::Interval(v) => m.serialize_entry("value", v)?,
            Value::DateTimeExtended(v) => m.serialize_entry("value", &format_datetime_ext(*v))?,
        }
        m.end()
    }
}

/// The items of a Structure, as an array.
struct Items<'a> {
    items: &'a [Ttlv],
    form: EnumForm,
}

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.items.len()))?;
        for t in self.items {
            seq.serialize_element(&Item {
                t,
                form: self.form,
                tag: None,
            })?;
        }
        seq.end()
    }
}

/// Bytes as upper-case hex after `prefix`, written as one string without an intermediate
/// `String`.
struct Hex<'a> {
    prefix: &'static str,
    bytes: &'a [u8],
}

impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
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
    // Writing into a Vec fails only if a Serialize impl does; ours do not.
    let _ = serde_json::to_writer(&mut out, &Item { t, form, tag });
    out
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
