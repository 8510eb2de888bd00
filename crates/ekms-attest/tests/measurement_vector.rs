//! The emulated mr_enclave test vectors of docs/measurement.md. The expected values were
//! computed by an independent Python implementation of the layout (hashlib and struct), shown
//! in that document.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ekms_attest::measurement::{SECINFO_PT_REG, SECINFO_R};
use ekms_attest::{EmulatedEnclaveLayout, emulated_mr_enclave};

const GIB: u64 = 1 << 30;

fn measure(manifest: &[u8], enclave_size: u64) -> String {
    hex::encode(emulated_mr_enclave(manifest, &EmulatedEnclaveLayout::new(enclave_size)).unwrap())
}

#[test]
fn default_layout_is_the_documented_one() {
    let layout = EmulatedEnclaveLayout::new(GIB);
    assert_eq!(layout.ssa_frame_pages, 1);
    assert_eq!(layout.page_flags, SECINFO_R | SECINFO_PT_REG);
    assert_eq!(layout.page_flags, 0x201);
}

#[test]
fn documented_vectors() {
    assert_eq!(
        measure(b"", GIB),
        "624967c87eefc02f059b31df81b45866661c6f2c98b04bb86aab590a25d1bcae"
    );
    assert_eq!(
        measure(b"sgx.debug = false\n", GIB),
        "fbc439307121b72ab3c83bdd5e3b07a5fa8b052ff3258b4f1354b78cff67c1ef"
    );
    let two_pages = b"ekms emulated measurement test vector\n".repeat(120);
    assert_eq!(two_pages.len(), 4560);
    assert_eq!(
        measure(&two_pages, GIB),
        "f91c416d3dfa58cf6e9cbebf7f152306518444eb4a50d6237ccc2033b2834609"
    );
    assert_eq!(
        measure(&two_pages, 2 * GIB),
        "a209d44bf8a3a8d29e926743481dcb4a057e96d683722d0ef865abfbb842bb19"
    );
}
