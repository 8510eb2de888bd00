//! The TTLV tree: the in-memory form of every KMIP message, independent of its encoding.
//!
//! A [`Ttlv`] is a tag and a [`Value`]; a Structure's value holds the child items in order.
//! The binary ([`crate::binary`]) and JSON ([`crate::json`]) codecs translate this tree to and
//! from bytes; the data model ([`crate::attributes`]) reads and builds it.

use crate::tags::Tag;

/// The memory the decoders may allocate for a message of `len` bytes: 4 times its size, less
/// 1 KiB kept for the text of an error, and never less than [`MIN_MEMORY_BUDGET`] (a small
/// message may be made only of small structures, whose nodes cost more than their bytes; a
/// few KiB do not matter). Every decoder counts the nodes and values it allocates against it
/// and refuses the message ([`crate::Error::TooComplex`]) before going over, whatever the
/// message's shape: an empty Structure is 8 bytes on the wire and a [`Ttlv`] node is 40 in
/// memory.
pub fn memory_budget(len: usize) -> usize {
    len.saturating_mul(4)
        .saturating_sub(1024)
        .max(MIN_MEMORY_BUDGET)
}

/// The least memory a decoder may use, whatever the message's size: 64 KiB.
pub const MIN_MEMORY_BUDGET: usize = 64 * 1024;

/// Counts a decoder's allocations against [`memory_budget`].
pub(crate) struct Budget {
    left: usize,
    total: usize,
}

impl Budget {
    /// The budget of a message of `len` bytes.
    pub(crate) fn for_message(len: usize) -> Self {
        Self::with_total(memory_budget(len))
    }

    /// A budget of `total` bytes.
    pub(crate) fn with_total(total: usize) -> Self {
        Budget { left: total, total }
    }

    /// Takes a heap block of `bytes` from the budget, or refuses the message. A block costs
    /// what a general-purpose allocator really uses for it (glibc: a 16-byte-aligned chunk
    /// with an 8-byte header, 32 bytes at least), so that a message of one-byte strings is
    /// counted at its true cost; an empty block is not allocated and costs nothing.
    pub(crate) fn take(&mut self, bytes: usize) -> Result<(), crate::Error> {
        let cost = if bytes == 0 {
            0
        } else {
            bytes.saturating_add(8 + 15).max(32) & !15
        };
        match self.left.checked_sub(cost) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(crate::Error::TooComplex { budget: self.total }),
        }
    }

    /// Takes the memory of a vector already allocated (its capacity).
    pub(crate) fn take_vec<T>(&mut self, v: &Vec<T>) -> Result<(), crate::Error> {
        self.take(v.capacity().saturating_mul(std::mem::size_of::<T>()))
    }

    /// Takes the memory of a vector of `n` nodes.
    pub(crate) fn take_nodes(&mut self, n: usize) -> Result<(), crate::Error> {
        self.take(n.saturating_mul(std::mem::size_of::<Ttlv>()))
    }
}

/// The value of a TTLV item: one variant per KMIP item type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Ordered child items.
    Structure(Vec<Ttlv>),
    /// 32-bit signed integer (also bit masks such as Cryptographic Usage Mask).
    Integer(i32),
    /// 64-bit signed integer.
    LongInteger(i64),
    /// Arbitrary-precision integer: two's complement, big-endian bytes.
    BigInteger(Vec<u8>),
    /// 32-bit enumeration value.
    Enumeration(u32),
    /// Boolean.
    Boolean(bool),
    /// UTF-8 text.
    TextString(String),
    /// Bytes.
    ByteString(Vec<u8>),
    /// Date and time: seconds since the Unix epoch.
    DateTime(i64),
    /// Interval in seconds.
    Interval(u32),
    /// Date and time: microseconds since the Unix epoch (KMIP 2.0+).
    DateTimeExtended(i64),
}

/// The KMIP item types, with their binary type byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ItemType {
    /// 0x01
    Structure = 0x01,
    /// 0x02
    Integer = 0x02,
    /// 0x03
    LongInteger = 0x03,
    /// 0x04
    BigInteger = 0x04,
    /// 0x05
    Enumeration = 0x05,
    /// 0x06
    Boolean = 0x06,
    /// 0x07
    TextString = 0x07,
    /// 0x08
    ByteString = 0x08,
    /// 0x09
    DateTime = 0x09,
    /// 0x0A
    Interval = 0x0A,
    /// 0x0B
    DateTimeExtended = 0x0B,
}

