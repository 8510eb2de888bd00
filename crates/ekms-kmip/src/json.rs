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
//! implementation of [`Ttlv`] (which uses this form). Text is written straight from the tree
//! (`json/write.rs`, no `serde_json::Value` in between) and decoded as a stream straight
//! into the tree, members in any order, each at most once; decoding a message never takes
//! more than [`crate::ttlv::memory_budget`] (4 times its size), whatever its shape. The
//! structure of items (tags, types, nesting) is read here; what each scalar type's value may
//! look like, both ways, is `json/scalar.rs`.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as J;
use std::borrow::Cow;

pub(crate) mod scalar;
mod write;

pub use self::scalar::format_datetime;
use self::scalar::{Scalar, scalar};
use crate::enums::Operation;
use crate::error::{Error, clip};
use crate::tags::Tag;
use crate::ttlv::{Budget, ItemType, Ttlv, Value};

/// Deepest nesting of structures accepted (the top-level item is depth 1).
pub const MAX_DEPTH: usize = 64;

/// How [`to_value_with`] writes an Enumeration's value. KMIP's JSON encoding allows both: a
/// reader must take the name or `"0x"` and 8 hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnumForm {
    /// The specification's name (`"SHA_256"`), or the hex value when it has none.
    #[default]
    Name,
    /// Always the hex value (`"0x00000006"`): for readers whose names are not KMIP's, such as
    /// Cosmian's clients, which spell many values their own way (`"SHA256"`) but read every
    /// enumeration by value.
    Value,
}

/// The JSON form of an item.
pub fn to_value(t: &Ttlv) -> J {
    to_value_with(t, EnumForm::Name)
}

/// The JSON form of an item, its enumerations written as `form` says.
pub fn to_value_with(t: &Ttlv, form: EnumForm) -> J {
    write::value(t, form)
}

/// The JSON text of an item, written straight from the tree.
pub fn to_vec(t: &Ttlv) -> Vec<u8> {
    write::text(t, EnumForm::Name, None)
}

/// The JSON text of an item, its enumerations written as `form` says.
pub fn to_vec_with(t: &Ttlv, form: EnumForm) -> Vec<u8> {
    write::text(t, form, None)
}

/// The JSON text of an answer of `POST /kmip/2_1`: the response payload `t` tagged `tag`
/// (`"EncryptResponse"`), enumerations written as `form` says.
pub fn to_vec_answer(t: &Ttlv, tag: &str, form: EnumForm) -> Vec<u8> {
    write::text(t, form, Some(tag))
}

/// The JSON text of an item, as a String.
pub fn to_string(t: &Ttlv) -> String {
    String::from_utf8(to_vec(t)).unwrap_or_default()
}

/// Parses JSON text into an item.
///
/// The text is read as a stream, never as a `serde_json::Value` (whose nodes are many times
/// larger than the text they come from), every allocation counted against
/// [`crate::ttlv::memory_budget`]. One pass builds the tree, vectors growing as items arrive;
/// a message that runs out of budget that way (one made of many tiny items) is read again in
/// two passes: the first checks everything and counts the items of every Structure, the
/// second builds the tree with each vector allocated once at its size. Decoding a message
/// thus never takes more than 4 times its size, whatever its shape.
pub fn from_slice(b: &[u8]) -> Result<Ttlv, Error> {
    let (t, _) = decode_slice(b, Root::Tag)?;
    Ok(t)
}

/// Parses JSON text into an item.
pub fn from_str(s: &str) -> Result<Ttlv, Error> {
    from_slice(s.as_bytes())
}

/// Parses the body of `POST /kmip/2_1`: one item whose `"tag"` names a KMIP operation
/// (`"Create"`) and whose value is that operation's request payload. Returns the operation
/// and the payload as a `RequestPayload` Structure; bounded like [`from_slice`].
pub fn from_slice_operation(b: &[u8]) -> Result<(Operation, Ttlv), Error> {
    let (t, op) = decode_slice(b, Root::Operation)?;
    let op = op.ok_or_else(|| shape(&[], "the body has no \"tag\" naming the operation"))?;
    if !matches!(t.value, Value::Structure(_)) {
        return Err(shape(&[], "an operation's value must be a Structure"));
    }
    Ok((op, t))
}

