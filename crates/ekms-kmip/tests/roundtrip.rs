//! Property tests: arbitrary TTLV trees survive the binary, JSON and XML codecs unchanged, and
//! no input makes a decoder panic.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ekms_kmip::{Tag, Ttlv, Value, binary, json, xml};
use proptest::prelude::*;

/// Tags: well-known ones (including those that carry enumerations and masks), unassigned
/// specification tags and extension tags.
fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        prop::sample::select(vec![
            Tag::UNIQUE_IDENTIFIER,
            Tag::OBJECT_TYPE,
            Tag::CRYPTOGRAPHIC_ALGORITHM,
            Tag::CRYPTOGRAPHIC_USAGE_MASK,
            Tag::OPERATION,
            Tag::RESULT_REASON,
            Tag::TAG,
            Tag::ATTRIBUTE_REFERENCE,
            Tag::ATTRIBUTES,
            Tag::NAME,
            Tag::ACTIVATION_DATE,
            Tag::DATA,
        ]),
        (0x420000u32..0x420200).prop_map(Tag),
        (0x540000u32..0x550000).prop_map(Tag),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        any::<i64>().prop_map(Value::LongInteger),
        (1usize..5)
            .prop_flat_map(|n| prop::collection::vec(any::<u8>(), n * 8))
            .prop_map(Value::BigInteger),
        prop_oneof![0u32..300, any::<u32>()].prop_map(Value::Enumeration),
        any::<bool>().prop_map(Value::Boolean),
        ".{0,40}".prop_map(Value::TextString),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::ByteString),
        prop_oneof![-100_000_000_000i64..300_000_000_000, any::<i64>()].prop_map(Value::DateTime),
        any::<u32>().prop_map(Value::Interval),
        any::<i64>().prop_map(Value::DateTimeExtended),
    ]
}

/// True if a TextString of the tree holds U+0000.
fn has_nul(t: &Ttlv) -> bool {
    match &t.value {
        Value::TextString(s) => s.contains('\0'),
        Value::Structure(items) => items.iter().any(has_nul),
        _ => false,
    }
}

fn ttlv() -> impl Strategy<Value = Ttlv> {
    let leaf = (tag(), leaf()).prop_map(|(t, v)| Ttlv::new(t, v));
    leaf.prop_recursive(8, 128, 8, |inner| {
        (tag(), prop::collection::vec(inner, 0..8)).prop_map(|(t, items)| Ttlv::structure(t, items))
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // No `proptest-regressions` file in the source tree; a failure prints its input.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn binary_round_trip(t in ttlv()) {
        let b = binary::to_vec(&t);
        prop_assert_eq!(b.len() % 8, 0);
        let header: [u8; 8] = b.get(..8).and_then(|h| h.try_into().ok()).unwrap_or_default();
        prop_assert_eq!(binary::message_length(&header), Ok(b.len()));
        prop_assert_eq!(binary::decode(&b), Ok(t.clone()));
        prop_assert_eq!(binary::try_to_vec(&t), Ok(b));
    }

    #[test]
    fn json_round_trip(t in ttlv()) {
        let v = json::to_value(&t);
        prop_assert_eq!(json::from_value(&v), Ok(t.clone()));
        let text = json::to_vec(&t);
        prop_assert_eq!(json::from_slice(&text), Ok(t.clone()));
        // serde uses the same form.
        let s = serde_json::to_string(&t).unwrap_or_default();
        let back: Result<Ttlv, _> = serde_json::from_str(&s);
        prop_assert_eq!(back.ok(), Some(t.clone()));
        // The text writer and serde's path write the same text, in either enumeration form.
        prop_assert_eq!(s.as_bytes(), &text[..]);
        let by_value = json::to_vec_with(&t, json::EnumForm::Value);
        prop_assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&by_value).ok(),
            Some(json::to_value_with(&t, json::EnumForm::Value))
        );
    }

    #[test]
    fn binary_decode_never_panics(b in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = binary::decode(&b);
        if let Some(h) = b.get(..8).and_then(|h| <[u8; 8]>::try_from(h).ok()) {
            let _ = binary::message_length(&h);
        }
    }

    #[test]
    fn binary_decode_of_mutations(t in ttlv(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut b = binary::to_vec(&t);
        let i = pos.index(b.len());
        if let Some(x) = b.get_mut(i) {
            *x = byte;
        }
        if let Ok(d) = binary::decode(&b) {
            // Whatever is accepted re-encodes to the same bytes (the codec is canonical).
            prop_assert_eq!(binary::to_vec(&d), b);
        }
    }

    #[test]
    fn json_decode_never_panics(s in ".{0,200}") {
        let _ = json::from_slice(s.as_bytes());
    }

    #[test]
    fn json_decode_of_mutations(t in ttlv(), pos in any::<prop::sample::Index>(), c in any::<char>()) {
        let text = json::to_string(&t);
        let mut chars: Vec<char> = text.chars().collect();
        let i = pos.index(chars.len());
        if let Some(x) = chars.get_mut(i) {
            *x = c;
        }
        let s: String = chars.into_iter().collect();
        let _ = json::from_slice(s.as_bytes());
    }

    #[test]
    fn xml_round_trip(t in ttlv()) {
        // XML 1.0 has no way to write U+0000, not even as a reference.
        prop_assume!(!has_nul(&t));
        let text = xml::to_string(&t);
        prop_assert_eq!(xml::from_slice(text.as_bytes()), Ok(t.clone()));
        // In a document of several items, under any root.
        let doc = format!("<KMIP>\n<!-- two -->\n{text}{text}</KMIP>");
        prop_assert_eq!(xml::from_slice_all(doc.as_bytes()), Ok(vec![t.clone(), t.clone()]));
        let els = xml::elements(doc.as_bytes()).unwrap_or_default();
        prop_assert_eq!(els.len(), 2);
        prop_assert_eq!(els.first().map(xml::Element::to_ttlv), Some(Ok(t)));
    }

    #[test]
    fn xml_decode_never_panics(s in ".{0,200}") {
        let _ = xml::from_slice(s.as_bytes());
        let _ = xml::elements(s.as_bytes());
    }

    #[test]
    fn xml_decode_of_mutations(t in ttlv(), pos in any::<prop::sample::Index>(), c in any::<char>()) {
        let text = xml::to_string(&t);
        let mut chars: Vec<char> = text.chars().collect();
        let i = pos.index(chars.len());
        if let Some(x) = chars.get_mut(i) {
            *x = c;
        }
        let s: String = chars.into_iter().collect();
        if let Ok(d) = xml::from_slice(s.as_bytes()) && !has_nul(&d) {
            // Whatever is accepted survives a second trip (but U+0000, which XML cannot write).
            prop_assert_eq!(xml::from_slice(xml::to_string(&d).as_bytes()), Ok(d));
        }
    }
}
