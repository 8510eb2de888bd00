//! KMIP enumerations and bit masks.
//!
//! This module owns one Rust enum per enumeration KMIP 2.1 defines (plus the KMIP 1.x values
//! that 2.x marks reserved, such as `ObjectType::Template`), each with
//! `from_u32` / `as_u32` / `name` / `from_name`. `name()` is the specification name normalized
//! as the KMIP XML/JSON encodings do (`"AES"`, `"HMAC_SHA256"`, `"SHA_256"`, `"SymmetricKey"`);
//! `from_name()` also accepts spellings without underscores and in any case (`"HMACSHA256"`,
//! `"Sha256"`, as Cosmian clients send). Serde writes an enum as its name and reads a name,
//! a `"0x…"` string or a number.
//!
//! [`enum_name`] and [`enum_value`] say which enumeration a tag carries. The bit masks
//! (Cryptographic Usage Mask, Storage Status Mask, Protection Storage Mask) are `u32`
//! constants in [`usage_mask`], [`storage_status_mask`] and [`protection_storage_mask`].

use crate::tags::Tag;

/// Compares two names ignoring ASCII case and every character that is not a letter or digit.
pub(crate) fn loose_eq(a: &str, b: &str) -> bool {
    let mut x = a.bytes().filter(u8::is_ascii_alphanumeric);
    let mut y = b.bytes().filter(u8::is_ascii_alphanumeric);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(&q) => {}
            _ => return false,
        }
    }
}

/// Parses `"0x…"` (1 to 8 hex digits) into a u32.
pub(crate) fn parse_hex_u32(s: &str) -> Option<u32> {
    let d = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if d.is_empty() || d.len() > 8 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(d, 16).ok()
}

macro_rules! kmip_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($var:ident = $val:literal, $spec:literal;)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                #[doc = $spec]
                $var = $val,
            )*
        }

        impl $name {
            /// Every value, in numeric order.
            pub const ALL: &'static [$name] = &[$($name::$var,)*];

            /// The variant of a wire value.
            pub fn from_u32(v: u32) -> Option<Self> {
                match v {
                    $($val => Some(Self::$var),)*
                    _ => None,
                }
            }

            /// The wire value.
            pub fn as_u32(self) -> u32 {
                match self {
                    $(Self::$var => $val,)*
                }
            }

            /// The specification (JSON) name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$var => $spec,)*
                }
            }

            /// The variant of a name: the JSON name exactly, or loosely (case, `_`, `-`, spaces
            /// ignored). No allocation.
            pub fn from_name(n: &str) -> Option<Self> {
                match n {
                    $($spec => return Some(Self::$var),)*
                    _ => {}
                }
                Self::ALL.iter().copied().find(|v| $crate::enums::loose_eq(v.name(), n))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " name or number"))
                    }
                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$name, E> {
                        $name::from_name(s)
                            .or_else(|| $crate::enums::parse_hex_u32(s).and_then($name::from_u32))
                            .ok_or_else(|| E::custom(format_args!(
                                concat!("unknown ", stringify!($name), " \"{}\""),
                                $crate::error::clip(s)
                            )))
                    }
                    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        u32::try_from(v)
                            .ok()
                            .and_then($name::from_u32)
                            .ok_or_else(|| E::custom(format_args!(
                                concat!("unknown ", stringify!($name), " value {}"), v
                            )))
                    }
                    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<$name, E> {
                        u64::try_from(v)
                            .map_err(|_| E::custom("negative enumeration value"))
                            .and_then(|v| self.visit_u64(v))
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

#[macro_use]
mod generated;
mod introduced;
mod masks;

pub use generated::*;
pub use masks::*;

macro_rules! enum_dispatch {
    ($($tag:ident => $ty:ident,)*) => {
        /// The name of an enumeration value, given the tag that carries it (for a tag whose
        /// Enumeration values are tags, such as `Tag` and `AttributeReference`, the tag name).
        pub fn enum_name(tag: Tag, value: u32) -> Option<&'static str> {
            match tag {
                $(Tag::$tag => $ty::from_u32(value).map($ty::name),)*
                Tag::TAG | Tag::ATTRIBUTE_REFERENCE => Tag(value).name(),
                _ => None,
            }
        }

        /// The value of an enumeration name, given the tag that carries it.
        pub fn enum_value(tag: Tag, name: &str) -> Option<u32> {
            match tag {
                $(Tag::$tag => $ty::from_name(name).map($ty::as_u32),)*
                Tag::TAG | Tag::ATTRIBUTE_REFERENCE => Tag::from_name(name).map(|t| t.0),
                _ => None,
            }
        }

        /// True if the tag carries one of the enumerations this module knows.
        pub fn has_enumeration(tag: Tag) -> bool {
            matches!(tag, $(Tag::$tag)|* | Tag::TAG | Tag::ATTRIBUTE_REFERENCE)
        }
    };
}

