//! Fuzzes the message layer on binary TTLV: reading a request or a response never panics, and
//! a message that is accepted reads back unchanged after being written.
#![no_main]

use ekms_kmip::message::negotiate_version;
use ekms_kmip::{FromTtlv, RequestMessage, ResponseMessage, ToTtlv, binary};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(t) = binary::decode(data) else {
        return;
    };
    if let Some(v) = RequestMessage::peek_version(&t) {
        let _ = negotiate_version(v, 0);
    }
    match RequestMessage::from_ttlv(t.clone()) {
        Ok(m) => {
            let again = RequestMessage::from_ttlv(m.to_ttlv());
            assert_eq!(again.as_ref().ok(), Some(&m), "request does not read back");
            let _ = (m.header.username(), m.header.password());
            let _ = format!("{m:?}");
        }
        Err(e) => {
            let r = ResponseMessage::invalid_message(
                RequestMessage::peek_version(&t),
                0,
                e.to_string(),
            );
            let _ = binary::to_vec(&r.to_ttlv());
        }
    }
    let _ = ResponseMessage::peek_version(&t);
    if let Ok(m) = ResponseMessage::from_ttlv(t.clone()) {
        let again = ResponseMessage::from_ttlv(m.to_ttlv());
        assert_eq!(again.as_ref().ok(), Some(&m), "response does not read back");
        let _ = format!("{m:?}");
    }
});
