//! Fuzz target: `Quote::parse` never panics, and whatever it accepts re-encodes to the input.
#![no_main]

use ekms_attest::Quote;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(quote) = Quote::parse(data) {
        assert_eq!(
            quote.to_bytes(),
            data,
            "parse -> to_bytes must reproduce the input"
        );
        assert_eq!(quote.signed_bytes()[..], data[..432]);
        let _ = quote.signature.certification_data.pck_cert_chain_pem();
        let _ = quote.signature.qe_binding_hash();
    }
});