/// Converts a parsed JSON document into an item.
pub fn from_value(v: &J) -> Result<Ttlv, Error> {
    let mut st = State::new(Mode::Direct, Root::Tag, usize::MAX);
    let r = ItemSeed { st: &mut st }.deserialize(v);
    st.result(r)
}

fn decode_slice(b: &[u8], root: Root) -> Result<(Ttlv, Option<Operation>), Error> {
    let budget = crate::ttlv::memory_budget(b.len());
    // One pass first: every message a client really sends decodes well within its budget
    // with vectors grown as items arrive, each growth charged. Only a message built to be
    // wide (many tiny items) runs out; its partial tree is dropped and the two exact passes
    // below decode it, so the bound holds whatever the shape, at three reads for such a one.
    let mut grow = State::new(Mode::Grow, root, budget);
    match decode_pass(&mut grow, b) {
        Err(Error::TooComplex { .. }) => {}
        r => return r.map(|t| (t, grow.operation)),
    }
    let mut count = State::new(Mode::Count, root, usize::MAX);
    decode_pass(&mut count, b)?;
    let mut build = State::new(Mode::Build, root, budget);
    build.counts = std::mem::take(&mut count.counts);
    build.budget.take_vec(&build.counts)?;
    let t = decode_pass(&mut build, b)?;
    Ok((t, build.operation))
}

/// One pass of the decoder over `b` in the mode of `st`.
fn decode_pass(st: &mut State, b: &[u8]) -> Result<Ttlv, Error> {
    let mut de = serde_json::Deserializer::from_slice(b);
    let r = ItemSeed { st: &mut *st }
        .deserialize(&mut de)
        .and_then(|t| de.end().map(|()| t));
    st.result(r)
}

/// A path of tags as text, from the root: `/RequestMessage/BatchItem` (`/` for none); a tag
/// without a name as `0x42XXXX`.
pub fn render(path: &[Tag]) -> String {
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

/// What a pass of the decoder does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Checks everything and records the number of items of each Structure; keeps no node.
    Count,
    /// Builds the tree, each Structure's vector allocated at the size the count pass found.
    Build,
    /// Builds the tree in one pass (input already in memory as a JSON value, or any serde
    /// deserializer): vectors grow as items arrive.
    Direct,
    /// Builds the tree in one pass from text, every growth of a vector charged to the budget
    /// at the size of the new block (the old one is still held while it moves).
    Grow,
}

/// How the top-level `"tag"` is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Root {
    /// A KMIP tag, like every other.
    Tag,
    /// A KMIP operation name; the item becomes a `RequestPayload`.
    Operation,
}

/// The state of one pass over a document.
struct State {
    mode: Mode,
    root: Root,
    /// Items per Structure in the order the Structures are met: written by the count pass,
    /// read back by the build pass, whose reading order is the same.
    counts: Vec<u32>,
    cursor: usize,
    budget: Budget,
    /// The tags from the root to the item being read (`0x000000` where a `"value"` came
    /// before its `"tag"`), for error messages and the depth limit.
    path: Vec<Tag>,
    /// The operation named by the top-level tag ([`Root::Operation`]).
    operation: Option<Operation>,
    /// The decoding error, kept here because serde's errors carry only text.
    failure: Option<Error>,
}

impl State {
    fn new(mode: Mode, root: Root, budget: usize) -> Self {
        State {
            mode,
            root,
            counts: Vec::new(),
            cursor: 0,
            budget: Budget::with_total(budget),
            path: Vec::new(),
            operation: None,
            failure: None,
        }
    }

    /// Keeps `e` as the reason of the failure and gives serde an error to unwind with.
    fn fail<E: de::Error>(&mut self, e: Error) -> E {
        self.failure = Some(e);
        E::custom("invalid JSON TTLV")
    }

