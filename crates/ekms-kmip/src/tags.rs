//! KMIP tags: the three-byte identifiers of every TTLV item.
//!
//! This module owns the tag table of KMIP 1.0 to 2.1: one constant per tag (named by PyKMIP's
//! UPPER_SNAKE name, or for tags new in 2.1 by the specification name in UPPER_SNAKE), the JSON
//! name of each tag (the specification name normalized as the KMIP XML/JSON encodings do:
//! `IVCounterNonce`, `X_509CertificateIdentifier`, `PKCS_12FriendlyName`), and the
//! specification text name KMIP 1.x uses for attributes ("Cryptographic Algorithm").
//! Look-ups are binary searches over static sorted tables: no allocation.

use std::fmt;

mod table;

/// A KMIP tag (0x42XXXX for the specification, 0x54XXXX for extensions).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Tag(pub u32);

/// Longest tag name that lenient look-ups consider.
const MAX_NAME: usize = 64;

/// Pseudo-tags of the JSON profile's operation payloads (`"Create"`, `"CreateResponse"`) live
/// above the 24-bit tag space so they can never collide with a wire tag.
const OP_REQUEST_BASE: u32 = 0x0100_0000;
const OP_RESPONSE_BASE: u32 = 0x0200_0000;

impl Tag {
    /// The JSON name of the tag (specification name without spaces), e.g. `"UniqueIdentifier"`;
    /// for an operation pseudo-tag, the operation name (`"Create"`, `"CreateResponse"`).
    pub fn name(self) -> Option<&'static str> {
        if let Some((op, response)) = self.operation_payload() {
            let e = table::OPERATIONS.iter().find(|e| e.0 == op)?;
            return Some(if response { e.2 } else { e.1 });
        }
        table::BY_VALUE
            .binary_search_by_key(&self.0, |e| e.0)
            .ok()
            .and_then(|i| table::BY_VALUE.get(i))
            .map(|e| e.1)
    }

    /// The pseudo-tag of an operation's request payload in the KMIP 2.1 JSON profile, where a
    /// bare operation is sent as `{"tag": "Create", "value": [...]}`.
    pub fn operation_request(operation: u32) -> Tag {
        Tag(OP_REQUEST_BASE | (operation & 0xFF_FFFF))
    }

    /// The pseudo-tag of an operation's response payload (`"CreateResponse"`).
    pub fn operation_response(operation: u32) -> Tag {
        Tag(OP_RESPONSE_BASE | (operation & 0xFF_FFFF))
    }

    /// For an operation pseudo-tag: the Operation value and whether it is a response.
    pub fn operation_payload(self) -> Option<(u32, bool)> {
        match self.0 & 0xFF00_0000 {
            OP_REQUEST_BASE => Some((self.0 & 0xFF_FFFF, false)),
            OP_RESPONSE_BASE => Some((self.0 & 0xFF_FFFF, true)),
            _ => None,
        }
    }

    /// The tag to put on the wire: operation pseudo-tags become `RequestPayload` /
    /// `ResponsePayload`; every other tag is itself.
    pub fn wire_tag(self) -> Tag {
        match self.operation_payload() {
            Some((_, false)) => Tag::REQUEST_PAYLOAD,
            Some((_, true)) => Tag::RESPONSE_PAYLOAD,
            None => self,
        }
    }

    fn from_operation_name(name: &str) -> Option<Tag> {
        let (stem, response) = match name.strip_suffix("Response") {
            Some(stem) => (stem, true),
            None => (name, false),
        };
        let e = table::OPERATIONS.iter().find(|e| e.1 == stem).or_else(|| {
            table::OPERATIONS
                .iter()
                .find(|e| crate::enums::loose_eq(e.1, stem))
        })?;
        Some(if response {
            Tag::operation_response(e.0)
        } else {
            Tag::operation_request(e.0)
        })
    }

    /// The specification's text name, e.g. `"Cryptographic Algorithm"` (KMIP 1.x attribute names).
    pub fn text_name(self) -> Option<&'static str> {
        table::BY_VALUE
            .binary_search_by_key(&self.0, |e| e.0)
            .ok()
            .and_then(|i| table::BY_VALUE.get(i))
            .map(|e| e.2)
    }

    /// The tag of a JSON name. Exact names are found by binary search; failing that, the name
    /// is compared ignoring ASCII case and any character that is not a letter or digit, so
    /// `IvCounterNonce` and `X509CertificateIdentifier` (spellings some clients use) resolve.
    /// A `0x42XXXX` / `0x54XXXX` hex string is accepted too. No allocation.
    pub fn from_name(name: &str) -> Option<Tag> {
        if let Ok(i) = table::BY_NAME.binary_search_by(|e| e.0.cmp(name)) {
            return table::BY_NAME.get(i).map(|e| Tag(e.1));
        }
        if let Some(t) = Self::from_hex(name) {
            return Some(t);
        }
        Self::from_folded_name(name).or_else(|| Self::from_operation_name(name))
    }

    /// The lenient match of [`Tag::from_name`] and [`Tag::from_text_name`]: on the letters
    /// and digits of `name` only, in any case. No allocation.
    fn from_folded_name(name: &str) -> Option<Tag> {
        let mut buf = [0u8; MAX_NAME];
        let folded = fold(name, &mut buf)?;
        table::BY_FOLDED_NAME
            .binary_search_by(|e| e.0.as_bytes().cmp(folded))
            .ok()
            .and_then(|i| table::BY_FOLDED_NAME.get(i))
            .map(|e| Tag(e.1))
    }

    /// The tag of a specification text name (`"Cryptographic Algorithm"`), as KMIP 1.x
    /// `AttributeName` carries it. Exact match first, then a lenient one like [`Tag::from_name`].
    pub fn from_text_name(name: &str) -> Option<Tag> {
        if let Ok(i) = table::BY_TEXT_NAME.binary_search_by(|e| e.0.cmp(name)) {
            return table::BY_TEXT_NAME.get(i).map(|e| Tag(e.1));
        }
        Self::from_folded_name(name)
    }

    /// Parses `"0x42XXXX"` (any case, exactly six hex digits) into a tag.
    pub fn from_hex(s: &str) -> Option<Tag> {
        let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok().map(Tag)
    }

    /// Every tag known to this crate, with its JSON name, in value order.
    pub fn all() -> impl Iterator<Item = (Tag, &'static str)> {
        table::BY_VALUE.iter().map(|e| (Tag(e.0), e.1))
    }
}