impl ItemType {
    /// The type of a binary type byte.
    pub fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            0x01 => Self::Structure,
            0x02 => Self::Integer,
            0x03 => Self::LongInteger,
            0x04 => Self::BigInteger,
            0x05 => Self::Enumeration,
            0x06 => Self::Boolean,
            0x07 => Self::TextString,
            0x08 => Self::ByteString,
            0x09 => Self::DateTime,
            0x0A => Self::Interval,
            0x0B => Self::DateTimeExtended,
            _ => return None,
        })
    }

    /// The JSON `"type"` name, e.g. `"LongInteger"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Structure => "Structure",
            Self::Integer => "Integer",
            Self::LongInteger => "LongInteger",
            Self::BigInteger => "BigInteger",
            Self::Enumeration => "Enumeration",
            Self::Boolean => "Boolean",
            Self::TextString => "TextString",
            Self::ByteString => "ByteString",
            Self::DateTime => "DateTime",
            Self::Interval => "Interval",
            Self::DateTimeExtended => "DateTimeExtended",
        }
    }

    /// The type of a JSON `"type"` name.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "Structure" => Self::Structure,
            "Integer" => Self::Integer,
            "LongInteger" => Self::LongInteger,
            "BigInteger" => Self::BigInteger,
            "Enumeration" => Self::Enumeration,
            "Boolean" => Self::Boolean,
            "TextString" => Self::TextString,
            "ByteString" => Self::ByteString,
            "DateTime" => Self::DateTime,
            "Interval" => Self::Interval,
            "DateTimeExtended" => Self::DateTimeExtended,
            _ => return None,
        })
    }
}

impl Value {
    /// The item type of this value.
    pub fn item_type(&self) -> ItemType {
        match self {
            Value::Structure(_) => ItemType::Structure,
            Value::Integer(_) => ItemType::Integer,
            Value::LongInteger(_) => ItemType::LongInteger,
            Value::BigInteger(_) => ItemType::BigInteger,
            Value::Enumeration(_) => ItemType::Enumeration,
            Value::Boolean(_) => ItemType::Boolean,
            Value::TextString(_) => ItemType::TextString,
            Value::ByteString(_) => ItemType::ByteString,
            Value::DateTime(_) => ItemType::DateTime,
            Value::Interval(_) => ItemType::Interval,
            Value::DateTimeExtended(_) => ItemType::DateTimeExtended,
        }
    }

    /// The type name, e.g. `"TextString"`.
    pub fn type_name(&self) -> &'static str {
        self.item_type().name()
    }
}

/// One TTLV item: a tag and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Ttlv {
    /// The tag.
    pub tag: Tag,
    /// The value.
    pub value: Value,
}

impl Ttlv {
    /// An item of any type.
    pub fn new(tag: Tag, value: Value) -> Self {
        Ttlv { tag, value }
    }
    /// The children of a Structure, moved out (none for any other item).
    pub fn into_items(self) -> Vec<Ttlv> {
        match self.value {
            Value::Structure(items) => items,
            _ => Vec::new(),
        }
    }
    /// The same item under `tag` (the value moves, nothing is copied): a type encoded under
    /// another tag than its own, such as `CommonAttributes`.
    pub fn retagged(mut self, tag: Tag) -> Self {
        self.tag = tag;
        self
    }
    /// A Structure.
    pub fn structure(tag: Tag, items: Vec<Ttlv>) -> Self {
        Self::new(tag, Value::Structure(items))
    }
    /// A TextString.
    pub fn text(tag: Tag, s: impl Into<String>) -> Self {
        Self::new(tag, Value::TextString(s.into()))
    }
    /// An Integer.
    pub fn integer(tag: Tag, v: i32) -> Self {
        Self::new(tag, Value::Integer(v))
    }
    /// A LongInteger.
    pub fn long(tag: Tag, v: i64) -> Self {
        Self::new(tag, Value::LongInteger(v))
    }
    /// An Enumeration.
    pub fn enumeration(tag: Tag, v: u32) -> Self {
        Self::new(tag, Value::Enumeration(v))
    }
    /// A Boolean.
    pub fn boolean(tag: Tag, v: bool) -> Self {
        Self::new(tag, Value::Boolean(v))
    }
    /// A ByteString.
    pub fn bytes(tag: Tag, v: Vec<u8>) -> Self {
        Self::new(tag, Value::ByteString(v))
    }
    /// A DateTime (seconds since the Unix epoch).
    pub fn datetime(tag: Tag, unix_seconds: i64) -> Self {
        Self::new(tag, Value::DateTime(unix_seconds))
    }
    /// An Interval (seconds).
    pub fn interval(tag: Tag, seconds: u32) -> Self {
        Self::new(tag, Value::Interval(seconds))
    }
    /// A BigInteger (two's complement big-endian bytes).
    pub fn big_integer(tag: Tag, v: Vec<u8>) -> Self {
        Self::new(tag, Value::BigInteger(v))
    }

