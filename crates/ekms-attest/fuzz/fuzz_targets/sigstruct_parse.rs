//! Fuzz target: `Sigstruct::parse` never panics, and whatever it accepts re-encodes to the
//! input; signature checking of accepted input never panics either.
#![no_main]

use ekms_attest::Sigstruct;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sig) = Sigstruct::parse(data) {
        assert_eq!(
            sig.to_bytes(),
            data,
            "parse -> to_bytes must reproduce the input"
        );
        let _ = sig.mr_signer();
        let _ = sig.verify_signature();
    }
});
