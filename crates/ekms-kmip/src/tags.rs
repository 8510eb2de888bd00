//! KMIP tags: the three-byte identifiers of every TTLV item.
//!
//! This module owns the tag table of KMIP 1.0 to 2.1: one constant per tag (named by PyKMIP's
//! UPPER_SNAKE name, or for tags new in 2.1 by the specification name in UPPER_SNAKE), the JSON
//! name of each tag (the specification name normalized as the KMIP XML/JSON encodings do:
//! `IVCounterNonce`, `X_509CertificateIdentifier`, `PKCS_12FriendlyName`), and the
//! specification text name KMIP 1.x uses for attributes ("Cryptographic Algorithm").
//! Look-ups use static tables and never allocate: an exact JSON name goes through a hash index
//! the compiler builds (the JSON decoder's look-up for every item), the rest are binary searches.

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
        if let Some(t) = by_exact_name(name) {
            return Some(t);
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

/// Slots of the exact-name index: a power of two, at least twice the number of names, so
/// that a probe sequence is short and always reaches an empty slot.
const NAME_SLOTS: usize = 1024;
const _: () = assert!(table::BY_NAME.len() * 2 <= NAME_SLOTS && table::BY_NAME.len() < 0xFFFF);

/// Open-addressing hash index of [`table::BY_NAME`], built by the compiler: each slot holds
/// an entry's position plus one, 0 when empty. A look-up hashes the name once and compares
/// whole names only with the entries of its probe sequence (one, nearly always), where a
/// binary search compares about nine, each a call to `memcmp`: it is a hot path, once per
/// item of every JSON message.
static NAME_INDEX: [u16; NAME_SLOTS] = name_index();

/// A multiplicative hash of a name, eight bytes at a time; `const` so that the compiler
/// builds [`NAME_INDEX`] with the same function look-ups use.
const fn name_hash(mut b: &[u8]) -> usize {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (b.len() as u64).wrapping_mul(K);
    while !b.is_empty() {
        let mut w = 0u64;
        let mut j = 0;
        while j < 8 {
            if let [c, rest @ ..] = b {
                w |= (*c as u64) << (8 * j);
                b = rest;
            }
            j += 1;
        }
        h = (h ^ w).wrapping_mul(K);
        h ^= h >> 29;
    }
    // The top bits of a product depend on all the bits of its factors.
    (h.wrapping_mul(K) >> (64 - NAME_SLOTS.trailing_zeros())) as usize
}

// Evaluated by the compiler only (for a `static`): an index out of range fails the build, it
// cannot panic at run time.
#[allow(clippy::indexing_slicing)]
const fn name_index() -> [u16; NAME_SLOTS] {
    let mut slots = [0u16; NAME_SLOTS];
    let mut i = 0;
    while i < table::BY_NAME.len() {
        let mut s = name_hash(table::BY_NAME[i].0.as_bytes());
        while slots[s] != 0 {
            s = (s + 1) & (NAME_SLOTS - 1);
        }
        slots[s] = (i + 1) as u16;
        i += 1;
    }
    slots
}

/// The tag of an exact JSON name, through [`NAME_INDEX`].
fn by_exact_name(name: &str) -> Option<Tag> {
    let mut s = name_hash(name.as_bytes());
    loop {
        let i = usize::from(*NAME_INDEX.get(s)?).checked_sub(1)?;
        let e = table::BY_NAME.get(i)?;
        if e.0 == name {
            return Some(Tag(e.1));
        }
        s = (s + 1) & (NAME_SLOTS - 1);
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
    fn the_name_index_finds_every_exact_name_and_nothing_else() {
        for (name, value) in table::BY_NAME {
            assert_eq!(by_exact_name(name), Some(Tag(*value)), "{name}");
            let mut near = name.to_string();
            near.push('x');
            assert_eq!(by_exact_name(&near), None, "{near}");
            assert_eq!(by_exact_name(&name.to_ascii_lowercase()), None, "{name}");
        }
        assert_eq!(by_exact_name(""), None);
        // Probe sequences stay short: a look-up is a hash and about one comparison.
        let probes: Vec<usize> = table::BY_NAME
            .iter()
            .map(|(name, _)| {
                let home = name_hash(name.as_bytes());
                let at = NAME_INDEX
                    .iter()
                    .position(|&i| {
                        usize::from(i) != 0 && table::BY_NAME[usize::from(i) - 1].0 == *name
                    })
                    .unwrap();
                (at + NAME_SLOTS - home) % NAME_SLOTS + 1
            })
            .collect();
        let mean = probes.iter().sum::<usize>() as f64 / probes.len() as f64;
        let longest = probes.iter().max().copied().unwrap_or(0);
        assert!(
            mean < 1.5 && longest <= 8,
            "probes: mean {mean:.2}, longest {longest}"
        );
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
