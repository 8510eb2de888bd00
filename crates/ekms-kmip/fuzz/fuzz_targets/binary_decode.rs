//! Fuzzes the binary TTLV decoder: it must never panic, and whatever it accepts must re-encode
//! to the same bytes (the encoding is canonical) and survive the data-model readers.
#![no_main]

use ekms_kmip::{Attributes, CryptographicParameters, FromTtlv, binary};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(h) = data.get(..8).and_then(|h| <[u8; 8]>::try_from(h).ok()) {
        let _ = binary::message_length(&h);
    }
    if let Ok(t) = binary::decode(data) {
        let again = binary::to_vec(&t);
        assert_eq!(again, data, "accepted input is not canonical");
        let _ = Attributes::from_ttlv(t.clone());
        let _ = Attributes::from_template_attribute(t.clone());
        let _ = CryptographicParameters::from_ttlv(t.clone());
        let _ = ekms_kmip::json::to_vec(&t);
    }
});