/// Lower-cases ASCII letters and keeps letters and digits only; None if too long.
fn fold<'a>(name: &str, buf: &'a mut [u8; MAX_NAME]) -> Option<&'a [u8]> {
    let mut n = 0;
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() {
            let slot = buf.get_mut(n)?;
            *slot = b.to_ascii_lowercase();
            n += 1;
        }
    }
    buf.get(..n)
}

impl fmt::Display for Tag {
    /// `Name (0x42XXXX)`, or only the hex for an unknown tag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} (0x{:06X})", self.0),
            None => write!(f, "0x{:06X}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(Tag::UNIQUE_IDENTIFIER, Tag(0x420094));
        assert_eq!(Tag::UNIQUE_IDENTIFIER.name(), Some("UniqueIdentifier"));
        assert_eq!(
            Tag::from_name("UniqueIdentifier"),
            Some(Tag::UNIQUE_IDENTIFIER)
        );
        assert_eq!(Tag::ATTRIBUTES, Tag(0x420125));
        assert_eq!(Tag::IV_COUNTER_NONCE.name(), Some("IVCounterNonce"));
        assert_eq!(
            Tag::from_name("IvCounterNonce"),
            Some(Tag::IV_COUNTER_NONCE)
        );
        assert_eq!(Tag::from_name("0x420094"), Some(Tag::UNIQUE_IDENTIFIER));
        assert_eq!(Tag::from_name("NoSuchTag"), None);
        assert_eq!(Tag::from_name(""), None);
        assert_eq!(Tag::from_name(&"x".repeat(1000)), None);
        assert_eq!(Tag::OBJECT_GROUPS, Tag(0x420166));
        assert_eq!(
            Tag::ASYNCHRONOUS_CORRELATION_VALUES.name(),
            Some("AsynchronousCorrelationValues")
        );
        assert_eq!(
            Tag::X_509_CERTIFICATE_IDENTIFIER.name(),
            Some("X_509CertificateIdentifier")
        );
        assert_eq!(
            Tag::from_text_name("Cryptographic Algorithm"),
            Some(Tag::CRYPTOGRAPHIC_ALGORITHM)
        );
        assert_eq!(
            Tag::from_text_name("X.509 Certificate Issuer"),
            Some(Tag::X_509_CERTIFICATE_ISSUER)
        );
        assert_eq!(
            Tag::CRYPTOGRAPHIC_USAGE_MASK.text_name(),
            Some("Cryptographic Usage Mask")
        );
        assert_eq!(Tag(0x540001).name(), None);
        assert_eq!(
            Tag::ACTIVATION_DATE.to_string(),
            "ActivationDate (0x420001)"
        );
        let create = Tag::from_name("Create").unwrap();
        assert_eq!(create, Tag::operation_request(1));
        assert_eq!(create.name(), Some("Create"));
        assert_eq!(create.wire_tag(), Tag::REQUEST_PAYLOAD);
        let r = Tag::from_name("EncryptResponse").unwrap();
        assert_eq!(r.operation_payload(), Some((0x1F, true)));
        assert_eq!(r.name(), Some("EncryptResponse"));
        assert_eq!(
            Tag::from_name("ReKeyKeyPair"),
            Some(Tag::operation_request(0x1D))
        );
        assert_eq!(Tag::from_name("Mac"), Some(Tag::operation_request(0x23)));
        assert_eq!(Tag::from_name("Response"), None);
        assert_eq!(Tag::STATE.wire_tag(), Tag::STATE);
    }

    #[test]
    fn every_tag_resolves_both_ways() {
        let mut n = 0;
        for (tag, name) in Tag::all() {
            assert_eq!(Tag::from_name(name), Some(tag), "{name}");
            let text = tag.text_name().unwrap_or_default();
            assert_eq!(Tag::from_text_name(text), Some(tag), "{text}");
            n += 1;
        }
        assert!(n > 360);
        assert!(
            table::BY_VALUE
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.0 < b.0))
        );
        assert!(
            table::BY_NAME
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.0 < b.0))
        );
        assert!(
            table::BY_TEXT_NAME
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.0 < b.0))
        );
        assert!(
            table::BY_FOLDED_NAME
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.0 < b.0))
        );
    }
}
