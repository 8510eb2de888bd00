//! Sign and SignatureVerify keep the asymmetric key they parse with the key's cached copy, so
//! the next request signs or verifies without parsing it again, and drop it with that copy.

use super::rekey_pair_tests::pair;
use super::tests::{revoke, run, store};
use crate::objects::asym::{PrivKey, PubKey};
use ekms_kmip::enums::{Operation, ValidityIndicator};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::{ObjectStoreExt, SqlCipherStore};
use std::any::Any;
use std::sync::Arc;

const V21: ProtocolVersion = ProtocolVersion::V2_1;

/// What is kept with the cached copy of `uid`, as a `T`.
fn kept<T: Any + Send + Sync>(s: &SqlCipherStore, uid: &str) -> Option<Arc<T>> {
    let got = s
        .transact(|tx| Ok::<_, ekms_store::StoreError>(tx.get(uid)?.and_then(|o| o.derived.0)))
        .unwrap();
    got.and_then(|d| d.downcast::<T>().ok())
}

/// Runs `op` on `uid` with `items` after it; its answer.
fn call(s: &SqlCipherStore, op: Operation, uid: &str, mut items: Vec<Ttlv>) -> Ttlv {
    items.insert(0, Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid));
    run(s, V21, op, items).unwrap()
}

fn sign(s: &SqlCipherStore, private: &str, data: &[u8]) -> Vec<u8> {
    let r = call(
        s,
        Operation::Sign,
        private,
        vec![Ttlv::bytes(Tag::DATA, data.to_vec())],
    );
    let signature = r.child(Tag::SIGNATURE_DATA).and_then(Ttlv::as_bytes);
    signature.unwrap().to_vec()
}

fn verify(s: &SqlCipherStore, public: &str, data: &[u8], signature: &[u8]) -> bool {
    let items = vec![
        Ttlv::bytes(Tag::DATA, data.to_vec()),
        Ttlv::bytes(Tag::SIGNATURE_DATA, signature.to_vec()),
    ];
    let r = call(s, Operation::SignatureVerify, public, items);
    r.child(Tag::VALIDITY_INDICATOR).and_then(Ttlv::as_enum)
        == Some(ValidityIndicator::Valid.as_u32())
}

#[test]
fn parsed_signing_keys_are_kept_until_the_key_changes() {
    let (_dir, s) = store();
    let (private, public) = pair(&s, "kept");
    assert!(kept::<PrivKey>(&s, &private).is_none());

    let first = sign(&s, &private, b"attack at dawn");
    let parsed = kept::<PrivKey>(&s, &private).expect("Sign keeps the parsed private key");
    let second = sign(&s, &private, b"attack at dusk");
    assert!(
        Arc::ptr_eq(&parsed, &kept::<PrivKey>(&s, &private).unwrap()),
        "the second Sign parsed the key again"
    );

    assert!(kept::<PubKey>(&s, &public).is_none());
    assert!(verify(&s, &public, b"attack at dawn", &first));
    let parsed_public = kept::<PubKey>(&s, &public).expect("SignatureVerify keeps the public key");
    // The kept key still tells a good signature from a bad one.
    assert!(verify(&s, &public, b"attack at dusk", &second));
    assert!(!verify(&s, &public, b"attack at dusk", &first));
    assert!(Arc::ptr_eq(
        &parsed_public,
        &kept::<PubKey>(&s, &public).unwrap()
    ));

    // A write of the key (Revoke changes its state) drops what was kept with it.
    revoke(&s, V21, &private);
    assert!(kept::<PrivKey>(&s, &private).is_none());
    assert!(kept::<PubKey>(&s, &public).is_some());
}