for_each_enum_tag!(enum_dispatch);

/// The bit-name table of a tag that carries a bit mask in an Integer, if any.
pub fn mask_names(tag: Tag) -> Option<&'static [(&'static str, u32)]> {
    match tag {
        Tag::CRYPTOGRAPHIC_USAGE_MASK => Some(usage_mask::NAMES),
        Tag::STORAGE_STATUS_MASK => Some(storage_status_mask::NAMES),
        Tag::PROTECTION_STORAGE_MASK
        | Tag::PROTECTION_STORAGE_MASKS
        | Tag::COMMON_PROTECTION_STORAGE_MASKS
        | Tag::PRIVATE_PROTECTION_STORAGE_MASKS
        | Tag::PUBLIC_PROTECTION_STORAGE_MASKS => Some(protection_storage_mask::NAMES),
        _ => None,
    }
}

/// Parses a mask written as names joined by `|` (e.g. `"Encrypt|Decrypt"`), each name either a
/// bit name of the table or a `0x…` hex value.
pub fn parse_mask(names: &[(&str, u32)], s: &str) -> Option<u32> {
    let mut acc = 0u32;
    for part in s.split('|') {
        let part = part.trim();
        let bit = names
            .iter()
            .find(|(n, _)| loose_eq(n, part))
            .map(|(_, b)| *b)
            .or_else(|| parse_hex_u32(part))?;
        acc |= bit;
    }
    Some(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert_eq!(CryptographicAlgorithm::Aes.as_u32(), 3);
        assert_eq!(CryptographicAlgorithm::Aes.name(), "AES");
        assert_eq!(
            CryptographicAlgorithm::ChaCha20Poly1305.name(),
            "ChaCha20Poly1305"
        );
        assert_eq!(
            CryptographicAlgorithm::from_name("HMACSHA256"),
            Some(CryptographicAlgorithm::HmacSha256)
        );
        assert_eq!(
            CryptographicAlgorithm::from_name("HMAC_SHA256"),
            Some(CryptographicAlgorithm::HmacSha256)
        );
        assert_eq!(
            CryptographicAlgorithm::from_u32(0x1E),
            Some(CryptographicAlgorithm::ChaCha20Poly1305)
        );
        assert_eq!(
            CryptographicAlgorithm::from_u32(0x38),
            Some(CryptographicAlgorithm::Ed448)
        );
        assert_eq!(CryptographicAlgorithm::from_u32(0x9999), None);
        assert_eq!(CryptographicAlgorithm::from_name("nope"), None);
        assert_eq!(ObjectType::SymmetricKey.name(), "SymmetricKey");
        assert_eq!(ObjectType::from_u32(6), Some(ObjectType::Template));
        assert_eq!(ObjectType::CertificateRequest.as_u32(), 0x0A);
        assert_eq!(HashingAlgorithm::Sha256.name(), "SHA_256");
        assert_eq!(
            HashingAlgorithm::from_name("SHA256"),
            Some(HashingAlgorithm::Sha256)
        );
        assert_eq!(State::PreActive.name(), "PreActive");
        assert_eq!(State::PreActive.as_u32(), 1);
        assert_eq!(Operation::ReKeyKeyPair.as_u32(), 0x1D);
        assert_eq!(Operation::Ping.as_u32(), 0x3B);
        assert_eq!(ResultReason::GeneralFailure.as_u32(), 0x100);
        assert_eq!(ResultReason::ItemNotFound.name(), "ItemNotFound");
        assert_eq!(ResultStatus::Success.as_u32(), 0);
        assert_eq!(LinkType::WrappingKeyLink.as_u32(), 0x10E);
        assert_eq!(KeyFormatType::TransparentEcPrivateKey.as_u32(), 0x14);
        assert_eq!(RecommendedCurve::P256.name(), "P_256");
        assert_eq!(RecommendedCurve::Curve25519.as_u32(), 0x45);
        assert_eq!(BlockCipherMode::Gcm.as_u32(), 9);
        assert_eq!(PaddingMethod::Pkcs5.as_u32(), 3);
        assert_eq!(NameType::UninterpretedTextString.as_u32(), 1);
        assert_eq!(RevocationReasonCode::KeyCompromise.as_u32(), 2);
        assert_eq!(
            SplitKeyMethod::PolynomialSharingGf2_8.name(),
            "PolynomialSharingGF2_8"
        );
        assert_eq!(CryptographicAlgorithm::Des3.name(), "DES3");
        assert_eq!(KeyFormatType::Pkcs1.name(), "PKCS_1");
        assert_eq!(
            KeyFormatType::from_name("PKCS1"),
            Some(KeyFormatType::Pkcs1)
        );
        for v in CryptographicAlgorithm::ALL {
            assert_eq!(CryptographicAlgorithm::from_name(v.name()), Some(*v));
            assert_eq!(CryptographicAlgorithm::from_u32(v.as_u32()), Some(*v));
        }
        assert!(OpaqueDataType::ALL.is_empty());
    }

    #[test]
    fn by_tag() {
        assert_eq!(enum_name(Tag::OBJECT_TYPE, 2), Some("SymmetricKey"));
        assert_eq!(enum_value(Tag::OBJECT_TYPE, "SymmetricKey"), Some(2));
        assert_eq!(enum_name(Tag::CRYPTOGRAPHIC_ALGORITHM, 3), Some("AES"));
        assert_eq!(
            enum_name(Tag::MASK_GENERATOR_HASHING_ALGORITHM, 6),
            Some("SHA_256")
        );
        assert_eq!(enum_name(Tag::TAG, 0x420094), Some("UniqueIdentifier"));
        assert_eq!(
            enum_value(Tag::ATTRIBUTE_REFERENCE, "State"),
            Some(0x42008D)
        );
        assert_eq!(enum_name(Tag::UNIQUE_IDENTIFIER, 1), Some("IDPlaceholder"));
        assert_eq!(enum_name(Tag::CRYPTOGRAPHIC_LENGTH, 1), None);
        assert_eq!(enum_name(Tag::OBJECT_TYPE, 0x8000_0001), None);
        assert!(has_enumeration(Tag::OPERATION));
    }

    #[test]
    fn masks() {
        assert_eq!(usage_mask::SIGN, 1);
        assert_eq!(usage_mask::DECRYPT, 8);
        assert_eq!(usage_mask::MAC_GENERATE, 0x80);
        assert_eq!(parse_mask(usage_mask::NAMES, "Encrypt|Decrypt"), Some(12));
        assert_eq!(
            parse_mask(usage_mask::NAMES, "Encrypt | 0x00000001"),
            Some(5)
        );
        assert_eq!(parse_mask(usage_mask::NAMES, "Bogus"), None);
        assert!(mask_names(Tag::CRYPTOGRAPHIC_USAGE_MASK).is_some());
    }

    #[test]
    fn serde_forms() {
        let j = serde_json::to_string(&CryptographicAlgorithm::Aes).unwrap_or_default();
        assert_eq!(j, "\"AES\"");
        let a: Option<CryptographicAlgorithm> = serde_json::from_str("\"AES\"").ok();
        assert_eq!(a, Some(CryptographicAlgorithm::Aes));
        let a: Option<CryptographicAlgorithm> = serde_json::from_str("3").ok();
        assert_eq!(a, Some(CryptographicAlgorithm::Aes));
        let a: Option<CryptographicAlgorithm> = serde_json::from_str("\"0x00000003\"").ok();
        assert_eq!(a, Some(CryptographicAlgorithm::Aes));
        assert!(serde_json::from_str::<CryptographicAlgorithm>("\"XYZ\"").is_err());
        assert!(serde_json::from_str::<CryptographicAlgorithm>("-1").is_err());
    }
}
