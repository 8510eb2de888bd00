//! The one way a typed KMIP value is read from and written to the TTLV tree.
//!
//! - [`FromTtlv`]: one decode method, taking the item **by value** so that text and bytes move
//!   out of the tree into the typed value without a copy (an Encrypt of megabytes reads its
//!   Data once).
//! - [`ToTtlv`]: one encode method, by value for the same reason (a type kept after it is
//!   written implements it for its reference). A type is encoded under its own tag; a caller that needs
//!   another tag (a `CommonAttributes` built from [`crate::Attributes`]) renames the result
//!   with [`Ttlv::retagged`], which moves the value.
//! - [`Fields`]: the one reader of a structure's children. Every decoder (messages,
//!   attributes, operation payloads) asks it for its fields by tag: `required`/`optional` for
//!   single fields, `all` for repeated ones, then [`Fields::finish`]. How strict it is comes
//!   from how it is made: [`Fields::new`] refuses a field given twice and a field left unread;
//!   [`Fields::lenient`] drops the second rule (a newer minor version's fields);
//!   [`Fields::payload`] reads an operation payload as the server always has: the first of
//!   several equal fields wins and unknown fields are ignored.
//!
//! Errors name tags, never values (a value may be key material).

use zeroize::Zeroizing;

use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::{Ttlv, Value};

/// A typed value read from a TTLV item.
pub trait FromTtlv: Sized {
    /// Reads the value, moving text and bytes out of `t`.
    fn from_ttlv(t: Ttlv) -> Result<Self, Error>;
}

/// A typed value written as a TTLV item.
///
/// Encoding takes `self`: an operation's request or response moves its data into the tree (a
/// Decrypt answer of megabytes is not copied). Values that are kept after being written
/// (attributes, messages) implement it for their reference, so `value.to_ttlv()` borrows.
pub trait ToTtlv {
    /// The item, under the type's own tag.
    fn to_ttlv(self) -> Ttlv;
}

/// The error for an item of the wrong type.
pub(crate) fn wrong(t: &Ttlv, expected: &'static str) -> Error {
    Error::WrongType {
        tag: t.tag,
        expected,
        found: t.value.type_name(),
    }
}

/// The error for a value its type allows but the data model does not.
pub(crate) fn invalid(tag: Tag, reason: impl Into<String>) -> Error {
    Error::InvalidValue {
        tag,
        offset: 0,
        reason: reason.into(),
    }
}

impl FromTtlv for Ttlv {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Ok(t)
    }
}

impl FromTtlv for String {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        match t.value {
            Value::TextString(s) => Ok(s),
            _ => Err(wrong(&t, "TextString")),
        }
    }
}

impl FromTtlv for Vec<u8> {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        match t.value {
            Value::ByteString(b) => Ok(b),
            _ => Err(wrong(&t, "ByteString")),
        }
    }
}

impl FromTtlv for Zeroizing<Vec<u8>> {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        Vec::<u8>::from_ttlv(t).map(Zeroizing::new)
    }
}

impl FromTtlv for i32 {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        t.as_i32().ok_or_else(|| wrong(&t, "Integer"))
    }
}

impl FromTtlv for bool {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        t.as_bool().ok_or_else(|| wrong(&t, "Boolean"))
    }
}

/// A DateTime (a DateTimeExtended is accepted and truncated to seconds).
pub fn datetime(t: Ttlv) -> Result<i64, Error> {
    t.as_datetime().ok_or_else(|| wrong(&t, "DateTime"))
}

/// An Interval, in seconds.
pub fn interval(t: Ttlv) -> Result<u32, Error> {
    t.as_interval().ok_or_else(|| wrong(&t, "Interval"))
}

/// A LongInteger.
pub fn long(t: Ttlv) -> Result<i64, Error> {
    match t.value {
        Value::LongInteger(v) => Ok(v),
        _ => Err(wrong(&t, "LongInteger")),
    }
}

/// An Enumeration's raw value (a value this crate does not know is kept).
pub fn enum_raw(t: Ttlv) -> Result<u32, Error> {
    t.as_enum().ok_or_else(|| wrong(&t, "Enumeration"))
}

/// An Enumeration that must be one of the values `from` knows.
pub fn enumeration<E>(t: Ttlv, from: fn(u32) -> Option<E>) -> Result<E, Error> {
    let v = t.as_enum().ok_or_else(|| wrong(&t, "Enumeration"))?;
    from(v).ok_or_else(|| invalid(t.tag, format!("unknown enumeration value 0x{v:08X}")))
}

