//! A minimal DER writer and reader for the Intel SGX PCK certificate extension.
//!
//! Owns nothing public. The SGX extension (OID 1.2.840.113741.1.13.1) is a SEQUENCE of
//! `SEQUENCE { OID, value }` entries, some values themselves such SEQUENCEs. This module writes
//! the few DER types that structure needs (SEQUENCE, OBJECT IDENTIFIER, INTEGER, OCTET STRING,
//! ENUMERATED, BOOLEAN) and reads them back with bounds-checked, definite-length parsing, so that
//! the emulated platform can issue PCK certificates and read their values when it reloads them.

/// DER tag of a SEQUENCE (constructed).
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
/// DER tag of an OBJECT IDENTIFIER.
pub(crate) const TAG_OID: u8 = 0x06;
/// DER tag of an INTEGER.
pub(crate) const TAG_INTEGER: u8 = 0x02;
/// DER tag of an OCTET STRING.
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
/// DER tag of an ENUMERATED.
pub(crate) const TAG_ENUMERATED: u8 = 0x0a;
/// DER tag of a BOOLEAN.
pub(crate) const TAG_BOOLEAN: u8 = 0x01;

/// One DER element: tag, definite length, content.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len().saturating_add(6));
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        // Short form; `len < 0x80` so the cast keeps the value.
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        let significant = bytes.get(first..).unwrap_or(&[]);
        out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already encoded elements.
pub(crate) fn sequence(elements: &[Vec<u8>]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &elements.concat())
}

/// The content octets of an OBJECT IDENTIFIER (no tag or length). At least two arcs, the first
/// at most 2 and the second below 40 for first arcs 0 and 1 (true of every OID written here).
pub(crate) fn oid_content(arcs: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    let (first, second, rest) = match arcs {
        [a, b, rest @ ..] => (*a, *b, rest),
        _ => return out,
    };
    let mut push_arc = |mut v: u64| {
        let mut groups = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            groups.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        groups.reverse();
        out.extend_from_slice(&groups);
    };
    push_arc(first.saturating_mul(40).saturating_add(second));
    for &arc in rest {
        push_arc(arc);
    }
    out
}

/// An OBJECT IDENTIFIER element.
pub(crate) fn oid(arcs: &[u64]) -> Vec<u8> {
    tlv(TAG_OID, &oid_content(arcs))
}

/// A non-negative INTEGER element, minimally encoded.
pub(crate) fn integer(value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut content = Vec::with_capacity(9);
    let significant = bytes.get(first..).unwrap_or(&[0]);
    if significant.first().is_some_and(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(significant);
    tlv(TAG_INTEGER, &content)
}

/// An OCTET STRING element.
pub(crate) fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(TAG_OCTET_STRING, bytes)
}

/// An ENUMERATED element with a small value.
pub(crate) fn enumerated(value: u8) -> Vec<u8> {
    if value & 0x80 != 0 {
        tlv(TAG_ENUMERATED, &[0, value])
    } else {
        tlv(TAG_ENUMERATED, &[value])
    }
}

/// A BOOLEAN element.
pub(crate) fn boolean(value: bool) -> Vec<u8> {
    tlv(TAG_BOOLEAN, &[if value { 0xff } else { 0x00 }])
}

/// One parsed element: its tag and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Element<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
}

/// Read one element at the start of `input`; returns it and the bytes after it. Only
/// single-byte tags and definite lengths of at most 4 length bytes are accepted.
pub(crate) fn read(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (len_bytes, after) = rest.split_at_checked(count)?;
        rest = after;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let (content, after) = rest.split_at_checked(len)?;
    Some((Element { tag, content }, after))
}

/// Read exactly one element of tag `tag` spanning all of `input`.
pub(crate) fn read_exact(input: &[u8], tag: u8) -> Option<&[u8]> {
    let (element, rest) = read(input)?;
    (element.tag == tag && rest.is_empty()).then_some(element.content)
}

/// The `SEQUENCE { OID, value }` entries of a SEQUENCE's content, as (OID content, value).
pub(crate) fn oid_entries(mut content: &[u8]) -> Option<Vec<(&[u8], Element<'_>)>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (entry, rest) = read(content)?;
        content = rest;
        if entry.tag != TAG_SEQUENCE {
            return None;
        }
        let (name, after_name) = read(entry.content)?;
        let (value, after_value) = read(after_name)?;
        if name.tag != TAG_OID || !after_value.is_empty() {
            return None;
        }
        out.push((name.content, value));
    }
    Some(out)
}

/// The value of a non-negative INTEGER element of at most 8 significant bytes.
pub(crate) fn integer_value(element: &Element<'_>) -> Option<u64> {
    if element.tag != TAG_INTEGER || element.content.is_empty() {
        return None;
    }
    if element.content.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let significant = match element.content {
        [0, rest @ ..] if !rest.is_empty() => rest,
        all => all,
    };
    if significant.len() > 8 {
        return None;
    }
    Some(
        significant
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_short_and_long_form() {
        assert_eq!(tlv(0x04, &[1, 2]), vec![0x04, 0x02, 1, 2]);
        let long = tlv(0x04, &[7u8; 200]);
        assert_eq!(&long[..3], &[0x04, 0x81, 200]);
        let longer = tlv(0x04, &[7u8; 300]);
        assert_eq!(&longer[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (element, rest) = read(&longer).unwrap();
        assert_eq!(element.content.len(), 300);
        assert!(rest.is_empty());
    }

    #[test]
    fn oid_encoding_matches_known_values() {
        // 1.2.840.113741.1.13.1 as it appears in Intel PCK certificates.
        assert_eq!(
            oid(&[1, 2, 840, 113741, 1, 13, 1]),
            vec![
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01
            ]
        );
    }

    #[test]
    fn integers_round_trip_minimally() {
        assert_eq!(integer(0), vec![0x02, 0x01, 0x00]);
        assert_eq!(integer(13), vec![0x02, 0x01, 0x0d]);
        assert_eq!(integer(255), vec![0x02, 0x02, 0x00, 0xff]);
        assert_eq!(integer(256), vec![0x02, 0x02, 0x01, 0x00]);
        for v in [0u64, 1, 127, 128, 255, 256, 65535, u64::MAX] {
            let encoded = integer(v);
            let (element, _) = read(&encoded).unwrap();
            assert_eq!(integer_value(&element), Some(v));
        }
        assert_eq!(enumerated(0), vec![0x0a, 0x01, 0x00]);
        assert_eq!(boolean(false), vec![0x01, 0x01, 0x00]);
    }

    #[test]
    fn malformed_input_is_refused() {
        assert!(read(&[]).is_none());
        assert!(read(&[0x04]).is_none());
        assert!(read(&[0x04, 0x05, 1]).is_none());
        assert!(read(&[0x04, 0x85, 0, 0, 0, 0, 1]).is_none());
        assert!(read(&[0x1f, 0x01, 0x00]).is_none());
        assert!(read_exact(&[0x04, 0x01, 0x00, 0x00], 0x04).is_none());
        assert!(oid_entries(&[0x04, 0x00]).is_none());
    }
}
