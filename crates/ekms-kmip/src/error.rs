//! Errors of the codecs and of the data model.
//!
//! Every variant says what is wrong and where: the tag (as `0x42XXXX` and, when known, its
//! name) and, for the binary codec, the byte offset in the input. Messages never contain the
//! value of a field (which could be key material).

use crate::enums::ResultReason;
use crate::tags::Tag;

/// What went wrong while decoding, encoding or interpreting KMIP data.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The input ended before an item was complete (binary codec).
    #[error(
        "truncated input at offset {offset}: needed {needed} more bytes, {available} available"
    )]
    Truncated {
        /// Byte offset where the read started.
        offset: usize,
        /// Bytes the item needs.
        needed: usize,
        /// Bytes left in the input (or in the enclosing structure).
        available: usize,
    },
    /// Bytes remain after the single top-level item (binary codec).
    #[error("{count} trailing bytes after the item, at offset {offset}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
        /// How many bytes remain.
        count: usize,
    },
    /// A type byte that is not one of the eleven KMIP item types.
    #[error("unknown item type 0x{item_type:02X} for tag {tag} at offset {offset}")]
    UnknownType {
        /// Tag of the item.
        tag: Tag,
        /// The type byte read.
        item_type: u8,
        /// Offset of the item.
        offset: usize,
    },
    /// A length that the item type does not allow (e.g. an Integer whose length is not 4).
    #[error("invalid length {length} for {item_type} {tag} at offset {offset}: {expected}")]
    InvalidLength {
        /// Tag of the item.
        tag: Tag,
        /// Type name.
        item_type: &'static str,
        /// Declared length.
        length: u64,
        /// What was expected.
        expected: &'static str,
        /// Offset of the item.
        offset: usize,
    },
    /// A value that its type does not allow (e.g. a Boolean that is neither 0 nor 1).
    #[error("invalid value for {tag} at offset {offset}: {reason}")]
    InvalidValue {
        /// Tag of the item.
        tag: Tag,
        /// Offset of the item (0 for codecs without offsets).
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// Non-zero padding bytes after a value (binary codec).
    #[error("non-zero padding after {tag} at offset {offset}")]
    NonZeroPadding {
        /// Tag of the item.
        tag: Tag,
        /// Offset of the padding.
        offset: usize,
    },
    /// A tag whose first byte is neither 0x42 (specification) nor 0x54 (extension).
    #[error("invalid tag 0x{tag:06X} at offset {offset}")]
    InvalidTag {
        /// The three tag bytes as a number.
        tag: u32,
        /// Offset of the item.
        offset: usize,
    },
    /// Structures nested deeper than the codec allows.
    #[error("nesting deeper than {limit} levels at {location}")]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Offset (binary) or path (JSON).
        location: String,
    },
    /// The decoded message would take more memory than the decoders allow for a message of
    /// its size (see [`crate::ttlv::memory_budget`]): only messages made mostly of empty or
    /// tiny structures reach it.
    #[error(
        "the message is too complex: decoding it would take more than {budget} bytes of memory, 4 times its size"
    )]
    TooComplex {
        /// The memory allowed, in bytes.
        budget: usize,
    },
    /// The JSON text is not JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The JSON is valid but not a KMIP TTLV item.
    #[error("invalid JSON TTLV at {path}: {reason}")]
    JsonShape {
        /// Where, as a path of tags from the root (e.g. `Create/Attributes/ObjectType`).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The text is not KMIP XML: not well-formed XML, an unknown tag or type, a value its
    /// type does not allow, or a shape the XML encoding does not have.
    #[error("invalid KMIP XML at line {line} ({path}): {reason}")]
    Xml {
        /// The line of the text (1 for the first) where the fault was found.
        line: usize,
        /// The tags from the root to the element at fault.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A tag name that is not a KMIP tag.
    #[error("unknown tag name \"{name}\" at {path}")]
    UnknownTagName {
        /// The name received (truncated to 64 characters).
        name: String,
        /// Where.
        path: String,
    },
    /// An enumeration name that the tag's enumeration does not define.
    #[error("unknown enumeration value \"{name}\" for {tag} at {path}")]
    UnknownEnumName {
        /// Tag of the item.
        tag: Tag,
        /// The name received (truncated).
        name: String,
        /// Where.
        path: String,
    },
    /// An item that does not have the type the data model expects.
    #[error("{tag}: expected {expected}, found {found}")]
    WrongType {
        /// Tag of the item.
        tag: Tag,
        /// The expected type.
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// A structure lacks a field the data model requires.
    #[error("{parent}: missing required {field}")]
    MissingField {
        /// The structure.
        parent: Tag,
        /// The missing field.
        field: Tag,
    },
    /// An attribute the data model does not know or cannot take in this form.
    #[error("invalid attribute {name}: {reason}")]
    InvalidAttribute {
        /// Attribute name (1.x text name or 2.x tag name).
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An operation's request that KMIP says to refuse with this Result Reason (a feature
    /// ekms does not offer, a field out of its range): the message goes to the client as is.
    #[error("{message}")]
    Refused {
        /// The Result Reason to answer with.
        reason: ResultReason,
        /// What is wrong (names fields, never values).
        message: String,
    },
    /// The item to encode is larger than a TTLV length field can express.
    #[error("{tag}: value of {length} bytes is too large to encode")]
    TooLarge {
        /// Tag of the item.
        tag: Tag,
        /// Its length.
        length: usize,
    },
}

impl Error {
    /// A request refused with `reason` (see [`Error::Refused`]).
    pub fn refused(reason: ResultReason, message: impl Into<String>) -> Self {
        Error::Refused {
            reason,
            message: message.into(),
        }
    }
}

/// Shortens untrusted text before it goes into an error message.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = s.get(..end).unwrap_or_default().to_string();
    out.push('…');
    out
}
