//! Fuzzes the KMIP XML decoders: they must never panic; whatever `from_slice` accepts must
//! survive an XML round trip unchanged (unless it holds U+0000, which XML cannot write) and go
//! through the binary encoder; the unconverted reader of case files (`elements`) must agree
//! with the converting one.
#![no_main]

use ekms_kmip::{RequestMessage, FromTtlv, Ttlv, Value, xml};
use libfuzzer_sys::fuzz_target;

fn has_nul(t: &Ttlv) -> bool {
    match &t.value {
        Value::TextString(s) => s.contains('\0'),
        Value::Structure(items) => items.iter().any(has_nul),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = xml::from_slice(data) {
        if !has_nul(&t) {
            let text = xml::to_vec(&t);
            assert_eq!(
                xml::from_slice(&text).ok(),
                Some(t.clone()),
                "XML round trip changed the item"
            );
        }
        let _ = ekms_kmip::binary::try_to_vec(&t);
        let _ = RequestMessage::from_ttlv(t);
    }
    if let Ok(items) = xml::from_slice_all(data) {
        let els = xml::elements(data).ok().unwrap_or_default();
        let converted: Vec<_> = els.iter().filter_map(|e| e.to_ttlv().ok()).collect();
        assert_eq!(converted, items, "elements and from_slice_all disagree");
    }
});
