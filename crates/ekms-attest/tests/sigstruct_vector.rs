//! SIGSTRUCT and mr_signer against a vector made independently (tests/data/make_sigstruct.py:
//! Python's struct and the `cryptography` package, RSA-3072 with e = 3). The expected
//! mr_signer was also checked with `openssl rsa -modulus`, reversed, then SHA-256.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ekms_attest::{Sigstruct, mr_signer, rsa3072_modulus_le};

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected() -> serde_json::Value {
    serde_json::from_slice(&data("expected.json")).unwrap()
}

#[test]
fn sigstruct_fields_match_the_generator() {
    let bytes = data("test_enclave.sig");
    let expected = expected();
    let sig = Sigstruct::parse(&bytes).expect("parses");
    assert_eq!(hex::encode(sig.mr_enclave()), expected["mr_enclave"]);
    assert_eq!(hex::encode(sig.mr_signer()), expected["mr_signer"]);
    assert_eq!(sig.isv_prod_id, 7);
    assert_eq!(sig.isv_svn, 42);
    assert_eq!(sig.attributes.flags, 4);
    assert_eq!(sig.attributes.xfrm, 3);
    assert!(!sig.attributes.is_debug());
    assert_eq!(sig.exponent, 3);
    assert_eq!(
        sig.to_bytes(),
        bytes,
        "parse -> to_bytes reproduces the file"
    );
}

#[test]
fn sigstruct_signature_verifies_and_detects_tampering() {
    let bytes = data("test_enclave.sig");
    let sig = Sigstruct::parse(&bytes).unwrap();
    assert!(sig.verify_signature());

    // Every signed region matters: the first 128 bytes and 900..1028.
    for offset in [20usize, 960, 1024, 1027] {
        let mut tampered = bytes.clone();
        tampered[offset] ^= 1;
        let parsed = Sigstruct::parse(&tampered).unwrap();
        assert!(!parsed.verify_signature(), "offset {offset}");
    }
    // Reserved4 and Q1/Q2 are outside the signed message.
    let mut outside = bytes.clone();
    outside[1030] ^= 1;
    assert!(Sigstruct::parse(&outside).unwrap().verify_signature());
}

#[test]
fn mr_signer_from_every_key_encoding() {
    let want = expected()["mr_signer"].as_str().unwrap().to_string();
    for name in [
        "signer.spki.pem",
        "signer.spki.der",
        "signer.pkcs1.pem",
        "signer.pkcs1.der",
    ] {
        let got = mr_signer(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex::encode(got), want, "{name}");
    }
    // The modulus in SIGSTRUCT form is what the SIGSTRUCT stores.
    let sig = Sigstruct::parse(&data("test_enclave.sig")).unwrap();
    assert_eq!(
        rsa3072_modulus_le(&data("signer.spki.pem")).unwrap(),
        sig.modulus
    );
}

#[test]
fn sigstruct_public_key_pem_gives_the_same_mr_signer() {
    let sig = Sigstruct::parse(&data("test_enclave.sig")).unwrap();
    let pem = sig.public_key_pem();
    assert!(pem.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
    assert_eq!(mr_signer(pem.as_bytes()).unwrap(), sig.mr_signer());
    assert_eq!(
        hex::encode(mr_signer(pem.as_bytes()).unwrap()),
        expected()["mr_signer"]
    );
}
