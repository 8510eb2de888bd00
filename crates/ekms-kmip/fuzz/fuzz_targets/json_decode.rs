//! Fuzzes the JSON TTLV decoder: it must never panic, and whatever it accepts must survive a
//! JSON round trip unchanged (enumerations by name and by value) and go through the binary encoder.
#![no_main]

use ekms_kmip::{Attributes, FromTtlv, ToTtlv, json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = json::from_slice(data) {
        let text = json::to_vec(&t);
        assert_eq!(
            json::from_slice(&text).ok(),
            Some(t.clone()),
            "JSON round trip changed the item"
        );
        // Enumerations written by value (the Cosmian dialect's answers) read back alike.
        assert_eq!(
            json::from_slice(&json::to_vec_with(&t, json::EnumForm::Value)).ok(),
            Some(t.clone()),
            "JSON round trip with enumerations by value changed the item"
        );
        let _ = ekms_kmip::binary::try_to_vec(&t);
        if let Ok(a) = Attributes::from_ttlv(t.clone()) {
            let _ = a.to_attribute_list_v1();
            let _ = Attributes::from_ttlv(a.to_ttlv());
        }
    }
});