    /// The error of a pass: the one kept, else serde's (the text is not JSON).
    fn result<T>(&mut self, r: Result<T, serde_json::Error>) -> Result<T, Error> {
        r.map_err(|e| {
            self.failure
                .take()
                .unwrap_or_else(|| Error::Json(e.to_string()))
        })
    }

    /// The path to the item being read, with its tag when known.
    fn here(&self, tag: Option<Tag>) -> Vec<Tag> {
        let mut p = self.path.clone();
        p.extend(tag);
        p
    }
}

/// The value of an item as read.
enum Read<'de> {
    Scalar(Scalar<'de>),
    Items(Vec<Ttlv>),
}

/// Reads one item (a JSON object).
struct ItemSeed<'s> {
    st: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_> {
    type Value = Ttlv;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Ttlv, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_> {
    type Value = Ttlv;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON TTLV item")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ttlv, A::Error> {
        let st = self.st;
        let top = st.path.is_empty();
        let mut tag: Option<Tag> = None;
        let mut ty: Option<ItemType> = None;
        let mut value: Option<Read<'de>> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let dup = match key {
                Key::Tag => tag.is_some(),
                Key::Type => ty.is_some(),
                Key::Value => value.is_some(),
                Key::Other(name) => {
                    let e = shape(
                        &st.here(tag),
                        format!("unexpected member \"{}\"", clip(&name)),
                    );
                    return Err(st.fail(e));
                }
            };
            if dup {
                let e = shape(&st.here(tag), "a member appears twice");
                return Err(st.fail(e));
            }
            match key {
                Key::Tag => tag = Some(map.next_value_seed(TagSeed { st: &mut *st, top })?),
                Key::Type => {
                    let t = map.next_value_seed(TypeSeed { st: &mut *st, tag })?;
                    if matches!(value, Some(Read::Items(_))) && t != ItemType::Structure {
                        let e = shape(&st.here(tag), format!("a {} cannot be an array", t.name()));
                        return Err(st.fail(e));
                    }
                    ty = Some(t);
                }
                Key::Value => {
                    value = Some(map.next_value_seed(ValueSeed {
                        st: &mut *st,
                        tag,
                        ty,
                    })?)
                }
                Key::Other(_) => {}
            }
        }
        let Some(tag) = tag else {
            let e = if top && st.root == Root::Operation {
                shape(&[], "the body has no \"tag\" naming the operation")
            } else {
                shape(&st.path, "\"tag\" missing or not a string")
            };
            return Err(st.fail(e));
        };
        let ty = ty.unwrap_or(ItemType::Structure);
        // The item's path, for errors only: its tag is pushed on the shared path rather than
        // copied into a new one (an allocation per item, twice per message).
        st.path.push(tag);
        let value = match value {
            None => Err(shape(&st.path, "\"value\" missing")),
            Some(Read::Items(items)) => Ok(Value::Structure(items)),
            Some(Read::Scalar(_)) if ty == ItemType::Structure => {
                Err(shape(&st.path, "a Structure's value must be an array"))
            }
            // The count pass checks the value without keeping it.
            Some(Read::Scalar(s)) => {
                scalar(tag, ty, s, &st.path, &mut st.budget, st.mode != Mode::Count)
            }
        };
        st.path.pop();
        match value {
            Ok(value) => Ok(Ttlv { tag, value }),
            Err(e) => Err(st.fail(e)),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Ttlv, A::Error> {
        Err(self.not_an_object())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Ttlv, E> {
        Err(self.not_an_object())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Ttlv, E> {
        Err(self.not_an_object())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Ttlv, E> {
        Err(self.not_an_object())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Ttlv, E> {
        Err(self.not_an_object())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Ttlv, E> {
        Err(self.not_an_object())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Ttlv, E> {
        Err(self.not_an_object())
    }
}

impl ItemSeed<'_> {
    fn not_an_object<E: de::Error>(self) -> E {
        let e = shape(&self.st.path, "an item must be a JSON object");
        self.st.fail(e)
    }
}

/// The members of an item.
enum Key {
    Tag,
    Type,
    Value,
    Other(String),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
        Ok(match s {
            "tag" => Key::Tag,
            "type" => Key::Type,
            "value" => Key::Value,
            other => Key::Other(clip(other)),
        })
    }
}

/// Reads a `"tag"` (at the top, an operation name when the root is one).
struct TagSeed<'s> {
    st: &'s mut State,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for TagSeed<'_> {
    type Value = Tag;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Tag, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TagSeed<'_> {
    type Value = Tag;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a tag name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Tag, E> {
        let st = self.st;
        if self.top && st.root == Root::Operation {
            return match Operation::from_name(s) {
                Some(op) => {
                    st.operation = Some(op);
                    Ok(Tag::REQUEST_PAYLOAD)
                }
                None => {
                    let e = shape(&[], format!("\"{}\" is not a KMIP operation name", clip(s)));
                    Err(st.fail(e))
                }
            };
        }
        match Tag::from_name(s) {
            Some(t) => Ok(t),
            None => {
                let e = Error::UnknownTagName {
                    name: clip(s),
                    path: render(&st.path),
                };
                Err(st.fail(e))
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Tag, A::Error> {
        Err(self.not_a_string())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Tag, A::Error> {
        Err(self.not_a_string())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Tag, E> {
        Err(self.not_a_string())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Tag, E> {
        Err(self.not_a_string())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Tag, E> {
        Err(self.not_a_string())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Tag, E> {
        Err(self.not_a_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Tag, E> {
        Err(self.not_a_string())
    }
}

impl TagSeed<'_> {
    fn not_a_string<E: de::Error>(self) -> E {
        let e = if self.top && self.st.root == Root::Operation {
            shape(&[], "the body has no \"tag\" naming the operation")
        } else {
            shape(&self.st.path, "\"tag\" missing or not a string")
        };
        self.st.fail(e)
    }
}

/// Reads a `"type"`.
struct TypeSeed<'s> {
    st: &'s mut State,
    tag: Option<Tag>,
}

impl<'de> DeserializeSeed<'de> for TypeSeed<'_> {
    type Value = ItemType;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ItemType, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TypeSeed<'_> {
    type Value = ItemType;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a type name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<ItemType, E> {
        match ItemType::from_name(s) {
            Some(t) => Ok(t),
            None => {
                let e = shape(
                    &self.st.here(self.tag),
                    format!("unknown type \"{}\"", clip(s)),
                );
                Err(self.st.fail(e))
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<ItemType, A::Error> {
        Err(self.not_a_string())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<ItemType, A::Error> {
        Err(self.not_a_string())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<ItemType, E> {
        Err(self.not_a_string())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<ItemType, E> {
        Err(self.not_a_string())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<ItemType, E> {
        Err(self.not_a_string())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<ItemType, E> {
        Err(self.not_a_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<ItemType, E> {
        Err(self.not_a_string())
    }
}

impl TypeSeed<'_> {
    fn not_a_string<E: de::Error>(self) -> E {
        let e = shape(&self.st.here(self.tag), "\"type\" must be a string");
        self.st.fail(e)
    }
}

/// Reads a `"value"`: the items of a Structure (an array), or a scalar kept for [`scalar`].
/// When the `"type"` has not been read yet, an array can only be a Structure's.
struct ValueSeed<'s> {
    st: &'s mut State,
    tag: Option<Tag>,
    ty: Option<ItemType>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Read<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Read<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> ValueSeed<'_> {
    fn scalar<E: de::Error>(self, s: Scalar<'de>) -> Result<Read<'de>, E> {
        if self.ty == Some(ItemType::Structure) {
            let e = shape(
                &self.st.here(self.tag),
                "a Structure's value must be an array",
            );
            return Err(self.st.fail(e));
        }
        Ok(Read::Scalar(s))
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Read<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON TTLV value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read<'de>, A::Error> {
        let st = self.st;
        let here = st.here(self.tag);
        if let Some(t) = self.ty.filter(|t| *t != ItemType::Structure) {
            // The conversion's own message says what the type takes.
            let e = scalar(
                self.tag.unwrap_or(Tag(0)),
                t,
                Scalar::Other,
                &here,
                &mut st.budget,
                true,
            )
            .err()
            .unwrap_or_else(|| shape(&here, "unexpected array"));
            return Err(st.fail(e));
        }
        if st.path.len() + 1 > MAX_DEPTH {
            let e = Error::TooDeep {
                limit: MAX_DEPTH,
                location: render(&here),
            };
            return Err(st.fail(e));
        }
        st.path.push(self.tag.unwrap_or(Tag(0)));
        let r = match st.mode {
            Mode::Count => {
                let slot = st.counts.len();
                st.counts.push(0);
                let mut n = 0u32;
                while seq.next_element_seed(ItemSeed { st: &mut *st })?.is_some() {
                    n = n.saturating_add(1);
                }
                if let Some(c) = st.counts.get_mut(slot) {
                    *c = n;
                }
                Vec::new()
            }
            Mode::Build => {
                let n = st.counts.get(st.cursor).copied().unwrap_or(0) as usize;
                st.cursor += 1;
                if let Err(e) = st.budget.take_nodes(n) {
                    return Err(st.fail(e));
                }
                let mut items = Vec::with_capacity(n);
                while let Some(t) = seq.next_element_seed(ItemSeed { st: &mut *st })? {
                    items.push(t);
                }
                items
            }
            Mode::Grow => {
                let mut items: Vec<Ttlv> = Vec::new();
                while let Some(t) = seq.next_element_seed(ItemSeed { st: &mut *st })? {
                    if items.len() == items.capacity() {
                        items.reserve(1);
                        if let Err(e) = st.budget.take_vec(&items) {
                            return Err(st.fail(e));
                        }
                    }
                    items.push(t);
                }
                items
            }
            Mode::Direct => {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(t) = seq.next_element_seed(ItemSeed { st: &mut *st })? {
                    items.push(t);
                }
                items
            }
        };
        st.path.pop();
        Ok(Read::Items(r))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Read<'de>, E> {
        self.scalar(Scalar::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Read<'de>, E> {
        self.scalar(Scalar::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Read<'de>, E> {
        self.scalar(Scalar::Str(Cow::Owned(s)))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Read<'de>, E> {
        self.scalar(Scalar::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Read<'de>, E> {
        self.scalar(Scalar::Num(n.into()))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Read<'de>, E> {
        self.scalar(Scalar::Num(n.into()))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Read<'de>, E> {
        match serde_json::Number::from_f64(n) {
            Some(n) => self.scalar(Scalar::Num(n)),
            None => self.scalar(Scalar::Other),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Read<'de>, E> {
        self.scalar(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Read<'de>, A::Error> {
        // Refused here, before the object is read: no type takes an object.
        let here = self.st.here(self.tag);
        let e = match self.ty {
            Some(ItemType::Structure) | None => {
                shape(&here, "a Structure's value must be an array")
            }
            Some(t) => scalar(
                self.tag.unwrap_or(Tag(0)),
                t,
                Scalar::Other,
                &here,
                &mut self.st.budget,
                true,
            )
            .err()
            .unwrap_or_else(|| shape(&here, "unexpected object")),
        };
        Err(self.st.fail(e))
    }
}

impl serde::Serialize for Ttlv {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        write::Item {
            t: self,
            form: EnumForm::Name,
            tag: None,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Ttlv {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut st = State::new(Mode::Direct, Root::Tag, usize::MAX);
        let r = ItemSeed { st: &mut st }.deserialize(d);
        r.map_err(|e| match st.failure.take() {
            Some(f) => de::Error::custom(f),
            None => e,
        })
    }
}

#[cfg(test)]
mod tests;