    /// The children of a Structure; an empty slice for any other type.
    pub fn items(&self) -> &[Ttlv] {
        match &self.value {
            Value::Structure(items) => items,
            _ => &[],
        }
    }

    /// Mutable children of a Structure; None for any other type.
    pub fn items_mut(&mut self) -> Option<&mut Vec<Ttlv>> {
        match &mut self.value {
            Value::Structure(items) => Some(items),
            _ => None,
        }
    }

    /// The first child with that tag.
    pub fn child(&self, tag: Tag) -> Option<&Ttlv> {
        self.items().iter().find(|t| t.tag == tag)
    }

    /// Every child with that tag, in order.
    pub fn children(&self, tag: Tag) -> impl Iterator<Item = &Ttlv> {
        self.items().iter().filter(move |t| t.tag == tag)
    }

    /// The text of a TextString.
    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            Value::TextString(s) => Some(s),
            _ => None,
        }
    }
    /// The value of an Integer.
    pub fn as_i32(&self) -> Option<i32> {
        match self.value {
            Value::Integer(v) => Some(v),
            _ => None,
        }
    }
    /// The value of a LongInteger (or of an Integer, widened).
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::LongInteger(v) => Some(v),
            Value::Integer(v) => Some(i64::from(v)),
            _ => None,
        }
    }
    /// The value of an Enumeration.
    pub fn as_enum(&self) -> Option<u32> {
        match self.value {
            Value::Enumeration(v) => Some(v),
            _ => None,
        }
    }
    /// The value of a Boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Boolean(v) => Some(v),
            _ => None,
        }
    }
    /// The bytes of a ByteString.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.value {
            Value::ByteString(v) => Some(v),
            _ => None,
        }
    }
    /// The bytes of a BigInteger.
    pub fn as_big_integer(&self) -> Option<&[u8]> {
        match &self.value {
            Value::BigInteger(v) => Some(v),
            _ => None,
        }
    }
    /// The seconds of a DateTime (or of a DateTimeExtended, truncated to seconds).
    pub fn as_datetime(&self) -> Option<i64> {
        match self.value {
            Value::DateTime(v) => Some(v),
            Value::DateTimeExtended(us) => Some(us.div_euclid(1_000_000)),
            _ => None,
        }
    }
    /// The seconds of an Interval.
    pub fn as_interval(&self) -> Option<u32> {
        match self.value {
            Value::Interval(v) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors() {
        let t = Ttlv::structure(
            Tag::ATTRIBUTES,
            vec![
                Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 3),
                Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 256),
                Ttlv::text(Tag::NAME, "a"),
                Ttlv::text(Tag::NAME, "b"),
            ],
        );
        assert_eq!(t.items().len(), 4);
        assert_eq!(
            t.child(Tag::CRYPTOGRAPHIC_ALGORITHM)
                .and_then(Ttlv::as_enum),
            Some(3)
        );
        assert_eq!(
            t.child(Tag::CRYPTOGRAPHIC_LENGTH).and_then(Ttlv::as_i32),
            Some(256)
        );
        let names: Vec<_> = t.children(Tag::NAME).filter_map(Ttlv::as_text).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(t.child(Tag::STATE).is_none());
        assert!(Ttlv::integer(Tag::STATE, 1).items().is_empty());
        assert_eq!(
            Ttlv::new(Tag::STATE, Value::DateTimeExtended(-1)).as_datetime(),
            Some(-1)
        );
        for b in 1..=0x0B {
            let it = ItemType::from_u8(b).unwrap_or(ItemType::Structure);
            assert_eq!(it as u8, b);
            assert_eq!(ItemType::from_name(it.name()), Some(it));
        }
        assert_eq!(ItemType::from_u8(0), None);
        assert_eq!(ItemType::from_u8(0x0C), None);
    }
}