/// The children of a Structure, or an error.
pub(crate) fn children(t: Ttlv) -> Result<Vec<Ttlv>, Error> {
    match t.value {
        Value::Structure(items) => Ok(items),
        _ => Err(wrong(&t, "Structure")),
    }
}

/// How a [`Fields`] words its errors: the message layer names the structure's tag; the
/// attribute value structures name the attribute, as their errors always have.
#[derive(Clone, Copy)]
enum Owner {
    Structure,
    Attribute(&'static str),
}

/// The children of one Structure, read by tag (see the module documentation).
pub struct Fields {
    parent: Tag,
    owner: Owner,
    items: Vec<Option<Ttlv>>,
    refuse_duplicates: bool,
    refuse_unknown: bool,
}

impl Fields {
    /// The fields of `t` (a Structure), named after `parent` in errors: a field given twice
    /// is refused, and [`Fields::finish`] refuses a field no one read.
    pub fn new(t: Ttlv, parent: Tag) -> Result<Self, Error> {
        Ok(Fields {
            parent,
            owner: Owner::Structure,
            items: children(t)?.into_iter().map(Some).collect(),
            refuse_duplicates: true,
            refuse_unknown: true,
        })
    }

    /// The fields of an attribute's value structure `name` (errors are Invalid Attribute
    /// errors naming it; a missing field names `parent`).
    pub fn attribute(t: Ttlv, parent: Tag, name: &'static str) -> Result<Self, Error> {
        let mut f = Self::new(t, parent)?;
        f.owner = Owner::Attribute(name);
        Ok(f)
    }

    /// The fields of an operation payload as operations read them: the first of several
    /// fields with one tag wins, fields no one reads are ignored.
    pub fn payload(t: Ttlv) -> Result<Self, Error> {
        let parent = t.tag;
        let mut f = Self::new(t, parent)?;
        f.refuse_duplicates = false;
        f.refuse_unknown = false;
        Ok(f)
    }

    /// With `yes`, [`Fields::finish`] ignores fields no one read (a message of a newer minor
    /// version); a field given twice is still refused.
    pub fn lenient(mut self, yes: bool) -> Self {
        self.refuse_unknown &= !yes;
        self
    }

    /// True if a field `tag` is (still) there.
    pub fn has(&self, tag: Tag) -> bool {
        self.items.iter().flatten().any(|t| t.tag == tag)
    }

    /// The first field `tag`, left in place.
    pub fn first(&self, tag: Tag) -> Option<&Ttlv> {
        self.items.iter().flatten().find(|t| t.tag == tag)
    }

    fn duplicate(&self, field: Tag) -> Error {
        match self.owner {
            Owner::Structure => {
                invalid(self.parent, format!("field {field} appears more than once"))
            }
            Owner::Attribute(name) => Error::InvalidAttribute {
                name: name.to_string(),
                reason: format!("field {field} given more than once"),
            },
        }
    }

    fn unexpected(&self, field: Tag) -> Error {
        match self.owner {
            Owner::Structure => invalid(self.parent, format!("unexpected field {field}")),
            Owner::Attribute(name) => Error::InvalidAttribute {
                name: name.to_string(),
                reason: format!("unexpected field {field}"),
            },
        }
    }

    /// Takes the field `tag`, if present; a second one is an error unless this reads a
    /// payload. The duplicate is detected before the value is read.
    pub fn take(&mut self, tag: Tag) -> Result<Option<Ttlv>, Error> {
        let mut found = None;
        for slot in &mut self.items {
            if slot.as_ref().is_some_and(|t| t.tag == tag) {
                if found.is_some() {
                    if self.refuse_duplicates {
                        return Err(self.duplicate(tag));
                    }
                    break;
                }
                found = slot.take();
            }
        }
        Ok(found)
    }

    /// The field `tag`, read with `read`, if present.
    pub fn optional_with<T>(
        &mut self,
        tag: Tag,
        read: impl FnOnce(Ttlv) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        self.take(tag)?.map(read).transpose()
    }

    /// The field `tag`, read with `read`; missing is an error.
    pub fn required_with<T>(
        &mut self,
        tag: Tag,
        read: impl FnOnce(Ttlv) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.optional_with(tag, read)?.ok_or(Error::MissingField {
            parent: self.parent,
            field: tag,
        })
    }

