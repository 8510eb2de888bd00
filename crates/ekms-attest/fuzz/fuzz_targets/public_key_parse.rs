//! Fuzz target: `mr_signer` (PEM/DER, SPKI/PKCS#1 public key parsing) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ekms_attest::mr_signer(data);
});