    /// The field `tag`, if present.
    pub fn optional<T: FromTtlv>(&mut self, tag: Tag) -> Result<Option<T>, Error> {
        self.optional_with(tag, T::from_ttlv)
    }

    /// The field `tag`; missing is an error.
    pub fn required<T: FromTtlv>(&mut self, tag: Tag) -> Result<T, Error> {
        self.required_with(tag, T::from_ttlv)
    }

    /// The enumeration field `tag`, which must be one `from` knows, if present.
    pub fn optional_enum<E>(
        &mut self,
        tag: Tag,
        from: fn(u32) -> Option<E>,
    ) -> Result<Option<E>, Error> {
        self.optional_with(tag, |t| enumeration(t, from))
    }

    /// The enumeration field `tag`, which must be one `from` knows; missing is an error.
    pub fn required_enum<E>(&mut self, tag: Tag, from: fn(u32) -> Option<E>) -> Result<E, Error> {
        self.required_with(tag, |t| enumeration(t, from))
    }

    /// Every field `tag`, in order, each read with `read`.
    pub fn all_with<T>(
        &mut self,
        tag: Tag,
        mut read: impl FnMut(Ttlv) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        for slot in &mut self.items {
            if slot.as_ref().is_some_and(|t| t.tag == tag)
                && let Some(t) = slot.take()
            {
                out.push(read(t)?);
            }
        }
        Ok(out)
    }

    /// Every field `tag`, in order.
    pub fn all<T: FromTtlv>(&mut self, tag: Tag) -> Result<Vec<T>, Error> {
        self.all_with(tag, T::from_ttlv)
    }

    /// Reads the value with `read`, then [`Fields::finish`]es.
    pub fn decode<T>(
        mut self,
        read: impl FnOnce(&mut Fields) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let value = read(&mut self)?;
        self.finish()?;
        Ok(value)
    }

    /// Ends the reading: a field no one read is an error when the reader refuses unknown
    /// fields.
    pub fn finish(self) -> Result<(), Error> {
        match self.items.iter().flatten().next() {
            Some(t) if self.refuse_unknown => Err(self.unexpected(t.tag)),
            _ => Ok(()),
        }
    }
}

/// Refuses an item whose tag is not `tag`.
pub(crate) fn expect_tag(t: &Ttlv, tag: Tag) -> Result<(), Error> {
    if t.tag == tag {
        Ok(())
    } else {
        Err(invalid(t.tag, format!("expected {tag}")))
    }
}

// ---------------------------------------------------------------------------------------------
// writers of optional fields (the encoders' counterpart of `optional`)

pub(crate) fn opt_text(out: &mut Vec<Ttlv>, tag: Tag, v: &Option<String>) {
    if let Some(v) = v {
        out.push(Ttlv::text(tag, v.clone()));
    }
}

pub(crate) fn opt_bytes(out: &mut Vec<Ttlv>, tag: Tag, v: &Option<Vec<u8>>) {
    if let Some(v) = v {
        out.push(Ttlv::bytes(tag, v.clone()));
    }
}

pub(crate) fn opt_bool(out: &mut Vec<Ttlv>, tag: Tag, v: Option<bool>) {
    if let Some(v) = v {
        out.push(Ttlv::boolean(tag, v));
    }
}

pub(crate) fn opt_int(out: &mut Vec<Ttlv>, tag: Tag, v: Option<i32>) {
    if let Some(v) = v {
        out.push(Ttlv::integer(tag, v));
    }
}

pub(crate) fn opt_enum<E: Copy>(out: &mut Vec<Ttlv>, tag: Tag, v: Option<E>, f: fn(E) -> u32) {
    if let Some(v) = v {
        out.push(Ttlv::enumeration(tag, f(v)));
    }
}

pub(crate) fn opt_date(out: &mut Vec<Ttlv>, tag: Tag, v: Option<i64>) {
    if let Some(v) = v {
        out.push(Ttlv::datetime(tag, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::ObjectType;

    fn structure(items: Vec<Ttlv>) -> Ttlv {
        Ttlv::structure(Tag::REQUEST_PAYLOAD, items)
    }

    #[test]
    fn reads_required_optional_and_repeated_fields_in_order() {
        let t = structure(vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, "a"),
            Ttlv::bytes(Tag::DATA, vec![1, 2]),
            Ttlv::text(Tag::NAME_VALUE, "x"),
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            Ttlv::text(Tag::NAME_VALUE, "y"),
        ]);
        let mut f = Fields::new(t, Tag::REQUEST_PAYLOAD).unwrap();
        assert!(f.has(Tag::DATA));
        assert_eq!(f.required::<Vec<u8>>(Tag::DATA).unwrap(), vec![1, 2]);
        assert!(!f.has(Tag::DATA));
        assert_eq!(f.optional::<i32>(Tag::IV_LENGTH).unwrap(), None);
        assert_eq!(
            f.required_enum(Tag::OBJECT_TYPE, ObjectType::from_u32)
                .unwrap(),
            ObjectType::SymmetricKey
        );
        assert_eq!(
            f.all::<String>(Tag::NAME_VALUE).unwrap(),
            vec!["x".to_string(), "y".to_string()]
        );
        let uid: String = f.required(Tag::UNIQUE_IDENTIFIER).unwrap();
        assert_eq!(uid, "a");
        f.finish().unwrap();
    }

    #[test]
    fn a_missing_field_names_parent_and_field() {
        let mut f = Fields::new(structure(vec![]), Tag::BATCH_ITEM).unwrap();
        assert_eq!(
            f.required::<String>(Tag::UNIQUE_IDENTIFIER),
            Err(Error::MissingField {
                parent: Tag::BATCH_ITEM,
                field: Tag::UNIQUE_IDENTIFIER
            })
        );
    }

    #[test]
    fn a_field_of_the_wrong_type_is_refused() {
        let t = structure(vec![Ttlv::integer(Tag::UNIQUE_IDENTIFIER, 3)]);
        let mut f = Fields::new(t, Tag::REQUEST_PAYLOAD).unwrap();
        assert_eq!(
            f.required::<String>(Tag::UNIQUE_IDENTIFIER),
            Err(Error::WrongType {
                tag: Tag::UNIQUE_IDENTIFIER,
                expected: "TextString",
                found: "Integer"
            })
        );
        let t = structure(vec![Ttlv::enumeration(Tag::OBJECT_TYPE, 0xFFFF)]);
        let mut f = Fields::new(t, Tag::REQUEST_PAYLOAD).unwrap();
        let err = f.optional_enum(Tag::OBJECT_TYPE, ObjectType::from_u32);
        assert!(matches!(err, Err(Error::InvalidValue { tag, .. }) if tag == Tag::OBJECT_TYPE));
        assert!(matches!(
            Fields::new(Ttlv::integer(Tag::REQUEST_PAYLOAD, 1), Tag::REQUEST_PAYLOAD),
            Err(Error::WrongType { .. })
        ));
    }

    #[test]
    fn duplicates_are_refused_except_in_payloads() {
        let twice = || {
            structure(vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, "a"),
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, "b"),
            ])
        };
        let mut f = Fields::new(twice(), Tag::REQUEST_PAYLOAD).unwrap();
        let err = f.optional::<String>(Tag::UNIQUE_IDENTIFIER).unwrap_err();
        assert!(err.to_string().contains("appears more than once"), "{err}");

        let mut f = Fields::attribute(twice(), Tag::NAME, "Name").unwrap();
        let err = f.optional::<String>(Tag::UNIQUE_IDENTIFIER).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidAttribute { name, reason } if name == "Name" && reason.contains("given more than once")),
            "{err}"
        );

        let mut f = Fields::payload(twice()).unwrap();
        assert_eq!(
            f.required::<String>(Tag::UNIQUE_IDENTIFIER).unwrap(),
            "a".to_string()
        );
        f.finish().unwrap();
    }

    #[test]
    fn unread_fields_are_refused_unless_lenient() {
        let t = || structure(vec![Ttlv::integer(Tag::IV_LENGTH, 1)]);
        let err = Fields::new(t(), Tag::BATCH_ITEM)
            .unwrap()
            .finish()
            .unwrap_err();
        assert!(err.to_string().contains("unexpected field"), "{err}");
        Fields::new(t(), Tag::BATCH_ITEM)
            .unwrap()
            .lenient(true)
            .finish()
            .unwrap();
        Fields::payload(t()).unwrap().finish().unwrap();
    }

    #[test]
    fn bytes_move_out_of_the_tree() {
        let data = vec![7u8; 4096];
        let ptr = data.as_ptr();
        let t = structure(vec![Ttlv::bytes(Tag::DATA, data)]);
        let mut f = Fields::payload(t).unwrap();
        let out: Zeroizing<Vec<u8>> = f.required(Tag::DATA).unwrap();
        assert_eq!(out.as_ptr(), ptr, "the bytes were copied");
    }
}
